"""The eight tests for special causes on a control chart (Nelson 1984), over all its points at once.

L. S. Nelson, "The Shewhart Control Chart — Tests for Special Causes", *Journal of Quality
Technology* 16(4), 1984, pp. 237-239, numbered as there. Rules 1, 5 and 6, and rule 2 with eight
points where Nelson has nine, are the Western Electric rules (*Statistical Quality Control
Handbook*, 1956); ISO 7870-2 shows the same eight patterns as tests for special causes.

Each point is judged by its z-score, ``(value - centre) / sigma``, with the sigma of that point, so
charts whose limits vary from point to point (p, u) are judged as their standardised chart. The zones
lie at 1, 2 and 3 sigma; "beyond" and "within" are strict, so a point exactly on a zone line, or on
the centre line, is on neither side of it and breaks a run; two equal points in a row break a trend
(rule 3) and an alternation (rule 4). Rule 1 compares a point with the control
limits as drawn, which for an R or moving range chart come from the ``D3``/``D4`` table.

One violation is reported per run, however long: nine points above the centre line are one rule 2
violation, and so are twelve. Its ``points`` are every point of the run (rules 2, 3, 4, 7, 8), the
point itself (rule 1), or the points beyond the zone line (rules 5 and 6, where runs that share a
point merge: points 3, 5 and 6 beyond 2 sigma are one rule 5 violation). ``detected_at`` is the point
at which the rule first fired, where a live monitor raises its alert: rule 2 fires on the ninth point
of a run. Rules 5 and 6 look at the last 3 or 5 points, or all points while there are fewer.

The rules assume independent, roughly normal points. Ranges and moving ranges are skewed, and
neighbouring moving ranges share a value, so on R and MR charts many apply rules 1 to 4 only:
``nelson_violations(chart.r, rules=range(1, 5))``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from seamline.quality.spc.errors import SpcError
from seamline.quality.spc.points import ControlChart

Direction = Literal["above", "below", "increasing", "decreasing"]

ALL_RULES: Final = (1, 2, 3, 4, 5, 6, 7, 8)

RULE_NAMES: Final[Mapping[int, str]] = {
    1: "One point beyond the control limits (3 sigma)",
    2: "Nine points in a row on one side of the centre line",
    3: "Six points in a row steadily increasing or decreasing",
    4: "Fourteen points in a row alternating up and down",
    5: "Two out of three points in a row more than 2 sigma from the centre line, on the same side",
    6: "Four out of five points in a row more than 1 sigma from the centre line, on the same side",
    7: "Fifteen points in a row within 1 sigma of the centre line, on either side",
    8: "Eight points in a row more than 1 sigma from the centre line, on either side",
}
"""The English name of each rule; the UI translates by :attr:`Violation.code`."""

RUN_LENGTH: Final[Mapping[int, int]] = {2: 9, 3: 6, 4: 14, 7: 15, 8: 8}
"""Points in a row that make a run rule fire."""

WINDOW_RULES: Final[Mapping[int, tuple[int, int, float]]] = {5: (3, 2, 2.0), 6: (5, 4, 1.0)}
"""Rule: (window, points needed in it, sigmas they must lie beyond on the same side)."""


@dataclass(frozen=True, slots=True)
class Violation:
    """A Nelson rule that fired: which rule, on which points, detected at which point.

    ``points`` are indexes into the chart's points, in order; ``direction`` says which side
    (``"above"``/``"below"``, rules 1, 2, 5, 6) or which way (``"increasing"``/``"decreasing"``, rule
    3), and is ``None`` for rules 4, 7 and 8.
    """

    rule: int
    points: tuple[int, ...]
    detected_at: int
    direction: Direction | None = None

    @property
    def code(self) -> str:
        """A stable key for translations and alert routing: ``"nelson_1"`` to ``"nelson_8"``."""
        return f"nelson_{self.rule}"

    @property
    def name(self) -> str:
        """The rule's name in English."""
        return RULE_NAMES[self.rule]

    @property
    def message(self) -> str:
        """What happened, in plain English, naming the points.

        >>> Violation(2, tuple(range(12, 21)), 20, "above").message
        'Rule 2: 9 points in a row above the centre line (points 12-20)'
        >>> Violation(5, (3, 5), 5, "below").message
        'Rule 5: points 3 and 5 more than 2 sigma below the centre line (2 out of 3 in a row)'
        """
        n, first, last, way = len(self.points), self.points[0], self.points[-1], self.direction
        span = f"(points {first}-{last})"
        match self.rule:
            case 1:
                limit = "above the upper" if way == "above" else "below the lower"
                what = f"point {first} {limit} control limit"
            case 2:
                what = f"{n} points in a row {way} the centre line {span}"
            case 3:
                what = f"{n} points in a row steadily {way} {span}"
            case 4:
                what = f"{n} points in a row alternating up and down {span}"
            case 5 | 6:
                window, need, k = WINDOW_RULES[self.rule]
                what = (
                    f"{_listing(self.points)} more than {k:g} sigma {way} the centre line "
                    f"({need} out of {window} in a row)"
                )
            case 7:
                what = f"{n} points in a row within 1 sigma of the centre line {span}"
            case _:
                what = f"{n} points in a row more than 1 sigma from the centre line, either side {span}"
        return f"Rule {self.rule}: {what}"


