"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

DIGITS = 78  # len(str(2**256 - 1)): any uint256 / int256 fits
LIMIT = 10**DIGITS


class ExactInt(TypeDecorator[int]):
    """A signed integer of up to 78 decimal digits, read back exactly.

    PostgreSQL: NUMERIC(78, 0). SQLite: decimal text, because a NUMERIC column there silently turns
    values beyond 64 bits into floats. On SQLite, SQL-side ordering and sums are therefore textual:
    compare and add such amounts in Python.
    """

    impl = String(DIGITS + 1)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """NUMERIC(78, 0) on PostgreSQL, decimal text elsewhere (SQLite's NUMERIC would lose precision)."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(DIGITS, 0, asdecimal=True))
        return dialect.type_descriptor(String(DIGITS + 1))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | str | None:
        """Check and convert an int for storage; raises `TypeError` for a non-int (bool included) and `ValueError`
        beyond 78 digits.
        """
        if value is None:
            return None
        # bool is an int subclass and float/Decimal would hide rounding: only real ints get in.
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"ExactInt column takes an int, got {type(value).__name__}")
        if not -LIMIT < value < LIMIT:
            raise ValueError(f"{value} has more than {DIGITS} digits")
        return Decimal(value) if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        """The stored value back as an exact `int`."""
        return None if value is None else int(value)

    @property
    def python_type(self) -> type[int]:
        """Values of this column are Python `int` (never float or Decimal)."""
        return int


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both backends (SQLite has no time zones: it returns naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """The value in UTC; raises `ValueError` for anything but a timezone-aware `datetime`."""
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"a timezone-aware datetime is required, got {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """The stored timestamp as an aware UTC `datetime` (SQLite's naive values are taken as UTC)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        """Values of this column are aware `datetime` objects in UTC."""
        return datetime


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC `datetime`."""
    return datetime.now(UTC)
