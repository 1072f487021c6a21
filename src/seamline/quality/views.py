"""What the quality page shows, as plain data: DHU and RFT trends, the defect Paretos, a control
chart with its rule violations, and the recent final-inspection lots.

The figures come from the same functions as the HTTP API (:func:`~seamline.production.kpi.quality_totals`
as ``/api/v1/quality/inspections``, :func:`~seamline.production.kpi.defect_pareto` as
``/api/v1/quality/defects``, :func:`~seamline.quality.spc_chart.spc_chart` as
``/api/v1/quality/spc``), so the page and the API never give two numbers for one question. Trends
and the control chart use the end-of-line checks (right first time is judged there); the
Paretos by operation and operator use the inline checks, the only ones that name the operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

from seamline.model.factory import Factory
from seamline.production.hours import HOUR_MS
from seamline.production.kpi import QualityTotals, defect_pareto, quality_totals
from seamline.production.ledger import ProductionLedger
from seamline.production.orders import order_progress
from seamline.production.views import DAY_MS, day_start_ms
from seamline.quality.lots import LotRecord, lot_json
from seamline.quality.spc_chart import spc_chart

Span = Literal["today", "7d", "30d"]
SPANS: Final[dict[str, int]] = {"today": 1, "7d": 7, "30d": 30}  # working days shown
TOP: Final = 12  # bars in a Pareto
RECENT_LOTS: Final = 10
FORM_BUNDLES: Final = 60  # bundles in progress offered per line in the entry form


def span_bounds(factory: Factory, now_ms: int, span: str) -> tuple[int, int, bool]:
    """``(start_ms, end_ms, hourly)`` of a span: today by the hour from the working day's start,
    or the last 7 or 30 working days (today's included) by the day.

    >>> from seamline.model.loader import load_factory
    >>> f = load_factory()  # Asia/Dhaka, first shift 08:00 (02:00 UTC)
    >>> s, e, hourly = span_bounds(f, 1_764_720_000_000, "7d")  # 2025-12-03 06:00 Dhaka
    >>> (s == day_start_ms(f, 1_764_720_000_000) - 6 * DAY_MS, e - s > 6 * DAY_MS, hourly)
    (True, True, False)
    """
    day0 = day_start_ms(factory, now_ms)
    days = SPANS.get(span, 1)
    return day0 - (days - 1) * DAY_MS, now_ms + 1, days == 1


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _totals_json(t: QualityTotals | None) -> dict[str, Any]:
    t = t or QualityTotals(0, 0, 0, 0)
    return {
        "inspections": t.inspections,
        "checked": t.checked,
        "defective": t.defective,
        "defects": t.defects,
        "dhu": _pct(t.dhu),
        "rft_pct": _pct(t.rft_pct),
    }


def trends(
    ledger: ProductionLedger, factory: Factory, start_ms: int, end_ms: int, *, hourly: bool, line: str | None
) -> dict[str, Any]:
    """End-of-line DHU and RFT % per bucket (hour, or working day from ``start_ms``) and line:
    ``buckets`` (their starts, ms) and per line two lists aligned to them (None: nothing checked)."""
    where = {"kind": "end_of_line", **({"line": line} if line else {})}
    sums: dict[tuple[int, str], list[int]] = {}
    for (hour, line_id), t in quality_totals(
        ledger, start_ms, end_ms, by=("hour", "line"), where=where
    ).items():
        # a working day starting on a half hour (UTC+05:30) shares its first UTC hour with the day before
        bucket = int(hour) if hourly else start_ms + max(0, int(hour) - start_ms) // DAY_MS * DAY_MS
        acc = sums.setdefault((bucket, str(line_id)), [0, 0, 0, 0])
        for i, v in enumerate((t.inspections, t.checked, t.defective, t.defects)):
            acc[i] += v
    step = HOUR_MS if hourly else DAY_MS
    buckets = list(range(start_ms - start_ms % HOUR_MS if hourly else start_ms, end_ms, step))
    lines = [ln for ln in factory.lines if line is None or ln.id == line]
    series = []
    for ln in lines:
        totals = [QualityTotals(*sums[(b, ln.id)]) if (b, ln.id) in sums else None for b in buckets]
        series.append(
            {
                "line": ln.id,
                "name": ln.name,
                "dhu": [_pct(t.dhu) if t else None for t in totals],
                "rft": [_pct(t.rft_pct) if t else None for t in totals],
            }
        )
    return {"hourly": hourly, "buckets": buckets, "lines": series}


def paretos(
    ledger: ProductionLedger, factory: Factory, start_ms: int, end_ms: int, line: str | None
) -> dict[str, Any]:
    """Defects by code (all checks, with the cumulative share), and inline defects by operation and
    by operator, most first."""
    where = {"line": line} if line else {}
    by_code: dict[str, dict[str, int]] = {}
    for code, severity, n in defect_pareto(ledger, start_ms, end_ms, where=where):
        by_code.setdefault(code, {})[severity] = n
    ranked = sorted(by_code.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    total = sum(sum(s.values()) for _, s in ranked)
    codes, running = [], 0
    for code, severities in ranked[:TOP]:
        n = sum(severities.values())
        running += n
        codes.append(
            {
                "code": code,
                "defects": n,
                "severities": severities,
                "cumulative_pct": round(100.0 * running / total, 1),
            }
        )
    inline = {"kind": "inline", **where}
    names = {o.id: o.name for o in factory.operators}
    op_names = {op.id: op.name for s in factory.styles.values() for op in s.bulletin.operations}

    def ranked_by(dim: str, label: dict[str, str]) -> list[dict[str, Any]]:
        groups = quality_totals(ledger, start_ms, end_ms, by=(dim,), where=inline)
        rows = sorted(
            ((str(k[0]), t) for k, t in groups.items() if t.defects), key=lambda r: (-r[1].defects, r[0])
        )
        return [
            {"id": k, "name": label.get(k, k), "defects": t.defects, "dhu": _pct(t.dhu)}
            for k, t in rows[:TOP]
        ]

    return {
        "total": total,
        "codes": codes,
        "operations": ranked_by("operation", op_names),
        "operators": ranked_by("operator", names),
    }


def quality_snapshot(
    ledger: ProductionLedger,
    factory: Factory,
    *,
    now_ms: int,
    span: str,
    line: str | None,
    lots: Sequence[LotRecord] = (),
) -> dict[str, Any]:
    """The quality page now for ``line`` (None: every line) over ``span`` (today, 7d, 30d); the
    control chart is the chosen line's, or the first line's. Call it under the engine's read lock."""
    start, end, hourly = span_bounds(factory, now_ms, span)
    where = {"line": line} if line else {}
    kinds = quality_totals(ledger, start, end, by=("kind",), where=where)
    spc_line = line or factory.lines[0].id
    newest = ledger.clock_ms if ledger.clock_ms > 0 else None
    return {
        "now": now_ms,
        "data_ts": newest,
        "line": line,
        "span": span,
        "start": start,
        "summary": {kind: _totals_json(kinds.get((kind,))) for kind in ("end_of_line", "inline")},
        "trends": trends(ledger, factory, start, end, hourly=hourly, line=line),
        "pareto": paretos(ledger, factory, start, end, line),
        "spc": spc_chart(ledger, spc_line, "end_of_line", "p", start, end),
        "lots": [
            lot_json(r) for r in [r for r in reversed(lots) if line is None or r.line == line][:RECENT_LOTS]
        ],
    }


def entry_form(ledger: ProductionLedger, factory: Factory, *, now_ms: int) -> dict[str, Any]:
    """What the entry forms offer: per line its workstations, its style's operations, its operators,
    its orders and its bundles (in progress first, then the next to start); and the defect codes
    the floor has reported lately."""
    lines = []
    for ln in factory.lines:
        style = factory.styles.get(ln.style_id) if ln.style_id else None
        entries = [e for e in ledger.orders.entries.values() if e.order.line_id == ln.id and not e.cancelled]
        started: list[str] = []
        waiting: list[str] = []  # not started yet: the line may be between shifts
        for e in sorted(entries, key=lambda e: e.order.due_date):
            for b in e.bundles:
                status = ledger.bundle_progress(b.id).status
                if status == "in_progress" and len(started) < FORM_BUNDLES:
                    started.append(b.id)
                elif status == "not_started" and len(waiting) < FORM_BUNDLES:
                    waiting.append(b.id)
        bundles = (started + waiting)[:FORM_BUNDLES]
        orders = [
            {"id": e.order.id, "style": e.order.style_id, "pieces": e.order.quantity}
            for e in entries
            if order_progress(e, ledger.bundle_progress)[0].status in ("planned", "in_progress")
        ]
        lines.append(
            {
                "id": ln.id,
                "name": ln.name,
                "style": ln.style_id,
                "workstations": [w.id for w in ln.workstations],
                "operations": [{"id": op.id, "name": op.name} for op in style.bulletin.operations]
                if style
                else [],
                "operators": list(ln.operator_ids),
                "orders": orders,
                "bundles": bundles,
            }
        )
    seen = defect_pareto(ledger, now_ms - 30 * DAY_MS, now_ms + 1)
    return {"lines": lines, "codes": sorted({code for code, _, _ in seen}), "styles": sorted(factory.styles)}


__all__ = ["SPANS", "entry_form", "paretos", "quality_snapshot", "span_bounds", "trends"]
