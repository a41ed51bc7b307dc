"""Test doubles and account builders for the Solana searcher (local RPC server, Jito block engine)."""
