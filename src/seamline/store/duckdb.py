"""The embedded telemetry store: one DuckDB file plus compacted Parquet blocks beside it.

Layout. Readings arrive in ``readings_hot``, a plain DuckDB table the single writer appends to with
one Arrow ``INSERT`` per commit (never ``executemany``): the cheapest write DuckDB offers. A
background :meth:`DuckDBStore.maintain` pass then

1. rolls up each minute once the data's clock has passed it, and again whenever late or
   out-of-order rows touch it, into ``rollup_1m`` and the hours above into ``rollup_1h``;
2. compacts: the readings of each closed 2-minute slice leave the hot table for an immutable
   Parquet file sorted by (sensor, time), integers delta-packed, values stored as integer steps of
   the sensor's resolution when that gives back the very same double (else raw), zstd on top;
   an hour's files are merged into one once it closes (sparse closed hours of a 6-hour block
   share one); closed hours of 1-minute and 1-hour rollups go to Parquet the same way; old
   message keys collapse into ranges of sequence numbers;
3. applies retention.

Why Parquet and not DuckDB's own storage for cold data: on the standard synthetic workload, DuckDB
tables (even sorted, with ALP/bitpacking) took 3.2-3.7 B/reading; sorted Parquet with
delta-packed steps takes ~0.6 B/reading (values carry almost all of it; timestamps and sensor ids
~0.03). Queries read both through DuckDB: hot rows plus the files whose time range overlaps,
inside one transaction so that a concurrent compaction is invisible. Every query is exact whether
or not maintenance has caught up: buckets with rows newer than the rollups are aggregated from
raw readings at query time.

Times are stored as BIGINT milliseconds since the Unix epoch (UTC), exactly as they arrive on the
wire and leave through :class:`~seamline.store.base.Store`. The ``readings`` view (hot rows and
every raw file) and ``readings_t`` (with a ``TIMESTAMPTZ``) are for ad-hoc SQL.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Self

import duckdb
import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa

from seamline.model.factory import Factory
from seamline.store import _coldfiles, _coldread, _duckdb_maintain, _duckdb_query, _latest
from seamline.store._duckdb_schema import (
    SCHEMA,
    SCHEMA_VERSION,
    TABLES,
    UPGRADE_FROM_1,
    UPGRADE_TO_5,
    readings_view_sql,
)
from seamline.store.base import (
    HOUR_MS,
    Aggregates,
    LatestValue,
    MaintenanceReport,
    Resolution,
    RetentionPolicy,
    SavedState,
    Series,
    StateChanges,
    StateDurations,
    StoredEvent,
    StoreError,
    WriteResult,
)
from seamline.telemetry import DeviceBatch

log = logging.getLogger(__name__)

DB_FILENAME: Final = "seamline.duckdb"
# Raw history is read in windows that start at an hour and grow fourfold to a day (see history()).
HISTORY_FIRST_WINDOW_MS: Final = HOUR_MS
HISTORY_MAX_WINDOW_MS: Final = 24 * HOUR_MS
MEMORY_LIMIT: Final = "512MB"  # DuckDB's buffer pool; the ingest process must stay under 1 GiB


def _in_reading_order(
    ts: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Rows by time, then value (as ``ORDER BY ts_ms, value``). A scan of time-sorted files comes
    back in a few sorted runs, which a stable argsort merges in about a millisecond per 300,000
    rows, where DuckDB's general sort takes ~20 ms; equal times, rare, are then ordered by value."""
    if len(ts) < 2 or (np.diff(ts) > 0).all():  # one file's rows, or files one after another
        return ts, values
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    if not (np.diff(ts) > 0).all():
        order = np.lexsort((values, ts))
        ts, values = ts[order], values[order]
    return ts, values


class StoreFileError(StoreError):
    """The database file cannot be opened as a Seamline store."""

    def __init__(self, path: str, message: str, *, reason: str, pid: int | None = None) -> None:
        super().__init__(message, reason=reason)
        self.path = path
        self.pid = pid

    def details(self) -> dict[str, object]:
        return {"path": self.path, "pid": self.pid}


