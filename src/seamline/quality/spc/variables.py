"""Charts of measurements: X-bar/R for subgroups, individuals and moving range (I-MR) for single values.

Formulas as in D. C. Montgomery, *Introduction to Statistical Quality Control*, 7th ed., section 6.2
(X-bar/R) and section 6.4 (individuals), with the factors of :mod:`seamline.quality.spc.constants`;
ISO 7870-2 (Shewhart control charts) gives the same.

Every chart function takes the data and, optionally, a *baseline*: the centre line and spread fixed
from an earlier, in-control period. Without one, the chart estimates them from the data it is given
(phase I); with one, it plots the new data against the fixed limits (phase II). A chart's result
carries its baseline, so ``xbar_r_chart(new, baseline=xbar_r_chart(old).baseline)`` charts new
subgroups against the old limits; the baseline's point methods do the same one point at a time, for
:class:`~seamline.quality.spc.NelsonMonitor`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

from seamline.quality.spc._checks import check_finite, check_positive, floats
from seamline.quality.spc.constants import MAX_SUBGROUP, MIN_SUBGROUP, MOVING_RANGE, RANGE_FACTORS
from seamline.quality.spc.errors import SpcError
from seamline.quality.spc.points import ChartPoint, ControlChart

# -- X-bar/R ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class XbarRBaseline:
    """The fixed lines of an X-bar/R chart: grand mean, mean range ``R-bar`` and subgroup size ``n``.

    X-bar chart: centre ``grand_mean``, limits ``grand_mean ± A2 * R-bar``, zone width (sigma of a
    subgroup mean) ``A2 * R-bar / 3``. R chart: centre ``R-bar``, limits ``D3 * R-bar`` and
    ``D4 * R-bar``, sigma ``(D4 - 1) * R-bar / 3`` (= ``d3 * R-bar / d2``). Montgomery 6.2.1.
    """

    grand_mean: float
    mean_range: float
    subgroup_size: int

    def __post_init__(self) -> None:
        if self.subgroup_size not in RANGE_FACTORS:
            raise SpcError(
                f"X-bar/R baseline: subgroup size {self.subgroup_size} has no range factors; "
                f"use subgroups of {MIN_SUBGROUP} to {MAX_SUBGROUP} values",
                chart="xbar_r",
                field="subgroup_size",
            )
        check_finite(self.grand_mean, chart="xbar_r", field="grand_mean")
        check_positive(self.mean_range, chart="xbar_r", field="mean_range")

    @property
    def sigma(self) -> float:
        """The process sigma estimated from the mean range: ``R-bar / d2``."""
        return self.mean_range / RANGE_FACTORS[self.subgroup_size].d2

    def xbar_point(self, subgroup: Iterable[float]) -> ChartPoint:
        """The X-bar chart point of one subgroup."""
        return self._xbar(_subgroup_mean(self._values(subgroup)))

    def range_point(self, subgroup: Iterable[float]) -> ChartPoint:
        """The R chart point of one subgroup."""
        return self._range(_subgroup_range(self._values(subgroup)))

    def _values(self, subgroup: Iterable[float]) -> list[float]:
        return _subgroup(subgroup, self.subgroup_size, index=None)

    def _xbar(self, mean: float) -> ChartPoint:
        half_width = RANGE_FACTORS[self.subgroup_size].A2 * self.mean_range
        centre = self.grand_mean
        return ChartPoint(mean, centre, half_width / 3, centre - half_width, centre + half_width)

    def _range(self, value: float) -> ChartPoint:
        f = RANGE_FACTORS[self.subgroup_size]
        r_bar = self.mean_range
        return ChartPoint(value, r_bar, (f.D4 - 1) * r_bar / 3, f.D3 * r_bar, f.D4 * r_bar)


@dataclass(frozen=True, slots=True)
class XbarRChart:
    """An X-bar chart and its R chart, over the same subgroups, with the baseline they are drawn from."""

    xbar: ControlChart
    r: ControlChart
    baseline: XbarRBaseline

    @property
    def sigma(self) -> float:
        """The process sigma estimate ``R-bar / d2``."""
        return self.baseline.sigma


def xbar_r_chart(
    subgroups: Iterable[Iterable[float]], *, baseline: XbarRBaseline | None = None
) -> XbarRChart:
    """The X-bar and R charts of subgroups of equal size (2 to 25 values each).

    Without a baseline the grand mean is the mean of the subgroup means and ``R-bar`` the mean of
    the subgroup ranges (Montgomery 6.2.1).

    >>> chart = xbar_r_chart([[10, 12], [11, 11], [9, 13]])
    >>> chart.xbar.points, chart.r.points
    ((11.0, 11.0, 11.0), (2.0, 0.0, 4.0))
    >>> chart.xbar.ucl[0], chart.r.ucl[0]  # 11 + 1.880 * 2, 3.267 * 2
    (14.76, 6.534)
    """
    groups = [floats(g, chart="xbar_r", field="subgroups", index=i) for i, g in enumerate(subgroups)]
    if baseline is None and not groups:
        raise SpcError(
            "X-bar/R chart: no subgroups; give at least one, or a baseline to chart against",
            chart="xbar_r",
            field="subgroups",
        )
    size = baseline.subgroup_size if baseline is not None else len(groups[0])
    for i, g in enumerate(groups):
        _subgroup(g, size, index=i)
    means = [_subgroup_mean(g) for g in groups]
    ranges = [_subgroup_range(g) for g in groups]
    if baseline is None:
        mean_range = math.fsum(ranges) / len(ranges)
        if mean_range == 0:
            raise SpcError(
                "X-bar/R chart: every subgroup has a range of 0, so sigma cannot be estimated; "
                "measure with a finer resolution, or chart against a baseline",
                chart="xbar_r",
                field="subgroups",
                reason="no_variation",
            )
        baseline = XbarRBaseline(math.fsum(means) / len(means), mean_range, size)
    return XbarRChart(
        ControlChart.of("xbar", baseline.grand_mean, [baseline._xbar(m) for m in means]),
        ControlChart.of("r", baseline.mean_range, [baseline._range(r) for r in ranges]),
        baseline,
    )


# -- Individuals and moving range ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IMRBaseline:
    """The fixed lines of an I-MR chart: the mean and the mean moving range ``MR-bar`` (span 2).

    Individuals chart: centre ``mean``, sigma ``MR-bar / d2`` with ``d2 = 1.128``, limits
    ``mean ± 3 * sigma``. Moving range chart: centre ``MR-bar``, limits 0 and ``D4 * MR-bar`` with
    ``D4 = 3.267``, sigma ``(D4 - 1) * MR-bar / 3``. Montgomery 6.4.
    """

    mean: float
    mean_moving_range: float

    def __post_init__(self) -> None:
        check_finite(self.mean, chart="imr", field="mean")
        check_positive(self.mean_moving_range, chart="imr", field="mean_moving_range")

    @property
    def sigma(self) -> float:
        """The process sigma estimated from the mean moving range: ``MR-bar / 1.128``."""
        return self.mean_moving_range / MOVING_RANGE.d2

    def individual_point(self, value: float) -> ChartPoint:
        """The individuals chart point of one value."""
        x = check_finite(value, chart="imr", field="value")
        sigma = self.sigma
        return ChartPoint(x, self.mean, sigma, self.mean - 3 * sigma, self.mean + 3 * sigma)

    def moving_range_point(self, value: float, previous: float) -> ChartPoint:
        """The moving range chart point of a value and the one before it."""
        x = check_finite(value, chart="imr", field="value")
        before = check_finite(previous, chart="imr", field="previous")
        mr_bar = self.mean_moving_range
        return ChartPoint(
            abs(x - before), mr_bar, (MOVING_RANGE.D4 - 1) * mr_bar / 3, 0.0, MOVING_RANGE.D4 * mr_bar
        )


@dataclass(frozen=True, slots=True)
class IMRChart:
    """An individuals chart and its moving range chart, with the baseline they are drawn from.

    The moving range chart has one point fewer: its point ``k`` is ``|x[k + 1] - x[k]|``.
    """

    individuals: ControlChart
    moving_range: ControlChart
    baseline: IMRBaseline

    @property
    def sigma(self) -> float:
        """The process sigma estimate ``MR-bar / 1.128``."""
        return self.baseline.sigma


def imr_chart(values: Iterable[float], *, baseline: IMRBaseline | None = None) -> IMRChart:
    """The individuals and moving range charts of single measurements in time order.

    >>> chart = imr_chart([10.0, 12.0, 11.0])
    >>> chart.moving_range.points, chart.baseline.mean_moving_range
    ((2.0, 1.0), 1.5)
    >>> round(chart.individuals.ucl[0], 3)  # 11 + 3 * 1.5 / 1.128
    14.989
    """
    xs = floats(values, chart="imr", field="values", index=None)
    if baseline is None:
        if len(xs) < 2:
            raise SpcError(
                f"I-MR chart: {len(xs)} value(s); estimating the limits needs at least 2 (one moving "
                "range), or chart against a baseline",
                chart="imr",
                field="values",
            )
        mean_moving_range = math.fsum(abs(b - a) for a, b in itertools.pairwise(xs)) / (len(xs) - 1)
        if mean_moving_range == 0:
            raise SpcError(
                "I-MR chart: every value is the same, so sigma cannot be estimated; measure with a "
                "finer resolution, or chart against a baseline",
                chart="imr",
                field="values",
                reason="no_variation",
            )
        baseline = IMRBaseline(math.fsum(xs) / len(xs), mean_moving_range)
    return IMRChart(
        ControlChart.of("i", baseline.mean, [baseline.individual_point(x) for x in xs]),
        ControlChart.of(
            "mr",
            baseline.mean_moving_range,
            [baseline.moving_range_point(b, a) for a, b in itertools.pairwise(xs)],
        ),
        baseline,
    )


def _subgroup(values: Iterable[float], size: int, *, index: int | None) -> list[float]:
    xs = floats(values, chart="xbar_r", field="subgroups", index=index)
    if len(xs) != size or size not in RANGE_FACTORS:
        which = f"subgroup {index}" if index is not None else "the subgroup"
        need = (
            f"every subgroup needs {size} values, as the first one (or the baseline) has"
            if size in RANGE_FACTORS
            else f"subgroups need {MIN_SUBGROUP} to {MAX_SUBGROUP} values"
        )
        raise SpcError(
            f"X-bar/R chart: {which} has {len(xs)} values; {need}",
            chart="xbar_r",
            field="subgroups",
            index=index,
        )
    return xs


def _subgroup_mean(xs: list[float]) -> float:
    return math.fsum(xs) / len(xs)


def _subgroup_range(xs: list[float]) -> float:
    return max(xs) - min(xs)
