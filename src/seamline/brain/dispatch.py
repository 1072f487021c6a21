"""Constructive schedules for job shops and flexible job shops: priority rules on active schedules.

The Giffler-Thompson builder (Giffler & Thompson 1960, Operations Research 8(4)) grows an active
schedule one operation at a time: among the next operations of all jobs it finds the earliest
possible completion e* and its machine m*, then picks, among the operations that could start on m*
before e*, the one a priority rule prefers. For a flexible shop every eligible machine of a next
operation takes part in finding e* (the machine chosen is the one that finishes it first).

Rules: MWKR (most work remaining), MOR (most operations remaining), SPT (shortest processing time),
LRPT-by-job (longest remaining route first, then SPT). Randomised MWKR runs break ties with a
seeded generator, so a run is deterministic for its seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from seamline.brain.problems import FlexibleJobShop
from seamline.brain.solution import ScheduledOperation

# (job, duration on m*, work remaining, operations remaining) -> priority; the largest wins
Rule = Callable[[int, int, int, int], float]

RULES: dict[str, Rule] = {
    "mwkr": lambda j, d, work, ops: work * 1_000_000 - d,
    "mor": lambda j, d, work, ops: ops * 1_000_000_000 + work,
    "spt": lambda j, d, work, ops: -d * 1_000_000 + work,
    "mwkr-spt": lambda j, d, work, ops: work - 2 * d,
}


def active_schedule(
    shop: FlexibleJobShop, rule: Rule, rng: random.Random | None = None, noise: float = 0.0
) -> list[ScheduledOperation]:
    """One active schedule built with ``rule`` (plus up to ``noise`` of the best priority at random)."""
    jobs = shop.jobs
    n = len(jobs)
    fastest = [[min(s.duration for s in steps) for steps in ops] for ops in jobs]
    work_left = [sum(f) for f in fastest]
    next_op = [0] * n
    job_ready = [0] * n
    machine_ready = [0] * shop.n_machines
    out: list[ScheduledOperation] = []
    remaining = shop.n_operations
    while remaining:
        best_end, best_machine = None, -1
        for j in range(n):
            k = next_op[j]
            if k == len(jobs[j]):
                continue
            for step in jobs[j][k]:
                end = max(job_ready[j], machine_ready[step.machine]) + step.duration
                if best_end is None or end < best_end or (end == best_end and step.machine < best_machine):
                    best_end, best_machine = end, step.machine
        assert best_end is not None
        chosen, chosen_priority, chosen_duration = -1, 0.0, 0
        for j in range(n):
            k = next_op[j]
            if k == len(jobs[j]):
                continue
            duration = next((s.duration for s in jobs[j][k] if s.machine == best_machine), None)
            ready = max(job_ready[j], machine_ready[best_machine])
            if duration is None or (ready >= best_end and ready + duration > best_end):
                continue  # it could not start before e* (a zero-length one ending at e* may)
            priority = rule(j, duration, work_left[j], len(jobs[j]) - k)
            if rng is not None and noise:
                priority += rng.random() * noise * abs(priority or 1.0)
            if chosen < 0 or priority > chosen_priority:
                chosen, chosen_priority, chosen_duration = j, priority, duration
        k = next_op[chosen]
        start = max(job_ready[chosen], machine_ready[best_machine])
        end = start + chosen_duration
        out.append(ScheduledOperation(chosen, k, best_machine, start, end))
        job_ready[chosen] = end
        machine_ready[best_machine] = end
        work_left[chosen] -= fastest[chosen][k]
        next_op[chosen] += 1
        remaining -= 1
    return out


def best_dispatch(shop: FlexibleJobShop, seed: int, restarts: int | None = None) -> list[ScheduledOperation]:
    """The shortest schedule of every rule and of ``restarts`` randomised MWKR runs for ``seed``."""
    if restarts is None:
        restarts = max(2, min(12, 6000 // max(shop.n_operations, 1)))
    rng = random.Random(seed)
    best: list[ScheduledOperation] | None = None
    best_makespan = 0
    candidates: list[tuple[Rule, random.Random | None, float]] = [(r, None, 0.0) for r in RULES.values()]
    candidates += [(RULES["mwkr"], rng, 0.15)] * restarts
    for rule, generator, noise in candidates:
        schedule = active_schedule(shop, rule, generator, noise)
        makespan = max((o.end for o in schedule), default=0)
        if best is None or makespan < best_makespan:
            best, best_makespan = schedule, makespan
    assert best is not None
    return best
