"""Pool state: discovery from factory logs, batch sync, per-block updates with reorg undo."""
