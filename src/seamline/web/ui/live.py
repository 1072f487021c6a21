"""One live stream per screen: server-sent events carrying the screen's snapshot when it changes.

Each topic (``floor``, ``line:L01``, ...) has one producer that computes the snapshot once for
every client watching it, so fifty wall screens cost what one does. A producer runs only while
someone watches; it wakes when ingest commits new data (at most every ``min_interval_s``) and at
least every ``max_interval_s``, so the data-age badge keeps ticking on a quiet floor. A slow
client gets the newest snapshot, never a backlog: each subscriber holds at most one unsent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Producer = Callable[[], bytes]  # computes one snapshot (JSON bytes); runs in a worker thread


@dataclass(eq=False)
class _Topic:
    produce: Producer
    subscribers: set[asyncio.Queue[bytes]] = field(default_factory=set)
    last: bytes | None = None
    task: asyncio.Task[None] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class LiveHub:
    """Snapshots per topic, pushed to every subscriber. ``resolve`` maps a topic to its producer
    (None: no such topic)."""

    def __init__(
        self,
        resolve: Callable[[str], Producer | None],
        *,
        min_interval_s: float = 0.25,
        max_interval_s: float = 1.0,
    ) -> None:
        self._resolve = resolve
        self.min_interval_s = min_interval_s
        self.max_interval_s = max_interval_s
        self._topics: dict[str, _Topic] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.snapshots = 0  # computed, for the metrics and the benchmark

    def known(self, topic: str) -> bool:
        return topic in self._topics or self._resolve(topic) is not None

    def notify(self) -> None:
        """New data was stored (called from any thread): wake the producers."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        for entry in self._topics.values():
            entry.changed.set()

    @property
    def watchers(self) -> int:
        return sum(len(t.subscribers) for t in self._topics.values())

    async def subscribe(self, topic: str) -> AsyncGenerator[bytes, None]:
        """The topic's snapshots, the current one first, until the caller stops iterating."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        entry = self._topics.get(topic)
        if entry is None:
            produce = self._resolve(topic)
            if produce is None:
                raise KeyError(topic)
            entry = self._topics[topic] = _Topic(produce)
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)
        entry.subscribers.add(queue)
        if entry.last is not None:
            queue.put_nowait(entry.last)
        if entry.task is None or entry.task.done():
            entry.task = asyncio.create_task(self._run(topic, entry), name=f"live:{topic}")
        try:
            while True:
                yield await queue.get()
        finally:
            entry.subscribers.discard(queue)

    async def _run(self, topic: str, entry: _Topic) -> None:
        changed = entry.changed
        while entry.subscribers:
            started = time.monotonic()
            changed.clear()  # data stored from now on wakes the next round, even while this one runs
            try:
                snapshot = await asyncio.to_thread(entry.produce)
            except Exception:  # a screen must survive one bad snapshot; the next may be fine
                log.exception("live topic %s: the snapshot failed", topic)
                snapshot = None
            self.snapshots += 1
            if snapshot is not None and snapshot != entry.last:
                entry.last = snapshot
                for queue in list(entry.subscribers):
                    if queue.full():
                        queue.get_nowait()  # drop the stale one: a slow screen skips to the newest
                    queue.put_nowait(snapshot)
            spent = time.monotonic() - started
            await asyncio.sleep(max(0.0, self.min_interval_s - spent))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), self.max_interval_s)
        entry.last = None  # nobody watches: the next watcher gets a fresh one


def sse(event: str, data: bytes) -> bytes:
    """One server-sent event (WHATWG HTML, "Server-sent events"); ``data`` holds no newline."""
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


__all__ = ["LiveHub", "Producer", "sse"]
