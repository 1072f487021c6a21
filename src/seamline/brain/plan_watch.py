"""The brain follows the floor: every ``interval_s`` it reads what the production records say
(machines in fault, operators not badged in, lines behind their planned efficiency; see
:mod:`.plan_floor`) and, when something is there that neither the plan in force nor an earlier
proposal answered, proposes a reschedule by itself (made by ``brain``). The standing approval
policy may apply it at once; otherwise it waits on the planning board for a planner or supervisor.
Nothing happens before a person has approved a first plan.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from seamline.brain.plan_records import Decision, DecisionLog
from seamline.brain.plan_service import events_on_floor, make_proposal, problem_at
from seamline.brain.reschedule_events import Event
from seamline.model.factory import Factory

log = logging.getLogger(__name__)


def event_key(e: Event) -> tuple[str, str, str]:
    """What makes two events the same happening: its kind, its line, and the machine or operators."""
    who = getattr(e, "device_id", None) or ",".join(getattr(e, "operator_ids", ()) or ())
    return (str(getattr(e, "kind", type(e).__name__)), str(getattr(e, "line_id", "")), who or "")


class FloorWatch:
    """Reads the floor every ``interval_s`` on a thread of its own; :meth:`check` is one look."""

    def __init__(
        self,
        factory: Factory,
        engine: Any,
        decisions: DecisionLog,
        *,
        interval_s: float,
        time_limit_s: float = 3.0,
    ) -> None:
        self.factory = factory
        self.engine = engine
        self.decisions = decisions
        self.interval_s = interval_s
        self.time_limit_s = time_limit_s
        self.proposals = 0  # made by the watch
        self.last_error: str | None = None
        self._answered: set[tuple[str, str, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self, now: dt.datetime | None = None) -> Decision | None:
        """One look at the floor: a proposal when something new is there, else None."""
        in_force = self.decisions.in_force()
        if in_force is None:
            return None
        now = now or dt.datetime.now(dt.UTC)
        problem = problem_at(self.factory, self.engine, now)
        events = events_on_floor(self.factory, self.engine, problem, now)
        answered = self._answered | {event_key(e) for d in self.decisions.all() for e in d.proposal.events}
        fresh = [e for e in events if event_key(e) not in answered]
        if not fresh:
            return None
        decision = make_proposal(
            self.factory,
            self.engine,
            self.decisions,
            problem,
            tuple(events),
            now,
            time_limit_s=self.time_limit_s,
            seed=0,
            by="brain",
        )
        self._answered |= {event_key(e) for e in events}
        self.proposals += 1
        log.info("the floor changed (%s): proposal %s, %s", ", ".join(k[0] for k in map(event_key, fresh)),
                 decision.id, decision.status)  # fmt: skip
        return decision

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="seamline-floor-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
                self.last_error = None
            except Exception as exc:  # the watch must outlive one bad look; the next may be fine
                self.last_error = repr(exc)
                log.exception("the brain's look at the floor failed")


__all__ = ["FloorWatch", "event_key"]
