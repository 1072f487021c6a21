"""The shift report as plain data: the figures the CSV, XLSX and PDF print, for the reports page and
``GET /api/v1/reports/shift``."""

from __future__ import annotations

from typing import Any

from seamline.production.report.build import Figures, ShiftReport
from seamline.timeutil import ms_to_iso


def _r(x: float | None, places: int = 1) -> float | None:
    return None if x is None else round(x, places)


def figures_dict(f: Figures) -> dict[str, Any]:
    """One line's, hour's or operator's figures."""
    return {
        "output": f.output,
        "target": _r(f.target),
        "variance": _r(f.variance),
        "pieces": f.pieces,
        "earned_min": _r(f.earned_min),
        "attended_min": _r(f.attended_min),
        "efficiency_pct": _r(f.efficiency_pct),
        "dhu": _r(f.dhu),
        "rft_pct": _r(f.rft_pct),
        "oee_pct": _r(f.oee_pct),
    }


def report_dict(report: ShiftReport) -> dict[str, Any]:
    """The whole report: the shift, then per line its totals, hours, operators and downtime."""
    return {
        "site": report.site_name,
        "timezone": report.timezone,
        "date": report.date.isoformat(),
        "shift": report.shift,
        "start": ms_to_iso(report.start_ms),
        "end": ms_to_iso(report.end_ms),
        "start_ms": report.start_ms,
        "end_ms": report.end_ms,
        "planned_efficiency": report.planned_efficiency,
        "records": report.records,
        "newest_event_ms": report.newest_event_ms,
        "quality_measured": report.quality_measured,
        "lines": [
            {
                "line": line.line_id,
                "name": line.name,
                "style": line.style_id,
                "garment_sam_min": line.garment_sam_min,
                "shift": figures_dict(line.shift),
                "downtime_min": _r(line.downtime_min),
                "hours": [
                    {
                        "start_ms": h.start_ms,
                        "end_ms": h.end_ms,
                        "style": h.style_id,
                        **figures_dict(h.figures),
                    }
                    for h in line.hours
                ],
                "operators": [
                    {"operator": o.operator_id, "name": o.name, **figures_dict(o.figures)}
                    for o in line.operators
                ],
                "downtime": [
                    {"reason": d.reason, "stops": d.stops, "minutes": _r(d.minutes)} for d in line.downtime
                ],
            }
            for line in report.lines
        ],
    }


__all__ = ["figures_dict", "report_dict"]
