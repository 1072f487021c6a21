"""Statistical process control: Shewhart control charts and the Nelson rules, as pure functions.

Charts (Montgomery, *Introduction to Statistical Quality Control*, 7th ed.; ISO 7870-2):
:func:`xbar_r_chart` for subgroups of measurements, :func:`imr_chart` for single measurements,
:func:`p_chart` for the fraction defective (% defective / 100) and :func:`u_chart` for defects per
unit (DHU / 100), both with a sample size that may vary. Each estimates its lines from the data
(phase I) or takes a baseline fixed earlier (phase II).

Rules: :func:`nelson_violations` checks a whole chart; :class:`NelsonMonitor` checks points as they
arrive and returns what each one sets off, for live alerts.

>>> chart = p_chart([4, 3, 5, 4, 19], [100, 100, 100, 100, 100])  # defectives per 100 checked
>>> round(chart.centre, 3), round(chart.ucl[0], 3)  # 35 / 500; 0.07 + 3 * sqrt(0.07 * 0.93 / 100)
(0.07, 0.147)
>>> [v.message for v in nelson_violations(chart)]
['Rule 1: point 4 above the upper control limit']
"""

from seamline.quality.spc.attributes import PBaseline, UBaseline, p_chart, u_chart
from seamline.quality.spc.constants import RANGE_FACTORS, RangeFactors
from seamline.quality.spc.errors import SpcError
from seamline.quality.spc.monitor import NelsonMonitor
from seamline.quality.spc.points import ChartKind, ChartPoint, ControlChart
from seamline.quality.spc.rules import ALL_RULES, RULE_NAMES, Direction, Violation, nelson_violations
from seamline.quality.spc.variables import (
    IMRBaseline,
    IMRChart,
    XbarRBaseline,
    XbarRChart,
    imr_chart,
    xbar_r_chart,
)

__all__ = [
    "ALL_RULES",
    "RANGE_FACTORS",
    "RULE_NAMES",
    "ChartKind",
    "ChartPoint",
    "ControlChart",
    "Direction",
    "IMRBaseline",
    "IMRChart",
    "NelsonMonitor",
    "PBaseline",
    "RangeFactors",
    "SpcError",
    "UBaseline",
    "Violation",
    "XbarRBaseline",
    "XbarRChart",
    "imr_chart",
    "nelson_violations",
    "p_chart",
    "u_chart",
    "xbar_r_chart",
]
