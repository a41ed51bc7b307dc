"""The control state: limits, validation, the generation counter, listeners, and the send gate (fail closed)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from arbbot.config import load_settings
from arbbot.engine.control import Change, ControlError, ControlLimits, ControlState, limits_from, parse_wei
from arbbot.errors import ConfigError


def _state(**kw: object) -> ControlState:
    limits = ControlLimits((1_000, 9_000), (0, 10**18))
    return ControlState(bribe_share_bps=5_000, min_profit_wei=10, limits=limits, builders=["a", "b"], **kw)  # type: ignore[arg-type]


def test_every_change_bumps_the_generation_by_one_and_tells_the_listeners() -> None:
    c = _state()
    seen: list[Change] = []
    c.listeners.append(seen.append)
    assert c.generation == 0
    c.pause()
    c.pause("backrun", actor="ana")
    c.set_killed(True)
    c.set_params(bribe_share_bps=7_000, min_profit_wei=99)
    c.set_builder("b", False)
    assert c.generation == 6
    assert [(x.what, x.old, x.new, x.generation) for x in seen] == [
        ("paused", False, True, 1), ("paused.backrun", False, True, 2), ("killed", False, True, 3),
        ("bribe_share_bps", 5_000, 7_000, 4), ("min_profit_wei", "10", "99", 5), ("builder.b", True, False, 6),
    ]  # fmt: skip
    assert seen[1].actor == "ana"
    snap = c.snapshot()
    assert snap["paused"] and snap["paused_strategies"] == ["backrun"] and snap["killed"]
    assert snap["bribe_share_bps"] == 7_000 and snap["min_profit_wei"] == "99"
    assert snap["builders"] == {"a": {"enabled": True}, "b": {"enabled": False}}
    assert snap["limits"] == {"bribe_share_bps": [1_000, 9_000], "min_profit_wei": ["0", str(10**18)]}
    assert c.params() == (7_000, 99, 6)


def test_out_of_limit_params_are_refused_naming_field_and_value_and_change_nothing() -> None:
    c = _state()
    with pytest.raises(ControlError, match=r"bribe_share_bps: 9001 is outside the limits \[1000, 9000\]"):
        c.set_params(bribe_share_bps=9_001, min_profit_wei=5)
    with pytest.raises(ControlError, match=r"min_profit_wei: 1000000000000000001 is outside"):
        c.set_params(bribe_share_bps=2_000, min_profit_wei=10**18 + 1)
    with pytest.raises(ControlError, match="bribe_share_bps: must be an integer, got True"):
        c.set_params(bribe_share_bps=True)
    assert c.params() == (5_000, 10, 0)  # neither field of a refused request changed


def test_default_limits_allow_only_the_configured_values() -> None:
    c = ControlState(bribe_share_bps=9_000, min_profit_wei=0)
    c.set_params(bribe_share_bps=9_000, min_profit_wei=0)  # the same value is within
    with pytest.raises(ControlError, match="bribe_share_bps: 8999"):
        c.set_params(bribe_share_bps=8_999)
    assert limits_from(9_000, 0, {"bribe_share_bps_min": 100}) == ControlLimits((100, 9_000), (0, 0))


def test_pause_is_per_strategy_and_whole() -> None:
    c = _state()
    c.pause("cycles")
    assert c.paused_for("cycle") and c.paused_for("cycles") and not c.paused_for("backrun")
    c.pause()
    assert c.paused_for("backrun") and c.paused_for("mev_share")
    c.resume()
    assert not c.paused_for("backrun") and c.paused_for("cycle")
    c.resume("cycles")
    assert not c.paused_for("cycle")
    with pytest.raises(ControlError, match="strategy: 'arb' is not one of cycles, backrun, mev_share"):
        c.pause("arb")


def test_the_send_gate_refuses_when_killed_disabled_or_unknown() -> None:
    c = _state()
    assert c.send_refusal() is None and c.send_refusal("a") is None
    c.set_builder("a", False)
    assert c.send_refusal("a") == "builder a disabled by control" and c.send_refusal("b") is None
    assert c.send_refusal("zzz") == "builder zzz unknown to control"  # fail closed
    c.set_killed(True)
    assert c.send_refusal() == c.send_refusal("b") == "kill switch engaged"
    c.set_killed(False)
    assert c.send_refusal("b") is None
    with pytest.raises(ControlError, match="builder: 'zzz' is not a configured builder") as err:
        c.set_builder("zzz", True)
    assert err.value.status == 404
    with pytest.raises(ControlError, match="engaged: must be true or false, got 1"):
        c.set_killed(1)  # type: ignore[arg-type]


def test_a_failing_listener_does_not_undo_a_change() -> None:
    c = _state()

    def broken(_: Change) -> None:
        raise RuntimeError("listener down")

    c.listeners.append(broken)
    c.set_killed(True)
    assert c.killed and c.generation == 1


def test_concurrent_changes_each_count_once() -> None:
    c = _state()
    threads = [threading.Thread(target=lambda: [c.set_killed(i % 2 == 0) for i in range(200)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.generation == 800


def test_wei_is_a_decimal_string() -> None:
    assert parse_wei("min_profit_wei", "123") == 123 and parse_wei("min_profit_wei", 7) == 7
    for bad in ("0x10", "-1", "1e18", "", " 1", True, 1.5, None):
        with pytest.raises(ControlError, match="min_profit_wei: must be a decimal string of wei"):
            parse_wei("min_profit_wei", bad)


def test_limits_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValueError, match=r"bribe_share_bps limits: need 0 <= min <= max <= 10000, got \[5, 4\]"):
        ControlLimits((5, 4), (0, 0))
    with pytest.raises(ControlError, match="bribe_share_bps: 5000 is outside"):
        ControlState(bribe_share_bps=5_000, min_profit_wei=0, limits=ControlLimits((0, 10), (0, 0)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('listen = "0.0.0.0:8000"', "listen: '0.0.0.0:8000' is not loopback; set allow_remote = true"),
        ('listen = "localhost"', "control.listen: Value error, listen must be host:port"),
        ("bribe_share_bps_min = 9500",
         "control.bribe_share_bps_min/max: [9500, None] leaves out searcher.bribe_share_bps = 9000"),
        ("min_profit_wei_min = 5\nmin_profit_wei_max = 4", "min_profit_wei_min 5 is above min_profit_wei_max 4"),
        ("bribe_share_bps_max = 10001", "control.bribe_share_bps_max: Input should be less than or equal to 10000"),
        ('token_env = "lower"', "control.token_env: String should match pattern"),
    ],
)  # fmt: skip
def test_bad_control_config_is_one_line_naming_field_and_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.toml"
    path.write_text(f"[control]\n{text}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_remote_listen_needs_allow_remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.toml"
    path.write_text('[control]\nenabled = true\nlisten = "0.0.0.0:0"\nallow_remote = true\nbribe_share_bps_min = 0\n')
    c = load_settings(path).control
    assert c.enabled and c.host == "0.0.0.0" and c.port == 0 and c.bribe_share_bps_min == 0
