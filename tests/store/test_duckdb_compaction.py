"""Compaction: nothing lost, nothing duplicated, every double bit for bit; crashes in the middle;
resent messages after their keys were compacted; retention per class; the upgrade from v1."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from seamline.model.factory import Factory
from seamline.store import (
    HOUR_MS,
    MINUTE_MS,
    SCHEMA_VERSION,
    DuckDBStore,
    Resolution,
    RetentionClass,
    RetentionPolicy,
    _coldfiles,
)
from seamline.store._duckdb_maintain import _final_runs
from seamline.telemetry import DeviceBatch

T0 = 1_795_363_200_000
DAY = 86_400_000
DEVICES = ("L01-S03", "L01-S04", "CUT-01")
SENSORS: list[int] = []  # the test devices' sensor ids, filled by the first readings_for()


def readings_for(
    factory: Factory, seed: int, minutes: int
) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Per device and minute: (device, sensor ids, ts, values) with gauge-like, step-exact values."""
    rng = np.random.default_rng(seed)
    SENSORS[:] = sorted(
        {
            i
            for dev in DEVICES
            for i in range(
                factory.devices_by_id[dev].sensor_base,
                factory.devices_by_id[dev].sensor_base + factory.devices_by_id[dev].sensor_count,
            )
        }
    )
    out = []
    for m in range(minutes):
        for dev in DEVICES:
            d = factory.devices_by_id[dev]
            n = 120
            ids = d.sensor_base + rng.integers(0, d.sensor_count, n)
            ts = T0 + m * MINUTE_MS + rng.integers(0, MINUTE_MS, n)
            res = np.array([factory.sensor(int(i)).channel.resolution for i in ids])
            values = np.round(rng.normal(50, 20, n) / res) * res
            values = np.where(res < 1, np.round(values, 6), values)
            out.append((dev, ids.astype(np.int32), ts.astype(np.int64), values))
    return out


def write_all(
    store: DuckDBStore, parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], seq0: int = 0
) -> None:
    seqs: dict[str, int] = {}
    batches = []
    for dev, ids, ts, values in parts:
        seqs[dev] = seqs.get(dev, seq0) + 1
        batches.append(DeviceBatch(dev, 0, seqs[dev], T0, T0, ids, ts, values))
    for i in range(0, len(batches), 20):
        store.write_batch(batches[i : i + 20])


def everything(store: DuckDBStore) -> dict[int, tuple[list[int], list[int]]]:
    """Every stored reading of the test devices' sensors: timestamps and the values' bit patterns
    (and the ad-hoc ``readings`` view holds exactly as many rows)."""
    out = {}
    for sid in SENSORS:
        s = store.history(sid, 0, 1 << 62, 1_000_000)
        if len(s.ts_ms):
            out[sid] = (s.ts_ms.tolist(), s.values.view(np.int64).tolist())
    with store.snapshot() as cur:
        total = cur.execute("SELECT count(*) FROM readings").fetchall()[0][0]
    assert total == sum(len(ts) for ts, _ in out.values())
    return out


def expected(
    parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
) -> dict[int, tuple[list[int], list[int]]]:
    rows: dict[int, list[tuple[int, float]]] = {}
    for _, ids, ts, values in parts:
        for i, t, v in zip(ids.tolist(), ts.tolist(), values.tolist(), strict=True):
            rows.setdefault(i, []).append((t, v))
    out = {}
    for sid, rs in rows.items():
        rs.sort()
        vs = np.array([v for _, v in rs], np.float64)
        out[sid] = ([t for t, _ in rs], vs.view(np.int64).tolist())
    return out


@pytest.fixture
def data(factory: Factory) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    return readings_for(factory, seed=1, minutes=150)


def run_maintenance(store: DuckDBStore, passes: int) -> None:
    for _ in range(passes):
        store.maintain(now_ms=T0 + DAY, close_all=True)


