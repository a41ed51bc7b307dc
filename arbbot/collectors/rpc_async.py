"""`AsyncRpc`: the async face of the node transport (`arbbot.chain.transport`), as collectors use it."""

from __future__ import annotations

from arbbot.chain.transport import AsyncHttpTransport as AsyncRpc

__all__ = ["AsyncRpc"]
