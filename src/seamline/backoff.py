"""Jittered exponential backoff, the one schedule every reconnecting loop in Seamline waits on.

Attempt ``n`` (1-based) waits a uniform random time between half the initial delay and
``min(max_s, initial_s * 2 ** (n - 1))``: "full jitter" with a small floor, so a fleet of clients
(or PLCs restarting together) is not reconnected in step, and a retry never spins.

>>> b = Backoff(initial_s=0.5, max_s=2.0, rng=random.Random(7))
>>> [round(b.next_delay_s(), 2) for _ in range(5)]
[0.33, 0.36, 1.39, 0.38, 1.19]
>>> b.attempt
5
>>> b.reset(); b.attempt
0
"""

from __future__ import annotations

import random
from typing import Final

_MAX_DOUBLINGS: Final = 20  # 2**20 x the initial delay is past any sensible ceiling


def backoff_s(attempt: int, initial_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """The delay before retry ``attempt`` (1-based), uniform in [initial/2, min(max, initial * 2**(n-1))].

    >>> backoff_s(1, 0.5, 30.0, random.Random(1)) <= 0.5
    True
    """
    ceiling = min(max_s, initial_s * 2 ** min(max(attempt, 1) - 1, _MAX_DOUBLINGS))
    return (rng or random).uniform(min(initial_s / 2, ceiling), ceiling)


class Backoff:
    """Counts the attempts of one reconnecting loop and says how long to wait before the next.

    Call :meth:`next_delay_s` after each failure and :meth:`reset` once a connection is up.
    """

    def __init__(self, initial_s: float, max_s: float, *, rng: random.Random | None = None) -> None:
        if initial_s <= 0 or max_s < initial_s / 2:
            raise ValueError(
                f"backoff needs 0 < initial_s and initial_s / 2 <= max_s (got {initial_s}, {max_s})"
            )
        self.initial_s = initial_s
        self.max_s = max_s
        self.attempt = 0
        self._rng = rng

    def next_delay_s(self) -> float:
        """Count one more attempt and return its delay."""
        self.attempt += 1
        return backoff_s(self.attempt, self.initial_s, self.max_s, self._rng)

    def reset(self) -> None:
        """The connection is up: the next failure starts from the initial delay again."""
        self.attempt = 0
