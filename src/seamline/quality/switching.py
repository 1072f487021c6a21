"""Switching between normal, tightened and reduced inspection (ISO 2859-1:1999 clause 9).

The switching rules apply to a continuing series of lots from one source: keep one
:class:`SwitchingState` per stream (a supplier or line, a style, a class of nonconformity) and
feed it every lot's verdict on original inspection (not resubmitted lots), in order. The state is
a value: ``update`` returns the next one.

>>> from seamline.quality import judge, single_plan
>>> s = SwitchingState("supplier-7/TS-01/major")
>>> for d in (0, 4, 0, 5):  # J, n 80, Ac 3 (AQL 1.5): the 2nd and 4th lots are not accepted
...     s = s.update(judge(single_plan(1000, "II", "1.5", s.inspection), d))
>>> print(s.change)
normal -> tightened: 2 of 5 or fewer consecutive lots not accepted on normal inspection (ISO 2859-1 9.3.1)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from seamline.quality.aql import LotVerdict
from seamline.quality.errors import InspectionDiscontinuedError, SwitchingError
from seamline.quality.tables import InspectionSeverity

NORMAL = InspectionSeverity.NORMAL
TIGHTENED = InspectionSeverity.TIGHTENED
REDUCED = InspectionSeverity.REDUCED

WINDOW = 5  # 9.3.1: "2 out of 5 or fewer consecutive lots"
NOT_ACCEPTED_FOR_TIGHTENED = 2
ACCEPTED_FOR_NORMAL = 5  # 9.3.2
SCORE_FOR_REDUCED = 30  # 9.3.3 a)
ACCEPTED_FOR_REDUCED = 10  # a score of 30 cannot be reached in fewer; kept explicit
NOT_ACCEPTED_TO_DISCONTINUE = 5  # 9.4


@dataclass(frozen=True, slots=True)
class SwitchingState:
    """Where one stream of lots stands in the switching scheme.

    ``switching_score`` is the 9.3.3.2 score, counted on normal inspection only and set to 0
    whenever normal inspection starts. ``recent_normal`` holds whether each of the last lots (at
    most 5) on normal inspection was accepted. ``not_accepted_on_tightened`` counts the lots not
    accepted since tightened inspection began (9.4). ``change`` says why the last lot changed the
    inspection, or is None when it did not.
    """

    stream: str = ""
    inspection: InspectionSeverity = NORMAL
    switching_score: int = 0
    recent_normal: tuple[bool, ...] = ()
    consecutive_accepted: int = 0
    not_accepted_on_tightened: int = 0
    discontinued: bool = False
    lots: int = 0
    change: str | None = None

    def update(
        self,
        verdict: LotVerdict,
        *,
        production_steady: bool = True,
        approved: bool = True,
        reinstate_normal: bool = False,
    ) -> SwitchingState:
        """The state after one more lot.

        ``production_steady`` is 9.3.3 b) for the switch to reduced inspection and, when False
        under reduced inspection, 9.3.4 b) ("production becomes irregular or delayed").
        ``approved``: the responsible authority considers reduced inspection desirable (9.3.3 c).
        ``reinstate_normal``: other conditions warrant normal inspection (9.3.4 c), under reduced.
        """
        if self.discontinued:
            raise InspectionDiscontinuedError(self.stream)
        if verdict.plan.inspection is not self.inspection:
            raise SwitchingError(
                self.stream,
                f"the lot was judged on {verdict.plan.inspection.value} inspection but the stream is on"
                f" {self.inspection.value} inspection: use a {self.inspection.value} plan",
                reason="inspection_mismatch",
            )
        counted = replace(self, lots=self.lots + 1, change=None)
        if self.inspection is NORMAL:
            return counted._after_normal(verdict, production_steady=production_steady, approved=approved)
        if self.inspection is TIGHTENED:
            return counted._after_tightened(verdict)
        return counted._after_reduced(
            verdict, production_steady=production_steady, reinstate_normal=reinstate_normal
        )

    def resume(self) -> SwitchingState:
        """Resume sampling after the supplier's corrective action: on tightened inspection, as if
        9.3.1 had been invoked (9.4)."""
        if not self.discontinued:
            raise SwitchingError(self.stream, "inspection is not discontinued: nothing to resume")
        return SwitchingState(
            self.stream,
            TIGHTENED,
            lots=self.lots,
            change="resumed on tightened inspection after corrective action (ISO 2859-1 9.4)",
        )

    def _after_normal(self, v: LotVerdict, *, production_steady: bool, approved: bool) -> SwitchingState:
        recent = (*self.recent_normal, v.accepted)[-WINDOW:]
        if recent.count(False) >= NOT_ACCEPTED_FOR_TIGHTENED:
            why = "2 of 5 or fewer consecutive lots not accepted on normal inspection (ISO 2859-1 9.3.1)"
            return self._switch(TIGHTENED, why)
        score = switching_score(self.switching_score, v)
        run = self.consecutive_accepted + 1 if v.accepted else 0
        if score >= SCORE_FOR_REDUCED and run >= ACCEPTED_FOR_REDUCED and production_steady and approved:
            why = (
                f"switching score {score} after {run} consecutive lots accepted on normal inspection,"
                " production steady, reduced inspection approved (ISO 2859-1 9.3.3)"
            )
            return self._switch(REDUCED, why)
        return replace(self, switching_score=score, recent_normal=recent, consecutive_accepted=run)

    def _after_tightened(self, v: LotVerdict) -> SwitchingState:
        run = self.consecutive_accepted + 1 if v.accepted else 0
        failed = self.not_accepted_on_tightened + (0 if v.accepted else 1)
        state = replace(self, consecutive_accepted=run, not_accepted_on_tightened=failed)
        if failed >= NOT_ACCEPTED_TO_DISCONTINUE:
            why = "5 lots not accepted on tightened inspection: inspection discontinued (ISO 2859-1 9.4)"
            return replace(state, discontinued=True, change=why)
        if run >= ACCEPTED_FOR_NORMAL:
            return state._switch(
                NORMAL, "5 consecutive lots accepted on tightened inspection (ISO 2859-1 9.3.2)"
            )
        return state

    def _after_reduced(
        self, v: LotVerdict, *, production_steady: bool, reinstate_normal: bool
    ) -> SwitchingState:
        reasons = []
        if not v.accepted:
            reasons.append("a lot not accepted (ISO 2859-1 9.3.4 a)")
        elif v.between_accept_and_reject:
            reasons.append("a lot accepted with Ac < nonconforming < Re (ANSI/ASQ Z1.4 10.1.4)")
        if not production_steady:
            reasons.append("production irregular or delayed (ISO 2859-1 9.3.4 b)")
        if reinstate_normal:
            reasons.append("other conditions warrant normal inspection (ISO 2859-1 9.3.4 c)")
        if reasons:
            return self._switch(NORMAL, "; ".join(reasons))
        return replace(self, consecutive_accepted=self.consecutive_accepted + 1)

    def _switch(self, to: InspectionSeverity, why: str) -> SwitchingState:
        # Every counter restarts with the new inspection; the score is 0 at the start of normal (9.3.3.2).
        return replace(
            self,
            inspection=to,
            switching_score=0,
            recent_normal=(),
            consecutive_accepted=0,
            not_accepted_on_tightened=0,
            change=f"{self.inspection.value} -> {to.value}: {why}",
        )


def switching_score(score: int, verdict: LotVerdict) -> int:
    """The switching score after one more lot on normal inspection, single sampling (ISO 2859-1:1999
    9.3.3.2 a): with Ac of 2 or more, add 3 if the lot would have been accepted with the AQL one
    step tighter, otherwise reset to 0; with Ac of 0 or 1, add 2 if the lot is accepted,
    otherwise reset to 0.

    >>> from seamline.quality import judge, single_plan
    >>> plan = single_plan(1000, "II", "2.5")  # J, n 80, Ac 5; AQL 1.5 (one step tighter): Ac 3
    >>> switching_score(6, judge(plan, 3)), switching_score(6, judge(plan, 4))
    (9, 0)
    """
    if verdict.plan.accept >= 2:
        return score + 3 if verdict.accepted_one_step_tighter else 0
    return score + 2 if verdict.accepted else 0
