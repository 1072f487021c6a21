"""What every control chart is made of: plotted points, each with its centre line, sigma and limits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from seamline.quality.spc.errors import SpcError

ChartKind = Literal["xbar", "r", "i", "mr", "p", "u"]
"""X-bar, range, individuals, moving range, fraction defective, defects per unit."""


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One plotted point with the lines it is judged against: all that the Nelson rules look at.

    ``sigma`` is the standard deviation of the plotted statistic at this point (for a p or u chart it
    depends on the sample size), so the zones of the rules lie at ``centre ± k * sigma``. ``lcl`` and
    ``ucl`` are the control limits as drawn: ``centre ± 3 * sigma`` except where a chart clips them (a
    fraction or a rate cannot be negative) or takes them from a table (the R chart's ``D3``, ``D4``).
    """

    value: float
    centre: float
    sigma: float
    lcl: float
    ucl: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sigma) and self.sigma > 0):
            raise SpcError(
                f"a chart point needs a positive, finite sigma, not {self.sigma!r}", chart=None, field="sigma"
            )
        for name in ("value", "centre", "lcl", "ucl"):
            if not math.isfinite(getattr(self, name)):
                raise SpcError(f"a chart point's {name} must be finite", chart=None, field=name)

    @property
    def z(self) -> float:
        """How many sigmas the point lies from the centre line (negative below it)."""
        return (self.value - self.centre) / self.sigma


@dataclass(frozen=True, slots=True)
class ControlChart:
    """One control chart: its plotted points and, per point, sigma and the control limits.

    The columns are parallel: ``points[i]`` is plotted between ``lcl[i]`` and ``ucl[i]``. Charts with
    a constant sample size repeat the same sigma and limits on every point.
    """

    kind: ChartKind
    centre: float
    points: tuple[float, ...]
    sigma: tuple[float, ...]
    lcl: tuple[float, ...]
    ucl: tuple[float, ...]

    def __post_init__(self) -> None:
        if not len(self.points) == len(self.sigma) == len(self.lcl) == len(self.ucl):
            raise SpcError(
                f"{self.kind} chart: points, sigma, lcl and ucl must have one entry each per point "
                f"(got {len(self.points)}, {len(self.sigma)}, {len(self.lcl)}, {len(self.ucl)})",
                chart=self.kind,
                field="points",
            )

    @classmethod
    def of(cls, kind: ChartKind, centre: float, points: Sequence[ChartPoint]) -> ControlChart:
        """The chart of these points, which all share ``centre``."""
        return cls(
            kind,
            centre,
            tuple(p.value for p in points),
            tuple(p.sigma for p in points),
            tuple(p.lcl for p in points),
            tuple(p.ucl for p in points),
        )

    def chart_points(self) -> tuple[ChartPoint, ...]:
        """The points one by one, as :class:`seamline.quality.spc.NelsonMonitor` takes them."""
        return tuple(
            ChartPoint(x, self.centre, s, lo, hi)
            for x, s, lo, hi in zip(self.points, self.sigma, self.lcl, self.ucl, strict=True)
        )
