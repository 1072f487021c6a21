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
  exception and becomes a record by itself when the missing event arrives (``auto_resolved``).
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
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from seamline.model.factory import Bundle, Factory, Operation, OperationBulletin, Order
from seamline.production.counters import CounterBook
from seamline.production.downtime import DEFAULT_THRESHOLD_S, MachineBook
from seamline.production.hours import DAY_MS, HOUR_MS, hour_pieces
from seamline.production.inspections import INVALID_INSPECTION, inspection_problem

# Why a scan was not counted (ScanException.reason).
UNKNOWN_BUNDLE: Final = "unknown_bundle"
UNKNOWN_OPERATION: Final = "unknown_operation"
OPERATION_DONE: Final = "operation_done"
PREDECESSOR_MISSING: Final = "predecessor_missing"
NOT_LOGGED_IN: Final = "operator_not_logged_in"
INVALID_SCAN: Final = "invalid_scan"
WAITING: Final = frozenset({PREDECESSOR_MISSING, NOT_LOGGED_IN})  # may resolve by themselves


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

    id: int
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


@dataclass(slots=True)
class Session:
    """An operator logged in at a workstation from ``login_ms`` until ``logout_ms`` (None: still in)."""

    operator_id: str
    workstation_id: str
    line_id: str | None
    login_ms: int
    logout_ms: int | None = None

    def covers(self, ts_ms: int) -> bool:
        return self.login_ms <= ts_ms and (self.logout_ms is None or ts_ms <= self.logout_ms)


