"""Chart queries on any :class:`~seamline.store.base.Store`: the resolution, then downsampling.

A chart of ``max_points`` pixels over ``[start, end)`` asks the coarsest resolution whose bucket
is no wider than a pixel (so no pixel is coarser than the chart can show): a 24 h chart of 1000
px gets 1-minute rollups, a 1 h chart raw readings. What comes back is cut down to at most
``max_points`` entries:

- raw readings with MinMaxLTTB (Donckt et al., "MinMaxLTTB: Leveraging MinMax-Preselection to
  Scale LTTB", 2023; the ``tsdownsample`` implementation), plus the series' lowest and highest
  reading, which LTTB alone may drop;
- rollups by joining runs of consecutive buckets, exactly (min of mins, max of maxes), so the
  extremes survive by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from tsdownsample import MinMaxLTTBDownsampler, NaNMinMaxLTTBDownsampler

from seamline.store.base import ROLLUP_RESOLUTIONS, Aggregates, Resolution, Store, StoreQueryError
from seamline.store.rollup import merge_groups

MIN_POINTS: Final = 10
RAW_FETCH_LIMIT: Final = 5_000_000  # raw readings one chart may read before downsampling


@dataclass(frozen=True, slots=True)
class Chart:
    """What a chart of one sensor shows: raw readings or rollup buckets, never more than asked."""

    sensor_id: int
    resolution: Resolution
    start_ms: int
    end_ms: int
    source_points: int  # readings or buckets before downsampling
    ts_ms: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]  # the readings, or each bucket's mean
    aggregates: Aggregates | None  # the buckets, for rollups

    @property
    def downsampled(self) -> bool:
        return self.source_points > len(self.ts_ms)


def choose_resolution(start_ms: int, end_ms: int, max_points: int) -> Resolution:
    """The coarsest resolution whose bucket is no wider than one of ``max_points`` pixels.

    >>> choose_resolution(0, 86_400_000, 1000), choose_resolution(0, 3_600_000, 1000)
    (<Resolution.MINUTE: '1m'>, <Resolution.RAW: 'raw'>)
    """
    pixel_ms = (end_ms - start_ms) / max(1, max_points)
    for r in sorted(ROLLUP_RESOLUTIONS, key=lambda r: -r.bucket_ms):
        if r.bucket_ms <= pixel_ms:
            return r
    return Resolution.RAW


def chart(
    store: Store,
    sensor_id: int,
    start_ms: int,
    end_ms: int,
    max_points: int,
    resolution: Resolution | None = None,
) -> Chart:
    """A sensor's history over ``[start_ms, end_ms)`` in at most ``max_points`` entries.

    ``resolution`` ``None`` chooses with :func:`choose_resolution`.
    """
    if max_points < MIN_POINTS:
        raise StoreQueryError(f"max_points must be at least {MIN_POINTS}", field="max_points")
    res = choose_resolution(start_ms, end_ms, max_points) if resolution is None else resolution
    if res is Resolution.RAW:
        series = store.history(sensor_id, start_ms, end_ms, RAW_FETCH_LIMIT)
        n = len(series.ts_ms)
        if n >= RAW_FETCH_LIMIT:
            raise StoreQueryError(
                f"more than {RAW_FETCH_LIMIT:,} raw readings in the range; ask resolution=auto or a rollup",
                field="resolution",
            )
        keep = downsample(series.ts_ms, series.values, max_points)
        return Chart(sensor_id, res, start_ms, end_ms, n, series.ts_ms[keep], series.values[keep], None)
    agg = store.aggregates(sensor_id, start_ms, end_ms, res)
    merged = merge_groups(agg, max_points)
    return Chart(sensor_id, res, start_ms, end_ms, len(agg), merged.bucket_ms, merged.mean, merged)


def downsample(
    ts_ms: npt.NDArray[np.int64], values: npt.NDArray[np.float64], max_points: int
) -> npt.NDArray[np.int64]:
    """Indices of at most ``max_points`` readings that draw like all of them (MinMaxLTTB), the
    lowest and the highest included; all indices when there are few enough."""
    n = len(ts_ms)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    nan = bool(np.isnan(values).any())
    # tsdownsample's constructors carry no annotations
    sampler = NaNMinMaxLTTBDownsampler() if nan else MinMaxLTTBDownsampler()  # type: ignore[no-untyped-call]
    picked = np.asarray(sampler.downsample(ts_ms, values, n_out=max_points - 2), np.int64)
    extremes = [int(np.nanargmin(values)), int(np.nanargmax(values))] if not np.isnan(values).all() else []
    return np.unique(np.concatenate([picked, np.asarray(extremes, np.int64)]))