def cold_files(path: Path) -> set[str]:
    root = path / "seamline.cold"
    return {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")} if root.exists() else set()


def test_compaction_keeps_every_reading_once_and_bit_for_bit(
    tmp_path: Path, factory: Factory, data: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]
) -> None:
    want = expected(data)
    n = sum(len(p[1]) for p in data)
    with DuckDBStore(tmp_path).opened(factory) as store:
        write_all(store, data)
        assert everything(store) == want
        report = store.maintain(now_ms=T0 + 150 * MINUTE_MS)  # closes every slice but the newest ones
        assert 0 < report.compacted_readings < n
        assert everything(store) == want  # hot and compacted, seamlessly
        store.maintain(now_ms=T0 + DAY, close_all=True)
        assert everything(store) == want
        hot = store._writer().execute("SELECT count(*) FROM readings_hot").fetchall()[0][0]
        assert hot == 0
        assert store.reading_count() == n
        assert any(p.startswith("raw/") for p in cold_files(tmp_path))
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert store.reading_count() == n
        assert everything(store) == want


def test_doubles_that_are_not_steps_of_the_resolution_survive_exactly(
    tmp_path: Path, factory: Factory
) -> None:
    sid = factory.devices_by_id["L01-S03"].sensor_id("motor_temp_c")  # resolution 0.1
    odd = np.array(
        [-0.0, 0.0, np.nan, np.inf, -np.inf, 0.1 + 0.2, 1e300, 5e-324, 12.3, 12.34, -7.1, 2.0**60, 1 / 3],
        np.float64,
    )
    ts = T0 + np.arange(len(odd), dtype=np.int64) * 1000
    with DuckDBStore(tmp_path).opened(factory) as store:
        store.write_batch([DeviceBatch("L01-S03", 0, 1, T0, T0, np.full(len(odd), sid, np.int32), ts, odd)])
        store.maintain(now_ms=T0 + DAY, close_all=True)
        got = store.history(sid, T0, T0 + HOUR_MS)
    assert got.values.view(np.int64).tolist() == odd.view(np.int64).tolist()


class CrashError(Exception):
    """Stands for the process dying at that point."""


@pytest.mark.parametrize("crash_at", [1, 2, 4])
def test_a_crash_in_the_middle_of_compaction_loses_and_duplicates_nothing(
    tmp_path: Path,
    factory: Factory,
    data: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
    monkeypatch: pytest.MonkeyPatch,
    crash_at: int,
) -> None:
    """The n-th file written (a slice, a merge or a rollup file) fails before its commit."""
    want = expected(data)
    n = sum(len(p[1]) for p in data)
    written: list[Path] = []

    def crash(path: Path) -> None:
        written.append(path)
        if len(written) == crash_at:
            raise CrashError(path)

    with DuckDBStore(tmp_path).opened(factory) as store:
        write_all(store, data)
        monkeypatch.setattr(_coldfiles, "after_file_written", crash)
        with pytest.raises(CrashError):
            run_maintenance(store, 3)
        assert written[-1].exists()  # the file was written, its commit never happened
        assert everything(store) == want
        assert store.reading_count() == n
    monkeypatch.undo()
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert not written[-1].exists()  # reopening removed the unlisted file
        assert everything(store) == want
        store.maintain(now_ms=T0 + DAY, close_all=True)
        assert everything(store) == want
        assert store.reading_count() == n
        agg = store.aggregates(int(data[0][1][0]), T0, T0 + DAY, Resolution.HOUR)
        assert agg.count.sum() == len(want[int(data[0][1][0])][0])


def test_files_replaced_by_a_merge_are_deleted_once_no_query_can_use_them(
    tmp_path: Path, factory: Factory, data: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]
) -> None:
    with DuckDBStore(tmp_path).opened(factory) as store:
        write_all(store, data)
        for k in range(1, 16):  # the data's clock advances slice by slice, as in production
            store.max_ts = T0 + k * 10 * MINUTE_MS
            store.maintain(now_ms=store.max_ts + MINUTE_MS)
        store.maintain(now_ms=T0 + DAY, close_all=True)
        with store.snapshot() as cur:
            listed = {r[0] for r in cur.execute("SELECT path FROM cold_files").fetchall()}
            garbage = {r[0] for r in cur.execute("SELECT path FROM cold_garbage").fetchall()}
        assert garbage  # merges replaced files; readers may still be using them
        assert garbage <= cold_files(tmp_path)
        raw_hours = [p for p in listed if p.startswith("raw/")]
        assert len(raw_hours) == 3  # one file per closed hour (T0 .. T0 + 2.5 h)
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert cold_files(tmp_path) == listed
        assert everything(store) == expected(data)


