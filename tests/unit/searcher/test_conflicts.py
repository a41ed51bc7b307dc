"""Which judged trades may go out in one bundle: two trades through different pair views of one Balancer pool touch the
same balances, so they conflict as trades through one pool do; trades through different pools do not."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from arbbot.engine import searcher
from arbbot.execution.route import Capital
from arbbot.strategy import batch

POOL_ID = "0x" + "ab" * 20 + "0001" + "00" * 10
V2 = "0x" + "11" * 20


def _item(monkeypatch: pytest.MonkeyPatch, pools: tuple[str, ...], value: int) -> batch.Item:
    # Flash-funded with no lender named: only the pools decide (own capital and lenders are the chooser's other rules).
    route = SimpleNamespace(token="0x" + "ee" * 20, amount_in=1, capital=Capital.BALANCER, lender="0x" + "00" * 20)
    monkeypatch.setattr(searcher, "_route_of_plan", lambda plan: route)
    plan: Any = SimpleNamespace(expected_net=value, candidate=SimpleNamespace(pools=pools))
    return searcher.Searcher._item(None, plan)  # type: ignore[arg-type]


def test_views_of_one_balancer_pool_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    a = _item(monkeypatch, (f"{POOL_ID}#0-1", V2), 10)
    b = _item(monkeypatch, (f"{POOL_ID.upper().replace('0X', '0x')}#1-2",), 7)
    other = _item(monkeypatch, ("0x" + "22" * 20,), 5)
    assert a.touches == {POOL_ID, V2} and b.touches == {POOL_ID}
    assert not batch.compatible([a, b])
    assert batch.compatible([a, other]) and batch.compatible([b, other])
