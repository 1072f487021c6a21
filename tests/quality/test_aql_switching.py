"""The switching rules of ISO 2859-1:1999 clause 9, one test per transition and some that must not
switch, with the switching score (9.3.3.2) added up lot by lot."""

from __future__ import annotations

import pytest

from seamline.quality import (
    InspectionDiscontinuedError,
    InspectionSeverity,
    SwitchingError,
    SwitchingState,
    judge,
    single_plan,
    switching_score,
)

NORMAL = InspectionSeverity.NORMAL
TIGHTENED = InspectionSeverity.TIGHTENED
REDUCED = InspectionSeverity.REDUCED

# The stream's plans: lot 1,000 at level II -> J; AQL 2.5.
#   normal     J, n 80, Ac 5 / Re 6; one step tighter (AQL 1.5): Ac 3
#   tightened  J, n 80, Ac 3 / Re 4
#   reduced    J, n 32, Ac 2 / Re 5 (Z1.4: 3 or 4 accepts but reinstates normal)
LOT, AQL = 1000, "2.5"
GOOD, BORDERLINE, BAD = 0, 4, 6  # on normal: +3 to the score; accepted but score to 0; not accepted


def lot(state: SwitchingState, nonconforming: int, **conditions: bool) -> SwitchingState:
    plan = single_plan(LOT, "II", AQL, state.inspection)
    return state.update(judge(plan, nonconforming), **conditions)


def lots(state: SwitchingState, *counts: int) -> SwitchingState:
    for d in counts:
        state = lot(state, d)
    return state


def test_the_plans_this_file_relies_on() -> None:
    n = single_plan(LOT, "II", AQL, NORMAL)
    t = single_plan(LOT, "II", AQL, TIGHTENED)
    r = single_plan(LOT, "II", AQL, REDUCED)
    assert (n.sample_size, n.accept, n.reject) == (80, 5, 6)
    assert (t.sample_size, t.accept, t.reject) == (80, 3, 4)
    assert (r.sample_size, r.accept, r.reject) == (32, 2, 5)
    assert judge(n, 3).accepted_one_step_tighter  # 3 <= Ac 3 of AQL 1.5
    assert not judge(n, BORDERLINE).accepted_one_step_tighter
    assert judge(n, BORDERLINE).accepted
    assert not judge(n, BAD).accepted


def test_a_stream_starts_on_normal_with_a_zero_score() -> None:
    s = SwitchingState("supplier-7/TS-01/major")
    assert (s.inspection, s.switching_score, s.lots, s.change) == (NORMAL, 0, 0, None)


def test_normal_to_tightened_when_2_of_5_consecutive_lots_are_not_accepted() -> None:
    # lots 1..5: bad, good, good, good, bad -> the 2nd rejection is the 5th lot of the run
    s = lots(SwitchingState("s"), BAD, GOOD, GOOD, GOOD)
    assert s.inspection is NORMAL
    s = lot(s, BAD)
    assert s.inspection is TIGHTENED
    assert s.change is not None
    assert s.change.startswith("normal -> tightened: 2 of 5")
    assert s.lots == 5


def test_two_rejections_six_lots_apart_do_not_tighten() -> None:
    # bad, then 4 good, then bad: any 5 consecutive lots hold at most one rejection
    s = lots(SwitchingState("s"), BAD, GOOD, GOOD, GOOD, GOOD, BAD)
    assert s.inspection is NORMAL
    assert s.change is None
    assert s.recent_normal == (True, True, True, True, False)


def test_tightened_to_normal_after_5_consecutive_accepted_lots() -> None:
    s = lots(SwitchingState("s"), BAD, BAD)
    assert s.inspection is TIGHTENED
    s = lots(s, GOOD, GOOD, GOOD, GOOD)  # tightened Ac 3: 0 accepts
    assert s.inspection is TIGHTENED
    assert s.consecutive_accepted == 4
    s = lot(s, GOOD)
    assert s.inspection is NORMAL
    assert s.change is not None
    assert "5 consecutive lots accepted on tightened" in s.change
    assert (s.switching_score, s.recent_normal, s.consecutive_accepted) == (0, (), 0)


def test_a_rejection_on_tightened_restarts_the_run_of_five() -> None:
    s = lots(SwitchingState("s"), BAD, BAD, GOOD, GOOD, GOOD, GOOD, 4, GOOD, GOOD, GOOD, GOOD)
    # 4 nonconforming > tightened Ac 3: not accepted; then only 4 accepted in a row
    assert s.inspection is TIGHTENED
    assert s.not_accepted_on_tightened == 1


def test_discontinue_when_5_lots_are_not_accepted_on_tightened() -> None:
    # ISO 2859-1 9.4 counts the lots not accepted while tightened lasts, consecutive or not.
    s = lots(SwitchingState("s"), BAD, BAD)
    s = lots(s, 4, GOOD, 4, GOOD, GOOD, 4, 4)
    assert (s.not_accepted_on_tightened, s.discontinued) == (4, False)
    s = lot(s, 4)
    assert s.discontinued
    assert s.change is not None
    assert "discontinued" in s.change
    with pytest.raises(InspectionDiscontinuedError) as caught:
        lot(s, GOOD)
    assert caught.value.stream == "s"
    resumed = s.resume()
    assert (resumed.inspection, resumed.discontinued, resumed.not_accepted_on_tightened) == (
        TIGHTENED,
        False,
        0,
    )
    assert resumed.lots == s.lots


