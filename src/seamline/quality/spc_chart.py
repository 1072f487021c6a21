"""A line's control chart on the floor's own inspections, as plain data: one subgroup per hour with
inspections, a p chart (fraction defective) or u chart (defects per piece), and the Nelson rules
that fired. The API (``GET /api/v1/quality/spc``) and the quality page print the same dict."""

from __future__ import annotations

from typing import Any, Literal

from seamline.production.kpi import QualityTotals, quality_totals
from seamline.production.ledger import ProductionLedger
from seamline.quality.spc import nelson_violations, p_chart, u_chart
from seamline.timeutil import ms_to_iso


def spc_chart(
    ledger: ProductionLedger,
    line: str,
    kind: Literal["inline", "end_of_line"],
    chart: Literal["p", "u"],
    start_ms: int,
    end_ms: int,
) -> dict[str, Any]:
    """The chart of ``line``'s ``kind`` inspections over the hours overlapping ``[start_ms, end_ms)``:
    its centre, each point with its own limits (Montgomery 7.2.2, 7.3.2) and the rules' violations;
    call it under the engine's read lock."""
    where = {"line": line, "kind": kind}
    groups = quality_totals(ledger, start_ms, end_ms, by=("hour",), where=where)
    hours: list[tuple[int, QualityTotals]] = sorted(
        (int(k[0]), t) for k, t in groups.items() if t.checked > 0
    )
    head = {
        "line": line,
        "kind": kind,
        "chart": chart,
        "start": ms_to_iso(start_ms),
        "end": ms_to_iso(end_ms),
    }
    if len(hours) < 2:
        return {
            **head,
            "centre": None,
            "points": [],
            "violations": [],
            "note": "fewer than 2 hours inspected",
        }
    checked = [t.checked for _, t in hours]
    if chart == "p":
        drawn = p_chart([t.defective for _, t in hours], checked)
    else:
        drawn = u_chart([t.defects for _, t in hours], checked)
    stamps = [ms_to_iso(h) for h, _ in hours]
    return {
        **head,
        "centre": drawn.centre,
        "points": [
            {
                "hour": stamps[i],
                "value": drawn.points[i],
                "lcl": drawn.lcl[i],
                "ucl": drawn.ucl[i],
                "checked": checked[i],
            }
            for i in range(len(hours))
        ],
        "violations": [
            {
                "rule": v.rule,
                "code": v.code,
                "name": v.name,
                "message": v.message,
                "hours": [stamps[i] for i in v.points],
                "detected_at": stamps[v.detected_at],
            }
            for v in nelson_violations(drawn)
        ],
    }


__all__ = ["spc_chart"]
