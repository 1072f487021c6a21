"""Golden control charts on small hand-made data, the arithmetic written out; then bad data refused."""

from __future__ import annotations

import math

import pytest

from seamline.quality.spc import (
    ChartPoint,
    ControlChart,
    IMRBaseline,
    PBaseline,
    SpcError,
    UBaseline,
    XbarRBaseline,
    imr_chart,
    nelson_violations,
    p_chart,
    u_chart,
    xbar_r_chart,
)

approx = pytest.approx

# -- X-bar/R ------------------------------------------------------------------------------------------

# Seam allowance in mm, 4 pieces measured at each of 5 checks.
SUBGROUPS = [
    [10, 12, 11, 13],  # sum 46, mean 11.5, range 13 - 10 = 3
    [11, 11, 12, 10],  # sum 44, mean 11.0, range 12 - 10 = 2
    [12, 14, 13, 13],  # sum 52, mean 13.0, range 14 - 12 = 2
    [9, 11, 10, 12],  # sum 42, mean 10.5, range 12 - 9 = 3
    [11, 13, 12, 14],  # sum 50, mean 12.5, range 14 - 11 = 3
]


def test_xbar_r_golden() -> None:
    chart = xbar_r_chart(SUBGROUPS)
    # grand mean = (11.5 + 11.0 + 13.0 + 10.5 + 12.5) / 5 = 58.5 / 5 = 11.7
    # R-bar = (3 + 2 + 2 + 3 + 3) / 5 = 13 / 5 = 2.6
    # n = 4: A2 = 0.729, D3 = 0, D4 = 2.282, d2 = 2.059
    b = chart.baseline
    assert (b.grand_mean, b.mean_range, b.subgroup_size) == (approx(11.7), approx(2.6), 4)
    assert chart.xbar.kind == "xbar"
    assert chart.xbar.points == (11.5, 11.0, 13.0, 10.5, 12.5)
    assert chart.xbar.centre == approx(11.7)
    # A2 * R-bar = 0.729 * 2.6 = 1.8954: UCL = 11.7 + 1.8954 = 13.5954, LCL = 11.7 - 1.8954 = 9.8046
    assert chart.xbar.ucl == approx((13.5954,) * 5)
    assert chart.xbar.lcl == approx((9.8046,) * 5)
    # zone width: a third of the way to the limit, 1.8954 / 3 = 0.6318
    assert chart.xbar.sigma == approx((0.6318,) * 5)
    assert chart.r.kind == "r"
    assert chart.r.points == (3.0, 2.0, 2.0, 3.0, 3.0)
    assert chart.r.centre == approx(2.6)
    # UCL = D4 * R-bar = 2.282 * 2.6 = 5.9332; LCL = D3 * R-bar = 0
    assert chart.r.ucl == approx((5.9332,) * 5)
    assert chart.r.lcl == (0.0,) * 5
    # sigma of R = (D4 - 1) * R-bar / 3 = 1.282 * 2.6 / 3 = 1.11107
    assert chart.r.sigma == approx((1.282 * 2.6 / 3,) * 5)
    # process sigma = R-bar / d2 = 2.6 / 2.059 = 1.26275
    assert chart.sigma == approx(2.6 / 2.059)
    assert nelson_violations(chart.xbar) == nelson_violations(chart.r) == ()


def test_xbar_r_with_a_baseline_charts_new_subgroups_against_the_old_limits() -> None:
    baseline = xbar_r_chart(SUBGROUPS).baseline
    # Subgroup means 14.0 (sum 56) and 11.75 (sum 47); ranges 2 and 9.
    chart = xbar_r_chart([[13, 15, 14, 14], [8, 17, 11, 11]], baseline=baseline)
    assert chart.baseline is baseline
    assert chart.xbar.points == (14.0, 11.75)
    assert chart.xbar.ucl == approx((13.5954, 13.5954))  # the old limits, not re-estimated
    assert chart.r.points == (2.0, 9.0)
    # 14.0 > 13.5954 on the X-bar chart; 9 > 5.9332 on the R chart
    assert [(v.rule, v.points, v.direction) for v in nelson_violations(chart.xbar, rules=[1])] == [
        (1, (0,), "above")
    ]
    assert [(v.rule, v.points, v.direction) for v in nelson_violations(chart.r, rules=[1])] == [
        (1, (1,), "above")
    ]
    assert baseline.xbar_point([13, 15, 14, 14]) == chart.xbar.chart_points()[0]
    assert baseline.range_point([8, 17, 11, 11]) == chart.r.chart_points()[1]


