"""The store interface: what every backend (DuckDB now, PostgreSQL next) must do.

One writer feeds ``write_batch`` with many device batches at once; readers call the query methods
from other threads. Times are milliseconds since the Unix epoch, UTC, at this interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from seamline.errors import SeamlineError
from seamline.ingest.batch import DeviceBatch
from seamline.model.factory import Factory


class StoreError(SeamlineError):
    """The store cannot do what was asked (cannot open, corrupt, wrong schema version)."""

    status_code = 503
    reason = "store"


@dataclass(frozen=True, slots=True)
class LatestValue:
    sensor_id: int
    ts_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """A sensor's history: parallel arrays in time order."""

    sensor_id: int
    ts_ms: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    device_id: str
    ts_ms: int
    received_ts_ms: int
    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one ``write_batch`` call committed."""

    messages: int  # new messages stored
    duplicates: int  # messages already stored, skipped
    readings: int
    events: int
    # (device_id, boot, seq) of each skipped message, so a caller can tell its senders apart
    duplicate_keys: tuple[tuple[str, int, int], ...] = ()


class Store(Protocol):
    """A telemetry store. Implementations: :class:`seamline.store.duckdb.DuckDBStore`."""

    def open(self, factory: Factory) -> None:
        """Create or upgrade the schema and register the factory's sensors."""

    def close(self) -> None: ...

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        """Durably commit these messages in one transaction, skipping already-stored ones."""

    def latest(self, sensor_ids: Sequence[int] | None = None) -> list[LatestValue]:
        """Newest reading (by device time) of each sensor that has one; all sensors when ``None``."""

    def history(self, sensor_id: int, start_ms: int, end_ms: int, limit: int = 10_000) -> Series:
        """Readings of one sensor with ``start_ms <= ts < end_ms``, in time order, at most ``limit``."""

    def events(
        self,
        device_ids: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 1000,
    ) -> list[StoredEvent]:
        """Events, newest first."""

    def reading_count(self) -> int:
        """Readings stored so far."""

    def message_count(self) -> int:
        """Messages stored so far."""
