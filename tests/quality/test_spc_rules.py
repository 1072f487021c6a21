"""Each Nelson rule fires on a pattern made for it, naming exactly its points, and stays quiet on a near miss.

Most cases use a chart with centre 0, sigma 1 and limits ±3 at every point, so a value is its own
z-score and the patterns read directly: 2.5 is beyond 2 sigma above, -0.5 is within 1 sigma below.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from seamline.quality.spc import (
    ALL_RULES,
    RULE_NAMES,
    ControlChart,
    PBaseline,
    Violation,
    nelson_violations,
    p_chart,
)

Found = list[tuple[tuple[int, ...], int, str | None]]


def z_chart(values: Sequence[float]) -> ControlChart:
    n = len(values)
    return ControlChart("i", 0.0, tuple(values), (1.0,) * n, (-3.0,) * n, (3.0,) * n)


def found(rule: int, values: Sequence[float]) -> Found:
    """(points, detected_at, direction) of each violation of one rule."""
    return [(v.points, v.detected_at, v.direction) for v in nelson_violations(z_chart(values), rules=[rule])]


def span(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


# -- Rule 1: one point beyond the control limits ------------------------------------------------------


def test_rule_1_fires_on_each_point_beyond_a_limit() -> None:
    assert found(1, [0, 3.5, 0, -3.2, 3.1]) == [((1,), 1, "above"), ((3,), 3, "below"), ((4,), 4, "above")]


def test_rule_1_near_miss_a_point_on_the_limit_is_not_beyond_it() -> None:
    assert found(1, [3.0, -3.0, 2.99]) == []


def test_rule_1_uses_the_limits_as_drawn() -> None:
    # An R chart for n = 7: LCL = D3 * R-bar sits at z = -1.6 here, not at -3.
    chart = ControlChart("r", 2.0, (0.4, 0.6), (1.0, 1.0), (0.5, 0.5), (5.0, 5.0))
    assert [(v.points, v.direction) for v in nelson_violations(chart, rules=[1])] == [((0,), "below")]


# -- Rule 2: nine points in a row on one side of the centre line --------------------------------------


def test_rule_2_fires_on_the_ninth_point_above() -> None:
    assert found(2, [-0.5] + [0.5] * 9 + [-0.5]) == [(span(1, 9), 9, "above")]


def test_rule_2_reports_a_long_run_once_with_all_its_points() -> None:
    assert found(2, [-0.1] * 12) == [(span(0, 11), 8, "below")]


def test_rule_2_near_miss_eight_points_then_one_on_the_centre_line() -> None:
    assert found(2, [0.5] * 8 + [0.0] + [0.5] * 8) == []
    assert found(2, [0.5] * 8 + [-0.5]) == []


# -- Rule 3: six points in a row steadily increasing or decreasing ------------------------------------


def test_rule_3_fires_on_six_points_rising() -> None:
    assert found(3, [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]) == [(span(0, 5), 5, "increasing")]


def test_rule_3_fires_on_seven_points_falling_as_one_run() -> None:
    assert found(3, [0.9, 0.5, 0.3, 0.1, -0.2, -0.4, -0.45, 0.0]) == [(span(0, 6), 5, "decreasing")]


def test_rule_3_near_miss_five_rising_then_a_tie_or_a_fall() -> None:
    assert found(3, [-2, -1, 0, 1, 2, 2, 3, 4]) == []
    assert found(3, [0, 0.2, 0.4, 0.6, 0.8, 0.7]) == []


# -- Rule 4: fourteen points in a row alternating up and down -----------------------------------------


def test_rule_4_fires_on_fourteen_alternating_points() -> None:
    assert found(4, [0.5, -0.5] * 7) == [(span(0, 13), 13, None)]


def test_rule_4_near_miss_thirteen_then_two_steps_up_and_a_new_run_from_the_turn() -> None:
    # steps: down, up, ..., up into point 12, up again into point 13: the first run is points 0-12
    # (13 points). The next alternating run starts at point 12, and reaches 14 points at point 25.
    values = [0.5, -0.5] * 6 + [0.5, 0.7]
    assert found(4, values) == []
    assert found(4, values + [-0.5, 0.5] * 6) == [(span(12, 25), 25, None)]


# -- Rule 5: two out of three points beyond 2 sigma, same side ----------------------------------------


def test_rule_5_fires_on_two_of_three_beyond_2_sigma_naming_those_two() -> None:
    assert found(5, [0, 2.5, 1.0, 2.1, 0]) == [((1, 3), 3, "above")]
    assert found(5, [-2.2, -2.3]) == [((0, 1), 1, "below")]  # two of the first two: already certain


def test_rule_5_merges_windows_that_share_a_point_and_separates_the_rest() -> None:
    assert found(5, [2.5, 2.5, 2.5, 0, 2.2]) == [((0, 1, 2, 4), 1, "above")]
    assert found(5, [2.5, 2.5, 0, 0, 0, 2.5, 2.5]) == [((0, 1), 1, "above"), ((5, 6), 6, "above")]


def test_rule_5_near_miss_too_far_apart_opposite_sides_or_on_the_line() -> None:
    assert found(5, [2.5, 0, 0, 2.5]) == []
    assert found(5, [2.5, -2.5, 0.0]) == []
    assert found(5, [2.0, 2.5, 2.0]) == []


# -- Rule 6: four out of five points beyond 1 sigma, same side ----------------------------------------


def test_rule_6_fires_on_four_of_five_beyond_1_sigma() -> None:
    assert found(6, [1.5, 1.2, 0.5, 1.1, 1.3]) == [((0, 1, 3, 4), 4, "above")]
    assert found(6, [0, -1.5, -1.2, -1.1, -1.3]) == [((1, 2, 3, 4), 4, "below")]


def test_rule_6_near_miss_three_of_five_or_not_on_one_side() -> None:
    assert found(6, [1.5, 1.2, 0.5, 1.1, 0.5, 1.3]) == []
    assert found(6, [1.5, -1.2, -1.5, 1.1, 1.3]) == []  # all beyond, three above, two below
    assert found(6, [1.5, 1.2, -1.5, 1.1, 1.3]) == [((0, 1, 3, 4), 4, "above")]  # the odd one may be anywhere


# -- Rule 7: fifteen points in a row within 1 sigma ---------------------------------------------------

HUGGING = [0.1, 0.2, -0.3, -0.1, 0.4, 0.5, -0.2, 0.0, 0.3, -0.4, -0.5, 0.6, 0.2, -0.1, 0.3]


def test_rule_7_fires_on_fifteen_points_within_1_sigma_either_side() -> None:
    assert found(7, HUGGING) == [(span(0, 14), 14, None)]


def test_rule_7_near_miss_a_point_on_the_1_sigma_line_breaks_the_run() -> None:
    assert found(7, [*HUGGING[:7], 1.0, *HUGGING[8:]]) == []


# -- Rule 8: eight points in a row beyond 1 sigma, either side ----------------------------------------

MIXTURE = [1.5, -1.5, 2.0, -2.0, 1.2, -1.2, 1.1, -1.1]


def test_rule_8_fires_on_eight_points_beyond_1_sigma_either_side() -> None:
    assert found(8, MIXTURE) == [(span(0, 7), 7, None)]


def test_rule_8_near_miss_one_point_within_1_sigma() -> None:
    assert found(8, [*MIXTURE[:4], 0.9, *MIXTURE[5:], 1.3]) == []


# -- All rules together -------------------------------------------------------------------------------


def test_a_mean_shift_sets_off_rules_in_the_order_they_were_detected() -> None:
    # A line drifting up by about 1.5 sigma from point 3.
    values = [0.2, -0.4, 0.1, 1.6, 1.2, 2.3, 1.8, 1.4, 1.1, 1.9, 2.6, 1.3, 3.2]
    # rule 6: beyond 1 sigma from point 3 on; the window of points 2-6 holds 3, 4, 5, 6: fires at 6
    # rule 2: above the centre from point 2 on; the ninth such point is 10
    # rule 8: beyond 1 sigma from point 3 on; the eighth such point is 10
    # rule 1: 3.2 > 3 at point 12; rule 5: 2.6 and 3.2 (points 10 and 12) in the window 10-12
    # rule 3: the longest steady run is points 5-8 (four falling); rule 4, 7: none
    assert [v.message for v in nelson_violations(z_chart(values))] == [
        "Rule 6: points 3, 4, 5, 6, 7, 8, 9, 10, 11 and 12 more than 1 sigma above the centre line "
        "(4 out of 5 in a row)",
        "Rule 2: 11 points in a row above the centre line (points 2-12)",
        "Rule 8: 10 points in a row more than 1 sigma from the centre line, either side (points 3-12)",
        "Rule 1: point 12 above the upper control limit",
        "Rule 5: points 10 and 12 more than 2 sigma above the centre line (2 out of 3 in a row)",
    ]
    assert [v.rule for v in nelson_violations(z_chart(values), rules=[3, 4, 7])] == []


def test_charts_with_limits_per_point_are_judged_by_z_score() -> None:
    # p-bar = 0.1. n = 100: sigma = sqrt(0.1 * 0.9 / 100) = 0.03, and 17/100 = 0.17 is at z = 2.33.
    # n = 36: sigma = sqrt(0.09 / 36) = 0.05, and 6/36 = 0.1667 is at z = 1.33, though at n = 100's
    # sigma it would be at z = 2.22: two of three beyond 2 sigma are points 0 and 2, not all three.
    chart = p_chart([17, 6, 17], [100, 36, 100], baseline=PBaseline(p_bar=0.1))
    assert [z for p in chart.chart_points() for z in [round(p.z, 2)]] == [2.33, 1.33, 2.33]
    assert [(v.points, v.direction) for v in nelson_violations(chart, rules=[5])] == [((0, 2), "above")]


def test_each_violation_has_a_stable_code_and_an_english_name() -> None:
    assert sorted(RULE_NAMES) == list(ALL_RULES)
    v = Violation(3, span(3, 9), 8, "increasing")
    assert (v.code, v.name) == ("nelson_3", "Six points in a row steadily increasing or decreasing")
    assert v.message == "Rule 3: 7 points in a row steadily increasing (points 3-9)"
    assert Violation(4, span(0, 13), 13).message == (
        "Rule 4: 14 points in a row alternating up and down (points 0-13)"
    )
    assert Violation(7, span(5, 19), 19).message == (
        "Rule 7: 15 points in a row within 1 sigma of the centre line (points 5-19)"
    )
    assert Violation(1, (7,), 7, "below").message == "Rule 1: point 7 below the lower control limit"


def test_only_the_rules_asked_for_are_checked() -> None:
    values = [0.2, -0.4, 0.1, 1.6, 1.2, 2.3, 1.8, 1.4, 1.1, 1.9, 2.6, 1.3, 3.2]
    assert [v.rule for v in nelson_violations(z_chart(values), rules=range(1, 3))] == [2, 1]
    assert nelson_violations(z_chart(values), rules=[]) == ()


@pytest.mark.parametrize("rule", ALL_RULES)
def test_an_empty_chart_has_no_violations(rule: int) -> None:
    assert found(rule, []) == []
