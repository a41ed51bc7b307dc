"""Minimal async JSON-RPC over HTTP (aiohttp) for collectors: one session, clear errors."""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp

from arbbot.chain.rpc import RpcError, RpcTransportError


class AsyncRpc:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)

    async def __aenter__(self) -> AsyncRpc:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, params: list[Any] | None = None) -> Any:
        if self._session is None:
            raise RuntimeError("AsyncRpc used outside 'async with'")
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []}
        try:
            async with self._session.post(self.url, json=body) as resp:
                if resp.status != 200:
                    raise RpcTransportError(f"RPC {method} to {self.url}: HTTP {resp.status}")
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RpcTransportError(f"RPC {method} to {self.url} failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(data, dict):
            raise RpcTransportError(f"RPC {method} to {self.url}: malformed response")
        if "error" in data:
            err = data["error"] or {}
            raise RpcError(method, err.get("code"), str(err.get("message")), err.get("data"))
        return data.get("result")
