"""Sewing lines of real size as ALWABP-2 problems, generated from a seed (not from the public sets).

A garment is sewn as a few component chains (fronts, back, sleeves, collar, cuffs, pockets...), each
a sequence of operations, joined one by one into the assembly chain that ends with finishing. Each
operation needs one machine type (single needle, overlock, flatlock, bartack, buttonhole, manual)
and takes 6 to 90 seconds of standard time (SAM), most of them short. Operators differ: each works
at an efficiency of 60 to 120 % on the machine types they know (two to four of them; the first
operator, the line's utility operator, knows every type), so their time for an operation is the
SAM divided by their efficiency, and they cannot do the operations of the other types. The line
has 30 to 80 operations and 10 to 40 operators, as in a garment factory.

>>> line = sewing_line(3)
>>> 30 <= line.n_tasks <= 80 and 10 <= line.n_workers <= 40
True
>>> sewing_line(3) == line
True
"""

from __future__ import annotations

import math

import numpy as np

from seamline.brain.problems import Alwabp
from seamline.model.factory import Operation, OperationBulletin, Operator

MACHINE_TYPES = ("single needle", "overlock", "flatlock", "bartack", "buttonhole", "manual")
_TYPE_SHARE = (0.42, 0.22, 0.1, 0.06, 0.05, 0.15)


def sewing_line(seed: int, *, n_operations: int | None = None, n_operators: int | None = None) -> Alwabp:
    """The sewing line of ``seed``: tasks are operations in bulletin order, workers are operators."""
    rng = np.random.default_rng(seed)
    n = n_operations if n_operations is not None else int(rng.integers(30, 81))
    k = n_operators if n_operators is not None else int(np.clip(round(n / rng.uniform(1.6, 2.6)), 10, 40))
    arcs = _garment_graph(rng, n)
    machine = rng.choice(len(MACHINE_TYPES), size=n, p=_TYPE_SHARE)
    sam = np.clip(np.round(rng.lognormal(math.log(24), 0.6, size=n)), 6, 90).astype(int)
    times: list[tuple[int | None, ...]] = []
    skills = [set(range(len(MACHINE_TYPES)))]
    for _ in range(1, k):
        known = rng.choice(len(MACHINE_TYPES), size=int(rng.integers(2, 5)), replace=False, p=_TYPE_SHARE)
        skills.append({int(t) for t in known} | {MACHINE_TYPES.index("manual")})
    efficiency = [float(rng.uniform(0.6, 1.2)) for _ in range(k)]
    for i in range(n):
        row = tuple(
            math.ceil(int(sam[i]) / efficiency[w]) if int(machine[i]) in skills[w] else None for w in range(k)
        )
        times.append(row)
    return Alwabp(f"sewing_{seed}", tuple(times), tuple(arcs))


def sewing_bulletin(
    seed: int, *, n_operations: int = 40, n_operators: int = 20
) -> tuple[OperationBulletin, list[Operator], dict[str, int]]:
    """The same kind of line as the platform's factory model sees it: an operation bulletin (SAM in
    minutes), operators with efficiencies per machine type, and one machine per operator of each
    type they are placed on plus one spare of each type.

    >>> bulletin, operators, machines = sewing_bulletin(1)
    >>> len(bulletin.operations), len(operators), sum(machines.values()) >= len(operators)
    (40, 20, True)
    """
    line = sewing_line(seed, n_operations=n_operations, n_operators=n_operators)
    rng = np.random.default_rng(seed)
    machine = rng.choice(len(MACHINE_TYPES), size=n_operations, p=_TYPE_SHARE)
    predecessors: list[list[str]] = [[] for _ in range(n_operations)]
    for i, j in line.arcs:
        predecessors[j].append(f"OP{i + 1:03d}")
    operations = tuple(
        Operation(
            id=f"OP{i + 1:03d}",
            name=f"{MACHINE_TYPES[int(machine[i])]} operation {i + 1}",
            sam_min=round(float(rng.lognormal(math.log(0.4), 0.6)), 3) + 0.1,
            machine_type_id=_type_id(int(machine[i])),
            predecessors=tuple(predecessors[i]),
        )
        for i in range(n_operations)
    )
    operators = []
    for w in range(n_operators):
        known = range(len(MACHINE_TYPES)) if w == 0 else rng.choice(len(MACHINE_TYPES), size=3, replace=False)
        operators.append(
            Operator(
                id=f"OPR{w + 1:02d}",
                name=f"Operator {w + 1}",
                grade="B",
                line_id="L-GEN",
                skills={_type_id(int(t)): round(float(rng.uniform(0.6, 1.2)), 2) for t in known},
            )
        )
    machines = {_type_id(t): n_operators // 2 + 1 for t in range(len(MACHINE_TYPES))}
    return OperationBulletin(f"GEN-{seed}", 1, operations), operators, machines


def _type_id(t: int) -> str:
    return MACHINE_TYPES[t].replace(" ", "_")


def _garment_graph(rng: np.random.Generator, n: int) -> list[tuple[int, int]]:
    """Component chains joined into one assembly chain: arcs between operations numbered in order."""
    n_components = int(rng.integers(3, 7))
    assembly = max(n // 3, 4)
    sizes = rng.multinomial(n - assembly, np.full(n_components, 1 / n_components))
    arcs: list[tuple[int, int]] = []
    ends: list[int] = []
    at = 0
    for size in sizes:
        if size == 0:
            continue
        arcs.extend((at + j, at + j + 1) for j in range(size - 1))
        ends.append(at + size - 1)
        at += size
    joins = sorted(int(x) for x in rng.choice(assembly - 1, size=len(ends), replace=True))
    for j in range(assembly - 1):
        arcs.append((at + j, at + j + 1))
    for end, join in zip(ends, joins, strict=True):
        arcs.append((end, at + join))
    return arcs
