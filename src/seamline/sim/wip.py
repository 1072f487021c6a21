"""Work in progress a progressive-bundle line holds when the simulation starts in the middle of an order.

A PBS line never starts its day empty (apparel-domain.md 3): yesterday's bundles lie at every
operation, partly sewn. :func:`start_progress` says which operations are already done on each of the
bundles in the line, oldest first, so that every operation has work queued in proportion to the
seats that do it.

Each operation gets a span of "line position" as long as its weight (the number of seats doing it),
starting where its last predecessor's span ends: ``end(o) = weight(o) + max(end(p) for p before o)``.
A bundle at position ``x`` has done every operation with ``end(o) <= x``, which is closed under
predecessors (a predecessor ends before its successor does). The bundles' positions are spread
evenly over the longest path, oldest furthest along, so a bundle waits at ``o`` when
``end(o) - weight(o) <= x < end(o)``: an operation with ``w`` seats has at least ``w`` bundles queued
whenever there are at least as many bundles as the longest path is long.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from seamline.model.factory import Operation


def start_progress(
    operations: Sequence[Operation], weight: Mapping[str, float], n_bundles: int
) -> list[frozenset[str]]:
    """The operations already done on each of ``n_bundles`` bundles in the line, oldest bundle first.

    ``operations`` are in a precedence order (as in an operation bulletin); ``weight`` gives each
    operation's share of the queued bundles (1 when missing; weights must be positive).

    >>> from seamline.model.factory import Operation
    >>> ops = [Operation("A", "a", 0.3, "snls", ()), Operation("B", "b", 0.4, "snls", ("A",))]
    >>> [sorted(done) for done in start_progress(ops, {}, 4)]  # positions 1.75, 1.25, 0.75, 0.25
    [['A'], ['A'], [], []]
    """
    end: dict[str, float] = {}
    for op in operations:
        end[op.id] = max((end[p] for p in op.predecessors), default=0.0) + weight.get(op.id, 1.0)
    span = max(end.values(), default=0.0)
    out: list[frozenset[str]] = []
    for k in range(n_bundles):
        x = (2 * (n_bundles - k) - 1) * span / (2 * n_bundles)  # exact against whole-number ends
        out.append(frozenset(op_id for op_id, e in end.items() if e <= x))
    return out
