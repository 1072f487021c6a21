"""Machine KPIs from the controllers' counters: needle time, utilisation, machine OEE, and the
plausibility of the scans (formula version 1, README "Production records").

For the machine at a workstation, over the hours overlapping a span:

- **needle time**: the ``run_time_s`` counter's delta (:mod:`seamline.production.counters`), the
  seconds its motor ran.
- **needle utilisation %** = needle time / attended time x 100, attended time being the minutes
  operators were logged in at its workstation: apparel-domain.md 2.2 "Needle-time %" (needle
  running time / attended time). The machine is planned busy while someone is at it.
- **machine OEE** = A x E x QR, ISO 22400-2 as apparel-domain.md 2.3 maps it: planned busy time
  PBT = the attended minutes at the workstation; actual production time APT = PBT less the
  machine's ``fault`` minutes (its unplanned downtime, from its state seconds), at least 0;
  availability A = APT / PBT; effectiveness E = PRI x PQ / APT with PRI x PQ the earned minutes
  (pieces x SAM) of the records at the workstation; quality rate QR = 1 - defective / checked of
  the ``inline`` inspections of work done at the workstation (the inspections that name it).
  With no inline check in the span QR is not measured and OEE is null, as a line's OEE is without
  end-of-line checks. A x E is the workstation's efficiency (earned / attended minutes): the needle
  runs only part of a sewing cycle, so needle utilisation, not OEE, shows how busy the machine is.
- **plausibility**: per workstation and hour, the ``piece_count`` delta of its machine against the
  pieces of the operations scanned there. Bundle scans stay the authority for counts; a scan covers
  a whole bundle when the operation is finished, so an hour's scans lead or lag the pieces sewn by
  less than a bundle. An hour is flagged when ``|counted - scanned|`` exceeds one bundle (the
  largest bundle size of the orders scanned there that hour) plus ``tolerance_pct`` of the larger
  of the two.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from seamline.production.kpi import quality_totals, totals
from seamline.production.ledger import ProductionLedger

NEEDLE: Final = "run_time_s"
PIECES: Final = "piece_count"
DEFAULT_TOLERANCE_PCT: Final = 10.0


@dataclass(frozen=True, slots=True)
class MachineKpi:
    """One workstation's machine over a span (see the module for the formulas)."""

    device_id: str
    line_id: str
    workstation_id: str
    needle_time_s: float
    counted: dict[str, float]  # counter channel -> delta
    attended_min: float  # PBT
    fault_min: float
    earned_min: float
    checked: int  # pieces of inline checks of work done there
    defective: int

    @property
    def needle_utilisation_pct(self) -> float | None:
        """Needle time / attended time x 100."""
        return 100.0 * self.needle_time_s / 60.0 / self.attended_min if self.attended_min else None

    @property
    def availability(self) -> float | None:
        """A = APT / PBT, APT = PBT - fault minutes (at least 0)."""
        return self._apt / self.attended_min if self.attended_min else None

    @property
    def effectiveness(self) -> float | None:
        """E = earned minutes / APT."""
        return self.earned_min / self._apt if self._apt else None

    @property
    def quality_rate(self) -> float | None:
        """QR = 1 - defective / checked (inline checks); None with none."""
        return 1.0 - self.defective / self.checked if self.checked else None

    @property
    def oee(self) -> float | None:
        """A x E x QR, None when a term is not measured."""
        a, e, q = self.availability, self.effectiveness, self.quality_rate
        return None if a is None or e is None or q is None else a * e * q

    @property
    def _apt(self) -> float:
        return max(0.0, self.attended_min - self.fault_min)


