"""JSON log lines carry the message, level, logger and extra fields, one object per line."""

from __future__ import annotations

import json
import logging

from arbbot.logs import JsonFormatter


def test_json_lines_have_fields_and_extras() -> None:
    rec = logging.LogRecord("arbbot.engine", logging.WARNING, __file__, 1, "bundle %s refused", ("0xab",), None)
    rec.builder = "local"
    rec.block = 42
    doc = json.loads(JsonFormatter().format(rec))
    assert doc["msg"] == "bundle 0xab refused"
    assert doc["level"] == "WARNING"
    assert doc["logger"] == "arbbot.engine"
    assert doc["builder"] == "local" and doc["block"] == 42
    assert doc["ts"].endswith("+00:00")


def test_exceptions_are_kept() -> None:
    try:
        raise ValueError("garbage from node")
    except ValueError:
        import sys

        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    doc = json.loads(JsonFormatter().format(rec))
    assert "ValueError: garbage from node" in doc["exc"]
