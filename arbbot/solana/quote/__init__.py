"""Exact integer quotes of the Solana venues, mirroring each program's arithmetic (no floats, no I/O)."""
