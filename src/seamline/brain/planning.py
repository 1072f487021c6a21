"""Order scheduling's domain: orders onto sewing lines, with styles, calendars, changeovers and learning.

All times are whole minutes from the problem's ``start`` (a timezone-aware UTC instant), on the wall
clock. A line works only inside its :class:`ShiftCalendar` (shifts less their breaks); windows where
it works slower or not at all (a breakdown, absent operators, output behind target) are
:class:`CapacityWindow` values with a capacity factor. An order's work is measured in working
minutes: ``quantity x garment SAM / (operators x efficiency)``, plus, after a style change, the
changeover and the learning loss of the new style's first pieces (Wright's curve, apparel-domain.md).

>>> cal = ShiftCalendar(shifts=(Shift(480, 480, ((720, 30),)),))
>>> line = PlanLine("L1", frozenset({"POLO"}), operators=20, efficiency=0.8, calendar=cal)
>>> style = PlanStyle("POLO", sam_min=12.0)
>>> round(line.run_min(style, 400), 1)   # 400 x 12 / (20 x 0.8)
300.0
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

DAY_MIN = 1440


@dataclass(frozen=True, slots=True)
class Shift:
    """One shift a day: it starts ``start_min`` after midnight (of the plan's first day), lasts
    ``length_min``, and stops for each ``(start_min, length_min)`` break, times from midnight too."""

    start_min: int
    length_min: int
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ShiftCalendar:
    """A line's week: its shifts, on the working days (0 = the plan's first day's weekday ... cyclic
    by 7 from the plan's first day, so ``workdays=(0, 1, 2, 3, 4, 5)`` is six days on, one off)."""

    shifts: tuple[Shift, ...]
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)

    def day_segments(self, day: int) -> list[tuple[int, int]]:
        """The working ``(start, end)`` minutes of plan day ``day`` (day 0 starts at minute 0)."""
        if day % 7 not in self.workdays:
            return []
        base = day * DAY_MIN
        out: list[tuple[int, int]] = []
        for shift in self.shifts:
            cuts = sorted((base + b, base + b + n) for b, n in shift.breaks)
            at, end = base + shift.start_min, base + shift.start_min + shift.length_min
            for b0, b1 in cuts:
                if b0 > at:
                    out.append((at, min(b0, end)))
                at = max(at, b1)
            if at < end:
                out.append((at, end))
        return sorted(out)


@dataclass(frozen=True, slots=True)
class CapacityWindow:
    """From ``start_min`` to ``end_min`` the line works at ``capacity`` of its normal pace (0: stopped)."""

    start_min: int
    end_min: int
    capacity: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PlanStyle:
    """A style as planning needs it: garment SAM and its learning curve after a style change.

    ``learning_pieces``: how many pieces a line makes before it reaches standard pace; ``learning_rate``:
    Wright's rate (each doubling of output costs this share of the time per piece).
    """

    id: str
    sam_min: float
    learning_rate: float = 0.85
    learning_pieces: int = 400


@dataclass(frozen=True, slots=True)
class PlanLine:
    """A sewing line: the styles it can make, its operators and their efficiency, its calendar.

    ``style_efficiency`` overrides ``efficiency`` per style (the operators' measured efficiency on the
    machine types that style needs); ``current_style`` is the style it has loaded (no changeover for
    that one); ``free_min`` is when it can start new work; ``windows`` are its slow or stopped times.
    """

    id: str
    styles: frozenset[str]
    operators: int
    efficiency: float
    calendar: ShiftCalendar
    current_style: str | None = None
    free_min: int = 0
    windows: tuple[CapacityWindow, ...] = ()
    style_efficiency: Mapping[str, float] = field(default_factory=dict, hash=False)

    def pace(self, style_id: str) -> float:
        """Operator-minutes of standard work the line produces per working minute."""
        return self.operators * self.style_efficiency.get(style_id, self.efficiency)

    def run_min(self, style: PlanStyle, quantity: int) -> float:
        """Working minutes for ``quantity`` pieces at standard pace."""
        return quantity * style.sam_min / self.pace(style.id)

    def learning_min(self, style: PlanStyle, quantity: int) -> float:
        """Working minutes lost to learning for an order's first ``quantity`` pieces after a change.

        Time per piece ``k`` is ``(k / K) ** b`` of standard for ``k < K`` (``K`` learning pieces,
        ``b = log2(rate)``); the loss is the integral of that excess, ``K x (x/K)^(b+1) / (b+1) - x``.
        """
        k = style.learning_pieces
        if k <= 0 or style.learning_rate >= 1.0:
            return 0.0
        b = math.log2(style.learning_rate)
        x = min(quantity, k)
        excess_pieces: float = k * (x / k) ** (b + 1) / (b + 1) - x
        return excess_pieces * style.sam_min / self.pace(style.id)


