"""What a shift report holds, computed from a production ledger with :func:`kpi.totals` and
:func:`kpi.quality_totals`.

Per line: output (garments off the line), target, pieces, earned and attended minutes,
efficiency, DHU, RFT and OEE for each clock hour of the shift and for the whole shift, and its
downtime by reason; per operator of the line: pieces, earned and attended minutes and efficiency
over the shift. Definitions are those of :mod:`seamline.production.kpi` and the KPI API: DHU and
RFT from end-of-line inspections, OEE = efficiency x end-of-line RFT / 100 (ISO 22400-2's
A x E x QR, with A x E = earned / attended minutes); the hourly targets are
:func:`kpi.line_hours`'s, as the API gives them.

Hours are the ledger's hour buckets (hours of UTC, the factory's clock hours wherever its offset
is a whole number of hours, as in Asia/Dhaka). A shift that starts or ends inside such an hour
gets that hour's whole pieces in its first or last row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from seamline.model.factory import Factory, Line
from seamline.production.downtime import reason_pareto
from seamline.production.hours import HOUR_MS
from seamline.production.kpi import QualityTotals, Totals, line_hours, main_style, quality_totals, totals
from seamline.production.ledger import ProductionLedger
from seamline.production.shifts import factory_zone, shift_window


@dataclass(frozen=True, slots=True)
class Figures:
    """Production of one line, or one operator, over one span."""

    output: int  # garments: pieces of the style's last operation
    target: float | None  # garments the plan asks for; None: no style, or an operator
    pieces: int  # pieces of every operation done
    earned_min: float
    attended_min: float
    dhu: float | None = None  # end-of-line defects per hundred units checked; None: none checked
    rft_pct: float | None = None  # end-of-line right first time, %; None: none checked

    @property
    def efficiency_pct(self) -> float | None:
        """Earned / attended minutes x 100; None without attendance."""
        return 100.0 * self.earned_min / self.attended_min if self.attended_min else None

    @property
    def oee_pct(self) -> float | None:
        """Efficiency x RFT / 100, as the KPI API gives it; None without either."""
        eff = self.efficiency_pct
        return None if eff is None or self.rft_pct is None else eff * self.rft_pct / 100.0

    @property
    def variance(self) -> float | None:
        """Output minus target (negative: behind)."""
        return None if self.target is None else self.output - self.target


@dataclass(frozen=True, slots=True)
class HourRow:
    start_ms: int  # clipped to the shift
    end_ms: int
    style_id: str | None
    garment_sam_min: float | None  # of that style's current bulletin
    figures: Figures


@dataclass(frozen=True, slots=True)
class OperatorRow:
    operator_id: str
    name: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class DowntimeRow:
    """One reason's downtime on a line within the shift (stops overlapping it)."""

    reason: str
    stops: int
    minutes: float


@dataclass(frozen=True, slots=True)
class LineReport:
    line_id: str
    name: str
    style_id: str | None  # the shift's main style (most earned minutes), else the line's loaded style
    garment_sam_min: float | None
    hours: tuple[HourRow, ...]
    shift: Figures
    operators: tuple[OperatorRow, ...]
    downtime: tuple[DowntimeRow, ...]  # by reason, longest first

    @property
    def downtime_min(self) -> float:
        return sum(d.minutes for d in self.downtime)


@dataclass(frozen=True, slots=True)
class ShiftReport:
    """One shift of one factory (all its lines, or one)."""

    site_name: str
    timezone: str
    date: dt.date
    shift: int
    start_ms: int
    end_ms: int
    planned_efficiency: float
    lines: tuple[LineReport, ...]
    records: int  # production records in the shift, on the reported lines
    newest_event_ms: int | None  # the ledger's newest production event: how fresh the data is
    quality_measured: bool  # end-of-line inspections in the shift: DHU, RFT and OEE are filled in

    def local(self, ts_ms: int) -> dt.datetime:
        """``ts_ms`` on the factory's wall clock."""
        return dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC).astimezone(ZoneInfo(self.timezone))

    def clock(self, ts_ms: int) -> str:
        """``ts_ms`` as the factory's wall clock shows it, ``HH:MM``."""
        return f"{self.local(ts_ms):%H:%M}"


