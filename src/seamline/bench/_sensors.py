"""The per-sensor parameters of the synthetic workload, drawn once per seed as flat numpy arrays.

One row per sensor, in factory order (device by device, channel by channel), so the readings of
one device are always contiguous. Values are handled as integer *steps* of the channel's resolution
and turned into floats only at the end, so every value is an exact, shortest decimal (0.3, not
0.30000000000000004) and quantisation costs one multiply and one divide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seamline.model.factory import ChannelKind, ChannelSpec, Factory

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]

GAUGE, COUNTER, STATE = 0, 1, 2
_KIND_CODE = {ChannelKind.GAUGE: GAUGE, ChannelKind.COUNTER: COUNTER, ChannelKind.STATE: STATE}

STEP_GAUGE_SHARE = 0.2  # share of gauges with step changes between two levels
DRIFT_PERIOD_S = (20 * 60.0, 12 * 3600.0)  # slow sine drift, log-uniform between these
NOISE_SHARE_OF_SPAN = (0.002, 0.02)  # gaussian noise sd, log-uniform share of the channel's span
STEP_DWELL_S = (5 * 60.0, 60 * 60.0)  # time between step changes of a step gauge
COUNTER_STEPS_PER_S = (0.01, 30.0)  # counter rate in resolution steps per second, log-uniform
COUNTER_RESET_MEAN_S = 12 * 3600.0  # mean time between controller restarts (counter back to 0)
STATE_DWELL_S = (10 * 60.0, 4 * 3600.0)  # mean time a state code holds, log-uniform


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> F64:
    lo, hi = bounds
    return np.asarray(np.exp(rng.uniform(math.log(lo), math.log(hi), n)), np.float64)


def _quantiser(resolution: float) -> tuple[float, float, float]:
    """``(to_steps, mul, div)``: steps = round(x * to_steps); value = steps * mul / div, exactly.

    For 0.1 or 0.001, dividing the step count by 10 or 1000 gives the shortest decimal; for 5, 10
    or 0.5, multiplying by the resolution is already exact.
    """
    inv = 1.0 / resolution
    if resolution < 1.0 and math.isclose(inv, round(inv), rel_tol=0.0, abs_tol=1e-9):
        return float(round(inv)), 1.0, float(round(inv))
    return inv, resolution, 1.0


@dataclass(frozen=True, slots=True, eq=False)
class SensorTable:
    """Static parameters of every sensor; arrays of length ``n`` unless noted."""

    n: int
    sensor_id: I32
    channel_idx: I32
    device_start: I64  # (devices + 1,) first row of each device, then n
    kind: I8
    period_ms: I64
    phase_ms: I64  # first sample at start_ms + phase_ms, 0 <= phase < period
    to_steps: F64
    mul: F64
    div: F64
    step_lo: I64  # [low, high] in steps, rounded inwards
    step_hi: I64
    # gauges: value = centre + amp * sin(omega * t + theta) + level(t) + sd * N(0, 1)
    centre: F64
    amp: F64
    omega: F64  # rad/s
    theta: F64
    noise_sd: F64
    step_size: F64  # 0 for gauges without steps
    step_dwell_s: F64
    step_offset_s: F64
    # counters, in steps
    counter_lam: F64  # mean steps per sample while active
    counter_duty: F64  # probability that a sample period saw activity
    counter_reset_p: F64  # probability per sample of a controller restart
    counter_init: I64
    # states, in steps
    state_change_p: F64  # probability per sample that the code changes
    state_init: I64

    def value_of(self, rows: I64, steps: npt.NDArray[np.int64] | F64) -> F64:
        """Float values of integer step counts for the sensors at ``rows``."""
        return np.asarray(steps * self.mul[rows] / self.div[rows], np.float64)


def build_sensor_table(factory: Factory, seed: int) -> SensorTable:
    """Draw every sensor's behaviour from ``seed``; the same seed gives the same table."""
    specs: list[ChannelSpec] = []
    sensor_id: list[int] = []
    channel_idx: list[int] = []
    device_start = [0]
    for device in factory.devices:
        for i, ch in enumerate(device.machine_type.channels):
            specs.append(ch)
            sensor_id.append(device.sensor_base + i)
            channel_idx.append(i)
        device_start.append(len(specs))
    n = len(specs)
    rng = np.random.default_rng([seed, 0x5EA1])
    kind = np.array([_KIND_CODE[c.kind] for c in specs], np.int8)
    period_ms = np.array([max(1, round(c.period_s * 1000.0)) for c in specs], np.int64)
    quant = np.array([_quantiser(c.resolution) for c in specs], np.float64).reshape(n, 3)
    low = np.array([c.low for c in specs], np.float64)
    high = np.array([c.high for c in specs], np.float64)
    to_steps = np.ascontiguousarray(quant[:, 0])
    step_lo = np.ceil(low * to_steps - 1e-6).astype(np.int64)
    step_hi = np.floor(high * to_steps + 1e-6).astype(np.int64)
    step_hi = np.maximum(step_hi, step_lo)
    span = high - low

    is_gauge = kind == GAUGE
    is_step = is_gauge & (rng.random(n) < STEP_GAUGE_SHARE)
    step_size = np.where(is_step, span * rng.uniform(0.1, 0.3, n) * rng.choice([-1.0, 1.0], n), 0.0)
    centre = low + span * rng.uniform(0.35, 0.65, n) - step_size / 2.0
    state_levels = step_hi - step_lo + 1
    duty_on = rng.random(n) < 0.7
    state_code = np.where(rng.random(n) < 0.6, 0, (rng.random(n) * state_levels).astype(np.int64))
    return SensorTable(
        n=n,
        sensor_id=np.array(sensor_id, np.int32),
        channel_idx=np.array(channel_idx, np.int32),
        device_start=np.array(device_start, np.int64),
        kind=kind,
        period_ms=period_ms,
        phase_ms=(rng.random(n) * period_ms).astype(np.int64),
        to_steps=to_steps,
        mul=np.ascontiguousarray(quant[:, 1]),
        div=np.ascontiguousarray(quant[:, 2]),
        step_lo=step_lo,
        step_hi=step_hi,
        centre=centre,
        amp=span * rng.uniform(0.05, 0.3, n),
        omega=2.0 * math.pi / _log_uniform(rng, DRIFT_PERIOD_S, n),
        theta=rng.uniform(0.0, 2.0 * math.pi, n),
        noise_sd=span * _log_uniform(rng, NOISE_SHARE_OF_SPAN, n),
        step_size=step_size,
        step_dwell_s=_log_uniform(rng, STEP_DWELL_S, n),
        step_offset_s=rng.uniform(0.0, STEP_DWELL_S[1] * 2.0, n),
        counter_lam=_log_uniform(rng, COUNTER_STEPS_PER_S, n) * period_ms / 1000.0,
        counter_duty=np.where(duty_on, rng.uniform(0.3, 1.0, n), 1.0),
        counter_reset_p=period_ms / 1000.0 / COUNTER_RESET_MEAN_S,
        counter_init=(rng.random(n) * 10.0 ** rng.uniform(3.0, 7.0, n)).astype(np.int64),
        state_change_p=np.minimum(1.0, period_ms / 1000.0 / _log_uniform(rng, STATE_DWELL_S, n)),
        state_init=step_lo + state_code,
    )
