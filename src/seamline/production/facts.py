"""The sums every production KPI reads, kept as records and sessions arrive (apparel-domain.md 2.2).

The tables are bucketed by hour and by UTC day, and within a bucket by line, so that a question
reads only its own buckets: a day or a month of a line is a handful of dictionary look-ups, and
no figure rescans the records or splits sessions into hours at query time.

- :class:`Table` s of sums: per (workstation, operator, style, order, operation) of a line, [pieces,
  earned minutes, output pieces]; per the same and the kind of inspection, [inspections, checked,
  defective, defects]; per (kind, operation, operator, code, severity), [defects].
- :class:`Attendance`: minutes logged in per (workstation, operator) of a line. A session's hours
  are added when it ends, and those of a session still open as the floor's clock passes each hour
  (:meth:`Attendance.roll`), so that a question adds at most the last hour of each open session.

>>> att = Attendance()
>>> s = Session("OP1", "WS1", "L1", 30 * 60_000)
>>> att.roll([s], 2 * HOUR_MS)  # the floor's clock passed 02:00: 90 minutes are in the table
>>> att.close(s, 90 * 60_000)  # ... but the logout at 01:30 arrives late: 30 minutes come off
>>> sorted(att.minutes(0, 3 * HOUR_MS, 3 * HOUR_MS, [], hourly=True))
[((0, 'L1', 'WS1', 'OP1'), 30.0), ((3600000, 'L1', 'WS1', 'OP1'), 30.0)]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from seamline.production.hours import DAY_MS, HOUR_MS, hour_pieces, spans

FactKey = tuple[str, str, str, str, str]  # workstation, operator, style, order, operation
QualityKey = tuple[str, str, str, str, str, str]  # ... and the kind of inspection
DefectKey = tuple[str, str, str, str, str]  # kind, operation, operator, code, severity
_K = TypeVar("_K")
_R = TypeVar("_R")  # what a bucket holds per line


@dataclass(slots=True)
class Session:
    """An operator logged in at a workstation from ``login_ms`` until ``logout_ms`` (None: still in).
    ``counted_ms``: the attendance table holds the session's minutes up to here."""

    operator_id: str
    workstation_id: str
    line_id: str | None
    login_ms: int
    logout_ms: int | None = None
    counted_ms: int = -1  # -1: from its login

    def __post_init__(self) -> None:
        if self.counted_ms < 0:
            self.counted_ms = self.login_ms

    def covers(self, ts_ms: int) -> bool:
        return self.login_ms <= ts_ms and (self.logout_ms is None or ts_ms <= self.logout_ms)


class Table(Generic[_K]):
    """Sums of ``width`` numbers per key, by hour and by UTC day, per line: the production facts
    (pieces, earned minutes, output), the inspections (inspections, checked, defective, defects)
    and the defects by code (count)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.by_hour: dict[int, dict[str, dict[_K, list[float]]]] = {}
        self.by_day: dict[int, dict[str, dict[_K, list[float]]]] = {}
        # each line's sums per bucket: what a line's (or every line's) hours read, key by key no more
        self.line_hours: dict[int, dict[str, list[float]]] = {}
        self.line_days: dict[int, dict[str, list[float]]] = {}

    def add(self, ts_ms: int, line_id: str, key: _K, values: Sequence[float]) -> None:
        hour = ts_ms - ts_ms % HOUR_MS
        day = hour - hour % DAY_MS
        for table, totals, start in (
            (self.by_hour, self.line_hours, hour),
            (self.by_day, self.line_days, day),
        ):
            rows = table.setdefault(start, {}).setdefault(line_id, {})
            sums = rows.get(key)
            if sums is None:
                sums = rows[key] = [0.0] * self.width
            line = totals.setdefault(start, {}).get(line_id)
            if line is None:
                line = totals[start][line_id] = [0.0] * self.width
            for i, v in enumerate(values):
                sums[i] += v
                line[i] += v

    def buckets(
        self, lo: int, hi: int, *, hourly: bool, line_id: str | None = None
    ) -> Iterator[tuple[int, str, dict[_K, list[float]]]]:
        """(bucket start, line, sums) of the buckets covering the hours ``[lo, hi)``: whole UTC
        days from the day table (unless ``hourly``), the hours at either end from the hour table;
        only ``line_id``'s when given."""
        for t, table in _covering(self.by_hour, self.by_day, lo, hi, hourly=hourly):
            yield from _lines(t, table, line_id)

    def line_buckets(
        self, lo: int, hi: int, *, hourly: bool, line_id: str | None = None
    ) -> Iterator[tuple[int, str, list[float]]]:
        """(bucket start, line, the line's sums): :meth:`buckets` summed over each line's keys."""
        for t, table in _covering(self.line_hours, self.line_days, lo, hi, hourly=hourly):
            yield from _lines(t, table, line_id)


