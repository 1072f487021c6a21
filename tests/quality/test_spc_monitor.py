"""The live monitor: one alert per violation at the point it fires, runs growing in ``value()``."""

from __future__ import annotations

import pytest

from seamline.quality.spc import (
    ChartPoint,
    IMRBaseline,
    NelsonMonitor,
    SpcError,
    Violation,
    imr_chart,
    nelson_violations,
)


def z_point(z: float) -> ChartPoint:
    return ChartPoint(z, 0.0, 1.0, -3.0, 3.0)


def test_a_run_raises_one_alert_on_its_ninth_point_and_grows_after() -> None:
    monitor = NelsonMonitor(rules=[2])
    alerts = [monitor.update(z_point(0.5)) for _ in range(12)]
    nine = Violation(2, tuple(range(9)), 8, "above")
    assert alerts == [()] * 8 + [(nine,)] + [()] * 3
    assert alerts[8][0].message == "Rule 2: 9 points in a row above the centre line (points 0-8)"
    assert monitor.value() == (Violation(2, tuple(range(12)), 8, "above"),)
    assert monitor.count == 12


def test_a_point_that_sets_off_several_rules_returns_them_in_rule_order() -> None:
    monitor = NelsonMonitor()
    for z in [0.2, -0.4, 0.1, 1.6, 1.2, 2.3, 1.8, 1.4, 1.1, 1.9, 2.6, 1.3]:
        monitor.update(z_point(z))
    assert [v.rule for v in monitor.update(z_point(3.2))] == [1, 5]
    assert [v.rule for v in monitor.value()] == [6, 2, 8, 1, 5]


def test_the_monitor_fed_a_phase_two_chart_agrees_with_the_chart() -> None:
    baseline = IMRBaseline(mean=12.0, mean_moving_range=1.6)
    values = [12.5, 13.1, 12.9, 13.4, 12.2, 13.0, 12.8, 13.3, 12.6, 16.9, 13.1]
    chart = imr_chart(values, baseline=baseline).individuals
    monitor = NelsonMonitor()
    alerts = [v for x in values for v in monitor.update(baseline.individual_point(x))]
    assert [v.message for v in alerts] == [
        "Rule 2: 9 points in a row above the centre line (points 0-8)",
        "Rule 1: point 9 above the upper control limit",
    ]
    assert monitor.value() == nelson_violations(chart)
    assert monitor.value()[0].points == tuple(range(11))  # the run went on to the last point


def test_a_monitor_refuses_an_unknown_rule() -> None:
    with pytest.raises(SpcError, match=r"unknown Nelson rule\(s\) \[0\]"):
        NelsonMonitor(rules=[0, 1])