def test_large_subgroups_have_a_positive_r_chart_lower_limit() -> None:
    # n = 7: D3 = 0.076, D4 = 1.924. Ranges 6 and 4: R-bar = 5, LCL = 0.38, UCL = 9.62.
    chart = xbar_r_chart([[1, 2, 3, 4, 5, 6, 7], [3, 4, 5, 6, 7, 5, 5]])
    assert chart.r.lcl == approx((0.38, 0.38))
    assert chart.r.ucl == approx((9.62, 9.62))


# -- Individuals and moving range ---------------------------------------------------------------------


def test_imr_golden() -> None:
    # Bundle cycle times in seconds.
    chart = imr_chart([10, 12, 11, 14, 13, 12])
    # moving ranges |12-10|, |11-12|, |14-11|, |13-14|, |12-13| = 2, 1, 3, 1, 1; MR-bar = 8 / 5 = 1.6
    # mean = 72 / 6 = 12.0; sigma = MR-bar / d2 = 1.6 / 1.128 = 1.41844
    assert (chart.baseline.mean, chart.baseline.mean_moving_range) == (12.0, approx(1.6))
    assert chart.sigma == approx(1.6 / 1.128)
    assert chart.individuals.kind == "i"
    assert chart.individuals.points == (10.0, 12.0, 11.0, 14.0, 13.0, 12.0)
    # limits 12 ± 3 * 1.41844 = 12 ± 4.25532: 16.25532 and 7.74468
    assert chart.individuals.ucl == approx((12 + 3 * 1.6 / 1.128,) * 6)
    assert chart.individuals.ucl[0] == approx(16.25532, abs=1e-5)
    assert chart.individuals.lcl[0] == approx(7.74468, abs=1e-5)
    assert chart.individuals.sigma == approx((1.6 / 1.128,) * 6)
    # moving range chart: one point fewer; UCL = D4 * MR-bar = 3.267 * 1.6 = 5.2272, LCL = 0
    assert chart.moving_range.kind == "mr"
    assert chart.moving_range.points == (2.0, 1.0, 3.0, 1.0, 1.0)
    assert chart.moving_range.centre == approx(1.6)
    assert chart.moving_range.ucl == approx((5.2272,) * 5)
    assert chart.moving_range.lcl == (0.0,) * 5
    assert chart.moving_range.sigma == approx((2.267 * 1.6 / 3,) * 5)


def test_imr_with_a_baseline() -> None:
    baseline = IMRBaseline(mean=12.0, mean_moving_range=1.6)
    chart = imr_chart([17.0, 12.0], baseline=baseline)
    # 17 > 16.25532; the moving range |12 - 17| = 5 stays under 5.2272
    assert [v.points for v in nelson_violations(chart.individuals, rules=[1])] == [(0,)]
    assert chart.moving_range.points == (5.0,)
    assert nelson_violations(chart.moving_range, rules=[1]) == ()
    assert baseline.individual_point(17.0) == chart.individuals.chart_points()[0]
    assert baseline.moving_range_point(12.0, 17.0) == chart.moving_range.chart_points()[0]
    assert imr_chart([], baseline=baseline).individuals.points == ()


# -- p chart ------------------------------------------------------------------------------------------


def test_p_chart_golden_with_varying_sample_sizes() -> None:
    # End-of-line checks: defective pieces out of pieces checked.
    chart = p_chart([3, 5, 2, 12, 4], [50, 100, 50, 100, 200])
    # p-bar = (3 + 5 + 2 + 12 + 4) / (50 + 100 + 50 + 100 + 200) = 26 / 500 = 0.052
    assert chart.kind == "p"
    assert chart.centre == approx(0.052)
    assert chart.points == approx((0.06, 0.05, 0.04, 0.12, 0.02))
    # sigma_i = sqrt(0.052 * 0.948 / n_i):
    #   n = 50:  sqrt(0.00098592) = 0.031399 -> UCL 0.052 + 0.094198 = 0.146198, LCL 0.052 - 0.094198 < 0: 0
    #   n = 100: sqrt(0.00049296) = 0.022203 -> UCL 0.118608, LCL < 0: 0
    #   n = 200: sqrt(0.00024648) = 0.015700 -> UCL 0.099099, LCL 0.052 - 0.047099 = 0.004901
    sigma = {n: math.sqrt(0.052 * 0.948 / n) for n in (50, 100, 200)}
    assert sigma[50] == approx(0.031399, abs=1e-6)
    assert chart.sigma == approx((sigma[50], sigma[100], sigma[50], sigma[100], sigma[200]))
    assert chart.ucl == approx((0.146198, 0.118608, 0.146198, 0.118608, 0.099099), abs=1e-6)
    assert chart.lcl[:4] == (0.0, 0.0, 0.0, 0.0)
    assert chart.lcl[4] == approx(0.004901, abs=1e-6)
    # 12 of 100 = 0.12 > 0.118608: beyond the limit of its own sample size
    assert [v.message for v in nelson_violations(chart)] == ["Rule 1: point 3 above the upper control limit"]


