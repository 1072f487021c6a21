"""The factory as the domain sees it: ISA-95 equipment hierarchy, people, styles and orders.

Everything here is a frozen dataclass built once by :mod:`seamline.model.loader`; nothing in this
module parses files or talks to the outside world.

The hierarchy follows ISA-95 / IEC 62264: Enterprise -> Site -> Area -> Line (work centre) ->
Workstation (work unit) -> Device (machine head, controller, gateway) -> sensor channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class ChannelKind(StrEnum):
    """How a sensor channel's values behave over time."""

    COUNTER = "counter"  # monotonic, may reset to 0 when the controller restarts
    GAUGE = "gauge"  # analog sample (speed, current, temperature, ...)
    STATE = "state"  # enumerated state code, sent on change and in snapshots


class AreaKind(StrEnum):
    CUTTING = "cutting"
    SEWING = "sewing"
    FINISHING = "finishing"
    UTILITIES = "utilities"
    WAREHOUSE = "warehouse"


class DeviceCategory(StrEnum):
    SEWING = "sewing"  # sewing-machine controller or automatic sewing unit
    CUTTING = "cutting"  # cutter, spreader
    FINISHING = "finishing"  # fusing press, steam iron
    UTILITY = "utility"  # compressor, energy meter, environment gateway
    SCANNER = "scanner"  # bundle-ticket scanner
    BADGE = "badge"  # RFID badge reader


class MachineState(StrEnum):
    """Runtime state of a machine; the numeric code is what a STATE channel carries."""

    OFF = "off"
    IDLE = "idle"
    RUNNING = "running"
    FAULT = "fault"

    @property
    def code(self) -> int:
        return _STATE_CODES[self]

    @classmethod
    def from_code(cls, code: float) -> MachineState:
        return _STATES_BY_CODE[int(code)]

    @classmethod
    def of_code(cls, code: float) -> MachineState | None:
        """The state whose code ``code`` is; None for any other code (no signal, a device's own)."""
        return _STATES_BY_CODE.get(int(code))


_STATE_CODES = {MachineState.OFF: 0, MachineState.IDLE: 1, MachineState.RUNNING: 2, MachineState.FAULT: 3}
_STATES_BY_CODE = {code: state for state, code in _STATE_CODES.items()}

RUNTIME_STATE: Final = "runtime_state"
"""The channel that carries a machine's :class:`MachineState` as its code."""

NO_SIGNAL: Final = "no_signal"
"""What the platform calls a machine it cannot hear: its device died (a Sparkplug NDEATH or DDEATH)
or fell silent for longer than its timeout. Not a state a machine reports, so not a MachineState."""

DEATH_CERTIFICATES: Final = frozenset({"NDEATH", "DDEATH"})
"""A ``state`` event ``off`` with ``"sparkplug": "NDEATH"`` (or ``DDEATH``) is what ingest stores
for a death: the machine did not turn off, it went out of reach (:data:`NO_SIGNAL`)."""


def event_state(data: Mapping[str, object]) -> object:
    """The machine state a ``state`` event's data says, a death certificate's read as
    :data:`NO_SIGNAL` (validated events carry a string; anything else is passed on as is)."""
    return NO_SIGNAL if data.get("sparkplug") in DEATH_CERTIFICATES else data.get("state")


NO_SIGNAL_CODE: Final = 255
"""The ``runtime_state`` code ingest stores when a device dies (at its death certificate's time).

Greater than every :class:`MachineState` code, so that in the store's reading order (among readings
of one millisecond the greater value is the later one) a death comes after the device's last
reading even when they share a millisecond."""


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """One signal a machine type reports: ``name`` is unique within the machine type."""

    name: str
    kind: ChannelKind
    unit: str
    period_s: float  # sampling / snapshot period on the device
    resolution: float  # quantisation step of the sensor
    low: float  # typical range, used by the simulator and for plausibility checks
    high: float


@dataclass(frozen=True, slots=True)
class MachineType:
    id: str
    name: str
    category: DeviceCategory
    channels: tuple[ChannelSpec, ...]
    mtbf_h: float | None = None  # mean time between breakdowns, running hours
    mttr_min: float | None = None  # mean time to repair
    channel_index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_index", {c.name: i for i, c in enumerate(self.channels)})


@dataclass(frozen=True, slots=True)
class Device:
    """A connected device. Its sensors have global ids ``sensor_base .. sensor_base+n-1``."""

    id: str
    machine_type: MachineType
    area_id: str
    line_id: str | None
    workstation_id: str | None
    sensor_base: int

    @property
    def sensor_count(self) -> int:
        return len(self.machine_type.channels)

    def sensor_id(self, channel: str) -> int:
        return self.sensor_base + self.machine_type.channel_index[channel]


@dataclass(frozen=True, slots=True)
class Sensor:
    id: int
    device_id: str
    channel: ChannelSpec


