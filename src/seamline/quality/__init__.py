"""Quality: ISO 2859-1 (= ANSI/ASQ Z1.4) acceptance sampling by attributes, and statistical
process control.

Single sampling plans for a lot (Table I code letters; Tables II-A, II-B, II-C with their arrows),
the verdict on a lot, and the switching rules between normal, tightened and reduced inspection
per stream of lots. Control charts (X-bar/R, I-MR, p, u) and the eight Nelson rules, in batch and
point by point (``seamline.quality.spc``). Defect taxonomy and inline checks arrive with later work.
"""

from seamline.quality.aql import (
    InspectionLevel,
    LotVerdict,
    SamplingPlan,
    code_letter,
    judge,
    parse_aql,
    parse_inspection,
    parse_level,
    single_plan,
)
from seamline.quality.errors import (
    InspectionDiscontinuedError,
    QualityError,
    SamplingInputError,
    SwitchingError,
)
from seamline.quality.spc import NelsonMonitor, imr_chart, nelson_violations, p_chart, u_chart, xbar_r_chart
from seamline.quality.switching import SwitchingState, switching_score
from seamline.quality.tables import InspectionSeverity

__all__ = [
    "InspectionDiscontinuedError",
    "InspectionLevel",
    "InspectionSeverity",
    "LotVerdict",
    "NelsonMonitor",
    "QualityError",
    "SamplingInputError",
    "SamplingPlan",
    "SwitchingError",
    "SwitchingState",
    "code_letter",
    "imr_chart",
    "judge",
    "nelson_violations",
    "p_chart",
    "parse_aql",
    "parse_inspection",
    "parse_level",
    "single_plan",
    "switching_score",
    "u_chart",
    "xbar_r_chart",
]
