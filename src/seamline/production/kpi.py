"""Production KPIs from the ledger's hourly facts and badge sessions (formula version 1).

Definitions (apparel-domain.md 2.2; ISO 22400-2 for the OEE family, which arrives with downtime):

- **pieces**: pieces of operations done (one bundle-operation scan of 20 pieces is 20).
- **output**: garments leaving the line, the pieces of the style's last bulletin operation.
- **earned minutes**: sum of pieces x the operation's SAM as stamped on each record.
- **attended minutes**: minutes operators were logged in at a workstation (badge sessions).
- **efficiency %**: earned minutes / attended minutes x 100, at every level, so that an operator's,
  a line's and the factory's figures add up: a line's earned and attended minutes are the sums
  of its operators'.
- **pieces per hour (PPH)**: output per hour of the span (pieces per hour for an operator).
- **DHU**: defects x 100 / pieces checked; **% defective**: defective pieces x 100 / pieces
  checked; **RFT %**: 100 - % defective (pieces that passed their check first time), per kind of
  inspection (inline, end of line) (apparel-domain.md 2.4).
- **needle time**, **needle utilisation %** (needle time / attended minutes at the machine's
  workstation x 100) and **machine OEE** (A x E x QR, ISO 22400-2): per machine, from its
  controller counters, in :mod:`seamline.production.machine_kpi`.

Every figure sums hour buckets of facts written as records arrive; none rescans the records.

>>> attended_by_hour([Session("OP1", "WS1", "L1", 30 * 60_000, 90 * 60_000)], 0, 2 * HOUR_MS, 0)
{(0, 'L1', 'WS1', 'OP1'): 30.0, (3600000, 'L1', 'WS1', 'OP1'): 30.0}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from seamline.production.facts import Session, Table
from seamline.production.hours import HOUR_MS, hour_pieces
from seamline.production.ledger import ProductionLedger

FORMULA_VERSION: Final = 1
DIMENSIONS: Final = ("hour", "line", "workstation", "operator", "style", "order", "operation")
_FACT_INDEX: Final = {name: i for i, name in enumerate(DIMENSIONS)}
_ATTENDANCE_ORDER: Final = ("hour", "line", "workstation", "operator")  # attended_by_hour's keys
_ATTENDANCE_DIMS: Final = frozenset(_ATTENDANCE_ORDER)


@dataclass(frozen=True, slots=True)
class Totals:
    """Production of one group over a span."""

    pieces: int
    output: int
    earned_min: float
    attended_min: float | None  # None: attendance has no meaning for this grouping (style, order, ...)

    @property
    def efficiency_pct(self) -> float | None:
        if not self.attended_min:
            return None
        return 100.0 * self.earned_min / self.attended_min


def totals(
    ledger: ProductionLedger,
    start_ms: int,
    end_ms: int,
    *,
    by: Sequence[str] = ("line",),
    now_ms: int | None = None,
    where: dict[str, str] | None = None,
) -> dict[tuple[str | int, ...], Totals]:
    """Totals per group of ``by`` (names from :data:`DIMENSIONS`) over the hours overlapping
    ``[start_ms, end_ms)``, optionally only where a dimension has a value (``{"line": "L01"}``).
    Open sessions count until ``now_ms`` (default: the newest record or session event)."""
    unknown = [d for d in (*by, *(where or {})) if d not in _FACT_INDEX]
    if unknown:
        raise ValueError(f"unknown dimension {unknown[0]!r}; one of {', '.join(DIMENSIONS)}")
    if "hour" in (where or {}):
        raise ValueError("filter hours with the time range, not with where")
    sums = _grouped(ledger.facts, start_ms, end_ms, [_FACT_INDEX[d] for d in by], _FACT_INDEX, where)
    attended: dict[tuple[str | int, ...], float] | None = None
    if set(by) | set(where or {}) <= _ATTENDANCE_DIMS:
        now = now_ms if now_ms is not None else ledger.clock_ms
        attended = defaultdict(float)
        att_idx = [_ATTENDANCE_ORDER.index(d) for d in by]
        att_filt = [(_ATTENDANCE_ORDER.index(k), v) for k, v in (where or {}).items() if k != "line"]
        for akey, minutes in ledger.attendance.minutes(
            start_ms - start_ms % HOUR_MS,
            end_ms,
            now,
            ledger.open_sessions(),
            hourly="hour" in by,
            line_id=(where or {}).get("line"),
            per_line=set(by) | set(where or {}) <= {"hour", "line"},
        ):
            if att_filt and any(akey[i] != v for i, v in att_filt):
                continue
            attended[tuple(akey[i] for i in att_idx)] += minutes
    out: dict[tuple[str | int, ...], Totals] = {}
    for group in set(sums) | {g for g, m in (attended or {}).items() if m > 1e-9}:
        p, e, o = sums.get(group, (0.0, 0.0, 0.0))
        att = None if attended is None else attended.get(group, 0.0)
        out[group] = Totals(int(p), int(o), round(e, 6), att)
    return out


@dataclass(frozen=True, slots=True)
class LineHour:
    """One hour of a line (clipped to the span asked for) with its target (apparel-domain.md 2.2):

        target (garments) = attended minutes x planned efficiency / garment SAM

    where the garment SAM is the sum of ``sam_min`` over the current bulletin of the style the line
    worked on in that hour (the style with the most earned minutes; in an hour without records,
    the previous hour's, else the span's, else the one the line is loaded with). Attended minutes
    being what the line really had, the target follows absences and late starts rather than a
    headcount on paper."""

    start_ms: int
    end_ms: int
    totals: Totals
    style_id: str | None
    garment_sam_min: float | None  # of that style's current bulletin
    target: float | None  # None: no style known

    @property
    def variance(self) -> float | None:
        """Output minus target (negative: behind)."""
        return None if self.target is None else self.totals.output - self.target


def line_hours(
    ledger: ProductionLedger,
    line_id: str,
    start_ms: int,
    end_ms: int,
    planned_efficiency: float,
    *,
    now_ms: int | None = None,
) -> list[LineHour]:
    """A line's clock hours from ``start_ms`` to ``end_ms`` (the first and last clipped), each with
    its totals and target; ``planned_efficiency`` is a fraction (the setting, 0.70 by default)."""
    where = {"line": line_id}
    by_hour = totals(ledger, start_ms, end_ms, by=("hour",), where=where, now_ms=now_ms)
    by_style: dict[int, dict[tuple[str | int, ...], Totals]] = defaultdict(dict)
    for (hour, style_id), t in totals(ledger, start_ms, end_ms, by=("hour", "style"), where=where).items():
        by_style[int(hour)][(style_id,)] = t
    style = main_style(ledger, line_id, start_ms, end_ms)
    out = []
    for hour in range(start_ms - start_ms % HOUR_MS, end_ms, HOUR_MS):
        t = by_hour.get((hour,), Totals(0, 0, 0.0, 0.0))
        style = _main_style(by_style.get(hour, {})) or style  # an idle hour keeps the last style
        known = ledger.factory.styles.get(style) if style else None
        sam = known.bulletin.garment_sam_min if known else None
        target = (t.attended_min or 0.0) * planned_efficiency / sam if sam else None
        out.append(LineHour(max(hour, start_ms), min(hour + HOUR_MS, end_ms), t, style, sam, target))
    return out


def main_style(ledger: ProductionLedger, line_id: str, start_ms: int, end_ms: int) -> str | None:
    """The style a line worked on most (earned minutes) in the span, else the one it is loaded
    with."""
    span = totals(ledger, start_ms, end_ms, by=("style",), where={"line": line_id})
    line = ledger.factory.lines_by_id.get(line_id)
    return _main_style(span) or (line.style_id if line else None)


def _main_style(by_style: dict[tuple[str | int, ...], Totals]) -> str | None:
    earned = {str(k[0]): t.earned_min for k, t in by_style.items() if t.earned_min}
    return max(sorted(earned), key=lambda s: earned[s]) if earned else None


QUALITY_DIMENSIONS: Final = (*DIMENSIONS, "kind")


@dataclass(frozen=True, slots=True)
class QualityTotals:
    """Inspections of one group over a span (apparel-domain.md 2.4)."""

    inspections: int
    checked: int
    defective: int
    defects: int

    @property
    def dhu(self) -> float | None:
        """Defects per hundred units: defects x 100 / pieces checked."""
        return 100.0 * self.defects / self.checked if self.checked else None

    @property
    def defective_pct(self) -> float | None:
        """Defective pieces x 100 / pieces checked."""
        return 100.0 * self.defective / self.checked if self.checked else None

    @property
    def rft_pct(self) -> float | None:
        """Right first time: pieces that passed their check without a defect x 100 / pieces checked."""
        return 100.0 - 100.0 * self.defective / self.checked if self.checked else None


def quality_totals(
    ledger: ProductionLedger,
    start_ms: int,
    end_ms: int,
    *,
    by: Sequence[str] = ("line",),
    where: dict[str, str] | None = None,
) -> dict[tuple[str | int, ...], QualityTotals]:
    """Inspection totals per group of ``by`` (names from :data:`QUALITY_DIMENSIONS`; ``kind`` is
    ``inline`` or ``end_of_line``) over the hours overlapping ``[start_ms, end_ms)``.

    >>> from seamline.model.loader import load_factory
    >>> lg = ProductionLedger(load_factory())
    >>> lg.update("L01-BUNDLESCANNER01", 0, "inspection", {"kind": "end_of_line", "checked": 200,
    ...     "defective": 15, "defects": [{"code": "skip", "count": 60, "severity": "minor"}]})
    >>> t = quality_totals(lg, 0, HOUR_MS, by=("kind",))[("end_of_line",)]
    >>> (t.dhu, t.defective_pct, t.rft_pct)  # 60 x 100 / 200; 15 x 100 / 200
    (30.0, 7.5, 92.5)
    """
    index = {name: i for i, name in enumerate(QUALITY_DIMENSIONS)}
    unknown = [d for d in (*by, *(where or {})) if d not in index]
    if unknown:
        raise ValueError(f"unknown dimension {unknown[0]!r}; one of {', '.join(QUALITY_DIMENSIONS)}")
    sums = _grouped(ledger.quality, start_ms, end_ms, [index[d] for d in by], index, where)
    return {k: QualityTotals(*(int(x) for x in v)) for k, v in sums.items()}


def defect_pareto(
    ledger: ProductionLedger, start_ms: int, end_ms: int, *, where: dict[str, str] | None = None
) -> list[tuple[str, str, int]]:
    """(code, severity, defects) over the span, most frequent first; ``where`` may name line,
    kind, operation and operator."""
    index = {"line": 1, "kind": 2, "operation": 3, "operator": 4, "code": 5, "severity": 6}
    bad = [k for k in (where or {}) if k not in index or k in ("code", "severity")]
    if bad:
        raise ValueError(f"unknown dimension {bad[0]!r}; one of line, kind, operation, operator")
    out = _grouped(ledger.defects, start_ms, end_ms, [5, 6], index, where)
    return sorted(
        ((str(c), str(s), int(n[0])) for (c, s), n in out.items()), key=lambda x: (-x[2], x[0], x[1])
    )


def _grouped(
    table: Table[Any],
    start_ms: int,
    end_ms: int,
    idx: Sequence[int],
    index: dict[str, int],
    where: dict[str, str] | None,
) -> dict[tuple[str | int, ...], list[float]]:
    """A table's sums over the hours overlapping ``[start_ms, end_ms)`` per group: ``idx`` and
    ``index`` place dimensions in (bucket start, line, *key); ``where`` keeps the rows whose
    dimensions have those values (a line reads only its own part of the table)."""
    rest = dict(where or {})
    line_id = rest.pop("line", None)
    filt = [(index[k] - 2, v) for k, v in rest.items()]
    hourly = 0 in idx
    sums: dict[tuple[str | int, ...], list[float]] = {}
    lo = start_ms - start_ms % HOUR_MS
    if not filt and all(i < 2 for i in idx):  # by hour and line at most: the lines' own sums
        for start, line, values in table.line_buckets(lo, end_ms, hourly=hourly, line_id=line_id):
            _add_to(sums, tuple((start, line)[i] for i in idx), values)
        return sums
    for start, line, rows in table.buckets(lo, end_ms, hourly=hourly, line_id=line_id):
        head: tuple[int, str] = (start, line)
        for key, values in rows.items():
            if filt and any(key[i] != v for i, v in filt):
                continue
            _add_to(sums, tuple(head[i] if i < 2 else key[i - 2] for i in idx), values)
    return sums


def _add_to(
    sums: dict[tuple[str | int, ...], list[float]], group: tuple[str | int, ...], values: list[float]
) -> None:
    acc = sums.get(group)
    if acc is None:
        sums[group] = list(values)
    else:
        for i, v in enumerate(values):
            acc[i] += v


def attended_by_hour(
    sessions: Iterable[Session], start_ms: int, end_ms: int, now_ms: int, *, hourly: bool = True
) -> dict[tuple[int, str, str, str], float]:
    """Minutes logged in per (hour, line, workstation, operator) within ``[start_ms, end_ms)``; a
    session still open counts until ``now_ms``. Without ``hourly`` every key's hour is
    ``start_ms``: the span's minutes, with no session cut into hours."""
    out: dict[tuple[int, str, str, str], float] = defaultdict(float)
    for s in sessions:
        a = max(s.login_ms, start_ms)
        b = min(s.logout_ms if s.logout_ms is not None else max(now_ms, s.login_ms), end_ms)
        who = (s.line_id or "", s.workstation_id, s.operator_id)
        pieces = hour_pieces(a, b) if hourly else ([(start_ms, a, b)] if a < b else [])
        for hour, x, y in pieces:
            out[(hour, *who)] += (y - x) / 60_000
    return dict(out)


__all__ = [
    "DIMENSIONS",
    "FORMULA_VERSION",
    "QUALITY_DIMENSIONS",
    "LineHour",
    "QualityTotals",
    "Totals",
    "attended_by_hour",
    "defect_pareto",
    "line_hours",
    "main_style",
    "quality_totals",
    "totals",
]
