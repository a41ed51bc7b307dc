"""The searcher engine: collectors -> strategies -> fork simulation -> executors, as a library object.

`Searcher` handles one block (`process_block`) or one pending transaction (`process_pending`) at a time,
or runs the collectors until `stop()`; `counters` and the `on_event` hook report progress.
`engine.factory.build` wires one from settings (what `arbbot run` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arbbot.engine.counters import Counters, SearcherEvent

if TYPE_CHECKING:
    from arbbot.engine.searcher import Searcher, SearcherParams

__all__ = ["Counters", "Searcher", "SearcherEvent", "SearcherParams"]


def __getattr__(name: str) -> Any:
    # The searcher pulls in web3 and pyrevm: loaded on first use, so light submodules (status, counters)
    # can be imported by the CLI without it.
    if name in ("Searcher", "SearcherParams"):
        from arbbot.engine import searcher

        return getattr(searcher, name)
    raise AttributeError(name)
