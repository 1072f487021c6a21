"""Production records from the floor's device events (apparel-domain.md 3 and 7).

Bundle-operation scans and badge sessions become :class:`ProductionRecord` s: who did which
operation of which bundle, at which workstation, when, against which SAM. The SAM and the version
of the operation bulletin are stamped on the record, so re-timing an operation never rewrites
history. A scan that makes no sense becomes a :class:`ScanException` with its reason, for a
supervisor to resolve or void; it is never dropped and never counted twice.

Counting follows the floor rather than an ideal of it:

- A ticket punched again by the same operator at the same seat is a repeat (counted in
  ``repeats``), not a second piece count and not an exception.
- Events from different devices arrive in any order (a scanner's message may overtake the badge
  reader's). A scan waiting for its operator's login, or for a predecessor's scan, stays an open
  exception and becomes a record by itself when the missing event arrives (``auto_resolved``); so
  does a scan of a ticket no order has yet, once an ``order`` or ``bundle`` event cuts it
  (:mod:`seamline.production.orders`).
- A bundle first seen mid-route (the day Seamline is switched on, or work done before a restore)
  is taken up where it is: operations before its scans that were not scanned count as done before
  tracking and earn nothing here. A bundle tracked from its first operation must follow the
  bulletin's precedence.
- Sessions follow the badge: a login at another seat ends the operator's session at the old one;
  logging in again at the same seat keeps the session.

>>> from seamline.model.loader import load_factory
>>> factory = load_factory()
>>> ledger = ProductionLedger(factory)
>>> order = factory.orders[0]
>>> bundle = order.bundles()[0]
>>> line = factory.lines_by_id[order.line_id]
>>> ws = line.workstations[0]
>>> op = factory.styles[order.style_id].bulletin.operations[0]
>>> scanner = next(d.id for d in factory.devices if d.line_id == line.id and "SCANNER" in d.id)
>>> ledger.update(scanner, 1_000, "badge", {"operator": "OP-X", "action": "login", "workstation": ws.id})
>>> ledger.update(scanner, 60_000, "scan", {"bundle": bundle.id, "operation": op.id,
...     "operator": "OP-X", "workstation": ws.id, "pieces": bundle.quantity})
>>> record = ledger.records[-1]
>>> (record.operation_id, record.pieces, record.earned_min == bundle.quantity * op.sam_min)
('P010', 20, True)
"""

from __future__ import annotations

import bisect
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from seamline.model.factory import Factory, Operation, OperationBulletin, event_state
from seamline.production.counters import CounterBook
from seamline.production.downtime import DEFAULT_THRESHOLD_S, MachineBook
from seamline.production.facts import Attendance, DefectKey, FactKey, QualityKey, Session, Table
from seamline.production.hours import HOUR_MS
from seamline.production.inspections import INVALID_INSPECTION, inspection_problem
from seamline.production.orders import BundleProgress, BundleRef, OrderBook, catalogue
from seamline.store.base import StateChanges
from seamline.telemetry import ORDER_EVENTS

# Why a scan was not counted (ScanException.reason).
UNKNOWN_BUNDLE: Final = "unknown_bundle"
UNKNOWN_OPERATION: Final = "unknown_operation"
OPERATION_DONE: Final = "operation_done"
PREDECESSOR_MISSING: Final = "predecessor_missing"
NOT_LOGGED_IN: Final = "operator_not_logged_in"
INVALID_SCAN: Final = "invalid_scan"
# may resolve by themselves: when the operator logs in, the predecessor is scanned, the bundle is cut
WAITING: Final = frozenset({PREDECESSOR_MISSING, NOT_LOGGED_IN, UNKNOWN_BUNDLE})
_MACHINE_BOOK_TYPES: Final = frozenset({"downtime", "decision"})  # events that read or change stops


