"""What one device did during the current publish interval, as the floor model reports it.

The floor (SimPy processes) calls :class:`DeviceRecorder` when a machine changes state, raises or
clears a fault, counts something discrete (a piece, a trim, a scan) or sends an event. The telemetry
side drains the recorder once per publish interval and turns it into one wire message.

Time is kept in integer milliseconds of simulated time; the device's clock skew is added only when
the message is written, so the floor never sees device clocks.
"""

from __future__ import annotations

from typing import Any

from seamline.model.factory import Device, MachineState

OFF, IDLE, RUNNING, FAULT = 0, 1, 2, 3  # MachineState.code of each state
STATE_NAMES = tuple(s.value for s in sorted(MachineState, key=lambda s: s.code))


def pack(state: int, fault: int, warning: int, present: int) -> int:
    """Pack the four state-like channels of a controller into one int (state, fault, warning, operator)."""
    return state | fault << 2 | warning << 10 | present << 14


def unpack_state(packed: int) -> int:
    return packed & 3


class DeviceRecorder:
    """Mutable per-device buffer between the floor model and the telemetry encoder.

    ``changes`` holds ``(t_ms, packed)`` for each change of the packed state channels,
    ``increments`` holds ``(t_ms, counter_column, amount)`` for discrete counters (pieces, trims,
    scans), ``events`` holds wire events whose ``ts`` is still simulated ms.
    """

    __slots__ = (
        "bobbin_used",
        "changes",
        "counter_columns",
        "device",
        "events",
        "increments",
        "last_piece_stitches",
        "online",
        "packed",
        "speed_spm",
        "state_s",
        "state_since_s",
    )

    def __init__(self, device: Device, counter_columns: dict[str, int], speed_spm: float) -> None:
        self.device = device
        self.counter_columns = counter_columns
        self.speed_spm = speed_spm  # the controller's set speed while sewing
        self.packed = pack(OFF, 0, 0, 0)
        self.changes: list[tuple[int, int]] = []
        self.increments: list[tuple[int, int, float]] = []
        self.events: list[dict[str, Any]] = []
        self.state_s = [0.0, 0.0, 0.0, 0.0]  # ground truth: seconds spent in each state
        self.state_since_s = 0.0
        self.last_piece_stitches = 0.0
        self.bobbin_used = 0.0  # stitches sewn from the current bobbin
        self.online = True  # False until connect(): state changes are recorded but not sent as events

    @property
    def state(self) -> int:
        return self.packed & 3

    def set_state(self, now_s: float, state: int, *, fault: int = 0, warning: int = 0) -> None:
        """Change the runtime state (and fault / warning codes); emits a ``state`` event on change."""
        old = self.packed
        new = pack(state, fault, warning, old >> 14 & 1)
        if new == old:
            return
        old_state = old & 3
        if state != old_state:
            self.state_s[old_state] += now_s - self.state_since_s
            self.state_since_s = now_s
            if self.online:
                self.event(now_s, "state", state=STATE_NAMES[state])
        self.packed = new
        self.changes.append((_ms(now_s), new))

    def connect(self, now_s: float) -> None:
        """The device comes online and reports the state it is in (a ``state`` event)."""
        self.online = True
        self.event(now_s, "state", state=STATE_NAMES[self.state])

    def set_present(self, now_s: float, present: bool) -> None:
        """An operator sits down at (or leaves) the machine: the ``operator_present`` channel."""
        new = self.packed & ~(1 << 14) | int(present) << 14
        if new != self.packed:
            self.packed = new
            self.changes.append((_ms(now_s), new))

    def count(self, now_s: float, channel: str, amount: float = 1.0) -> None:
        """A discrete counter channel (``piece_count``, ``scan_count`` ...) advanced; ignored if absent."""
        col = self.counter_columns.get(channel)
        if col is not None:
            self.increments.append((_ms(now_s), col, amount))

    def event(self, now_s: float, event_type: str, /, **fields: Any) -> None:
        """Queue a wire event (docs/telemetry.md, "Events") at ``now_s``."""
        ev: dict[str, Any] = {"ts": _ms(now_s), "type": event_type}
        ev.update(fields)
        self.events.append(ev)

    def state_seconds(self, now_s: float) -> tuple[float, float, float, float]:
        """Seconds spent off, idle, running and in fault up to ``now_s``."""
        out = list(self.state_s)
        out[self.packed & 3] += now_s - self.state_since_s
        return out[0], out[1], out[2], out[3]

    def clear(self) -> None:
        self.changes.clear()
        self.increments.clear()
        self.events.clear()


def _ms(now_s: float) -> int:
    return int(now_s * 1000.0)
