"""PostgreSQL binary COPY for readings, built and parsed with numpy (no per-row Python).

The format is the one of the PostgreSQL 15 manual, "COPY", section "Binary Format": an
11-byte signature, a 32-bit flags field and a 32-bit header-extension length, then per tuple a
16-bit field count followed by each field as a 32-bit length and its bytes, all big-endian, and a
16-bit -1 trailer. A ``timestamptz`` travels as int64 microseconds since 2000-01-01 UTC.

Every reading tuple has the same size (no NULLs, fixed-width types), so a whole batch is one numpy
structured array of big-endian fields viewed as bytes.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

SIGNATURE: Final = b"PGCOPY\n\xff\r\n\x00"
HEADER: Final = SIGNATURE + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"  # no OIDs, no extension
TRAILER: Final = b"\xff\xff"
PG_EPOCH_MS: Final = 946_684_800_000  # 2000-01-01T00:00:00Z, PostgreSQL's timestamp zero

# (sensor_id int4, ts timestamptz, value float8), in the column order of the readings table
READING_IN: Final = np.dtype(
    [
        ("n", ">i2"),
        ("sensor_len", ">i4"),
        ("sensor_id", ">i4"),
        ("ts_len", ">i4"),
        ("ts_us", ">i8"),
        ("value_len", ">i4"),
        ("value", ">f8"),
    ]
)


def ms_to_pg_us(ts_ms: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Unix milliseconds to PostgreSQL timestamp microseconds (since 2000-01-01)."""
    return (ts_ms - PG_EPOCH_MS) * 1000


def pg_us_to_ms(ts_us: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """PostgreSQL timestamp microseconds to Unix milliseconds (floor, as stored times are whole ms)."""
    return ts_us // 1000 + PG_EPOCH_MS


def encode_readings(
    sensor_ids: npt.NDArray[np.int32], ts_ms: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
) -> bytes:
    """The binary COPY stream of ``(sensor_id, ts, value)`` tuples, header and trailer included.

    >>> buf = encode_readings(np.array([7], np.int32), np.array([PG_EPOCH_MS], np.int64), np.array([1.5]))
    >>> len(buf) == len(HEADER) + READING_IN.itemsize + len(TRAILER)
    True
    """
    rows = np.empty(len(sensor_ids), READING_IN)
    rows["n"] = 3
    rows["sensor_len"] = 4
    rows["sensor_id"] = sensor_ids
    rows["ts_len"] = 8
    rows["ts_us"] = ms_to_pg_us(ts_ms)
    rows["value_len"] = 8
    rows["value"] = values
    return b"".join((HEADER, rows.tobytes(), TRAILER))


def decode_readings(
    data: bytes,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Parse a binary COPY of ``(sensor_id int4, ts timestamptz, value float8)`` rows."""
    rows = _tuples(data, READING_IN)
    return (
        rows["sensor_id"].astype(np.int64),
        pg_us_to_ms(rows["ts_us"].astype(np.int64)),
        rows["value"].astype(np.float64),
    )


PAIRS: Final = np.dtype([("ts_us", ">i8"), ("value", ">f8")])  # timestamptz_send || float8send


def decode_pairs(data: bytes) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Parse the concatenated binary send forms of ``(ts timestamptz, value float8)`` pairs.

    >>> decode_pairs(bytes.fromhex("0000000000000000" "3ff8000000000000"))
    (array([946684800000]), array([1.5]))
    """
    rows = np.frombuffer(data, PAIRS)
    return pg_us_to_ms(rows["ts_us"].astype(np.int64)), rows["value"].astype(np.float64)


def _tuples(data: bytes, dtype: np.dtype[np.void]) -> npt.NDArray[np.void]:
    if not data:
        return np.empty(0, dtype)
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PostgreSQL binary COPY stream")
    start = len(SIGNATURE) + 8 + int.from_bytes(data[len(SIGNATURE) + 4 : len(SIGNATURE) + 8], "big")
    body = len(data) - start - len(TRAILER)
    if body % dtype.itemsize or data[-2:] != TRAILER:
        raise ValueError(f"unexpected tuple layout in a binary COPY of {dtype.names}")
    return np.frombuffer(data, dtype, count=body // dtype.itemsize, offset=start)
