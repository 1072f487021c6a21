"""HTTP routes of production: live machine states per line.

``state`` is ``off``, ``idle``, ``running`` or ``fault`` as the machine last reported it,
``no_signal`` when its device died or fell silent for longer than its timeout (``since``: the death,
or when it was last seen), or null when nothing was received yet (``counts.unknown``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from seamline.errors import NotFoundError
from seamline.model.factory import NO_SIGNAL, Factory, MachineState
from seamline.production.states import LineStates, line_states
from seamline.timeutil import ms_to_iso

router = APIRouter(prefix="/api/v1", tags=["production"])


def _json(ls: LineStates) -> dict[str, Any]:
    return {
        "id": ls.line.id,
        "name": ls.line.name,
        "style": ls.line.style_id,
        "counts": {s.value: ls.count(s) for s in MachineState}
        | {NO_SIGNAL: ls.count(NO_SIGNAL), "unknown": ls.count(None)},
        "machines": [
            {
                "device": m.device_id,
                "workstation": m.workstation_id,
                "position": m.position,
                "machine_type": m.machine_type,
                "state": None if m.state is None else str(m.state),
                "since": ms_to_iso(m.state_since_ms) if m.state_since_ms else None,
                "as_of": ms_to_iso(m.as_of_ms) if m.as_of_ms else None,
                "fault_code": m.fault_code,
                "speed_spm": m.speed_spm,
                "piece_count": m.piece_count,
            }
            for m in ls.machines
        ],
    }


@router.get("/lines", summary="Live machine states of every line")
def list_lines(request: Request) -> list[dict[str, Any]]:
    factory: Factory = request.app.state.factory
    store, liveness = request.app.state.store, request.app.state.ingestor.liveness
    return [_json(line_states(factory, store, line, liveness=liveness)) for line in factory.lines]


@router.get("/lines/{line_id}", summary="Live machine states of one line")
def get_line(request: Request, line_id: str) -> dict[str, Any]:
    factory: Factory = request.app.state.factory
    line = factory.lines_by_id.get(line_id)
    if line is None:
        raise NotFoundError("line", line_id)
    liveness = request.app.state.ingestor.liveness
    return _json(line_states(factory, request.app.state.store, line, liveness=liveness))
