"""The production ledger kept up to date while the platform runs.

The ingest writer hands every committed batch to :meth:`ProductionEngine.committed`, which only
queues the events production reads (:data:`TYPES`); the engine's own thread applies them to the
:class:`~seamline.production.ledger.ProductionLedger`, so a slow update never holds the writer. On
start it takes up the ledger it saved in the store (:mod:`seamline.production.saved`) and replays
the events committed after it, or, without a usable one, rebuilds the ledger once from every event
stored (oldest first); then it follows new commits: no history is scanned again per update. It
saves the ledger every ``save_interval_s`` and when it stops.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from seamline.errors import SeamlineError
from seamline.ingest.decode import decode_message
from seamline.ingest.rejection import RejectedMessage
from seamline.model.factory import Factory
from seamline.production import saved
from seamline.production.downtime import DEFAULT_THRESHOLD_S, Downtime
from seamline.production.ledger import ProductionLedger, ScanException
from seamline.production.orders import OrderError
from seamline.store.base import Store, StoredEvent
from seamline.telemetry import DOWNTIME_REASONS, ORDER_EVENTS, ORDERS_DEVICE, DeviceBatch

log = logging.getLogger(__name__)

TYPES: Final = ("scan", "badge", "inspection", "state", "downtime", "decision", *ORDER_EVENTS)
DECISION_BOOT: Final = 4_294_967_295  # the boot number of decisions Seamline sends as a device
Submit = Callable[[dict[str, Any], Callable[[object], None]], None]  # message, on_done(receipt)
# events besides machine states read back at start: months of the reference factory
REBUILD_LIMIT: Final = 5_000_000
PLANNED_EFFICIENCY: Final = 0.70  # the setting's default: what the hourly targets plan for
_APPLY_AT_ONCE: Final = 5_000  # queued events applied under one hold of the lock, at most
SAVE_INTERVAL_S: Final = 300.0  # the setting's default: how often the ledger is saved in the store
_T = TypeVar("_T")
_Item = tuple[str, int, str, dict[str, Any], int]  # device, device ts, type, data, received (wall ms)


class DecisionRefusedError(SeamlineError):
    """A supervisor's decision that cannot be applied (the exception is closed, the operation done)."""

    status_code = 409
    reason = "decision_refused"