def test_p_chart_with_a_baseline() -> None:
    chart = p_chart([0, 1], [50, 400], baseline=PBaseline(p_bar=0.052))
    assert chart.centre == 0.052
    assert chart.points == (0.0, 0.0025)
    # n = 400: LCL = 0.052 - 3 * sqrt(0.052 * 0.948 / 400) = 0.052 - 0.033305 = 0.018695; 0.0025 is below
    assert chart.lcl[1] == approx(0.018695, abs=1e-6)
    assert [(v.points, v.direction) for v in nelson_violations(chart, rules=[1])] == [((1,), "below")]
    assert PBaseline(0.052).point(1, 400) == chart.chart_points()[1]


def test_a_p_chart_upper_limit_stops_at_1() -> None:
    # p-bar = 3 / 6 = 0.5; n = 2: 0.5 + 3 * sqrt(0.25 / 2) = 1.56 -> 1
    assert p_chart([1, 2, 0], [2, 2, 2]).ucl == (1.0, 1.0, 1.0)


# -- u chart ------------------------------------------------------------------------------------------


def test_u_chart_golden_dhu() -> None:
    # Defects found on pieces checked; DHU = 100 * u.
    chart = u_chart([10, 6, 24, 0], [50, 40, 60, 50])
    # u-bar = (10 + 6 + 24 + 0) / (50 + 40 + 60 + 50) = 40 / 200 = 0.2 (DHU 20)
    assert chart.kind == "u"
    assert chart.centre == approx(0.2)
    assert chart.points == approx((0.2, 0.15, 0.4, 0.0))
    # sigma_i = sqrt(0.2 / n_i):
    #   n = 50: sqrt(0.004) = 0.063246 -> UCL 0.2 + 0.189737 = 0.389737, LCL 0.2 - 0.189737 = 0.010263
    #   n = 40: sqrt(0.005) = 0.070711 -> UCL 0.412132, LCL 0.2 - 0.212132 < 0: 0
    #   n = 60: sqrt(0.003333) = 0.057735 -> UCL 0.373205, LCL 0.026795
    assert chart.sigma == approx(tuple(math.sqrt(0.2 / n) for n in (50, 40, 60, 50)))
    assert chart.ucl == approx((0.389737, 0.412132, 0.373205, 0.389737), abs=1e-6)
    assert chart.lcl == approx((0.010263, 0.0, 0.026795, 0.010263), abs=1e-6)
    assert chart.lcl[1] == 0.0
    # 0.4 > 0.373205 (DHU 40 on 60 pieces), and 0 < 0.010263 (no defect on 50 pieces is unusually good)
    assert [v.message for v in nelson_violations(chart, rules=[1])] == [
        "Rule 1: point 2 above the upper control limit",
        "Rule 1: point 3 below the lower control limit",
    ]


def test_u_chart_takes_fractional_units() -> None:
    # 3 defects on 2.5 units: u = 1.2; with u-bar 1: sigma = sqrt(1 / 2.5) = 0.632456
    p = UBaseline(u_bar=1.0).point(3, 2.5)
    assert (p.value, p.sigma) == (approx(1.2), approx(0.632456, abs=1e-6))


# -- ChartPoint and ControlChart ----------------------------------------------------------------------


def test_a_chart_hands_out_its_points_one_by_one() -> None:
    chart = p_chart([3, 5], [50, 100])
    pts = chart.chart_points()
    assert [p.value for p in pts] == list(chart.points)
    assert ControlChart.of("p", chart.centre, pts) == chart
    assert pts[0].z == approx((0.06 - 0.08 / 1.5) / math.sqrt((8 / 150) * (1 - 8 / 150) / 50))


