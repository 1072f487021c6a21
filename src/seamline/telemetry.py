"""The validated, columnar form of one device message: what ingest hands to the store. Both sides
import it from here, so the store never depends on ingest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

# The reasons a `downtime` event may carry (docs/telemetry.md, "Events").
DOWNTIME_REASONS: Final = (
    "no_feeding", "machine_breakdown", "thread_break", "needle_break", "meeting",
    "rework", "changeover", "power_failure", "waiting_trims",
)  # fmt: skip

# Orders and cut bundles travel as events too (docs/telemetry.md, "Orders and bundles"), so that a
# restart rebuilds them with everything else. Seamline sends the ones made through its API or an
# import as ORDERS_DEVICE, a device of no factory file with no channels that sends nothing else.
ORDER_EVENTS: Final = ("order", "bundle")
ORDERS_DEVICE: Final = "_orders"
# The same pseudo-device keeps the final inspection's lots (AQL, ISO 2859-1), made only through the
# API: the switching state of each stream of lots is what its stored lots make of it.
OFFICE_EVENTS: Final = (*ORDER_EVENTS, "aql_lot")


@dataclass(frozen=True, slots=True)
class Event:
    """A discrete event from a device (see docs/telemetry.md, "Events")."""

    device_id: str
    ts_ms: int  # device clock
    type: str
    data: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class DeviceBatch:
    """One accepted message: readings as columns (global sensor ids), plus its events."""

    device_id: str
    boot: int
    seq: int
    sent_ts_ms: int  # device clock
    received_ts_ms: int  # server clock
    sensor_ids: npt.NDArray[np.int32]
    ts_ms: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    events: tuple[Event, ...] = ()

    @property
    def key(self) -> tuple[str, int, int]:
        """Identity of the message for de-duplication."""
        return (self.device_id, self.boot, self.seq)

    def __len__(self) -> int:
        return int(self.sensor_ids.shape[0])
