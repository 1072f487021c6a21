"""The work of one piece at a sewing seat: handling, sewing bursts, and the learning curve.

Needle time is a share of the cycle (the rest is picking up, aligning and disposing, which the
hobby dashboard and the Juki pitch-time patents of apparel-domain.md 1.1 measure as the gaps between
sewing bursts). Automatic machines (bartack, buttonhole, pocket setter) run one cycle a piece.
Operators also spend off-standard time away from the work (:class:`PersonalTime`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Generator
from typing import Any

import simpy

from seamline.sim.machine import Machine

NEEDLE_SHARE = {
    "snls": 0.35,
    "overlock": 0.45,
    "flatlock": 0.40,
    "bartack": 0.30,
    "buttonhole": 0.30,
    "pocket_setter": 0.55,
}
BURST_S = {"snls": 4.0, "overlock": 6.0, "flatlock": 6.0}  # mean sewing burst; others: one cycle a piece
AUTOMATIC = ("bartack", "buttonhole", "pocket_setter")
MAX_SLOWDOWN = 3.0
PERSONAL_BREAK_S = 240.0  # mean time away from the work: water, toilet, a word with the supervisor


def wright_slowdown(pieces: float, plateau_pieces: float, learning_rate: float) -> float:
    """Time per piece relative to the operator's trained pace after ``pieces`` pieces of a style.

    Wright's curve T_n = T_1 * n^b with b = log2(learning rate) (apparel-domain.md 3), anchored so
    that the pace is the trained one from ``plateau_pieces`` on: each doubling of output short of
    the plateau costs a factor ``1 / learning_rate`` (capped at 3, a first-day trainee's pace).

    >>> round(wright_slowdown(375, 1500, 0.85), 4)  # two doublings short: 1 / 0.85**2
    1.3841
    """
    if pieces >= plateau_pieces:
        return 1.0
    return min(MAX_SLOWDOWN, math.pow(max(pieces, 1.0) / plateau_pieces, math.log2(learning_rate)))


def sew_piece(
    env: simpy.Environment, machine: Machine, machine_type_id: str, cycle_s: float, rng: random.Random
) -> Generator[Any, Any, float]:
    """One piece in ``cycle_s`` (plus fault time): handling gaps around sewing bursts; returns stitches."""
    rec = machine.rec
    sew_s = cycle_s * min(0.8, NEEDLE_SHARE.get(machine_type_id, 0.35) * rng.uniform(0.85, 1.15))
    burst_mean = BURST_S.get(machine_type_id)
    k = max(1, round(sew_s / burst_mean)) if burst_mean else 1
    bursts = [rng.uniform(0.5, 1.5) for _ in range(k)]
    gaps = [rng.uniform(0.5, 1.5) for _ in range(k + 1)]
    b_sum, g_sum = sum(bursts), sum(gaps)
    handle_s = cycle_s - sew_s
    stitches = 0.0
    for i in range(k):
        yield env.timeout(handle_s * gaps[i] / g_sum)
        rec.count(env.now, "foot_lift_count")
        stitches += yield from machine.run(sew_s * bursts[i] / b_sum)
        if rng.random() < 0.85:
            rec.count(env.now, "trim_count")
        if machine.bobbin:
            rec.count(env.now, "backtack_count", 2.0)
    yield env.timeout(handle_s * gaps[k] / g_sum)
    if any(t in machine_type_id for t in AUTOMATIC):
        for counter in ("cycle_count", "knife_count", "stacker_count"):
            rec.count(env.now, counter)
    rec.count(env.now, "piece_count")
    rec.last_piece_stitches = stitches
    return stitches


class PersonalTime:
    """When an operator next leaves the work, in breaks of about 4 minutes taking ``share`` of the time.

    Breaks are spaced ``PERSONAL_BREAK_S * (1 - share) / share`` apart on average (half to one and a
    half times that), the first one counted from the operator's arrival; ``share`` 0 means none.
    """

    def __init__(self, share: float, rng: random.Random, now_s: float) -> None:
        self.rng = rng
        self.gap_s = PERSONAL_BREAK_S * (1.0 - share) / share if share > 0 else math.inf
        self.due_s = self._next(now_s)

    def _next(self, now_s: float) -> float:
        return now_s + self.gap_s * self.rng.uniform(0.5, 1.5) if math.isfinite(self.gap_s) else math.inf

    def take(self, now_s: float) -> float:
        """The length of the break due at ``now_s``; schedules the next one after it."""
        length = PERSONAL_BREAK_S * self.rng.uniform(0.5, 1.5)
        self.due_s = self._next(now_s + length)
        return length
