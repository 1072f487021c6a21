"""Properties of the charts and the rules over generated data.

- The live monitor equals the batch rules: at every point it returns what ``nelson_violations`` of
  the points so far detects there, and ``value()`` equals the batch result.
- A brute-force reading of each rule (every window of points, checked on its own) flags the same
  points as the violations do.
- Moving all measurements by a constant, or scaling them, changes no violation; mirroring them swaps
  above with below and increasing with decreasing.
- A chart drawn against its own baseline is the same chart; attribute limits stay in range.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from hypothesis import assume, given
from hypothesis import strategies as st

from seamline.quality.spc import (
    ALL_RULES,
    ChartPoint,
    ControlChart,
    Direction,
    NelsonMonitor,
    PBaseline,
    UBaseline,
    Violation,
    imr_chart,
    nelson_violations,
    p_chart,
    u_chart,
    xbar_r_chart,
)
from seamline.quality.spc.rules import RUN_LENGTH, WINDOW_RULES

# z-scores on half-sigma steps land on zone lines, the centre line and each other often: the edges
# where an off-by-one or a wrong strictness shows.
ON_THE_LINES = st.sampled_from([k / 2 for k in range(-8, 9)])


@st.composite
def charts(draw: st.DrawFn) -> ControlChart:
    """A chart whose sigma varies from point to point, as a p or u chart's does."""
    n = draw(st.integers(0, 60))
    centre = draw(st.sampled_from([0.0, 0.25, 10.0]))
    sigmas = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=n, max_size=n))
    zs = draw(st.lists(st.one_of(ON_THE_LINES, st.floats(-4.0, 4.0)), min_size=n, max_size=n))
    points = [
        ChartPoint(centre + z * s, centre, s, centre - 3 * s, centre + 3 * s)
        for z, s in zip(zs, sigmas, strict=True)
    ]
    return ControlChart.of("u", centre, points)


RULE_SETS = st.sets(st.sampled_from(ALL_RULES), min_size=1).map(sorted)


@given(chart=charts(), rules=RULE_SETS)
def test_the_monitor_alerts_at_each_point_as_the_batch_rules_detect_there(
    chart: ControlChart, rules: list[int]
) -> None:
    monitor = NelsonMonitor(rules)
    pts = chart.chart_points()
    for i, point in enumerate(pts):
        so_far = ControlChart.of(chart.kind, chart.centre, pts[: i + 1])
        expected = tuple(v for v in nelson_violations(so_far, rules) if v.detected_at == i)
        assert monitor.update(point) == expected
    assert monitor.value() == nelson_violations(chart, rules)


def _brute_force(rule: int, pts: Sequence[ChartPoint]) -> set[int]:
    """The points a rule flags, reading its definition window by window."""
    z = [p.z for p in pts]
    if rule == 1:
        return {i for i, p in enumerate(pts) if p.value > p.ucl or p.value < p.lcl}
    flagged: set[int] = set()
    if rule in WINDOW_RULES:
        window, need, k = WINDOW_RULES[rule]
        for i in range(len(z)):
            for sign in (1, -1):
                beyond = [j for j in range(max(0, i - window + 1), i + 1) if sign * z[j] > k]
                if len(beyond) >= need:
                    flagged.update(beyond)
        return flagged
    k = RUN_LENGTH[rule]
    for s in range(len(z) - k + 1):
        w = z[s : s + k]
        steps = [b - a for a, b in itertools.pairwise(w)]
        holds = {
            2: all(x > 0 for x in w) or all(x < 0 for x in w),
            3: all(d > 0 for d in steps) or all(d < 0 for d in steps),
            4: all(d != 0 for d in steps) and all((a > 0) != (b > 0) for a, b in itertools.pairwise(steps)),
            7: all(abs(x) < 1 for x in w),
            8: all(abs(x) > 1 for x in w),
        }[rule]
        if holds:
            flagged.update(range(s, s + k))
    return flagged


@given(chart=charts())
def test_each_rule_flags_the_points_a_brute_force_reading_flags(chart: ControlChart) -> None:
    pts = chart.chart_points()
    for rule in ALL_RULES:
        found = nelson_violations(chart, [rule])
        assert {p for v in found for p in v.points} == _brute_force(rule, pts), rule
        for v in found:
            assert list(v.points) == sorted(set(v.points))
            assert v.points[0] <= v.detected_at <= v.points[-1]
            if rule in RUN_LENGTH:
                assert v.detected_at == v.points[0] + RUN_LENGTH[rule] - 1
        if rule in {1, 2, 5, 6, 7, 8}:  # one violation per run: no point in two of them
            assert sum(len(v.points) for v in found) == len({p for v in found for p in v.points})


# -- Invariance under a change of origin or unit ------------------------------------------------------

VALUES = st.lists(st.integers(-50, 50), min_size=2, max_size=40)
SUBGROUPS = st.integers(2, 6).flatmap(
    lambda n: st.lists(st.lists(st.integers(-50, 50), min_size=n, max_size=n), min_size=1, max_size=15)
)


def _clear_of_the_lines(*charts: ControlChart) -> bool:
    """No point within a hair of a zone line, a control limit or the centre line, where rounding
    after a shift or a scale could legitimately move it across."""
    for chart in charts:
        for p in chart.chart_points():
            lines = [p.centre + k * p.sigma for k in range(-3, 4)] + [p.lcl, p.ucl]
            if any(abs(p.value - line) < 1e-6 * p.sigma for line in lines):
                return False
    return True