class ProductionEngine:
    """Owns the ledger: rebuild at start, then apply committed events on its own thread.

    Readers call :meth:`read` with a function of the ledger; it runs under the engine's lock so
    that it sees no half-applied event.
    """

    def __init__(
        self,
        factory: Factory,
        store: Store,
        *,
        submit: Submit | None = None,
        downtime_threshold_s: float = DEFAULT_THRESHOLD_S,
        planned_efficiency: float = PLANNED_EFFICIENCY,
        save_interval_s: float | None = None,
    ) -> None:
        """``submit(message, on_done)`` sends a message through ingest (the platform passes its
        ingestor's); supervisors' decisions travel that way into the store, so that a restart
        applies them again. ``planned_efficiency`` (a fraction) sets the lines' hourly targets.
        ``save_interval_s``: how often the ledger is saved in the store (and at :meth:`stop`), and
        taken up again by :meth:`start`; None: never (every start rebuilds it from every event)."""
        self.factory = factory
        self.planned_efficiency = planned_efficiency
        self.store = store
        self._submit = submit
        self._seq = 0
        self._threshold_s = downtime_threshold_s
        self.save_interval_s = save_interval_s
        self._upto = 0  # the store's last commit whose events the ledger holds (saved.py)
        self._saved_upto = -1  # what the newest save in the store holds
        self._saved_at = time.monotonic()
        self._restored: dict[str, Any] | None = None  # how start() got the ledger
        self._last_save: dict[str, Any] | None = None
        self._fingerprint: str | None = None  # of the code, the factory and the threshold (saved.py)
        self.ledger = ProductionLedger(factory, downtime_threshold_s=downtime_threshold_s)
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._applied = 0
        self._rebuilt = 0
        self._restarts = 0
        self._last_lag_s = 0.0
        # received by ingest -> visible in the API, seconds, of the newest events applied
        self.lags_s: deque[float] = deque(maxlen=100_000)
        self._last_error: str | None = None
        self._started = False
        self._order_lock = threading.Lock()  # one order write checked, stored and applied at a time

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Take up the saved ledger and replay the events stored after it, or rebuild the ledger
        from every stored event; rebuild the machine counters from the store's rollups; then follow
        new commits. Call it before ingest commits anything."""
        t = time.perf_counter()
        with self._lock:
            upto = self.store.wseq  # nothing commits meanwhile: the ledger holds every event up to it
            after = self._restore() if self.save_interval_s is not None else None
            rebuilt = replay_stored(self.ledger, self.store, after_wseq=after)
            _, ts, _ = self.store.latest_arrays()  # the floor's clock when it stopped
            if len(ts):
                self.ledger.observe(int(ts.max()))
            self._upto = upto
            self._saved_upto = upto if after == upto else -1
        self._rebuilt = rebuilt
        took = time.perf_counter() - t
        if after is not None:
            assert self._restored is not None  # _restore() set it
            self._restored.update(replayed_events=rebuilt, seconds=round(took, 3))
            log.info(
                "production records taken up from the state saved at commit %d (%.1f MB, read in %.1f s)"
                " and %d events stored after it, in %.1f s: %d records, %d open exceptions",
                after,
                self._restored["bytes"] / 1e6,
                self._restored["load_s"],
                rebuilt,
                took,
                len(self.ledger.records),
                sum(1 for x in self.ledger.exceptions if x.status == "open"),
            )
        elif rebuilt:
            log.info(
                "production records rebuilt from %d stored events in %.1f s: %d records, %d open exceptions",
                rebuilt,
                took,
                len(self.ledger.records),
                sum(1 for x in self.ledger.exceptions if x.status == "open"),
            )
        t = time.perf_counter()
        with self._lock:  # machine counters: from the store's hourly rollups, not their readings
            hours = self.ledger.counters.rebuild(self.store)
        log.info("machine counters rebuilt from %d stored hours in %.1f s", hours, time.perf_counter() - t)
        self._started = True
        self._spawn()

    def stop(self) -> None:
        """Apply what is queued, stop the thread, and save the ledger (when saves are on)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
            if self.save_interval_s is not None and self._last_error is None:
                self.save()
        self._started = False

    def _restore(self) -> int | None:
        """Put the saved ledger in place; the last commit it holds, or None (then nothing changed)."""
        t = time.perf_counter()
        try:
            found = self.store.load_state(saved.NAME)
        except SeamlineError as exc:
            log.warning("the saved production records cannot be read (%s); rebuilding them", exc)
            return None
        if found is None:
            return None
        try:
            ledger = saved.load(found.data, self.factory, downtime_threshold_s=self._threshold_s)
        except saved.SavedStateError as exc:
            log.warning(
                "the production records saved at commit %d are not used: %s; rebuilding them from"
                " every stored event",
                found.upto,
                exc.message,
            )
            self._restored = {"used": False, "why": exc.message}
            return None
        self.ledger = ledger
        self._restored = {
            "used": True,
            "upto": found.upto,
            "bytes": len(found.data),
            "load_s": round(time.perf_counter() - t, 3),
        }
        return found.upto

    def save(self) -> bool:
        """Save the ledger in the store now (on the engine's thread, or when it is stopped); False
        when the store refused it (logged: the next save tries again, a start rebuilds meanwhile)."""
        t = time.perf_counter()
        with self._lock:  # the ledger holds every event up to self._upto and none after
            upto, records = self._upto, len(self.ledger.records)
            raw = saved.pickled(self.ledger)
        held = time.perf_counter() - t
        if self._fingerprint is None:
            self._fingerprint = saved.fingerprint(self.factory, self._threshold_s)
        data = saved.pack(raw, self._fingerprint, records=records)
        del raw
        self._saved_at = time.monotonic()
        try:
            self.store.save_state(saved.NAME, upto, data)
        except SeamlineError as exc:
            log.warning("could not save the production records (%s); the next save tries again", exc)
            return False
        self._saved_upto = upto
        self._last_save = {
            "upto": upto,
            "bytes": len(data),
            "seconds": round(time.perf_counter() - t, 3),
            "lock_held_s": round(held, 3),
        }
        log.debug("production records saved at commit %d: %d bytes in %.2f s", upto, len(data), held)
        return True

    def committed(self, batches: Sequence[DeviceBatch], commit_ms: int) -> None:
        """The ingest writer's commit listener: queue the events that make production records, and
        the newest device time of the batches (the floor's clock: a machine in the same state for
        an hour sends no event, but its readings say the hour has passed), and the batches
        themselves once, for the engine's thread to sift their counter readings."""
        newest = 0
        events: list[_Item] = []
        for b in batches:
            if b.boot != DECISION_BOOT:
                newest = max(newest, b.sent_ts_ms)
            events.extend(
                (b.device_id, e.ts_ms, e.type, e.data, b.received_ts_ms) for e in b.events if e.type in TYPES
            )
        # one item per commit, with the store's number of it (this runs on the writer's thread
        # right after the commit): the engine never holds part of a commit when it saves
        data = {"events": events, "newest": newest, "batches": batches, "wseq": self.store.wseq}
        self._queue.put(("", commit_ms, "_commit", data, 0))

    def read(self, fn: Callable[[ProductionLedger], _T]) -> _T:
        """``fn(ledger)`` with no event half-applied."""
        with self._lock:
            return fn(self.ledger)

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued so far is applied (tests and the final report)."""
        done = threading.Event()
        self._queue.put(("", 0, "_mark", {"event": done}, 0))
        return done.wait(timeout_s)

    def decide(
        self,
        exception_id: int,
        action: str,
        *,
        operator: str | None = None,
        by: str | None = None,
        timeout_s: float = 10.0,
    ) -> ScanException:
        """A supervisor resolves (``action="resolve"``, optionally naming who did the work) or voids
        an exception. The decision is stored as a ``decision`` event of the exception's device
        before it is applied, and applied from there, as on every rebuild. Raises ``KeyError`` for
        an unknown exception and :class:`DecisionRefusedError` when it cannot be applied."""
        with self._lock:
            problem = self.ledger.decision_problem(exception_id, action, operator)
            exc = self.ledger.exceptions_by_id[exception_id]
        if problem is not None:
            raise DecisionRefusedError(problem)
        if self._submit is None:
            raise DecisionRefusedError("decisions need the platform's ingest; they run in `seamline serve`")
        event: dict[str, Any] = {"type": "decision", "action": action, "exception": exc.key}
        if operator:
            event["operator"] = operator
        if by:
            event["by"] = by
        self._send(exc.device_id, [event], timeout_s)
        return exc

    def assign_reason(
        self, downtime_id: int, reason: str, *, by: str | None = None, timeout_s: float = 10.0
    ) -> Downtime:
        """Give a stop its reason (typically an ``unassigned`` one), stored as a ``decision`` event
        of its device like the exceptions' decisions. Raises ``KeyError`` for an unknown stop."""
        if reason not in DOWNTIME_REASONS:
            raise DecisionRefusedError(f"reason {reason!r}: one of {', '.join(DOWNTIME_REASONS)}")
        with self._lock:
            stop = self.ledger.machines.by_id[downtime_id]
        event: dict[str, Any] = {
            "type": "decision",
            "action": "assign",
            "exception": stop.key,
            "reason": reason,
        }
        if by:
            event["by"] = by
        self._send(stop.device_id, [event], timeout_s)
        return stop

    def order(self, events: list[dict[str, Any]], *, timeout_s: float = 10.0) -> None:
        """Make, change or cancel an order, or add bundles (``order`` and ``bundle`` events without
        ``ts``): checked as ingest checks them and against the orders as they are, stored in one
        message of ``_orders``, then applied from there, as on every rebuild. Raises
        :class:`~seamline.production.orders.OrderError` (or ``NotFoundError`` for an unknown order)
        when any is refused; then none is stored."""
        message = self._message(ORDERS_DEVICE, events)
        try:
            decode_message(message, self.factory, received_ts_ms=message["sent_ts"])
        except RejectedMessage as exc:
            field = (exc.field or "").partition(".")[2] or None
            raise OrderError(exc.message.rpartition(f"field {exc.field!r}: ")[2], field=field) from None
        with self._order_lock:
            with self._lock:
                for event in events:
                    self.ledger.orders.check(event["type"], event)
            self._store(message, timeout_s, "order")

    def office(self, events: list[dict[str, Any]], *, what: str, timeout_s: float = 10.0) -> int:
        """Store Seamline's own office events (``aql_lot``, say) in one message of ``_orders``,
        checked as ingest checks them; returns their time stamp. Raises :class:`RejectedMessage`
        when ingest would refuse them, :class:`DecisionRefusedError` when they cannot be stored."""
        message = self._message(ORDERS_DEVICE, events)
        decode_message(message, self.factory, received_ts_ms=message["sent_ts"])
        self._store(message, timeout_s, what)
        return int(message["sent_ts"])

    def enter(
        self, device_id: str, events: list[dict[str, Any]], *, what: str, timeout_s: float = 10.0
    ) -> int:
        """Store events a person enters on a device's behalf (an inspection typed on the quality page
        for the line's bundle scanner), checked as ingest checks them, then wait until they are
        applied; returns their time stamp. Raises :class:`RejectedMessage` when ingest would refuse
        them and :class:`DecisionRefusedError` when they cannot be stored."""
        message = self._message(device_id, events)
        decode_message(message, self.factory, received_ts_ms=message["sent_ts"])
        self._store(message, timeout_s, what)
        return int(message["sent_ts"])

    def _send(self, device_id: str, events: list[dict[str, Any]], timeout_s: float) -> None:
        """Store a decision through ingest as an event of ``device_id``, then wait until it is applied."""
        self._store(self._message(device_id, events), timeout_s, "decision")

    def _message(self, device_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        """A message of Seamline's own ``events`` as ``device_id``, stamped now."""
        now = int(time.time() * 1000)
        with self._lock:
            self._seq = max(self._seq + 1, now)
            seq = self._seq
        return {
            "device": device_id,
            "boot": DECISION_BOOT,
            "seq": seq,
            "sent_ts": now,
            "events": [{"ts": now, **event} for event in events],
        }

    def _store(self, message: dict[str, Any], timeout_s: float, what: str) -> None:
        if self._submit is None:
            raise DecisionRefusedError(f"{what}s need the platform's ingest; they run in `seamline serve`")
        done = threading.Event()
        outcome: list[object] = []

        def on_done(result: object) -> None:
            outcome.append(result)
            done.set()

        self._submit(message, on_done)
        if not done.wait(timeout_s) or isinstance(outcome[0], BaseException):
            raise DecisionRefusedError(
                f"the {what} could not be stored: {outcome[0] if outcome else 'timeout'}"
            )
        if getattr(outcome[0], "rejected", ()):
            raise DecisionRefusedError(f"the {what} was refused by ingest: {outcome[0]}")
        self.drain(timeout_s)

    # -- supervision -----------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        alive = self._thread is not None and self._thread.is_alive()
        with self._lock:
            open_exceptions = sum(1 for x in self.ledger.exceptions if x.status == "open")
            records = len(self.ledger.records)
        return {
            "healthy": alive or not self._started,
            "thread_alive": alive,
            "queue_depth": self._queue.qsize(),
            "rebuilt_events": self._rebuilt,
            "applied_events": self._applied,
            "records": records,
            "open_exceptions": open_exceptions,
            "last_lag_s": round(self._last_lag_s, 3),  # received by ingest -> visible in the API
            "restored": self._restored,  # the saved ledger start() took up, or why not
            "last_save": self._last_save,
            "restarts": self._restarts,
            "last_error": self._last_error,
        }

    def ensure_running(self) -> bool:
        if not self._started or (self._thread is not None and self._thread.is_alive()):
            return False
        self._restarts += 1
        log.error("the production records thread died (%s); restarting it", self._last_error)
        self._spawn()
        return True

    def _spawn(self) -> None:
        self._thread = threading.Thread(target=self._run, name="seamline-production", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                items = [self._queue.get()]  # wait for one, then take what else is queued
                while len(items) < _APPLY_AT_ONCE:
                    try:
                        items.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if self._apply(items):
                    return
        except Exception as exc:  # the watchdog restarts the thread; readiness shows it meanwhile
            self._last_error = repr(exc)
            log.exception("production records stopped")
            raise

    def _apply(self, items: list[_Item | None]) -> bool:
        """Apply queued events under one hold of the lock, machine states in bulk; True: stop."""
        events: list[_Item] = []
        marks = []
        batches: list[DeviceBatch] = []
        clock = upto = 0
        stop = False
        for item in items:
            if item is None:
                stop = True
            elif item[2] == "_mark":
                marks.append(item[3]["event"])
            elif item[2] == "_commit":
                commit = item[3]
                events.extend(commit["events"])
                clock = max(clock, commit["newest"])
                batches.extend(commit["batches"])
                upto = max(upto, commit["wseq"])
            else:
                events.append(item)
        if events:
            with self._lock:
                self.ledger.replay((d, t, k, data) for d, t, k, data, _ in events)
            now = time.time()
            self.lags_s.extend(now - e[4] / 1000.0 for e in events)
            self._last_lag_s = self.lags_s[-1]
            self._applied += len(events)
        if clock or batches:  # after the events: sifting readings keeps no event waiting
            with self._lock:
                self.ledger.observe(clock)
                self.ledger.counters.update(batches)
                self._upto = max(self._upto, upto)
        for mark in marks:  # everything queued before the mark is applied now
            mark.set()
        if (
            not stop
            and self.save_interval_s is not None
            and self._upto != self._saved_upto
            and time.monotonic() - self._saved_at >= self.save_interval_s
        ):
            self.save()
        return stop


def replay_stored(
    ledger: ProductionLedger, store: Store, *, limit: int = REBUILD_LIMIT, after_wseq: int | None = None
) -> int:
    """Apply the store's production events (:data:`TYPES`) to ``ledger``, oldest first: machine
    states read as columns (:meth:`Store.state_changes`), the newest ``limit`` of the other events
    as events; with ``after_wseq``, only those committed after that commit (what a saved ledger
    lacks). Returns how many. What the engine does at start, and what a report that runs outside
    the service does to see the same records.

    Orders and bundles come first and all of them, however old: an order placed before the newest
    ``limit`` events still explains their scans, and no scan waits for its bundle on a rebuild
    (what an order does depends on no scan)."""
    orders = stored_orders(store, after_wseq=after_wseq)
    others = [t for t in TYPES if t != "state" and t not in ORDER_EVENTS]
    stored = store.events(types=others, limit=limit, after_wseq=after_wseq)  # newest first
    return ledger.replay(
        ((e.device_id, e.ts_ms, e.type, e.data) for e in [*orders, *reversed(stored)]),
        store.state_changes(after_wseq=after_wseq),
    )


def stored_orders(store: Store, *, after_wseq: int | None = None) -> list[StoredEvent]:
    """Every stored ``order`` and ``bundle`` event (committed after ``after_wseq``), oldest first."""
    return store.events(types=ORDER_EVENTS, limit=REBUILD_LIMIT, after_wseq=after_wseq)[::-1]


__all__ = ["DECISION_BOOT", "DecisionRefusedError", "ProductionEngine", "replay_stored", "stored_orders"]