@dataclass(frozen=True, slots=True)
class ProductionRecord:
    """One operation done on one bundle: the unit every output and efficiency figure adds up."""

    ts_ms: int  # the scan's device time: when the operation was finished
    line_id: str
    workstation_id: str
    operator_id: str
    bundle_id: str
    order_id: str
    style_id: str
    bulletin_version: int
    operation_id: str
    pieces: int
    sam_min: float  # the operation's SAM in that bulletin version
    final: bool  # the style's last operation: these pieces leave the line as garments
    device_id: str

    @property
    def earned_min(self) -> float:
        """Standard minutes produced: pieces x SAM (apparel-domain.md 2.2)."""
        return self.pieces * self.sam_min


@dataclass(slots=True)
class ScanException:
    """A scan that was not counted, with why; ``status`` is open, resolved, auto_resolved or voided."""

    id: int  # stable: made from its key when it is queued (ProductionLedger._add_exception)
    ts_ms: int
    device_id: str
    reason: str
    detail: str
    scan: dict[str, Any]
    status: str = "open"
    record: ProductionRecord | None = None  # the record it became, once resolved
    event_type: str = "scan"  # or "inspection": a result that could not be read

    @property
    def key(self) -> str:
        """What identifies it whatever order the events were applied in: a ``decision`` event names it."""
        s = self.scan
        parts = (
            self.device_id,
            self.ts_ms,
            self.event_type,
            s.get("bundle"),
            s.get("operation"),
            s.get("operator"),
        )
        return "|".join(str(p) for p in parts)


@dataclass(frozen=True, slots=True)
class _Scan:
    ref: BundleRef
    route: _Route
    op: Operation
    operator_id: str
    workstation_id: str
    pieces: int


@dataclass(slots=True)
class _Route:
    bulletin: OperationBulletin
    done: dict[str, ProductionRecord | None] = field(default_factory=dict)  # None: before tracking
    mid_route: bool = False  # first seen past its first operations: earlier work was not tracked
    line_id: str = ""  # where its last operation was done
    pieces: int = 0


