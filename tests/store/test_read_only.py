"""A store opened read-only (reports beside the service): it reads what the writer stored, takes no
writes, creates and changes nothing; DuckDB refuses it while another process writes the file,
PostgreSQL serves it beside the writer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import psycopg
import pytest
from postgres_helpers import POSTGRES_URL, fresh_schema

from seamline.ingest import DeviceBatch, Event
from seamline.model.factory import Factory
from seamline.store import DuckDBStore, StoreError, StoreFileError
from seamline.store.postgres import PostgresStore, PostgresStoreError

T0 = 1_795_363_200_000
DEVICE = "L01-S03"


def batch(factory: Factory, seq: int) -> DeviceBatch:
    sensor = factory.devices_by_id[DEVICE].sensor_base
    return DeviceBatch(
        DEVICE,
        0,
        seq,
        T0 + seq,
        T0 + seq + 5,
        np.array([sensor], np.int32),
        np.array([T0 + seq], np.int64),
        np.array([float(seq)], np.float64),
        (Event(DEVICE, T0 + seq, "scan", {"bundle": f"B{seq}"}),),
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_duckdb_read_only_reads_everything_and_changes_nothing(tmp_path: Path, factory: Factory) -> None:
    with DuckDBStore(tmp_path).opened(factory) as writer:
        writer.write_batch([batch(factory, 1), batch(factory, 2)])
    db = tmp_path / "seamline.duckdb"
    before = digest(db)
    with DuckDBStore(tmp_path, read_only=True).opened(factory) as reader:
        assert [e.data["bundle"] for e in reader.events(types=["scan"])] == ["B2", "B1"]
        assert (reader.reading_count(), reader.message_count()) == (2, 2)
        assert [(v.ts_ms - T0, v.value) for v in reader.latest()] == [(2, 2.0)]
        with pytest.raises(StoreError) as refused:
            reader.write_batch([batch(factory, 3)])
        assert refused.value.reason == "read_only"
        with pytest.raises(StoreError):
            reader.maintain()
    assert digest(db) == before


def test_duckdb_read_only_of_nothing_creates_nothing(tmp_path: Path, factory: Factory) -> None:
    with pytest.raises(StoreFileError) as got:
        DuckDBStore(tmp_path / "none" / "seamline.duckdb", read_only=True).open(factory)
    assert got.value.reason == "no_store"
    assert "--data-dir" in got.value.message
    assert not (tmp_path / "none").exists()
    duckdb.connect(str(tmp_path / "other.duckdb")).close()  # a DuckDB file, but not a store
    with pytest.raises(StoreFileError) as other:
        DuckDBStore(tmp_path / "other.duckdb", read_only=True).open(factory)
    assert other.value.reason == "not_a_store"


def test_postgres_read_only_reads_beside_the_writer(factory: Factory) -> None:
    with fresh_schema() as schema, PostgresStore(POSTGRES_URL, schema=schema).opened(factory) as writer:
        writer.write_batch([batch(factory, 1)])
        with PostgresStore(POSTGRES_URL, schema=schema, read_only=True).opened(factory) as reader:
            writer.write_batch([batch(factory, 2)])  # the writer keeps its lock and goes on writing
            assert [e.data["bundle"] for e in reader.events(types=["scan"])] == ["B2", "B1"]
            with pytest.raises(StoreError) as refused:
                reader.write_batch([batch(factory, 3)])
            assert refused.value.reason == "read_only"
            with pytest.raises(StoreError):
                reader.maintain()
        writer.write_batch([batch(factory, 4)])
        assert len(writer.events()) == 3


def test_postgres_read_only_of_a_schema_without_a_store_creates_nothing(factory: Factory) -> None:
    with fresh_schema() as schema:
        with pytest.raises(PostgresStoreError) as got:
            PostgresStore(POSTGRES_URL, schema=schema, read_only=True).open(factory)
        assert got.value.reason == "no_store"
        with psycopg.connect(POSTGRES_URL) as con:
            found = con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchall()
        assert found == []