# -- Bad data -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "reason", "details", "words"),
    [
        (
            lambda: xbar_r_chart([[1, 2, 3], [1, 2]]),
            "spc_input",
            {"chart": "xbar_r", "field": "subgroups", "index": 1},
            "subgroup 1 has 2 values; every subgroup needs 3",
        ),
        (
            lambda: xbar_r_chart([list(range(26))]),
            "spc_input",
            {"chart": "xbar_r", "field": "subgroups", "index": 0},
            "subgroups need 2 to 25 values",
        ),
        (
            lambda: xbar_r_chart([[5, 5], [6, 6]]),
            "no_variation",
            {"chart": "xbar_r", "field": "subgroups", "index": None},
            "every subgroup has a range of 0",
        ),
        (
            lambda: xbar_r_chart([]),
            "spc_input",
            {"chart": "xbar_r", "field": "subgroups", "index": None},
            "no subgroups",
        ),
        (
            lambda: xbar_r_chart([[1, 2], [3, 4]], baseline=XbarRBaseline(2.5, 1.0, 3)),
            "spc_input",
            {"chart": "xbar_r", "field": "subgroups", "index": 0},
            "subgroup 0 has 2 values; every subgroup needs 3",
        ),
        (
            lambda: imr_chart([1.0, math.nan, 2.0]),
            "spc_input",
            {"chart": "imr", "field": "values", "index": 1},
            "value 1 is nan",
        ),
        (
            lambda: imr_chart([4.0]),
            "spc_input",
            {"chart": "imr", "field": "values", "index": None},
            "needs at least 2",
        ),
        (
            lambda: imr_chart([4.0, 4.0, 4.0]),
            "no_variation",
            {"chart": "imr", "field": "values", "index": None},
            "every value is the same",
        ),
        (
            lambda: p_chart([3, 12], [50, 10]),
            "spc_input",
            {"chart": "p", "field": "defectives", "index": 1},
            "sample 1 has 12 defective(s) out of 10 inspected",
        ),
        (
            lambda: p_chart([3], [0]),
            "spc_input",
            {"chart": "p", "field": "sizes", "index": 0},
            "needs at least 1 piece",
        ),
        (
            lambda: p_chart([3, 4], [50]),
            "spc_input",
            {"chart": "p", "field": "sizes", "index": None},
            "2 defectives but 1 sizes",
        ),
        (
            lambda: p_chart([0, 0], [50, 50]),
            "no_variation",
            {"chart": "p", "field": "defectives", "index": None},
            "no piece is defective in 2 sample(s)",
        ),
        (
            lambda: p_chart([], []),
            "spc_input",
            {"chart": "p", "field": "defectives", "index": None},
            "no samples",
        ),
        (
            lambda: u_chart([2, 3], [10, 0]),
            "spc_input",
            {"chart": "u", "field": "units", "index": 1},
            "units inspected must be above 0",
        ),
        (
            lambda: u_chart([0, 0], [10, 20]),
            "no_variation",
            {"chart": "u", "field": "defects", "index": None},
            "no defect in 2 sample(s)",
        ),
        (
            lambda: PBaseline(p_bar=0.0),
            "spc_input",
            {"chart": "p", "field": "p_bar", "index": None},
            "strictly between 0 and 1",
        ),
        (
            lambda: IMRBaseline(mean=1.0, mean_moving_range=-1.0),
            "spc_input",
            {"chart": "imr", "field": "mean_moving_range", "index": None},
            "must be above 0",
        ),
        (
            lambda: nelson_violations(p_chart([1], [10]), rules=[2, 9]),
            "spc_input",
            {"chart": None, "field": "rules", "index": None},
            "unknown Nelson rule(s) [9]",
        ),
        (
            lambda: ChartPoint(1.0, 0.0, 0.0, -3.0, 3.0),
            "spc_input",
            {"chart": None, "field": "sigma", "index": None},
            "positive, finite sigma",
        ),
    ],
)
def test_data_a_chart_cannot_use_is_refused_saying_where_and_why(
    build: object, reason: str, details: dict[str, object], words: str
) -> None:
    assert callable(build)
    with pytest.raises(SpcError) as caught:
        build()
    err = caught.value
    assert (err.reason, err.details(), err.status_code) == (reason, details, 422)
    assert words in err.message