@dataclass(frozen=True, slots=True)
class BundleRef:
    """What a bundle ticket stands for: its order, style and pieces."""

    bundle: Bundle
    order: Order

    @property
    def style_id(self) -> str:
        return self.order.style_id


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
        self.records: list[ProductionRecord] = []
        self.exceptions: list[ScanException] = []
        self.sessions: dict[str, list[Session]] = defaultdict(list)  # operator -> sessions, by login
        self.repeats = 0
        self.auto_resolved = 0
        self.stale_decisions = 0  # decisions on exceptions no longer open (applied twice, or resolved)
        self.exceptions_by_key: dict[str, ScanException] = {}
        # what every KPI reads, so that no figure rescans the records, by hour and by UTC day:
        # (line, workstation, operator, style, order, operation) -> [pieces, earned_min, output
        # pieces]; a question about a day or a month reads only its own buckets
        self.facts_by_hour: dict[int, dict[tuple[str, ...], list[float]]] = {}
        self.facts_by_day: dict[int, dict[tuple[str, ...], list[float]]] = {}
        self._in_progress: dict[str, set[str]] = defaultdict(set)  # line -> bundles being sewn
        # minutes of closed sessions by hour: (line, workstation, operator) -> minutes; the sessions
        # still open are added when asked, so no request splits a month of sessions into hours
        self.attended_hours: dict[int, dict[tuple[str, str, str], float]] = {}
        # (hour_ms, line, workstation, operator, style, order, operation, kind) -> [inspections,
        # checked, defective, defects]; and (hour_ms, line, kind, operation, operator, code,
        # severity) -> defects, for the Pareto. An end-of-line inspection has operation "".
        self.quality: dict[tuple[int, str, str, str, str, str, str, str], list[int]] = defaultdict(
            lambda: [0, 0, 0, 0]
        )
        self.defects: dict[tuple[int, str, str, str, str, str, str], int] = defaultdict(int)
        self.machines = MachineBook(downtime_threshold_s)  # state seconds, downtime (production/downtime.py)
        self.counters = CounterBook(factory)  # controller counters' deltas, fed batches by the engine
        self._seat: dict[str, Session] = {}  # workstation -> open session
        self._routes: dict[str, _Route] = {}
        self._workstation_line = {ws.id: line.id for line in factory.lines for ws in line.workstations}
        self._device_lines = {d.id: d.line_id or "" for d in factory.devices}
        self._waiting: dict[str, list[ScanException]] = defaultdict(list)  # bundle or operator -> open

    # -- input ---------------------------------------------------------------------------------------

    def update(self, device_id: str, ts_ms: int, event_type: str, data: Mapping[str, Any]) -> None:
        """Take one device event."""
        if event_type == "state":  # by far the most frequent: first
            state = data.get("state")
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
        exc = self.exceptions[exception_id - 1] if 0 < exception_id <= len(self.exceptions) else None
        if exc is None:
            raise KeyError(exception_id)
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
        out: dict[str, list[int]] = {}
        bundles = pieces = 0
        for bundle_id in self._in_progress.get(line_id, ()):
            route = self._routes[bundle_id]
            if route.line_id != line_id or len(route.done) == len(route.bulletin.operations):
                continue
            bundles += 1
            pieces += route.pieces
            for op in route.bulletin.operations:
                if op.id not in route.done and all(p in route.done for p in op.predecessors):
                    acc = out.setdefault(op.id, [0, 0])
                    acc[0] += 1
                    acc[1] += route.pieces
        return bundles, pieces, {k: (v[0], v[1]) for k, v in out.items()}

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
        exc = ScanException(len(self.exceptions) + 1, ts_ms, device_id, reason, detail, scan)
        self._add_exception(exc)
        if reason == PREDECESSOR_MISSING:
            self._waiting[f"bundle:{scan['bundle']}"].append(exc)
        elif reason == NOT_LOGGED_IN:
            self._waiting[f"operator:{scan['operator']}"].append(exc)

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
        self.records.append(record)
        output = pieces if record.final else 0
        hour = ts_ms - ts_ms % HOUR_MS
        rest = (record.line_id, ws_id, operator_id, ref.style_id, ref.order.id, op.id)
        for fact in (
            self.facts_by_hour.setdefault(hour, {}).setdefault(rest, [0.0, 0.0, 0.0]),
            self.facts_by_day.setdefault(hour - hour % DAY_MS, {}).setdefault(rest, [0.0, 0.0, 0.0]),
        ):
            fact[0] += pieces
            fact[1] += record.earned_min
            fact[2] += output
        ticket = str(scan["bundle"])  # the route's key: the ticket as scanned
        if len(route.done) == len(route.bulletin.operations):
            self._in_progress[record.line_id].discard(ticket)
        else:
            self._in_progress[record.line_id].add(ticket)
        self._retry(f"bundle:{ticket}")
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
                bucket = "bundle:" + exc.scan["bundle"] if got[0] == PREDECESSOR_MISSING else None
                self._waiting[bucket or "operator:" + exc.scan["operator"]].append(exc)
            elif got is not None:
                exc.reason, exc.detail = got  # now for another reason; a supervisor decides

    def _add_exception(self, exc: ScanException) -> None:
        self.exceptions.append(exc)
        self.exceptions_by_key[exc.key] = exc

    def _open_exception(self, exception_id: int) -> ScanException:
        if not 0 < exception_id <= len(self.exceptions):
            raise KeyError(exception_id)
        exc = self.exceptions[exception_id - 1]
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
                len(self.exceptions) + 1,
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
        hour = ts_ms - ts_ms % HOUR_MS
        style, order = (ref.style_id, ref.order.id) if ref is not None else ("", "")
        q = self.quality[(hour, line_id, ws_id, operator_id, style, order, operation, kind)]
        q[0] += 1
        q[1] += int(data["checked"])
        q[2] += int(data["defective"])
        for d in data["defects"]:
            q[3] += int(d["count"])
            self.defects[
                (hour, line_id, kind, operation, operator_id, str(d["code"]), str(d["severity"]))
            ] += int(d["count"])

    # -- badges -----------------------------------------------------------------------------------------

    def _badge(self, device_id: str, ts_ms: int, data: Mapping[str, Any]) -> None:
        operator_id, ws_id, action = data.get("operator"), data.get("workstation"), data.get("action")
        if not isinstance(operator_id, str) or not isinstance(ws_id, str):
            return
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
        """End a session and add its minutes, hour by hour, to the attendance table."""
        if session.logout_ms is not None:
            return
        session.logout_ms = max(ts_ms, session.login_ms)
        key = (session.line_id or "", session.workstation_id, session.operator_id)
        for hour, a, b in hour_pieces(session.login_ms, session.logout_ms):
            bucket = self.attended_hours.setdefault(hour, {})
            bucket[key] = bucket.get(key, 0.0) + (b - a) / 60_000

    def open_sessions(self) -> list[Session]:
        """The sessions still going on (no logout yet)."""
        return [s for s in self._seat.values() if s.logout_ms is None]


def catalogue(factory: Factory) -> dict[str, BundleRef]:
    """Every bundle of the factory file's orders, by ticket id."""
    return {b.id: BundleRef(b, order) for order in factory.orders for b in order.bundles()}


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