@dataclass(frozen=True, slots=True)
class Workstation:
    id: str
    line_id: str
    position: int  # 1-based seat number along the line
    device_id: str
    machine_type_id: str


@dataclass(frozen=True, slots=True)
class Line:
    id: str
    name: str
    area_id: str
    style_id: str | None  # style loaded on the line at the start of the day
    workstations: tuple[Workstation, ...]
    operator_ids: tuple[str, ...]
    shared_device_ids: tuple[str, ...]  # scanners, badge readers serving the whole line


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    name: str
    kind: AreaKind


@dataclass(frozen=True, slots=True)
class Operator:
    """A sewing operator. ``skills`` maps a machine type id to efficiency (1.0 = 100 % of SAM)."""

    id: str
    name: str
    grade: str  # A (multi-skilled, fast) .. C (trainee)
    line_id: str | None
    skills: dict[str, float] = field(hash=False)
    absence_rate: float = 0.04  # probability of being absent on a given day

    def efficiency(self, machine_type_id: str) -> float:
        """Efficiency on an operation of that machine type; unskilled work runs at 35 %."""
        return self.skills.get(machine_type_id, 0.35)


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    name: str
    sam_min: float
    machine_type_id: str
    predecessors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OperationBulletin:
    """The versioned list of operations that make one garment of a style."""

    style_id: str
    version: int
    operations: tuple[Operation, ...]

    @property
    def garment_sam_min(self) -> float:
        return sum(op.sam_min for op in self.operations)


@dataclass(frozen=True, slots=True)
class Style:
    id: str
    name: str
    bulletins: tuple[OperationBulletin, ...]  # ascending version
    learning_rate: float = 0.85  # Wright curve: each doubling of output costs this share of time

    @property
    def bulletin(self) -> OperationBulletin:
        """The current (highest) version."""
        return self.bulletins[-1]


@dataclass(frozen=True, slots=True)
class Bundle:
    id: str
    order_id: str
    colour: str
    size: str
    quantity: int


MAX_PRIORITY: Final = 9


@dataclass(frozen=True, slots=True)
class Order:
    """A production order. ``priority`` runs from 0 (normal, the default) to :data:`MAX_PRIORITY`
    (most urgent): a planner's ranking among orders due alike, not a due date."""

    id: str
    style_id: str
    due_date: dt.date
    quantities: dict[tuple[str, str], int] = field(hash=False)  # (colour, size) -> pieces
    bundle_size: int = 20
    line_id: str | None = None
    priority: int = 0

    @property
    def quantity(self) -> int:
        return sum(self.quantities.values())

    def bundles(self) -> tuple[Bundle, ...]:
        """Cut bundles in cutting order: by colour (shade), then size, ``bundle_size`` pieces each."""
        out: list[Bundle] = []
        for (colour, size), qty in self.quantities.items():
            left = qty
            while left > 0:
                n = min(self.bundle_size, left)
                out.append(Bundle(f"{self.id}-B{len(out) + 1:04d}", self.id, colour, size, n))
                left -= n
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Factory:
    """One site of an enterprise, with everything declared in its factory file."""

    enterprise_id: str
    enterprise_name: str
    site_id: str
    site_name: str
    timezone: str
    areas: tuple[Area, ...]
    machine_types: dict[str, MachineType] = field(hash=False)
    devices: tuple[Device, ...]
    lines: tuple[Line, ...]
    operators: tuple[Operator, ...]
    styles: dict[str, Style] = field(hash=False)
    orders: tuple[Order, ...]
    shift_start: dt.time = dt.time(8, 0)
    shift_minutes: int = 480
    devices_by_id: dict[str, Device] = field(init=False, repr=False, compare=False, hash=False)
    lines_by_id: dict[str, Line] = field(init=False, repr=False, compare=False, hash=False)
    operators_by_id: dict[str, Operator] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "devices_by_id", {d.id: d for d in self.devices})
        object.__setattr__(self, "lines_by_id", {line.id: line for line in self.lines})
        object.__setattr__(self, "operators_by_id", {o.id: o for o in self.operators})

    @property
    def sensor_count(self) -> int:
        return sum(d.sensor_count for d in self.devices)

    def sensors(self) -> list[Sensor]:
        """Every sensor channel with its global id, in id order."""
        return [
            Sensor(d.sensor_base + i, d.id, ch)
            for d in self.devices
            for i, ch in enumerate(d.machine_type.channels)
        ]

    def sensor(self, sensor_id: int) -> Sensor:
        for d in self.devices:
            if d.sensor_base <= sensor_id < d.sensor_base + d.sensor_count:
                return Sensor(sensor_id, d.id, d.machine_type.channels[sensor_id - d.sensor_base])
        raise KeyError(sensor_id)

    def readings_per_s(self) -> float:
        """Nominal sampling rate of the whole factory, readings per second."""
        return sum(1.0 / ch.period_s for d in self.devices for ch in d.machine_type.channels)
