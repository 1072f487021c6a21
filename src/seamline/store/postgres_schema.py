"""The PostgreSQL store's tables, its schema version, and its day partitions.

Readings are ``(sensor_id int4, ts timestamptz, value float8)`` in a table partitioned by day on
``ts`` (PostgreSQL 15 manual, section 5.11 "Table Partitioning"), with a BRIN index over
``(ts, sensor_id)`` for the maintenance's scans by time, and a btree over ``(sensor_id, ts, value)``
for one sensor's history. The btree costs ingest rate (measured: 0.96 M rows/s BRIN only, 0.74 M
with this BRIN, 0.36 M with a ``(sensor_id, ts)`` btree, 200k-row COPYs; the reference factory
needs 0.015 M on average), but without it every history request scanned the whole day's BRIN: a
1-hour chart of a 10 Hz sensor took 35 ms in SQL on 36 M readings of one day and would take ~1 s
at 24 hours of the reference factory, against 6 ms with it. Holding ``value`` too, the index
answers history in its own order (``ts, value``) by an index-only scan once vacuum has marked the
pages all-visible. Partitions are created by the writer ahead of the data
as plain tables and then attached, which takes only a SHARE UPDATE EXCLUSIVE lock on ``readings``
(queries keep running).

Every other table is small next to ``readings``: ``messages`` (its primary key de-duplicates
resent messages), ``events`` (JSONB), the ``latest`` value of each sensor, one row of counters,
the readings per day (so retention knows what dropping a partition drops), the 1-minute and
1-hour rollups, the ``state_breaks`` of state channels (each reading whose code differs from the
previous one in its minute, or that follows it by more than the hold: with a minute's first and
last reading they rebuild the state timeline after raw retention), and the buckets not yet rolled
up (``dirty``).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from psycopg import sql

from seamline.store.base import DAY_MS
from seamline.store.postgres_conn import Conn

# 2: state_breaks; 3: the (sensor_id, ts, value) btree on readings; 4: events carry their commit's
# number (wseq) and saved_state keeps the production ledger (seamline.production.saved)
SCHEMA_VERSION: Final = 4

DDL: Final = """
CREATE TABLE seamline_schema (version integer NOT NULL, created_ms bigint NOT NULL);
CREATE TABLE devices (
    device_id text PRIMARY KEY, machine_type text NOT NULL, area_id text NOT NULL,
    line_id text, workstation_id text, sensor_base integer NOT NULL, sensor_count integer NOT NULL);
CREATE TABLE sensors (
    sensor_id integer PRIMARY KEY, device_id text NOT NULL, channel text NOT NULL,
    kind text NOT NULL, unit text NOT NULL);
CREATE TABLE readings (sensor_id integer NOT NULL, ts timestamptz NOT NULL, value float8 NOT NULL)
    PARTITION BY RANGE (ts);
CREATE INDEX readings_ts_sensor_brin ON readings USING brin (ts, sensor_id)
    WITH (pages_per_range = 8);
CREATE INDEX readings_sensor_ts_value ON readings (sensor_id, ts, value);
CREATE TABLE messages (
    device_id text NOT NULL, boot bigint NOT NULL, seq bigint NOT NULL, sent_ts timestamptz NOT NULL,
    received_ts timestamptz NOT NULL, n_readings integer NOT NULL, n_events integer NOT NULL,
    PRIMARY KEY (device_id, boot, seq));
CREATE INDEX messages_received_brin ON messages USING brin (received_ts);
CREATE TABLE events (
    event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, device_id text NOT NULL,
    ts timestamptz NOT NULL, received_ts timestamptz NOT NULL, type text NOT NULL, data jsonb NOT NULL,
    wseq bigint NOT NULL DEFAULT 0);
CREATE INDEX events_ts ON events (ts DESC, event_id DESC);
CREATE INDEX events_wseq ON events (wseq);
CREATE TABLE saved_state (
    name text PRIMARY KEY, upto bigint NOT NULL, saved_ms bigint NOT NULL, data bytea NOT NULL);
CREATE TABLE latest (sensor_id integer PRIMARY KEY, ts timestamptz NOT NULL, value float8 NOT NULL)
    WITH (fillfactor = 50);
CREATE TABLE counters (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), messages bigint NOT NULL, readings bigint NOT NULL)
    WITH (fillfactor = 50);
INSERT INTO counters VALUES (true, 0, 0);
CREATE TABLE rollup_1m (
    sensor_id integer NOT NULL, bucket timestamptz NOT NULL, count bigint NOT NULL, sum float8 NOT NULL,
    min float8 NOT NULL, max float8 NOT NULL, first_ts timestamptz NOT NULL, first_v float8 NOT NULL,
    last_ts timestamptz NOT NULL, last_v float8 NOT NULL, inner_increase float8 NOT NULL,
    PRIMARY KEY (sensor_id, bucket)) WITH (fillfactor = 80);
CREATE INDEX rollup_1m_bucket ON rollup_1m (bucket);  -- maintenance and retention go by time
CREATE TABLE rollup_1h (LIKE rollup_1m INCLUDING ALL);
CREATE TABLE state_breaks (
    sensor_id integer NOT NULL, bucket timestamptz NOT NULL, ts timestamptz NOT NULL,
    code float8 NOT NULL, prev_ts timestamptz NOT NULL);