class Attendance:
    """Minutes logged in by hour and by UTC day, per line and (workstation, operator)."""

    def __init__(self) -> None:
        self.table: Table[tuple[str, str]] = Table(1)

    def roll(self, open_sessions: Iterable[Session], until_ms: int) -> None:
        """Add the open sessions' minutes up to ``until_ms`` (an hour boundary the floor passed)."""
        for s in open_sessions:
            if s.counted_ms < until_ms:
                self._add(s, s.counted_ms, until_ms, 1.0)
                s.counted_ms = until_ms

    def close(self, session: Session, logout_ms: int) -> None:
        """End a session: add its minutes not counted yet, or take off those counted past a logout
        that arrived late."""
        session.logout_ms = max(logout_ms, session.login_ms)
        if session.logout_ms >= session.counted_ms:
            self._add(session, session.counted_ms, session.logout_ms, 1.0)
        else:
            self._add(session, session.logout_ms, session.counted_ms, -1.0)
        session.counted_ms = session.logout_ms

    def minutes(
        self,
        lo: int,
        hi: int,
        now_ms: int,
        open_sessions: Iterable[Session],
        *,
        hourly: bool,
        line_id: str | None = None,
        per_line: bool = False,
    ) -> Iterator[tuple[tuple[int, str, str, str], float]]:
        """Minutes per (hour, line, workstation, operator) in the hours ``[lo, hi)`` (the hour is
        ``lo`` for every key unless ``hourly``), open sessions counted until ``now_ms``; only
        ``line_id``'s when given; per line only (workstation and operator "") when ``per_line``.
        An hour counted ahead of a logout that came late may hold about 0 minutes."""
        if per_line:
            for t, line, (m,) in self.table.line_buckets(lo, hi, hourly=hourly, line_id=line_id):
                yield (t if hourly else lo, line, "", ""), m
        else:
            for t, line, people in self.table.buckets(lo, hi, hourly=hourly, line_id=line_id):
                for (ws, op), (m,) in people.items():
                    yield (t if hourly else lo, line, ws, op), m
        for s in open_sessions:
            if line_id is not None and (s.line_id or "") != line_id:
                continue
            a, b = max(s.counted_ms, lo), min(max(now_ms, s.counted_ms), hi)
            who = (
                (s.line_id or "", "", "") if per_line else (s.line_id or "", s.workstation_id, s.operator_id)
            )
            for hour, x, y in hour_pieces(a, b) if hourly else ([(lo, a, b)] if a < b else []):
                yield (hour, *who), (y - x) / 60_000

    def _add(self, s: Session, a: int, b: int, sign: float) -> None:
        who = (s.workstation_id, s.operator_id)
        for _, x, y in hour_pieces(a, b):
            self.table.add(x, s.line_id or "", who, (sign * (y - x) / 60_000,))


def _covering(
    by_hour: dict[int, dict[str, _R]],
    by_day: dict[int, dict[str, _R]],
    lo: int,
    hi: int,
    *,
    hourly: bool,
) -> Iterator[tuple[int, dict[str, _R]]]:
    if not by_hour:
        return
    lo, hi = max(lo, min(by_hour)), min(hi, max(by_hour) + HOUR_MS)  # only where there is data
    for t, whole_day in spans(lo, hi, whole_days=not hourly):
        table = (by_day if whole_day else by_hour).get(t)
        if table:
            yield t, table


def _lines(start: int, table: dict[str, _R], line_id: str | None) -> Iterator[tuple[int, str, _R]]:
    if line_id is None:
        for line, rows in table.items():
            yield start, line, rows
    elif line_id in table:
        yield start, line_id, table[line_id]


__all__ = ["Attendance", "DefectKey", "FactKey", "QualityKey", "Session", "Table"]
