"""Hour and day buckets, the grain every production figure is kept at.

>>> list(hour_pieces(3_000_000, 4_000_000))  # 00:50 to 01:06:40
[(0, 3000000, 3600000), (3600000, 3600000, 4000000)]
>>> list(spans(0, 2 * DAY_MS + HOUR_MS, whole_days=True))[:2]
[(0, True), (86400000, True)]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000


def hour_pieces(a: int, b: int) -> Iterator[tuple[int, int, int]]:
    """``[a, b)`` cut at hour boundaries: (hour start, piece start, piece end)."""
    while a < b:
        hour = a - a % HOUR_MS
        cut = min(b, hour + HOUR_MS)
        yield hour, a, cut
        a = cut


def spans(lo: int, hi: int, *, whole_days: bool) -> Iterator[tuple[int, bool]]:
    """The buckets covering the hours from ``lo`` to ``hi``: (start, is a whole UTC day), whole days
    where ``whole_days`` allows and they fit, hours at either end (and everywhere otherwise)."""
    t = lo - lo % HOUR_MS
    while t < hi:
        if whole_days and t % DAY_MS == 0 and t + DAY_MS <= hi:
            yield t, True
            t += DAY_MS
        else:
            yield t, False
            t += HOUR_MS


__all__ = ["DAY_MS", "HOUR_MS", "hour_pieces", "spans"]
