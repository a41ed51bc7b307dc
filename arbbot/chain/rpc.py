"""`RpcClient`: the blocking face of the node transport (`arbbot.chain.transport`), under its long-standing name.

Retries cover what a node or provider does under load (timeouts, HTTP 429/5xx, truncated, garbled, oversized
or wrongly shaped answers). RPC-level errors (a revert, "range too large") are returned to the caller to decide on.
"""

from __future__ import annotations

from arbbot.chain.jsonrpc import RetryPolicy, RpcError, RpcTransportError
from arbbot.chain.transport import HttpTransport as RpcClient

__all__ = ["RetryPolicy", "RpcClient", "RpcError", "RpcTransportError"]
