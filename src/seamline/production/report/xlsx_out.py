"""The shift report as an Excel workbook (XlsxWriter).

Sheets: ``Summary`` (the shift and each line's totals), one sheet per line (its hourly table, a
native Excel chart of output, as columns, against target, as a line, and its downtime by
reason), and ``Operators`` (every operator of every line over the shift). Figures are numbers with
number formats, not text, so that a reader can sum and chart them further.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import xlsxwriter

from seamline.production.report.build import Figures, LineReport, ShiftReport
from seamline.production.report.text import reason_label, text

_HOUR_COLUMNS = ("hour", "style", "output", "target", "variance", "pieces", "earned_min", "attended_min",
                 "efficiency", "dhu", "rft", "oee")  # fmt: skip
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def write_xlsx(report: ShiftReport, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    try:
        fmt = _Formats(wb)
        _summary(wb, fmt, report)
        names = {"summary", "operators"}
        for line in report.lines:
            _line_sheet(wb, fmt, report, line, _sheet_name(line, names))
        _operators(wb, fmt, report)
    finally:
        wb.close()


def sheet_names(report: ShiftReport) -> list[str]:
    """The workbook's sheet names, in order."""
    names = {"summary", "operators"}
    return [text("summary"), *(_sheet_name(line, names) for line in report.lines), text("operators")]


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 16})
        self.subtitle = wb.add_format({"font_size": 11, "font_color": "#444444"})
        self.head = wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True})
        self.text = wb.add_format({"border": 1})
        self.int = wb.add_format({"border": 1, "num_format": "#,##0"})
        self.dec1 = wb.add_format({"border": 1, "num_format": "#,##0.0"})
        self.sam = wb.add_format({"border": 1, "num_format": "0.000"})
        self.pct = wb.add_format({"border": 1, "num_format": "0%"})
        self.total_text = wb.add_format({"border": 1, "bold": True, "top": 2})
        self.total_int = wb.add_format({"border": 1, "bold": True, "top": 2, "num_format": "#,##0"})
        self.total_dec1 = wb.add_format({"border": 1, "bold": True, "top": 2, "num_format": "#,##0.0"})
        self.note = wb.add_format({"italic": True, "font_color": "#555555"})


def _header(report: ShiftReport) -> tuple[str, str]:
    return text("title_line", site=report.site_name), text(
        "subtitle",
        date=report.date.isoformat(),
        shift=report.shift,
        start=report.clock(report.start_ms),
        end=report.clock(report.end_ms),
        timezone=report.timezone,
    )


def _put(ws: Any, row: int, col: int, value: float | str | None, fmt: Any) -> None:
    if value is None:
        ws.write_string(row, col, text("none"), fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    else:
        ws.write_number(row, col, value, fmt)


def _figure_cells(f: Figures) -> list[float | None]:
    """Full precision: the number formats round what is shown, sums stay exact."""
    return [f.output, f.target, f.variance, f.pieces, f.earned_min, f.attended_min, f.efficiency_pct, f.dhu,
            f.rft_pct, f.oee_pct]  # fmt: skip


def _summary(wb: xlsxwriter.Workbook, fmt: _Formats, report: ShiftReport) -> None:
    ws = wb.add_worksheet(text("summary"))
    title, subtitle = _header(report)
    ws.write_string(0, 0, title, fmt.title)
    ws.write_string(1, 0, subtitle, fmt.subtitle)
    ws.write_string(2, 0, text("planned", pct=f"{report.planned_efficiency:.0%}"), fmt.note)
    heads = ["line", "line_name", "style", "garment_sam", "output", "target", "variance", "pieces",
             "earned_min", "attended_min", "efficiency", "dhu", "rft", "oee", "downtime_min"]  # fmt: skip
    for c, key in enumerate(heads):
        ws.write_string(4, c, text(key), fmt.head)
    for r, line in enumerate(report.lines, start=5):
        ws.write_string(r, 0, line.line_id, fmt.text)
        ws.write_string(r, 1, line.name, fmt.text)
        _put(ws, r, 2, line.style_id, fmt.text)
        _put(ws, r, 3, line.garment_sam_min, fmt.sam)
        for c, v in enumerate(_figure_cells(line.shift), start=4):
            _put(ws, r, c, v, fmt.int if c in (4, 7) else fmt.dec1)
        ws.write_number(r, len(heads) - 1, line.downtime_min, fmt.dec1)
    r = 6 + len(report.lines)
    ws.write_string(r, 0, text("quality_note" if report.quality_measured else "no_quality"), fmt.note)
    if not report.records:
        ws.write_string(r + 1, 0, text("no_records"), fmt.note)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 18)
    ws.set_column(2, len(heads) - 1, 11)