@dataclass(frozen=True, slots=True)
class PlanOrder:
    """An order to plan: ``quantity`` pieces still to make, due at ``due_min``, ``priority`` 0..9.

    ``release_min``: not before (fabric cut, trims in); ``pinned_line``: already running there, so it
    stays first on that line.
    """

    id: str
    style_id: str
    quantity: int
    due_min: int
    priority: int = 0
    release_min: int = 0
    pinned_line: str | None = None

    @property
    def weight(self) -> int:
        """The weight of each minute late: 1 for priority 0, up to 10 for priority 9."""
        return 1 + self.priority


@dataclass(frozen=True)  # no slots: the lookup tables below are cached on the instance
class PlanningProblem:
    """Orders, lines, styles, changeover times (minutes, ``(from, to)`` style pairs, else
    ``changeover_min``), and the wall-clock instant minute 0 stands for (ISO 8601, UTC)."""

    orders: tuple[PlanOrder, ...]
    lines: tuple[PlanLine, ...]
    styles: Mapping[str, PlanStyle] = field(hash=False)
    changeover_min: int = 90
    changeovers: Mapping[tuple[str, str], int] = field(default_factory=dict, hash=False)
    start: str = "1970-01-01T00:00:00+00:00"
    timezone: str = "UTC"

    @cached_property
    def orders_by_id(self) -> dict[str, PlanOrder]:
        return {o.id: o for o in self.orders}

    @cached_property
    def lines_by_id(self) -> dict[str, PlanLine]:
        return {line.id: line for line in self.lines}

    def changeover(self, from_style: str | None, to_style: str) -> int:
        """Minutes to change a line from one style to another (0 for the same, or an empty line's
        first order when ``from_style`` is None, which still needs its setup: ``changeover_min``)."""
        if from_style == to_style:
            return 0
        if from_style is None:
            return self.changeover_min
        return self.changeovers.get((from_style, to_style), self.changeover_min)

    def eligible(self, order: PlanOrder) -> tuple[PlanLine, ...]:
        """The lines that can make the order (its pinned line alone, when pinned)."""
        if order.pinned_line is not None:
            return tuple(line for line in self.lines if line.id == order.pinned_line)
        return tuple(line for line in self.lines if order.style_id in line.styles)

    def setup_min(self, line: PlanLine, prev_style: str | None, order: PlanOrder) -> float:
        """Changeover plus learning loss before ``order`` when the line last made ``prev_style``."""
        if prev_style == order.style_id:
            return 0.0
        style = self.styles[order.style_id]
        return self.changeover(prev_style, order.style_id) + line.learning_min(style, order.quantity)