def machine_kpis(
    ledger: ProductionLedger,
    start_ms: int,
    end_ms: int,
    *,
    line_id: str | None = None,
    now_ms: int | None = None,
) -> dict[str, MachineKpi]:
    """Per device at a workstation (of ``line_id`` if given), its KPIs over the hours overlapping
    ``[start_ms, end_ms)``; open badge sessions and the current states count until ``now_ms``.

    >>> from seamline.model.loader import load_factory
    >>> lg = ProductionLedger(load_factory())
    >>> lg.counters.reading(("L01-S01", NEEDLE), 0, 0, 1_000.0)  # a baseline
    >>> lg.counters.reading(("L01-S01", NEEDLE), 0, 1_200_000, 1_900.0)  # 900 s of needle time
    >>> lg.update("L01-BUNDLESCANNER01", 0, "badge",
    ...     {"operator": "L01-OP01", "action": "login", "workstation": "L01-S01"})
    >>> lg.update("L01-BUNDLESCANNER01", 3_600_000, "badge",
    ...     {"operator": "L01-OP01", "action": "logout", "workstation": "L01-S01"})
    >>> k = machine_kpis(lg, 0, 3_600_000)["L01-S01"]
    >>> k.needle_utilisation_pct  # 15 of 60 attended minutes
    25.0
    """
    where = {"line": line_id} if line_id is not None else None
    work = totals(ledger, start_ms, end_ms, by=("workstation",), where=where, now_ms=now_ms)
    inline = quality_totals(
        ledger, start_ms, end_ms, by=("workstation",), where={"kind": "inline", **(where or {})}
    )
    seconds = ledger.machines.seconds(start_ms, end_ms, now_ms=now_ms)
    fault = {device: s.get("fault", 0.0) for (_, device), s in seconds.items()}
    counted = ledger.counters.totals(start_ms, end_ms)
    out = {}
    for line in ledger.factory.lines:
        if line_id is not None and line.id != line_id:
            continue
        for ws in line.workstations:
            w, q, c = work.get((ws.id,)), inline.get((ws.id,)), counted.get(ws.device_id, {})
            out[ws.device_id] = MachineKpi(
                ws.device_id,
                line.id,
                ws.id,
                c.get(NEEDLE, 0.0),
                c,
                (w.attended_min or 0.0) if w is not None else 0.0,
                fault.get(ws.device_id, 0.0) / 60.0,
                w.earned_min if w is not None else 0.0,
                q.checked if q is not None else 0,
                q.defective if q is not None else 0,
            )
    return out


@dataclass(frozen=True, slots=True)
class Plausibility:
    """One workstation-hour: pieces its machine counted against pieces scanned there."""

    hour_ms: int
    line_id: str
    workstation_id: str
    device_id: str
    counted: float
    scanned: int
    tolerance: float

    @property
    def flagged(self) -> bool:
        return abs(self.counted - self.scanned) > self.tolerance


def plausibility(
    ledger: ProductionLedger,
    start_ms: int,
    end_ms: int,
    *,
    line_id: str | None = None,
    tolerance_pct: float = DEFAULT_TOLERANCE_PCT,
) -> list[Plausibility]:
    """Every workstation-hour in the hours overlapping ``[start_ms, end_ms)`` where its machine
    counted pieces or pieces were scanned there, by hour and workstation (see the module).

    >>> from seamline.model.loader import load_factory
    >>> lg = ProductionLedger(load_factory())
    >>> lg.counters.reading(("L01-S01", PIECES), 0, 0, 0.0)
    >>> lg.counters.reading(("L01-S01", PIECES), 0, 1_800_000, 45.0)  # 45 pieces, nothing scanned
    >>> [(p.counted, p.scanned, p.tolerance, p.flagged) for p in plausibility(lg, 0, 3_600_000)]
    [(45.0, 0, 34.5, True)]

    (the tolerance: a bundle of the factory's largest, 30 pieces, + 10 % of 45)
    """
    factory = ledger.factory
    bundle_size = {o.id: o.bundle_size for o in factory.orders}
    default_bundle = max(bundle_size.values(), default=20)
    seats = {
        ws.device_id: (line.id, ws.id)
        for line in factory.lines
        if line_id is None or line.id == line_id
        for ws in line.workstations
    }
    where = {"line": line_id} if line_id is not None else None
    scanned = totals(ledger, start_ms, end_ms, by=("hour", "workstation", "order"), where=where)
    per: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # counted, scanned, bundle
    for (hour, ws_id, order_id), t in scanned.items():
        acc = per[(int(hour), str(ws_id))]
        acc[1] += t.pieces
        acc[2] = max(acc[2], bundle_size.get(str(order_id), default_bundle))
    for hour, bucket in ledger.counters.hours(start_ms, end_ms):
        for device_id, (_, ws_id) in seats.items():
            pieces = bucket.get((device_id, PIECES))
            if pieces:
                per[(hour, ws_id)][0] += pieces
    by_ws = {ws_id: (line, device) for device, (line, ws_id) in seats.items()}
    out = []
    for (hour, ws_id), (c, s, bundle) in sorted(per.items()):
        if ws_id not in by_ws:
            continue
        line, device = by_ws[ws_id]
        slack = (bundle or default_bundle) + tolerance_pct / 100.0 * max(c, s)
        out.append(Plausibility(hour, line, ws_id, device, c, int(s), slack))
    return out


__all__ = ["MachineKpi", "Plausibility", "machine_kpis", "plausibility"]
