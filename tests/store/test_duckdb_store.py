"""DuckDB specifics: the file, its schema, locking, and errors that say what to do."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pytest

from seamline.model.factory import Factory
from seamline.store import SCHEMA_VERSION, DuckDBStore, StoreError, StoreFileError
from seamline.telemetry import DeviceBatch, Event

T0 = 1_795_363_200_000


def one_batch(factory: Factory, seq: int = 1) -> DeviceBatch:
    base = factory.devices_by_id["L01-S03"].sensor_base
    return DeviceBatch(
        "L01-S03", 0, seq, T0, T0, np.array([base], np.int32), np.array([T0], np.int64), np.array([1.0])
    )


def test_a_data_directory_gets_its_database_file(tmp_path: Path, factory: Factory) -> None:
    with DuckDBStore(tmp_path).opened(factory) as store:
        store.write_batch([one_batch(factory)])
    assert (tmp_path / "seamline.duckdb").is_file()


def test_the_schema_registers_sensors_and_devices_and_has_a_version(tmp_path: Path, factory: Factory) -> None:
    DuckDBStore(tmp_path).opened(factory).close()
    with duckdb.connect(str(tmp_path / "seamline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM seamline_schema").fetchone() == (SCHEMA_VERSION,)
        assert con.execute("SELECT count(*) FROM sensors").fetchone() == (factory.sensor_count,)
        assert con.execute("SELECT count(*) FROM devices").fetchone() == (len(factory.devices),)
        sensor = factory.sensors()[1000]
        row = con.execute(
            "SELECT device_id, channel, kind, unit FROM sensors WHERE sensor_id = ?", [sensor.id]
        )
        assert row.fetchone() == (
            sensor.device_id,
            sensor.channel.name,
            str(sensor.channel.kind),
            sensor.channel.unit,
        )


def test_readings_carry_millisecond_times_and_a_timestamp_view(tmp_path: Path, factory: Factory) -> None:
    with DuckDBStore(tmp_path).opened(factory) as store:
        store.write_batch([one_batch(factory)])
    with duckdb.connect(str(tmp_path / "seamline.duckdb"), read_only=True) as con:
        row = con.execute("SELECT device_id, channel, epoch_ms(ts), value FROM readings_t").fetchone()
    assert row == ("L01-S03", "stitch_count", T0, 1.0)


def test_a_file_locked_by_another_process_names_the_file_and_the_cause(
    tmp_path: Path, factory: Factory
) -> None:
    path = tmp_path / "seamline.duckdb"
    DuckDBStore(path).opened(factory).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('ready', flush=True);"
            " sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreFileError) as info:
            DuckDBStore(path).open(factory)
    finally:
        holder.communicate("")
    err = info.value
    assert err.reason == "store_locked"
    assert str(path) in err.message
    assert "another Seamline may be running" in err.message
    assert err.pid == holder.pid
    assert err.details() == {"path": str(path), "pid": holder.pid}


def test_a_file_that_is_not_duckdb_is_refused(tmp_path: Path, factory: Factory) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("shopping list: thread, needles\n" * 200)
    with pytest.raises(StoreFileError) as info:
        DuckDBStore(path).open(factory)
    assert info.value.reason == "not_a_store"
    assert str(path) in info.value.message


def test_a_duckdb_file_of_something_else_is_refused(tmp_path: Path, factory: Factory) -> None:
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreFileError) as info:
        DuckDBStore(path).open(factory)
    assert info.value.reason == "not_a_store"
    assert "invoices" in info.value.message


def test_a_store_from_a_newer_seamline_is_refused(tmp_path: Path, factory: Factory) -> None:
    DuckDBStore(tmp_path).opened(factory).close()
    with duckdb.connect(str(tmp_path / "seamline.duckdb")) as con:
        con.execute("UPDATE seamline_schema SET version = ?", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreFileError) as info:
        DuckDBStore(tmp_path).open(factory)
    assert info.value.reason == "store_version"
    assert "upgrade Seamline" in info.value.message


def test_writing_to_a_closed_store_is_a_store_error(factory: Factory) -> None:
    store = DuckDBStore(":memory:")
    with pytest.raises(StoreError, match="not open"):
        store.write_batch([one_batch(factory)])


def test_latest_arrays_serve_a_dashboard_without_objects(factory: Factory) -> None:
    with DuckDBStore(":memory:").opened(factory) as store:
        store.write_batch([one_batch(factory)])
        ids, ts, values = store.latest_arrays()
    base = factory.devices_by_id["L01-S03"].sensor_base
    assert (ids.tolist(), ts.tolist(), values.tolist()) == ([base], [T0], [1.0])


def test_a_schema_4_store_is_upgraded_its_events_counting_as_older_than_any_commit(
    tmp_path: Path, factory: Factory
) -> None:
    old = Event("L01-S03", T0, "state", {"state": "idle"})
    with DuckDBStore(tmp_path).opened(factory) as store:
        store.write_batch([replace(one_batch(factory, 1), events=(old,))])
    with duckdb.connect(str(tmp_path / "seamline.duckdb")) as con:  # what version 4 had
        con.execute("ALTER TABLE events DROP COLUMN wseq; DROP TABLE saved_state")
        con.execute("UPDATE seamline_schema SET version = 4")
    new = Event("L01-S03", T0 - 1000, "state", {"state": "running"})
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert [e.data for e in store.events()] == [old.data]
        assert [e.data for e in store.events(after_wseq=0)] == []
        store.write_batch([replace(one_batch(factory, 2), events=(new,))])
        assert [e.data for e in store.events(after_wseq=0)] == [new.data]
        store.save_state("production", store.wseq, b"ledger")
    with DuckDBStore(tmp_path, read_only=True).opened(factory) as store:
        saved = store.load_state("production")
        assert saved is not None
        assert saved.data == b"ledger"
        assert len(store.events()) == 2
    with duckdb.connect(str(tmp_path / "seamline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM seamline_schema").fetchone() == (SCHEMA_VERSION,)
