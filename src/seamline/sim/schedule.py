"""Which channels a device samples in one publish interval, and when.

Channel ``c`` of a device samples at ``phase + lead[c] + k * period_ms[c]`` (ms after the simulation
start). When ``phase`` is below ``g = gcd(periods, interval)``, the leads are multiples of ``g`` and
intervals start at multiples of the interval, the set of ``k`` falling in ``[a, a + interval)`` does
not depend on the phase: every device of a type shares one schedule per interval, offset by its own
phase. The pattern repeats with ``lcm(periods, interval)``, so schedules are cached by ``a mod lcm``.

State-like channels (machine state, fault, warning, presence, running) are read as late in their
interval as the grid allows (``lead = min(period, interval) - g``), the way a controller reads its
registers just before it publishes: a state travels to the screens the moment it is read, not an
interval later. The other channels sample from the start of their period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seamline.sim.behaviour import Activity, Source
from seamline.sim.typemodel import TypeModel

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

_WINDOW_DERIVED = ("speed_avg", "speed_max", "burst_count", "burst_avg", "idle_gap_avg", "needle_time")
_MAX_CACHED = 4096
# read at the end of their interval (see the module's docstring)
_READ_LATE = np.array(
    [int(s) for s in (Source.STATE, Source.FAULT, Source.WARNING, Source.PRESENT, Source.RUNNING)]
)


@dataclass(frozen=True, slots=True, eq=False)
class Schedule:
    """Samples of one interval, in time order: channel index and offset (ms) from the interval start."""

    ch: I64
    off: I64
    ch_list: list[int]
    ch_readonly: I64  # ``ch`` that no receiver can change: shared by the messages of an interval
    frac: F64  # off / interval
    g_pos: I64  # positions of gauge samples ...
    g_col: I64  # ... and their gauge column; then per gauge sample:
    g_sample: B  # follows the machine state at the instant
    g_heat: B  # follows the machine's warm-up
    g_circuit: B  # follows the load of the circuit or zone it watches
    g_circuit_no: I64
    g_sd: F64
    g_sd_on: F64
    g_sd_run: F64
    g_low: F64
    g_high: F64
    g_res: F64
    g_mul: F64
    g_div: F64
    any_sample: bool
    any_heat: bool
    any_circuit: bool
    k_pos: I64
    k_col: I64
    k_off: I64
    k_frac: F64
    k_res: F64
    k_mul: F64
    k_div: F64
    code_pos: tuple[tuple[int, I64], ...]  # (Source of a state-like channel, positions)
    b_pos: I64
    b_col: I64
    c_pos: I64
    c_col: I64
    d_pos: tuple[tuple[str, I64], ...]
    needs_codes: bool
    window_sampled: bool

    @property
    def size(self) -> int:
        return int(self.ch.size)


def phase_grid_ms(model: TypeModel, interval_ms: int) -> int:
    """``g``: device phases must stay below it for devices of a type to share schedules."""
    return math.gcd(interval_ms, *model.period_ms.tolist())


class ScheduleCache:
    """Schedules of one machine type, computed once per position in the repeating pattern."""

    def __init__(self, model: TypeModel, interval_ms: int) -> None:
        self.model = model
        self.interval_ms = interval_ms
        self.cycle_ms = math.lcm(interval_ms, *model.period_ms.tolist())
        self._cache: dict[int, Schedule] = {}

    def at(self, a_ms: int) -> Schedule:
        key = a_ms % self.cycle_ms
        found = self._cache.get(key)
        if found is None:
            found = build_schedule(self.model, a_ms, self.interval_ms)
            if len(self._cache) < _MAX_CACHED:
                self._cache[key] = found
        return found


def build_schedule(model: TypeModel, a_ms: int, interval_ms: int) -> Schedule:
    p = model.period_ms
    lead = np.where(
        np.isin(model.source, _READ_LATE), np.minimum(p, interval_ms) - phase_grid_ms(model, interval_ms), 0
    )
    k_lo = -(-(a_ms - lead) // p)  # ceil
    k_hi = -(-(a_ms + interval_ms - lead) // p)
    counts = k_hi - k_lo
    ch = np.repeat(np.arange(p.size, dtype=np.int64), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.repeat(k_lo, counts) + (np.arange(ch.size, dtype=np.int64) - starts)
    off = k * p[ch] + lead[ch] - a_ms
    order = np.lexsort((ch, off))
    ch = ch[order]
    off = off[order]
    src = model.source[ch]
    col = model.col[ch]

    def where(s: Source) -> I64:
        return np.flatnonzero(src == s)

    g_pos = where(Source.GAUGE)
    g_col = col[g_pos]
    g_ch = ch[g_pos]
    act = model.g_act[g_col]
    k_pos = where(Source.COUNTER)
    k_ch = ch[k_pos]
    code_pos = tuple(
        (int(s), where(s))
        for s in (Source.STATE, Source.FAULT, Source.WARNING, Source.PRESENT, Source.RUNNING)
        if where(s).size
    )
    d_pos = where(Source.DERIVED)
    names = [model.d_names[c] for c in col[d_pos].tolist()]
    derived = tuple(
        (name, d_pos[[i for i, nm in enumerate(names) if nm == name]]) for name in dict.fromkeys(names)
    )
    g_sample = act == Activity.SAMPLE
    g_heat = act == Activity.HEAT
    g_circuit = act == Activity.CIRCUIT
    return Schedule(
        ch=ch,
        off=off,
        ch_list=ch.tolist(),
        ch_readonly=_readonly(ch),
        frac=off / interval_ms,
        g_pos=g_pos,
        g_col=g_col,
        g_sample=g_sample,
        g_heat=g_heat,
        g_circuit=g_circuit,
        g_circuit_no=np.maximum(model.g_circuit[g_col], 0),
        g_sd=model.g_sd[g_col],
        g_sd_on=model.g_sd_on[g_col],
        g_sd_run=model.g_sd_run[g_col],
        g_low=model.low[g_ch],
        g_high=model.high[g_ch],
        g_res=model.res[g_ch],
        g_mul=model.mul[g_ch],
        g_div=model.div[g_ch],
        any_sample=bool(g_sample.any()),
        any_heat=bool(g_heat.any()),
        any_circuit=bool(g_circuit.any()),
        k_pos=k_pos,
        k_col=col[k_pos],
        k_off=off[k_pos],
        k_frac=off[k_pos] / interval_ms,
        k_res=model.res[k_ch],
        k_mul=model.mul[k_ch],
        k_div=model.div[k_ch],
        code_pos=code_pos,
        b_pos=where(Source.BOOL),
        b_col=col[where(Source.BOOL)],
        c_pos=where(Source.CONST),
        c_col=col[where(Source.CONST)],
        d_pos=derived,
        needs_codes=bool(g_sample.any()) or bool(code_pos),
        window_sampled=any(name in _WINDOW_DERIVED for name, _ in derived),
    )


def _readonly(a: I64) -> I64:
    out = a.copy()
    out.flags.writeable = False
    return out
