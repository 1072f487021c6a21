"""Charts: the resolution a range gets, downsampling that never exceeds the pixels and keeps the
extremes, and rollup buckets joined exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seamline.store import Aggregates, Resolution
from seamline.store.query import choose_resolution, downsample
from seamline.store.rollup import merge_groups

HOUR = 3_600_000


@pytest.mark.parametrize(
    ("span_ms", "pixels", "want"),
    [
        (24 * HOUR, 1000, Resolution.MINUTE),  # 86.4 s per pixel: minutes fit, hours do not
        (HOUR, 1000, Resolution.RAW),  # 3.6 s per pixel
        (1000 * 60_000, 1000, Resolution.MINUTE),  # exactly one minute per pixel
        (1000 * 60_000 - 1, 1000, Resolution.RAW),
        (90 * 24 * HOUR, 1000, Resolution.HOUR),  # 2.16 h per pixel
        (30 * 24 * HOUR, 1000, Resolution.MINUTE),  # 43 min per pixel
    ],
)
def test_the_coarsest_resolution_no_wider_than_a_pixel(span_ms: int, pixels: int, want: Resolution) -> None:
    assert choose_resolution(1_795_363_200_000, 1_795_363_200_000 + span_ms, pixels) == want


@settings(max_examples=200, deadline=None)
@given(
    values=arrays(np.float64, st.integers(1, 5000), elements=st.floats(-1e6, 1e6, allow_nan=False)),
    max_points=st.integers(10, 700),
)
def test_downsampling_never_exceeds_max_points_and_keeps_the_extremes(
    values: np.ndarray, max_points: int
) -> None:
    ts = np.arange(len(values), dtype=np.int64) * 100 + 1_795_363_200_000
    keep = downsample(ts, values, max_points)
    assert len(keep) <= max_points
    assert (np.diff(keep) > 0).all()  # in time order, no repeats
    assert values[keep].max() == values.max()
    assert values[keep].min() == values.min()
    if len(values) <= max_points:
        assert keep.tolist() == list(range(len(values)))


def test_downsampling_copes_with_nan() -> None:
    values = np.sin(np.arange(20_000) / 50.0)
    values[::7] = np.nan
    ts = np.arange(len(values), dtype=np.int64)
    keep = downsample(ts, values, 500)
    assert len(keep) <= 500
    assert np.nanmax(values[keep]) == np.nanmax(values)


def aggregates(n: int, seed: int) -> Aggregates:
    rng = np.random.default_rng(seed)
    count = rng.integers(1, 60, n)
    lo = rng.normal(0, 10, n)
    hi = lo + rng.random(n) * 5
    return Aggregates(
        7,
        Resolution.MINUTE,
        np.arange(n, dtype=np.int64) * 60_000,
        count,
        lo,
        hi,
        (lo + hi) / 2,
        hi - 1,
        rng.random(n),
    )


@pytest.mark.parametrize(("n", "max_points"), [(1440, 1000), (1441, 10), (999, 1000), (5000, 333)])
def test_rollup_buckets_are_joined_exactly_to_fit(n: int, max_points: int) -> None:
    a = aggregates(n, seed=n)
    m = merge_groups(a, max_points)
    assert len(m) <= max_points
    assert m.count.sum() == a.count.sum()
    assert m.min.min() == a.min.min()
    assert m.max.max() == a.max.max()
    assert m.increase is not None
    assert a.increase is not None
    assert m.increase.sum() == pytest.approx(a.increase.sum())
    total = float((m.mean * m.count).sum())
    assert total == pytest.approx(float((a.mean * a.count).sum()))
    assert m.last[-1] == a.last[-1]
    assert m.bucket_ms[0] == a.bucket_ms[0]
