"""HTTP routes of the factory model: the ISA-95 tree and the device registry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from seamline.errors import NotFoundError
from seamline.model.factory import Device, Factory

router = APIRouter(prefix="/api/v1", tags=["factory"])


def _factory(request: Request) -> Factory:
    factory: Factory = request.app.state.factory
    return factory


def device_summary(d: Device) -> dict[str, Any]:
    return {
        "id": d.id,
        "machine_type": d.machine_type.id,
        "machine_name": d.machine_type.name,
        "category": d.machine_type.category.value,
        "area": d.area_id,
        "line": d.line_id,
        "workstation": d.workstation_id,
        "sensors": d.sensor_count,
        "first_sensor_id": d.sensor_base,
    }


@router.get("/factory", summary="The factory tree with device, sensor and reading counts")
def get_factory(request: Request) -> dict[str, Any]:
    """Enterprise -> site -> areas -> lines -> workstations, with counts at the top level.

    ``devices`` and ``sensors`` count the registry; ``readings`` counts readings stored so far.
    """
    f = _factory(request)
    store = request.app.state.store
    on_lines = {d for line in f.lines for ws in line.workstations for d in (ws.device_id,)} | {
        d for line in f.lines for d in line.shared_device_ids
    }
    areas = []
    for area in f.areas:
        lines = [
            {
                "id": line.id,
                "name": line.name,
                "style": line.style_id,
                "operators": len(line.operator_ids),
                "workstations": [
                    {
                        "id": ws.id,
                        "position": ws.position,
                        "device": ws.device_id,
                        "machine_type": ws.machine_type_id,
                    }
                    for ws in line.workstations
                ],
                "shared_devices": list(line.shared_device_ids),
            }
            for line in f.lines
            if line.area_id == area.id
        ]
        devices = [d.id for d in f.devices if d.area_id == area.id and d.id not in on_lines]
        areas.append(
            {"id": area.id, "name": area.name, "kind": area.kind.value, "lines": lines, "devices": devices}
        )
    return {
        "enterprise": {"id": f.enterprise_id, "name": f.enterprise_name},
        "site": {"id": f.site_id, "name": f.site_name, "timezone": f.timezone},
        "devices": len(f.devices),
        "sensors": f.sensor_count,
        "readings": store.reading_count(),
        "nominal_readings_per_s": round(f.readings_per_s(), 1),
        "areas": areas,
    }


@router.get("/devices", summary="The device registry")
def list_devices(
    request: Request,
    line: str | None = Query(None, description="only devices of this line"),
    area: str | None = Query(None, description="only devices of this area"),
    machine_type: str | None = Query(None, description="only devices of this machine type"),
) -> list[dict[str, Any]]:
    f = _factory(request)
    return [
        device_summary(d)
        for d in f.devices
        if (line is None or d.line_id == line)
        and (area is None or d.area_id == area)
        and (machine_type is None or d.machine_type.id == machine_type)
    ]


def find_device(factory: Factory, device_id: str) -> Device:
    try:
        return factory.devices_by_id[device_id]
    except KeyError:
        raise NotFoundError("device", device_id) from None
