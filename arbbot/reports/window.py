"""The span a report covers: `--since` / `--until` as dates, times (UTC) or block numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from arbbot.db.schemas import BundleRecord, TradeRecord


@dataclass(frozen=True)
class Window:
    """The span a report covers, by the time a trade or bundle was recorded (`since` inclusive, `until` exclusive, both
    UTC) and/or by block (both bounds inclusive); None leaves that side open.
    """

    since: datetime | None = None  # inclusive, by when a trade or bundle was recorded
    until: datetime | None = None  # exclusive
    from_block: int | None = None  # inclusive
    to_block: int | None = None  # inclusive

    def label(self) -> str:
        """The span for people, such as "2026-12-01 00:00 UTC – now" or "block 120 – block 180"."""

        def side(t: datetime | None, b: int | None, open_: str) -> str:
            if b is not None:
                return f"block {b}"
            return t.strftime("%Y-%m-%d %H:%M UTC") if t else open_

        return f"{side(self.since, self.from_block, 'start')} – {side(self.until, self.to_block, 'now')}"

    def has_trade(self, t: TradeRecord) -> bool:
        """Whether a trade falls in the window: its block within the block bounds (a trade without a block is then
        outside) and its record time within the time bounds (a trade without one is inside only when the window has
        no time bounds).
        """
        if self.from_block is not None and (t.block_number is None or t.block_number < self.from_block):
            return False
        if self.to_block is not None and (t.block_number is None or t.block_number > self.to_block):
            return False
        return self._in_time(t.created_at)

    def has_bundle(self, b: BundleRecord) -> bool:
        """Whether a bundle falls in the window: one of its target blocks within the block bounds (targets need not be
        consecutive: one before and one after the window is outside), and its record time within the time bounds,
        as for trades.
        """
        if self.from_block is not None or self.to_block is not None:
            low = self.from_block if self.from_block is not None else 0
            high = self.to_block
            if not any(n >= low and (high is None or n <= high) for n in b.target_blocks):
                return False
        return self._in_time(b.created_at)

    def _in_time(self, at: datetime | None) -> bool:
        if at is None:
            return self.since is None and self.until is None
        if self.since is not None and at < self.since:
            return False
        return not (self.until is not None and at >= self.until)


def parse_bound(value: str | None, field: str, *, end: bool = False) -> datetime | int | None:
    """A block number, a date (YYYY-MM-DD; as `--until`, the whole day is included) or an ISO time (UTC
    unless it names a zone)."""
    if value is None or value == "":
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(), UTC)
            return start + timedelta(days=1) if end else start
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field}: not a block number, date (YYYY-MM-DD) or ISO time: {value!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def make_window(since: str | None, until: str | None) -> Window:
    """The window of `--since` and `--until` (each a block number, a date or an ISO time; see `parse_bound`); raises
    `ValueError` naming the option when a bound does not parse or the span is empty.
    """
    lo, hi = parse_bound(since, "--since"), parse_bound(until, "--until", end=True)
    w = Window(
        since=lo if isinstance(lo, datetime) else None, until=hi if isinstance(hi, datetime) else None,
        from_block=lo if isinstance(lo, int) else None, to_block=hi if isinstance(hi, int) else None,
    )  # fmt: skip
    if w.since and w.until and w.until <= w.since:
        raise ValueError(f"--until: {until!r} is not after --since {since!r}")
    if w.from_block is not None and w.to_block is not None and w.to_block < w.from_block:
        raise ValueError(f"--until: block {w.to_block} is before --since block {w.from_block}")
    return w


def day_window(day: date) -> Window:
    """The window of one UTC calendar day: from its midnight to the next."""
    start = datetime.combine(day, time(), UTC)
    return Window(since=start, until=start + timedelta(days=1))
