"""The running searcher's state as a small JSON file beside its data (`<data_dir>/status.json`): written
atomically as blocks and bundles happen, read by `arbbot status` from another process. No secrets: counts,
block numbers, builder names, the executor address and the last error's text."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from arbbot.engine.counters import SearcherEvent

STATUS_NAME = "status.json"


@dataclass
class BuilderTally:
    """Bundles sent to one builder and how many of them landed."""

    sent: int = 0
    landed: int = 0


@dataclass
class Status:
    """The running searcher's state as written to `status.json`: chain, mode, executor, head, counts and last error."""

    pid: int
    chain: str
    chain_id: int
    mode: str  # "live" | "dry run"
    executor: str = ""
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    running: bool = True
    head: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    builders: dict[str, BuilderTally] = field(default_factory=dict)
    last_error: str = ""
    skipped_blocks: int = 0
    control: dict[str, Any] = field(default_factory=dict)  # the operator's switches (control state snapshot)

    def on_event(self, event: SearcherEvent) -> None:
        """Update the state from one searcher event (a block, a skipped block, a bundle sent or landed, an error)."""
        data = event.data
        if event.kind == "block":
            self.head = int(data.get("number") or self.head)
        elif event.kind == "sent":
            for name in data.get("builders") or ():
                self.builders.setdefault(str(name), BuilderTally()).sent += 1
        elif event.kind == "landed":
            name = str(data.get("builder") or "unknown")
            self.builders.setdefault(name, BuilderTally()).landed += 1
        elif event.kind == "error":
            self.last_error = f"{data.get('where')}: {data.get('error')}"[:300]
        elif event.kind == "skipped":
            self.skipped_blocks += int(data.get("count") or 0)

    def to_json(self) -> str:
        """The state as JSON (keys sorted)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Status:
        """A Status from parsed JSON; unknown keys are ignored, so an older or newer file still reads."""
        builders = {k: BuilderTally(**v) for k, v in dict(raw.get("builders") or {}).items()}
        fields = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__ and k != "builders"}
        return cls(**fields, builders=builders)


def status_path(data_dir: Path) -> Path:
    """Where the searcher with this data directory writes its status."""
    return data_dir / STATUS_NAME


def write(data_dir: Path, status: Status) -> None:
    """Write the status atomically (temporary file, then rename): a reader never sees half a file."""
    status.updated_at = time.time()
    data_dir.mkdir(parents=True, exist_ok=True)
    path = status_path(data_dir)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(status.to_json())
    tmp.replace(path)  # readers never see half a file


def read(data_dir: Path) -> Status | None:
    """The last status written, or None; a searcher whose process is gone is reported as not running."""
    path = status_path(data_dir)
    try:
        status = Status.from_mapping(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if status.running and not _alive(status.pid):
        status.running = False
    return status


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
