"""Machine time and downtime from device events (apparel-domain.md 2.2-2.4, 7).

``state`` events (``off``, ``idle``, ``running``, ``fault``, sent on each change) give each
machine's seconds in each state per hour: utilisation is running time over the time the machine
was on (idle + running + fault). A death certificate is ``no_signal`` from the death on (the
machine went out of reach; it is not known to be off). ``downtime`` events from controllers and
line tablets open a downtime with its reason and close it with ``duration_s``; they become
:class:`Downtime` records, at most one open per workstation and reason. An ``idle``, ``fault`` or
``no_signal`` state that lasts a threshold or longer with no report over it becomes an
``unassigned`` stop, which a supervisor gives its
reason later (a ``decision`` event with ``action: assign``), so that no lost time goes
unexplained. Breakdowns (``machine_breakdown``) give each machine's MTTR (mean repair time) and
MTBF (running time per breakdown).

>>> book = MachineBook()
>>> book.state("L1-S01", "L1", 0, "idle")
>>> book.state("L1-S01", "L1", 60_000, "running")
>>> book.state("L1-S01", "L1", 240_000, "idle")
>>> book.seconds(0, 300_000, now_ms=300_000)[("L1", "L1-S01")]
{'idle': 120.0, 'running': 180.0}
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from seamline.model.factory import NO_SIGNAL
from seamline.production.hours import DAY_MS, HOUR_MS, hour_pieces, spans
from seamline.store.base import StateChanges

STATES: Final = ("off", "idle", "running", "fault", NO_SIGNAL)
BREAKDOWN: Final = "machine_breakdown"
UNASSIGNED: Final = "unassigned"
STOPPED: Final = frozenset({"idle", "fault", NO_SIGNAL})  # states that are lost time when they last
DEFAULT_THRESHOLD_S: Final = 120.0
LATE_WINDOW_MS: Final = 4 * 3_600_000  # how late a state change may come and still slot in
_STATE_CODE: Final = {s: i for i, s in enumerate(STATES)}
_STOPPED_CODES: Final = [_STATE_CODE[s] for s in sorted(STOPPED)]


@dataclass(slots=True)
class Downtime:
    """A stop of one workstation's machine, with its reason; ``end_ms`` None while it lasts."""

    id: int
    line_id: str
    workstation_id: str
    device_id: str
    reason: str
    start_ms: int
    end_ms: int | None = None
    source: str = "reported"  # reported by a controller or tablet, or "state": a long idle or fault
    assigned_by: str | None = None  # who gave an unassigned stop its reason

    @property
    def key(self) -> str:
        """What a ``decision`` event names to give it a reason, whatever order events came in."""
        return f"downtime|{self.device_id}|{self.start_ms}"

    def duration_s(self, now_ms: int) -> float:
        end = self.end_ms if self.end_ms is not None else max(now_ms, self.start_ms)
        return (end - self.start_ms) / 1000.0


