"""Factors of the Shewhart X-bar/R chart for subgroups of 2 to 25 values.

Values as printed in D. C. Montgomery, *Introduction to Statistical Quality Control*, 7th ed.
(Wiley, 2013), Appendix VI "Factors for constructing variables control charts"; ISO 7870-2
(Shewhart control charts) tabulates the same factors. They follow from the distribution of the
range ``R`` of ``n`` normal values: ``d2 = E[R]/sigma``, ``d3 = sd[R]/sigma``,
``A2 = 3/(d2*sqrt(n))``, ``D4 = 1 + 3*d3/d2`` and ``D3 = max(0, 1 - 3*d3/d2)``; the tests derive them
again by numerical integration and check every printed digit (Montgomery rounds a few down, e.g.
``D4 = 2.574`` for ``n = 3`` where the exact value is 2.5746).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class RangeFactors:
    """The X-bar/R factors for one subgroup size ``n``, named as in the textbooks."""

    n: int
    A2: float  # X-bar limits: grand mean ± A2 * R-bar
    d2: float  # process sigma = R-bar / d2
    D3: float  # R chart LCL = D3 * R-bar (0 for n <= 6, where 1 - 3*d3/d2 would be negative)
    D4: float  # R chart UCL = D4 * R-bar


# n: (A2, d2, D3, D4), Montgomery Appendix VI.
_TABLE: Final[dict[int, tuple[float, float, float, float]]] = {
    2: (1.880, 1.128, 0.0, 3.267),
    3: (1.023, 1.693, 0.0, 2.574),
    4: (0.729, 2.059, 0.0, 2.282),
    5: (0.577, 2.326, 0.0, 2.114),
    6: (0.483, 2.534, 0.0, 2.004),
    7: (0.419, 2.704, 0.076, 1.924),
    8: (0.373, 2.847, 0.136, 1.864),
    9: (0.337, 2.970, 0.184, 1.816),
    10: (0.308, 3.078, 0.223, 1.777),
    11: (0.285, 3.173, 0.256, 1.744),
    12: (0.266, 3.258, 0.283, 1.717),
    13: (0.249, 3.336, 0.307, 1.693),
    14: (0.235, 3.407, 0.328, 1.672),
    15: (0.223, 3.472, 0.347, 1.653),
    16: (0.212, 3.532, 0.363, 1.637),
    17: (0.203, 3.588, 0.378, 1.622),
    18: (0.194, 3.640, 0.391, 1.608),
    19: (0.187, 3.689, 0.403, 1.597),
    20: (0.180, 3.735, 0.415, 1.585),
    21: (0.173, 3.778, 0.425, 1.575),
    22: (0.167, 3.819, 0.434, 1.566),
    23: (0.162, 3.858, 0.443, 1.557),
    24: (0.157, 3.895, 0.451, 1.548),
    25: (0.153, 3.931, 0.459, 1.541),
}

RANGE_FACTORS: Final[dict[int, RangeFactors]] = {n: RangeFactors(n, *row) for n, row in _TABLE.items()}
"""The factors by subgroup size, 2 to 25."""

MIN_SUBGROUP: Final = min(RANGE_FACTORS)
MAX_SUBGROUP: Final = max(RANGE_FACTORS)

MOVING_RANGE: Final = RANGE_FACTORS[2]
"""The individuals chart's moving range spans 2 values: d2 = 1.128, D3 = 0, D4 = 3.267."""
