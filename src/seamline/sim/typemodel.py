"""Per machine type, the channel behaviours as numpy arrays, with per-device parameters drawn once.

Everything the telemetry encoder needs per interval is precomputed here, so that generating the
readings of all devices of a type is a handful of vectorised operations.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seamline.model.factory import DeviceCategory, MachineType
from seamline.sim.behaviour import Activity, Behaviour, Source, behaviour, circuit_number

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

_NO_BOBBIN = ("overlock", "flatlock", "coverstitch", "chainstitch")  # loopers, no bobbin


@dataclass(slots=True, eq=False)
class TypeModel:
    """Arrays for one machine type and the ``n`` devices of it (rows in device order)."""

    machine_type: MachineType
    n: int
    period_ms: I64
    source: npt.NDArray[np.int8]
    col: I64  # index of each channel within its source's columns
    res: F64
    mul: F64  # value = round(x / res) * mul / div: exact decimals for res 0.1, 0.01, ...
    div: F64
    low: F64
    high: F64
    # gauges, (Cg,) and (n, Cg)
    g_cols: I64
    g_act: npt.NDArray[np.int8]
    g_sd: F64
    g_sd_on: F64
    g_sd_run: F64
    g_drift_sd: F64
    g_circuit: I64
    base: F64
    a_on: F64
    a_run: F64
    # counters, (Cc,) and (n, Cc)
    k_cols: I64
    k_names: tuple[str, ...]
    k_circuit: I64  # circuit number whose load drives the counter, -1: the device's own running
    r_wall: F64
    r_on: F64
    r_run: F64
    k_init: F64
    # digital inputs and settings
    b_cols: I64
    b_p_on: F64
    b_p_off: F64
    b_p_active: F64
    b_init: B
    c_cols: I64
    c_init: F64
    d_cols: I64
    d_names: tuple[str, ...]
    speed_spm: F64  # set sewing speed of each device
    has_bobbin: bool
    n_circuits: int

    @property
    def counter_columns(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.k_names)}


def build_type_model(mt: MachineType, n: int, rng: np.random.Generator) -> TypeModel:
    """Classify the channels of ``mt`` and draw the per-device parameters of ``n`` devices."""
    chans = mt.channels
    beh = [behaviour(mt, ch) for ch in chans]
    c_total = len(chans)
    source = np.array([b.source for b in beh], np.int8)
    col = np.zeros(c_total, np.int64)
    for s in Source:
        idx = np.flatnonzero(source == s)
        col[idx] = np.arange(idx.size)
    res = np.array([ch.resolution for ch in chans], np.float64)
    mul, div = _quantisers(res)
    low = np.array([ch.low for ch in chans], np.float64)
    high = np.array([ch.high for ch in chans], np.float64)

    g_cols = np.flatnonzero(source == Source.GAUGE)
    gb = [beh[i] for i in g_cols]
    g_circuit = np.array(
        [
            circuit_number(chans[i].name) if b.activity == Activity.CIRCUIT else -1
            for i, b in zip(g_cols, gb, strict=True)
        ],
        np.int64,
    )
    n_circuits = int(g_circuit.max()) + 1 if g_circuit.size else 0
    circuit_gain = np.exp(np.clip(rng.normal(0.0, 0.5, (n, max(n_circuits, 1))), -1.2, 1.2))

    def per_channel(attr: str) -> F64:
        return _attr(gb, attr)

    gain = _gains(rng, n, per_channel("gain_sd"))
    on_circuit = g_circuit >= 0
    gain[:, on_circuit] = circuit_gain[:, g_circuit[on_circuit]]
    base = per_channel("base") + rng.normal(0.0, 1.0, (n, g_cols.size)) * per_channel("offset_sd")
    a_on = np.broadcast_to(per_channel("a_on"), (n, g_cols.size)).copy()
    a_run = per_channel("a_run") * gain

    speed_col = mt.channel_index.get("motor_speed_spm")
    if speed_col is not None and source[speed_col] == Source.GAUGE:
        speed = a_run[:, col[speed_col]].copy()
    else:
        speed = np.full(n, 3000.0)

    k_cols = np.flatnonzero(source == Source.COUNTER)
    kb = [beh[i] for i in k_cols]
    k_names = tuple(chans[i].name for i in k_cols)
    gauges = (base, a_on, a_run, g_circuit)
    r_wall, r_on, r_run, k_circuit = _counter_rates(mt, kb, k_names, source, col, gauges, speed, rng)
    k_init = np.floor(rng.random((n, k_cols.size)) * _attr(kb, "init_max"))

    b_cols = np.flatnonzero(source == Source.BOOL)
    bb = [beh[i] for i in b_cols]
    b_init = rng.random((n, b_cols.size)) < _attr(bb, "p_init")

    c_cols = np.flatnonzero(source == Source.CONST)
    c_low = np.maximum(low[c_cols], 0.0)
    c_high = np.maximum(high[c_cols], c_low)
    c_init = np.minimum(np.floor(c_low + rng.random((n, c_cols.size)) * (c_high - c_low + 1.0)), c_high)

    d_cols = np.flatnonzero(source == Source.DERIVED)
    bobbin = mt.category is DeviceCategory.SEWING and not any(w in mt.id for w in _NO_BOBBIN)
    return TypeModel(
        machine_type=mt,
        n=n,
        period_ms=np.array([max(1, round(ch.period_s * 1000)) for ch in chans], np.int64),
        source=source,
        col=col,
        res=res,
        mul=mul,
        div=div,
        low=low,
        high=high,
        g_cols=g_cols,
        g_act=np.array([b.activity for b in gb], np.int8),
        g_sd=per_channel("sd"),
        g_sd_on=per_channel("sd_on"),
        g_sd_run=per_channel("sd_run"),
        g_drift_sd=per_channel("drift_sd"),
        g_circuit=g_circuit,
        base=base,
        a_on=a_on,
        a_run=a_run,
        k_cols=k_cols,
        k_names=k_names,
        k_circuit=k_circuit,
        r_wall=r_wall,
        r_on=r_on,
        r_run=r_run,
        k_init=k_init,
        b_cols=b_cols,
        b_p_on=_attr(bb, "p_on"),
        b_p_off=_attr(bb, "p_off"),
        b_p_active=_attr(bb, "p_active"),
        b_init=b_init,
        c_cols=c_cols,
        c_init=c_init,
        d_cols=d_cols,
        d_names=tuple(beh[i].derived for i in d_cols),
        speed_spm=speed,
        has_bobbin=bobbin,
        n_circuits=n_circuits,
    )


def _counter_rates(
    mt: MachineType,
    kb: list[Behaviour],
    k_names: tuple[str, ...],
    source: npt.NDArray[np.int8],
    col: I64,
    gauges: tuple[F64, F64, F64, I64],
    speed: F64,
    rng: np.random.Generator,
) -> tuple[F64, F64, F64, I64]:
    """Per-device rates of the counters (per second of wall / on / running time) and their circuits.

    A counter linked to a power gauge integrates that gauge's levels, so an energy counter agrees
    with the power readings of the same device.
    """
    base, a_on, a_run, g_circuit = gauges
    n = speed.size
    r_wall = np.zeros((n, len(kb)))
    r_on = np.zeros((n, len(kb)))
    r_run = np.zeros((n, len(kb)))
    k_circuit = np.full(len(kb), -1, np.int64)
    k_gain = _gains(rng, n, np.array([b.gain_sd for b in kb], np.float64))
    for j, b in enumerate(kb):
        li = mt.channel_index.get(_link_name(b.power_link, k_names[j])) if b.power_link else None
        if li is not None and source[li] == Source.GAUGE:
            gc = int(col[li])
            r_wall[:, j] = base[:, gc] * b.power_scale
            r_on[:, j] = a_on[:, gc] * b.power_scale
            r_run[:, j] = a_run[:, gc] * b.power_scale
            k_circuit[j] = g_circuit[gc]
        elif not b.power_link:
            r_wall[:, j] = b.r_wall * k_gain[:, j]
            r_on[:, j] = b.r_on * k_gain[:, j]
            r_run[:, j] = (b.r_run + b.per_stitch * speed / 60.0) * k_gain[:, j]
    return r_wall, r_on, r_run, k_circuit


def _attr(bs: list[Behaviour], name: str) -> F64:
    return np.array([getattr(b, name) for b in bs], np.float64)


def _gains(rng: np.random.Generator, n: int, sd: F64) -> F64:
    """Per-device multiplicative spread, log-normal and clipped at 2.5 sd (never negative)."""
    z = np.clip(rng.normal(0.0, 1.0, (n, sd.size)), -2.5, 2.5)
    return np.asarray(np.exp(z * sd), np.float64)


def _quantisers(res: F64) -> tuple[F64, F64]:
    """For a resolution like 0.1, dividing by 10 gives the shortest decimal; for 5 or 0.25, multiply."""
    mul = np.ones_like(res)
    div = np.ones_like(res)
    for i, r in enumerate(res.tolist()):
        inv = 1.0 / r
        if r < 1.0 and math.isclose(inv, round(inv), rel_tol=0.0, abs_tol=1e-9):
            div[i] = round(inv)
        else:
            mul[i] = r
    return mul, div


def _link_name(pattern: str, name: str) -> str:
    """``c#_active_power_kw`` for channel ``c07_energy_kwh`` -> ``c07_active_power_kw``."""
    digits = iter(re.findall(r"\d+", name))
    return "".join(next(digits, "#") if part == "#" else part for part in pattern)
