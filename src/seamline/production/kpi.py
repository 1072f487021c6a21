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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from seamline.production.hours import HOUR_MS, hour_pieces, spans
from seamline.production.ledger import ProductionLedger, Session

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
    lo, hi = start_ms - start_ms % HOUR_MS, end_ms
    filt = [(_FACT_INDEX[k] - 1, v) for k, v in (where or {}).items()]
    idx = [_FACT_INDEX[d] - 1 for d in by]  # into the key without its hour (-1: the hour itself)
    sums: dict[tuple[str | int, ...], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for bucket, facts in _buckets(ledger, lo, hi, hourly="hour" in by):
        for rest, (pieces, earned, output) in facts.items():
            if any(rest[i] != v for i, v in filt):
                continue
            acc = sums[tuple(bucket if i < 0 else rest[i] for i in idx)]
            acc[0] += pieces
            acc[1] += earned
            acc[2] += output
    attended: dict[tuple[str | int, ...], float] | None = None
    if set(by) | set(where or {}) <= _ATTENDANCE_DIMS:
        now = now_ms if now_ms is not None else _newest(ledger)
        attended = defaultdict(float)
        att_idx = [_ATTENDANCE_ORDER.index(d) for d in by]
        att_filt = [(_ATTENDANCE_ORDER.index(k), v) for k, v in (where or {}).items()]
        for akey, minutes in _attendance(ledger, lo, hi, now, hourly="hour" in by):
            if any(akey[i] != v for i, v in att_filt):
                continue
            attended[tuple(akey[i] for i in att_idx)] += minutes
    out: dict[tuple[str | int, ...], Totals] = {}
    for group in set(sums) | set(attended or {}):
        p, e, o = sums.get(group, (0.0, 0.0, 0.0))
        att = None if attended is None else attended.get(group, 0.0)
        out[group] = Totals(int(p), int(o), round(e, 6), att)
    return out


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
    lo = start_ms - start_ms % HOUR_MS
    filt = [(index[k], v) for k, v in (where or {}).items()]
    idx = [index[d] for d in by]
    sums: dict[tuple[str | int, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key, counts in ledger.quality.items():
        if not lo <= key[0] < end_ms or any(key[i] != v for i, v in filt):
            continue
        acc = sums[tuple(key[i] for i in idx)]
        for j in range(4):
            acc[j] += counts[j]
    return {k: QualityTotals(*v) for k, v in sums.items()}


def defect_pareto(
    ledger: ProductionLedger, start_ms: int, end_ms: int, *, where: dict[str, str] | None = None
) -> list[tuple[str, str, int]]:
    """(code, severity, defects) over the span, most frequent first; ``where`` may name line,
    kind, operation and operator."""
    index = {"line": 1, "kind": 2, "operation": 3, "operator": 4}
    bad = [k for k in (where or {}) if k not in index]
    if bad:
        raise ValueError(f"unknown dimension {bad[0]!r}; one of {', '.join(index)}")
    lo = start_ms - start_ms % HOUR_MS
    out: dict[tuple[str, str], int] = defaultdict(int)
    for key, n in ledger.defects.items():
        if lo <= key[0] < end_ms and all(key[index[k]] == v for k, v in (where or {}).items()):
            out[(key[5], key[6])] += n
    return sorted(((c, s, n) for (c, s), n in out.items()), key=lambda x: (-x[2], x[0], x[1]))


def _buckets(
    ledger: ProductionLedger, lo: int, hi: int, *, hourly: bool
) -> Iterator[tuple[int, dict[tuple[str, ...], list[float]]]]:
    """The fact buckets covering the hours ``[lo, hi)``: whole UTC days from the day buckets (unless
    ``hourly``), the hours at either end from the hour buckets; each with its start."""
    if not ledger.facts_by_hour:
        return
    hours = ledger.facts_by_hour.keys()
    lo, hi = max(lo, min(hours)), min(hi, max(hours) + HOUR_MS)  # only where there is data
    for t, whole_day in spans(lo, hi, whole_days=not hourly):
        bucket = (ledger.facts_by_day if whole_day else ledger.facts_by_hour).get(t)
        if bucket:
            yield t, bucket


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


def _attendance(
    ledger: ProductionLedger, lo: int, hi: int, now: int, *, hourly: bool
) -> Iterator[tuple[tuple[int, str, str, str], float]]:
    """Attended minutes per (hour or ``lo``, line, workstation, operator) in ``[lo, hi)``: closed
    sessions from the ledger's hourly table, open ones clipped at ``now``."""
    if ledger.attended_hours:
        first, last = min(ledger.attended_hours), max(ledger.attended_hours)
        t = max(lo - lo % HOUR_MS, first)
        while t < min(hi, last + HOUR_MS):
            for (line, ws, op), minutes in ledger.attended_hours.get(t, {}).items():
                yield ((t if hourly else lo), line, ws, op), minutes
            t += HOUR_MS
    yield from attended_by_hour(ledger.open_sessions(), lo, hi, now, hourly=hourly).items()


def _all_sessions(ledger: ProductionLedger) -> Iterable[Session]:
    for sessions in ledger.sessions.values():
        yield from sessions


def _newest(ledger: ProductionLedger) -> int:
    newest = max((r.ts_ms for r in ledger.records[-1:]), default=0)
    for s in _all_sessions(ledger):
        newest = max(newest, s.logout_ms or s.login_ms)
    return newest


__all__ = [
    "DIMENSIONS",
    "FORMULA_VERSION",
    "QUALITY_DIMENSIONS",
    "QualityTotals",
    "Totals",
    "attended_by_hour",
    "defect_pareto",
    "quality_totals",
    "totals",
]
