"""Inline and end-of-line inspection results as devices send them (docs/telemetry.md, "Events";
apparel-domain.md 4.1): what makes one unreadable. Ingest checks the types; these are the rules a
result must keep to count (a defective piece has a defect, no more defective pieces than checked).

>>> inspection_problem({"kind": "inline", "checked": 5, "defective": 1, "defects": []})
'1 defective pieces with 0 defects: each defective piece has a defect'
"""

from __future__ import annotations

from typing import Any, Final

INVALID_INSPECTION: Final = "invalid_inspection"
INSPECTION_KINDS: Final = frozenset({"inline", "end_of_line"})
SEVERITIES: Final = frozenset({"critical", "major", "minor"})


def inspection_problem(data: dict[str, Any]) -> str | None:
    """What makes an inspection result unreadable, or None."""
    checked, defective = data.get("checked"), data.get("defective")
    problem = None
    if data.get("kind") not in INSPECTION_KINDS:
        problem = f"kind {data.get('kind')!r}: one of {', '.join(sorted(INSPECTION_KINDS))}"
    elif not isinstance(checked, int) or isinstance(checked, bool) or checked < 1:
        problem = f"checked {checked!r}: a whole number of pieces, 1 or more"
    elif not isinstance(defective, int) or isinstance(defective, bool) or not 0 <= defective <= checked:
        problem = f"defective {defective!r}: a whole number from 0 to checked ({checked})"
    return problem or _defects_problem(data.get("defects"), int(defective or 0))


def _defects_problem(defects: object, defective: int) -> str | None:
    if not isinstance(defects, list):
        return "defects: a list of {code, count, severity}"
    total = 0
    for i, d in enumerate(defects):
        count = d.get("count") if isinstance(d, dict) else None
        if not isinstance(d, dict) or not isinstance(d.get("code"), str):
            return f"defects[{i}]: needs a code"
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return f"defects[{i}].count {count!r}: 1 or more"
        if d.get("severity") not in SEVERITIES:
            return f"defects[{i}].severity {d.get('severity')!r}: one of {', '.join(sorted(SEVERITIES))}"
        total += count
    if (defective > 0) != (total > 0) or total < defective:
        return f"{defective} defective pieces with {total} defects: each defective piece has a defect"
    return None


__all__ = ["INSPECTION_KINDS", "INVALID_INSPECTION", "SEVERITIES", "inspection_problem"]
