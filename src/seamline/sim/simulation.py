"""The floor twin: SimPy floor model plus the telemetry every device would publish."""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import simpy

from seamline.model.factory import Device, DeviceCategory, Factory, Order
from seamline.sim.clock import (
    back_to_back_windows,
    default_start,
    epoch_ms,
    np_stream,
    shift_windows,
    stream,
)
from seamline.sim.config import SimConfig, SimulationError
from seamline.sim.equipment import equipment, usual_run_share
from seamline.sim.line import LineFloor
from seamline.sim.machine import Machine
from seamline.sim.recorder import STATE_NAMES, DeviceRecorder
from seamline.sim.schedule import phase_grid_ms
from seamline.sim.telemetry import DeviceGroup
from seamline.sim.truth import FloorTruth, TruthLedger
from seamline.sim.typemodel import TypeModel, build_type_model


@dataclass(frozen=True, slots=True)
class LineOrders:
    """A line's work as :meth:`FloorSimulation.line_orders` sees it."""

    line_id: str
    style_id: str | None
    changing: bool  # a changeover to the next style is under way
    taken: tuple[str, ...]  # orders whose bundles the line has taken, in order
    queued: tuple[str, ...]  # orders it takes next, in order
    staffed: int  # seats with an operator this shift
    wip_bundles: int


_MAX_PHASE_MS = 250  # "a small per-device phase offset"
_NOT_MACHINES = (DeviceCategory.SCANNER, DeviceCategory.BADGE)


