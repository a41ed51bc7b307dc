"""Collectors: the chain's events as async streams (new blocks, logs, pending transactions).

Each prefers a WebSocket subscription and falls back to HTTP polling when the node has no WebSocket
endpoint or the connection drops, without losing or repeating blocks.
"""
