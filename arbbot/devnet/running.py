"""The record of a devnet started in the background (`arbbot devnet up`), so `down` can stop it by PID."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from arbbot.chain.anvil import is_anvil_pid, stop_pid
from arbbot.errors import DevnetError

RECORD_NAME = "devnet.json"


class RunningDevnet(BaseModel):
    """The record of a background devnet: the anvil PID, its RPC URL, the scenario, and where its manifest
    and log are.
    """

    pid: int
    url: str
    scenario: str
    manifest_path: str
    log_path: str


def record_path(data_dir: Path) -> Path:
    """Where the background devnet's record lives in `data_dir`."""
    return data_dir / RECORD_NAME


def read(data_dir: Path) -> RunningDevnet | None:
    """The running devnet, or None. A record whose process is gone is removed."""
    path = record_path(data_dir)
    if not path.is_file():
        return None
    try:
        rec = RunningDevnet.model_validate(json.loads(path.read_text()))
    except (ValueError, ValidationError):
        raise DevnetError(f"devnet record {path} is malformed; remove it if no devnet is running") from None
    if not is_anvil_pid(rec.pid):
        path.unlink(missing_ok=True)
        return None
    return rec


def write(data_dir: Path, rec: RunningDevnet) -> None:
    """Record a background devnet in `data_dir`, written through a temporary file so a reader never sees
    half a record.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = record_path(data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(rec.model_dump_json(indent=2))
    tmp.replace(path)


def stop(data_dir: Path) -> RunningDevnet | None:
    """Stop the recorded devnet by PID; returns what was stopped, or None if nothing ran."""
    rec = read(data_dir)
    if rec is None:
        return None
    stop_pid(rec.pid)
    record_path(data_dir).unlink(missing_ok=True)
    return rec
