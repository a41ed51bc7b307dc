"""The start-up reachability probe of builders (`arbbot.engine.factory.unreachable`), through the bundle client.

Any HTTP answer, an error or garbage included, means the builder is there; only a refused connection or silence
is reported. Real HTTP against `ScriptedServer` on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket

from arbbot.engine.factory import unreachable
from arbbot.execution.bundles.fanout import BuilderEndpoint
from tests.unit.bundles.scripted_server import Reply, ScriptedServer, error, result


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on leaving: nothing listens there


def test_any_answer_is_reachable_and_silence_or_refusal_is_not() -> None:
    async def run() -> tuple[list[str], list[int]]:
        replies = {
            "ok": result("builder/1.0"),
            "rpc_error": error(-32601, "method not found", status=400),
            "http_error": Reply(503, "busy"),
            "garbage": Reply(200, "<html>"),
            "huge": Reply(200, b"x" * (1 << 20)),
            "silent": Reply(delay=5.0),
        }
        servers = {name: ScriptedServer(reply) for name, reply in replies.items()}
        for srv in servers.values():
            await srv.__aenter__()
        try:
            endpoints = [BuilderEndpoint(name, srv.url) for name, srv in servers.items()]
            endpoints.append(BuilderEndpoint("refused", f"http://127.0.0.1:{_closed_port()}"))
            lines = await unreachable(endpoints, timeout=0.5)
            return lines, [len(s.seen) for s in servers.values()]
        finally:
            for srv in servers.values():
                await srv.__aexit__()

    lines, seen = asyncio.run(run())
    assert sorted(line.split()[1] for line in lines) == ["refused", "silent"]
    assert all("is unreachable now: " in line for line in lines)
    assert seen == [1] * 6  # one probe each, no retries