class MachineBook:
    """State seconds per machine and hour, and downtime records, updated event by event."""

    def __init__(self, threshold_s: float = DEFAULT_THRESHOLD_S) -> None:
        """An idle or fault state lasting ``threshold_s`` or longer with no reported downtime over it
        becomes an ``unassigned`` stop for a supervisor or mechanic to give a reason."""
        self.threshold_ms = int(threshold_s * 1000)
        self.by_key: dict[str, Downtime] = {}
        self._by_device: dict[str, list[Downtime]] = {}
        # (line, device, state) -> ms, by hour; whole UTC days are summed from their hours when first
        # asked for and kept until a late state changes them: a month's question reads 30 buckets
        self.by_hour: dict[int, dict[tuple[str, str, str], int]] = {}
        self._days: dict[int, dict[tuple[str, str, str], int]] = {}
        self.current: dict[str, tuple[str, str, int]] = {}  # device -> (line, state, since)
        self.downtimes: list[Downtime] = []
        self._open: dict[tuple[str, str], Downtime] = {}  # (workstation, reason) -> open downtime
        self.by_id: dict[int, Downtime] = {}
        self._ids = 0
        # each machine's changes of the last LATE_WINDOW_MS, oldest first: (ts, state, line), so
        # that one back-filled after an outage slots in where it belongs
        self._timeline: dict[str, list[tuple[int, str, str]]] = {}
        self._trimmed: set[str] = set()  # machines whose timeline lost its oldest changes
        self.late_states = 0  # state changes older than the window: not replayed
        self.newest_ms = 0  # the newest state or report, or the floor's clock: "now" for current states

    def state(self, device_id: str, line_id: str, ts_ms: int, state: str) -> None:
        if state not in STATES:
            return
        self.newest_ms = max(self.newest_ms, ts_ms)
        cur = self.current.get(device_id)
        if cur is not None:
            cur_line, cur_state, since = cur
            if ts_ms < since:
                self._late(device_id, line_id, ts_ms, state)
                return
            hour = since - since % HOUR_MS
            if ts_ms <= hour + HOUR_MS:  # within one hour, as nearly every state is: inline
                bucket = self.by_hour.get(hour)
                if bucket is None:
                    bucket = self.by_hour[hour] = {}
                key = (cur_line, device_id, cur_state)
                bucket[key] = bucket.get(key, 0) + ts_ms - since
                if self._days:
                    self._days.pop(hour - hour % DAY_MS, None)
            else:
                self._add(cur_line, device_id, cur_state, since, ts_ms)
            if cur_state in STOPPED and ts_ms - since >= self.threshold_ms:
                self._unexplained(device_id, cur_line, since, ts_ms)
        self.current[device_id] = (line_id, state, ts_ms)
        timeline = self._timeline.setdefault(device_id, [])
        timeline.append((ts_ms, state, line_id))
        if timeline[0][0] < ts_ms - LATE_WINDOW_MS:
            self._trim(device_id, timeline)

    def _trim(self, device_id: str, timeline: list[tuple[int, str, str]]) -> None:
        """Forget a machine's changes older than the window (keeping the one in force then)."""
        keep = bisect.bisect_right(timeline, timeline[-1][0] - LATE_WINDOW_MS, key=_at) - 1
        if keep > 0:
            del timeline[:keep]
            self._trimmed.add(device_id)

    def _late(self, device_id: str, line_id: str, ts_ms: int, state: str) -> None:
        """A change older than the machine's current state (back-filled after an outage, or
        overtaken by a newer message): it cuts the interval it falls in, moving the time from it
        to the end of that interval into its own state, and the stops follow."""
        timeline = self._timeline[device_id]  # a machine with a current state has one
        i = bisect.bisect_right(timeline, ts_ms, key=_at)
        if i == 0 and device_id in self._trimmed:
            self.late_states += 1  # older than the window: not replayed
            return
        until = timeline[i][0]
        self._add(line_id, device_id, state, ts_ms, until)
        timeline.insert(i, (ts_ms, state, line_id))
        if i == 0:  # before the machine's first change known: the time until it is this state's
            if state in STOPPED and until - ts_ms >= self.threshold_ms:
                self._unexplained(device_id, line_id, ts_ms, until)
            return
        since, was, was_line = timeline[i - 1]
        self._add(was_line, device_id, was, ts_ms, until, -1)
        cut = self.by_key.get(f"downtime|{device_id}|{since}")
        if cut is not None and cut.source == "state" and cut.end_ms == until:
            if ts_ms - since >= self.threshold_ms:
                cut.end_ms = ts_ms
            else:
                self._drop(cut)
        if state in STOPPED and until - ts_ms >= self.threshold_ms:
            self._unexplained(device_id, line_id, ts_ms, until)

    def states(self, changes: StateChanges, line_of: Mapping[str, str]) -> None:
        """Many state events at once, in the order they came (each device on its line in
        ``line_of``, else on none), with the result of :meth:`state` one by one: the same hour
        buckets, stops and current states (stops numbered in the order their ends came, when the
        changes came in time order). The arithmetic is numpy's, so that a rebuild or an import
        applies a month of machine states in seconds. Nothing else may come to the book in between:
        a caller applies the states before a report or a decision."""
        known = np.array([_STATE_CODE.get(s, -1) for s in changes.states], np.int8)
        codes = known[changes.state] if len(known) else np.zeros(0, np.int8)
        ok = codes >= 0
        if not ok.any():
            return
        ts, codes, devs = changes.ts_ms[ok], codes[ok], changes.device[ok]
        self.newest_ms = max(self.newest_ms, int(ts.max()))
        dev_names = changes.devices
        dev_index = {d: i for i, d in enumerate(dev_names)}
        before = {d: self.current[d] for d in dev_names if d in self.current}
        line_names = sorted({line_of.get(d, "") for d in dev_names} | {c[0] for c in before.values()})
        line_index = {ln: i for i, ln in enumerate(line_names)}
        lines = np.array([line_index[line_of.get(d, "")] for d in dev_names], np.int64)[devs]
        order = np.arange(len(ts), dtype=np.int64)  # the position each event came in: 0, 1, ...
        if before:  # each device's state before the batch: a first event at position -1, accepted
            devs = np.concatenate([np.array([dev_index[d] for d in before], devs.dtype), devs])
            lines = np.concatenate([np.array([line_index[c[0]] for c in before.values()], np.int64), lines])
            ts = np.concatenate([np.array([c[2] for c in before.values()], np.int64), ts])
            codes = np.concatenate([np.array([_STATE_CODE[c[1]] for c in before.values()], np.int8), codes])
            order = np.concatenate([np.full(len(before), -1, np.int64), order])
        by_dev = np.argsort(devs, kind="stable")  # each device's events in arrival order (radix sort)
        devs, lines, ts, codes, order = devs[by_dev], lines[by_dev], ts[by_dev], codes[by_dev], order[by_dev]
        # a change older than the machine's state before the batch slots in alone (`_late`); the
        # others are taken in time order, each device's nearly sorted already (timsort is linear)
        floor = np.full(len(dev_names), np.iinfo(np.int64).min, np.int64)
        for d, c in before.items():
            floor[dev_index[d]] = c[2]
        late = (order >= 0) & (ts < floor[devs])
        late_rows = [
            (int(order[j]), dev_names[devs[j]], line_names[lines[j]], int(ts[j]), STATES[codes[j]])
            for j in np.flatnonzero(late).tolist()
        ]
        keep = ~late
        devs, lines, ts, codes, order = devs[keep], lines[keep], ts[keep], codes[keep], order[keep]
        by_time = np.argsort(devs.astype(np.int64) * (1 << 43) + ts, kind="stable")
        devs, lines, ts, codes, order = (
            devs[by_time],
            lines[by_time],
            ts[by_time],
            codes[by_time],
            order[by_time],
        )
        same = devs[1:] == devs[:-1]  # interval k: from event k to event k + 1 of the same device
        since, end = ts[:-1][same], ts[1:][same]
        i_dev, i_line, i_code = devs[:-1][same], lines[:-1][same], codes[:-1][same]
        hour = since - since % HOUR_MS
        inline = end <= hour + HOUR_MS  # nearly every interval: summed per hour, line, device, state
        if inline.any():
            self._add_inline(
                hour[inline],
                i_dev[inline].astype(np.int64) * len(line_names) + i_line[inline],
                i_code[inline],
                (end - since)[inline],
                [(line, dev) for dev in dev_names for line in line_names],
            )
        for j in np.flatnonzero(~inline).tolist():
            self._add(
                line_names[i_line[j]], dev_names[i_dev[j]], STATES[i_code[j]], int(since[j]), int(end[j])
            )
        stopped = np.isin(i_code, _STOPPED_CODES) & (end - since >= self.threshold_ms)
        closed_at = order[1:][same]  # a stop is made when the change that ends it comes
        for j in sorted(np.flatnonzero(stopped).tolist(), key=lambda j: int(closed_at[j])):
            self._unexplained(dev_names[i_dev[j]], line_names[i_line[j]], int(since[j]), int(end[j]))
        newest = np.flatnonzero(np.append(~same, True))  # each device's newest change
        for j in newest.tolist():
            self.current[dev_names[devs[j]]] = (line_names[lines[j]], STATES[codes[j]], int(ts[j]))
        recent = (order >= 0) & (ts >= np.repeat(ts[newest], np.diff(np.append(-1, newest))) - LATE_WINDOW_MS)
        for j in np.flatnonzero(recent).tolist():  # the window a late change may slot into
            self._timeline.setdefault(dev_names[devs[j]], []).append(
                (int(ts[j]), STATES[codes[j]], line_names[lines[j]])
            )
        for d in {dev_names[devs[j]] for j in newest.tolist()}:
            timeline = self._timeline.get(d)
            if timeline and timeline[0][0] < timeline[-1][0] - LATE_WINDOW_MS:
                self._trim(d, timeline)
        for _, d, line, t, state in sorted(late_rows):  # in the order they came
            self._late(d, line, t, state)

    def _add_inline(
        self,
        hour: npt.NDArray[np.int64],
        pair: npt.NDArray[np.int64],
        codes: npt.NDArray[np.int8],
        ms: npt.NDArray[np.int64],
        pairs: Sequence[tuple[str, str]],
    ) -> None:
        """Add intervals that each lie within one hour to the hour buckets: ``pair`` indexes
        ``pairs`` of (line, device). One count over dense (hour, pair present, state) cells."""
        used = np.zeros(len(pairs), np.bool_)
        used[pair] = True
        present = np.flatnonzero(used)
        dense = np.cumsum(used) - 1  # a pair's place among those present
        h0 = int(hour.min())
        n_pair, n_code = len(present), len(STATES)
        cell = ((hour - h0) // HOUR_MS * n_pair + dense[pair]) * n_code + codes
        size = (int(hour.max()) - h0) // HOUR_MS * n_pair * n_code + n_pair * n_code
        counts = np.bincount(cell, minlength=size)
        sums = np.bincount(cell, ms, minlength=size)
        for k in np.flatnonzero(counts).tolist():
            rest, c = divmod(k, n_code)
            h, p = divmod(rest, n_pair)
            h_ms = h0 + h * HOUR_MS
            bucket = self.by_hour.setdefault(h_ms, {})
            key = (*pairs[present[p]], STATES[c])
            bucket[key] = bucket.get(key, 0) + round(sums[k])
            self._days.pop(h_ms - h_ms % DAY_MS, None)

    def _unexplained(self, device_id: str, line_id: str, start: int, end: int) -> None:
        """A long idle or fault with no report over it becomes an unassigned stop."""
        if any(d.device_id == device_id and d.start_ms < end for d in self._open.values()):
            return  # a report still open covers it
        for d in reversed(self._by_device.get(device_id, ())):  # newest first: overlaps are recent
            if d.start_ms < end and (d.end_ms is None or d.end_ms > start):
                return  # a controller or tablet reported it, with its reason
            if d.start_ms < start - DAY_MS:
                break  # closed stops a day older cannot overlap it; open ones were checked above
        stop = Downtime(self._next_id(), line_id, "", device_id, UNASSIGNED, start, end, source="state")
        self._append(stop)

    def assign(self, key: str, reason: str, by: str | None) -> Downtime | None:
        """Give a stop its reason (a ``decision`` event); None when no such stop is known."""
        stop = self.by_key.get(key)
        if stop is not None:
            stop.reason, stop.assigned_by = reason, by or "supervisor"
        return stop

    def open_stops(self) -> list[Downtime]:
        """The reported stops going on now (a report opened them, none closed them yet)."""
        return list(self._open.values())

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _append(self, stop: Downtime) -> None:
        self.downtimes.append(stop)
        self.by_id[stop.id] = stop
        self.by_key[stop.key] = stop
        self._by_device.setdefault(stop.device_id, []).append(stop)

    def _drop(self, stop: Downtime) -> None:
        """Take back an unassigned stop that a late state change cut below the threshold."""
        self.downtimes.remove(stop)
        del self.by_id[stop.id], self.by_key[stop.key]
        self._by_device[stop.device_id].remove(stop)

    def downtime(
        self,
        device_id: str,
        line_id: str,
        workstation_id: str,
        ts_ms: int,
        reason: str,
        duration_s: float | None,
    ) -> None:
        """An open (no duration) or closing (with ``duration_s``) downtime report."""
        self.newest_ms = max(self.newest_ms, ts_ms)
        key = (workstation_id, reason)
        if duration_s is None:
            if key not in self._open:
                opened = Downtime(self._next_id(), line_id, workstation_id, device_id, reason, ts_ms)
                self._append(opened)
                self._open[key] = opened
            return
        found = self._open.pop(key, None)
        if found is None:  # only the closing report arrived: its duration says when it began
            start = ts_ms - round(duration_s * 1000)
            found = Downtime(self._next_id(), line_id, workstation_id, device_id, reason, start)
            self._append(found)
        found.end_ms = max(ts_ms, found.start_ms)

    def seconds(
        self, start_ms: int, end_ms: int, *, now_ms: int | None = None
    ) -> dict[tuple[str, str], dict[str, float]]:
        """(line, device) -> seconds per state within the hours overlapping ``[start_ms, end_ms)``,
        the current state counted until ``now_ms`` (default: the newest event)."""
        lo = start_ms - start_ms % HOUR_MS
        out: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for bucket in self._buckets(lo, end_ms):
            for (line, device, state), ms in bucket.items():
                out[(line, device)][state] += ms / 1000.0
        now = self.newest_ms if now_ms is None else now_ms
        for device, (line, state, since) in self.current.items():
            a, b = max(since, lo), min(now, end_ms)
            if a < b:
                out[(line, device)][state] += (b - a) / 1000.0
        return {k: dict(v) for k, v in out.items()}

    def _buckets(self, lo: int, hi: int) -> Iterator[dict[tuple[str, str, str], int]]:
        """Whole UTC days from the day buckets, the hours at either end from the hour buckets."""
        if not self.by_hour:
            return
        lo, hi = max(lo, min(self.by_hour)), min(hi, max(self.by_hour) + HOUR_MS)
        for t, whole_day in spans(lo, hi, whole_days=True):
            if whole_day:
                yield self._day(t)
            elif t in self.by_hour:
                yield self.by_hour[t]

    def _day(self, day: int) -> dict[tuple[str, str, str], int]:
        got = self._days.get(day)
        if got is None:
            got = {}
            for hour in range(day, day + DAY_MS, HOUR_MS):
                for key, ms in self.by_hour.get(hour, {}).items():
                    got[key] = got.get(key, 0) + ms
            self._days[day] = got
        return got

    def _add(self, line_id: str, device_id: str, state: str, a: int, b: int, sign: int = 1) -> None:
        key = (line_id, device_id, state)
        for hour, x, y in hour_pieces(a, b):
            bucket = self.by_hour.setdefault(hour, {})
            bucket[key] = bucket.get(key, 0) + sign * (y - x)
            self._days.pop(hour - hour % DAY_MS, None)


@dataclass(frozen=True, slots=True)
class Reliability:
    """A machine's breakdowns over a span: MTBF = running hours / breakdowns, MTTR = mean repair."""

    breakdowns: int
    running_h: float
    repair_min: float

    @property
    def mtbf_h(self) -> float | None:
        return self.running_h / self.breakdowns if self.breakdowns else None

    @property
    def mttr_min(self) -> float | None:
        return self.repair_min / self.breakdowns if self.breakdowns else None


def reliability(
    book: MachineBook, start_ms: int, end_ms: int, now_ms: int | None = None
) -> dict[str, Reliability]:
    """Per device, the breakdowns that began in ``[start_ms, end_ms)`` and its running time there."""
    now = book.newest_ms if now_ms is None else now_ms
    count: dict[str, int] = defaultdict(int)
    repair: dict[str, float] = defaultdict(float)
    for d in book.downtimes:
        if d.reason == BREAKDOWN and start_ms <= d.start_ms < end_ms:
            count[d.device_id] += 1
            repair[d.device_id] += d.duration_s(now) / 60.0
    running = {
        dev: s.get("running", 0.0) for (_, dev), s in book.seconds(start_ms, end_ms, now_ms=now).items()
    }
    return {
        dev: Reliability(count.get(dev, 0), running.get(dev, 0.0) / 3600.0, repair.get(dev, 0.0))
        for dev in set(count) | set(running)
    }


def reason_pareto(
    book: MachineBook, start_ms: int, end_ms: int, *, line_id: str | None = None, now_ms: int | None = None
) -> list[tuple[str, int, float]]:
    """(reason, stops, minutes) of the downtime overlapping ``[start_ms, end_ms)``, longest first."""
    now = book.newest_ms if now_ms is None else now_ms
    stops: dict[str, int] = defaultdict(int)
    minutes: dict[str, float] = defaultdict(float)
    for d in book.downtimes:
        if line_id is not None and d.line_id != line_id:
            continue
        end = d.end_ms if d.end_ms is not None else max(now, d.start_ms)
        a, b = max(d.start_ms, start_ms), min(end, end_ms)
        if a < b or (a == b and d.start_ms >= start_ms and d.start_ms < end_ms):
            stops[d.reason] += 1
            minutes[d.reason] += max(0, b - a) / 60_000
    return sorted(((r, stops[r], minutes[r]) for r in stops), key=lambda x: (-x[2], x[0]))


def _at(change: tuple[int, str, str]) -> int:
    return change[0]


__all__ = ["UNASSIGNED", "Downtime", "MachineBook", "Reliability", "reason_pareto", "reliability"]
