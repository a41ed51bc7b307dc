"""Venue pools kept one module per venue (the older venues live in `arbbot.solana.venues`)."""
