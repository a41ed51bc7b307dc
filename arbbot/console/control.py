"""Client of the searcher's control API (prefix /v1; the contract is in the README's "Operator console"
section): bearer token, the acting user in `X-Arbbot-Actor`, JSON in and out. The searcher's answers are
checked for shape before use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from arbbot.errors import ArbbotError

ACTOR_HEADER = "X-Arbbot-Actor"
CONTROL_FILE = "control.json"


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