def _line_sheet(
    wb: xlsxwriter.Workbook, fmt: _Formats, report: ShiftReport, line: LineReport, name: str
) -> None:
    ws = wb.add_worksheet(name)
    title, subtitle = _header(report)
    ws.write_string(0, 0, f"{title}: {text('line_heading', name=line.name, line=line.line_id)}", fmt.title)
    ws.write_string(1, 0, subtitle, fmt.subtitle)
    head_row = 3
    for c, key in enumerate(_HOUR_COLUMNS):
        ws.write_string(head_row, c, text(key), fmt.head)
    for r, h in enumerate(line.hours, start=head_row + 1):
        span = text(
            "hour_span", start=f"{report.local(h.start_ms):%H:%M}", end=f"{report.local(h.end_ms):%H:%M}"
        )
        ws.write_string(r, 0, span, fmt.text)
        _put(ws, r, 1, h.style_id, fmt.text)
        for c, v in enumerate(_figure_cells(h.figures), start=2):
            _put(ws, r, c, v, fmt.int if c in (2, 5) else fmt.dec1)
    total = head_row + 1 + len(line.hours)
    ws.write_string(total, 0, text("shift_total"), fmt.total_text)
    _put(ws, total, 1, line.style_id, fmt.total_text)
    for c, v in enumerate(_figure_cells(line.shift), start=2):
        _put(ws, total, c, v, fmt.total_int if c in (2, 5) else fmt.total_dec1)
    ws.set_column(0, 0, 13)
    ws.set_column(1, len(_HOUR_COLUMNS) - 1, 11)
    if not line.hours:
        return
    first, last = head_row + 1, head_row + len(line.hours)
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": [name, head_row, 2],
            "categories": [name, first, 0, last, 0],
            "values": [name, first, 2, last, 2],
            "fill": {"color": "#2F6DB5"},
            "gap": 60,
        }
    )
    target = wb.add_chart({"type": "line"})
    target.add_series(
        {
            "name": [name, head_row, 3],
            "categories": [name, first, 0, last, 0],
            "values": [name, first, 3, last, 3],
            "line": {"color": "#D9822B", "width": 2.25},
            "marker": {"type": "diamond", "size": 6, "fill": {"color": "#D9822B"}},
        }
    )
    chart.combine(target)
    chart.set_title({"name": text("chart_output_vs_target")})
    chart.set_y_axis({"name": text("output"), "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 300})
    ws.insert_chart(total + 2, 0, chart)
    _downtime(ws, fmt, line, total + 18)


def _downtime(ws: Any, fmt: _Formats, line: LineReport, row: int) -> None:
    """The line's downtime by reason, longest first (a Pareto table)."""
    ws.write_string(row, 0, text("downtime"), fmt.subtitle)
    if not line.downtime:
        ws.write_string(row + 1, 0, text("no_downtime"), fmt.note)
        return
    for c, key in enumerate(("reason", "stops", "minutes", "share")):
        ws.write_string(row + 1, c, text(key), fmt.head)
    total = line.downtime_min
    for r, d in enumerate(line.downtime, start=row + 2):
        ws.write_string(r, 0, reason_label(d.reason), fmt.text)
        ws.write_number(r, 1, d.stops, fmt.int)
        ws.write_number(r, 2, d.minutes, fmt.dec1)
        _put(ws, r, 3, d.minutes / total if total else None, fmt.pct)


def _operators(wb: xlsxwriter.Workbook, fmt: _Formats, report: ShiftReport) -> None:
    ws = wb.add_worksheet(text("operators"))
    heads = ["line", "operator", "operator_name", "pieces", "earned_min", "attended_min", "efficiency"]
    for c, key in enumerate(heads):
        ws.write_string(0, c, text(key), fmt.head)
    r = 1
    for line in report.lines:
        for op in line.operators:
            f = op.figures
            ws.write_string(r, 0, line.line_id, fmt.text)
            ws.write_string(r, 1, op.operator_id, fmt.text)
            ws.write_string(r, 2, op.name, fmt.text)
            ws.write_number(r, 3, f.pieces, fmt.int)
            ws.write_number(r, 4, f.earned_min, fmt.dec1)
            ws.write_number(r, 5, f.attended_min, fmt.dec1)
            _put(ws, r, 6, f.efficiency_pct, fmt.dec1)
            r += 1
    ws.autofilter(0, 0, max(r - 1, 0), len(heads) - 1)
    ws.freeze_panes(1, 0)
    ws.set_column(0, 1, 12)
    ws.set_column(2, 2, 22)
    ws.set_column(3, len(heads) - 1, 12)


def _sheet_name(line: LineReport, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique without regard to case."""
    base = _SHEET_FORBIDDEN.sub(
        "-", f"{line.line_id} {line.name}" if line.name != line.line_id else line.name
    )
    name = base[:31].strip()
    n = 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)].strip() + suffix
        n += 1
    taken.add(name.lower())
    return name


__all__ = ["sheet_names", "write_xlsx"]