class ProductionLedger:
    """Turns device events, in arrival order, into records, sessions and exceptions (in memory).

    ``update`` takes one stored event (device id, device time, type, data): ``scan``, ``badge``,
    ``inspection``, ``state`` and ``downtime`` events matter here, the rest is ignored. Nothing here
    reads a clock: the events' own timestamps place every record and session.
    """

    def __init__(
        self,
        factory: Factory,
        bundles: Mapping[str, BundleRef] | None = None,
        *,
        downtime_threshold_s: float = DEFAULT_THRESHOLD_S,
    ) -> None:
        self.factory = factory
        self.bundles: dict[str, BundleRef] = dict(bundles) if bundles is not None else catalogue(factory)
        self.orders = OrderBook(factory, self.bundles)  # orders and bundles made by events join in
        self.records: list[ProductionRecord] = []
        self.exceptions: list[ScanException] = []
        self.sessions: dict[str, list[Session]] = defaultdict(list)  # operator -> sessions, by login
        self.repeats = 0
        self.auto_resolved = 0
        self.stale_decisions = 0  # decisions on exceptions no longer open (applied twice, or resolved)
        self.exceptions_by_key: dict[str, ScanException] = {}
        self.exceptions_by_id: dict[int, ScanException] = {}
        # what every KPI reads, so that no figure rescans the records (production/facts.py)
        self.facts: Table[FactKey] = Table(3)
        self.attendance = Attendance()
        self.clock_ms = 0  # the floor's clock: the newest scan, badge or device time observed
        # line -> [bundles, pieces] in progress, and line -> operation -> [bundles, pieces] waiting
        self._wip: dict[str, list[int]] = {}
        self._wip_ops: dict[str, dict[str, list[int]]] = {}
        self.quality: Table[QualityKey] = Table(4)
        self.defects: Table[DefectKey] = Table(1)
        self.machines = MachineBook(downtime_threshold_s)  # state seconds, downtime (production/downtime.py)
        self.counters = CounterBook(factory)  # controller counters' deltas, fed batches by the engine
        self._seat: dict[str, Session] = {}  # workstation -> open session
        self._routes: dict[str, _Route] = {}
        self._workstation_line = {ws.id: line.id for line in factory.lines for ws in line.workstations}
        self._device_lines = {d.id: d.line_id or "" for d in factory.devices}
        self._waiting: dict[str, list[ScanException]] = defaultdict(list)  # bundle or operator -> open
        self._roll_at = 0  # when open sessions' hours go into the attendance table next

    # -- input ---------------------------------------------------------------------------------------

    def update(self, device_id: str, ts_ms: int, event_type: str, data: Mapping[str, Any]) -> None:
        """Take one device event."""
        if ts_ms >= self._roll_at and event_type in ("scan", "badge"):  # the floor passed an hour
            hour = ts_ms - ts_ms % HOUR_MS
            self.attendance.roll(self.open_sessions(), hour)
            self._roll_at = hour + HOUR_MS
        if event_type == "state":  # by far the most frequent: first
            state = event_state(data)
            if isinstance(state, str):
                line = self._device_lines.get(device_id)
                self.machines.state(
                    device_id, line if line is not None else self._device_line(device_id), ts_ms, state
                )
        elif event_type == "scan":
            self._scan(device_id, ts_ms, dict(data))
        elif event_type == "badge":
            self._badge(device_id, ts_ms, data)
        elif event_type == "inspection":
            self._inspection(device_id, ts_ms, dict(data))
        elif event_type == "decision":
            self._decision(data)
        elif event_type in ORDER_EVENTS:
            for ticket in self.orders.apply(event_type, ts_ms, data):
                self._retry(f"bundle:{ticket}")  # its scans that came first
        elif event_type == "downtime" and isinstance(data.get("reason"), str):
            duration = data.get("duration_s")
            ws_id = str(data.get("workstation") or "")
            self.machines.downtime(
                device_id,
                self._workstation_line.get(ws_id) or self._device_line(device_id),
                ws_id,
                ts_ms,
                data["reason"],
                float(duration)
                if isinstance(duration, int | float) and not isinstance(duration, bool)
                else None,
            )

    def observe(self, ts_ms: int) -> None:
        """The floor's clock has reached ``ts_ms`` (the newest device time of a batch): sessions
        still open and machines' current states count until here."""
        self.clock_ms = max(self.clock_ms, ts_ms)
        self.machines.newest_ms = max(self.machines.newest_ms, ts_ms)

    def replay(
        self, events: Iterable[tuple[str, int, str, Mapping[str, Any]]], states: StateChanges | None = None
    ) -> int:
        """Take many events, in time order, as :meth:`update` would one by one and with the same
        result, the machine states in bulk (:meth:`MachineBook.states`): how a rebuild or an import
        applies a month of events in seconds. ``states``, when given, are the ``state`` events as
        columns (:meth:`Store.state_changes`), each applied before the events not older than it.
        Returns how many events it took."""
        pending: list[tuple[str, int, str, Mapping[str, Any]]] = []
        keep = pending.append
        done = n = 0  # states applied; events taken
        for event in events:
            n += 1
            if event[2] == "state":
                keep(event)
                continue
            if event[2] in _MACHINE_BOOK_TYPES:  # they read what the states made: states first
                if pending:
                    self._apply_states(pending)
                    pending.clear()
                if states is not None:
                    upto = int(np.searchsorted(states.ts_ms, event[1], side="right"))
                    if upto > done:
                        self.machines.states(states[done:upto], self._device_lines)
                        done = upto
            self.update(*event)
        if pending:
            self._apply_states(pending)
        if states is not None and done < len(states):
            self.machines.states(states[done:], self._device_lines)
        return n + (len(states) if states is not None else 0)

    def _apply_states(self, events: list[tuple[str, int, str, Mapping[str, Any]]]) -> None:
        rows = [(e[0], e[1], s) for e in events if isinstance(s := event_state(e[3]), str)]
        self.machines.states(StateChanges.from_rows(rows), self._device_lines)

    def resolve(self, exception_id: int, *, operator_id: str | None = None) -> ScanException:
        """A supervisor counts an exception's scan after all (optionally naming the operator who did
        the work); the record gets the scan's own time. An operation already done stays refused."""
        exc = self._open_exception(exception_id)
        if exc.event_type != "scan":
            raise ValueError(
                f"exception {exception_id} is an unreadable {exc.event_type}: void it and re-enter it"
            )
        scan = dict(exc.scan)
        if operator_id is not None:
            scan["operator"] = operator_id
        record = self._record(exc.device_id, exc.ts_ms, scan, check_session=False, check_order=False)
        if not isinstance(record, ProductionRecord):
            why = record[1] if record is not None else "the same operator already scanned it here"
            raise ValueError(f"exception {exception_id} cannot be counted: {why}")
        exc.status, exc.record = "resolved", record
        return exc

    def void(self, exception_id: int) -> ScanException:
        """A supervisor decides an exception's scan is not work: it stays listed, voided."""
        exc = self._open_exception(exception_id)
        exc.status = "voided"
        return exc

    def decision_problem(self, exception_id: int, action: str, operator_id: str | None = None) -> str | None:
        """Why :meth:`resolve` or :meth:`void` would refuse, without changing anything; None if not.
        Raises ``KeyError`` for an exception that does not exist."""
        exc = self.exceptions_by_id[exception_id]
        if exc.status != "open":
            return f"exception {exception_id} is already {exc.status}"
        if action == "void":
            return None
        if exc.event_type != "scan":
            return f"exception {exception_id} is an unreadable {exc.event_type}: void it and re-enter it"
        parsed = self._parse({**exc.scan, **({"operator": operator_id} if operator_id else {})})
        if isinstance(parsed, tuple):
            return f"exception {exception_id} cannot be counted: {parsed[1]}"
        prev = parsed.route.done.get(parsed.op.id)
        if prev is not None:
            return (
                f"exception {exception_id} cannot be counted: operation {parsed.op.id} of bundle"
                f" {parsed.ref.bundle.id} was already done by {prev.operator_id} at {prev.workstation_id}"
            )
        return None

    def wip(self, line_id: str) -> tuple[int, int, dict[str, tuple[int, int]]]:
        """Work in progress of a line: bundles and pieces in progress, and per operation the
        (bundles, pieces) waiting for it (every predecessor done, itself not; a bundle between
        parallel operations waits at each). A bundle is in progress from its first scan on the line
        until its every operation is done; bundles fed in but not yet scanned are not seen."""
        bundles, pieces = self._wip.get(line_id, (0, 0))
        ops = self._wip_ops.get(line_id, {})
        return bundles, pieces, {op: (n, p) for op, (n, p) in ops.items() if n}

    def _count_wip(self, route: _Route, sign: int) -> None:
        """Add (``sign`` 1) or take off (-1) a bundle's part of its line's WIP, before and after a
        record changes its route: WIP is kept as records come, never counted over the bundles."""
        if not route.done or len(route.done) == len(route.bulletin.operations):
            return  # not started, or finished: not in progress
        line = route.line_id
        total = self._wip.setdefault(line, [0, 0])
        total[0] += sign
        total[1] += sign * route.pieces
        ops = self._wip_ops.setdefault(line, {})
        for op in route.bulletin.operations:
            if op.id not in route.done and all(p in route.done for p in op.predecessors):
                acc = ops.setdefault(op.id, [0, 0])
                acc[0] += sign
                acc[1] += sign * route.pieces

    def bundle_progress(self, bundle_id: str) -> BundleProgress:
        """How far a catalogued bundle is along its style's operations (orders.py sums them)."""
        route = self._routes.get(bundle_id)
        if route is None:
            ops = self.factory.styles[self.bundles[bundle_id].style_id].bulletin.operations
            return BundleProgress(0, len(ops), 0)
        last = route.done.get(route.bulletin.operations[-1].id)
        return BundleProgress(len(route.done), len(route.bulletin.operations), last.pieces if last else 0)

    def _decision(self, data: Mapping[str, Any]) -> None:
        """A supervisor's stored decision (a ``decision`` event), applied again on every rebuild."""
        if data.get("action") == "assign":
            reason, by = data.get("reason"), data.get("by")
            stop = self.machines.assign(
                str(data.get("exception")), str(reason), by if isinstance(by, str) else None
            )
            if stop is None or not isinstance(reason, str):
                self.stale_decisions += 1
            return
        exc = self.exceptions_by_key.get(str(data.get("exception")))
        if exc is None or exc.status != "open":
            self.stale_decisions += 1
            return
        try:
            if data.get("action") == "resolve":
                operator = data.get("operator")
                self.resolve(exc.id, operator_id=operator if isinstance(operator, str) else None)
            elif data.get("action") == "void":
                self.void(exc.id)
        except ValueError:
            self.stale_decisions += 1

    # -- scans ------------------------------------------------------------------------------------------

    def _scan(self, device_id: str, ts_ms: int, scan: dict[str, Any]) -> None:
        got = self._record(device_id, ts_ms, scan, check_session=True, check_order=True)
        if isinstance(got, ProductionRecord) or got is None:
            return
        reason, detail = got
        exc = ScanException(0, ts_ms, device_id, reason, detail, scan)
        self._add_exception(exc)
        if reason in WAITING:
            self._wait(exc)

    def _record(
        self, device_id: str, ts_ms: int, scan: dict[str, Any], *, check_session: bool, check_order: bool
    ) -> ProductionRecord | tuple[str, str] | None:
        """The record a scan makes, or (reason, detail) why it makes none; None for a repeat."""
        parsed = self._parse(scan)
        if isinstance(parsed, tuple):
            return parsed
        ref, route, op, operator_id, ws_id, pieces = (
            parsed.ref,
            parsed.route,
            parsed.op,
            parsed.operator_id,
            parsed.workstation_id,
            parsed.pieces,
        )
        prev = route.done.get(op.id)
        if prev is not None:  # done before tracking (None) is an assumption a scan overrides
            if prev.operator_id == operator_id and prev.workstation_id == ws_id:
                self.repeats += 1
                return None
            return OPERATION_DONE, (
                f"operation {op.id} of bundle {ref.bundle.id} was already done by {prev.operator_id}"
                f" at {prev.workstation_id}"
            )
        if check_session and not any(
            s.workstation_id == ws_id and s.covers(ts_ms) for s in self.sessions.get(operator_id, ())
        ):
            return NOT_LOGGED_IN, f"operator {operator_id} was not logged in at {ws_id}"
        if not route.done:  # first sight of the bundle: tracked from its start, or taken up mid-route
            route.mid_route = bool(op.predecessors)
        missing = [p for p in op.predecessors if p not in route.done]
        if missing and check_order and not route.mid_route:
            return PREDECESSOR_MISSING, f"operation {op.id} before {', '.join(missing)} of {ref.bundle.id}"
        self._count_wip(route, -1)
        if missing:  # taken up mid-route: what comes before and was not scanned was done before
            for earlier in _ancestors(route.bulletin, op.id) - route.done.keys():
                route.done[earlier] = None
        record = ProductionRecord(
            ts_ms=ts_ms,
            line_id=self._workstation_line.get(ws_id) or self._device_line(device_id),
            workstation_id=ws_id,
            operator_id=operator_id,
            bundle_id=ref.bundle.id,
            order_id=ref.order.id,
            style_id=ref.style_id,
            bulletin_version=route.bulletin.version,
            operation_id=op.id,
            pieces=pieces,
            sam_min=op.sam_min,
            final=op.id == route.bulletin.operations[-1].id,
            device_id=device_id,
        )
        route.done[op.id] = record
        route.line_id, route.pieces = record.line_id, ref.bundle.quantity
        self._count_wip(route, 1)
        self.records.append(record)
        self.facts.add(
            ts_ms,
            record.line_id,
            (ws_id, operator_id, ref.style_id, ref.order.id, op.id),
            (pieces, record.earned_min, pieces if record.final else 0),
        )
        self.clock_ms = max(self.clock_ms, ts_ms)
        self._retry(f"bundle:{scan['bundle']}")  # the route's key: the ticket as scanned
        return record

    def _parse(self, scan: dict[str, Any]) -> _Scan | tuple[str, str]:
        """The scan's bundle, operation and people, or (reason, detail) why it names none."""
        bundle_id, op_id = scan.get("bundle"), scan.get("operation")
        operator_id, ws_id = scan.get("operator"), scan.get("workstation")
        if not (
            isinstance(bundle_id, str)
            and isinstance(op_id, str)
            and isinstance(operator_id, str)
            and isinstance(ws_id, str)
            and all((bundle_id, op_id, operator_id, ws_id))
        ):
            return INVALID_SCAN, "a scan needs bundle, operation, operator and workstation"
        ref = self.bundles.get(bundle_id)
        if ref is None:
            return UNKNOWN_BUNDLE, f"bundle {bundle_id} is in no order"
        route = self._route(bundle_id, ref)
        op = next((o for o in route.bulletin.operations if o.id == op_id), None)
        if op is None:
            return UNKNOWN_OPERATION, (
                f"operation {op_id} is not in style {ref.style_id}'s bulletin v{route.bulletin.version}"
            )
        pieces = scan.get("pieces", ref.bundle.quantity)
        if not isinstance(pieces, int) or isinstance(pieces, bool) or not 0 < pieces <= ref.bundle.quantity:
            return INVALID_SCAN, f"pieces {pieces!r}: bundle {bundle_id} holds {ref.bundle.quantity}"
        return _Scan(ref, route, op, operator_id, ws_id, pieces)

    def _route(self, bundle_id: str, ref: BundleRef) -> _Route:
        route = self._routes.get(bundle_id)
        if route is None:
            route = self._routes[bundle_id] = _Route(self.factory.styles[ref.style_id].bulletin)
        return route

    def _retry(self, key: str) -> None:
        waiting = self._waiting.pop(key, [])
        for exc in waiting:
            if exc.status != "open":
                continue
            got = self._record(exc.device_id, exc.ts_ms, exc.scan, check_session=True, check_order=True)
            if isinstance(got, ProductionRecord):
                exc.status, exc.record = "auto_resolved", got
                self.auto_resolved += 1
            elif got is not None and got[0] in WAITING:
                exc.reason, exc.detail = got
                self._wait(exc)
            elif got is not None:
                exc.reason, exc.detail = got  # now for another reason; a supervisor decides

    def _wait(self, exc: ScanException) -> None:
        """Park an exception that may resolve by itself under the login or bundle it waits for."""
        by = (
            f"operator:{exc.scan['operator']}"
            if exc.reason == NOT_LOGGED_IN
            else f"bundle:{exc.scan['bundle']}"
        )
        self._waiting[by].append(exc)

    def _add_exception(self, exc: ScanException) -> None:
        """Queue an exception under an id made from its key: the same on every rebuild, whatever
        order the events came in, so that an id a tablet holds names the same scan after a restart
        (a 48-bit number: exact in JavaScript; the next free one in the unlikely clash)."""
        exc.id = int.from_bytes(hashlib.blake2b(exc.key.encode(), digest_size=6).digest(), "big") or 1
        while exc.id in self.exceptions_by_id:
            exc.id = exc.id % (1 << 48) + 1
        self.exceptions.append(exc)
        self.exceptions_by_id[exc.id] = exc
        self.exceptions_by_key[exc.key] = exc

    def _open_exception(self, exception_id: int) -> ScanException:
        exc = self.exceptions_by_id[exception_id]
        if exc.status != "open":
            raise ValueError(f"exception {exception_id} is already {exc.status}")
        return exc

    def _device_line(self, device_id: str) -> str:
        d = self.factory.devices_by_id.get(device_id)
        return (d.line_id if d else None) or ""

    # -- inspections -----------------------------------------------------------------------------------

    def _inspection(self, device_id: str, ts_ms: int, data: dict[str, Any]) -> None:
        """An inline or end-of-line inspection's result: checked pieces, defective pieces and the
        defects by code and severity (apparel-domain.md 4.1); DHU and RFT are computed from these."""
        problem = inspection_problem(data)
        if problem is not None:
            exc = ScanException(
                0,
                ts_ms,
                device_id,
                INVALID_INSPECTION,
                problem,
                data,
                event_type="inspection",
            )
            self._add_exception(exc)
            return
        ref = self.bundles.get(str(data.get("bundle", "")))
        ws_id = str(data.get("workstation") or "")
        line_id = self._workstation_line.get(ws_id) or self._device_line(device_id)
        operator_id, kind = str(data.get("operator") or ""), str(data["kind"])
        operation = str(data.get("operation") or "")
        style, order = (ref.style_id, ref.order.id) if ref is not None else ("", "")
        defects = [(str(d["code"]), str(d["severity"]), int(d["count"])) for d in data["defects"]]
        self.quality.add(
            ts_ms,
            line_id,
            (ws_id, operator_id, style, order, operation, kind),
            (1, int(data["checked"]), int(data["defective"]), sum(n for _, _, n in defects)),
        )
        for code, severity, n in defects:
            self.defects.add(ts_ms, line_id, (kind, operation, operator_id, code, severity), (n,))

    # -- badges -----------------------------------------------------------------------------------------

    def _badge(self, device_id: str, ts_ms: int, data: Mapping[str, Any]) -> None:
        operator_id, ws_id, action = data.get("operator"), data.get("workstation"), data.get("action")
        if not isinstance(operator_id, str) or not isinstance(ws_id, str):
            return
        self.clock_ms = max(self.clock_ms, ts_ms)
        sessions = self.sessions[operator_id]
        current = sessions[-1] if sessions and sessions[-1].logout_ms is None else None
        if action == "login":
            if current is not None and current.workstation_id == ws_id:
                return  # badged again at the same seat: the session goes on
            if current is not None:  # moved seats: the old session ends here
                self._close(current, ts_ms)
                self._seat.pop(current.workstation_id, None)
            other = self._seat.get(ws_id)
            if other is not None and other.operator_id != operator_id:  # took over the seat
                self._close(other, ts_ms)
            line = self._workstation_line.get(ws_id) or self._device_line(device_id)
            session = Session(operator_id, ws_id, line or None, ts_ms)
            bisect.insort(sessions, session, key=lambda s: s.login_ms)
            self._seat[ws_id] = session
            self._retry(f"operator:{operator_id}")
        elif action == "logout" and current is not None:
            self._close(current, ts_ms)
            self._seat.pop(current.workstation_id, None)

    def _close(self, session: Session, ts_ms: int) -> None:
        """End a session; its minutes go to the attendance table."""
        if session.logout_ms is None:
            self.attendance.close(session, ts_ms)

    def open_sessions(self) -> list[Session]:
        """The sessions still going on (no logout yet)."""
        return [s for s in self._seat.values() if s.logout_ms is None]


def _ancestors(bulletin: OperationBulletin, op_id: str) -> set[str]:
    preds = {op.id: op.predecessors for op in bulletin.operations}
    out: set[str] = set()
    todo = list(preds.get(op_id, ()))
    while todo:
        p = todo.pop()
        if p not in out:
            out.add(p)
            todo.extend(preds.get(p, ()))
    return out


__all__ = [
    "BundleRef",
    "ProductionLedger",
    "ProductionRecord",
    "ScanException",
    "Session",
    "catalogue",
]
