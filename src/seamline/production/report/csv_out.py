"""The shift report as one tidy CSV table (RFC 4180, UTF-8, a header row).

One row per observation, told apart by ``level``:

- ``hour``: one line in one clock hour of the shift;
- ``shift``: one line over the whole shift;
- ``operator``: one operator of one line over the whole shift;
- ``downtime``: one downtime reason on one line over the shift.

Columns (empty where a figure does not apply or is not measured):

==================  =====================================================================
``date``            the shift's local date (ISO 8601)
``shift``           the shift's number that day, from 1
``level``           ``hour``, ``shift`` or ``operator``
``line``            line id
``line_name``       line name
``start``           start of the row's span, factory local time with offset (ISO 8601)
``end``             end of the row's span (exclusive)
``operator``        operator id (``operator`` rows)
``operator_name``   operator name (``operator`` rows)
``style``           style worked on (``hour`` rows: that hour's; ``shift`` rows: the main one)
``garment_sam_min`` that style's garment SAM, minutes
``output``          garments off the line (pieces of the style's last operation)
``target``          garments planned: attended minutes x planned efficiency / garment SAM
``pieces``          pieces of all operations done
``earned_min``      standard minutes earned: pieces x SAM
``attended_min``    minutes operators were logged in
``efficiency_pct``  earned / attended minutes x 100
``dhu``             end-of-line defects per hundred units checked (empty: none checked)
``rft_pct``         end-of-line right first time, % (empty: none checked)
``oee_pct``         efficiency x RFT / 100 (ISO 22400-2 A x E x QR; empty without either)
``reason``          downtime reason id (``downtime`` rows; docs/telemetry.md)
``stops``           stops for that reason overlapping the shift (``downtime`` rows)
``downtime_min``    their minutes within the shift (``downtime`` rows; ``shift`` rows: all reasons)
==================  =====================================================================

Numbers use a decimal point and no thousands separator; minutes and percentages carry three
decimals, targets two.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

from seamline.production.report.build import Figures, ShiftReport

COLUMNS: Final = (
    "date",
    "shift",
    "level",
    "line",
    "line_name",
    "start",
    "end",
    "operator",
    "operator_name",
    "style",
    "garment_sam_min",
    "output",
    "target",
    "pieces",
    "earned_min",
    "attended_min",
    "efficiency_pct",
    "dhu",
    "rft_pct",
    "oee_pct",
    "reason",
    "stops",
    "downtime_min",
)


def rows(report: ShiftReport) -> list[dict[str, str]]:
    """The table's rows, as the CSV holds them (strings)."""
    out: list[dict[str, str]] = []

    def add(
        level: str, line_id: str, line_name: str, start_ms: int, end_ms: int, f: Figures, **extra: str
    ) -> None:
        out.append(
            {
                "date": report.date.isoformat(),
                "shift": str(report.shift),
                "level": level,
                "line": line_id,
                "line_name": line_name,
                "start": report.local(start_ms).isoformat(),
                "end": report.local(end_ms).isoformat(),
                "operator": extra.get("operator", ""),
                "operator_name": extra.get("operator_name", ""),
                "style": extra.get("style", ""),
                "garment_sam_min": extra.get("garment_sam_min", ""),
                "output": "" if level == "operator" else str(f.output),
                "target": _num(f.target, 2),
                "pieces": str(f.pieces),
                "earned_min": _num(f.earned_min, 3),
                "attended_min": _num(f.attended_min, 3),
                "efficiency_pct": _num(f.efficiency_pct, 3),
                "dhu": _num(f.dhu, 3),
                "rft_pct": _num(f.rft_pct, 3),
                "oee_pct": _num(f.oee_pct, 3),
                "reason": extra.get("reason", ""),
                "stops": extra.get("stops", ""),
                "downtime_min": extra.get("downtime_min", ""),
            }
        )

    for line in report.lines:
        for h in line.hours:
            add("hour", line.line_id, line.name, h.start_ms, h.end_ms, h.figures,
                style=h.style_id or "", garment_sam_min=_num(h.garment_sam_min, 4))  # fmt: skip
        add("shift", line.line_id, line.name, report.start_ms, report.end_ms, line.shift,
            style=line.style_id or "", garment_sam_min=_num(line.garment_sam_min, 4),
            downtime_min=_num(line.downtime_min, 3))  # fmt: skip
        for op in line.operators:
            add("operator", line.line_id, line.name, report.start_ms, report.end_ms, op.figures,
                operator=op.operator_id, operator_name=op.name)  # fmt: skip
        for d in line.downtime:
            out.append(
                {
                    **dict.fromkeys(COLUMNS, ""),
                    "date": report.date.isoformat(),
                    "shift": str(report.shift),
                    "level": "downtime",
                    "line": line.line_id,
                    "line_name": line.name,
                    "start": report.local(report.start_ms).isoformat(),
                    "end": report.local(report.end_ms).isoformat(),
                    "reason": d.reason,
                    "stops": str(d.stops),
                    "downtime_min": _num(d.minutes, 3),
                }
            )
    return out


def write_csv(report: ShiftReport, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(report))


def _num(value: float | None, places: int) -> str:
    if value is None:
        return ""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


__all__ = ["COLUMNS", "rows", "write_csv"]
