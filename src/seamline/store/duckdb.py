"""The embedded telemetry store: one DuckDB file, one writer, readers on their own cursors.

Times are stored as BIGINT milliseconds since the Unix epoch (UTC), exactly as they arrive on the
wire and leave through :class:`~seamline.store.base.Store`: the reading columns go from numpy to
Arrow to DuckDB without a conversion, and round-trip bit for bit. The ``readings_t`` view adds a
``TIMESTAMPTZ`` for ad-hoc SQL.

Every ``write_batch`` is one transaction with one Arrow ``INSERT`` per table (never
``executemany``). Duplicates are filtered by the primary key of ``messages`` with
``INSERT OR IGNORE ... RETURNING``, so a resent message neither aborts the transaction nor stores
its readings twice.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Self

import duckdb
import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa

from seamline.ingest.batch import DeviceBatch
from seamline.model.factory import Factory
from seamline.store.base import LatestValue, Series, StoredEvent, StoreError, WriteResult

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1
DB_FILENAME: Final = "seamline.duckdb"
_NO_TS: Final = np.iinfo(np.int64).min  # latest-cache slot of a sensor that has no reading yet

_SCHEMA: Final = """
CREATE TABLE seamline_schema (version INTEGER NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE devices (
    device_id VARCHAR NOT NULL, machine_type VARCHAR NOT NULL, area_id VARCHAR NOT NULL,
    line_id VARCHAR, workstation_id VARCHAR, sensor_base INTEGER NOT NULL, sensor_count INTEGER NOT NULL);
CREATE TABLE sensors (
    sensor_id INTEGER NOT NULL, device_id VARCHAR NOT NULL, channel VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, unit VARCHAR NOT NULL);
CREATE TABLE readings (sensor_id INTEGER NOT NULL, ts_ms BIGINT NOT NULL, value DOUBLE NOT NULL);
CREATE TABLE messages (
    device_id VARCHAR NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL, sent_ts_ms BIGINT NOT NULL,
    received_ts_ms BIGINT NOT NULL, n_readings INTEGER NOT NULL, n_events INTEGER NOT NULL,
    PRIMARY KEY (device_id, boot, seq));
CREATE TABLE events (
    device_id VARCHAR NOT NULL, ts_ms BIGINT NOT NULL, received_ts_ms BIGINT NOT NULL,
    type VARCHAR NOT NULL, data JSON NOT NULL);
CREATE VIEW readings_t AS
    SELECT r.sensor_id, s.device_id, s.channel, make_timestamptz(r.ts_ms * 1000) AS ts, r.value
    FROM readings r JOIN sensors s USING (sensor_id);
"""
_TABLES: Final = frozenset({"seamline_schema", "devices", "sensors", "readings", "messages", "events"})


class StoreFileError(StoreError):
    """The database file cannot be opened as a Seamline store."""

    def __init__(self, path: str, message: str, *, reason: str, pid: int | None = None) -> None:
        super().__init__(message, reason=reason)
        self.path = path
        self.pid = pid

    def details(self) -> dict[str, object]:
        return {"path": self.path, "pid": self.pid}


class DuckDBStore:
    """A :class:`~seamline.store.base.Store` on a DuckDB file.

    ``path`` is the database file, a data directory (the file is then ``seamline.duckdb`` in it),
    or ``":memory:"``. Only one thread may call :meth:`write_batch` at a time (the ingest writer);
    the query methods may be called from any thread, each on its own cursor.

    >>> from seamline.model.loader import load_factory
    >>> with DuckDBStore(":memory:").opened(load_factory()) as store:
    ...     store.reading_count()
    0
    """

    def __init__(self, path: Path | str) -> None:
        if str(path) == ":memory:":
            self.path: Path | None = None
        else:
            p = Path(path)
            self.path = p / DB_FILENAME if p.is_dir() else p
        self._con: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._latest_lock = threading.Lock()
        self._latest_ts = np.full(0, _NO_TS, np.int64)
        self._latest_v = np.zeros(0, np.float64)
        self._readings = 0
        self._messages = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def open(self, factory: Factory) -> None:
        """Connect, create or check the schema, register the factory and load the caches."""
        if self._con is not None:
            return
        where = str(self.path) if self.path else ":memory:"
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(where)
        except duckdb.IOException as exc:
            raise _open_error(where, exc) from None
        try:
            self._prepare_schema(con, where)
            self._register(con, factory)
            self._readings = _scalar(con, "SELECT count(*) FROM readings")
            self._messages = _scalar(con, "SELECT count(*) FROM messages")
            self._load_latest(con, factory.sensor_count)
        except BaseException:
            con.close()
            raise
        self._con = con

    def opened(self, factory: Factory) -> Self:
        """Open and return ``self``, for ``with DuckDBStore(path).opened(factory) as store:``."""
        self.open(factory)
        return self

    def close(self) -> None:
        with self._cursors_lock:
            for cur in self._cursors:
                cur.close()
            self._cursors.clear()
        self._local = threading.local()
        if self._con is not None:
            self._con.close()
            self._con = None

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
            con.execute(_SCHEMA)
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
        missing = _TABLES - tables
        if missing:
            raise StoreFileError(
                where, f"{where} lacks tables {sorted(missing)}; it is damaged", reason="not_a_store"
            )

    def _register(self, con: duckdb.DuckDBPyConnection, factory: Factory) -> None:
        """Write the device and sensor registry; warn when the factory file re-numbered sensors."""
        sensors = factory.sensors()
        new = pa.table(
            {
                "sensor_id": pa.array([s.id for s in sensors], pa.int32()),
                "device_id": [s.device_id for s in sensors],
                "channel": [s.channel.name for s in sensors],
                "kind": [str(s.channel.kind) for s in sensors],
                "unit": [s.channel.unit for s in sensors],
            }
        )
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

    def _load_latest(self, con: duckdb.DuckDBPyConnection, n_sensors: int) -> None:
        got = con.execute(
            "SELECT sensor_id, max(ts_ms) AS ts_ms, arg_max(value, ts_ms) AS value"
            " FROM readings GROUP BY sensor_id"
        ).fetchnumpy()
        ids = np.asarray(got["sensor_id"], np.int64)
        size = max(n_sensors, int(ids.max()) + 1 if len(ids) else 0)
        self._latest_ts = np.full(size, _NO_TS, np.int64)
        self._latest_v = np.zeros(size, np.float64)
        self._latest_ts[ids] = np.asarray(got["ts_ms"], np.int64)
        self._latest_v[ids] = np.asarray(got["value"], np.float64)

    # -- writing ---------------------------------------------------------------------------------

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        """Commit these messages in one transaction; already-stored ones are skipped."""
        con = self._writer()
        unique: dict[tuple[str, int, int], DeviceBatch] = {}
        for b in batches:
            unique.setdefault(b.key, b)
        if not unique:
            return WriteResult(0, 0, 0, 0)
        candidates = list(unique.values())
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
                "INSERT OR IGNORE INTO messages SELECT * FROM _new_messages RETURNING device_id, boot, seq"
            ).fetchall()
            con.unregister("_new_messages")
            if len(inserted) == len(candidates):
                kept = candidates
            else:
                stored = set(inserted)
                kept = [b for b in candidates if b.key in stored]
            sensor_ids, ts, values = _concat_readings(kept)
            if len(sensor_ids):
                con.from_arrow(pa.table({"sensor_id": sensor_ids, "ts_ms": ts, "value": values})).insert_into(
                    "readings"
                )
            n_events = self._insert_events(con, kept)
            con.commit()
        except duckdb.Error as exc:
            _rollback(con)
            raise StoreError(
                f"cannot write {len(candidates)} messages to {self.path or ':memory:'}: {exc}"
            ) from exc
        except BaseException:
            _rollback(con)
            raise
        self._update_latest(sensor_ids, ts, values)
        self._readings += len(sensor_ids)
        self._messages += len(kept)
        kept_keys = {b.key for b in kept}
        duplicate_keys = tuple(b.key for b in batches if b.key not in kept_keys)
        return WriteResult(len(kept), len(batches) - len(kept), len(sensor_ids), n_events, duplicate_keys)

    @staticmethod
    def _insert_events(con: duckdb.DuckDBPyConnection, kept: Sequence[DeviceBatch]) -> int:
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
            "INSERT INTO events SELECT device_id, ts_ms, received_ts_ms, type, data::JSON FROM _new_events"
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
            top = int(sensor_ids.max()) + 1
            if top > len(self._latest_ts):
                grow = top - len(self._latest_ts)
                self._latest_ts = np.concatenate([self._latest_ts, np.full(grow, _NO_TS, np.int64)])
                self._latest_v = np.concatenate([self._latest_v, np.zeros(grow, np.float64)])
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
            if sensor_ids is None:
                ids = np.flatnonzero(self._latest_ts != _NO_TS)
            else:
                want = np.asarray(sensor_ids, np.int64)
                want = want[(want >= 0) & (want < len(self._latest_ts))]
                ids = want[self._latest_ts[want] != _NO_TS]
            return ids.astype(np.int64), self._latest_ts[ids], self._latest_v[ids]

    def history(self, sensor_id: int, start_ms: int, end_ms: int, limit: int = 10_000) -> Series:
        """Readings of one sensor with ``start_ms <= ts < end_ms``, in time order, at most ``limit``."""
        got = (
            self._reader()
            .execute(
                "SELECT ts_ms, value FROM readings WHERE sensor_id = ? AND ts_ms >= ? AND ts_ms < ?"
                " ORDER BY ts_ms LIMIT ?",
                [sensor_id, start_ms, end_ms, limit],
            )
            .fetchnumpy()
        )
        return Series(sensor_id, np.asarray(got["ts_ms"], np.int64), np.asarray(got["value"], np.float64))

    def events(
        self,
        device_ids: Sequence[str] | None = None,
        types: Sequence[str] | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int = 1000,
    ) -> list[StoredEvent]:
        """Events, newest first (device time); ``start_ms`` inclusive, ``end_ms`` exclusive."""
        where: list[str] = []
        params: list[Any] = []
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


def _concat_readings(
    batches: Sequence[DeviceBatch],
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    with_readings = [b for b in batches if len(b)]
    if not with_readings:
        return np.empty(0, np.int32), np.empty(0, np.int64), np.empty(0, np.float64)
    return (
        np.concatenate([b.sensor_ids for b in with_readings]).astype(np.int32, copy=False),
        np.concatenate([b.ts_ms for b in with_readings]).astype(np.int64, copy=False),
        np.concatenate([b.values for b in with_readings]).astype(np.float64, copy=False),
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()  # fetch to the end: DuckDB keeps a half-read result open
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open: nothing to undo
        con.rollback()


def _open_error(where: str, exc: duckdb.IOException) -> StoreFileError:
    text = str(exc)
    if "lock" in text.lower():
        m = re.search(r"PID (\d+)", text)
        pid = int(m.group(1)) if m else None
        holder = f" (PID {pid})" if pid else ""
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
