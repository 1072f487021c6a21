"""Charts of counts: the p chart (fraction defective) and the u chart (defects per unit).

Formulas as in D. C. Montgomery, *Introduction to Statistical Quality Control*, 7th ed., section 7.2.2
(p chart with a variable sample size) and section 7.3.2 (u chart); ISO 7870-2 gives the same.
The sample size may change from sample to sample, so sigma and the limits are computed per sample.

As for the measurement charts, each function estimates its centre from the data (phase I) unless it
is given a baseline (phase II); ``PBaseline(p_chart(old_d, old_n).centre)`` fixes the old centre.
In apparel terms (apparel-domain.md 2.4) the p chart plots % defective / 100 and the u chart DHU / 100.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sized
from dataclasses import dataclass

from seamline.quality.spc._checks import CHART_NAMES, check_positive
from seamline.quality.spc.errors import SpcError
from seamline.quality.spc.points import ChartPoint, ControlChart


@dataclass(frozen=True, slots=True)
class PBaseline:
    """The fixed centre of a p chart: ``p_bar``, the fraction defective, strictly between 0 and 1.

    A sample of ``n`` pieces has sigma ``sqrt(p_bar * (1 - p_bar) / n)`` and limits
    ``p_bar ± 3 * sigma``, clipped to [0, 1] (a fraction cannot leave it). Montgomery 7.2.2.
    """

    p_bar: float

    def __post_init__(self) -> None:
        if not 0 < self.p_bar < 1:
            raise SpcError(
                f"p chart baseline: p_bar must lie strictly between 0 and 1, not {self.p_bar!r}",
                chart="p",
                field="p_bar",
            )

    def point(self, defectives: int, size: int) -> ChartPoint:
        """The p chart point of one sample: ``defectives`` pieces out of ``size`` inspected."""
        d, n = _defectives(defectives, size, index=None)
        sigma = math.sqrt(self.p_bar * (1 - self.p_bar) / n)
        return ChartPoint(
            d / n, self.p_bar, sigma, max(0.0, self.p_bar - 3 * sigma), min(1.0, self.p_bar + 3 * sigma)
        )


def p_chart(
    defectives: Iterable[int], sizes: Iterable[int], *, baseline: PBaseline | None = None
) -> ControlChart:
    """The p chart (fraction defective) of samples of varying size, with limits per sample.

    Without a baseline ``p_bar`` is all defectives over all pieces inspected (Montgomery 7.2.2):
    a defective piece may carry several defects, and counts once (apparel-domain.md 2.4).

    >>> chart = p_chart([2, 6], [50, 100])
    >>> chart.centre, chart.points  # (2 + 6) / (50 + 100)
    (0.05333333333333334, (0.04, 0.06))
    """
    ds = list(defectives)
    ns = list(sizes)
    _samples(ds, ns, chart="p", fields=("defectives", "sizes"), phase_one=baseline is None)
    samples = [_defectives(d, n, index=i) for i, (d, n) in enumerate(zip(ds, ns, strict=True))]
    if baseline is None:
        total_d = sum(d for d, _ in samples)
        total_n = sum(n for _, n in samples)
        if total_d in {0, total_n}:
            what = "no piece" if total_d == 0 else "every piece"
            raise SpcError(
                f"p chart: {what} is defective in {len(samples)} sample(s), so p_bar is {total_d}/"
                f"{total_n} and the limits collapse; chart more samples, or against a baseline",
                chart="p",
                field="defectives",
                reason="no_variation",
            )
        baseline = PBaseline(total_d / total_n)
    return ControlChart.of("p", baseline.p_bar, [baseline.point(d, n) for d, n in samples])


@dataclass(frozen=True, slots=True)
class UBaseline:
    """The fixed centre of a u chart: ``u_bar``, defects per unit, above 0.

    A sample of ``n`` units has sigma ``sqrt(u_bar / n)`` and limits ``u_bar ± 3 * sigma``, the
    lower one clipped at 0. DHU (defects per hundred units) is ``100 * u``. Montgomery 7.3.2.
    """

    u_bar: float

    def __post_init__(self) -> None:
        check_positive(self.u_bar, chart="u", field="u_bar")

    def point(self, defects: int, units: float) -> ChartPoint:
        """The u chart point of one sample: ``defects`` found on ``units`` inspected."""
        c, n = _defects(defects, units, index=None)
        sigma = math.sqrt(self.u_bar / n)
        return ChartPoint(c / n, self.u_bar, sigma, max(0.0, self.u_bar - 3 * sigma), self.u_bar + 3 * sigma)


def u_chart(
    defects: Iterable[int], units: Iterable[float], *, baseline: UBaseline | None = None
) -> ControlChart:
    """The u chart (defects per unit) of samples of varying size, with limits per sample.

    Without a baseline ``u_bar`` is all defects over all units inspected (Montgomery 7.3.2).

    >>> chart = u_chart([3, 9], [20, 40])
    >>> chart.centre, chart.points  # (3 + 9) / (20 + 40); DHU 15.0 and 22.5
    (0.2, (0.15, 0.225))
    """
    cs = list(defects)
    ns = list(units)
    _samples(cs, ns, chart="u", fields=("defects", "units"), phase_one=baseline is None)
    samples = [_defects(c, n, index=i) for i, (c, n) in enumerate(zip(cs, ns, strict=True))]
    if baseline is None:
        if sum(c for c, _ in samples) == 0:
            raise SpcError(
                f"u chart: no defect in {len(samples)} sample(s), so u_bar is 0 and the limits "
                "collapse; chart more samples, or against a baseline",
                chart="u",
                field="defects",
                reason="no_variation",
            )
        baseline = UBaseline(sum(c for c, _ in samples) / math.fsum(n for _, n in samples))
    return ControlChart.of("u", baseline.u_bar, [baseline.point(c, n) for c, n in samples])


def _defectives(defectives: int, size: int, *, index: int | None) -> tuple[int, int]:
    d, n = operator.index(defectives), operator.index(size)
    if n < 1 or not 0 <= d <= n:
        which = f"sample {index}" if index is not None else "the sample"
        raise SpcError(
            f"p chart: {which} has {d} defective(s) out of {n} inspected; a sample needs at least 1 "
            "piece, and between 0 and all of them defective",
            chart="p",
            field="defectives" if n >= 1 else "sizes",
            index=index,
        )
    return d, n


def _defects(defects: int, units: float, *, index: int | None) -> tuple[int, float]:
    c, n = operator.index(defects), float(units)
    if c < 0 or not (math.isfinite(n) and n > 0):
        which = f"sample {index}" if index is not None else "the sample"
        raise SpcError(
            f"u chart: {which} has {c} defect(s) on {n} units; defects cannot be negative and the "
            "units inspected must be above 0",
            chart="u",
            field="defects" if c < 0 else "units",
            index=index,
        )
    return c, n


def _samples(counts: Sized, sizes: Sized, *, chart: str, fields: tuple[str, str], phase_one: bool) -> None:
    """Refuses counts and sizes of different lengths, and no samples at all where limits are estimated."""
    if len(counts) != len(sizes):
        raise SpcError(
            f"{CHART_NAMES[chart]}: {len(counts)} {fields[0]} but {len(sizes)} {fields[1]}; give one of each "
            "per sample",
            chart=chart,
            field=fields[1],
        )
    if phase_one and len(counts) == 0:
        raise SpcError(
            f"{CHART_NAMES[chart]}: no samples; give at least one, or a baseline to chart against",
            chart=chart,
            field=fields[0],
        )
