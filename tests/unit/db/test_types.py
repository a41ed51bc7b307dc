"""Column types: exact integers and UTC timestamps, per dialect, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from arbbot.db.types import LIMIT, ExactInt, UTCDateTime

PG = postgresql.dialect()
SQLITE = sqlite.dialect()
MAX = 2**256 - 1


def test_exact_int_is_numeric_78_on_postgresql_and_text_on_sqlite() -> None:
    assert str(ExactInt().load_dialect_impl(PG).compile(dialect=PG)) == "NUMERIC(78, 0)"
    assert str(ExactInt().load_dialect_impl(SQLITE).compile(dialect=SQLITE)) == "VARCHAR(79)"


@pytest.mark.parametrize("value", [0, 1, -1, MAX, -MAX, 2**255, -(2**255), LIMIT - 1, -(LIMIT - 1)])
def test_exact_int_bind_and_result_are_exact(value: int) -> None:
    t = ExactInt()
    assert t.process_bind_param(value, PG) == Decimal(value)
    assert t.process_bind_param(value, SQLITE) == str(value)
    assert t.process_result_value(Decimal(value), PG) == value
    assert t.process_result_value(str(value), SQLITE) == value
    assert t.process_bind_param(None, PG) is None and t.process_result_value(None, SQLITE) is None


@pytest.mark.parametrize("bad", [1.0, Decimal(1), "1", True])
def test_exact_int_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(TypeError):
        ExactInt().process_bind_param(bad, SQLITE)


@pytest.mark.parametrize("too_big", [LIMIT, -LIMIT, 2**260])
def test_exact_int_refuses_more_than_78_digits(too_big: int) -> None:
    with pytest.raises(ValueError):
        ExactInt().process_bind_param(too_big, PG)


_meta = MetaData()
_amounts = Table("amounts", _meta, Column("id", Integer, primary_key=True), Column("v", ExactInt))


@given(st.lists(st.integers(min_value=-(LIMIT - 1), max_value=LIMIT - 1), min_size=1, max_size=50))
def test_exact_int_round_trips_through_real_sqlite(values: list[int]) -> None:
    # A plain NUMERIC column would hand back floats for anything beyond 64 bits.
    engine = create_engine("sqlite://")
    _meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(_amounts), [{"v": v} for v in values])
        assert conn.scalars(select(_amounts.c.v).order_by(_amounts.c.id)).all() == values
    engine.dispose()


def test_utc_datetime_stores_utc_and_reads_aware() -> None:
    t = UTCDateTime()
    plus2 = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    stored = t.process_bind_param(plus2, SQLITE)
    assert stored == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert t.process_result_value(datetime(2024, 1, 1, 10), SQLITE) == datetime(2024, 1, 1, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        t.process_bind_param(datetime(2024, 1, 1), PG)