CREATE INDEX state_breaks_sensor_bucket ON state_breaks (sensor_id, bucket);
CREATE INDEX state_breaks_bucket ON state_breaks (bucket);  -- maintenance and retention go by time
CREATE TABLE day_counts (day integer PRIMARY KEY, readings bigint NOT NULL) WITH (fillfactor = 50);
CREATE SEQUENCE dirty_gen;
CREATE TABLE dirty (
    width_ms integer NOT NULL, bucket timestamptz NOT NULL, gen bigint NOT NULL,
    PRIMARY KEY (width_ms, bucket));
CREATE VIEW readings_t AS
    SELECT r.sensor_id, s.device_id, s.channel, r.ts, r.value
    FROM readings r JOIN sensors s USING (sensor_id);
"""
TABLES: Final = frozenset(
    {
        "seamline_schema",
        "devices",
        "sensors",
        "readings",
        "messages",
        "events",
        "latest",
        "counters",
        "rollup_1m",
        "rollup_1h",
        "state_breaks",
        "dirty",
        "day_counts",
        "saved_state",
    }
)

EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Upgrades in place, each from the version before: (to version, what it does, its SQL).
UPGRADES: Final = (
    (
        3,
        "building the (sensor_id, ts, value) index of readings (about a minute per 50 M readings)",
        "CREATE INDEX IF NOT EXISTS readings_sensor_ts_value ON readings (sensor_id, ts, value)",
    ),
    (
        4,
        "numbering the events by commit (events stored before count as commit 0) and adding saved_state",
        "ALTER TABLE events ADD COLUMN IF NOT EXISTS wseq bigint NOT NULL DEFAULT 0;"
        " CREATE INDEX IF NOT EXISTS events_wseq ON events (wseq);"
        " CREATE TABLE IF NOT EXISTS saved_state (name text PRIMARY KEY, upto bigint NOT NULL,"
        " saved_ms bigint NOT NULL, data bytea NOT NULL)",
    ),
)
OLDEST_UPGRADABLE: Final = 2


def ts_sql(param: str) -> sql.Composable:
    """SQL for a timestamptz from a bigint of Unix milliseconds, exact to the millisecond."""
    return sql.SQL("(timestamptz 'epoch' + {}::int8 * interval '1 millisecond')").format(
        sql.Placeholder(param)
    )


def ms_sql(column: str) -> sql.Composable:
    """SQL for the Unix milliseconds (bigint) of a timestamptz column."""
    return sql.SQL("(extract(epoch FROM {}) * 1000)::int8").format(sql.Identifier(column))


def summarize_brin(con: Conn) -> int:
    """Summarize the BRIN page ranges filled since the last time; ranges filled after the index was
    built are not summarized by inserts (PostgreSQL 15 manual, 11.3.5 "BRIN"), and a query reads
    every unsummarized range. ``autosummarize`` would queue one autovacuum work item per range of 8
    pages, more than its queue holds at this ingest rate."""
    row = con.execute(
        "SELECT coalesce(sum(brin_summarize_new_values(inhrelid)), 0)::int8 FROM pg_inherits"
        " WHERE inhparent = 'readings_ts_sensor_brin'::regclass"
    ).fetchone()
    return int(row[0]) if row else 0


def partition_name(day: int) -> str:
    """``readings_pYYYYMMDD`` for the day ``day`` (days since the Unix epoch, UTC)."""
    return f"readings_p{EPOCH + dt.timedelta(days=day):%Y%m%d}"


def existing_partitions(con: Conn) -> set[int]:
    """The days that have a partition of ``readings`` (read from the partitions' names)."""
    rows = con.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'readings'::regclass"
    ).fetchall()
    days: set[int] = set()
    for (name,) in rows:
        day = dt.datetime.strptime(str(name).removeprefix("readings_p"), "%Y%m%d").replace(tzinfo=dt.UTC)
        days.add((day - EPOCH).days)
    return days


def create_partition(con: Conn, day: int) -> None:
    """Create the partition of day ``day`` if it is missing, without blocking queries on ``readings``.

    CREATE TABLE ... PARTITION OF would lock ``readings`` ACCESS EXCLUSIVE; a plain table attached
    afterwards needs only SHARE UPDATE EXCLUSIVE, and an empty table attaches at once.
    """
    name = sql.Identifier(partition_name(day))
    lo = EPOCH + dt.timedelta(milliseconds=day * DAY_MS)
    hi = lo + dt.timedelta(days=1)
    with con.transaction():
        con.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.partitions'))"
        )  # another store process on the same schema may be creating it too
        exists = con.execute(
            "SELECT 1 FROM pg_class WHERE relname = %s AND relnamespace = current_schema()::regnamespace",
            (partition_name(day),),
        ).fetchone()
        if exists:
            return
        con.execute(sql.SQL("CREATE TABLE {} (LIKE readings INCLUDING DEFAULTS)").format(name))
        con.execute(
            sql.SQL("ALTER TABLE readings ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
                name, sql.Literal(lo), sql.Literal(hi)
            )
        )
