"""Live machine states per line, read from the store's latest values and state events, and from
ingest's view of which devices it still hears (:mod:`seamline.production.signal`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from seamline.ingest import Liveness
from seamline.model.factory import NO_SIGNAL, RUNTIME_STATE, Device, Factory, Line, MachineState
from seamline.production.signal import NoSignal, no_signal
from seamline.store.base import Store
from seamline.timeutil import now_ms as wall_ms

_STATUS_CHANNELS = (RUNTIME_STATE, "fault_code", "motor_speed_spm", "piece_count")

LiveState = MachineState | Literal["no_signal"]


@dataclass(frozen=True, slots=True)
class MachineStatus:
    device_id: str
    workstation_id: str | None
    position: int | None
    machine_type: str
    # no_signal: its device died or fell silent; None: nothing received yet, or a state code that is
    # no MachineState's
    state: LiveState | None
    # device time of the last state change seen; with no signal, of the death or of the last reading
    state_since_ms: int | None
    as_of_ms: int | None  # device time of the newest runtime_state reading
    fault_code: int | None
    speed_spm: float | None
    piece_count: float | None


@dataclass(frozen=True, slots=True)
class LineStates:
    line: Line
    machines: tuple[MachineStatus, ...]

    def count(self, state: LiveState | None) -> int:
        return sum(1 for m in self.machines if m.state == state)


def line_states(
    factory: Factory,
    store: Store,
    line: Line,
    *,
    liveness: Liveness | None = None,
    now_ms: int | None = None,
    since_ms: Mapping[str, int] | None = None,
) -> LineStates:
    """The status of every sewing machine of ``line``, in seat order.

    A machine whose device died, or (with ``liveness``) fell silent for longer than its timeout at
    ``now_ms`` (server clock; default: the liveness clock, else the wall clock), is ``no_signal``.
    ``since_ms`` (device -> when its current state began, as the production ledger keeps it in
    ``machines.current``) spares reading the stored state events for it: a live screen asks every
    second.
    """
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
    if since_ms is not None:
        since = {d.id: since_ms[d.id] for d in devices if d.id in since_ms}
    else:
        for ev in store.events(device_ids=[d.id for d in devices], types=["state"], limit=20 * len(devices)):
            since.setdefault(ev.device_id, ev.ts_ms)  # newest first: the first one seen is the last change
    if now_ms is None:
        now_ms = liveness.now_ms() if liveness is not None else wall_ms()
    lost = no_signal(store, devices, liveness, now_ms)
    by_ws = {ws.device_id: ws for ws in line.workstations}
    return LineStates(
        line, tuple(_status(d, by_ws[d.id].position, latest, since, lost.get(d.id)) for d in devices)
    )


def _status(
    d: Device,
    position: int,
    latest: dict[tuple[str, str], tuple[int, float]],
    since: dict[str, int],
    lost: NoSignal | None,
) -> MachineStatus:
    state = latest.get((d.id, RUNTIME_STATE))
    fault = latest.get((d.id, "fault_code"))
    speed = latest.get((d.id, "motor_speed_spm"))
    pieces = latest.get((d.id, "piece_count"))
    shown: LiveState | None = MachineState.of_code(state[1]) if state else None
    if lost is not None:
        shown = NO_SIGNAL
    return MachineStatus(
        device_id=d.id,
        workstation_id=d.workstation_id,
        position=position,
        machine_type=d.machine_type.id,
        state=shown,
        state_since_ms=lost.since_ms if lost is not None else since.get(d.id),
        as_of_ms=state[0] if state else None,
        fault_code=int(fault[1]) if fault else None,
        speed_spm=speed[1] if speed else None,
        piece_count=pieces[1] if pieces else None,
    )