def rule_set(rules: Iterable[int]) -> frozenset[int]:
    """The rules asked for, each checked to be one of Nelson's eight."""
    wanted = frozenset(rules)
    unknown = sorted(wanted - set(ALL_RULES))
    if unknown:
        raise SpcError(
            f"unknown Nelson rule(s) {unknown}; the rules are numbered 1 to 8 (Nelson 1984)",
            chart=None,
            field="rules",
        )
    return wanted


def nelson_violations(chart: ControlChart, rules: Iterable[int] = ALL_RULES) -> tuple[Violation, ...]:
    """Every violation of the given Nelson rules on a chart, in the order they were detected.

    >>> from seamline.quality.spc import IMRBaseline, imr_chart
    >>> flat = IMRBaseline(mean=0.0, mean_moving_range=1.128)  # sigma 1: the values are z-scores
    >>> chart = imr_chart([0.5, 3.5, 0.2, 2.5, 2.1, -0.3], baseline=flat).individuals
    >>> for v in nelson_violations(chart):
    ...     print(v.code, v.points, v.detected_at)
    nelson_1 (1,) 1
    nelson_5 (1, 3, 4) 3
    """
    wanted = rule_set(rules)
    pts = chart.chart_points()
    z = [p.z for p in pts]
    found: list[Violation] = []
    if 1 in wanted:
        found += [
            Violation(1, (i,), i, "above" if p.value > p.ucl else "below")
            for i, p in enumerate(pts)
            if p.value > p.ucl or p.value < p.lcl
        ]
    if 2 in wanted:
        found += _runs(2, [x > 0 for x in z], lead=0, direction="above")
        found += _runs(2, [x < 0 for x in z], lead=0, direction="below")
    if 3 in wanted:
        # flag i: the step from point i - 1 to point i; a run of k flags spans k + 1 points
        found += _runs(3, [False] + [b > a for a, b in itertools.pairwise(z)], lead=1, direction="increasing")
        found += _runs(3, [False] + [b < a for a, b in itertools.pairwise(z)], lead=1, direction="decreasing")
    if 4 in wanted:
        # flag i: the steps into point i - 1 and into point i go opposite ways, neither flat
        step = [0] + [(b > a) - (b < a) for a, b in itertools.pairwise(z)]
        turns = [i >= 2 and step[i] * step[i - 1] == -1 for i in range(len(z))]
        found += _runs(4, turns, lead=2, direction=None)
    for rule in sorted(wanted & WINDOW_RULES.keys()):
        found += _windows(rule, z)
    if 7 in wanted:
        found += _runs(7, [abs(x) < 1 for x in z], lead=0, direction=None)
    if 8 in wanted:
        found += _runs(8, [abs(x) > 1 for x in z], lead=0, direction=None)
    return tuple(sorted(found, key=lambda v: (v.detected_at, v.rule)))


def _runs(rule: int, flags: list[bool], *, lead: int, direction: Direction | None) -> Iterator[Violation]:
    """One violation per maximal run of flags long enough; a run's first flag brings ``lead`` points
    before it (the start of a step, of two steps)."""
    need = RUN_LENGTH[rule]
    i = 0
    for flag, group in itertools.groupby(flags):
        length = len(list(group))
        if flag and length + lead >= need:
            first = i - lead
            yield Violation(rule, tuple(range(first, i + length)), first + need - 1, direction)
        i += length


def _windows(rule: int, z: list[float]) -> Iterator[Violation]:
    """Rule 5 or 6: a window of the last ``window`` points fires when ``need`` of them lie beyond
    ``k`` sigma on one side; the points beyond in firing windows that share one form a violation."""
    window, need, k = WINDOW_RULES[rule]
    sides: tuple[tuple[int, Direction], ...] = ((1, "above"), (-1, "below"))
    for sign, direction in sides:
        beyond = [sign * x > k for x in z]
        fires = [sum(beyond[max(0, i - window + 1) : i + 1]) >= need for i in range(len(z))]
        # a point takes part when a firing window holds it: one ending at i, p <= i < p + window
        involved = [p for p, b in enumerate(beyond) if b and any(fires[p : p + window])]
        groups: list[list[int]] = []
        for p in involved:
            # two neighbours belong together when a firing window holds them both
            if groups and any(fires[p : groups[-1][-1] + window]):
                groups[-1].append(p)
            else:
                groups.append([p])
        for g in groups:
            detected = next(i for i in range(g[0], g[0] + window) if fires[i])
            yield Violation(rule, tuple(g), detected, direction)


def _listing(points: tuple[int, ...]) -> str:
    if len(points) == 1:
        return f"point {points[0]}"
    head = ", ".join(str(p) for p in points[:-1])
    return f"points {head} and {points[-1]}"
