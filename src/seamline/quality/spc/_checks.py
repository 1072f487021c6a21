"""Checks shared by the charts: finite numbers, positive spreads; each failure an :class:`SpcError`."""

from __future__ import annotations

import math
from collections.abc import Iterable

from seamline.quality.spc.errors import SpcError

CHART_NAMES = {"xbar_r": "X-bar/R chart", "imr": "I-MR chart", "p": "p chart", "u": "u chart"}


def check_finite(value: float, *, chart: str, field: str) -> float:
    x = float(value)
    if not math.isfinite(x):
        raise SpcError(
            f"{CHART_NAMES[chart]}: {field} is {x}; give a finite number", chart=chart, field=field
        )
    return x


def check_positive(value: float, *, chart: str, field: str) -> float:
    x = check_finite(value, chart=chart, field=field)
    if x <= 0:
        raise SpcError(f"{CHART_NAMES[chart]}: {field} must be above 0, not {x}", chart=chart, field=field)
    return x


def floats(values: Iterable[float], *, chart: str, field: str, index: int | None) -> list[float]:
    """``values`` as floats, all finite; ``index`` is the subgroup they form, if they form one."""
    xs = [float(v) for v in values]
    for k, x in enumerate(xs):
        if not math.isfinite(x):
            where = f"subgroup {index}, value {k}" if index is not None else f"value {k}"
            raise SpcError(
                f"{CHART_NAMES[chart]}: {where} is {x}; give finite numbers",
                chart=chart,
                field=field,
                index=index if index is not None else k,
            )
    return xs
