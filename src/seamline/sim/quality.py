"""Defect taxonomy and the draw of inspection results.

Categories and severities follow apparel-domain.md 4.1: sewing (skipped / broken stitch, open seam,
puckering, uneven stitch, raw edge), fabric (hole, stain, shade variation), measurement (point of
measure out of tolerance), trims (missing label, wrong button). Severity classes as in the usual
apparel AQL practice (critical 0 / major 2.5 / minor 4.0): a missing care or flammability label is
critical, open seams, holes and out-of-tolerance measurements are major, a single skipped stitch or
slight puckering is minor.

A checked piece carries a Poisson number of defects, so DHU = defects x 100 / checked and
% defective = pieces with a defect x 100 / checked (apparel-domain.md 2.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class DefectType:
    code: str
    category: str
    severity: str  # the usual severity
    escalated: str  # the severity of the worse case
    p_escalated: float  # share of the worse case
    weight_inline: float  # relative frequency at an inline check after a sewing operation
    weight_end_of_line: float  # relative frequency at the end-of-line table check


DEFECT_TYPES: tuple[DefectType, ...] = (
    DefectType("skipped_stitch", "sewing", "minor", "major", 0.25, 20, 14),
    DefectType("broken_stitch", "sewing", "major", "major", 0.0, 12, 10),
    DefectType("open_seam", "sewing", "major", "major", 0.0, 9, 8),
    DefectType("puckering", "sewing", "minor", "major", 0.2, 18, 14),
    DefectType("uneven_stitch", "sewing", "minor", "minor", 0.0, 14, 10),
    DefectType("raw_edge", "sewing", "major", "major", 0.0, 8, 7),
    DefectType("hole", "fabric", "major", "major", 0.0, 4, 5),
    DefectType("stain", "fabric", "minor", "major", 0.4, 6, 9),
    DefectType("shade_variation", "fabric", "major", "major", 0.0, 2, 5),
    DefectType("out_of_tolerance", "measurement", "major", "major", 0.0, 0, 8),
    DefectType("missing_label", "trims", "major", "critical", 0.3, 0, 3),
    DefectType("wrong_button", "trims", "major", "major", 0.0, 0, 2),
)

_P_INLINE = np.array([d.weight_inline for d in DEFECT_TYPES]) / sum(d.weight_inline for d in DEFECT_TYPES)
_P_EOL = np.array([d.weight_end_of_line for d in DEFECT_TYPES]) / sum(
    d.weight_end_of_line for d in DEFECT_TYPES
)


@dataclass(frozen=True, slots=True)
class InspectionResult:
    checked: int
    defective: int
    defect_count: int
    defects: tuple[dict[str, Any], ...]  # wire form: {"code", "count", "severity"}


def inspect(
    rng: np.random.Generator, checked: int, defects_per_piece: float, *, inline: bool
) -> InspectionResult:
    """Check ``checked`` pieces whose expected defects per piece is ``defects_per_piece``."""
    per_piece = rng.poisson(max(defects_per_piece, 0.0), checked)
    total = int(per_piece.sum())
    defective = int(np.count_nonzero(per_piece))
    if total == 0:
        return InspectionResult(checked, 0, 0, ())
    kinds = rng.choice(len(DEFECT_TYPES), size=total, p=_P_INLINE if inline else _P_EOL)
    worse = rng.random(total)
    counts: dict[tuple[int, str], int] = {}
    for k, w in zip(kinds.tolist(), worse.tolist(), strict=True):
        t = DEFECT_TYPES[k]
        severity = t.escalated if w < t.p_escalated else t.severity
        counts[(k, severity)] = counts.get((k, severity), 0) + 1
    defects = tuple(
        {"code": DEFECT_TYPES[k].code, "count": n, "severity": sev} for (k, sev), n in sorted(counts.items())
    )
    return InspectionResult(checked, defective, total, defects)