def test_an_hour_first_compacted_after_it_closed_gets_its_final_file_at_once(
    tmp_path: Path, factory: Factory, data: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]
) -> None:
    """After a pause (or in a first pass over a full hot table) each closed hour is written once,
    sorted and compressed for good, not as a small file that no merge would ever rewrite; hours as
    sparse as these share a file within their 6-hour block."""
    with DuckDBStore(tmp_path).opened(factory) as store:
        write_all(store, data)
        store.maintain(now_ms=T0 + DAY, close_all=True)
        with store.snapshot() as cur:
            raw = cur.execute(
                "SELECT t0, t1, level FROM cold_files WHERE kind = 'raw' ORDER BY t0"
            ).fetchall()
            garbage = cur.execute("SELECT count(*) FROM cold_garbage").fetchall()[0][0]
        assert T0 % (6 * HOUR_MS) == 4 * HOUR_MS  # the third hour starts a block
        assert raw == [(T0, T0 + 2 * HOUR_MS, 2), (T0 + 2 * HOUR_MS, T0 + 3 * HOUR_MS, 2)]
        assert garbage == 0  # nothing was merged
        assert everything(store) == expected(data)


def test_late_rows_for_the_hours_of_a_shared_file_are_stored_once(
    tmp_path: Path, factory: Factory, data: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]
) -> None:
    """Rows that arrive after their sparse hours were written to one file, for either hour, are
    kept exactly once, before and after the merges that follow."""
    rng = np.random.default_rng(5)
    held = set(rng.choice(len(data), len(data) // 8, replace=False).tolist())
    with DuckDBStore(tmp_path).opened(factory) as store:
        write_all(store, [p for i, p in enumerate(data) if i not in held])
        store.maintain(now_ms=T0 + DAY, close_all=True)
        with store.snapshot() as cur:
            shared = cur.execute(
                "SELECT count(*) FROM cold_files WHERE kind = 'raw' AND t1 - t0 > ?", [HOUR_MS]
            )
            assert shared.fetchall()[0][0] == 1
        write_all(store, [p for i, p in enumerate(data) if i in held], seq0=10_000)
        assert everything(store) == expected(data)  # late rows hot, the rest in the shared file
        run_maintenance(store, 2)
        assert everything(store) == expected(data)
        assert store._writer().execute("SELECT count(*) FROM readings_hot").fetchall()[0][0] == 0


def test_sparse_closed_hours_of_one_block_share_a_file_and_dense_ones_do_not() -> None:
    h = T0 - T0 % (6 * HOUR_MS)  # a block's first hour
    sparse, dense = 2_048 * 100, 2_048 * 100 + 2  # rows of sensors 0..99
    groups = [(h + k * HOUR_MS, sparse // 3, 0, 99) for k in range(7)]
    # hours 0-2 share a file; 3-5 another (a run holds at most 2,048 rows per sensor id); 6
    # starts the next block; the last one is still open
    got = _final_runs(groups, set(), h + 7 * HOUR_MS - 1)
    assert [(lo - h) // HOUR_MS for lo, *_ in got] == [0, 3, 6]
    assert [(hi - lo) // HOUR_MS for lo, hi, *_ in got] == [3, 3, 0]
    assert [final for _, _, final, *_ in got] == [True, True, False]
    assert [n for *_, n, _, _ in got] == [3 * (sparse // 3)] * 2 + [sparse // 3]
    # two hours denser than that together, a gap, an hour already started: each alone
    two = [(h, dense // 2, 0, 99), (h + HOUR_MS, dense // 2, 0, 99)]
    assert [final for _, _, final, *_ in _final_runs(two, set(), h + 6 * HOUR_MS)] == [True, True]
    gap = [(h, 10, 0, 99), (h + 2 * HOUR_MS, 10, 0, 99)]
    assert len(_final_runs(gap, set(), h + 6 * HOUR_MS)) == 2
    started = [(h, 10, 0, 99), (h + HOUR_MS, 10, 0, 99)]
    assert [final for _, _, final, *_ in _final_runs(started, {h + HOUR_MS}, h + 6 * HOUR_MS)] == [
        True,
        False,
    ]


def test_a_message_resent_after_its_key_was_compacted_is_still_a_duplicate(
    tmp_path: Path, factory: Factory
) -> None:
    sid = factory.devices_by_id["L01-S03"].sensor_base

    def msg(seq: int, boot: int = 0) -> DeviceBatch:
        ts = np.array([T0 + seq * 1000], np.int64)
        return DeviceBatch(
            "L01-S03", boot, seq, T0, T0, np.array([sid], np.int32), ts, np.array([float(seq)])
        )

    with DuckDBStore(tmp_path).opened(factory) as store:
        store.write_batch([msg(s) for s in (1, 2, 3, 5, 6)])
        store.maintain(now_ms=T0 + DAY, close_all=True)
        result = store.write_batch([msg(2), msg(4), msg(6), msg(7), msg(2, boot=1)])
        assert result.duplicate_keys == (("L01-S03", 0, 2), ("L01-S03", 0, 6))
        assert (result.messages, result.readings) == (3, 3)
        store.maintain(now_ms=T0 + DAY, close_all=True)
        assert store.write_batch([msg(s) for s in range(1, 8)]).messages == 0
        assert store.message_count() == 8
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert store.message_count() == 8
        assert store.write_batch([msg(4)]).duplicates == 1
        assert store.history(sid, T0, T0 + DAY).values.tolist() == [1, 2, 2, 3, 4, 5, 6, 7]


def test_retention_drops_only_what_is_due_per_class(tmp_path: Path, factory: Factory) -> None:
    d = factory.devices_by_id["L01-S03"]
    gauge, state = d.sensor_id("motor_temp_c"), d.sensor_id("runtime_state")
    short = RetentionClass("short", raw_ms=2 * DAY, minute_ms=5 * DAY, hour_ms=10 * DAY)
    policy = RetentionPolicy(default=short, by_kind={"state": RetentionClass("states", raw_ms=None)})
    hours = 4
    ts = T0 + np.arange(hours * 60, dtype=np.int64) * MINUTE_MS
    with DuckDBStore(tmp_path, retention=policy).opened(factory) as store:
        for k, sid in enumerate((gauge, state)):
            ids = np.full(len(ts), sid, np.int32)
            store.write_batch([DeviceBatch("L01-S03", 0, k + 1, T0, T0, ids, ts, np.ones(len(ts)))])
        store.maintain(now_ms=T0 + hours * HOUR_MS, close_all=True)

        def state_of() -> tuple[int, int, int, int, int]:
            end = T0 + hours * HOUR_MS
            return (
                len(store.history(gauge, T0, end, 100_000).ts_ms),
                len(store.history(state, T0, end, 100_000).ts_ms),
                int(store.aggregates(gauge, T0, end, Resolution.MINUTE).count.sum()),
                int(store.aggregates(state, T0, end, Resolution.MINUTE).count.sum()),
                int(store.aggregates(gauge, T0, end, Resolution.HOUR).count.sum()),
            )

        n = len(ts)
        assert state_of() == (n, n, n, n, n)
        # two days after the second hour ended: the gauge's first two hours of raw readings are due
        report = store.maintain(now_ms=T0 + 2 * HOUR_MS + 2 * DAY)
        assert report.dropped_readings == 120
        assert state_of() == (n - 120, n, n, n, n)
        assert store.reading_count() == 2 * n - 120
        # all raw and every minute due (minute files hold 6-hour blocks: retention waits for the block)
        report = store.maintain(now_ms=T0 + (hours + 6) * HOUR_MS + 5 * DAY)
        assert state_of() == (0, n, 0, n, n)
        assert report.dropped_buckets == n
        store.maintain(now_ms=T0 + hours * HOUR_MS + 10 * DAY)
        assert state_of() == (0, n, 0, n, 0)
        # the states class keeps its 1-hour rollups forever
        assert int(store.aggregates(state, T0, T0 + DAY, Resolution.HOUR).count.sum()) == n


V1_SCHEMA = """
CREATE TABLE seamline_schema (version INTEGER NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE devices (device_id VARCHAR NOT NULL, machine_type VARCHAR NOT NULL, area_id VARCHAR NOT NULL,
    line_id VARCHAR, workstation_id VARCHAR, sensor_base INTEGER NOT NULL, sensor_count INTEGER NOT NULL);
CREATE TABLE sensors (sensor_id INTEGER NOT NULL, device_id VARCHAR NOT NULL, channel VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, unit VARCHAR NOT NULL);
CREATE TABLE readings (sensor_id INTEGER NOT NULL, ts_ms BIGINT NOT NULL, value DOUBLE NOT NULL);
CREATE TABLE messages (device_id VARCHAR NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,
    sent_ts_ms BIGINT NOT NULL, received_ts_ms BIGINT NOT NULL, n_readings INTEGER NOT NULL,
    n_events INTEGER NOT NULL, PRIMARY KEY (device_id, boot, seq));
CREATE TABLE events (device_id VARCHAR NOT NULL, ts_ms BIGINT NOT NULL, received_ts_ms BIGINT NOT NULL,
    type VARCHAR NOT NULL, data JSON NOT NULL);
CREATE VIEW readings_t AS SELECT r.sensor_id, s.device_id, s.channel, make_timestamptz(r.ts_ms * 1000) AS ts,
    r.value FROM readings r JOIN sensors s USING (sensor_id);
INSERT INTO seamline_schema VALUES (1, 0);
"""


def test_a_version_1_store_is_upgraded_with_its_readings_and_messages(
    tmp_path: Path, factory: Factory
) -> None:
    sid = factory.devices_by_id["L01-S03"].sensor_base
    with duckdb.connect(str(tmp_path / "seamline.duckdb")) as con:
        con.execute(V1_SCHEMA)
        con.execute("INSERT INTO readings VALUES (?, ?, 1.5), (?, ?, 2.5)", [sid, T0, sid, T0 + 1000])
        con.execute("INSERT INTO messages VALUES ('L01-S03', 0, 1, 0, 0, 2, 0)")
    with DuckDBStore(tmp_path).opened(factory) as store:
        assert (store.reading_count(), store.message_count()) == (2, 1)
        assert store.history(sid, T0, T0 + HOUR_MS).values.tolist() == [1.5, 2.5]
        store.maintain(now_ms=T0 + DAY, close_all=True)
        assert store.history(sid, T0, T0 + HOUR_MS).values.tolist() == [1.5, 2.5]
        assert store.aggregates(sid, T0, T0 + HOUR_MS, Resolution.HOUR).count.tolist() == [2]
    with duckdb.connect(str(tmp_path / "seamline.duckdb"), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM seamline_schema").fetchone() == (SCHEMA_VERSION,)


def test_when_the_data_stops_the_wall_clock_closes_its_last_minutes(
    tmp_path: Path, factory: Factory, data: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]
) -> None:
    with DuckDBStore(tmp_path).opened(factory) as store:
        write_all(store, data)
        store.maintain(now_ms=store.max_ts + MINUTE_MS)  # data still coming: the newest minutes stay open
        hot = store._writer().execute("SELECT count(*) FROM readings_hot").fetchall()[0][0]
        assert hot > 0
        store.maintain(now_ms=store.max_ts + 2 * 60 * MINUTE_MS)  # two hours without data
        hot = store._writer().execute("SELECT count(*) FROM readings_hot").fetchall()[0][0]
        assert hot == 0
        assert everything(store) == expected(data)
