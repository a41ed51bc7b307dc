"""Log setup: human-readable lines by default, one JSON object per line with `--log-json`."""

from __future__ import annotations

import datetime as dt
import json
import logging

# LogRecord attributes that are not caller-supplied `extra=` fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """ts, level, logger, msg, any `extra=` fields, and the exception text if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """One log record as a single-line JSON object (non-JSON `extra=` values as their repr)."""
        doc: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                doc[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, separators=(",", ":"))


def configure(level: str, *, as_json: bool = False) -> None:
    """Send all logging to stderr at `level`, as plain lines or (`as_json`) one JSON object per line.

    Replaces any handlers already on the root logger, so calling it again does not duplicate lines.
    """
    handler = logging.StreamHandler()
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # alembic logs its plugin setup at INFO when first imported, which the CLI now does after this
    # point (commands import the database lazily): keep that chatter out unless DEBUG is asked for.
    logging.getLogger("alembic").setLevel(logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING)
