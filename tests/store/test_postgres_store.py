"""PostgreSQL specifics: day partitions, the binary COPY, the schema, and errors that say what to do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from postgres_helpers import POSTGRES_URL, fresh_schema
from psycopg import sql

from seamline.model.factory import Factory
from seamline.store import RetentionClass, RetentionPolicy, StoreError
from seamline.store.base import DAY_MS
from seamline.store.postgres import (
    PostgresSchemaVersionError,
    PostgresStore,
    PostgresStoreError,
    PostgresUnreachableError,
)
from seamline.store.postgres_copy import decode_readings, encode_readings
from seamline.store.postgres_schema import SCHEMA_VERSION
from seamline.store.select import open_store, store_for
from seamline.telemetry import DeviceBatch, Event

T0 = 1_795_363_200_000  # 2026-11-22T16:00:00Z
MIDNIGHT = T0 - T0 % DAY_MS + DAY_MS  # 2026-11-23T00:00:00Z
DEVICE = "L01-S03"


@pytest.fixture
def schema() -> Iterator[str]:
    with fresh_schema() as name:
        yield name


def one_batch(factory: Factory, seq: int, ts: list[int], *, device: str = DEVICE) -> DeviceBatch:
    base = factory.devices_by_id[device].sensor_base
    return DeviceBatch(
        device,
        0,
        seq,
        ts[0],
        ts[-1],
        np.full(len(ts), base, np.int32),
        np.array(ts, np.int64),
        np.arange(len(ts), dtype=np.float64),
    )


def sql_rows(schema: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(POSTGRES_URL, options=f"-c search_path={schema} -c timezone=UTC") as con:
        return con.execute(query).fetchall()


def test_readings_land_in_day_partitions_created_across_midnight(schema: str, factory: Factory) -> None:
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        store.write_batch([one_batch(factory, 1, [MIDNIGHT - 1, MIDNIGHT, MIDNIGHT + 1])])
        partitions = sql_rows(
            schema,
            "SELECT c.relname, count(r.*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " LEFT JOIN readings r ON r.tableoid = c.oid WHERE i.inhparent = 'readings'::regclass"
            " GROUP BY c.relname ORDER BY c.relname",
        )
    counts = dict(partitions)
    # the day before midnight and the day after, plus the day after that, created ahead of the data
    assert counts["readings_p20261122"] == 1
    assert counts["readings_p20261123"] == 2
    assert counts["readings_p20261124"] == 0


def test_times_are_timestamptz_to_the_millisecond_with_a_view(schema: str, factory: Factory) -> None:
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        store.write_batch([one_batch(factory, 1, [T0 + 123])])
    rows = sql_rows(
        schema, "SELECT device_id, channel, (extract(epoch FROM ts) * 1000)::int8, value FROM readings_t"
    )
    assert rows == [(DEVICE, "stitch_count", T0 + 123, 0.0)]


def test_a_message_stored_before_reopening_is_still_a_duplicate(schema: str, factory: Factory) -> None:
    first = one_batch(factory, 7, [T0, T0 + 1])
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        store.write_batch([first])
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        again = store.write_batch([first, one_batch(factory, 8, [T0 + 2])])
        assert (again.messages, again.duplicates, again.readings) == (1, 1, 1)
        assert again.duplicate_keys == ((DEVICE, 0, 7),)
        assert (store.message_count(), store.reading_count()) == (2, 3)
    assert sql_rows(schema, "SELECT count(*) FROM readings") == [(3,)]


def test_an_unreachable_server_is_named_with_what_to_check(factory: Factory) -> None:
    store = PostgresStore("postgresql://seamline:secret@127.0.0.1:1/plant", schema="floor")
    with pytest.raises(PostgresUnreachableError) as info:
        store.open(factory)
    err = info.value
    assert isinstance(err, StoreError)
    assert err.reason == "store_unreachable"
    assert "postgresql://seamline:***@127.0.0.1:1/plant" in err.message
    assert "secret" not in err.message
    assert "check that the server is running" in err.message
    assert err.details() == {"server": "postgresql://seamline:***@127.0.0.1:1/plant", "schema": "floor"}


def test_a_schema_from_another_seamline_version_is_refused(schema: str, factory: Factory) -> None:
    PostgresStore(POSTGRES_URL, schema=schema).opened(factory).close()
    with psycopg.connect(POSTGRES_URL, autocommit=True) as con:
        con.execute(
            sql.SQL("UPDATE {}.seamline_schema SET version = %s").format(sql.Identifier(schema)),
            (SCHEMA_VERSION + 1,),
        )
    with pytest.raises(PostgresSchemaVersionError) as info:
        PostgresStore(POSTGRES_URL, schema=schema).open(factory)
    err = info.value
    assert err.reason == "store_version"
    assert "upgrade Seamline" in err.message
    assert schema in err.message
    assert (err.found, err.expected) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)


def test_a_version_2_schema_is_upgraded_in_place_and_keeps_its_readings(
    schema: str, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        store.write_batch([one_batch(factory, 1, [T0, T0 + 1000, T0 + 2000])])
    with psycopg.connect(POSTGRES_URL, autocommit=True) as con:  # what version 2 had
        con.execute(sql.SQL("DROP INDEX {}.readings_sensor_ts_value").format(sql.Identifier(schema)))
        con.execute(sql.SQL("UPDATE {}.seamline_schema SET version = 2").format(sql.Identifier(schema)))
    indexes = "SELECT tablename FROM pg_indexes WHERE schemaname = current_schema()"
    indexes += " AND indexdef LIKE '%(sensor_id, ts, value)'"
    parts = "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    parts += " WHERE i.inhparent = 'readings'::regclass"
    assert sql_rows(schema, indexes) == []
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        series = store.history(factory.devices_by_id[DEVICE].sensor_base, T0, T0 + 3000)
    assert series.ts_ms.tolist() == [T0, T0 + 1000, T0 + 2000]
    indexed = {str(r[0]) for r in sql_rows(schema, indexes)}
    partitions = {str(r[0]) for r in sql_rows(schema, parts)}
    assert "readings_p20261122" in partitions
    assert indexed == partitions | {"readings"}  # the table's index and each partition's
    assert sql_rows(schema, "SELECT version FROM seamline_schema ORDER BY version") == [(2,), (3,), (4,)]
    assert f"upgrading store schema '{schema}'" in caplog.text
    assert "to version 3" in caplog.text


def test_a_version_3_schema_is_upgraded_its_events_counting_as_older_than_any_commit(
    schema: str, factory: Factory
) -> None:
    old = Event(DEVICE, T0, "state", {"state": "idle"})
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        store.write_batch([replace(one_batch(factory, 1, [T0]), events=(old,))])
    with psycopg.connect(POSTGRES_URL, autocommit=True) as con:  # what version 3 had
        s = sql.Identifier(schema)
        con.execute(sql.SQL("ALTER TABLE {}.events DROP COLUMN wseq").format(s))
        con.execute(sql.SQL("DROP TABLE {}.saved_state").format(s))
        con.execute(sql.SQL("UPDATE {}.seamline_schema SET version = 3").format(s))
    new = Event(DEVICE, T0 - 1000, "state", {"state": "running"})
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        assert [e.data for e in store.events()] == [old.data]
        assert [e.data for e in store.events(after_wseq=0)] == []
        store.write_batch([replace(one_batch(factory, 2, [T0 + 1000]), events=(new,))])
        assert [e.data for e in store.events(after_wseq=0)] == [new.data]
        store.save_state("production", store.wseq, b"ledger")
    with PostgresStore(POSTGRES_URL, schema=schema, read_only=True).opened(factory) as store:
        saved = store.load_state("production")
        assert saved is not None
        assert saved.data == b"ledger"
        assert len(store.events()) == 2
    assert sql_rows(schema, "SELECT max(version) FROM seamline_schema") == [(SCHEMA_VERSION,)]


def test_a_schema_older_than_any_upgrade_is_refused(schema: str, factory: Factory) -> None:
    PostgresStore(POSTGRES_URL, schema=schema).opened(factory).close()
    with psycopg.connect(POSTGRES_URL, autocommit=True) as con:
        con.execute(sql.SQL("UPDATE {}.seamline_schema SET version = 1").format(sql.Identifier(schema)))
    with pytest.raises(PostgresSchemaVersionError) as info:
        PostgresStore(POSTGRES_URL, schema=schema).open(factory)
    assert "no upgrade from versions before 2" in info.value.message
    assert (info.value.found, info.value.expected) == (1, SCHEMA_VERSION)


def test_a_schema_holding_other_tables_is_refused(schema: str, factory: Factory) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        con.execute(sql.SQL("CREATE TABLE {}.invoices (id int)").format(sql.Identifier(schema)))
    with pytest.raises(PostgresStoreError) as info:
        PostgresStore(POSTGRES_URL, schema=schema).open(factory)
    assert info.value.reason == "not_a_store"
    assert "invoices" in info.value.message


def test_a_second_writer_on_the_same_schema_is_refused(schema: str, factory: Factory) -> None:
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory):
        with pytest.raises(PostgresStoreError) as info:
            PostgresStore(POSTGRES_URL, schema=schema).open(factory)
        assert info.value.reason == "store_locked"
        assert "another Seamline" in info.value.message
    PostgresStore(POSTGRES_URL, schema=schema).opened(factory).close()  # free again once closed


def test_the_schema_may_come_in_the_url(schema: str, factory: Factory) -> None:
    store = PostgresStore(f"{POSTGRES_URL}?schema={schema}&connect_timeout=3")
    assert (store.schema, store.server) == (schema, f"{POSTGRES_URL}?connect_timeout=3")
    with store.opened(factory):
        store.write_batch([one_batch(factory, 1, [T0])])
    assert sql_rows(schema, "SELECT count(*) FROM messages") == [(1,)]


def test_an_unusable_schema_name_is_refused() -> None:
    with pytest.raises(PostgresStoreError) as info:
        PostgresStore(POSTGRES_URL, schema="Floor; DROP TABLE x")
    assert info.value.reason == "store_schema_name"


def test_the_writer_reconnects_after_losing_its_connection(schema: str, factory: Factory) -> None:
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        store.write_batch([one_batch(factory, 1, [T0])])
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (f"seamline writer ({schema})",),
            )
        with pytest.raises(StoreError) as info:  # the Ingestor retries a failed commit
            store.write_batch([one_batch(factory, 2, [T0 + 1])])
        assert info.value.reason == "store_write"
        result = store.write_batch([one_batch(factory, 2, [T0 + 1])])
        assert (result.messages, store.message_count(), store.reading_count()) == (1, 2, 2)
        assert store.history(one_batch(factory, 0, [T0]).sensor_ids[0], T0, T0 + 2).values.tolist() == [0, 0]


def test_retention_counts_what_it_drops(schema: str, factory: Factory) -> None:
    policy = RetentionPolicy(default=RetentionClass(raw_ms=DAY_MS))
    with PostgresStore(POSTGRES_URL, schema=schema, retention=policy).opened(factory) as store:
        store.write_batch([one_batch(factory, 1, [T0, T0 + 1, T0 + 2 * DAY_MS])])
        report = store.maintain(T0 + 2 * DAY_MS)
        assert report.dropped_readings == 2
        assert store.reading_count() == 1
    with PostgresStore(POSTGRES_URL, schema=schema, retention=policy).opened(factory) as store:
        assert store.reading_count() == 1
        store.write_batch([one_batch(factory, 2, [T0])])  # late data for a dropped day: a new partition
        assert store.reading_count() == 2


def test_maintenance_rolls_up_the_minutes_written_since_the_last_pass(schema: str, factory: Factory) -> None:
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        store.write_batch([one_batch(factory, 1, [T0, T0 + 1, T0 + 60_000])])
        other = one_batch(factory, 2, [T0 + 5], device="L01-S04")
        store.write_batch([other])
        first = store.maintain(T0 + DAY_MS)
        assert first.rolled_up_buckets == 3  # (sensor, minute) rows: two of one sensor, one of another
        assert store.maintain(T0 + DAY_MS).rolled_up_buckets == 0
        store.write_batch([one_batch(factory, 3, [T0 + 2])])  # late, into a minute rolled up already
        assert store.maintain(T0 + DAY_MS).rolled_up_buckets == 2  # that minute's two sensors again
    assert sql_rows(schema, "SELECT count(*) FROM dirty") == [(0,)]


def test_maintenance_vacuums_the_partitions_written_at_most_once_a_minute(
    schema: str, factory: Factory
) -> None:
    visible = "SELECT relallvisible FROM pg_class WHERE relname = 'readings_p20261122'"
    visible += " AND relnamespace = current_schema()::regnamespace"
    with PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as store:
        store.write_batch([one_batch(factory, 1, [T0, T0 + 1000])])
        assert sql_rows(schema, visible) == [(0,)]
        store.maintain(T0 + 60_000)
        assert sql_rows(schema, visible) == [(1,)]  # its one page is all-visible: index-only scans
        store.write_batch([one_batch(factory, 2, [T0 + 2000])])  # a new row clears the page's bit
        store.maintain(T0 + 60_000)
        assert sql_rows(schema, visible) == [(1,)]  # pg_class keeps the count until the next vacuum
        reltuples = "SELECT reltuples FROM pg_class WHERE relname = 'readings_p20261122'"
        reltuples += " AND relnamespace = current_schema()::regnamespace"
        assert sql_rows(schema, reltuples) == [(2.0,)]  # not analyzed again within the minute


def test_select_chooses_the_backend_by_the_spec(schema: str, factory: Factory) -> None:
    assert type(store_for(f"{POSTGRES_URL}?schema={schema}")).__name__ == "PostgresStore"
    assert type(store_for(":memory:")).__name__ == "DuckDBStore"
    store = open_store(f"{POSTGRES_URL}?schema={schema}", factory)
    try:
        assert store.message_count() == 0
    finally:
        store.close()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2**31 - 1),
            st.integers(946_684_800_000, 4_102_444_800_000),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        max_size=50,
    )
)
def test_the_binary_copy_round_trips(rows: list[tuple[int, int, float]]) -> None:
    sid = np.array([r[0] for r in rows], np.int32)
    ts = np.array([r[1] for r in rows], np.int64)
    values = np.array([r[2] for r in rows], np.float64)
    got = decode_readings(encode_readings(sid, ts, values))
    assert got[0].tolist() == sid.tolist()
    assert got[1].tolist() == ts.tolist()
    assert got[2].tobytes() == values.tobytes()
