"""Client of the searcher's control API (prefix /v1; the contract is in the README's "Operator console"
section): bearer token, the acting user in `X-Arbbot-Actor`, JSON in and out. The searcher's answers are
checked for shape before use."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from arbbot.errors import ArbbotError

ACTOR_HEADER = "X-Arbbot-Actor"
CONTROL_FILE = "control.json"
EVENT_KINDS = frozenset({"block", "bundle", "trade", "control"})
MAX_EVENT_BYTES = 16 * 1024  # a longer line from the searcher ends the relay rather than growing a buffer


class ControlError(ArbbotError):
    """The control API refused a request (`status` its HTTP status) or could not be reached (`status` None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def discover(data_dir: Path) -> str:
    """The control API's URL from `<data_dir>/control.json` (written by the running searcher)."""
    path = data_dir / CONTROL_FILE
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ControlError(f"{path} not found: is `arbbot run` running with [control] enabled?") from None
    except (OSError, ValueError) as exc:
        raise ControlError(f"{path} is unreadable: {exc}") from None
    url = doc.get("url") if isinstance(doc, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ControlError(f"{path}: url {url!r} is not an http(s) URL")
    return url


@dataclass(frozen=True)
class State:
    """`GET /v1/state`, checked: the fields the console shows and audits (the rest kept in `raw`)."""

    paused: bool
    paused_strategies: list[str]
    killed: bool
    bribe_share_bps: int
    min_profit_wei: int
    builders: dict[str, bool]
    generation: int
    raw: dict[str, Any]


def _state(doc: Any) -> State:
    """Validate a state document; `ControlError` naming the first bad field."""
    if not isinstance(doc, dict):
        raise ControlError(f"control state is not a JSON object: {str(doc)[:80]!r}")

    def field(name: str, kind: type | tuple[type, ...]) -> Any:
        v = doc.get(name)
        if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
            raise ControlError(f"control state field {name!r} has a bad value {str(v)[:80]!r}")
        return v

    builders_doc = field("builders", dict)
    builders: dict[str, bool] = {}
    for name, b in builders_doc.items():
        if not isinstance(b, dict) or not isinstance(b.get("enabled"), bool):
            raise ControlError(f"control state field 'builders.{name}' has a bad value {str(b)[:80]!r}")
        builders[str(name)] = b["enabled"]
    min_profit = field("min_profit_wei", str)
    if not min_profit.isdigit():
        raise ControlError(f"control state field 'min_profit_wei' has a bad value {min_profit[:80]!r}")
    strategies = field("paused_strategies", list)
    return State(
        paused=field("paused", bool), paused_strategies=[str(x) for x in strategies], killed=field("killed", bool),
        bribe_share_bps=field("bribe_share_bps", int), min_profit_wei=int(min_profit), builders=builders,
        generation=field("generation", int), raw=doc,
    )  # fmt: skip


class ControlClient:
    """Talks to one searcher. `token` is the control API's bearer token (from the environment; never logged)."""

    def __init__(self, url: str, token: str, *, timeout: float = 5.0, transport: httpx.BaseTransport | None = None):
        self.url = url.rstrip("/")
        self._token = token
        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _call(self, method: str, path: str, actor: str | None, body: dict[str, Any] | None = None) -> Any:
        headers = {ACTOR_HEADER: actor} if actor else {}
        try:
            resp = self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ControlError(f"control API {method} {path}: {type(exc).__name__}: {exc}") from None
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if resp.status_code != 200:
            msg = doc.get("error") if isinstance(doc, dict) else None
            text = msg if isinstance(msg, str) else resp.text[:200]
            first = text.splitlines()[0] if text else ""
            raise ControlError(f"control API {method} {path} answered {resp.status_code}: {first}", resp.status_code)
        return doc

    def state(self) -> State:
        """The searcher's control state."""
        return _state(self._call("GET", "/state", None))

    def pause(self, actor: str, strategy: str | None = None) -> State:
        """Pause the searcher, or one strategy."""
        return _state(self._call("POST", "/pause", actor, {"strategy": strategy} if strategy else {}))

    def resume(self, actor: str, strategy: str | None = None) -> State:
        """Resume the searcher, or one strategy."""
        return _state(self._call("POST", "/resume", actor, {"strategy": strategy} if strategy else {}))

    def kill(self, actor: str, engaged: bool) -> State:
        """Engage or lift the kill switch."""
        return _state(self._call("POST", "/kill", actor, {"engaged": engaged}))

    def params(self, actor: str, *, bribe_share_bps: int | None = None, min_profit_wei: int | None = None) -> State:
        """Change the bribe share and/or the minimum profit (the searcher enforces its configured limits)."""
        body: dict[str, Any] = {}
        if bribe_share_bps is not None:
            body["bribe_share_bps"] = bribe_share_bps
        if min_profit_wei is not None:
            body["min_profit_wei"] = str(min_profit_wei)
        return _state(self._call("POST", "/params", actor, body))

    def builder(self, actor: str, name: str, enabled: bool) -> State:
        """Enable or disable one builder."""
        return _state(self._call("POST", f"/builders/{quote(name, safe='')}", actor, {"enabled": enabled}))

    def events(self) -> AsyncIterator[bytes]:
        """The searcher's event stream (`GET /v1/events`) re-framed for a browser: see `relay`."""
        return relay(self.url, self._token)


CONNECTED = b"event: connected\ndata: {}\n\n"  # the relay's first event, once the searcher's stream is open


def frame(event_id: int, kind: str, data: dict[str, Any]) -> bytes:
    """One server-sent event as the console re-serves it (named event, JSON data on one line)."""
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def parse_event(fields: dict[str, str]) -> tuple[int, str, dict[str, Any]] | None:
    """A checked event from one SSE block's fields, or None for anything but a known named event with an integer
    id and a JSON object as data (the searcher's stream is untrusted like any other answer)."""
    kind, raw_id, raw = fields.get("event"), fields.get("id", ""), fields.get("data")
    if kind not in EVENT_KINDS or raw is None or not raw_id.isdigit():
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return (int(raw_id), kind, data) if isinstance(data, dict) else None


async def relay(url: str, token: str) -> AsyncIterator[bytes]:
    """Follow the searcher's `/v1/events` with the control token (which stays on the console's side) and yield
    each checked event re-framed, plus a `connected` event once the searcher has subscribed the stream and a
    comment on each of its keepalives. Ends when the searcher's stream ends or fails; the browser's EventSource
    then reconnects."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=60.0)) as http:
        try:
            async with http.stream(
                "GET", url.rstrip("/") + "/v1/events", headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                if resp.status_code != 200:
                    yield f": searcher answered {resp.status_code}\n\n".encode()
                    return
                fields: dict[str, str] = {}
                async for line in resp.aiter_lines():
                    if len(line) > MAX_EVENT_BYTES:
                        return
                    if line.startswith(":"):
                        if line.startswith(": keepalive"):
                            yield b": keepalive\n\n"
                        elif line.startswith(": connected"):
                            # The searcher says so once it has subscribed this stream: from here no event is
                            # missed, so the page may say it is live (it sees named events, not comments).
                            yield CONNECTED
                        continue
                    if line:
                        name, _, value = line.partition(":")
                        fields[name] = value[1:] if value.startswith(" ") else value
                        continue
                    event = parse_event(fields)
                    fields = {}
                    if event is not None:
                        yield frame(*event)
        except httpx.HTTPError:
            return
