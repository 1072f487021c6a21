"""The Nelson rules on a live chart: one point at a time against fixed limits, for alerts.

The monitor keeps only what the rules need to look back on (the current runs, the last five points'
zones), so each point costs the same however long it runs. It reports a violation at the point where
it fires, as :func:`~seamline.quality.spc.nelson_violations` records it in ``detected_at``; a run
that goes on is not reported again, but grows in :meth:`NelsonMonitor.value`, which always equals
``nelson_violations`` on the points seen so far.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from seamline.quality.spc.points import ChartPoint
from seamline.quality.spc.rules import ALL_RULES, RUN_LENGTH, WINDOW_RULES, Direction, Violation, rule_set


@dataclass(slots=True)
class _Run:
    """A run rule's current run: where it started, and the violation it raised, if it got that long."""

    rule: int
    direction: Direction | None
    lead: int  # points before the first flagged one that belong to the run (a step starts one back)
    start: int | None = None
    raised: int | None = None  # index of its violation in NelsonMonitor._found


@dataclass(slots=True)
class _Window:
    """Rule 5 or 6 on one side: the recent points beyond the zone line, and the last violation."""

    rule: int
    sign: int
    direction: Direction
    beyond: deque[int] = field(default_factory=deque)
    raised: int | None = None


class NelsonMonitor:
    """Checks the Nelson rules as points arrive, and returns the violations each point sets off.

    Feed it the points of one chart, in order, with their fixed limits (from a baseline's point
    methods, or a chart's :meth:`~seamline.quality.spc.ControlChart.chart_points`):

    >>> from seamline.quality.spc import UBaseline
    >>> dhu = UBaseline(u_bar=0.05)  # 5 DHU from last month's end-of-line checks
    >>> monitor = NelsonMonitor()
    >>> for defects in [3, 2, 9, 4]:  # 50 pieces checked each hour
    ...     for v in monitor.update(dhu.point(defects, 50)):
    ...         print(v.message)
    Rule 1: point 2 above the upper control limit
    """

    def __init__(self, rules: Iterable[int] = ALL_RULES) -> None:
        self._rules = rule_set(rules)
        self._count = 0
        self._found: list[Violation] = []
        self._last_z: float | None = None
        self._last_step = 0
        self._runs: dict[int, tuple[_Run, ...]] = {
            2: (_Run(2, "above", 0), _Run(2, "below", 0)),
            3: (_Run(3, "increasing", 1), _Run(3, "decreasing", 1)),
            4: (_Run(4, None, 2),),
            7: (_Run(7, None, 0),),
            8: (_Run(8, None, 0),),
        }
        self._windows = {r: (_Window(r, 1, "above"), _Window(r, -1, "below")) for r in WINDOW_RULES}

    @property
    def count(self) -> int:
        """Points seen so far; the next point gets this index."""
        return self._count

    def update(self, point: ChartPoint) -> tuple[Violation, ...]:
        """Takes the next point; returns the violations it sets off, in rule order (usually none)."""
        i = self._count
        self._count += 1
        z = point.z
        step = 0 if self._last_z is None else (z > self._last_z) - (z < self._last_z)
        new: list[Violation] = []
        if 1 in self._rules and (point.value > point.ucl or point.value < point.lcl):
            new.append(self._raise(Violation(1, (i,), i, "above" if point.value > point.ucl else "below")))
        flags = {
            2: (z > 0, z < 0),
            3: (step > 0, step < 0),
            4: (step * self._last_step == -1,),
            7: (abs(z) < 1,),
            8: (abs(z) > 1,),
        }
        for rule in sorted(self._rules - {1}):
            if rule in WINDOW_RULES:
                new += (v for w in self._windows[rule] if (v := self._window(w, z, i)) is not None)
            else:
                runs = zip(self._runs[rule], flags[rule], strict=True)
                new += (v for run, flag in runs if (v := self._run(run, flag, i)) is not None)
        self._last_z, self._last_step = z, step
        return tuple(new)

    def value(self) -> tuple[Violation, ...]:
        """Every violation so far, runs as far as they have gone: ``nelson_violations`` of the points."""
        return tuple(self._found)

    def _raise(self, v: Violation) -> Violation:
        self._found.append(v)
        return v

    def _run(self, run: _Run, flag: bool, i: int) -> Violation | None:
        """Moves a run rule on by point ``i``; returns a violation only when the run first fires."""
        if not flag:
            run.start = run.raised = None
            return None
        if run.start is None:
            run.start = i - run.lead
        need = RUN_LENGTH[run.rule]
        if i - run.start + 1 < need:
            return None
        v = Violation(run.rule, tuple(range(run.start, i + 1)), run.start + need - 1, run.direction)
        if run.raised is not None:
            self._found[run.raised] = v  # the run goes on: the same violation, longer
            return None
        run.raised = len(self._found)
        return self._raise(v)

    def _window(self, w: _Window, z: float, i: int) -> Violation | None:
        """Moves rule 5 or 6 on by point ``i``; returns a violation only when a new one fires."""
        window, need, k = WINDOW_RULES[w.rule]
        if w.sign * z > k:
            w.beyond.append(i)
        while w.beyond and w.beyond[0] <= i - window:
            w.beyond.popleft()
        if len(w.beyond) < need:
            return None
        if w.raised is not None:
            last = self._found[w.raised]
            if last.points[-1] > i - window:  # its last point is in this window: they merge
                more = tuple(p for p in w.beyond if p > last.points[-1])
                if more:
                    self._found[w.raised] = Violation(
                        w.rule, last.points + more, last.detected_at, w.direction
                    )
                return None
        w.raised = len(self._found)
        return self._raise(Violation(w.rule, tuple(w.beyond), i, w.direction))