def test_resume_needs_a_discontinued_stream() -> None:
    with pytest.raises(SwitchingError):
        SwitchingState("s").resume()


def test_normal_to_reduced_when_the_score_reaches_30_after_10_accepted_lots() -> None:
    # Ac 5 >= 2: each lot with at most 3 nonconforming (Ac at AQL 1.5) adds 3.
    s = SwitchingState("s")
    for i in range(1, 10):
        s = lot(s, GOOD)
        assert (s.inspection, s.switching_score) == (NORMAL, 3 * i)
    assert s.switching_score == 27  # 9 lots x 3
    s = lot(s, 3)  # 3 <= 3: +3 -> 30, and 10 lots accepted in a row
    assert s.inspection is REDUCED
    assert s.change is not None
    assert "switching score 30 after 10 consecutive lots" in s.change


def test_the_score_adds_2_per_accepted_lot_when_ac_is_0_or_1() -> None:
    # lot 1,000, AQL 0.40 -> J's cell is an arrow down to K: n 125, Ac 1 / Re 2
    plan = single_plan(LOT, "II", "0.40")
    assert (plan.sample_size, plan.accept) == (125, 1)
    s = SwitchingState("s")
    for _ in range(14):
        s = s.update(judge(plan, 1))
    assert (s.inspection, s.switching_score) == (NORMAL, 28)  # 14 lots x 2
    s = s.update(judge(plan, 0))
    assert s.inspection is REDUCED  # 28 + 2 = 30
    assert switching_score(28, judge(plan, 2)) == 0  # not accepted: back to 0


def test_an_accepted_lot_that_fails_one_step_tighter_resets_the_score() -> None:
    s = lots(SwitchingState("s"), *[GOOD] * 9)
    assert s.switching_score == 27
    s = lot(s, BORDERLINE)  # 4 <= Ac 5: accepted; 4 > 3 (Ac at AQL 1.5): score to 0
    assert (s.inspection, s.switching_score, s.consecutive_accepted) == (NORMAL, 0, 10)
    s = lots(s, *[GOOD] * 9)
    assert (s.inspection, s.switching_score) == (NORMAL, 27)
    s = lot(s, GOOD)
    assert s.inspection is REDUCED


def test_no_reduced_inspection_without_approval_or_steady_production() -> None:
    s = lots(SwitchingState("s"), *[GOOD] * 9)
    s = lot(s, GOOD, approved=False)
    assert (s.inspection, s.switching_score) == (NORMAL, 30)
    s = lot(s, GOOD, production_steady=False)
    assert (s.inspection, s.switching_score) == (NORMAL, 33)
    s = lot(s, GOOD)
    assert s.inspection is REDUCED


def on_reduced() -> SwitchingState:
    s = lots(SwitchingState("s"), *[GOOD] * 10)
    assert s.inspection is REDUCED
    return s


def test_reduced_stays_reduced_while_lots_are_accepted() -> None:
    s = lots(on_reduced(), GOOD, 2, GOOD)  # reduced Ac 2
    assert (s.inspection, s.change, s.consecutive_accepted) == (REDUCED, None, 3)


def test_reduced_to_normal_when_a_lot_is_not_accepted() -> None:
    s = lot(on_reduced(), 5)  # >= Re 5
    assert s.inspection is NORMAL
    assert s.change is not None
    assert "a lot not accepted" in s.change
    assert s.switching_score == 0


def test_reduced_to_normal_when_a_lot_falls_between_ac_and_re() -> None:
    plan = single_plan(LOT, "II", AQL, REDUCED)
    verdict = judge(plan, 3)  # Ac 2 < 3 < Re 5
    assert verdict.accepted
    assert verdict.between_accept_and_reject
    s = on_reduced().update(verdict)
    assert s.inspection is NORMAL
    assert s.change is not None
    assert "Z1.4 10.1.4" in s.change


def test_reduced_to_normal_when_production_is_irregular() -> None:
    s = lot(on_reduced(), GOOD, production_steady=False)
    assert s.inspection is NORMAL
    assert s.change is not None
    assert "irregular" in s.change


def test_reduced_to_normal_when_other_conditions_warrant_it() -> None:
    s = lot(on_reduced(), GOOD, reinstate_normal=True)
    assert s.inspection is NORMAL
    assert s.change is not None
    assert "9.3.4 c" in s.change


def test_a_lot_judged_on_another_inspection_is_refused() -> None:
    tightened_plan = single_plan(LOT, "II", AQL, TIGHTENED)
    with pytest.raises(SwitchingError) as caught:
        SwitchingState("supplier-7").update(judge(tightened_plan, 0))
    assert caught.value.reason == "inspection_mismatch"
    assert caught.value.details() == {"stream": "supplier-7"}


def test_states_are_values() -> None:
    s = SwitchingState("s")
    after = lot(s, BAD)
    assert (s.lots, after.lots) == (0, 1)
    with pytest.raises(AttributeError):
        s.lots = 3  # type: ignore[misc]
