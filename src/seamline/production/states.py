"""Live machine states per line, read from the store's latest values and state events."""

from __future__ import annotations

from dataclasses import dataclass

from seamline.model.factory import Device, Factory, Line, MachineState
from seamline.store.base import Store

_STATUS_CHANNELS = ("runtime_state", "fault_code", "motor_speed_spm", "piece_count")


@dataclass(frozen=True, slots=True)
class MachineStatus:
    device_id: str
    workstation_id: str | None
    position: int | None
    machine_type: str
    state: MachineState | None  # None: nothing received yet
    state_since_ms: int | None  # device time of the last state change seen
    as_of_ms: int | None  # device time of the newest runtime_state reading
    fault_code: int | None
    speed_spm: float | None
    piece_count: float | None


@dataclass(frozen=True, slots=True)
class LineStates:
    line: Line
    machines: tuple[MachineStatus, ...]

    def count(self, state: MachineState | None) -> int:
        return sum(1 for m in self.machines if m.state is state)


def line_states(factory: Factory, store: Store, line: Line) -> LineStates:
    """The status of every sewing machine of ``line``, in seat order."""
    devices = [factory.devices_by_id[ws.device_id] for ws in line.workstations]
    wanted = {
        d.sensor_id(ch): (d.id, ch)
        for d in devices
        for ch in _STATUS_CHANNELS
        if ch in d.machine_type.channel_index
    }
    latest: dict[tuple[str, str], tuple[int, float]] = {}
    for lv in store.latest(list(wanted)):
        latest[wanted[lv.sensor_id]] = (lv.ts_ms, lv.value)
    since: dict[str, int] = {}
    for ev in store.events(device_ids=[d.id for d in devices], types=["state"], limit=20 * len(devices)):
        since.setdefault(ev.device_id, ev.ts_ms)  # newest first: the first one seen is the last change
    by_ws = {ws.device_id: ws for ws in line.workstations}
    return LineStates(line, tuple(_status(d, by_ws[d.id].position, latest, since) for d in devices))


def _status(
    d: Device, position: int, latest: dict[tuple[str, str], tuple[int, float]], since: dict[str, int]
) -> MachineStatus:
    state = latest.get((d.id, "runtime_state"))
    fault = latest.get((d.id, "fault_code"))
    speed = latest.get((d.id, "motor_speed_spm"))
    pieces = latest.get((d.id, "piece_count"))
    return MachineStatus(
        device_id=d.id,
        workstation_id=d.workstation_id,
        position=position,
        machine_type=d.machine_type.id,
        state=MachineState.from_code(state[1]) if state else None,
        state_since_ms=since.get(d.id),
        as_of_ms=state[0] if state else None,
        fault_code=int(fault[1]) if fault else None,
        speed_spm=speed[1] if speed else None,
        piece_count=pieces[1] if pieces else None,
    )