class WorkClock:
    """A line's working time, cumulated minute by minute, to turn working minutes into wall minutes.

    ``worked(t)`` is the working minutes between 0 and ``t``; ``finish(t, work)`` the first minute by
    which ``work`` working minutes started at ``t`` are done. Built lazily over the days needed.
    """

    def __init__(self, line: PlanLine) -> None:
        self._calendar = line.calendar
        self._windows = sorted(line.windows, key=lambda w: w.start_min)
        self._ends: list[int] = [0]  # segment boundaries (minutes)
        self._cum: list[float] = [0.0]  # working minutes at each boundary
        self._rates: list[float] = []
        self._day = 0
        if not any(self._calendar.day_segments(d) for d in range(7)):
            raise ValueError("a shift calendar without working time")

    def _extend(self) -> None:
        """Add one more day of segments."""
        day = self._day
        self._day += 1
        for s0, s1 in self._calendar.day_segments(day):
            for a, b, rate in self._split(s0, s1):
                if a > self._ends[-1]:
                    self._push(a, 0.0)
                self._push(b, rate)
        if self._ends[-1] < (day + 1) * DAY_MIN:
            self._push((day + 1) * DAY_MIN, 0.0)

    def _push(self, end: int, rate: float) -> None:
        start = self._ends[-1]
        self._cum.append(self._cum[-1] + rate * (end - start))
        self._ends.append(end)
        self._rates.append(rate)

    def _split(self, s0: int, s1: int) -> list[tuple[int, int, float]]:
        """A working segment cut by the capacity windows: ``(start, end, rate)`` pieces."""
        cuts = {s0, s1}
        for w in self._windows:
            if w.end_min > s0 and w.start_min < s1:
                cuts.update(x for x in (w.start_min, w.end_min) if s0 < x < s1)
        points = sorted(cuts)
        out = []
        for a, b in itertools.pairwise(points):
            rate = 1.0
            for w in self._windows:
                if w.start_min <= a and w.end_min >= b:
                    rate *= max(0.0, min(1.0, w.capacity))
            out.append((a, b, rate))
        return out

    def worked(self, t: int) -> float:
        """Working minutes from minute 0 to minute ``t`` (0 before minute 0: a due date past)."""
        if t <= 0:
            return 0.0
        while self._ends[-1] < t:
            self._extend()
        i = bisect.bisect_right(self._ends, t) - 1
        if i >= len(self._rates):
            return self._cum[i]
        return self._cum[i] + self._rates[i] * (t - self._ends[i])

    def finish(self, t: int, work: float) -> int:
        """The first whole minute at which ``work`` working minutes started at ``t`` are done."""
        if work <= 0:
            return t
        target = self.worked(t) + work - 1e-9
        days = 0
        while self._cum[-1] < target:
            self._extend()
            days += 1
            if days > 3650:
                raise ValueError("no working time within ten years")
        i = bisect.bisect_left(self._cum, target)
        # the target lies inside segment i-1 (between _ends[i-1] and _ends[i])
        rate = self._rates[i - 1]
        t0 = self._ends[i - 1]
        end = t0 + (target - self._cum[i - 1]) / rate if rate > 0 else self._ends[i]
        return max(t, math.ceil(end - 1e-9))

    def _reach(self, w: float) -> None:
        days = 0
        while self._cum[-1] <= w:
            self._extend()
            days += 1
            if days > 3650:
                raise ValueError("no working time within ten years")

    def end_at(self, w: float) -> int:
        """The first whole minute by which ``w`` working minutes (from minute 0) are done."""
        if w <= 0:
            return 0
        target = w - 1e-9
        self._reach(target)
        i = bisect.bisect_left(self._cum, target)
        t0 = self._ends[i - 1]
        return math.ceil(t0 + (target - self._cum[i - 1]) / self._rates[i - 1] - 1e-9)

    def start_at(self, w: float) -> int:
        """The whole minute at which work resumes once ``w`` working minutes are done (the end of
        any stop there: the next shift's start, a repaired line's restart), rounded down."""
        target = w + 1e-9
        self._reach(target)
        i = bisect.bisect_right(self._cum, target)
        t0 = self._ends[i - 1]
        return math.floor(t0 + max(0.0, w - self._cum[i - 1]) / self._rates[i - 1] + 1e-9)

    def start_of_work(self, t: int) -> int:
        """The first minute at or after ``t`` when the line works (at any pace)."""
        self.worked(t)
        i = bisect.bisect_right(self._ends, t) - 1
        for _ in range(100_000):
            while i >= len(self._rates):
                self._extend()
            if self._rates[i] > 0:
                return max(t, self._ends[i])
            i += 1
        raise ValueError("no working time ahead")


__all__ = [
    "DAY_MIN",
    "CapacityWindow",
    "PlanLine",
    "PlanOrder",
    "PlanStyle",
    "PlanningProblem",
    "Shift",
    "ShiftCalendar",
    "WorkClock",
]
