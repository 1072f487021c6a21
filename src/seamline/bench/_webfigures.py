"""The arithmetic of ``seamline bench web``, apart from the browser and the processes it drives.

Percentiles of timings, first appearances of a reading on the screen, a process's CPU share from
two ``/proc`` samples, and the trend of a memory series: small pure functions, tested on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


def summary(values: Iterable[float], *, digits: int = 1) -> dict[str, float | int | None]:
    """``n``, ``p50``, ``p95``, ``p99`` and ``max`` of ``values`` (linear interpolation between
    ranks, as numpy's default), ``None`` for each figure when there are none.

    >>> summary([1, 2, 3, 4, 100])
    {'n': 5, 'p50': 3.0, 'p95': 80.8, 'p99': 96.2, 'max': 100.0}
    """
    a = np.asarray(list(values), np.float64)
    if a.size == 0:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {
        "n": int(a.size),
        "p50": round(float(p50), digits),
        "p95": round(float(p95), digits),
        "p99": round(float(p99), digits),
        "max": round(float(a.max()), digits),
    }


def first_appearances(drawn: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """From the page's ``Seamline.drawn`` pairs ``[data_ts, drawn_at_ms, ...]`` in drawing order,
    the ``(data_ts, drawn_at)`` of each draw that showed a newer reading than any before it: the
    moment each reading first reached the screen. Later draws of the same reading only say how old
    it has grown, not how long it took to arrive.

    >>> first_appearances([[1000, 1900], [1000, 2900], [2000, 3100], [1500, 3200], [3000, 3300]])
    [(1000, 1900), (2000, 3100), (3000, 3300)]
    """
    out: list[tuple[float, float]] = []
    newest = -np.inf
    for pair in drawn:
        data_ts, drawn_at = pair[0], pair[1]
        if data_ts > newest:
            newest = data_ts
            out.append((data_ts, drawn_at))
    return out


@dataclass(frozen=True, slots=True)
class CpuSample:
    """One reading of a process's CPU clock: ``wall_s`` (monotonic) and ``cpu_s`` (user + system)."""

    wall_s: float
    cpu_s: float


def core_pct(start: CpuSample, end: CpuSample) -> float:
    """CPU used between two samples, in % of one core (100 = one core busy the whole time).

    >>> core_pct(CpuSample(10.0, 3.0), CpuSample(70.0, 18.0))
    25.0
    """
    wall = end.wall_s - start.wall_s
    if wall <= 0:
        raise ValueError(f"the second sample must come after the first (wall {start.wall_s} -> {end.wall_s})")
    return 100.0 * (end.cpu_s - start.cpu_s) / wall


def rate(count0: int, count1: int, start: CpuSample, end: CpuSample) -> float:
    """A counter's increase per second of wall time between two samples (readings/s).

    >>> rate(1_000, 151_000, CpuSample(0.0, 0.0), CpuSample(10.0, 0.0))
    15000.0
    """
    return (count1 - count0) / (end.wall_s - start.wall_s)


def slope_per_hour(points: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of ``(seconds, value)`` points, per hour; ``None`` for fewer than two.

    >>> round(slope_per_hour([(0, 10.0), (60, 10.5), (120, 11.0)]), 6)
    30.0
    """
    if len(points) < 2:
        return None
    t = np.asarray([p[0] for p in points], np.float64)
    v = np.asarray([p[1] for p in points], np.float64)
    if np.ptp(t) == 0:
        return None
    k = np.polyfit(t, v, 1)[0]
    return float(k) * 3600.0


__all__ = ["CpuSample", "core_pct", "first_appearances", "rate", "slope_per_hour", "summary"]
