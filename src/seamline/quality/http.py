"""HTTP routes of quality: the ISO 2859-1 single sampling plan for a lot."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from seamline.quality.aql import single_plan

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])


@router.get("/aql/plan", summary="ISO 2859-1 / ANSI/ASQ Z1.4 single sampling plan for a lot")
def aql_plan(
    lot_size: Annotated[int, Query(description="units in the lot, 2 or more")],
    aql: Annotated[str, Query(description="acceptance quality limit, one of the standard's: 0.010 ... 1000")],
    level: Annotated[str, Query(description="inspection level: I, II, III, S-1, S-2, S-3, S-4")] = "II",
    inspection: Annotated[str, Query(description="normal, tightened or reduced")] = "normal",
) -> dict[str, Any]:
    """Code letter (Table I), sample size and accept/reject numbers (Tables II-A/B/C, arrows
    followed); ``hundred_percent`` is true when the sample is as large as the lot."""
    return single_plan(lot_size, level, aql, inspection).as_dict()