class DuckDBStore:
    """A :class:`~seamline.store.base.Store` on a DuckDB file and the Parquet blocks beside it.

    ``path`` is the database file, a data directory (the file is then ``seamline.duckdb`` in it),
    or ``":memory:"`` (no compaction: everything stays in DuckDB). Compacted blocks live in the
    directory named like the file with the suffix ``.cold`` (``seamline.cold/``). Only one thread
    may call :meth:`write_batch` at a time (the ingest writer) and one :meth:`maintain`; the query
    methods may be called from any thread, each on its own cursor.

    ``read_only=True`` opens an existing store for queries only (reports, exports): nothing in the
    file or its blocks is created, upgraded, registered or tidied, and writing raises
    :class:`StoreError`. DuckDB lets other processes read a file only while no process writes it,
    so a read-only open fails with ``reason="store_in_use"`` while ``seamline serve`` runs on it.

    >>> from seamline.model.loader import load_factory
    >>> with DuckDBStore(":memory:").opened(load_factory()) as store:
    ...     store.reading_count()
    0
    """

    def __init__(
        self,
        path: Path | str,
        *,
        retention: RetentionPolicy | None = None,
        memory_limit: str = MEMORY_LIMIT,
        read_only: bool = False,
    ) -> None:
        self.retention = retention or RetentionPolicy()
        self.read_only = read_only
        self.memory_limit = memory_limit
        if str(path) == ":memory:":
            self.path: Path | None = None
        else:
            p = Path(path)
            self.path = p / DB_FILENAME if p.is_dir() else p
        self.cold_root: Path | None = self.path.with_suffix(".cold") if self.path else None
        self.cold_reader = _coldread.ColdReader(self.cold_root) if self.cold_root else None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._latest_lock = threading.Lock()
        self._latest_ts = np.full(0, _latest.NO_TS, np.int64)
        self._latest_v = np.zeros(0, np.float64)
        self._readings = 0
        self._messages = 0
        # write_batch and the maintenance step that moves message keys into ranges exclude each
        # other, so a resent message is always caught by one of the two.
        self.write_lock = threading.Lock()
        self.maintain_lock = threading.Lock()
        # number of the last commit of write_batch; never below a number a stored event or a saved
        # state holds, so that what a later commit stores is always "after" them
        self.wseq = 0
        self.max_ts = _latest.NO_TS  # newest device time written: the data's own clock, for compaction
        self.kinds: dict[int, str] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    def open(self, factory: Factory) -> None:
        """Connect, create or upgrade the schema, register the factory, tidy the compacted blocks
        (a crash may have left unlisted files) and load the caches."""
        if self._con is not None:
            return
        if self.read_only:
            self._open_read_only(factory)
            return
        where = str(self.path) if self.path else ":memory:"
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _duckdb_maintain.remove_copies(self.path)  # an interrupted rewrite's (see close())
        try:
            con = duckdb.connect(where, config={"default_block_size": str(_duckdb_maintain.FILE_BLOCK_SIZE)})
        except duckdb.IOException as exc:
            raise _open_error(where, exc) from None
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            con.execute("SET GLOBAL parquet_metadata_cache = true")  # cursors share it
            # every query that needs an order says so; without this, big scans buffer less
            con.execute("SET GLOBAL preserve_insertion_order = false")
            self._prepare_schema(con, where)
            self._register(con, factory)
            con.execute(
                "INSERT INTO seamline_state SELECT k, 0 FROM unnest(['rollup_wseq', 'rollup_open_ms',"
                " 'retention_now_ms']) AS t(k) WHERE k NOT IN (SELECT key FROM seamline_state)"
            )
            self._tidy_cold(con)
            self._readings = _scalar(con, "SELECT count(*) FROM readings_hot") + _scalar(
                con, "SELECT COALESCE(sum(rows), 0) FROM cold_files WHERE kind = 'raw'"
            )
            self._messages = _scalar(con, "SELECT count(*) FROM messages") + _scalar(
                con, "SELECT COALESCE(sum(seq_hi - seq_lo + 1), 0) FROM message_ranges"
            )
            self.wseq = _scalar(
                con,
                "SELECT greatest((SELECT COALESCE(max(wseq), 0) FROM readings_hot),"
                " (SELECT COALESCE(max(wseq), 0) FROM messages),"
                " (SELECT COALESCE(max(wseq), 0) FROM events),"
                " (SELECT COALESCE(max(upto), 0) FROM saved_state),"
                " (SELECT value FROM seamline_state WHERE key = 'rollup_wseq'))",
            )
            self._load_latest(con, factory.sensor_count)
            self.max_ts = int(self._latest_ts.max(initial=_latest.NO_TS))
        except BaseException:
            con.close()
            raise
        self._con = con

    def _open_read_only(self, factory: Factory) -> None:
        """Connect read-only to an existing store and load the caches; write nothing."""
        if self.path is None:
            raise StoreFileError(":memory:", "an in-memory store has nothing to read", reason="store_open")
        where = str(self.path)
        if not self.path.is_file():
            raise StoreFileError(
                where,
                f"there is no Seamline store at {where}; give the --data-dir that `seamline serve` or"
                " `seamline demo` writes to",
                reason="no_store",
            )
        try:
            con = duckdb.connect(where, read_only=True)
        except duckdb.IOException as exc:
            raise _open_error(where, exc, read_only=True) from None
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            tables = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
                ).fetchall()
            }
            version = 0
            if "seamline_schema" in tables:
                version = _scalar(con, "SELECT max(version) FROM seamline_schema")
            if version != SCHEMA_VERSION or TABLES - tables:
                older = 0 < version < SCHEMA_VERSION
                raise StoreFileError(
                    where,
                    f"{where} is not a Seamline store of schema version {SCHEMA_VERSION} (found"
                    f" {version or 'none'}); "
                    + (
                        "start `seamline serve` on it once to upgrade it, then read it again"
                        if older
                        else "upgrade Seamline or point it at a store this version wrote"
                    ),
                    reason="store_version" if version else "not_a_store",
                )
            self.kinds = {s.id: str(s.channel.kind) for s in factory.sensors()}
            self._readings = _scalar(con, "SELECT count(*) FROM readings_hot") + _scalar(
                con, "SELECT COALESCE(sum(rows), 0) FROM cold_files WHERE kind = 'raw'"
            )
            self._messages = _scalar(con, "SELECT count(*) FROM messages") + _scalar(
                con, "SELECT COALESCE(sum(seq_hi - seq_lo + 1), 0) FROM message_ranges"
            )
            self._load_latest(con, factory.sensor_count)
            self.max_ts = int(self._latest_ts.max(initial=_latest.NO_TS))
        except BaseException:
            con.close()
            raise
        self._con = con

    def _refuse_writes(self) -> None:
        if self.read_only:
            raise StoreError(
                f"{self.path} is open read-only: it takes no writes and no maintenance", reason="read_only"
            )

    def opened(self, factory: Factory) -> Self:
        """Open and return ``self``, for ``with DuckDBStore(path).opened(factory) as store:``."""
        self.open(factory)
        return self

    def close(self) -> None:
        """Close every connection; delete the files compaction replaced, and when it left the
        database file mostly free blocks, rewrite it compactly (nothing else uses them now)."""
        with self._cursors_lock:
            for cur in self._cursors:
                cur.close()
            self._cursors.clear()
        self._local = threading.local()
        con, self._con = self._con, None
        if con is None:
            return
        if self.read_only:  # someone else's file: no garbage collection, no rewrite
            con.close()
            return
        copy = None
        try:
            if self.cold_root is not None:  # no query can hold a replaced file any more
                _duckdb_maintain.collect_garbage(self, con, age_s=0.0)
            if self.path is not None:
                copy = _duckdb_maintain.copy_if_sparse(con, self.path)
        finally:
            con.close()
        if copy is not None and self.path is not None:
            _duckdb_maintain.replace_file(copy, self.path)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prepare_schema(self, con: duckdb.DuckDBPyConnection, where: str) -> None:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        }
        if "seamline_schema" not in tables:
            if tables:
                raise StoreFileError(
                    where,
                    f"{where} is a DuckDB database but not a Seamline store (it has tables"
                    f" {sorted(tables)[:5]}); point Seamline at an empty or new data directory",
                    reason="not_a_store",
                )
            con.begin()
            con.execute(SCHEMA)
            con.execute(readings_view_sql(None, []))
            con.execute(
                "INSERT INTO seamline_schema VALUES (?, ?)", [SCHEMA_VERSION, int(time.time() * 1000)]
            )
            con.commit()
            return
        version = _scalar(con, "SELECT max(version) FROM seamline_schema")
        if version > SCHEMA_VERSION:
            raise StoreFileError(
                where,
                f"{where} has schema version {version}, newer than this Seamline understands"
                f" ({SCHEMA_VERSION}); upgrade Seamline",
                reason="store_version",
            )
        if version < SCHEMA_VERSION:
            # Version 4 reads every file versions 2 and 3 wrote, and maintenance moves the closed
            # hours of rollup_1h into files, which they would not read: they refuse the store now.
            # Version 5 numbers the events by commit and keeps the saved production ledger.
            log.info("upgrading %s from schema version %d to %d", where, version, SCHEMA_VERSION)
            con.begin()
            if version == 1 and "readings" in tables:
                con.execute(UPGRADE_FROM_1)
                con.execute(readings_view_sql(None, []))
                tables = (tables - {"readings"}) | (TABLES - {"saved_state"})
            if "saved_state" not in tables:
                con.execute(UPGRADE_TO_5)
                tables.add("saved_state")
            con.execute("UPDATE seamline_schema SET version = ?", [SCHEMA_VERSION])
            con.commit()
        if "readings_hot" in tables and "state_breaks_1h" not in tables:  # early builds of schema 2
            con.execute(
                "CREATE TABLE state_breaks_1h (sensor_id INTEGER NOT NULL, bucket BIGINT NOT NULL,"
                " ts_ms BIGINT NOT NULL, code BIGINT, prev_ts BIGINT NOT NULL)"
            )
            tables.add("state_breaks_1h")
        missing = TABLES - tables
        if missing:
            raise StoreFileError(
                where, f"{where} lacks tables {sorted(missing)}; it is damaged", reason="not_a_store"
            )

    def _register(self, con: duckdb.DuckDBPyConnection, factory: Factory) -> None:
        """Write the device and sensor registry and each sensor's retention; warn when the factory
        file re-numbered sensors."""
        sensors = factory.sensors()
        self.kinds = {s.id: str(s.channel.kind) for s in sensors}
        scales = [_scale(s.channel.resolution) for s in sensors]
        new = pa.table(
            {
                "sensor_id": pa.array([s.id for s in sensors], pa.int32()),
                "device_id": [s.device_id for s in sensors],
                "channel": [s.channel.name for s in sensors],
                "kind": [str(s.channel.kind) for s in sensors],
                "unit": [s.channel.unit for s in sensors],
                "mul": pa.array([m for m, _ in scales], pa.float64()),
                "div": pa.array([d for _, d in scales], pa.float64()),
            }
        )
        classes = [self.retention.class_of(s) for s in sensors]
        retention = pa.table(
            {
                "sensor_id": pa.array([s.id for s in sensors], pa.int32()),
                "raw_ms": pa.array([c.raw_ms for c in classes], pa.int64()),
                "minute_ms": pa.array([c.minute_ms for c in classes], pa.int64()),
                "hour_ms": pa.array([c.hour_ms for c in classes], pa.int64()),
            }
        )
        con.begin()
        con.execute("DELETE FROM sensor_retention")
        con.from_arrow(retention).insert_into("sensor_retention")
        con.commit()
        old = con.sql("SELECT * FROM sensors ORDER BY sensor_id").to_arrow_table()
        if old.equals(new):
            return
        if old.num_rows:
            common = min(old.num_rows, new.num_rows)
            moved = sum(
                1
                for a, b, c, d in zip(
                    old["device_id"].to_pylist()[:common],
                    new["device_id"].to_pylist()[:common],
                    old["channel"].to_pylist()[:common],
                    new["channel"].to_pylist()[:common],
                    strict=True,
                )
                if (a, c) != (b, d)
            )
            if moved:
                log.warning(
                    "the factory file changed the meaning of %d sensor ids in %s; readings stored before"
                    " the change keep their old sensor ids",
                    moved,
                    self.path or ":memory:",
                )
        devices = pa.table(
            {
                "device_id": [d.id for d in factory.devices],
                "machine_type": [d.machine_type.id for d in factory.devices],
                "area_id": [d.area_id for d in factory.devices],
                "line_id": [d.line_id for d in factory.devices],
                "workstation_id": [d.workstation_id for d in factory.devices],
                "sensor_base": pa.array([d.sensor_base for d in factory.devices], pa.int32()),
                "sensor_count": pa.array([d.sensor_count for d in factory.devices], pa.int32()),
            }
        )
        con.begin()
        con.execute("DELETE FROM sensors")
        con.execute("DELETE FROM devices")
        con.from_arrow(new).insert_into("sensors")
        con.from_arrow(devices).insert_into("devices")
        con.commit()

    def _tidy_cold(self, con: duckdb.DuckDBPyConnection) -> None:
        """Delete what a crash or a finished merge left behind: nobody reads the files yet."""
        if self.cold_root is None:
            return
        garbage = [r[0] for r in con.execute("SELECT path FROM cold_garbage").fetchall()]
        _coldfiles.remove(self.cold_root, garbage)
        con.execute("DELETE FROM cold_garbage")
        listed = {r[0] for r in con.execute("SELECT path FROM cold_files").fetchall()}
        removed = _coldfiles.remove_unlisted(self.cold_root, listed)
        if removed:
            log.info(
                "removed %d unlisted files from %s (left by an interrupted compaction)",
                removed,
                self.cold_root,
            )
        raw = [
            r[0] for r in con.execute("SELECT path FROM cold_files WHERE kind = 'raw' ORDER BY t0").fetchall()
        ]
        con.execute(readings_view_sql(self.cold_root, raw))

    def _load_latest(self, con: duckdb.DuckDBPyConnection, n_sensors: int) -> None:
        """Newest reading of each sensor (see :func:`_duckdb_query.newest_readings`)."""
        ids, ts, values = _duckdb_query.newest_readings(con, self.cold_root)
        size = max(n_sensors, int(ids.max()) + 1 if len(ids) else 0)
        self._latest_ts = np.full(size, _latest.NO_TS, np.int64)
        self._latest_v = np.zeros(size, np.float64)
        self._latest_ts[ids] = ts
        self._latest_v[ids] = values

    # -- writing ---------------------------------------------------------------------------------

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        """Commit these messages in one transaction; already-stored ones are skipped.

        The readings are one Arrow append to the hot table: no index, no sorting, no rollup work
        happens here (that is :meth:`maintain`'s job).
        """
        self._refuse_writes()
        con = self._writer()
        unique: dict[tuple[str, int, int], DeviceBatch] = {}
        for b in batches:
            unique.setdefault(b.key, b)
        if not unique:
            return WriteResult(0, 0, 0, 0)
        candidates = list(unique.values())
        with self.write_lock:
            wseq = self.wseq + 1
            messages = pa.table(
                {
                    "device_id": [b.device_id for b in candidates],
                    "boot": pa.array([b.boot for b in candidates], pa.int64()),
                    "seq": pa.array([b.seq for b in candidates], pa.int64()),
                    "sent_ts_ms": pa.array([b.sent_ts_ms for b in candidates], pa.int64()),
                    "received_ts_ms": pa.array([b.received_ts_ms for b in candidates], pa.int64()),
                    "n_readings": pa.array([len(b) for b in candidates], pa.int32()),
                    "n_events": pa.array([len(b.events) for b in candidates], pa.int32()),
                }
            )
            try:
                con.begin()
                con.register("_new_messages", messages)
                inserted = con.execute(
                    "INSERT OR IGNORE INTO messages SELECT m.*, ? FROM _new_messages m WHERE NOT EXISTS ("
                    " SELECT 1 FROM message_ranges r WHERE r.device_id = m.device_id AND r.boot = m.boot"
                    " AND m.seq BETWEEN r.seq_lo AND r.seq_hi) RETURNING device_id, boot, seq",
                    [wseq],
                ).fetchall()
                con.unregister("_new_messages")
                if len(inserted) == len(candidates):
                    kept = candidates
                else:
                    stored = set(inserted)
                    kept = [b for b in candidates if b.key in stored]
                sensor_ids, ts, values = _latest.concat_readings(kept)
                if len(sensor_ids):
                    con.from_arrow(
                        pa.table(
                            {
                                "sensor_id": sensor_ids,
                                "ts_ms": ts,
                                "value": values,
                                "wseq": np.full(len(sensor_ids), wseq, np.int64),
                            }
                        )
                    ).insert_into("readings_hot")
                n_events = self._insert_events(con, kept, wseq)
                con.commit()
            except duckdb.Error as exc:
                _rollback(con)
                raise StoreError(
                    f"cannot write {len(candidates)} messages to {self.path or ':memory:'}: {exc}"
                ) from exc
            except BaseException:
                _rollback(con)
                raise
            self.wseq = wseq
        if len(ts):
            self.max_ts = max(self.max_ts, int(ts.max()))
        self._update_latest(sensor_ids, ts, values)
        self.adjust_counts(len(sensor_ids), len(kept))
        kept_keys = {b.key for b in kept}
        duplicate_keys = tuple(b.key for b in batches if b.key not in kept_keys)
        return WriteResult(len(kept), len(batches) - len(kept), len(sensor_ids), n_events, duplicate_keys)

    @staticmethod
    def _insert_events(con: duckdb.DuckDBPyConnection, kept: Sequence[DeviceBatch], wseq: int) -> int:
        events = [(b.received_ts_ms, e) for b in kept for e in b.events]
        if not events:
            return 0
        table = pa.table(
            {
                "device_id": [e.device_id for _, e in events],
                "ts_ms": pa.array([e.ts_ms for _, e in events], pa.int64()),
                "received_ts_ms": pa.array([r for r, _ in events], pa.int64()),
                "type": [e.type for _, e in events],
                "data": [orjson.dumps(e.data, option=orjson.OPT_SERIALIZE_NUMPY).decode() for _, e in events],
            }
        )
        con.register("_new_events", table)
        con.execute(
            "INSERT INTO events SELECT device_id, ts_ms, received_ts_ms, type, data::JSON, ?"
            " FROM _new_events",
            [wseq],
        )
        con.unregister("_new_events")
        return len(events)

    def _update_latest(
        self, sensor_ids: npt.NDArray[np.int32], ts: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
    ) -> None:
        """Newest device time wins; an older, back-filled reading never replaces a newer one."""
        if not len(sensor_ids):
            return
        with self._latest_lock:
            self._latest_ts, self._latest_v = _latest.grown(
                self._latest_ts, self._latest_v, int(sensor_ids.max()) + 1
            )
            np.maximum.at(self._latest_ts, sensor_ids, ts)
            newest = ts == self._latest_ts[sensor_ids]
            # With equal timestamps the later reading in the batch wins (fancy assignment keeps the last).
            self._latest_v[sensor_ids[newest]] = values[newest]

    # -- reading ---------------------------------------------------------------------------------

    def latest(self, sensor_ids: Sequence[int] | None = None) -> list[LatestValue]:
        """Newest reading (by device time) of each sensor that has one; all sensors when ``None``."""
        ids, ts, values = self.latest_arrays(sensor_ids)
        return [
            LatestValue(i, t, v) for i, t, v in zip(ids.tolist(), ts.tolist(), values.tolist(), strict=True)
        ]

    def latest_arrays(
        self, sensor_ids: Sequence[int] | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Like :meth:`latest` as three parallel arrays (sensor id, ts_ms, value), for dashboards."""
        with self._latest_lock:
            return _latest.lookup(self._latest_ts, self._latest_v, sensor_ids)

    def history(self, sensor_id: int, start_ms: int, end_ms: int, limit: int = 10_000) -> Series:
        """Readings of one sensor with ``start_ms <= ts < end_ms``, in time order, at most ``limit``.

        The range is read in consecutive windows, from :data:`HISTORY_FIRST_WINDOW_MS` growing
        fourfold up to :data:`HISTORY_MAX_WINDOW_MS`, until ``limit`` readings are in hand: a
        request for the first 10,000 readings of a 10 Hz sensor's day reads its first hour, not
        its day, and no window reads more than a day of the sensor.
        """
        ts_parts: list[npt.NDArray[np.int64]] = []
        value_parts: list[npt.NDArray[np.float64]] = []
        found = 0
        lo, window = start_ms, HISTORY_FIRST_WINDOW_MS
        with self.snapshot() as cur:
            while lo < end_ms and found < limit:
                hi = min(end_ms, lo + window)
                files = self.files(cur, "raw", lo, hi)
                ts, values = _duckdb_query.raw_rows(self, cur, files, sensor_id, [(lo, hi)])
                ts, values = _in_reading_order(ts, values)
                ts_parts.append(ts)
                value_parts.append(values)
                found += len(ts)
                lo, window = hi, min(window * 4, HISTORY_MAX_WINDOW_MS)
                if not len(ts) and lo < end_ms:  # skip a stretch without data in one step
                    lo = max(lo, self._next_raw_ms(cur, sensor_id, lo, end_ms))
        if len(ts_parts) == 1:
            return Series(sensor_id, ts_parts[0][:limit], value_parts[0][:limit])
        all_ts = np.concatenate(ts_parts) if ts_parts else np.empty(0, np.int64)
        all_values = np.concatenate(value_parts) if value_parts else np.empty(0, np.float64)
        return Series(sensor_id, all_ts[:limit], all_values[:limit])

    def _next_raw_ms(self, cur: duckdb.DuckDBPyConnection, sensor_id: int, after_ms: int, end_ms: int) -> int:
        """Where the sensor's next raw reading at or after ``after_ms`` may be: the start of the next
        compacted file or its next hot row (``end_ms`` when there is none)."""
        row = cur.execute(
            "SELECT least((SELECT min(t0) FROM cold_files WHERE kind = 'raw' AND t1 > $1 AND t0 < $2),"
            " (SELECT min(ts_ms) FROM readings_hot WHERE sensor_id = $3 AND ts_ms >= $1 AND ts_ms < $2))",
            [after_ms, end_ms, sensor_id],
        ).fetchall()
        return end_ms if not row or row[0][0] is None else int(row[0][0])

    def events(
        self,
        device_ids: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 1000,
        *,
        after_wseq: int | None = None,
    ) -> list[StoredEvent]:
        """Events, newest first (device time); ``start_ms`` inclusive, ``end_ms`` exclusive; only
        those committed after commit ``after_wseq`` when given."""
        where: list[str] = []
        params: list[Any] = []
        if after_wseq is not None:
            where.append("wseq > ?")
            params.append(after_wseq)
        if device_ids is not None:
            where.append("list_contains(?, device_id)")
            params.append(list(device_ids))
        if types is not None:
            where.append("list_contains(?, type)")
            params.append(list(types))
        if start_ms is not None:
            where.append("ts_ms >= ?")
            params.append(start_ms)
        if end_ms is not None:
            where.append("ts_ms < ?")
            params.append(end_ms)
        sql = "SELECT device_id, ts_ms, received_ts_ms, type, data FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY ts_ms DESC, rowid DESC LIMIT ?"
        rows = self._reader().execute(sql, [*params, limit]).fetchall()
        return [StoredEvent(d, t, r, k, orjson.loads(data)) for d, t, r, k, data in rows]

    def state_changes(
        self, start_ms: int | None = None, end_ms: int | None = None, *, after_wseq: int | None = None
    ) -> StateChanges:
        """Stored ``state`` events as columns; see the Store protocol."""
        table = (
            self._reader()
            .sql(
                "SELECT device_id, CASE WHEN data->>'sparkplug' IN ('NDEATH', 'DDEATH') THEN 'no_signal'"
                " ELSE data->>'state' END AS state, list(ts_ms ORDER BY rowid) AS ts,"
                " list(rowid ORDER BY rowid) AS seq FROM events WHERE type = 'state'"
                " AND ts_ms >= $1 AND ts_ms < $2 AND wseq > $3 GROUP BY ALL",
                params=[
                    -(1 << 62) if start_ms is None else start_ms,
                    1 << 62 if end_ms is None else end_ms,
                    -1 if after_wseq is None else after_wseq,
                ],
            )
            .to_arrow_table()
        )
        ts, seq = table.column("ts").combine_chunks(), table.column("seq").combine_chunks()
        cuts = ts.offsets.to_numpy()
        flat_ts, flat_seq = ts.values.to_numpy().astype(np.int64), seq.values.to_numpy().astype(np.int64)
        return StateChanges.from_groups(
            [
                (d, s, flat_ts[a:b], flat_seq[a:b])
                for d, s, a, b in zip(
                    table.column("device_id").to_pylist(),
                    table.column("state").to_pylist(),
                    cuts[:-1].tolist(),
                    cuts[1:].tolist(),
                    strict=True,
                )
                if s is not None
            ]
        )

    def aggregates(self, sensor_id: int, start_ms: int, end_ms: int, resolution: Resolution) -> Aggregates:
        """Rolled-up history of one sensor over ``[start_ms, end_ms)``; see the Store protocol."""
        return _duckdb_query.aggregates(self, sensor_id, start_ms, end_ms, resolution)

    def save_state(self, name: str, upto: int, data: bytes) -> None:
        """Keep ``data`` as the saved state ``name``, replacing the one before in one transaction;
        see the Store protocol."""
        self._refuse_writes()
        with self.write_lock:  # the writer's connection: one statement at a time
            con = self._writer()
            try:
                con.execute(
                    "INSERT OR REPLACE INTO saved_state VALUES (?, ?, ?, ?)",
                    [name, upto, int(time.time() * 1000), data],
                )
            except duckdb.Error as exc:
                raise StoreError(f"cannot save {name} to {self.path or ':memory:'}: {exc}") from exc

    def load_state(self, name: str) -> SavedState | None:
        """The saved state ``name``, or None; see the Store protocol."""
        rows = (
            self._reader()
            .execute("SELECT upto, saved_ms, data FROM saved_state WHERE name = ?", [name])
            .fetchall()
        )
        return SavedState(name, int(rows[0][0]), int(rows[0][1]), bytes(rows[0][2])) if rows else None

    def state_durations(
        self, sensor_ids: Sequence[int], start_ms: int, end_ms: int, interval_ms: int
    ) -> StateDurations:
        """Time each state sensor spent in each code per interval; see the Store protocol."""
        return _duckdb_query.state_durations(self, sensor_ids, start_ms, end_ms, interval_ms)

    def maintain(self, now_ms: int | None = None, *, close_all: bool = False) -> MaintenanceReport:
        """One pass of rollups, compaction and retention; see the Store protocol.

        ``close_all`` compacts every slice, even those the data's clock has not closed yet (for
        tests and benchmarks that want everything compacted).
        """
        self._refuse_writes()
        with self.maintain_lock:
            return _duckdb_maintain.run(
                self, int(time.time() * 1000) if now_ms is None else now_ms, close_all=close_all
            )

    def disk_bytes(self) -> int:
        """The database file, its write-ahead log and every compacted block."""
        if self.path is None:
            return 0
        wal = self.path.with_name(self.path.name + ".wal")
        files = [p for p in (self.path, wal) if p.exists()]
        return sum(p.stat().st_size for p in files) + _coldfiles.du(self.cold_root or self.path)

    def adjust_counts(self, readings: int = 0, messages: int = 0) -> None:
        """Maintenance dropped readings (retention); keep :meth:`reading_count` in step."""
        with self.write_lock:
            self._readings += readings
            self._messages += messages

    def reading_count(self) -> int:
        return self._readings

    def message_count(self) -> int:
        return self._messages

    # -- connections -----------------------------------------------------------------------------

    def _writer(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise StoreError("the store is not open; call open(factory) first", reason="store_closed")
        return self._con

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor: DuckDB connections are not shared between threads."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._writer().cursor()
            with self._cursors_lock:
                self._cursors.append(cur)
            self._local.cursor = cur
        return cur

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """This thread's cursor inside one read transaction: the hot rows, the rollups and the list
        of compacted files it sees belong together even while maintenance moves rows."""
        cur = self._reader()
        cur.begin()
        try:
            yield cur
        finally:
            _rollback(cur)

    def files(self, cur: duckdb.DuckDBPyConnection, kind: str, start_ms: int, end_ms: int) -> list[str]:
        """Compacted files of ``kind`` whose time range overlaps ``[start_ms, end_ms)``."""
        if self.cold_root is None:
            return []
        rows = cur.execute(
            "SELECT path FROM cold_files WHERE kind = ? AND t0 < ? AND t1 > ? ORDER BY t0, t1",
            [kind, end_ms, start_ms],
        ).fetchall()
        return [r[0] for r in rows]


def _scalar(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None, default: int = 0
) -> int:
    rows = con.execute(sql, params or []).fetchall()  # fetch to the end: DuckDB keeps a half-read result open
    return int(rows[0][0]) if rows and rows[0][0] is not None else default


def _scale(resolution: float) -> tuple[float, float]:
    """``(mul, div)`` such that ``steps * mul / div`` is the shortest decimal of a quantised value
    (0.3, not 0.30000000000000004): divide by 10**k for resolutions like 0.1 or 0.001, multiply by
    the resolution otherwise."""
    if resolution <= 0 or not np.isfinite(resolution):
        return 1.0, 1.0
    inv = 1.0 / resolution
    if resolution < 1.0 and abs(inv - round(inv)) < 1e-9:
        return 1.0, float(round(inv))
    return resolution, 1.0


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open: nothing to undo
        con.rollback()


def _open_error(where: str, exc: duckdb.IOException, *, read_only: bool = False) -> StoreFileError:
    text = str(exc)
    if "lock" in text.lower():
        m = re.search(r"PID (\d+)", text)
        pid = int(m.group(1)) if m else None
        holder = f" (PID {pid})" if pid else ""
        if read_only:
            return StoreFileError(
                where,
                f"{where} is in use by another process{holder}, most likely a running `seamline serve` or"
                " `seamline demo`: DuckDB lets no other process read a store file while one writes it."
                " Stop that service and run this again, or run Seamline on PostgreSQL"
                " (--store postgresql://...), where readers and the service work side by side",
                reason="store_in_use",
                pid=pid,
            )
        return StoreFileError(
            where,
            f"{where} is locked by another process{holder}: another Seamline may be running on this data"
            " directory (DuckDB allows one writing process per file); stop it or use another data directory",
            reason="store_locked",
            pid=pid,
        )
    if "not a valid DuckDB database" in text:
        return StoreFileError(
            where,
            f"{where} exists but is not a DuckDB database, so not a Seamline store; move it away or choose"
            " another data directory",
            reason="not_a_store",
        )
    return StoreFileError(where, f"cannot open {where}: {text}", reason="store_open")
