"""The searcher engine: collectors -> strategies -> fork simulation -> executors, as a library object.

`Searcher` handles one block (`process_block`) or one pending transaction (`process_pending`) at a time,
or runs the collectors until `stop()`; `counters` and the `on_event` hook report progress.
`engine.factory.build` wires one from settings (what `arbbot run` does).
"""

from arbbot.engine.counters import Counters, SearcherEvent
from arbbot.engine.searcher import Searcher, SearcherParams

__all__ = ["Counters", "Searcher", "SearcherEvent", "SearcherParams"]
