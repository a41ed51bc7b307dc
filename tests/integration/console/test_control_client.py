"""The console's control API client against the contract, served over HTTP by a test double."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbbot.console.control import ControlClient, ControlError, discover
from tests.integration.console.control_double import ControlDouble

TOKEN = "t0ken-for-tests"


@pytest.fixture
def double() -> Iterator[ControlDouble]:
    d = ControlDouble(TOKEN)
    try:
        yield d
    finally:
        d.stop()


def test_every_call_and_the_actor_header(double: ControlDouble) -> None:
    c = ControlClient(double.url, TOKEN)
    try:
        assert not c.state().paused
        assert c.pause("olga").paused
        assert c.pause("olga", "backrun").paused_strategies == ["backrun"]
        assert not c.resume("olga").paused
        assert c.kill("olga", True).killed
        st = c.params("olga", bribe_share_bps=8000, min_profit_wei=10**15)
        assert (st.bribe_share_bps, st.min_profit_wei) == (8000, 10**15)
        assert c.builder("olga", "titan", False).builders == {"flashbots": True, "titan": False}
        assert st.generation == 5 and c.state().generation == 6
    finally:
        c.close()
    assert [a for _, a in double.actors] == ["olga"] * 6


def test_refusals_are_one_line_errors(double: ControlDouble) -> None:
    c = ControlClient(double.url, TOKEN)
    try:
        with pytest.raises(ControlError, match=r"answered 400: bribe_share_bps 10 is outside \[5000, 9500\]") as e:
            c.params("olga", bribe_share_bps=10)
        assert e.value.status == 400
        with pytest.raises(ControlError, match="answered 404: builder 'nobody' is unknown"):
            c.builder("olga", "nobody", True)
    finally:
        c.close()
    bad = ControlClient(double.url, "wrong")
    with pytest.raises(ControlError, match="answered 401"):
        bad.state()
    bad.close()


def test_unreachable_and_malformed(double: ControlDouble, tmp_path: Path) -> None:
    double.state["paused"] = "yes"  # a hostile or broken answer
    c = ControlClient(double.url, TOKEN)
    with pytest.raises(ControlError, match="field 'paused' has a bad value 'yes'"):
        c.state()
    c.close()
    with pytest.raises(ControlError, match=r"control\.json not found"):
        discover(tmp_path)
    (tmp_path / "control.json").write_text(json.dumps({"url": "file:///etc/passwd", "pid": 1}))
    with pytest.raises(ControlError, match="is not an http"):
        discover(tmp_path)
    (tmp_path / "control.json").write_text(json.dumps({"url": double.url, "pid": 1}))
    assert discover(tmp_path) == double.url
