"""Store: where telemetry lives. An interface (:class:`Store`) and its DuckDB implementation.

One writer per database file (the ingest writer thread) commits batches of messages; readers
query from their own threads.
"""

from seamline.store.base import LatestValue, Series, Store, StoredEvent, StoreError, WriteResult
from seamline.store.duckdb import SCHEMA_VERSION, DuckDBStore, StoreFileError

__all__ = [
    "SCHEMA_VERSION",
    "DuckDBStore",
    "LatestValue",
    "Series",
    "Store",
    "StoreError",
    "StoreFileError",
    "StoredEvent",
    "WriteResult",
]
