"""The telemetry store on a PostgreSQL 15 server: one writer connection, a small pool of readers.

``PostgresStore("postgresql://user@host:5432/db", schema="seamline")`` keeps everything in one
PostgreSQL schema (created if missing); the schema may also be given in the URL as
``?schema=name``, which is taken out before libpq sees the URL. One schema holds one store, and
one process writes to it at a time (a session advisory lock on the writer connection enforces it,
as DuckDB's file lock does for a file).

Every ``write_batch`` is one transaction: ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` into
``messages`` finds the messages not stored before; only their readings go to ``readings``, in
one binary ``COPY`` built with numpy (:mod:`seamline.store.postgres_copy`), sorted by sensor so
the BRIN index can find one sensor's pages; events go in as JSONB; the ``latest`` table, the
counters and the minute buckets to roll up are updated in the same transaction (through
:mod:`seamline.store.postgres_write`). Tables and partitions are described in
:mod:`seamline.store.postgres_schema`; rollups and retention in
:mod:`seamline.store.postgres_rollup`; state durations in :mod:`seamline.store.postgres_states`.

The latest value of each sensor is served from memory, as in the DuckDB store; the ``latest``
table the writer keeps beside it rebuilds that cache on open without scanning the readings.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Sequence
from typing import Any, Final, Self

import numpy as np
import numpy.typing as npt
import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import set_json_loads

from seamline.model.factory import Factory
from seamline.store import _latest
from seamline.store import postgres_rollup as rollup
from seamline.store import postgres_states as states
from seamline.store.base import (
    DAY_MS,
    MINUTE_MS,
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
from seamline.store.postgres_conn import Conn, Pool, first_line, redact, split_schema
from seamline.store.postgres_copy import encode_readings
from seamline.store.postgres_schema import (
    DDL,
    OLDEST_UPGRADABLE,
    SCHEMA_VERSION,
    TABLES,
    UPGRADES,
    create_partition,
    existing_partitions,
    ms_sql,
    partition_name,
    summarize_brin,
    ts_sql,
)
from seamline.store.postgres_write import (
    STAGING,
    insert_events,
    insert_messages,
    partition_days,
    upsert_latest,
)
from seamline.telemetry import DeviceBatch

log = logging.getLogger(__name__)
VACUUM_EVERY_S: Final = 60.0  # how often maintenance vacuums the partitions being written

DEFAULT_SCHEMA: Final = "seamline"
_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# maintain() summarizes the BRIN index; the writer does too after this many readings without it, to
# bound the unsummarized tail every one-sensor query reads (~50 B a reading) when nobody maintains.
SUMMARIZE_EVERY_READINGS: Final = 4_000_000
LOCK_WAIT_S: Final = 2.0  # a writer that just exited may hold the schema lock for a moment
# The planner costs the BRIN index by the correlation of `ts` alone, so for one sensor over a long
# range it picks a sequential scan of everything, though the sensor's summaries skip most pages
# (measured: 187 ms seq scan vs 17 ms BRIN bitmap for 2 M readings). Readers only run queries an
# index serves, so they turn sequential scans off; parallel workers and JIT cost more than they
# save on these small answers and take the cores the writer needs.
_READER_OPTIONS: Final = "-c enable_seqscan=off -c max_parallel_workers_per_gather=0 -c jit=off"
_LOCK_CLASS: Final = 0x5EA1  # first key of the writer's advisory lock; the second is the schema's hash


class PostgresStoreError(StoreError):
    """The PostgreSQL store cannot do what was asked; ``server`` is the URL without its password."""

    def __init__(self, message: str, *, reason: str, server: str, schema: str) -> None:
        super().__init__(message, reason=reason)
        self.server = server
        self.schema = schema

    def details(self) -> dict[str, object]:
        return {"server": self.server, "schema": self.schema}


class PostgresUnreachableError(PostgresStoreError):
    """No connection to the server: it is not running, or the URL, user or database is wrong."""

    def __init__(self, server: str, schema: str, cause: str) -> None:
        super().__init__(
            f"cannot connect to PostgreSQL at {server} ({cause}); check that the server is running and"
            " that the URL's host, port, user and database are right",
            reason="store_unreachable",
            server=server,
            schema=schema,
        )


class PostgresSchemaVersionError(PostgresStoreError):
    """The schema was made by another Seamline version than this one."""

    def __init__(self, server: str, schema: str, found: int) -> None:
        what = "newer than" if found > SCHEMA_VERSION else "older than"
        todo = (
            "upgrade Seamline"
            if found > SCHEMA_VERSION
            else f"there is no upgrade from versions before {OLDEST_UPGRADABLE}; point Seamline at a new"
            " schema (?schema=...)"
        )
        super().__init__(
            f"schema {schema!r} at {server} has store version {found}, {what} the version this Seamline"
            f" uses ({SCHEMA_VERSION}); {todo}",
            reason="store_version",
            server=server,
            schema=schema,
        )
        self.found = found
        self.expected = SCHEMA_VERSION

    def details(self) -> dict[str, object]:
        return {**super().details(), "found": self.found, "expected": self.expected}


class PostgresStore:
    """A :class:`~seamline.store.base.Store` in one schema of a PostgreSQL (15+) database.

    ``url`` is a libpq URL (``postgresql://user:password@host:port/database``), optionally with
    ``?schema=name``; ``schema`` (default ``seamline``) wins over the URL's. Schema names are
    lower-case letters, digits and ``_``. ``readers`` bounds the pool of reader connections.
    Only one thread may call :meth:`write_batch` at a time; :meth:`maintain` runs on its own
    connection; the query methods may be called from any thread.

    ``read_only=True`` opens an existing store for queries only (reports, exports), beside the
    process that writes it: no writer lock is taken, nothing is created, upgraded or registered,
    and writing or maintaining raises :class:`StoreError`.

    >>> store = PostgresStore("postgresql://root@127.0.0.1:5432/test?schema=seamline_doctest")
    >>> store.schema, store.server
    ('seamline_doctest', 'postgresql://root@127.0.0.1:5432/test')
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        readers: int = 4,
        retention: RetentionPolicy | None = None,
        connect_timeout_s: int = 5,
        read_only: bool = False,
    ) -> None:
        self.retention = retention or RetentionPolicy()
        self.read_only = read_only
        self._conninfo, url_schema = split_schema(url)
        self.schema = schema or url_schema or DEFAULT_SCHEMA
        self.server = redact(self._conninfo)
        if not _SCHEMA_NAME.fullmatch(self.schema):
            raise PostgresStoreError(
                f"{self.schema!r} is not a usable schema name; use lower-case letters, digits and _,"
                " starting with a letter or _ (at most 63)",
                reason="store_schema_name",
                server=self.server,
                schema=self.schema,
            )
        self._connect_timeout_s = connect_timeout_s
        self._con: Conn | None = None
        self._factory: Factory | None = None
        self._readers = Pool(self._connect_reader, readers)
        self._maint_con: Conn | None = None
        self._maint_lock = threading.Lock()
        self._partitions: set[int] = set()  # days with a partition, as the writer last saw them
        self._partitions_stale = False
        self._written_days: set[int] = set()  # partitions written since the last vacuum
        self._vacuumed_at = 0.0  # time.monotonic() of the last vacuum
        self._state_lock = threading.Lock()  # latest cache and counters
        self._latest_ts = np.full(0, _latest.NO_TS, np.int64)
        self._latest_v = np.zeros(0, np.float64)
        self._readings = 0
        self._messages = 0
        self.wseq = 0  # number of the last commit of write_batch (each event carries its commit's)
        self._write_lock = threading.Lock()  # one commit at a time: commit numbers in commit order
        self._kinds: dict[int, str] = {}
        self._unsummarized = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def open(self, factory: Factory) -> None:
        """Connect, create or check the schema, register the factory and load the caches."""
        if self._con is not None:
            return
        if self.read_only:
            self._open_read_only(factory)
            return
        con = self._connect("seamline writer")
        try:
            self._lock_schema(con)
            self._prepare_schema(con)
            self._register(con, factory)
            self._load_state(con, factory.sensor_count)
            self._partitions = existing_partitions(con)
            today = int(time.time() * 1000) // DAY_MS
            self._ensure_partitions(con, [today, today + 1])
            con.execute(STAGING)
        except psycopg.OperationalError as exc:
            con.close()
            raise PostgresUnreachableError(self.server, self.schema, first_line(exc)) from exc
        except BaseException:
            con.close()
            raise
        self._adopt(con, factory)

    def _adopt(self, con: Conn, factory: Factory) -> None:
        """The store is open: ``con`` is its handle, readers connect afresh."""
        self._factory = factory
        self._kinds = {s.id: str(s.channel.kind) for s in factory.sensors()}
        self._con = con
        self._readers.reopen()

    def _tables(self, con: Conn) -> set[str]:
        """The tables and views of the store's schema (partitions left out); none if it is missing."""
        rows = con.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition",
            (self.schema,),
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _open_read_only(self, factory: Factory) -> None:
        """Check that the schema holds a store of this version and load the caches; write nothing.
        The connection stays open as the store's handle (readers come from the pool)."""
        con = self._connect("seamline reader", _READER_OPTIONS)
        try:
            tables = self._tables(con)
            if "seamline_schema" not in tables:
                raise PostgresStoreError(
                    f"there is no Seamline store in schema {self.schema!r} at {self.server}; give the"
                    " --store URL (with ?schema=...) that `seamline serve` writes to",
                    reason="no_store",
                    server=self.server,
                    schema=self.schema,
                )
            row = con.execute("SELECT max(version) FROM seamline_schema").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            if version != SCHEMA_VERSION:
                raise PostgresSchemaVersionError(self.server, self.schema, version)
            missing = TABLES - tables
            if missing:
                raise PostgresStoreError(
                    f"schema {self.schema!r} at {self.server} lacks tables {sorted(missing)}; it is damaged",
                    reason="not_a_store",
                    server=self.server,
                    schema=self.schema,
                )
            self._load_state(con, factory.sensor_count)
        except psycopg.OperationalError as exc:
            con.close()
            raise PostgresUnreachableError(self.server, self.schema, first_line(exc)) from exc
        except BaseException:
            con.close()
            raise
        self._adopt(con, factory)

    def _refuse_writes(self) -> None:
        if self.read_only:
            raise StoreError(
                f"schema {self.schema!r} at {self.server} is open read-only: it takes no writes and no"
                " maintenance",
                reason="read_only",
            )

    def opened(self, factory: Factory) -> Self:
        """Open and return ``self``, for ``with PostgresStore(url).opened(factory) as store:``."""
        self.open(factory)
        return self

    def close(self) -> None:
        self._readers.close()
        with self._maint_lock:
            if self._maint_con is not None:
                if self._written_days and not self._maint_con.broken:
                    # what the last minute wrote: the next start reads it by index-only scans too
                    with contextlib.suppress(psycopg.Error):
                        self._vacuumed_at = 0.0
                        self._vacuum(self._maint_con)
                self._maint_con.close()
                self._maint_con = None
        if self._con is not None:
            if not self.read_only:  # a reader holds no lock
                with contextlib.suppress(psycopg.Error):  # released now, not when the server notices the exit
                    self._con.execute(
                        "SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_CLASS, self.schema)
                    )
            self._con.close()
            self._con = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self, role: str, options: str = "") -> Conn:
        try:
            con: Conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=self._connect_timeout_s,
                application_name=f"{role} ({self.schema})",
                options=f"-c search_path={self.schema} -c timezone=UTC {options}",
            )
        except psycopg.OperationalError as exc:
            raise PostgresUnreachableError(self.server, self.schema, first_line(exc)) from None
        set_json_loads(orjson.loads, con)
        return con

    def _connect_reader(self) -> Conn:
        if self._con is None:
            raise StoreError("the store is not open; call open(factory) first", reason="store_closed")
        return self._connect("seamline reader", _READER_OPTIONS)

    def _lock_schema(self, con: Conn) -> None:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            got = con.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.schema)
            ).fetchone()
            if got and got[0]:
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        holder = con.execute(
            "SELECT a.pid, a.application_name, a.client_addr::text FROM pg_locks l"
            " JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted"
            " AND l.classid = %s::int8::oid AND l.objid = (hashtext(%s)::int8 & 4294967295)::oid",
            (_LOCK_CLASS, self.schema),
        ).fetchone()
        who = f" (server process {holder[0]}, client {holder[2] or 'local'})" if holder else ""
        raise PostgresStoreError(
            f"schema {self.schema!r} at {self.server} is being written by another Seamline{who};"
            " stop it or use another schema (?schema=...)",
            reason="store_locked",
            server=self.server,
            schema=self.schema,
        )

    def _prepare_schema(self, con: Conn) -> None:
        with con.transaction():
            con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            tables = self._tables(con)
            if "seamline_schema" not in tables:
                if tables:
                    raise PostgresStoreError(
                        f"schema {self.schema!r} at {self.server} holds tables that are not a Seamline"
                        f" store ({sorted(tables)[:5]}); point Seamline at an empty or new schema",
                        reason="not_a_store",
                        server=self.server,
                        schema=self.schema,
                    )
                con.execute(DDL)
                con.execute(
                    "INSERT INTO seamline_schema VALUES (%s, %s)", (SCHEMA_VERSION, int(time.time() * 1000))
                )
                return
            row = con.execute("SELECT max(version) FROM seamline_schema").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
            if version > SCHEMA_VERSION or version < OLDEST_UPGRADABLE:
                raise PostgresSchemaVersionError(self.server, self.schema, version)
            for to, what, ddl in UPGRADES:
                if version < to:
                    log.warning(
                        "upgrading store schema %r at %s to version %d: %s",
                        self.schema,
                        self.server,
                        to,
                        what,
                    )
                    con.execute(ddl)
                    con.execute("INSERT INTO seamline_schema VALUES (%s, %s)", (to, int(time.time() * 1000)))
                    version = to
                    tables = self._tables(con)
            missing = TABLES - tables
            if missing:
                raise PostgresStoreError(
                    f"schema {self.schema!r} at {self.server} lacks tables {sorted(missing)}; it is"
                    " damaged: restore it from a backup or use a new schema",
                    reason="not_a_store",
                    server=self.server,
                    schema=self.schema,
                )

    def _register(self, con: Conn, factory: Factory) -> None:
        """Write the device and sensor registry; warn when the factory file re-numbered sensors."""
        new = [
            (s.id, s.device_id, s.channel.name, str(s.channel.kind), s.channel.unit)
            for s in factory.sensors()
        ]
        old = con.execute(
            "SELECT sensor_id, device_id, channel, kind, unit FROM sensors ORDER BY sensor_id"
        ).fetchall()
        if old == new:
            return
        moved = sum(1 for a, b in zip(old, new, strict=False) if a[:3] != b[:3])
        if moved:
            log.warning(
                "the factory file changed the meaning of %d sensor ids in schema %s; readings stored"
                " before the change keep their old sensor ids",
                moved,
                self.schema,
            )
        devices = [
            (d.id, d.machine_type.id, d.area_id, d.line_id, d.workstation_id, d.sensor_base, d.sensor_count)
            for d in factory.devices
        ]
        with con.transaction(), con.cursor() as cur:
            cur.execute("DELETE FROM sensors")
            cur.execute("DELETE FROM devices")
            with cur.copy("COPY sensors FROM STDIN") as cp:
                for row in new:
                    cp.write_row(row)
            with cur.copy("COPY devices FROM STDIN") as cp:
                for device in devices:
                    cp.write_row(device)

    def _load_state(self, con: Conn, n_sensors: int) -> None:
        """Counters and the latest-value cache, from the tables the writer keeps up to date."""
        row = con.execute("SELECT messages, readings FROM counters").fetchone()
        messages, readings = (int(row[0]), int(row[1])) if row else (0, 0)
        top = con.execute(  # never below a number an event or a saved state holds: later commits are after
            "SELECT greatest((SELECT coalesce(max(wseq), 0) FROM events),"
            " (SELECT coalesce(max(upto), 0) FROM saved_state))"
        ).fetchone()
        self.wseq = max(self.wseq, int(top[0]) if top else 0)
        got = con.execute(sql.SQL("SELECT sensor_id, {}, value FROM latest").format(ms_sql("ts"))).fetchall()
        ids = np.array([r[0] for r in got], np.int64)
        ts = np.array([r[1] for r in got], np.int64)
        values = np.array([r[2] for r in got], np.float64)
        size = max(n_sensors, int(ids.max()) + 1 if len(ids) else 0)
        latest_ts = np.full(size, _latest.NO_TS, np.int64)
        latest_v = np.zeros(size, np.float64)
        latest_ts[ids] = ts
        latest_v[ids] = values
        with self._state_lock:
            self._latest_ts, self._latest_v = latest_ts, latest_v
            self._messages, self._readings = messages, readings

    def _ensure_partitions(self, con: Conn, days: Sequence[int]) -> None:
        with self._state_lock:
            self._written_days.update(days[:-1])  # for the vacuum; the last is the day ahead, empty
        if self._partitions_stale:
            self._partitions_stale = False
            self._partitions = existing_partitions(con)
        for day in sorted(set(days) - self._partitions):
            create_partition(con, day)
            self._partitions.add(day)

    # -- writing ---------------------------------------------------------------------------------

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        """Commit these messages in one transaction; already-stored ones are skipped."""
        self._refuse_writes()
        con = self._writer()
        unique: dict[tuple[str, int, int], DeviceBatch] = {}
        for b in batches:
            unique.setdefault(b.key, b)
        if not unique:
            return WriteResult(0, 0, 0, 0)
        candidates = list(unique.values())
        with self._write_lock:
            return self._write(con, candidates, batches)

    def _write(self, con: Conn, candidates: list[DeviceBatch], batches: Sequence[DeviceBatch]) -> WriteResult:
        wseq = self.wseq + 1
        sensor_ids, ts, values = _latest.concat_readings(candidates)
        try:
            if len(ts):
                self._ensure_partitions(con, partition_days(ts))
            with con.transaction(), con.cursor() as cur:
                inserted = insert_messages(cur, candidates)
                if len(inserted) == len(candidates):
                    kept = candidates
                else:
                    stored = set(inserted)
                    kept = [b for b in candidates if b.key in stored]
                    sensor_ids, ts, values = _latest.concat_readings(kept)
                if len(ts):
                    order = np.argsort(sensor_ids, kind="stable")
                    with cur.copy("COPY readings (sensor_id, ts, value) FROM STDIN (FORMAT binary)") as cp:
                        cp.write(encode_readings(sensor_ids[order], ts[order], values[order]))
                    touched, top_ts, top_v, new_sensors = self._newest(sensor_ids, ts, values)
                    upsert_latest(cur, touched, top_ts, top_v, new_sensors=new_sensors)
                    minutes = np.unique(ts - ts % MINUTE_MS)
                    cur.execute(
                        sql.SQL(
                            "INSERT INTO dirty (width_ms, bucket, gen)"
                            " SELECT %(w)s, timestamptz 'epoch' + m * interval '1 millisecond',"
                            " nextval('dirty_gen') FROM unnest({}) AS m"
                            " ON CONFLICT (width_ms, bucket) DO UPDATE SET gen = excluded.gen"
                        ).format(sql.Placeholder("m")),
                        {"w": MINUTE_MS, "m": minutes.tolist()},
                    )
                    days, per_day = np.unique(ts // DAY_MS, return_counts=True)
                    cur.execute(
                        "INSERT INTO day_counts SELECT * FROM unnest(%s::int4[], %s::int8[])"
                        " ON CONFLICT (day) DO UPDATE SET readings = day_counts.readings + excluded.readings",
                        (days.tolist(), per_day.tolist()),
                    )
                else:
                    touched = np.empty(0, np.int64)
                    top_ts, top_v = np.empty(0, np.int64), np.empty(0, np.float64)
                n_events = insert_events(cur, kept, wseq)
                cur.execute(
                    "UPDATE counters SET messages = messages + %s, readings = readings + %s",
                    (len(kept), len(ts)),
                )
        except psycopg.Error as exc:
            self._partitions_stale = True  # retention may have dropped one: look again next time
            if con.closed or con.broken:
                self._con = None  # reconnect on the next write, reloading counters and latest values
                con.close()
            raise StoreError(
                f"cannot write {len(candidates)} messages to schema {self.schema!r} at {self.server}:"
                f" {first_line(exc)}",
                reason="store_write",
            ) from exc
        self.wseq = wseq
        with self._state_lock:
            self._latest_ts[touched] = top_ts
            self._latest_v[touched] = top_v
            self._readings += len(ts)
            self._messages += len(kept)
        self._unsummarized += len(ts)  # not under a lock: a race only moves the next summary
        if self._unsummarized >= SUMMARIZE_EVERY_READINGS:
            self._summarize(con)
        kept_keys = {b.key for b in kept}
        duplicate_keys = tuple(b.key for b in batches if b.key not in kept_keys)
        return WriteResult(len(kept), len(batches) - len(kept), len(ts), n_events, duplicate_keys)

    def _newest(
        self, sensor_ids: npt.NDArray[np.int32], ts: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], bool]:
        """Sensors whose latest value these readings replace, with the new (ts, value), and whether
        any of them has no latest value yet.

        Newest device time wins; with equal times the later reading in the batch wins, and a
        batch's reading wins over a stored one with the same time (as in the DuckDB store).
        """
        top = int(sensor_ids.max()) + 1
        with self._state_lock:
            self._latest_ts, self._latest_v = _latest.grown(self._latest_ts, self._latest_v, top)
            current = self._latest_ts.copy()
        best = np.full(len(current), _latest.NO_TS, np.int64)
        np.maximum.at(best, sensor_ids, ts)
        newest = ts == best[sensor_ids]
        best_v = np.zeros(len(current), np.float64)
        best_v[sensor_ids[newest]] = values[newest]
        touched = np.flatnonzero((best != _latest.NO_TS) & (best >= current))
        return touched, best[touched], best_v[touched], bool((current[touched] == _latest.NO_TS).any())

    def _summarize(self, con: Conn) -> None:
        try:
            summarize_brin(con)
        except psycopg.Error as exc:  # committed already; the next write or maintain() tries again
            log.warning("could not summarize the readings index in schema %s: %s", self.schema, exc)
            return
        self._unsummarized = 0

    def _writer(self) -> Conn:
        if self._con is None:
            if self._factory is None:
                raise StoreError("the store is not open; call open(factory) first", reason="store_closed")
            self.open(self._factory)  # the connection broke: reconnect, reload what it may have missed
        assert self._con is not None  # open() sets it or raises
        return self._con

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
        with self._state_lock:
            return _latest.lookup(self._latest_ts, self._latest_v, sensor_ids)

    def history(self, sensor_id: int, start_ms: int, end_ms: int, limit: int = 10_000) -> Series:
        """Readings of one sensor with ``start_ms <= ts < end_ms``, in time order, at most ``limit``."""
        with self._readers.connection() as con:
            ts, values = rollup.read_raw(con, sensor_id, start_ms, end_ms, limit)
        return Series(sensor_id, ts, values)

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
        where: list[sql.Composable] = []
        params: dict[str, Any] = {"limit": limit}
        _after(where, params, after_wseq)
        if device_ids is not None:
            where.append(sql.SQL("device_id = ANY(%(devices)s::text[])"))
            params["devices"] = list(device_ids)
        if types is not None:
            where.append(sql.SQL("type = ANY(%(types)s::text[])"))
            params["types"] = list(types)
        _time_range(where, params, start_ms, end_ms)
        query = sql.SQL("SELECT device_id, {}, {}, type, data FROM events").format(
            ms_sql("ts"), ms_sql("received_ts")
        )
        if where:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
        query += sql.SQL(" ORDER BY ts DESC, event_id DESC LIMIT %(limit)s")
        with self._readers.connection() as con:
            rows = con.execute(query, params).fetchall()
        return [StoredEvent(d, int(t), int(r), k, data) for d, t, r, k, data in rows]

    def state_changes(
        self, start_ms: int | None = None, end_ms: int | None = None, *, after_wseq: int | None = None
    ) -> StateChanges:
        """Stored ``state`` events as columns; see the Store protocol. One row per device and
        state, its times and event ids packed into one ``bytea`` of big-endian int8 pairs."""
        where: list[sql.Composable] = [sql.SQL("type = 'state'"), sql.SQL("data ? 'state'")]
        params: dict[str, Any] = {}
        _after(where, params, after_wseq)
        _time_range(where, params, start_ms, end_ms)
        query = sql.SQL(
            "SELECT device_id, CASE WHEN data->>'sparkplug' IN ('NDEATH', 'DDEATH') THEN 'no_signal'"
            " ELSE data->>'state' END, string_agg(int8send({}) || int8send(event_id), ''"
            " ORDER BY event_id) FROM events WHERE {} GROUP BY 1, 2"
        ).format(ms_sql("ts"), sql.SQL(" AND ").join(where))
        with self._readers.connection() as con:
            rows = con.execute(query, params).fetchall()
        groups = []
        for device, state, packed in rows:
            pairs = np.frombuffer(packed, ">i8").reshape(-1, 2).astype(np.int64)
            groups.append((device, state, pairs[:, 0].copy(), pairs[:, 1].copy()))
        return StateChanges.from_groups(groups)

    def save_state(self, name: str, upto: int, data: bytes) -> None:
        """Keep ``data`` as the saved state ``name``, replacing the one before in one transaction;
        see the Store protocol."""
        self._refuse_writes()
        with self._write_lock:
            con = self._writer()
            try:
                with con.transaction():
                    con.execute(
                        "INSERT INTO saved_state VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE"
                        " SET upto = excluded.upto, saved_ms = excluded.saved_ms, data = excluded.data",
                        (name, upto, int(time.time() * 1000), data),
                    )
            except psycopg.Error as exc:
                raise StoreError(
                    f"cannot save {name} to schema {self.schema!r} at {self.server}: {first_line(exc)}",
                    reason="store_write",
                ) from exc

    def load_state(self, name: str) -> SavedState | None:
        """The saved state ``name``, or None; see the Store protocol."""
        with self._readers.connection() as con:
            row = con.execute(
                "SELECT upto, saved_ms, data FROM saved_state WHERE name = %s", (name,)
            ).fetchone()
        return SavedState(name, int(row[0]), int(row[1]), bytes(row[2])) if row else None

    def reading_count(self) -> int:
        with self._state_lock:
            return self._readings

    def message_count(self) -> int:
        with self._state_lock:
            return self._messages

    def aggregates(self, sensor_id: int, start_ms: int, end_ms: int, resolution: Resolution) -> Aggregates:
        """Rolled-up history of one sensor (see :meth:`seamline.store.base.Store.aggregates`)."""
        with self._readers.connection() as con:
            return rollup.aggregates(con, sensor_id, self._kinds.get(sensor_id), start_ms, end_ms, resolution)

    def state_durations(
        self, sensor_ids: Sequence[int], start_ms: int, end_ms: int, interval_ms: int
    ) -> StateDurations:
        """Time in each state code per interval (see :meth:`seamline.store.base.Store.state_durations`)."""
        with self._readers.connection() as con:
            return states.state_durations(con, self._kinds, sensor_ids, start_ms, end_ms, interval_ms)

    def maintain(self, now_ms: int | None = None) -> MaintenanceReport:
        """Roll up, then apply retention (see :meth:`seamline.store.base.Store.maintain`).

        Compaction has nothing to do here: the writer already stores each batch sorted by sensor,
        and rewriting a closed day would have to stop the writer's late readings for that day.
        """
        self._refuse_writes()
        if self._factory is None:
            raise StoreError("the store is not open; call open(factory) first", reason="store_closed")
        now = int(time.time() * 1000) if now_ms is None else now_ms
        with self._maint_lock:
            if self._maint_con is None or self._maint_con.closed or self._maint_con.broken:
                self._maint_con = self._connect("seamline maintenance")
            try:
                report = rollup.maintain(self._maint_con, self._factory, self.retention, now)
                self._unsummarized = 0
                self._vacuum(self._maint_con)
            except psycopg.Error as exc:
                if self._maint_con.broken or self._maint_con.closed:
                    self._maint_con.close()
                    self._maint_con = None
                    raise PostgresUnreachableError(self.server, self.schema, first_line(exc)) from exc
                raise StoreError(
                    f"maintenance of schema {self.schema!r} at {self.server} stopped: {first_line(exc)};"
                    " what it finished is committed, the next pass does the rest",
                    reason="store_maintain",
                ) from exc
        if report.dropped_readings:
            with self._state_lock:
                self._readings -= report.dropped_readings
            self._partitions_stale = True  # the writer looks again before its next write
        return report

    def _vacuum(self, con: Conn) -> None:
        """VACUUM (ANALYZE) the partitions written since the last time, at most every
        :data:`VACUUM_EVERY_S`: it marks their new pages all-visible, so that one sensor's history is
        an index-only scan of the ``(sensor_id, ts, value)`` btree in its order (no heap fetch, no
        sort), and gives the planner the partition's statistics. Autovacuum would come only after
        20 % more rows (PostgreSQL 15 manual, 25.1.6); until then a 1-hour chart of a 10 Hz sensor
        took 33 ms instead of 7. It reads only pages not yet all-visible, so each pass costs what
        was written since the one before."""
        if time.monotonic() - self._vacuumed_at < VACUUM_EVERY_S:
            return
        with self._state_lock:
            days, self._written_days = self._written_days, set()
        for day in sorted(days & existing_partitions(con)):
            con.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(partition_name(day))))
        self._vacuumed_at = time.monotonic()

    def disk_bytes(self) -> int:
        """Bytes of every table, index and TOAST table in the store's schema."""
        with self._readers.connection() as con:
            row = con.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'm', 'S')",
                (self.schema,),
            ).fetchone()
        return int(row[0]) if row else 0


def _after(where: list[sql.Composable], params: dict[str, Any], after_wseq: int | None) -> None:
    if after_wseq is not None:
        where.append(sql.SQL("wseq > %(after_wseq)s"))
        params["after_wseq"] = after_wseq


def _time_range(
    where: list[sql.Composable], params: dict[str, Any], start_ms: int | None, end_ms: int | None
) -> None:
    """Add ``start_ms <= ts < end_ms`` (either end optional) to an events query."""
    if start_ms is not None:
        where.append(sql.SQL("ts >= {}").format(ts_sql("start")))
        params["start"] = start_ms
    if end_ms is not None:
        where.append(sql.SQL("ts < {}").format(ts_sql("end")))
        params["end"] = end_ms
