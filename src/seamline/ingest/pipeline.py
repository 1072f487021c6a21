"""The ingest pipeline: decode on the caller's thread, commit on one writer thread.

Why decode on the caller's thread (HTTP worker, the MQTT network thread, the simulator): the
writer spends most of its time inside DuckDB, which releases the GIL, so decoding the next
messages overlaps with committing the previous ones; a rejection is known at once, by the caller
that can report it; and a full queue blocks the producer, which is the backpressure we want (the
MQTT thread stops reading its socket and the broker holds the messages).

The writer coalesces queued messages into one ``store.write_batch()`` when ``flush_readings`` are
pending or ``flush_interval_s`` after the first one arrived, whichever comes first, taking along
whatever else is queued by then (up to ``max_batch_readings``: under a backlog commits grow, and
a commit's fixed cost is spread over more readings). Completion callbacks and futures fire only
after that durable commit, in submission order.

The writer does not wake up per message: after the first message of a flush it sleeps until the
deadline, or until a producer tells it that ``flush_readings`` are queued (or a flush or stop is
asked for), then takes everything queued at once. At a thousand messages a second that saves a
thread switch, and a round of GIL hand-offs, per message.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import itertools
import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final, Self

from seamline.errors import SeamlineError
from seamline.ingest.binary import is_binary
from seamline.ingest.decode import (
    REJECTION_REASONS,
    IngestError,
    RejectedMessage,
    decode_message,
    decode_messages,
)
from seamline.ingest.liveness import Liveness
from seamline.model.factory import Factory
from seamline.store.base import Store, WriteResult
from seamline.telemetry import DeviceBatch

log = logging.getLogger(__name__)

RawMessage = bytes | bytearray | memoryview | str | Mapping[str, Any]
Key = tuple[str, int, int]
RATE_WINDOW_S: Final = 10.0
# Upper bounds (s) of the commit-duration histogram exported on /metrics.
COMMIT_BUCKETS_S: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A commit costs DuckDB ~20 ms of CPU whatever its size, so under load bigger commits carry more:
# measured through MQTT, 1 M-reading commits need 0.31 CPU-s per million readings against 0.39 with
# 200 k. The writer commits once ``flush_readings`` are pending (or the interval is up), taking
# whatever else is already queued, up to this many readings.
MAX_BATCH_READINGS: Final = 1_000_000


class IngestorStoppedError(IngestError):
    """A message was submitted while the ingestor is not running."""

    status_code = 503
    reason = "ingest_stopped"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message of a submission that was rejected; ``index`` is its position in the submission."""

    index: int
    error: RejectedMessage

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "reason": self.error.reason, "message": self.error.message}


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one submission after its commit: new messages, duplicates, rejections."""

    accepted: int
    duplicates: int
    rejected: tuple[Rejection, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
        }


Done = Callable[[Receipt | BaseException], None]
Committed = Callable[[Sequence[DeviceBatch], int], None]


@dataclass(slots=True)
class _Work:
    batches: list[DeviceBatch]
    rejected: list[Rejection]
    done: Done | None
    enqueued_s: float
    readings: int


@dataclass(slots=True)
class _Flush:
    event: threading.Event


_STOP: Final = object()


class Ingestor:
    """Validates messages from every transport and commits them to ``store`` on one writer thread.

    >>> from seamline.model.loader import load_factory
    >>> from seamline.store.duckdb import DuckDBStore
    >>> factory = load_factory()
    >>> store = DuckDBStore(":memory:").opened(factory)
    >>> with Ingestor(factory, store, clock_ms=lambda: 1795363200500) as ingestor:
    ...     ingestor.submit_messages([{"device": "L01-S03", "seq": 1, "sent_ts": 1795363200000}])
    1
    >>> store.message_count()
    1
    """

    def __init__(
        self,
        factory: Factory,
        store: Store,
        *,
        flush_interval_s: float = 0.25,
        flush_readings: int = 200_000,
        max_batch_readings: int = MAX_BATCH_READINGS,
        max_queue: int = 10_000,
        dedup_window: int = 200_000,
        commit_attempts: int = 3,
        clock_ms: Callable[[], int] | None = None,
        on_commit: Committed | None = None,
        device_timeout_s: float | None = None,
    ) -> None:
        """``on_commit(batches, commit_ms)`` (and each :meth:`add_commit_listener`) runs on the writer
        thread after each durable commit with
        the messages it newly stored and the wall-clock time of the commit (ms); benchmarks measure
        latency with it. It must be quick: the writer waits for it.

        ``self.liveness`` (:class:`~seamline.ingest.liveness.Liveness`) records when each device was
        last heard from, on ``clock_ms``; ``device_timeout_s`` overrides every device's default
        timeout (:func:`~seamline.ingest.liveness.device_timeout_s`)."""
        self.factory = factory
        self.store = store
        self.liveness = Liveness(factory, timeout_s=device_timeout_s, clock_ms=clock_ms)
        self.flush_interval_s = flush_interval_s
        self.flush_readings = flush_readings
        self.max_batch_readings = max(max_batch_readings, flush_readings)
        self.commit_attempts = commit_attempts
        self._clock_ms = clock_ms or _now_ms
        self._listeners: list[Committed] = [on_commit] if on_commit is not None else []
        # Bounded in messages, not queue items: one item may carry a whole socket read of them.
        self.max_queue = max_queue
        self._queue: queue.Queue[object] = queue.Queue()
        self._recent = _RecentKeys(dedup_window)
        self._thread: threading.Thread | None = None
        self._running = False
        self._submit_lock = threading.Lock()
        self._wake = threading.Event()  # a producer's hint to the sleeping writer: flush now
        self._room = threading.Condition(self._submit_lock)  # the writer took messages off the queue
        self._queued_messages = 0  # under _submit_lock
        self._enqueued_readings = 0  # under _submit_lock
        self._dequeued_readings = 0  # by the writer only, once a batch is complete
        self._count_lock = threading.Lock()
        self._log_rejection = _RejectionLog()
        # counters: received/rejected by callers (under _count_lock), the rest by the writer only
        self._received: Counter[str] = Counter()
        self._rejected: Counter[str] = Counter(dict.fromkeys(REJECTION_REASONS, 0))
        # (device, reason) -> count, for the registry's devices only: a flood of made-up device ids
        # cannot grow it (they are counted by reason above)
        self._rejected_by_device: Counter[tuple[str, str]] = Counter()
        self._submitted = 0
        self._processed = 0
        self._messages = 0
        self._readings = 0
        self._events = 0
        self._duplicates = 0
        self._commits = 0
        self._commit_failures = 0
        self._commit_failures_in_a_row = 0
        self._last_commit_ms: int | None = None
        self._commit_duration_s: float | None = None
        self._commit_lag_s: float | None = None
        self._rate: deque[tuple[float, int]] = deque()
        self._rate_lock = threading.Lock()
        # commit durations (s): counts per bucket of COMMIT_BUCKETS_S, for /metrics; writer only
        self.commit_buckets = [0] * (len(COMMIT_BUCKETS_S) + 1)
        self.commit_seconds_total = 0.0
        self.longest_commit_s = 0.0
        self.writer_restarts = 0
        self._writer_error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def add_commit_listener(self, listener: Committed) -> None:
        """Also call ``listener(batches, commit_ms)`` after each commit (see ``on_commit``); one
        added while the writer runs is called from its next commit on."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        with self._submit_lock:
            if self._running:
                return
            self._running = True
            self._thread = threading.Thread(target=self._run, name="seamline-ingest-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop taking messages, commit everything already submitted, then stop the writer."""
        with self._submit_lock:
            if not self._running:
                return
            self._running = False
            self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def thread_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ensure_running(self) -> bool:
        """Restart the writer thread if it died while ingest runs; ``True`` when it did.

        Whatever the dead writer held uncommitted was never acknowledged, so the transports'
        senders resend it; what is still queued is committed by the new writer.
        """
        with self._submit_lock:
            if not self._running or self._thread is None or self._thread.is_alive():
                return False
            self.writer_restarts += 1
            log.error(
                "the ingest writer thread died (%r); restarting it (restart %d)",
                self._writer_error,
                self.writer_restarts,
            )
            self._thread = threading.Thread(target=self._run, name="seamline-ingest-writer", daemon=True)
            self._thread.start()
            return True

    def health(self) -> dict[str, Any]:
        """For readiness and ``/metrics``: the writer is alive and its commits succeed."""
        alive = self.thread_alive
        return {
            "healthy": alive and self._running and self._commit_failures_in_a_row == 0,
            "thread_alive": alive,
            "running": self._running,
            "queue_depth": self._submitted - self._processed,
            "max_queue": self.max_queue,
            "commits": self._commits,
            "commit_failures": self._commit_failures,
            "longest_commit_s": round(self.longest_commit_s, 4),
            "writer_restarts": self.writer_restarts,
            "last_error": None if self._writer_error is None else repr(self._writer_error),
        }

    # -- submitting ------------------------------------------------------------------------------

    def submit(
        self,
        raw: RawMessage,
        *,
        transport: str,
        topic_device: str | None = None,
        on_done: Done | None = None,
    ) -> None:
        """Validate one message and queue it; rejections are counted and logged, not raised.

        ``on_done`` is called on the writer thread, in submission order, with the :class:`Receipt`
        once the message is durably committed (or known to be a duplicate or rejected), or with the
        exception when the commit failed. MQTT acknowledges in it.
        """
        received_ms = self._clock_ms()
        try:
            batch = decode_message(raw, self.factory, received_ts_ms=received_ms, topic_device=topic_device)
        except RejectedMessage as err:
            self.record_rejection(err, transport=transport)
            if on_done is not None:
                self._enqueue(_Work([], [Rejection(0, err)], on_done, time.monotonic(), 0), 0)
            return
        self._count_received(transport, 1)
        self.liveness.heard((batch,), _wire(transport, raw))
        self._enqueue(_Work([batch], [], on_done, time.monotonic(), len(batch)), 1)

    def submit_messages(self, messages: Sequence[RawMessage], *, transport: str = "sim") -> int:
        """Fast path for producers in this process: validate many messages, queue them as one unit.

        Returns how many were queued; the rejected ones are counted and logged.
        """
        batches, _ = self._decode_many(messages, transport, itertools.repeat(None))
        if batches:
            self._enqueue(_Work(batches, [], None, time.monotonic(), sum(map(len, batches))), len(batches))
        return len(batches)

    def submit_many(
        self,
        messages: Sequence[RawMessage],
        *,
        transport: str,
        topic_devices: Sequence[str | None],
        on_done: Done | None = None,
    ) -> None:
        """Validate many messages, each with the device its topic names, and queue them as one unit.

        ``on_done`` is called once, as for :meth:`submit`, with one :class:`Receipt` for them all
        (rejections indexed by position). The MQTT subscriber hands on everything one socket read
        brought this way and acknowledges all of it in one write.
        """
        batches, rejected = self._decode_many(messages, transport, topic_devices)
        if batches or (rejected and on_done is not None):
            work = _Work(batches, rejected, on_done, time.monotonic(), sum(map(len, batches)))
            self._enqueue(work, len(batches))

    def submit_future(
        self, messages: Sequence[RawMessage], *, transport: str, topic_device: str | None = None
    ) -> Future[Receipt]:
        """Validate and queue ``messages``; the future resolves after their commit."""
        batches, rejected = self._decode_many(messages, transport, itertools.repeat(topic_device))
        fut: Future[Receipt] = Future()
        self._enqueue(
            _Work(batches, rejected, _resolver(fut), time.monotonic(), sum(map(len, batches))), len(batches)
        )
        return fut

    async def submit_and_wait(
        self,
        messages: RawMessage | Sequence[RawMessage],
        *,
        transport: str,
        topic_device: str | None = None,
    ) -> Receipt:
        """Like :meth:`submit_future`, awaited: returns once the messages are durably committed.

        Decoding runs in a worker thread so a large body does not stall the event loop.
        """
        items: Sequence[RawMessage] = (
            [messages] if isinstance(messages, bytes | bytearray | memoryview | str | Mapping) else messages
        )
        fut = await asyncio.to_thread(
            self.submit_future, items, transport=transport, topic_device=topic_device
        )
        return await asyncio.wrap_future(fut)

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until everything submitted so far is committed; False if ``timeout_s`` ran out."""
        marker = _Flush(threading.Event())
        self._enqueue(marker, 0)
        return marker.event.wait(timeout_s)

    def record_rejection(self, err: RejectedMessage, *, transport: str) -> None:
        """Count and (rate-limited) log a rejection found outside :meth:`submit`, e.g. a bad HTTP body."""
        device = err.device_id
        with self._count_lock:
            self._received[transport] += 1
            self._rejected[err.reason] += 1
            if device is not None and device in self.factory.devices_by_id:
                self._rejected_by_device[(device, err.reason)] += 1
        self._log_rejection(err, transport)

    def _decode_many(
        self, messages: Sequence[RawMessage], transport: str, topic_devices: Iterable[str | None]
    ) -> tuple[list[DeviceBatch], list[Rejection]]:
        received_ms = self._clock_ms()
        factory = self.factory
        batches: list[DeviceBatch] = []
        rejected: list[Rejection] = []
        outcomes = decode_messages(messages, factory, received_ts_ms=received_ms, topic_devices=topic_devices)
        binary: list[DeviceBatch] = []  # of a transport that carries JSON and binary alike
        mixed = transport in _TWO_FORMATS
        for i, outcome in enumerate(outcomes):
            if isinstance(outcome, DeviceBatch):
                batches.append(outcome)
                if mixed and is_binary(messages[i]):
                    binary.append(outcome)
            else:
                self.record_rejection(outcome, transport=transport)
                rejected.append(Rejection(i, outcome))
        self._count_received(transport, len(batches))
        if not mixed:
            self.liveness.heard(batches, transport)
        elif len(binary) == len(batches):
            self.liveness.heard(batches, transport + "_binary")
        else:
            framed = {id(b) for b in binary}
            self.liveness.heard([b for b in batches if id(b) not in framed], transport + "_json")
            self.liveness.heard(binary, transport + "_binary")
        return batches, rejected

    def _count_received(self, transport: str, n: int) -> None:
        with self._count_lock:
            self._received[transport] += n

    def _enqueue(self, item: _Work | _Flush, n_messages: int) -> None:
        """Queue ``item``, first waiting while ``max_queue`` messages are queued (backpressure)."""
        with self._submit_lock:  # so nothing slips in behind the stop marker
            self._check_running()
            if n_messages:
                while self._queued_messages and self._queued_messages + n_messages > self.max_queue:
                    self._room.wait()
                    self._check_running()  # stopped while waiting: the stop marker is queued
                self._queued_messages += n_messages
            self._submitted += n_messages
            self._queue.put(item)
            if isinstance(item, _Work):
                self._enqueued_readings += item.readings
                if self._enqueued_readings - self._dequeued_readings < self.flush_readings:
                    return
            self._wake.set()

    def _check_running(self) -> None:
        if not self._running:
            raise IngestorStoppedError("ingest is not running; start the Ingestor before submitting messages")

    # -- the writer ------------------------------------------------------------------------------

    def _took(self, item: object) -> object:
        """The writer took ``item`` off the queue: make room for producers waiting in _enqueue."""
        if isinstance(item, _Work) and item.batches:
            with self._submit_lock:
                self._queued_messages -= len(item.batches)
                self._room.notify_all()
        return item

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # noted for health(); the watchdog restarts the writer
            self._writer_error = exc
            raise

    def _loop(self) -> None:
        while True:
            item = self._took(self._queue.get())  # asleep until the first message of the next flush
            deadline = time.monotonic() + self.flush_interval_s
            pending: list[_Work] = []
            n_readings = 0
            while isinstance(item, _Work):
                pending.append(item)
                n_readings += item.readings
                item = self._next(deadline, n_readings)
            self._dequeued_readings += n_readings  # producers count what is queued or held here
            if pending:
                self._commit(pending)
            if isinstance(item, _Flush):
                item.event.set()
            elif item is _STOP:
                return

    def _next(self, deadline: float, n_readings: int) -> object | None:
        """The next queued item for this flush, or ``None`` when the flush is due.

        Due: ``flush_readings`` are pending and nothing more is queued, or the deadline has come,
        or ``max_batch_readings`` are pending. Under a backlog the batch grows to the maximum.
        """
        while n_readings < self.max_batch_readings:
            try:
                return self._took(self._queue.get_nowait())
            except queue.Empty:
                pass
            if n_readings >= self.flush_readings:
                return None
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                return None
            self._wake.wait(timeout)
            self._wake.clear()  # before looking at the queue again: a later hint is not lost
        return None

    def _commit(self, items: list[_Work]) -> None:
        seen: set[Key] = set()
        fresh: list[DeviceBatch] = []
        n_batches = 0
        for w in items:
            n_batches += len(w.batches)
            for b in w.batches:
                key = b.key
                if key not in seen and key not in self._recent:
                    seen.add(key)
                    fresh.append(b)
        started = time.monotonic()
        try:
            result = self._write(fresh)
        except Exception as exc:
            self._commit_failures += 1
            self._commit_failures_in_a_row += 1
            self._writer_error = exc
            self._processed += n_batches
            log.exception(
                "could not commit %d messages; they are not stored and were not acknowledged", len(fresh)
            )
            for w in items:
                _call(w.done, exc)
            return
        now = time.monotonic()
        self._recent.update(seen)
        stored_twice = set(result.duplicate_keys)
        self._messages += result.messages
        self._readings += result.readings
        self._events += result.events
        self._duplicates += n_batches - result.messages
        self._processed += n_batches
        self._commits += 1
        self._last_commit_ms = self._clock_ms()
        self._observe_commit(now - started)
        self._commit_lag_s = now - items[0].enqueued_s
        with self._rate_lock:
            self._rate.append((now, result.readings))
        if self._listeners and result.messages:
            stored = [b for b in fresh if b.key not in stored_twice] if stored_twice else fresh
            commit_ms = _now_ms()
            for listener in self._listeners:
                try:
                    listener(stored, commit_ms)
                except Exception:  # an observer must not stop the writer
                    log.exception("ingest commit listener %r failed", listener)
        claimed: set[Key] = set()
        for w in items:
            if w.done is None:
                continue
            accepted = 0
            for b in w.batches:
                key = b.key
                if key in seen and key not in stored_twice and key not in claimed:
                    claimed.add(key)
                    accepted += 1
            _call(w.done, Receipt(accepted, len(w.batches) - accepted, tuple(w.rejected)))

    def _observe_commit(self, took_s: float) -> None:
        self._commit_duration_s = took_s
        self._commit_failures_in_a_row = 0
        self.commit_buckets[bisect.bisect_left(COMMIT_BUCKETS_S, took_s)] += 1
        self.commit_seconds_total += took_s
        self.longest_commit_s = max(self.longest_commit_s, took_s)

    def _write(self, batches: list[DeviceBatch]) -> WriteResult:
        for attempt in range(1, self.commit_attempts + 1):
            try:
                return self.store.write_batch(batches)
            except SeamlineError as exc:
                if attempt == self.commit_attempts:
                    raise
                delay_s = 0.2 * 2**attempt
                log.warning(
                    "commit of %d messages failed (%s); attempt %d of %d in %.1f s",
                    len(batches),
                    exc,
                    attempt + 1,
                    self.commit_attempts,
                    delay_s,
                )
                time.sleep(delay_s)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- observing -------------------------------------------------------------------------------

    def rejected_by_device(self) -> dict[str, dict[str, int]]:
        """device -> reason -> messages of that registered device rejected since ingest started."""
        with self._count_lock:
            pairs = list(self._rejected_by_device.items())
        out: dict[str, dict[str, int]] = {}
        for (device, reason), n in pairs:
            out.setdefault(device, {})[reason] = n
        return out

    def stats(self) -> dict[str, Any]:
        """Counters for ``GET /api/v1/ingest/stats``; messages and readings counted after commit."""
        now = time.monotonic()
        with self._rate_lock:
            while self._rate and now - self._rate[0][0] > RATE_WINDOW_S:
                self._rate.popleft()
            recent = sum(n for _, n in self._rate)
        with self._count_lock:
            rejected = dict(self._rejected)
            received = dict(self._received)
        last = self._last_commit_ms
        return {
            "running": self._running,
            "received": received,
            "messages_accepted": self._messages,
            "readings_accepted": self._readings,
            "events_accepted": self._events,
            "duplicates": self._duplicates,
            "rejected": rejected,
            "rejected_total": sum(rejected.values()),
            "rejected_by_device": self.rejected_by_device(),
            "queue_depth": self._submitted - self._processed,
            "commits": self._commits,
            "commit_failures": self._commit_failures,
            "last_commit_ts_ms": last,
            "last_commit_at": None
            if last is None
            else dt.datetime.fromtimestamp(last / 1000, dt.UTC).isoformat(),
            "commit_duration_s": self._commit_duration_s,
            "longest_commit_s": self.longest_commit_s,
            "commit_lag_s": self._commit_lag_s,
            "readings_per_s": recent / RATE_WINDOW_S,
        }


_TWO_FORMATS: Final = frozenset({"mqtt", "http"})  # their payloads are JSON or binary frames


def _wire(transport: str, raw: object) -> str:
    """The transport a message came over, with its format where the transport carries both."""
    if transport in _TWO_FORMATS:
        return transport + ("_binary" if is_binary(raw) else "_json")
    return transport


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _resolver(fut: Future[Receipt]) -> Done:
    def done(outcome: Receipt | BaseException) -> None:
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)

    return done


def _call(done: Done | None, outcome: Receipt | BaseException) -> None:
    if done is None:
        return
    try:
        done(outcome)
    except Exception:  # a broken callback must not stop the writer
        log.exception("ingest completion callback failed")


class _RecentKeys:
    """The last ``capacity`` committed message keys: catches resends without asking the store."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._order: deque[Key] = deque()
        self._keys: set[Key] = set()

    def __contains__(self, key: Key) -> bool:
        return key in self._keys

    def update(self, keys: set[Key]) -> None:
        self._order.extend(keys)
        self._keys |= keys
        while len(self._order) > self.capacity:
            self._keys.discard(self._order.popleft())


class _RejectionLog:
    """Logs rejections at WARNING, at most ``burst`` per window, then one summary of the rest."""

    def __init__(self, burst: int = 10, window_s: float = 10.0) -> None:
        self.burst = burst
        self.window_s = window_s
        self._lock = threading.Lock()
        self._window_start = time.monotonic()
        self._logged = 0
        self._suppressed: Counter[str] = Counter()

    def __call__(self, err: RejectedMessage, transport: str) -> None:
        now = time.monotonic()
        with self._lock:
            summary: dict[str, int] | None = None
            if now - self._window_start >= self.window_s:
                summary = dict(self._suppressed) if self._suppressed else None
                self._window_start, self._logged, self._suppressed = now, 0, Counter()
            emit = self._logged < self.burst
            if emit:
                self._logged += 1
            else:
                self._suppressed[err.reason] += 1
        if summary:
            log.warning(
                "%d more rejected messages were not logged in the last %.0f s, by reason: %s",
                sum(summary.values()),
                self.window_s,
                summary,
            )
        if emit:
            log.warning(
                "rejected %s message from device %s (%s): %s",
                transport,
                err.device_id or "?",
                err.reason,
                err.message,
            )
