"""HTTP route of inspection entry: an inspector types an inline or end-of-line inspection on a
tablet (the quality page), and it is stored exactly as the line's bundle scanner would send it.

Inspections reach Seamline as ``inspection`` events of the line's bundle scanner (the line's tablet,
docs/telemetry.md "Events"); an entry made here becomes one such event, stored through ingest
before it is applied (:meth:`~seamline.production.engine.ProductionEngine.enter`), so a rebuild
from the store counts it like any other and DHU, RFT and the Paretos include it at once.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from seamline.errors import NotFoundError
from seamline.model.factory import Factory, Line
from seamline.production.http_common import engine_of
from seamline.production.inspections import inspection_problem
from seamline.production.ledger import ProductionLedger
from seamline.quality.errors import InspectionInputError

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])

SCANNER_TYPE = "bundle_scanner"


class DefectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(..., min_length=1, max_length=64, examples=["skipped_stitch"])
    severity: Literal["critical", "major", "minor"] = Field(..., examples=["minor"])
    count: int = Field(..., ge=1, examples=[2])


class InspectionIn(BaseModel):
    """One inspection's result. Inline: the operation, operator and workstation checked. End of
    line: the operator and workstation default to whoever is logged in at the line's last seat."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["inline", "end_of_line"]
    line: str = Field(..., min_length=1, examples=["L01"])
    bundle: str = Field(..., min_length=1, max_length=128, examples=["PO-25001-B0001"])
    operation: str | None = Field(None, max_length=64, examples=["OP05"])
    operator: str | None = Field(None, max_length=64)
    workstation: str | None = Field(None, max_length=64)
    checked: int = Field(..., ge=1, examples=[5])
    defective: int = Field(..., ge=0, examples=[1])
    defects: list[DefectIn] = Field(default_factory=list)


def line_scanner(factory: Factory, line: Line) -> str:
    """The device id of the line's bundle scanner, whose inspections these are."""
    for device_id in line.shared_device_ids:
        device = factory.devices_by_id.get(device_id)
        if device is not None and device.machine_type.id == SCANNER_TYPE:
            return device_id
    raise InspectionInputError("line", line.id, "a line with a bundle scanner")


def inspection_event(body: InspectionIn, factory: Factory, ledger: ProductionLedger) -> dict[str, Any]:
    """The ``inspection`` event an entry makes, checked against the factory and the records: the
    line's workstation, its style's operation, a known bundle, a plausible result."""
    line = factory.lines_by_id.get(body.line)
    if line is None:
        raise NotFoundError("line", body.line)
    if body.bundle not in ledger.bundles:
        raise NotFoundError("bundle", body.bundle)
    seats = {w.id for w in line.workstations}
    workstation = body.workstation or (line.workstations[-1].id if body.kind == "end_of_line" else None)
    if workstation is None or workstation not in seats:
        raise InspectionInputError("workstation", body.workstation, f"a workstation of line {line.id}")
    operator = body.operator or next(
        (s.operator_id for s in ledger.open_sessions() if s.workstation_id == workstation), None
    )
    if operator is None:
        raise InspectionInputError("operator", None, f"the operator (nobody is logged in at {workstation})")
    if operator not in factory.operators_by_id:
        raise InspectionInputError("operator", operator, "an operator of the factory")
    event: dict[str, Any] = {"type": "inspection", "kind": body.kind, "bundle": body.bundle}
    if body.kind == "inline":
        style = factory.styles[ledger.bundles[body.bundle].style_id]
        if body.operation not in {op.id for op in style.bulletin.operations}:
            raise InspectionInputError("operation", body.operation, f"an operation of style {style.id}")
        event["operation"] = body.operation
    event |= {
        "operator": operator,
        "workstation": workstation,
        "checked": body.checked,
        "defective": body.defective,
        "defects": [d.model_dump() for d in body.defects],
    }
    problem = inspection_problem(event)
    if problem is not None:
        raise InspectionInputError("defects", None, problem)
    return event


@router.post(
    "/inspections",
    status_code=201,
    summary="Enter an inline or end-of-line inspection (stored as the line's bundle scanner's event)",
)
def enter_inspection(request: Request, body: InspectionIn, response: Response) -> dict[str, Any]:
    """The inspection is checked, stored through ingest as an ``inspection`` event of the line's
    bundle scanner and applied before the answer, which echoes what was stored."""
    engine = engine_of(request)
    factory: Factory = request.app.state.factory
    event = engine.read(lambda lg: inspection_event(body, factory, lg))
    line = factory.lines_by_id[body.line]
    device = line_scanner(factory, line)
    ts_ms = engine.enter(device, [event], what="inspection")
    response.headers["Location"] = f"/api/v1/quality/inspections?line={line.id}"
    return {"device": device, "line": line.id, "ts": ts_ms, **{k: v for k, v in event.items() if k != "type"}}


__all__ = ["InspectionIn", "inspection_event", "line_scanner", "router"]
