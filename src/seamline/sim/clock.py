"""Wall-clock anchoring of the simulation: start instant, shift windows, seeded random streams.

Simulated time is seconds after ``start`` (UTC-aware). Shifts are declared in the factory's local
time (``Factory.shift_start``, ``Factory.shift_minutes``, ``Factory.timezone``), so a shift window is
built per local date and converted to UTC, which stays right across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from seamline.model.factory import Factory

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)


def factory_zone(factory: Factory) -> dt.tzinfo:
    """The factory's time zone; UTC when the zone database does not know the name."""
    try:
        return ZoneInfo(factory.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def default_start(factory: Factory, today: dt.date | None = None) -> dt.datetime:
    """Today's shift start at the factory, as a UTC-aware datetime."""
    tz = factory_zone(factory)
    day = today if today is not None else dt.datetime.now(tz).date()
    return dt.datetime.combine(day, factory.shift_start, tzinfo=tz).astimezone(dt.UTC)


def epoch_ms(t: dt.datetime) -> int:
    """Milliseconds since the Unix epoch of an aware datetime, exactly (no float rounding)."""
    return (t - EPOCH) // _MS


def shift_windows(
    factory: Factory, start: dt.datetime, *, from_start: bool = False
) -> Iterator[tuple[float, float]]:
    """Shift windows ``(begin_s, end_s)`` in simulated seconds, in order, from the one in progress.

    A window that ended before ``start`` is skipped; one in progress has ``begin_s < 0``. With
    ``from_start`` the first shift begins at ``start`` itself and the next ones 24 h apart.
    """
    if from_start:
        k = 0
        while True:
            yield k * 86400.0, k * 86400.0 + factory.shift_minutes * 60.0
            k += 1
    tz = factory_zone(factory)
    day = start.astimezone(tz).date() - dt.timedelta(days=1)
    length = dt.timedelta(minutes=factory.shift_minutes)
    while True:
        begin = dt.datetime.combine(day, factory.shift_start, tzinfo=tz).astimezone(dt.UTC)
        begin_s = (begin - start).total_seconds()
        end_s = (begin + length - start).total_seconds()
        if end_s > 0:
            yield begin_s, end_s
        day += dt.timedelta(days=1)


def back_to_back_windows(factory: Factory, elapsed_s: float) -> Iterator[tuple[float, float]]:
    """Shifts of the factory's length following each other around the clock, the first one begun
    ``elapsed_s`` before the simulation start (the demo's calendar: its floor is busy at any hour).

    >>> from seamline.model.loader import load_factory
    >>> windows = back_to_back_windows(load_factory(), 2 * 3600.0)  # 8-hour shifts, 2 h into one
    >>> [next(windows) for _ in range(2)]
    [(-7200.0, 21600.0), (21600.0, 50400.0)]
    """
    length_s = factory.shift_minutes * 60.0
    k = 0
    while True:
        yield k * length_s - elapsed_s, (k + 1) * length_s - elapsed_s
        k += 1


def stream(seed: int, purpose: str) -> random.Random:
    """A Python random stream for one purpose; string seeds hash stably (SHA-512), unlike ``hash()``."""
    return random.Random(f"seamline-sim:{seed}:{purpose}")


def np_stream(seed: int, purpose: str) -> np.random.Generator:
    """A numpy random stream for one purpose (PCG64 seeded from the seed and a CRC of the purpose)."""
    return np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, zlib.crc32(purpose.encode())])
