"""The shift calendar: which span of time "shift S of date D" is.

A factory file gives ``shift_start`` (local wall-clock time), ``shift_minutes`` and ``timezone``.
Shift 1 of a date starts at ``shift_start`` on that date, on the factory's wall clock; shift 2
starts ``shift_minutes`` later, and so on, back to back, as many whole shifts as fit in 24 hours
(three of 480 minutes, two of 600). Every shift lasts exactly ``shift_minutes`` of elapsed time, so
a shift across a daylight-saving change ends an hour earlier or later on the wall clock than on
other days; and a ``shift_start`` the clocks skip that day (02:30 when they jump from 02:00 to
03:00) is read with the offset before the change (03:30 summer time), one they repeat as its first
occurrence (Python's ``fold=0``).

>>> import datetime as dt
>>> from seamline.model.loader import load_factory
>>> factory = load_factory()  # the reference factory: Asia/Dhaka, 08:00, 480 minutes
>>> start_ms, end_ms = shift_window(factory, dt.date(2026, 11, 2), 2)
>>> dt.datetime.fromtimestamp(start_ms / 1000, dt.UTC).isoformat()  # 16:00 in Dhaka (UTC+6)
'2026-11-02T10:00:00+00:00'
>>> (end_ms - start_ms) // 60_000, shifts_per_day(factory)
(480, 3)
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from seamline.errors import SeamlineError
from seamline.model.factory import Factory

DAY_MIN: Final = 24 * 60


class ShiftError(SeamlineError):
    """A shift that the factory's calendar does not have (``field`` is ``shift`` or ``timezone``)."""

    reason = "invalid_shift"
    exit_code = 2  # the command line's usage-error code

    def __init__(self, message: str, *, field: str, value: object) -> None:
        super().__init__(message)
        self.field = field
        self.value = value

    def details(self) -> dict[str, object]:
        return {"field": self.field, "value": str(self.value)}


def shifts_per_day(factory: Factory) -> int:
    """How many whole shifts of ``factory.shift_minutes`` fit in 24 hours."""
    return DAY_MIN // factory.shift_minutes if factory.shift_minutes > 0 else 0


def factory_zone(factory: Factory) -> ZoneInfo:
    """The factory's time zone (``timezone`` in the factory file, an IANA name)."""
    try:
        return ZoneInfo(factory.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ShiftError(
            f"the factory file's timezone {factory.timezone!r} is not an IANA time zone name"
            " (e.g. Asia/Dhaka); correct it in the factory file",
            field="timezone",
            value=factory.timezone,
        ) from None


def shift_window(factory: Factory, date: dt.date, shift: int) -> tuple[int, int]:
    """``(start_ms, end_ms)``, UTC milliseconds, of shift ``shift`` (1-based) of the local date
    ``date``: start inclusive, end exclusive. Raises :class:`ShiftError` when the calendar has no
    such shift."""
    per_day = shifts_per_day(factory)
    if not 1 <= shift <= per_day:
        raise ShiftError(
            f"shift {shift} does not exist: {factory.site_name} works {per_day} shift"
            f"{'s' if per_day != 1 else ''} of {factory.shift_minutes} minutes a day from"
            f" {factory.shift_start:%H:%M}; give a shift from 1 to {per_day}",
            field="shift",
            value=shift,
        )
    first = dt.datetime.combine(date, factory.shift_start, tzinfo=factory_zone(factory))
    start = first.astimezone(dt.UTC) + dt.timedelta(minutes=(shift - 1) * factory.shift_minutes)
    start_ms = int(start.timestamp() * 1000)
    return start_ms, start_ms + factory.shift_minutes * 60_000


def shift_at(factory: Factory, ts_ms: int) -> tuple[dt.date, int]:
    """The shift holding ``ts_ms``: ``(local date, shift)``, as :func:`shift_window` names it.

    >>> from seamline.model.loader import load_factory
    >>> shift_at(load_factory(), 1_793_620_800_000)  # 2026-11-02 12:00 UTC = 18:00 in Dhaka
    (datetime.date(2026, 11, 2), 2)
    """
    zone = factory_zone(factory)
    local = dt.datetime.fromtimestamp(ts_ms / 1000, tz=zone)
    date = local.date()
    if dt.datetime.combine(date, factory.shift_start, tzinfo=zone) > local:
        date -= dt.timedelta(days=1)  # before the first shift: the previous date's last shifts
    for shift in range(shifts_per_day(factory), 0, -1):
        if shift_window(factory, date, shift)[0] <= ts_ms:
            return date, shift
    return date, 1


__all__ = ["ShiftError", "factory_zone", "shift_at", "shift_window", "shifts_per_day"]
