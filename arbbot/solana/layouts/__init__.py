"""Exact byte layouts of the accounts the searcher reads. Pure: bytes in, dataclasses out."""
