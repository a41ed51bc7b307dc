"""Solana searcher: pool decoders, exact quotes, route search, transactions for the arb_executor program, Jito."""