def _imr_violations(values: Sequence[float]) -> tuple[tuple[Violation, ...], tuple[Violation, ...]]:
    chart = imr_chart(values)
    return nelson_violations(chart.individuals), nelson_violations(chart.moving_range)


def _xbar_r_violations(subgroups: Sequence[Sequence[float]]) -> tuple[tuple[Violation, ...], ...]:
    chart = xbar_r_chart(subgroups)
    return nelson_violations(chart.xbar), nelson_violations(chart.r)


@given(values=VALUES, shift=st.integers(-(10**6), 10**6))
def test_imr_violations_do_not_move_with_the_origin(values: list[int], shift: int) -> None:
    assume(len(set(values)) > 1)
    chart = imr_chart(values)
    assume(_clear_of_the_lines(chart.individuals, chart.moving_range))
    assert _imr_violations([x + shift for x in values]) == _imr_violations(values)


@given(subgroups=SUBGROUPS, shift=st.integers(-(10**6), 10**6))
def test_xbar_r_violations_do_not_move_with_the_origin(subgroups: list[list[int]], shift: int) -> None:
    assume(any(len(set(g)) > 1 for g in subgroups))
    chart = xbar_r_chart(subgroups)
    assume(_clear_of_the_lines(chart.xbar, chart.r))
    assert _xbar_r_violations([[x + shift for x in g] for g in subgroups]) == _xbar_r_violations(subgroups)


@given(values=VALUES, power=st.integers(-30, 30))
def test_imr_violations_do_not_change_with_the_unit(values: list[int], power: int) -> None:
    # A power of two scales every sum, mean, range and limit exactly: no rounding to step around.
    assume(len(set(values)) > 1)
    assert _imr_violations([x * 2.0**power for x in values]) == _imr_violations(values)


@given(subgroups=SUBGROUPS, power=st.integers(-30, 30))
def test_xbar_r_violations_do_not_change_with_the_unit(subgroups: list[list[int]], power: int) -> None:
    assume(any(len(set(g)) > 1 for g in subgroups))
    scaled = [[x * 2.0**power for x in g] for g in subgroups]
    assert _xbar_r_violations(scaled) == _xbar_r_violations(subgroups)


@given(values=VALUES, scale=st.floats(1e-3, 1e3))
def test_imr_violations_do_not_change_with_any_positive_scale(values: list[int], scale: float) -> None:
    assume(len(set(values)) > 1)
    chart = imr_chart(values)
    assume(_clear_of_the_lines(chart.individuals, chart.moving_range))
    assert _imr_violations([x * scale for x in values]) == _imr_violations(values)


_MIRROR: dict[Direction | None, Direction | None] = {
    "above": "below",
    "below": "above",
    "increasing": "decreasing",
    "decreasing": "increasing",
    None: None,
}


@given(values=VALUES)
def test_mirrored_measurements_mirror_the_individuals_violations(values: list[int]) -> None:
    assume(len(set(values)) > 1)
    individuals, moving_range = _imr_violations(values)
    mirrored = tuple(Violation(v.rule, v.points, v.detected_at, _MIRROR[v.direction]) for v in individuals)
    assert _imr_violations([-x for x in values]) == (mirrored, moving_range)


# -- Baselines and limits -----------------------------------------------------------------------------


@given(values=VALUES, subgroups=SUBGROUPS)
def test_a_variables_chart_drawn_against_its_own_baseline_is_the_same_chart(
    values: list[int], subgroups: list[list[int]]
) -> None:
    assume(len(set(values)) > 1 and any(len(set(g)) > 1 for g in subgroups))
    imr = imr_chart(values)
    assert imr_chart(values, baseline=imr.baseline) == imr
    xbar_r = xbar_r_chart(subgroups)
    assert xbar_r_chart(subgroups, baseline=xbar_r.baseline) == xbar_r


SAMPLES = st.lists(st.tuples(st.integers(0, 40), st.integers(1, 400)), min_size=1, max_size=30)


@given(samples=SAMPLES)
def test_p_chart_limits_are_per_sample_and_stay_within_0_and_1(samples: list[tuple[int, int]]) -> None:
    defectives = [min(d, n) for d, n in samples]
    sizes = [n for _, n in samples]
    assume(0 < sum(defectives) < sum(sizes))
    chart = p_chart(defectives, sizes)
    p_bar = sum(defectives) / sum(sizes)
    for n, s, lo, hi in zip(sizes, chart.sigma, chart.lcl, chart.ucl, strict=True):
        assert math.isclose(s, math.sqrt(p_bar * (1 - p_bar) / n))
        assert lo == max(0.0, p_bar - 3 * s)
        assert hi == min(1.0, p_bar + 3 * s)
        assert 0.0 <= lo < p_bar < hi <= 1.0
    assert p_chart(defectives, sizes, baseline=PBaseline(chart.centre)) == chart


@given(samples=SAMPLES)
def test_u_chart_limits_are_per_sample_and_never_below_0(samples: list[tuple[int, int]]) -> None:
    defects = [d for d, _ in samples]
    units = [n / 10 for _, n in samples]  # tenths of a unit: units need not be whole
    assume(sum(defects) > 0)
    chart = u_chart(defects, units)
    u_bar = sum(defects) / math.fsum(units)
    assert math.isclose(chart.centre, u_bar)
    for n, s, lo, hi in zip(units, chart.sigma, chart.lcl, chart.ucl, strict=True):
        assert math.isclose(s, math.sqrt(u_bar / n))
        assert 0.0 <= lo < u_bar < hi
        assert (lo == 0.0) == (u_bar - 3 * s <= 0.0)
    assert u_chart(defects, units, baseline=UBaseline(chart.centre)) == chart
