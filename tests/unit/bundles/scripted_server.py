"""A real aiohttp HTTP server on 127.0.0.1 (port chosen at run time) whose answers a test scripts.

It stands in for a builder that misbehaves (garbage, HTTP errors, slowness); it is not a mock of the
client: the client under test does real HTTP against it. It records every request (raw body + headers).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Seen:
    body: bytes
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def method(self) -> str:
        return self.json["method"]

    @property
    def params(self) -> Any:
        return self.json["params"]


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] | None = None
    delay: float = 0.0  # answer only after this long (or when the server stops)
    headers: dict[str, str] = field(default_factory=dict)


def result(value: Any, request_id: Any = 1) -> Reply:
    return Reply(body={"jsonrpc": "2.0", "id": request_id, "result": value})


def error(code: int | None, message: str, status: int = 200) -> Reply:
    return Reply(status=status, body={"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message}})


Responder = Callable[[Seen], Reply | Awaitable[Reply]]


class ScriptedServer:
    def __init__(self, respond: Responder | Reply) -> None:
        self._respond = respond
        self.seen: list[Seen] = []
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(await request.read(), dict(request.headers))
        self.seen.append(seen)
        reply = self._respond(seen) if callable(self._respond) else self._respond
        if inspect.isawaitable(reply):
            reply = await reply
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), reply.delay)
        body = reply.body
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        return web.Response(status=reply.status, body=data, headers=reply.headers)

    async def __aenter__(self) -> ScriptedServer:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()  # let delayed handlers finish so shutdown is quick
        if self._runner is not None:
            await self._runner.cleanup()
