"""A simple line set-up: which seats are staffed, which operations each seat does, who sits where.

This is deliberately plain (SAM share per machine type, longest-operation-first packing, best
operator for the heaviest seat first); a later issue brings a real line balancer (SALBP / ALWABP).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from seamline.model.factory import Operation, OperationBulletin, Operator, Workstation


@dataclass(frozen=True, slots=True)
class LineSetup:
    """Operations per staffed seat (workstation id -> operations) and the SAM load of each seat."""

    operations: dict[str, tuple[Operation, ...]] = field(hash=False)
    load_min: dict[str, float] = field(hash=False)  # SAM minutes per garment carried by the seat

    def seats_of(self, op_id: str) -> list[str]:
        return [ws for ws, ops in self.operations.items() if any(o.id == op_id for o in ops)]


def staff(
    stations: Sequence[Workstation], n_operators: int, bulletin: OperationBulletin | None
) -> list[Workstation]:
    """The seats to fill with ``n_operators`` people: every needed machine type first, then by SAM share."""
    if n_operators >= len(stations):
        return list(stations)
    by_type: dict[str, list[Workstation]] = {}
    for w in stations:
        by_type.setdefault(w.machine_type_id, []).append(w)
    need: dict[str, float] = dict.fromkeys(by_type, 0.0)
    for op in bulletin.operations if bulletin else ():
        if op.machine_type_id in need:
            need[op.machine_type_id] += op.sam_min
    chosen = dict.fromkeys(by_type, 0)
    left = n_operators
    for t in sorted((t for t in by_type if need[t] > 0), key=lambda t: -need[t]):
        if left == 0:
            break
        chosen[t] = 1
        left -= 1
    while left > 0:
        room = [t for t in by_type if chosen[t] < len(by_type[t])]
        if not room:
            break
        t = max(room, key=lambda t: need[t] / (chosen[t] + 1))
        chosen[t] += 1
        left -= 1
    picked = {w.id for t, ws in by_type.items() for w in ws[: chosen[t]]}
    return [w for w in stations if w.id in picked]


def assign(seats: Sequence[Workstation], bulletin: OperationBulletin | None) -> LineSetup:
    """Give each operation one or more seats of its machine type, in proportion to its SAM.

    With more seats than operations of a type, each operation gets a seat and the spare seats go to
    the operation with the most SAM per seat; with fewer, operations are packed longest first onto
    the least-loaded seat. An operation whose machine type has no staffed seat goes to the
    least-loaded seat of the line (the operator then works at an unskilled pace).
    """
    ops_by_seat: dict[str, list[Operation]] = {w.id: [] for w in seats}
    load = dict.fromkeys(ops_by_seat, 0.0)
    if not seats or bulletin is None:
        return LineSetup(dict.fromkeys(ops_by_seat, ()), load)
    seats_by_type: dict[str, list[Workstation]] = {}
    for w in seats:
        seats_by_type.setdefault(w.machine_type_id, []).append(w)
    orphans: list[Operation] = []
    ops_by_type: dict[str, list[Operation]] = {}
    for op in bulletin.operations:
        if op.machine_type_id in seats_by_type:
            ops_by_type.setdefault(op.machine_type_id, []).append(op)
        else:
            orphans.append(op)
    for t, ops in ops_by_type.items():
        _assign_type(seats_by_type[t], ops, ops_by_seat, load)
    for op in orphans:
        w = min(seats, key=lambda s: load[s.id])
        ops_by_seat[w.id].append(op)
        load[w.id] += op.sam_min
    return LineSetup({k: tuple(v) for k, v in ops_by_seat.items()}, load)


def _assign_type(
    ws: list[Workstation],
    ops: list[Operation],
    ops_by_seat: dict[str, list[Operation]],
    load: dict[str, float],
) -> None:
    """Operations of one machine type onto that type's seats (see :func:`assign`)."""
    if len(ws) >= len(ops):
        count = dict.fromkeys((o.id for o in ops), 1)
        for _ in range(len(ws) - len(ops)):
            heavy = max(ops, key=lambda o: o.sam_min / count[o.id])
            count[heavy.id] += 1
        it = iter(ws)
        for op in ops:
            for _ in range(count[op.id]):
                w = next(it)
                ops_by_seat[w.id].append(op)
                load[w.id] += op.sam_min / count[op.id]
    else:
        for op in sorted(ops, key=lambda o: -o.sam_min):
            w = min(ws, key=lambda s: load[s.id])
            ops_by_seat[w.id].append(op)
            load[w.id] += op.sam_min


def seat(seats: Sequence[Workstation], setup: LineSetup, present: Sequence[Operator]) -> dict[str, Operator]:
    """Seat the present operators, heaviest seat first, each time the most skilled for its machine."""
    free = list(present)
    out: dict[str, Operator] = {}
    for w in sorted(seats, key=lambda s: -setup.load_min.get(s.id, 0.0)):
        if not free:
            break
        best = max(free, key=lambda o: o.efficiency(w.machine_type_id))
        free.remove(best)
        out[w.id] = best
    return out
