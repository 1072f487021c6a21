"""The shift report as a PDF for print and e-mail (ReportLab, A4 landscape).

Page 1: the factory, date, shift and its local times; every line's shift totals. Then one section
per line: its hourly table, a bar chart of output against target and a line chart of efficiency
against the plan for each hour (drawn by ReportLab's own charts, as vectors), its downtime by
reason and its operators. Every page carries the report's name and "Page n of N".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from seamline.production.report.build import Figures, LineReport, ShiftReport
from seamline.production.report.text import reason_label, text

PAGE: Final = landscape(A4)
_HEAD_LEFT: Final = ParagraphStyle("head", fontName="Helvetica-Bold", fontSize=8.5, leading=10)
_HEAD_RIGHT: Final = ParagraphStyle("head_right", parent=_HEAD_LEFT, alignment=TA_RIGHT)
_BODY: Final = ParagraphStyle("cell", fontName="Helvetica", fontSize=8.5, leading=10)
MARGIN: Final = 1.3 * cm
OUTPUT_COLOUR: Final = colors.HexColor("#2F6DB5")
TARGET_COLOUR: Final = colors.HexColor("#D9822B")
HEAD_COLOUR: Final = colors.HexColor("#DDE4EE")
GRID_COLOUR: Final = colors.HexColor("#9AA5B1")


def write_pdf(report: ShiftReport, path: Path) -> None:
    styles = _styles()
    doc = SimpleDocTemplate(
        str(path),
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 0.4 * cm,
        title=f"{text('title_line', site=report.site_name)}, {report.date.isoformat()}, {report.shift}",
        author="Seamline",
    )
    story: list[Any] = [*_first_page(report, styles)]
    for line in report.lines:
        story += [PageBreak(), *_line_section(report, line, styles)]
    footer = text("footer", site=report.site_name, date=report.date.isoformat(), shift=report.shift)
    doc.build(story, canvasmaker=_numbered_canvas(footer))


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], alignment=TA_LEFT, fontSize=20, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base["Normal"], fontSize=12, leading=16, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], spaceBefore=0, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], spaceBefore=8, spaceAfter=4),
        "body": ParagraphStyle("body", parent=base["Normal"], fontSize=9.5, leading=13),
        "note": ParagraphStyle(
            "note", parent=base["Normal"], fontSize=9, leading=12, textColor=colors.HexColor("#444444")
        ),
    }


def _title(report: ShiftReport, styles: dict[str, ParagraphStyle]) -> list[Any]:
    return [
        Paragraph(_esc(text("title_line", site=report.site_name)), styles["title"]),
        Paragraph(
            _esc(
                text(
                    "subtitle",
                    date=report.date.isoformat(),
                    shift=report.shift,
                    start=report.clock(report.start_ms),
                    end=report.clock(report.end_ms),
                    timezone=report.timezone,
                )
            ),
            styles["subtitle"],
        ),
    ]


def _first_page(report: ShiftReport, styles: dict[str, ParagraphStyle]) -> list[Any]:
    notes = [text("planned", pct=f"{report.planned_efficiency:.0%}")]
    if report.newest_event_ms is not None:
        notes.append(text("data_until", when=f"{report.local(report.newest_event_ms):%Y-%m-%d %H:%M}"))
    notes.append(text("quality_note" if report.quality_measured else "no_quality"))
    if not report.records:
        notes.append(text("no_records"))
    heads = ["line", "line_name", "style", "garment_sam", "output", "target", "variance", "output_vs_target",
             "pieces", "earned_min", "attended_min", "efficiency", "dhu", "rft", "oee",
             "downtime_min"]  # fmt: skip
    rows: list[list[str]] = [[text(h) for h in heads]]
    for line in report.lines:
        f = line.shift
        rows.append(
            [
                line.line_id,
                line.name,
                line.style_id or text("none"),
                _fmt(line.garment_sam_min, 3),
                *_figure_texts(f)[:3],
                _pct(f.output, f.target),
                *_figure_texts(f)[3:],
                _fmt(line.downtime_min, 1),
            ]
        )
    story: list[Any] = [*_title(report, styles)]
    story += [Paragraph(_esc(n), styles["note"]) for n in notes]
    story += [Spacer(1, 10), _table(rows, numeric_from=3, widths=_widths(heads))]
    return story


def _line_section(report: ShiftReport, line: LineReport, styles: dict[str, ParagraphStyle]) -> list[Any]:
    f = line.shift
    summary = text(
        "line_figures",
        style=line.style_id or text("none"),
        sam=_fmt(line.garment_sam_min, 3),
        output=f"{f.output:,}",
        target=_fmt(f.target, 0),
        vs=_pct(f.output, f.target),
        eff=_fmt(f.efficiency_pct, 1, "%"),
        dhu=_fmt(f.dhu, 2),
        rft=_fmt(f.rft_pct, 1, "%"),
        oee=_fmt(f.oee_pct, 1, "%"),
        downtime=_fmt(line.downtime_min, 0),
    )
    heads = ["hour", "style", "output", "target", "variance", "pieces", "earned_min", "attended_min",
             "efficiency", "dhu", "rft", "oee"]  # fmt: skip
    rows: list[list[str]] = [[text(h) for h in heads]]
    for h in line.hours:
        span = text(
            "hour_span", start=f"{report.local(h.start_ms):%H:%M}", end=f"{report.local(h.end_ms):%H:%M}"
        )
        rows.append([span, h.style_id or text("none"), *_figure_texts(h.figures)])
    rows.append([text("shift_total"), line.style_id or text("none"), *_figure_texts(f)])
    hours = [f"{report.local(h.start_ms):%H:%M}" for h in line.hours]
    charts = Table(
        [
            [
                _output_chart(hours, [h.figures for h in line.hours]),
                _efficiency_chart(hours, [h.figures for h in line.hours], report.planned_efficiency),
            ]
        ],
        colWidths=[(PAGE[0] - 2 * MARGIN) / 2] * 2,
    )
    story: list[Any] = [
        Paragraph(_esc(text("line_heading", name=line.name, line=line.line_id)), styles["h2"]),
        Paragraph(_esc(summary), styles["body"]),
        Spacer(1, 6),
        _table(rows, numeric_from=2, widths=_widths(heads), total_row=True),
        Spacer(1, 8),
        charts,
        *_downtime(line, styles),
    ]
    if line.operators:
        op_heads = ["operator", "operator_name", "pieces", "earned_min", "attended_min", "efficiency"]
        op_rows = [[text(h) for h in op_heads]]
        for op in line.operators:
            o = op.figures
            op_rows.append(
                [
                    op.operator_id,
                    op.name,
                    f"{o.pieces:,}",
                    _fmt(o.earned_min, 1),
                    _fmt(o.attended_min, 1),
                    _fmt(o.efficiency_pct, 1),
                ]
            )
        block = [Paragraph(_esc(text("operators")), styles["h3"]), _table(op_rows, 2, _widths(op_heads))]
        # a list that fits a page moves to the next one whole rather than split in two
        story += [KeepTogether(block)] if len(op_rows) <= 28 else block
    return story


def _downtime(line: LineReport, styles: dict[str, ParagraphStyle]) -> list[Any]:
    heading = Paragraph(_esc(text("downtime")), styles["h3"])
    if not line.downtime:
        return [heading, Paragraph(_esc(text("no_downtime")), styles["note"])]
    total = line.downtime_min
    rows = [[text("reason"), text("stops"), text("minutes"), text("share")]]
    rows += [
        [reason_label(d.reason), f"{d.stops:,}", _fmt(d.minutes, 1), _pct(d.minutes, total)]
        for d in line.downtime
    ]
    return [KeepTogether([heading, _table(rows, 1, [5 * cm, 2 * cm, 2.2 * cm, 2 * cm])])]


def _figure_texts(f: Figures) -> list[str]:
    return [
        f"{f.output:,}",
        _fmt(f.target, 0),
        _fmt(f.variance, 0, signed=True),
        f"{f.pieces:,}",
        _fmt(f.earned_min, 1),
        _fmt(f.attended_min, 1),
        _fmt(f.efficiency_pct, 1),
        _fmt(f.dhu, 2),
        _fmt(f.rft_pct, 1),
        _fmt(f.oee_pct, 1),
    ]


_WIDTH_CM: Final = {
    "line": 1.6, "line_name": 2.8, "style": 2.0, "garment_sam": 2.0, "hour": 2.4, "output": 1.7,
    "target": 1.7, "variance": 1.8, "output_vs_target": 2.0, "pieces": 2.1, "earned_min": 2.0,
    "attended_min": 2.2, "efficiency": 2.1, "dhu": 1.5, "rft": 1.5, "oee": 1.5, "downtime_min": 2.1,
    "operator": 2.6, "operator_name": 5.0,
}  # fmt: skip


def _widths(heads: Sequence[str]) -> list[float]:
    """Column widths, narrowed in proportion where they would not fit between the margins."""
    widths = [_WIDTH_CM[h] * cm for h in heads]
    room = PAGE[0] - 2 * MARGIN
    scale = min(1.0, room / sum(widths))
    return [w * scale for w in widths]


def _table(
    rows: list[list[str]],
    numeric_from: int,
    widths: list[float],
    *,
    header: bool = True,
    total_row: bool = False,
) -> Table:
    cells: list[list[Any]] = [list(r) for r in rows]
    for r, row in enumerate(cells[1 if header else 0 :], start=1 if header else 0):
        for i in range(min(numeric_from, len(row))):  # a long name wraps in its column
            if stringWidth(str(row[i]), "Helvetica", 8.5) > widths[i] - 6:
                cells[r][i] = Paragraph(_esc(str(row[i])), _BODY)
    if header:  # header labels wrap inside their column rather than run into the next
        cells[0] = [
            Paragraph(_esc(head), _HEAD_RIGHT if i >= numeric_from else _HEAD_LEFT)
            for i, head in enumerate(rows[0])
        ]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID_COLOUR),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_COLOUR),
        ]
    else:
        style += [
            ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 8.5),
            ("BACKGROUND", (0, 0), (0, -1), HEAD_COLOUR),
        ]
    if total_row:
        style += [
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
            ("LINEABOVE", (0, -1), (-1, -1), 1.2, colors.black),
        ]
    for r in range(1 if header else 0, len(rows)):
        if r % 2 == 0:
            style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#F4F6F9")))
    table.setStyle(TableStyle(style))
    return table


def _output_chart(hours: list[str], figures: list[Figures]) -> Drawing:
    d = Drawing(360, 175)
    d.add(String(0, 163, text("chart_output_vs_target"), fontName="Helvetica-Bold", fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 36, 42, 310, 110
    chart.data = [[f.output for f in figures], [f.target or 0.0 for f in figures]]
    chart.categoryAxis.categoryNames = hours
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#E3E7EC")
    chart.bars[0].fillColor = OUTPUT_COLOUR
    chart.bars[1].fillColor = TARGET_COLOUR
    chart.bars.strokeWidth = 0
    chart.barSpacing = 1
    chart.groupSpacing = 6
    d.add(chart)
    d.add(_legend([(OUTPUT_COLOUR, text("output")), (TARGET_COLOUR, text("target"))], 36, 2))
    return d


def _efficiency_chart(hours: list[str], figures: list[Figures], planned: float) -> Drawing:
    d = Drawing(360, 175)
    d.add(String(0, 163, text("chart_efficiency"), fontName="Helvetica-Bold", fontSize=10))
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 36, 42, 310, 110
    effs = [f.efficiency_pct for f in figures]
    chart.data = [effs, [100 * planned] * len(figures)]  # None: nobody attended, no point drawn
    chart.categoryAxis.categoryNames = hours
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(100.0, *(e or 0.0 for e in effs)) * 1.1
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#E3E7EC")
    chart.lines[0].strokeColor = OUTPUT_COLOUR
    chart.lines[0].strokeWidth = 2
    marker = makeMarker("FilledCircle", size=4, fillColor=OUTPUT_COLOUR)  # type: ignore[no-untyped-call]  # stubs lack it
    chart.lines[0].symbol = marker
    chart.lines[1].strokeColor = TARGET_COLOUR
    chart.lines[1].strokeDashArray = (4, 3)
    chart.lines[1].strokeWidth = 1.2
    d.add(chart)
    d.add(_legend([(OUTPUT_COLOUR, text("efficiency")), (TARGET_COLOUR, text("chart_planned"))], 36, 2))
    return d


def _legend(items: list[tuple[Any, str]], x: int, y: int) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontSize = 8
    legend.boxAnchor = "sw"
    legend.dx = legend.dy = 8
    legend.deltax = 90
    legend.colorNamePairs = items
    return legend


def _numbered_canvas(footer: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Holds every page back until the end, so each can say how many pages there are."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  # ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # ReportLab's own page reset; not in its stubs

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont("Helvetica", 8)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(MARGIN, MARGIN * 0.6, footer)
                self.drawRightString(PAGE[0] - MARGIN, MARGIN * 0.6, text("page", page=number, pages=total))
                super().showPage()
            super().save()

    return NumberedCanvas


def _fmt(value: float | None, places: int, suffix: str = "", *, signed: bool = False) -> str:
    if value is None:
        return text("none")
    sign = "+" if signed and round(value, places) > 0 else ""
    return f"{sign}{value:,.{places}f}{suffix}"


def _pct(part: float, whole: float | None) -> str:
    return _fmt(100.0 * part / whole, 0, "%") if whole else text("none")


def _esc(value: str) -> str:
    """Paragraph text is mini-HTML: a name holding & or < must not break it."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["write_pdf"]
