"""`arbbot status` shows the operator's switches: the control state goes through status.json and into the panel."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from arbbot.cli.status import control_line, render
from arbbot.engine import status as status_file
from arbbot.engine.control import ControlLimits, ControlState


def test_the_control_state_round_trips_through_the_status_file_and_is_shown(tmp_path: Path) -> None:
    control = ControlState(bribe_share_bps=5_000, min_profit_wei=0, builders=["local", "titan"],
                           limits=ControlLimits((0, 9_000), (0, 10**18)))  # fmt: skip
    control.pause("backrun", actor="ana")
    control.set_builder("titan", False, actor="ana")
    control.set_params(bribe_share_bps=7_000, min_profit_wei=10**17, actor="ana")
    st = status_file.Status(pid=os.getpid(), chain="replica", chain_id=31337, mode="live")
    st.control = control.snapshot()
    status_file.write(tmp_path, st)
    back = status_file.read(tmp_path)
    assert back is not None and back.control == control.snapshot()
    line = control_line(back.control)
    assert line == ("running, paused: backrun; bribe share 7000 bps; min profit 100000000000000000 wei; "
                    "builders off: titan; generation 4")  # fmt: skip
    control.set_killed(True)
    assert control_line(control.snapshot()).startswith("KILLED (nothing is sent), paused: backrun;")
    out = Console(width=200, record=True)
    out.print(render(back))
    text = out.export_text()
    assert "control" in text and "builders off: titan" in text


def test_an_older_status_file_without_control_shows_no_control_line(tmp_path: Path) -> None:
    st = status_file.Status(pid=os.getpid(), chain="replica", chain_id=31337, mode="dry run")
    out = Console(width=200, record=True)
    out.print(render(st))
    assert "control" not in out.export_text()
