"""The telemetry encoder: turns the floor's recorders into wire messages, one per device and interval.

All devices of one machine type are encoded together: one value matrix (devices x samples) per
interval, built with a few vectorised numpy operations, then split into per-device messages in the
format of docs/telemetry.md (channel indices in ``readings.ch``, device-clock milliseconds).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from seamline.sim.behaviour import Source
from seamline.sim.recorder import FAULT, OFF, RUNNING, STATE_NAMES, DeviceRecorder
from seamline.sim.schedule import Schedule, ScheduleCache
from seamline.sim.typemodel import TypeModel

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

HEAT_TAU_S = 600.0  # thermal time constant of motors, heaters, boxes
DRIFT_TAU_S = 1800.0  # slow wander of ambient signals


class DeviceGroup:
    """Runtime state of the telemetry of all devices of one machine type."""

    def __init__(
        self,
        model: TypeModel,
        recorders: list[DeviceRecorder],
        rows: I64,
        *,
        machine: bool,
        rng: np.random.Generator,
        interval_ms: int,
        epoch_ms: int,
        phase_ms: I64,
        skew_ms: I64,
        reset_per_h: float,
        circuit_group: I64,
        bobbin_stitches: int,
    ) -> None:
        self.model = model
        self.recorders = recorders
        self.rows = rows
        self.machine = machine
        self.rng = rng
        self.interval_ms = interval_ms
        self.epoch_ms = epoch_ms
        self.phase = phase_ms
        self.skew = skew_ms
        self.latency = rng.integers(3, 40, model.n)
        self.circuit_group = circuit_group
        self.bobbin_pct_stitches = bobbin_stitches / 100.0
        self.schedules = ScheduleCache(model, interval_ms)
        n = model.n
        self.k0 = np.array([r.packed for r in recorders], np.int64)
        self.acc = model.k_init.copy()
        self.counter_rates = bool(model.r_wall.any() or model.r_on.any() or model.r_run.any())
        self.bits = model.b_init.copy()
        self.const = model.c_init.copy()
        self.drift = rng.normal(0.0, 1.0, model.base.shape) * model.g_drift_sd
        self.drifts = bool(model.g_drift_sd.any())
        # the drift is slow (30 min): update it every ~10 s of simulated time
        self.drift_every = max(1, 10_000 // interval_ms)
        self.drift_rho = math.exp(-self.drift_every * interval_ms / 1000.0 / DRIFT_TAU_S)
        self.on_ema = np.zeros(n) if machine else np.ones(n)
        self.run_ema = np.zeros(n)
        self.heat_alpha = 1.0 - math.exp(-interval_ms / 1000.0 / HEAT_TAU_S)
        self.win = np.zeros((4, n))  # run, on, fault seconds and bursts since the last aggregate snapshot
        self.idle_stats = np.zeros((4, n))
        self.idle_stats[1] = interval_ms
        self.seq = [0] * n
        self.boot = [0] * n
        self.reset_mean_ms = 3.6e6 / reset_per_h if reset_per_h > 0 else math.inf
        self.next_reset = np.array([self._reset_gap() for _ in range(n)])
        self.next_reset_min = float(self.next_reset.min()) if n else math.inf
        self.readings = 0
        self.counter_names = model.k_names
        self.intervals = 0

    def warm(self, run_share: float) -> None:
        """Start the slow (thermal) averages from the states the machines are in at the start.

        A machine already on when the run starts has been at work for a while: its motor, box and
        heaters are as warm as after a few thermal time constants running ``run_share`` of the time.
        """
        if not self.machine:
            return
        on = np.array([r.state != OFF for r in self.recorders], np.float64)
        self.on_ema = on
        self.run_ema = on * run_share

    def _reset_gap(self) -> float:
        return self.rng.exponential(self.reset_mean_ms) if math.isfinite(self.reset_mean_ms) else math.inf

    def set_const(self, row: int, channel: str, value: float) -> None:
        ci = self.model.machine_type.channel_index.get(channel)
        if ci is not None and self.model.source[ci] == Source.CONST:
            self.const[row, self.model.col[ci]] = value

    def emit(
        self,
        a_ms: int,
        out: list[dict[str, Any]],
        run_frac: F64,
        on_frac: F64,
        load: F64,
        *,
        numpy_columns: bool = False,
    ) -> None:
        """Append this interval's messages; write the devices' running / on shares into the globals.

        With ``numpy_columns`` the reading columns are numpy arrays (int64 channel indices and
        timestamps, float64 values) instead of lists: the in-process fast path.
        """
        model, n = self.model, self.model.n
        sched = self.schedules.at(a_ms)
        # rebooted controllers: row -> the state they report on reconnecting, at the interval start
        resets = {r: int(self.k0[r]) & 3 for r in self._resets(a_ms)} if a_ms >= self.next_reset_min else {}
        k_mat, stats = self._states(a_ms, sched)
        run_f = stats[0] / self.interval_ms
        on_f = stats[1] / self.interval_ms
        if self.machine:
            run_frac[self.rows] = run_f
            on_frac[self.rows] = on_f
            self.on_ema += (on_f - self.on_ema) * self.heat_alpha
            self.run_ema += (run_f - self.run_ema) * self.heat_alpha
            self.win[:3] += stats[:3] / 1000.0
            self.win[3] += stats[3]
        circuit = load[self.circuit_group] if self.circuit_group.size else None

        values = np.empty((n, sched.size))
        if sched.g_pos.size:
            values[:, sched.g_pos] = self._gauges(sched, k_mat, circuit)
        self.intervals += 1
        if self.drifts and self.intervals % self.drift_every == 0:
            self._drift()
        if model.k_cols.size:
            self._counters(a_ms, sched, values, run_f, on_f, circuit)
        if k_mat is not None:
            for src, pos in sched.code_pos:
                values[:, pos] = _decode(k_mat[:, pos], src)
        if model.b_cols.size:
            p = np.where(self.bits, model.b_p_off, model.b_p_on)
            if self.machine:
                p += model.b_p_active * run_f[:, None]
            self.bits ^= self.rng.random(self.bits.shape) < p
            if sched.b_pos.size:
                values[:, sched.b_pos] = self.bits[:, sched.b_col]
        if sched.c_pos.size:
            values[:, sched.c_pos] = self.const[:, sched.c_col]
        for name, pos in sched.d_pos:
            c = int(sched.ch[pos[0]])
            x = np.clip(self._derived(name), model.low[c], model.high[c])
            values[:, pos] = (np.rint(x / model.res[c]) * model.mul[c] / model.div[c])[:, None]
        if sched.window_sampled:
            self.win[:] = 0.0
        self._messages(a_ms, sched, values, resets, out, numpy_columns)

    # -- pieces of one interval ---------------------------------------------------------------

    def _resets(self, a_ms: int) -> list[int]:
        """Controllers that rebooted at the start of this interval: counters from 0, boot + 1, seq 0."""
        rows: list[int] = np.flatnonzero(self.next_reset <= a_ms).tolist()
        for r in rows:
            self.acc[r] = 0.0
            self.boot[r] += 1
            self.seq[r] = 0
            self.next_reset[r] = a_ms + self._reset_gap()
        self.next_reset_min = float(self.next_reset.min())
        return rows

    def _states(self, a_ms: int, sched: Schedule) -> tuple[I64 | None, F64]:
        """Packed state codes at every sample instant, and (run, on, fault ms, bursts) per device."""
        if not self.machine:
            return None, self.idle_stats
        n, iv = self.model.n, self.interval_ms
        k0 = self.k0
        st = k0 & 3
        stats = np.zeros((4, n))
        stats[0] = (st == RUNNING) * iv
        stats[1] = (st != OFF) * iv
        stats[2] = (st == FAULT) * iv
        k_mat: I64 | None = None
        if sched.needs_codes:
            k_mat = np.repeat(k0[:, None], sched.size, axis=1)
        off = sched.off
        for d, rec in enumerate(self.recorders):
            if not rec.changes:
                continue
            ph = int(self.phase[d])
            prev_t, prev = 0, int(k0[d])
            acc = [0, 0, 0, 0]  # ms per state
            bursts = 0
            for t_ms, code in rec.changes:
                t = min(max(t_ms - a_ms, 0), iv - 1)
                acc[prev & 3] += t - prev_t
                if code & 3 == RUNNING and prev & 3 != RUNNING:
                    bursts += 1
                if k_mat is not None:
                    k_mat[d, int(np.searchsorted(off, t - ph)) :] = code
                prev_t, prev = t, code
            acc[prev & 3] += iv - prev_t
            stats[0, d] = acc[RUNNING]
            stats[1, d] = iv - acc[OFF]
            stats[2, d] = acc[3]
            stats[3, d] = bursts
            k0[d] = prev
            rec.changes.clear()
        return k_mat, stats

    def _gauges(self, sched: Schedule, k_mat: I64 | None, circuit: F64 | None) -> F64:
        m = self.model
        cg = sched.g_col
        on: F64 | float = 1.0
        run: F64 | float = 0.0
        if k_mat is not None and sched.any_sample:
            s = k_mat[:, sched.g_pos] & 3
            on = (s != OFF).astype(np.float64)
            run = (s == RUNNING).astype(np.float64)
        if sched.any_heat:
            on = np.where(sched.g_heat, self.on_ema[:, None], on)
            run = np.where(sched.g_heat, self.run_ema[:, None], run)
        if circuit is not None and sched.any_circuit:
            run = np.where(sched.g_circuit, circuit[:, sched.g_circuit_no], run)
        x = m.base[:, cg] + m.a_on[:, cg] * on + m.a_run[:, cg] * run + self.drift[:, cg]
        x += (sched.g_sd + sched.g_sd_on * on + sched.g_sd_run * run) * self.rng.standard_normal(x.shape)
        np.clip(x, sched.g_low, sched.g_high, out=x)
        return np.rint(x / sched.g_res) * sched.g_mul / sched.g_div + 0.0

    def _drift(self) -> None:
        m = self.model
        if m.g_cols.size:
            kick = self.rng.standard_normal(self.drift.shape) * m.g_drift_sd
            self.drift *= self.drift_rho
            self.drift += kick * math.sqrt(1.0 - self.drift_rho**2)

    def _counters(
        self, a_ms: int, sched: Schedule, values: F64, run_f: F64, on_f: F64, circuit: F64 | None
    ) -> None:
        m = self.model
        kp, kc = sched.k_pos, sched.k_col
        step: F64 | None = None
        if self.counter_rates:
            run = run_f[:, None]
            if circuit is not None and (m.k_circuit >= 0).any():
                run = np.where(m.k_circuit >= 0, circuit[:, np.maximum(m.k_circuit, 0)], run)
            step = (m.r_wall + m.r_on * on_f[:, None] + m.r_run * run) * (self.interval_ms / 1000.0)
        vals: F64 | None = None
        if kp.size:
            vals = self.acc[:, kc]
            if step is not None:
                frac = sched.k_frac[None, :] + self.phase[:, None] / self.interval_ms
                vals = vals + step[:, kc] * frac
        for d, rec in enumerate(self.recorders):
            if not rec.increments:
                continue
            ph = int(self.phase[d])
            for t_ms, col, amount in rec.increments:
                self.acc[d, col] += amount
                if vals is not None:
                    t = min(max(t_ms - a_ms, 0), self.interval_ms - 1)
                    vals[d, (kc == col) & (sched.k_off + ph >= t)] += amount
            rec.increments.clear()
        if step is not None:
            self.acc += step
        if vals is not None:
            values[:, kp] = np.floor(vals / sched.k_res + 1e-9) * sched.k_mul / sched.k_div

    def _derived(self, name: str) -> F64:
        """Aggregates the controller box computes over its snapshot window (10 s in the reference)."""
        fn = _DERIVED.get(name)
        return fn(self) if fn is not None else np.zeros(self.model.n)

    def _messages(
        self,
        a_ms: int,
        sched: Schedule,
        values: F64,
        resets: dict[int, int],
        out: list[dict[str, Any]],
        numpy_columns: bool,
    ) -> None:
        iv = self.interval_ms
        dev_base = (self.epoch_ms + a_ms) + self.skew
        ts_rows = (dev_base + self.phase)[:, None] + sched.off[None, :]
        if numpy_columns:  # the rows handed out are views: nobody may write through them
            ts_rows.flags.writeable = False
            values.flags.writeable = False
        ts_list: Any = ts_rows if numpy_columns else ts_rows.tolist()
        v_list: Any = values if numpy_columns else values.tolist()
        ch_col: Any = sched.ch_readonly if numpy_columns else sched.ch_list
        sent = (dev_base + iv + self.latency).tolist()
        bases = dev_base.tolist()
        ch_list = sched.ch_list
        names = self.counter_names
        for d, rec in enumerate(self.recorders):
            base = bases[d]
            events: list[dict[str, Any]] = []
            if d in resets:
                events.extend({"ts": base, "type": "counter_reset", "channel": name} for name in names)
                if self.machine:
                    events.append({"ts": base, "type": "state", "state": STATE_NAMES[resets[d]]})
            if rec.events:
                for ev in rec.events:
                    ev["ts"] = base + min(max(ev["ts"] - a_ms, 0), iv - 1)
                events.extend(rec.events)
                rec.events.clear()
            msg: dict[str, Any] = {
                "device": rec.device.id,
                "seq": self.seq[d],
                "boot": self.boot[d],
                "sent_ts": sent[d],
                "readings": {
                    "ch": ch_col if numpy_columns else ch_list.copy(),
                    "ts": ts_list[d],
                    "v": v_list[d],
                },
            }
            if not events and not ch_list:
                events.append({"ts": base + iv - 1, "type": "heartbeat"})
            if events:
                msg["events"] = events
            out.append(msg)
            self.seq[d] += 1
        self.readings += sched.size * self.model.n


# (shift, mask) of each state-like channel in the packed codes (see recorder.pack)
_FIELDS = {
    int(Source.STATE): (0, 3),
    int(Source.FAULT): (2, 255),
    int(Source.WARNING): (10, 15),
    int(Source.PRESENT): (14, 1),
}


def _decode(k: I64, src: int) -> I64:
    """One state-like channel out of the packed codes."""
    field = _FIELDS.get(src)
    if field is None:  # Source.RUNNING
        return np.asarray(np.bitwise_and(k, 3) == RUNNING, np.int64)
    return np.asarray(np.bitwise_and(np.right_shift(k, field[0]), field[1]), np.int64)


# -- the box's window aggregates (sewing_controller channels) -------------------------------------


def _speed_avg(g: DeviceGroup) -> F64:
    m = g.model
    jitter = 1.0 + 0.02 * g.rng.standard_normal(m.n)
    return np.where(g.win[0] > 0, m.speed_spm * jitter, 0.0)


def _speed_max(g: DeviceGroup) -> F64:
    return np.where(g.win[0] > 0, g.model.speed_spm * 1.08, 0.0)


def _burst_count(g: DeviceGroup) -> F64:
    return np.array(g.win[3], np.float64)


def _burst_avg(g: DeviceGroup) -> F64:
    return np.asarray(g.win[0] / np.maximum(g.win[3], 1.0), np.float64)


def _idle_gap_avg(g: DeviceGroup) -> F64:
    run_s, on_s, fault_s, bursts = g.win
    return np.asarray(np.maximum(on_s - run_s - fault_s, 0.0) / np.maximum(bursts, 1.0), np.float64)


def _needle_time(g: DeviceGroup) -> F64:
    run_s, on_s = g.win[0], g.win[1]
    return np.where(on_s > 0, 100.0 * run_s / np.maximum(on_s, 1e-9), 0.0)


def _stitches_per_piece(g: DeviceGroup) -> F64:
    return np.array([r.last_piece_stitches for r in g.recorders], np.float64)


def _bobbin_remaining(g: DeviceGroup) -> F64:
    if not g.model.has_bobbin:
        return np.full(g.model.n, 100.0)
    used = np.array([r.bobbin_used for r in g.recorders], np.float64)
    return 100.0 - used / g.bobbin_pct_stitches


_DERIVED: dict[str, Callable[[DeviceGroup], F64]] = {
    "speed_avg": _speed_avg,
    "speed_max": _speed_max,
    "burst_count": _burst_count,
    "burst_avg": _burst_avg,
    "idle_gap_avg": _idle_gap_avg,
    "needle_time": _needle_time,
    "stitches_per_piece": _stitches_per_piece,
    "bobbin_remaining": _bobbin_remaining,
}