class FloorSimulation:
    """A deterministic discrete-event twin of a factory floor that emits what its devices would send.

    Sewing lines run their orders' bundles through the style's operation bulletin (SimPy); every
    device publishes one message per ``publish_interval_s`` of simulated time in the wire format of
    docs/telemetry.md, with channel indices in ``readings.ch``. The same ``seed`` gives
    byte-identical messages.

    >>> from seamline.model.loader import load_factory
    >>> sim = FloorSimulation(load_factory(), seed=1)
    >>> msgs = sim.advance(2.0)  # two seconds: one message per device and second
    >>> len(msgs) == 2 * len(sim.factory.devices)
    True
    """

    def __init__(
        self,
        factory: Factory,
        *,
        seed: int = 0,
        start: dt.datetime | None = None,
        publish_interval_s: float = 1.0,
        config: SimConfig | None = None,
    ) -> None:
        if start is not None and (start.tzinfo is None or start.utcoffset() is None):
            raise SimulationError("start", "must be timezone-aware (UTC); got a naive datetime")
        interval_ms = round(publish_interval_s * 1000.0) if math.isfinite(publish_interval_s) else 0
        if interval_ms < 1 or abs(interval_ms - publish_interval_s * 1000.0) > 1e-6:
            raise SimulationError(
                "publish_interval_s",
                f"must be a positive whole number of milliseconds, got {publish_interval_s}",
            )
        self.config = config if config is not None else SimConfig()
        self.config.check()
        if self.config.demo_calendar and self.config.demo_shift_elapsed_min >= factory.shift_minutes:
            raise SimulationError(
                "config.demo_shift_elapsed_min",
                f"must be shorter than the factory's shift ({factory.shift_minutes} min), "
                f"got {self.config.demo_shift_elapsed_min}",
            )
        self.factory = factory
        self.seed = seed
        self.start = (start if start is not None else default_start(factory)).astimezone(dt.UTC)
        self.publish_interval_s = publish_interval_s
        self._interval_ms = interval_ms
        self._epoch_ms = epoch_ms(self.start)
        self._a_ms = 0
        self.messages_emitted = 0
        self.env = simpy.Environment()
        self._ledger = TruthLedger()

        by_type: dict[str, list[Device]] = {}
        for d in factory.devices:
            by_type.setdefault(d.machine_type.id, []).append(d)
        self._models = {
            t: build_type_model(ds[0].machine_type, len(ds), np_stream(seed, f"params:{t}"))
            for t, ds in by_type.items()
        }
        self._recorders: dict[str, DeviceRecorder] = {}
        self._where: dict[str, tuple[str, int]] = {}
        for t, ds in by_type.items():
            m = self._models[t]
            cols = m.counter_columns
            for i, d in enumerate(ds):
                self._recorders[d.id] = DeviceRecorder(d, cols, float(m.speed_spm[i]))
                self._where[d.id] = (t, i)
        self._machines: dict[str, Machine] = {}
        self._build_floor()
        self._groups: list[DeviceGroup] = []
        self._groups_by_type: dict[str, DeviceGroup] = {}
        if self.config.telemetry:
            self._build_telemetry(by_type)
        self._connect()

    # -- construction -----------------------------------------------------------------------------

    def _machine(self, d: Device, *, sewing: bool) -> Machine:
        rec = self._recorders[d.id]
        m = Machine(
            self.env,
            rec,
            d.machine_type,
            self.config,
            stream(self.seed, f"faults:{d.id}"),
            self._ledger,
            workstation=d.workstation_id or d.id,
            sewing=sewing,
            bobbin=self._models[d.machine_type.id].has_bobbin,
        )
        self._machines[d.id] = m
        rec.online = False  # it reports its state on connecting, once the floor is set at t = 0
        return m

    def _windows(self) -> Iterator[tuple[float, float]]:
        cfg = self.config
        if cfg.demo_calendar:
            return back_to_back_windows(self.factory, cfg.demo_shift_elapsed_min * 60.0)
        return shift_windows(self.factory, self.start, from_start=cfg.shift_from_start)

    def _connect(self) -> None:
        """Set the floor as it is at ``start`` (a shift in progress is staffed and its machines on),
        then let every machine report that state, as a device does when it connects."""
        env = self.env
        while env.peek() <= 0.0:
            env.step()
        for rec in self._recorders.values():
            if not rec.online:
                rec.connect(0.0)
        for g in self._groups:
            g.warm(usual_run_share(g.model.machine_type))

    def _build_floor(self) -> None:
        f, env = self.factory, self.env
        pool: deque[Order] = deque(o for o in f.orders if o.line_id is None)
        self._pool = pool
        self._lines: list[LineFloor] = []
        for line in f.lines:
            machines = {
                w.id: self._machine(f.devices_by_id[w.device_id], sewing=True) for w in line.workstations
            }
            shared: dict[str, DeviceRecorder] = {}
            for dev_id in line.shared_device_ids:
                cat = f.devices_by_id[dev_id].machine_type.category
                key = (
                    "scanner"
                    if cat is DeviceCategory.SCANNER
                    else "badge"
                    if cat is DeviceCategory.BADGE
                    else ""
                )
                if key and key not in shared:
                    shared[key] = self._recorders[dev_id]
            lf = LineFloor(
                env,
                f,
                line,
                self.config,
                machines,
                shared,
                self._ledger,
                pool,
                self._windows(),
                (
                    stream(self.seed, f"attendance:{line.id}"),
                    stream(self.seed, f"work:{line.id}"),
                    np_stream(self.seed, f"quality:{line.id}"),
                ),
                self._set_program,
            )
            self._lines.append(lf)
            env.process(lf.run())
        seats = {w.device_id for line in f.lines for w in line.workstations}
        for d in f.devices:
            mt = d.machine_type
            if d.id in seats or mt.category in _NOT_MACHINES or "runtime_state" not in mt.channel_index:
                continue
            m = self._machine(d, sewing=mt.category is DeviceCategory.SEWING)
            env.process(
                equipment(
                    env,
                    m,
                    mt.id,
                    stream(self.seed, f"duty:{d.id}"),
                    self._windows(),
                )
            )

    def _build_telemetry(self, by_type: dict[str, list[Device]]) -> None:
        f, cfg = self.factory, self.config
        row_of = {d.id: i for i, d in enumerate(f.devices)}
        self._run_frac = np.zeros(len(f.devices))
        self._on_frac = np.zeros(len(f.devices))
        # activity groups: each sewing line, and each area's other machines
        group_key: dict[str, int] = {}
        machine_rows: list[int] = []
        group_of: list[int] = []
        for d in f.devices:
            if d.id in self._machines:
                key = d.line_id or d.area_id
                machine_rows.append(row_of[d.id])
                group_of.append(group_key.setdefault(key, len(group_key)))
        self._machine_rows = np.array(machine_rows, np.int64)
        self._group_of = np.array(group_of, np.int64)
        self._n_groups = max(1, len(group_key))
        self._load = np.zeros(self._n_groups)
        clock = np_stream(self.seed, "clocks")
        circuits = np_stream(self.seed, "circuits")
        for t, ds in by_type.items():
            m: TypeModel = self._models[t]
            grid = min(phase_grid_ms(m, self._interval_ms), _MAX_PHASE_MS)
            phase = clock.integers(0, grid, len(ds)) if grid > 1 else np.zeros(len(ds), np.int64)
            skew = clock.integers(-cfg.clock_skew_ms, cfg.clock_skew_ms + 1, len(ds))
            circuit_group = (
                circuits.integers(0, self._n_groups, (len(ds), m.n_circuits))
                if m.n_circuits
                else np.zeros((0, 0), np.int64)
            )
            g = DeviceGroup(
                m,
                [self._recorders[d.id] for d in ds],
                np.array([row_of[d.id] for d in ds], np.int64),
                machine=any(d.id in self._machines for d in ds),
                rng=np_stream(self.seed, f"telemetry:{t}"),
                interval_ms=self._interval_ms,
                epoch_ms=self._epoch_ms,
                phase_ms=phase.astype(np.int64),
                skew_ms=skew.astype(np.int64),
                reset_per_h=cfg.controller_reset_per_h,
                circuit_group=circuit_group.astype(np.int64),
                bobbin_stitches=cfg.bobbin_stitches,
            )
            self._groups.append(g)
            self._groups_by_type[t] = g
        # machines first: gateways (energy meters, environment) read the floor's load of this interval
        self._groups.sort(key=lambda g: not g.machine)

    def _set_program(self, device_id: str, program: float) -> None:
        t, row = self._where[device_id]
        g = self._groups_by_type.get(t)
        if g is not None:
            g.set_const(row, "program_no", program)

    # -- running ----------------------------------------------------------------------------------

    @property
    def now_s(self) -> float:
        """Simulated seconds after ``start`` up to which messages have been produced."""
        return self._a_ms / 1000.0

    @property
    def now(self) -> dt.datetime:
        """``start + now_s`` (UTC)."""
        return self.start + dt.timedelta(milliseconds=self._a_ms)

    @property
    def readings_emitted(self) -> int:
        return sum(g.readings for g in self._groups)

    def advance(self, until_s: float, *, numpy_columns: bool = False) -> list[dict[str, Any]]:
        """Run to ``until_s`` seconds after ``start``; the messages of every interval completed since
        the previous call, in time order (sorted by ``sent_ts`` within an interval).

        An interval that ``until_s`` cuts is produced by the next call that passes its end. The
        messages are wire-format dicts (``orjson.dumps`` gives the JSON of docs/telemetry.md). With
        ``numpy_columns`` the ``readings`` columns are read-only numpy arrays instead of lists (int64
        ``ch`` and ``ts``, float64 ``v``), for a receiver in the same process; the values are the same.
        """
        if not math.isfinite(until_s):
            raise SimulationError("until_s", f"must be a finite number of seconds, got {until_s}")
        until_ms = math.floor(until_s * 1000.0 + 1e-6)
        out: list[dict[str, Any]] = []
        iv = self._interval_ms
        while self._a_ms + iv <= until_ms:
            self._step(out, numpy_columns)
        return out

    def _step(self, out: list[dict[str, Any]], numpy_columns: bool) -> None:
        a = self._a_ms
        self.env.run(until=(a + self._interval_ms) / 1000.0)
        if not self._groups:
            for rec in self._recorders.values():
                rec.clear()
        else:
            first = len(out)
            gateways = False
            for g in self._groups:
                if not g.machine and not gateways:
                    gateways = True
                    self._update_load()
                g.emit(a, out, self._run_frac, self._on_frac, self._load, numpy_columns=numpy_columns)
            out[first:] = sorted(out[first:], key=itemgetter("sent_ts"))
            self.messages_emitted += len(out) - first
        self._a_ms = a + self._interval_ms

    def _update_load(self) -> None:
        rows = self._machine_rows
        if rows.size == 0:
            return
        share = 0.25 * self._on_frac[rows] + 0.75 * self._run_frac[rows]
        total = np.bincount(self._group_of, weights=share, minlength=self._n_groups)
        count = np.bincount(self._group_of, minlength=self._n_groups)
        self._load = total / np.maximum(count, 1)

    # -- line loading: which orders each line makes next (a plan, or first come) -----------------

    def line_orders(self) -> dict[str, LineOrders]:
        """Each line's style, the orders it has taken (cut bundles fed or waiting to be) and the
        ones queued for it, its staffed seats; and, under ``""``, the pool that any free line takes
        from, first come first served."""
        out = {
            lf.line.id: LineOrders(
                lf.line.id,
                lf.style.id if lf.style else None,
                lf.changing,
                tuple(lf.loaded),
                tuple(o.id for o in lf.orders),
                len(lf.staffed),
                lf.wip,
            )
            for lf in self._lines
        }
        out[""] = LineOrders("", None, False, (), tuple(o.id for o in self._pool), 0, 0)
        return out

    def load_lines(self, queues: Mapping[str, Sequence[Order]]) -> None:
        """Queue these orders on these lines, in this sequence, in place of what was queued there
        (an order a line has taken stays with it, wherever a plan puts it); a queued order leaves
        the pool. Idle lines start at once (a changeover first when the style changes)."""
        by_id = {lf.line.id: lf for lf in self._lines}
        unknown = sorted(set(queues) - set(by_id))
        if unknown:
            raise SimulationError("queues", f"no line {unknown[0]!r} on this floor")
        taken = {oid for lf in self._lines for oid in lf.loaded}
        queues = {k: [o for o in v if o.id not in taken] for k, v in queues.items()}  # taken: stays
        queued = {o.id for orders in queues.values() for o in orders}
        for lf in by_id.values():
            if lf.line.id in queues:
                lf.orders = deque(queues[lf.line.id])
            else:
                lf.orders = deque(o for o in lf.orders if o.id not in queued)
        self._pool = deque(o for o in self._pool if o.id not in queued)
        for lf in self._lines:
            lf.order_pool = self._pool
            lf.wake()

    def release(self, order: Order) -> None:
        """A new order (a rush order, say) joins the pool, last; a line without work takes it."""
        self._pool.append(order)
        for lf in self._lines:
            lf.wake()

    @property
    def truth(self) -> FloorTruth:
        """Ground truth of the floor so far: output, bundles, state time per machine, inspections."""
        now = self.env.now
        names = STATE_NAMES
        state_s = {
            dev: dict(zip(names, self._recorders[dev].state_seconds(now), strict=True))
            for dev in self._machines
        }
        state = {dev: names[self._recorders[dev].state] for dev in self._machines}
        return self._ledger.snapshot(now, state_s, state)
