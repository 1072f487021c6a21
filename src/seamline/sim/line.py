"""One sewing line in SimPy: shifts, attendance, bundle flow, operators at their seats, inspections.

Progressive bundle system (apparel-domain.md 3): cut bundles enter the line in cutting order, each
operation of the style's current bulletin is done on a whole bundle by one seat, and an operation can
start on a bundle once all its predecessors are done for that bundle. Each finished operation is
scanned on the line's bundle scanner. Operators badge in at their seat in the first minutes of the
shift (a run that starts in a shift under way finds them at work); their pace is their skill on the
machine type, slowed by Wright's learning curve on a new style (T_n = T_1 * n^b,
b = log2(learning rate), apparel-domain.md 3) and varied piece to piece.

A run normally starts in the middle of an order (``SimConfig.initial_wip``): the line's first bundles
are already in it, done up to various operations (:mod:`seamline.sim.wip`), and operators are days
along the learning curve of the style, so the line works at its usual pace from the first minutes.

Quality (apparel-domain.md 4.1): after a share of the (bundle, operation) completions a checker
takes a few pieces of the bundle (``inline``, attributed to that operation's operator and seat);
after a bundle's last operation the whole bundle is table-checked (``end_of_line``, attributed to
the operator and seat that completed it). Both are sent by the line's bundle scanner (the quality
tablet) a few minutes later, when the check is done.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from seamline.model.factory import (
    Bundle,
    Factory,
    Line,
    Operation,
    OperationBulletin,
    Operator,
    Order,
    Style,
    Workstation,
)
from seamline.sim import balance, quality, wip
from seamline.sim.config import SimConfig
from seamline.sim.machine import Machine, Steps
from seamline.sim.recorder import IDLE, OFF, DeviceRecorder
from seamline.sim.truth import Attendance, TruthLedger, WipBundle
from seamline.sim.work import PersonalTime, sew_piece, wright_slowdown

# Earned share of attended minutes on an established line (apparel-domain.md 2.2): how many pieces
# of an operation an operator sewed per day before the run, for the learning curve.
_ESTABLISHED_EFFICIENCY = 0.6
_LOGIN_SPREAD_S = 240.0  # operators badge in over the first minutes of their shift


@dataclass(slots=True, eq=False)
class _Item:
    """One operation to do on one bundle."""

    no: int  # release order of the bundle, for first-in first-out
    bundle: Bundle
    op: Operation
    pieces_done: int = 0


@dataclass(slots=True, eq=False)
class _BundleRun:
    bundle: Bundle
    no: int
    done: set[str]


@dataclass(slots=True, eq=False)
class _Seat:
    ws: Workstation
    machine: Machine
    ops: tuple[Operation, ...] = ()
    wake: Any = None  # simpy.Event while the operator waits for work


class LineFloor:
    """The SimPy model of one line; :meth:`run` is its life-long process."""

    def __init__(
        self,
        env: simpy.Environment,
        factory: Factory,
        line: Line,
        cfg: SimConfig,
        machines: dict[str, Machine],
        shared: dict[str, DeviceRecorder],
        truth: TruthLedger,
        order_pool: deque[Order],
        windows: Iterator[tuple[float, float]],
        rngs: tuple[random.Random, random.Random, np.random.Generator],
        set_program: Callable[[str, float], None],
    ) -> None:
        self.env = env
        self.factory = factory
        self.line = line
        self.cfg = cfg
        self.truth = truth
        self.windows = windows
        self.attendance_rng, self.rng, self.qrng = rngs
        self.set_program = set_program
        self.scanner = shared.get("scanner")
        self.badge = shared.get("badge")
        self.seats = {w.id: _Seat(w, machines[w.id]) for w in line.workstations}
        self.roster = [factory.operators_by_id[o] for o in line.operator_ids]
        self.orders: deque[Order] = deque(o for o in factory.orders if o.line_id == line.id)
        self.order_pool = order_pool
        self.loaded: list[str] = []  # orders whose bundles the line has taken, in order
        self.style: Style | None = factory.styles.get(line.style_id) if line.style_id else None
        self.first_style = self.style.id if self.style else ""
        self.bulletin: OperationBulletin | None = self.style.bulletin if self.style else None
        self._index_bulletin()
        self.pending: deque[Bundle] = deque()
        self.bundle_no = 0
        self.wip = 0
        self.runs: dict[str, _BundleRun] = {}
        self.staffed: list[_Seat] = []
        self.seated: dict[str, Operator] = {}
        self.setup = balance.assign([], None)
        self.op_seats: dict[str, list[_Seat]] = {}
        self.learning: dict[tuple[str, str, str], float] = {}
        self.form: dict[str, float] = {}
        self.changing = False
        self.quality_factor = 1.0
        self.shift = -1
        self.shift_end = 0.0

    def _index_bulletin(self) -> None:
        ops = self.bulletin.operations if self.bulletin else ()
        self.ops = {o.id: o for o in ops}
        self.successors: dict[str, list[Operation]] = {o.id: [] for o in ops}
        for o in ops:
            for p in o.predecessors:
                self.successors[p].append(o)
        self.queues: dict[str, deque[_Item]] = {o.id: deque() for o in ops}

    # -- shifts ---------------------------------------------------------------------------------

    def run(self) -> Steps:
        env = self.env
        for begin_s, end_s in self.windows:
            if begin_s > env.now:
                yield env.timeout(begin_s - env.now)
            self.shift += 1
            self.shift_end = end_s
            workers = self._start_shift(begin_s)
            if self.shift == 0 and self.cfg.initial_wip:
                self._preload()
            self._feed()
            if workers:
                yield env.all_of(workers)
            if env.now < end_s:
                yield env.timeout(end_s - env.now)

    def _start_shift(self, begin_s: float) -> list[Any]:
        present = [o for o in self.roster if self.attendance_rng.random() >= o.absence_rate]
        absent = [o.id for o in self.roster if o not in present]
        stations = balance.staff(self.line.workstations, len(present), self.bulletin)
        self.setup = balance.assign(stations, self.bulletin)
        self.seated = dict(balance.seat(stations, self.setup, present).items())
        self.staffed = [self.seats[ws] for ws in self.seated]
        self._apply_setup()
        self.quality_factor = self.rng.uniform(0.7, 1.3)
        self.form = {o.id: min(1.15, max(0.85, self.rng.gauss(1.0, 0.05))) for o in present}
        self.truth.attendance.append(
            Attendance(
                self.line.id,
                self.shift,
                begin_s,
                tuple(o.id for o in present),
                tuple(absent),
                {op.id: ws for ws, op in self.seated.items()},
            )
        )
        # Logins spread over the shift's first minutes; in a shift already under way at the start
        # of the run they are in the past, and its operators are at their seats from the first second.
        logins = [begin_s + self.rng.uniform(0.0, _LOGIN_SPREAD_S) for _ in self.seated]
        return [
            self.env.process(self._worker(self.seats[ws], op, login_s))
            for (ws, op), login_s in zip(self.seated.items(), logins, strict=True)
        ]

    def _apply_setup(self) -> None:
        order = {o.id: i for i, o in enumerate(self.bulletin.operations)} if self.bulletin else {}
        for seat in self.seats.values():
            seat.ops = self.setup.operations.get(seat.ws.id, ())
            if seat.ops:
                self.set_program(seat.ws.device_id, float(order[seat.ops[0].id] % 99 + 1))
        self.op_seats = {op_id: [self.seats[ws] for ws in self.setup.seats_of(op_id)] for op_id in self.ops}

    # -- an operator's shift at a seat -----------------------------------------------------------

    def _worker(self, seat: _Seat, operator: Operator, login_s: float) -> Steps:
        env = self.env
        rec = seat.machine.rec
        if login_s > env.now:
            yield env.timeout(login_s - env.now)
        # Operators already at work when the run starts badge in at its first second: the platform
        # knows nothing of the run's past, so their attended time starts with its records.
        self._badge(operator, seat, "login")
        rec.set_state(env.now, IDLE)
        rec.set_present(env.now, True)
        breaks = PersonalTime(self.cfg.personal_time_share, self.rng, env.now)
        while env.now < self.shift_end:
            if env.now >= breaks.due_s:
                yield env.timeout(min(breaks.take(env.now), self.shift_end - env.now))
                continue
            item = self._pick(seat)
            if item is None:
                yield from self._wait(seat)
            else:
                yield from self._sew(seat, operator, item, breaks)
        self._badge(operator, seat, "logout")
        rec.set_present(env.now, False)
        rec.set_state(env.now, OFF)

    def _badge(self, operator: Operator, seat: _Seat, action: str) -> None:
        if self.badge is not None:
            now = self.env.now
            self.badge.event(now, "badge", operator=operator.id, action=action, workstation=seat.ws.id)
            self.badge.count(now, "read_count")

    def _pick(self, seat: _Seat) -> _Item | None:
        best: deque[_Item] | None = None
        for op in seat.ops:
            q = self.queues.get(op.id)
            if q and (best is None or q[0].no < best[0].no):
                best = q
        return best.popleft() if best else None

    def _wait(self, seat: _Seat) -> Steps:
        env = self.env
        seat.wake = env.event()
        limit = max(0.0, min(self.cfg.no_feeding_after_s, self.shift_end - env.now))
        yield seat.wake | env.timeout(limit)
        if not seat.wake.triggered and env.now < self.shift_end and not self.changing:
            rec = seat.machine.rec
            began = env.now
            rec.event(began, "downtime", reason="no_feeding", workstation=seat.ws.id)
            self.truth.stop_began(seat.ws.id, "no_feeding", began)
            yield seat.wake | env.timeout(self.shift_end - env.now)
            self.truth.stop_ended(seat.ws.id, "no_feeding", env.now)
            rec.event(
                env.now,
                "downtime",
                reason="no_feeding",
                workstation=seat.ws.id,
                duration_s=round(env.now - began, 1),
            )
        seat.wake = None

    def _notify(self, op_id: str) -> None:
        for seat in self.op_seats.get(op_id, ()):
            if seat.wake is not None and not seat.wake.triggered:
                seat.wake.succeed()

    def _sew(self, seat: _Seat, operator: Operator, item: _Item, breaks: PersonalTime) -> Steps:
        env, op = self.env, item.op
        mtype = seat.ws.machine_type_id
        eff = operator.efficiency(mtype) * self.form.get(operator.id, 1.0)
        if op.machine_type_id != mtype:
            eff *= 0.8  # an operation done on a stand-in machine type
        key = (self.style.id if self.style else "", operator.id, op.id)
        while item.pieces_done < item.bundle.quantity:
            if env.now >= self.shift_end:
                self.queues[op.id].appendleft(item)  # the next shift goes on with this bundle
                return
            if env.now >= breaks.due_s:
                yield env.timeout(min(breaks.take(env.now), self.shift_end - env.now))
                continue
            pace = self.rng.lognormvariate(0.0, self.cfg.piece_time_sigma)
            cycle_s = op.sam_min * 60.0 * self._slowdown(key) / eff * pace
            yield from sew_piece(env, seat.machine, mtype, cycle_s, self.rng)
            item.pieces_done += 1
            self.learning[key] += 1.0
            self.truth.pieces_by_operation[(self.line.id, op.id)] += 1
            self.truth.pieces_by_operator[operator.id] += 1
        if self.cfg.bundle_handling_s > 0:  # off-standard: tie the bundle, tear the coupon, pass it on
            yield env.timeout(self.cfg.bundle_handling_s * self.rng.uniform(0.5, 1.5))
        self._finish(seat, operator, item, self._slowdown(key))

    def _slowdown(self, key: tuple[str, str, str]) -> float:
        """The learning-curve slowdown of (style, operator, operation); drawn on first sight."""
        n = self.learning.get(key)
        if n is None:
            n = self.learning[key] = self._experience(key)
        if self.style is None:
            return 1.0
        return wright_slowdown(n, self.cfg.learning_plateau_pieces, self.style.learning_rate)

    def _experience(self, key: tuple[str, str, str]) -> float:
        """Pieces of (style, operator, operation) sewn before: a few days' output of a style in
        progress (``initial_wip``), else a few hundred on the day-1 style, a few after a changeover."""
        cfg = self.cfg
        if key[0] != self.first_style:
            lo, hi = cfg.learning_new_style_pieces
        elif not cfg.initial_wip:
            lo, hi = cfg.learning_start_pieces
        else:
            op = self.ops[key[2]]
            skill = self.factory.operators_by_id[key[1]].efficiency(op.machine_type_id)
            per_day = self.factory.shift_minutes * _ESTABLISHED_EFFICIENCY * skill / op.sam_min
            return self.rng.uniform(*cfg.learning_resume_days) * per_day
        return float(self.rng.randint(lo, hi))

    # -- bundle flow ------------------------------------------------------------------------------

    def _finish(self, seat: _Seat, operator: Operator, item: _Item, slow: float) -> None:
        now, bundle, op = self.env.now, item.bundle, item.op
        if self.scanner is not None:
            self.scanner.event(
                now,
                "scan",
                bundle=bundle.id,
                operation=op.id,
                operator=operator.id,
                workstation=seat.ws.id,
                pieces=bundle.quantity,
            )
            self.scanner.count(now, "scan_count")
            if self.rng.random() < 0.02:
                self.scanner.count(now, "scan_error_count")
        self.truth.scans += 1
        self.truth.earned_min_by_line[self.line.id] += op.sam_min * bundle.quantity
        self.truth.scanned_by_operator[operator.id] += bundle.quantity
        self.truth.scanned_by_operation[(self.line.id, op.id)] += bundle.quantity
        if self.rng.random() < self.cfg.inline_check_share:
            eff = min(1.3, max(0.6, operator.efficiency(seat.ws.machine_type_id)))
            lam = self.cfg.inline_defects_per_piece * (1.0 / eff) * math.sqrt(slow)
            checked = min(self.cfg.inline_sample_pieces, bundle.quantity)
            self._inspect("inline", bundle, op, operator, seat.ws, checked, lam)
        run = self.runs[bundle.id]
        run.done.add(op.id)
        for nxt in self.successors[op.id]:
            if all(p in run.done for p in nxt.predecessors):
                self._release(_Item(run.no, bundle, nxt))
        if len(run.done) == len(self.ops):
            del self.runs[bundle.id]
            self.wip -= 1
            self.truth.bundles_done[self.line.id] += 1
            self.truth.pieces_by_line[self.line.id] += bundle.quantity
            self.truth.bundle_finished(bundle.order_id, bundle.quantity, now)
            lam = self.cfg.end_of_line_defects_per_piece * self.quality_factor * (1.0 + 0.25 * (slow - 1.0))
            self._inspect("end_of_line", bundle, op, operator, seat.ws, bundle.quantity, lam)
            self._feed()

    def _inspect(
        self,
        kind: str,
        bundle: Bundle,
        op: Operation,
        operator: Operator,
        ws: Workstation,
        checked: int,
        lam: float,
    ) -> None:
        res = quality.inspect(self.qrng, checked, lam, inline=kind == "inline")
        self.truth.inspected(self.line.id, kind, res.checked, res.defective, res.defect_count)
        if self.scanner is None:
            return
        fields: dict[str, Any] = {"kind": kind, "bundle": bundle.id}
        if kind == "inline":
            fields["operation"] = op.id
        fields |= {
            "operator": operator.id,
            "workstation": ws.id,
            "checked": res.checked,
            "defective": res.defective,
            "defects": list(res.defects),
        }
        delay = self.rng.uniform(20.0, 180.0) if kind == "inline" else self.rng.uniform(60.0, 300.0)
        self.env.process(self._later(delay, self.scanner, "inspection", fields))
        self.env.process(self._reported(delay, kind, res.checked, res.defective, res.defect_count))

    def _reported(self, delay_s: float, kind: str, checked: int, defective: int, defects: int) -> Steps:
        yield self.env.timeout(delay_s)
        self.truth.inspected(self.line.id, kind, checked, defective, defects, reported=True)

    def _later(self, delay_s: float, rec: DeviceRecorder, kind: str, fields: dict[str, Any]) -> Steps:
        yield self.env.timeout(delay_s)
        rec.event(self.env.now, kind, **fields)

    def _release(self, item: _Item) -> None:
        self.queues[item.op.id].append(item)
        self._notify(item.op.id)

    def _cap(self) -> int:
        """The number of bundles the line holds: ``wip_bundles_per_station`` per staffed seat."""
        return max(2, math.ceil(self.cfg.wip_bundles_per_station * max(1, len(self.staffed))))

    def _preload(self) -> None:
        """Yesterday's work in progress (``SimConfig.initial_wip``): the first bundles of the line's
        orders of its style, done up to various operations and queued at each in proportion to its
        seats; the first bundle at each seat was left part-sewn at yesterday's shift end."""
        if self.style is None or self.bulletin is None:
            return
        bundles: list[Bundle] = []
        cap = self._cap()
        while len(bundles) < cap:
            if self.pending:
                bundles.append(self.pending.popleft())
            elif self.orders and self.orders[0].style_id == self.style.id:
                self.pending.extend(self._load(self.orders.popleft()))
            else:
                break
        ops = self.bulletin.operations
        seats = {op.id: max(1, len(self.op_seats.get(op.id, ()))) for op in ops}
        progress = wip.start_progress(ops, {k: float(v) for k, v in seats.items()}, len(bundles))
        for bundle, done in zip(bundles, progress, strict=True):
            self.bundle_no += 1
            self.wip += 1
            self.runs[bundle.id] = _BundleRun(bundle, self.bundle_no, set(done))
            for op in ops:
                if op.id not in done and all(p in done for p in op.predecessors):
                    self._release(_Item(self.bundle_no, bundle, op))
        started: dict[str, dict[str, int]] = {}
        for op in ops:
            for item in itertools.islice(self.queues[op.id], seats[op.id]):
                item.pieces_done = self.rng.randrange(item.bundle.quantity)
                if item.pieces_done:
                    started.setdefault(item.bundle.id, {})[op.id] = item.pieces_done
        for bundle, done in zip(bundles, progress, strict=True):
            self.truth.wip_at_start.append(
                WipBundle(self.line.id, bundle.id, bundle.quantity, done, started.get(bundle.id, {}))
            )

    def _feed(self) -> None:
        """Feed cut bundles while the line's WIP is below its cap; change style when an order ends."""
        cap = self._cap()
        while self.wip < cap and not self.changing:
            if not self.pending and not self._next_order():
                return
            bundle = self.pending.popleft()
            self.bundle_no += 1
            self.wip += 1
            self.runs[bundle.id] = _BundleRun(bundle, self.bundle_no, set())
            self.truth.bundles_released[self.line.id] += 1
            for op in self.ops.values():
                if not op.predecessors:
                    self._release(_Item(self.bundle_no, bundle, op))

    def wake(self) -> None:
        """Orders were queued or released: a line without enough work takes them now."""
        if self.staffed and not self.changing and self.shift_end > self.env.now:
            self._feed()

    def _next_order(self) -> bool:
        """Load the next order's bundles; False while waiting (no order, or a changeover is due)."""
        if not self.orders and self.order_pool:
            self.orders.append(self.order_pool.popleft())
        if not self.orders:
            return False
        order = self.orders[0]
        if self.style is None or order.style_id != self.style.id:
            if self.wip == 0 and self.staffed:
                self.changing = True
                self.env.process(self._changeover(self.factory.styles[order.style_id]))
            return False
        self.orders.popleft()
        self.pending.extend(self._load(order))
        return bool(self.pending)

    def _load(self, order: Order) -> tuple[Bundle, ...]:
        """An order's cut bundles, the line now committed to it (a plan no longer moves it)."""
        self.loaded.append(order.id)
        self.truth.order_quantity[order.id] = order.quantity
        return order.bundles()

    def _changeover(self, style: Style) -> Steps:
        """Set the line up for the next style (downtime ``changeover`` on every staffed seat)."""
        env = self.env
        began = env.now
        seats = list(self.staffed)
        for seat in seats:
            seat.machine.rec.event(began, "downtime", reason="changeover", workstation=seat.ws.id)
            self.truth.stop_began(seat.ws.id, "changeover", began)
        yield env.timeout(self.cfg.changeover_min * 60.0 * self.rng.uniform(0.8, 1.2))
        self.style = style
        self.bulletin = style.bulletin
        self._index_bulletin()
        self.setup = balance.assign([s.ws for s in self.staffed], self.bulletin)
        self._apply_setup()
        self.truth.changeovers.append((self.line.id, env.now, style.id))
        for seat in seats:
            self.truth.stop_ended(seat.ws.id, "changeover", env.now)
            seat.machine.rec.event(
                env.now,
                "downtime",
                reason="changeover",
                workstation=seat.ws.id,
                duration_s=round(env.now - began, 1),
            )
        self.changing = False
        self._feed()
