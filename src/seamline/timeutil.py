"""Time at the edges: the API speaks ISO 8601 UTC, the core speaks milliseconds since the epoch."""

from __future__ import annotations

import datetime as dt
import time

UTC = dt.UTC


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def ms_to_iso(ms: int) -> str:
    """``1795363200123`` -> ``'2026-11-22T08:00:00.123Z'``."""
    return (
        dt.datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def to_ms(when: dt.datetime) -> int:
    """A datetime as ms since the epoch; a naive datetime is taken to be UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)
