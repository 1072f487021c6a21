"""Quality: ISO 2859-1 (= ANSI/ASQ Z1.4) acceptance sampling by attributes.

Single sampling plans for a lot (Table I code letters; Tables II-A, II-B, II-C with their arrows),
the verdict on a lot, and the switching rules between normal, tightened and reduced inspection
per stream of lots. Defect taxonomy, inline checks and SPC arrive with later work.
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
from seamline.quality.switching import SwitchingState, switching_score
from seamline.quality.tables import InspectionSeverity

__all__ = [
    "InspectionDiscontinuedError",
    "InspectionLevel",
    "InspectionSeverity",
    "LotVerdict",
    "QualityError",
    "SamplingInputError",
    "SamplingPlan",
    "SwitchingError",
    "SwitchingState",
    "code_letter",
    "judge",
    "parse_aql",
    "parse_inspection",
    "parse_level",
    "single_plan",
    "switching_score",
]
