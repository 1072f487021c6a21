"""The one jittered exponential backoff every reconnecting loop waits on."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamline.backoff import Backoff, backoff_s


@given(
    attempt=st.integers(1, 200),
    initial_s=st.floats(0.01, 5.0),
    max_s=st.floats(0.01, 60.0),
    seed=st.integers(0, 2**32),
)
def test_a_delay_stays_within_half_the_initial_and_the_doubled_ceiling(
    attempt: int, initial_s: float, max_s: float, seed: int
) -> None:
    delay = backoff_s(attempt, initial_s, max_s, random.Random(seed))
    ceiling = min(max_s, initial_s * 2 ** (attempt - 1))
    assert min(initial_s / 2, ceiling) <= delay <= ceiling


def test_delays_grow_to_the_ceiling_and_start_over_after_a_reset() -> None:
    b = Backoff(0.5, 2.0, rng=random.Random(3))
    ceilings = [min(2.0, 0.5 * 2**i) for i in range(6)]  # 0.5, 1, 2, 2, 2, 2
    delays = [b.next_delay_s() for _ in ceilings]
    assert all(0.25 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays[2:]) > 1.0  # past the first doublings the jitter reaches beyond the start
    assert b.attempt == 6
    b.reset()
    assert b.attempt == 0
    assert b.next_delay_s() <= 0.5


def test_jitter_spreads_a_fleet_that_failed_together() -> None:
    delays = {round(Backoff(0.5, 30.0, rng=random.Random(seed)).next_delay_s(), 3) for seed in range(50)}
    assert len(delays) > 40


@pytest.mark.parametrize(("initial_s", "max_s"), [(0.0, 1.0), (-1.0, 1.0), (4.0, 1.0)])
def test_a_backoff_that_could_not_wait_is_refused(initial_s: float, max_s: float) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(initial_s, max_s)
