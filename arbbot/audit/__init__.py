"""Audit of our own trades from receipts (and call traces where the node has them): what each trade
took in and paid out, what it earned, what it paid in gas and to the builder, and why a failed one failed."""
