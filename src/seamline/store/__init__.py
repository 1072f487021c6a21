"""Store: where telemetry lives. An interface (:class:`Store`) and its DuckDB implementation.

One writer per database file (the ingest writer thread) commits batches of messages; a
:class:`MaintenanceLoop` rolls up, compacts and applies retention in the background; readers
query from their own threads. Chart queries (resolution choice, downsampling) are in
:mod:`seamline.store.query`; the query benchmark lives with the other benchmarks.
"""

from seamline.store._duckdb_schema import SCHEMA_VERSION
from seamline.store.base import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    ROLLUP_RESOLUTIONS,
    STATE_HOLD_MS,
    Aggregates,
    LatestValue,
    MaintenanceReport,
    Resolution,
    RetentionClass,
    RetentionPolicy,
    SavedState,
    Series,
    StateChanges,
    StateDurations,
    Store,
    StoredEvent,
    StoreError,
    StoreQueryError,
    WriteResult,
    bucket_start,
    counter_delta,
)
from seamline.store.duckdb import DuckDBStore, StoreFileError
from seamline.store.maintenance import MaintenanceLoop

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "MINUTE_MS",
    "ROLLUP_RESOLUTIONS",
    "SCHEMA_VERSION",
    "STATE_HOLD_MS",
    "Aggregates",
    "DuckDBStore",
    "LatestValue",
    "MaintenanceLoop",
    "MaintenanceReport",
    "Resolution",
    "RetentionClass",
    "RetentionPolicy",
    "SavedState",
    "Series",
    "StateChanges",
    "StateDurations",
    "Store",
    "StoreError",
    "StoreFileError",
    "StoreQueryError",
    "StoredEvent",
    "WriteResult",
    "bucket_start",
    "counter_delta",
]
