"""Keeping pace: hand a slow consumer only the newest item of a stream, saying how many it passed over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def newest(stream: AsyncIterator[T]) -> AsyncIterator[tuple[T, int]]:
    """Yield (item, skipped): the stream is read on its own while the consumer works; when several items
    arrived meanwhile only the last is handed over, with the number of earlier ones it replaces.

    An error of the stream reaches the consumer after the items that came before it.
    """
    latest: list[T] = []
    skipped = 0
    failure: list[BaseException] = []
    finished = asyncio.Event()
    wake = asyncio.Event()

    async def pump() -> None:
        nonlocal skipped
        try:
            async for item in stream:
                if latest:
                    skipped += 1
                    latest[0] = item
                else:
                    latest.append(item)
                wake.set()
        except Exception as exc:  # handed to the consumer, in order
            failure.append(exc)
        finally:
            finished.set()
            wake.set()

    task = asyncio.create_task(pump())
    try:
        while True:
            await wake.wait()
            wake.clear()
            if latest:
                item, n = latest.pop(), skipped
                skipped = 0
                yield item, n
                continue
            if failure:
                raise failure[0]
            if finished.is_set():
                return
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
