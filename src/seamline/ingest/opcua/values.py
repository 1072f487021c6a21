"""From an OPC UA DataValue (Part 4 DataValue; Part 6 §5.2.2.17) to one reading: a value and a time.

Values: numbers become floats (a ``Float`` as the shortest decimal of its float32), booleans 0/1,
enumerations and other integers their code (an
``IntEnum`` is an ``int``). Anything else (strings, byte strings, arrays, structures, a null
variant) is not a sensor reading and is reported as unsupported. NaN and infinities are not
finite numbers, which the wire format refuses, so they are unsupported too.

Times: the source timestamp (the PLC's clock, when the value was sampled) is the device time; a
server that sends none, or one the ingest pipeline would refuse (before 2000, or more than
5 minutes ahead of our clock: see docs/telemetry.md), falls back to the server timestamp, then to
the time we received the notification.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

from seamline.ingest.decode import EARLIEST_TS_MS, FUTURE_TOLERANCE_MS
from seamline.ingest.floats import float32_value

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS: Final = dt.timedelta(milliseconds=1)


def reading_value(value: object, *, float32: bool = False) -> float | None:
    """The reading for a variant's Python value, or None when it is not a finite scalar number.

    ``float32``: the variant is a ``Float``, read as the shortest decimal of its 32-bit value
    (36.6, not 36.599998474121094; :func:`~seamline.ingest.floats.float32_value`).

    >>> reading_value(True), reading_value(3), reading_value(1500.5), reading_value("on")
    (1.0, 3.0, 1500.5, None)
    >>> reading_value(36.599998474121094, float32=True)
    36.6
    """
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float32_value(value) if float32 else value
    return None


def epoch_ms(ts: dt.datetime) -> int:
    """Milliseconds since the Unix epoch, exact (no float rounding); a naive time is taken as UTC."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return (ts - _EPOCH) // _MS


def reading_ts_ms(
    source: dt.datetime | None, server: dt.datetime | None, received_ms: int
) -> tuple[int, bool]:
    """The reading's time in ms and whether it fell back from the source timestamp.

    >>> t = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    >>> reading_ts_ms(t, None, epoch_ms(t) + 50)
    (1795334400000, False)
    >>> reading_ts_ms(None, t, epoch_ms(t) + 50)
    (1795334400000, True)
    """
    for i, ts in enumerate((source, server)):
        if ts is None:
            continue
        ms = epoch_ms(ts)
        if EARLIEST_TS_MS <= ms <= received_ms + FUTURE_TOLERANCE_MS:
            return ms, i > 0
    return received_ms, True