def build_shift_report(
    ledger: ProductionLedger,
    date: dt.date,
    shift: int,
    *,
    lines: tuple[Line, ...] | None = None,
    planned_efficiency: float,
) -> ShiftReport:
    """The report of shift ``shift`` of the local date ``date``, for ``lines`` (default: every line
    of the ledger's factory); ``planned_efficiency`` is a fraction (0.70), the setting
    ``SEAMLINE_PLANNED_EFFICIENCY``."""
    factory = ledger.factory
    factory_zone(factory)  # an unknown zone fails here, before any figure
    start_ms, end_ms = shift_window(factory, date, shift)
    chosen = lines if lines is not None else factory.lines
    ids = {line.id for line in chosen}
    hours = [
        (max(h, start_ms), min(h + HOUR_MS, end_ms))
        for h in range(start_ms - start_ms % HOUR_MS, end_ms, HOUR_MS)
    ]
    operators = totals(ledger, start_ms, end_ms, by=("line", "operator"))
    quality = [_quality(ledger, a, b) for a, b in hours]
    shift_quality = _quality(ledger, start_ms, end_ms)
    reports = []
    for line in chosen:
        main = main_style(ledger, line.id, start_ms, end_ms)
        rows = [
            HourRow(
                h.start_ms,
                h.end_ms,
                h.style_id,
                h.garment_sam_min,
                _figures(h.totals, h.target, q.get(line.id)),
            )
            for h, q in zip(
                line_hours(ledger, line.id, start_ms, end_ms, planned_efficiency), quality, strict=True
            )
        ]
        shift_q = shift_quality.get(line.id)
        reports.append(
            LineReport(
                line_id=line.id,
                name=line.name,
                style_id=main,
                garment_sam_min=_garment_sam(factory, main),
                hours=tuple(rows),
                shift=_sum(rows, shift_q),
                operators=tuple(
                    OperatorRow(
                        op_id,
                        _operator_name(factory, op_id),
                        _figures(t, None, None),
                    )
                    for (line_id, op_id), t in sorted(operators.items(), key=lambda kv: str(kv[0][1]))
                    if line_id == line.id and isinstance(op_id, str) and (t.pieces or t.attended_min)
                ),
                downtime=tuple(
                    DowntimeRow(reason, stops, minutes)
                    for reason, stops, minutes in reason_pareto(
                        ledger.machines, start_ms, end_ms, line_id=line.id
                    )
                ),
            )
        )
    records = sum(1 for r in ledger.records if start_ms <= r.ts_ms < end_ms and r.line_id in ids)
    return ShiftReport(
        site_name=factory.site_name,
        timezone=factory.timezone,
        date=date,
        shift=shift,
        start_ms=start_ms,
        end_ms=end_ms,
        planned_efficiency=planned_efficiency,
        lines=tuple(reports),
        records=records,
        newest_event_ms=_newest_event(ledger),
        quality_measured=any(shift_quality.get(i) for i in ids),
    )


def _figures(t: Totals | None, target: float | None, quality: QualityTotals | None) -> Figures:
    return Figures(
        output=t.output if t else 0,
        target=target,
        pieces=t.pieces if t else 0,
        earned_min=t.earned_min if t else 0.0,
        attended_min=(t.attended_min or 0.0) if t else 0.0,
        dhu=quality.dhu if quality else None,
        rft_pct=quality.rft_pct if quality else None,
    )


def _sum(rows: list[HourRow], quality: QualityTotals | None) -> Figures:
    targets = [r.figures.target for r in rows if r.figures.target is not None]
    return Figures(
        output=sum(r.figures.output for r in rows),
        target=sum(targets) if targets else None,
        pieces=sum(r.figures.pieces for r in rows),
        earned_min=sum(r.figures.earned_min for r in rows),
        attended_min=sum(r.figures.attended_min for r in rows),
        dhu=quality.dhu if quality else None,
        rft_pct=quality.rft_pct if quality else None,
    )


def _garment_sam(factory: Factory, style_id: str | None) -> float | None:
    style = factory.styles.get(style_id) if style_id else None
    return style.bulletin.garment_sam_min if style else None


def _operator_name(factory: Factory, operator_id: str) -> str:
    op = factory.operators_by_id.get(operator_id)
    return op.name if op else ""


def _newest_event(ledger: ProductionLedger) -> int | None:
    """The newest scan, badge, state or downtime event (None: nothing yet)."""
    return max(ledger.clock_ms, ledger.machines.newest_ms) or None


def _quality(ledger: ProductionLedger, start_ms: int, end_ms: int) -> dict[str, QualityTotals]:
    """End-of-line inspection totals per line (the lines with pieces checked)."""
    got = quality_totals(ledger, start_ms, end_ms, by=("line",), where={"kind": "end_of_line"})
    return {str(k[0]): q for k, q in got.items() if q.checked}


__all__ = [
    "DowntimeRow",
    "Figures",
    "HourRow",
    "LineReport",
    "OperatorRow",
    "ShiftReport",
    "build_shift_report",
]
