"""Pydantic schema of the factory file: the edge where untrusted TOML becomes checked data.

Only :mod:`seamline.model.loader` uses these classes; the rest of the code sees the frozen
dataclasses of :mod:`seamline.model.factory`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from seamline.model.factory import MAX_PRIORITY, AreaKind, ChannelKind, DeviceCategory

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnterpriseIn(_Strict):
    id: Id
    name: str


class SiteIn(_Strict):
    id: Id
    name: str
    timezone: str = "UTC"
    shift_start: dt.time = dt.time(8, 0)
    shift_minutes: int = Field(480, gt=0, le=1440)


class AreaIn(_Strict):
    id: Id
    name: str
    kind: AreaKind


class ChannelIn(_Strict):
    """One channel, or ``count`` channels when ``name`` holds ``{i}`` (numbered from 1)."""

    name: str = Field(min_length=1, max_length=64)
    kind: ChannelKind
    unit: str = ""
    period_s: float = Field(gt=0, le=3600)
    resolution: float = Field(1.0, gt=0)
    low: float = 0.0
    high: float = 1.0
    count: int = Field(1, ge=1, le=1000)

    @field_validator("name")
    @classmethod
    def _placeholder(cls, v: str) -> str:
        if "{" in v and "{i" not in v:
            raise ValueError("the only placeholder a channel name may hold is {i} (e.g. 'circuit{i:02}_kw')")
        return v


class MachineTypeIn(_Strict):
    name: str
    category: DeviceCategory
    mtbf_h: float | None = Field(None, gt=0)
    mttr_min: float | None = Field(None, gt=0)
    channel_sets: list[Id] = []
    channels: list[ChannelIn] = []


class StationsIn(_Strict):
    type: Id
    count: int = Field(1, ge=1, le=200)


class LineIn(_Strict):
    id: Id
    name: str
    area: Id
    style: Id | None = None
    operators: int = Field(0, ge=0, le=500)
    stations: list[StationsIn] = Field(min_length=1)
    shared: list[StationsIn] = []


class DeviceIn(_Strict):
    """Devices that belong to an area rather than a line seat; ``{i}`` in ``id`` with ``count``."""

    id: str = Field(min_length=1, max_length=64)
    type: Id
    area: Id
    count: int = Field(1, ge=1, le=500)


class OperatorIn(_Strict):
    id: Id
    name: str
    grade: str = Field("B", pattern=r"^[ABC]$")
    line: Id | None = None
    skills: dict[str, float] = {}
    absence_rate: float = Field(0.04, ge=0, le=1)

    @field_validator("skills")
    @classmethod
    def _efficiencies(cls, v: dict[str, float]) -> dict[str, float]:
        for machine, eff in v.items():
            if not 0.05 <= eff <= 2.0:
                raise ValueError(
                    f"efficiency on {machine!r} is {eff}; use a fraction of SAM pace, 0.05 to 2.0"
                )
        return v


class OperationIn(_Strict):
    id: Id
    name: str
    sam: float = Field(gt=0, le=60, description="standard allowed minutes")
    machine: Id
    after: list[Id] = []


class BulletinIn(_Strict):
    version: int = Field(ge=1)
    operations: list[OperationIn] = Field(min_length=1)


class StyleIn(_Strict):
    id: Id
    name: str
    learning_rate: float = Field(0.85, gt=0.5, le=1.0)
    bulletins: list[BulletinIn] = Field(min_length=1)


class OrderIn(_Strict):
    id: Id
    style: Id
    due: dt.date
    line: Id | None = None
    bundle_size: int = Field(20, ge=1, le=200)
    priority: int = Field(0, ge=0, le=MAX_PRIORITY, description="0 normal .. 9 most urgent")
    quantities: dict[str, dict[str, int]] = Field(min_length=1, description="colour -> size -> pieces")

    @field_validator("quantities")
    @classmethod
    def _positive(cls, v: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        for colour, sizes in v.items():
            for size, qty in sizes.items():
                if qty <= 0:
                    raise ValueError(f"{colour}/{size}: quantity must be positive, got {qty}")
        return v


class FactoryIn(_Strict):
    enterprise: EnterpriseIn
    site: SiteIn
    areas: list[AreaIn] = Field(min_length=1)
    channel_sets: dict[Id, list[ChannelIn]] = {}
    machine_types: dict[Id, MachineTypeIn] = Field(min_length=1)
    lines: list[LineIn] = []
    devices: list[DeviceIn] = []
    operators: list[OperatorIn] = []
    styles: list[StyleIn] = []
    orders: list[OrderIn] = []
