"""Query benchmark: a store holding N hours of the reference factory, and query latencies on it.

Pure and reusable (``seamline bench`` calls it): :func:`build_store` fills a data directory with
the standard synthetic workload (:class:`~seamline.bench.workload.Workload`) through the store's
ordinary ``write_batch`` and ``maintain`` (as the ingest writer and the maintenance loop would,
only without MQTT), :func:`run_queries` times each query kind the API serves, and
:func:`query_bench` does both. The reference factory produces ~54 M readings per hour, so 24 hours
is ~1.3 billion readings; ``hours`` sets the scale.

>>> from seamline.model.loader import load_factory
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:  # doctest: +SKIP
...     build, timings = query_bench(pathlib.Path(d), load_factory(), hours=0.05, runs=5)
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

import httpx
import numpy as np

from seamline.bench.workload import Workload
from seamline.model.factory import Factory
from seamline.production import durations
from seamline.store import http as store_http
from seamline.store.base import HOUR_MS, Store, StoreError
from seamline.store.duckdb import DuckDBStore
from seamline.telemetry import DeviceBatch
from seamline.timeutil import ms_to_iso

DEFAULT_START_MS: Final = 1_790_000_000_000  # 2026-09-21T14:13:20Z, a fixed start for comparable runs
WRITE_READINGS: Final = 200_000  # readings per write_batch, like the ingest writer's flush
MAINTAIN_EVERY_S: Final = 60.0  # device seconds of data between maintenance passes
BUILD_FILE: Final = "querybench-build.json"


@dataclass(frozen=True, slots=True)
class BuildReport:
    hours: float
    seed: int
    start_ms: int
    end_ms: int
    readings: int
    messages: int
    write_s: float  # time inside write_batch
    maintain_s: float  # time inside maintain (rollups, compaction, retention)
    disk_bytes: int  # Store.disk_bytes(): the DuckDB file, its WAL and every Parquet block
    bytes_per_reading: float
    parts: dict[str, int] = field(default_factory=dict)  # bytes by part of the data directory
    data_dir_bytes: int = 0  # everything under the data directory (the build report excluded)
    build_s: float = 0.0  # wall time of the whole build, workload generation included
    peak_rss_mb: float = 0.0  # of the building process, as seen at the end of the build

    @property
    def write_readings_per_s(self) -> float:
        return self.readings / self.write_s if self.write_s else 0.0


@dataclass(frozen=True, slots=True)
class QueryTiming:
    kind: str
    runs: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    note: str = ""
    cpu_p50_ms: float = 0.0  # CPU time of the process (all threads): what a query costs, less the waiting


def build_store(
    data_dir: Path,
    factory: Factory,
    hours: float,
    *,
    seed: int = 0,
    start_ms: int = DEFAULT_START_MS,
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Write ``hours`` of the workload into a new store in ``data_dir`` (reused when a previous
    build with the same parameters finished there), compact it and measure its size on disk.

    ``progress`` hears of every whole hour of factory time written (readings, readings/s) and of
    the final compaction."""
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / BUILD_FILE
    if marker.exists():
        old = json.loads(marker.read_text())
        if (old["hours"], old["seed"], old["start_ms"]) == (hours, seed, start_ms):
            return BuildReport(**old)
        raise StoreError(
            f"{data_dir} holds a benchmark store of {old['hours']:g} h (seed {old['seed']}), not of"
            f" {hours:g} h (seed {seed}); use another data directory or delete this one",
            reason="bench_store_mismatch",
        )
    if any(data_dir.iterdir()):
        raise StoreError(
            f"{data_dir} is not empty and holds no finished benchmark store (an interrupted build?);"
            " use an empty or new data directory, or delete this one",
            reason="bench_store_mismatch",
        )
    workload = Workload(factory, start_ms=start_ms, seed=seed)
    seconds = hours * 3600.0
    end_ms = workload.end_ms(seconds)
    build_t0 = time.perf_counter()
    spent = {"write": 0.0, "maintain": 0.0}  # seconds inside write_batch and inside maintain
    next_hour = start_ms + HOUR_MS
    last_report = (build_t0, 0)
    seqs: dict[str, int] = {}
    pending: list[DeviceBatch] = []
    pending_n = 0
    next_maintain = start_ms + int(MAINTAIN_EVERY_S * 1000)
    with DuckDBStore(data_dir).opened(factory) as store:
        for chunk in workload.chunks(seconds, window_s=10.0):
            seq = seqs[chunk.device_id] = seqs.get(chunk.device_id, 0) + 1
            sent = int(chunk.ts_ms[-1])
            pending.append(
                DeviceBatch(chunk.device_id, 0, seq, sent, sent, chunk.sensor_ids, chunk.ts_ms, chunk.values)
            )
            pending_n += len(chunk)
            if pending_n >= WRITE_READINGS:
                _timed(spent, "write", partial(store.write_batch, pending))
                pending, pending_n = [], 0
                if sent >= next_maintain:
                    _timed(spent, "maintain", partial(store.maintain, now_ms=sent))
                    next_maintain = sent + int(MAINTAIN_EVERY_S * 1000)
                if progress and sent >= next_hour:
                    last_report = _report_hour(progress, store.reading_count(), sent - start_ms, last_report)
                    next_hour += HOUR_MS
        if pending:
            _timed(spent, "write", partial(store.write_batch, pending))
        if progress:
            progress(f"{store.reading_count():,} readings written; rolling up and compacting the rest")
        _timed(spent, "maintain", partial(store.maintain, now_ms=end_ms))
        readings, messages = store.reading_count(), store.message_count()
    # Reopening deletes files that merges replaced (kept a while for queries still reading them).
    with DuckDBStore(data_dir).opened(factory) as store:
        disk = store.disk_bytes()
        parts = _parts(store)
    report = BuildReport(
        hours,
        seed,
        start_ms,
        end_ms,
        readings,
        messages,
        round(spent["write"], 3),
        round(spent["maintain"], 3),
        disk,
        disk / readings if readings else 0.0,
        parts,
        sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file() and p.name != BUILD_FILE),
        round(time.perf_counter() - build_t0, 3),
        round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # ru_maxrss is in KiB
    )
    marker.write_text(json.dumps(asdict(report)))
    return report


def _timed(spent: dict[str, float], key: str, call: Callable[[], object]) -> None:
    t = time.perf_counter()
    call()
    spent[key] += time.perf_counter() - t


def _report_hour(
    progress: Callable[[str], None], readings: int, done_ms: int, last: tuple[float, int]
) -> tuple[float, int]:
    """Say how far the build got and how fast it went since the last report."""
    now = time.perf_counter()
    rate = (readings - last[1]) / (now - last[0]) if now > last[0] else 0.0
    progress(f"hour {done_ms / HOUR_MS:.0f}: {readings:,} readings stored, {rate:,.0f} readings/s")
    return now, readings


def _parts(store: DuckDBStore) -> dict[str, int]:
    out: dict[str, int] = {}
    if store.path is not None:
        out["duckdb_file"] = store.path.stat().st_size
        wal = store.path.with_name(store.path.name + ".wal")
        out["duckdb_wal"] = wal.stat().st_size if wal.exists() else 0
    if store.cold_root is not None and store.cold_root.is_dir():
        for sub in sorted(p for p in store.cold_root.iterdir() if p.is_dir()):
            out[f"parquet_{sub.name}"] = sum(f.stat().st_size for f in sub.rglob("*") if f.is_file())
    return out


@dataclass(frozen=True, slots=True)
class QueryCall:
    """One request of a query kind: the function the HTTP route calls, and the route itself."""

    call: Callable[[], object]  # in process: the route's function, JSON-ready output included
    path: str  # over HTTP: the route under the server's address, with ...
    params: dict[str, str | int] = field(default_factory=dict)  # ... its query parameters


def run_queries(
    store: Store | None,
    factory: Factory,
    end_ms: int,
    hours: float,
    *,
    runs: int = 100,
    seed: int = 0,
    client: httpx.Client | None = None,
) -> list[QueryTiming]:
    """Time each query kind ``runs`` times (after one warm-up each), on random sensors, devices and lines,
    for ranges ending at ``end_ms`` (the newest data).

    In process (``store``), times are of the functions the HTTP routes call, JSON-ready output
    included; HTTP and JSON encoding come on top. With ``client`` (an ``httpx.Client`` whose
    ``base_url`` is a running ``seamline serve``), each kind is the same request over HTTP, timed
    until its whole body has arrived, and the CPU column is the client's, not the server's."""
    if (store is None) == (client is None):
        raise ValueError("run_queries needs a store or an HTTP client, not both")
    rng = np.random.default_rng(seed)
    sensors = factory.sensors()
    fast = [s.id for s in sensors if s.channel.period_s <= 0.1]
    lines = [line.id for line in factory.lines]
    machines = [d.id for d in factory.devices if "runtime_state" in d.machine_type.channel_index]
    span_ms = int(hours * HOUR_MS)
    h = store_http

    def since(ms: int) -> int:
        return end_ms - min(ms, span_ms)

    def any_sensor() -> int:
        return int(sensors[int(rng.integers(len(sensors)))].id)

    def pick(xs: list[Any]) -> Any:
        return xs[int(rng.integers(len(xs)))]

    def latest_sensor() -> QueryCall:
        sid = any_sensor()
        return QueryCall(lambda: h.latest_json(factory, _s(store), [sid]), f"/api/v1/sensors/{sid}")

    def latest_device() -> QueryCall:
        did = pick([d.id for d in factory.devices])
        return QueryCall(lambda: h.device_latest_json(factory, _s(store), did), f"/api/v1/devices/{did}")

    def latest_line() -> QueryCall:
        lid = pick(lines)
        return QueryCall(lambda: h.line_latest_json(factory, _s(store), lid), f"/api/v1/lines/{lid}/latest")

    def raw_10min() -> QueryCall:
        return _history(factory, store, any_sensor(), since(600_000), end_ms, "raw", None, 10_000)

    kinds: list[tuple[str, Callable[[], QueryCall], str]] = [
        ("latest_sensor", latest_sensor, ""),
        ("latest_device", latest_device, ""),
        ("latest_line", latest_line, ""),
        (
            "latest_factory",
            lambda: QueryCall(lambda: h.factory_latest_json(factory, _s(store)), "/api/v1/latest"),
            f"all {len(sensors):,} sensors",
        ),
        ("raw_10min", raw_10min, "raw readings, limit 10,000"),
    ]
    for label, ms in (("1h", HOUR_MS), ("8h", 8 * HOUR_MS), ("24h", 24 * HOUR_MS)):  # 8 h: a shift
        if ms <= span_ms:
            kinds += _ranged_kinds(
                factory, store, label, since(ms), end_ms, any_sensor, fast, lines, machines, pick
            )

    def run(make: Callable[[], QueryCall]) -> None:
        q = make()
        if client is None:
            q.call()
            return
        got = client.get(q.path, params=q.params)
        if got.status_code != 200:
            raise StoreError(
                f"GET {got.request.url} answered {got.status_code}: {got.text[:300]}", reason="bench_http"
            )

    for _, make, _ in kinds:
        run(make)  # warm-up: Parquet footers, first-use code paths
    lat: list[list[float]] = [[] for _ in kinds]
    cpu: list[list[float]] = [[] for _ in kinds]
    # Round after round of every kind rather than kind after kind: on a shared machine a burst of
    # load then spreads over all kinds instead of falling on one.
    for _ in range(runs):
        for k, (_, make, _) in enumerate(kinds):
            c, t = time.process_time(), time.perf_counter()
            run(make)
            lat[k].append((time.perf_counter() - t) * 1000.0)
            cpu[k].append((time.process_time() - c) * 1000.0)
    out = []
    for k, (name, _, note) in enumerate(kinds):
        a = np.asarray(lat[k])
        out.append(
            QueryTiming(
                name,
                runs,
                round(float(np.percentile(a, 50)), 2),
                round(float(np.percentile(a, 95)), 2),
                round(float(a.max()), 2),
                note,
                round(float(np.median(cpu[k])), 2),
            )
        )
    return out


def _s(store: Store | None) -> Store:
    assert store is not None  # in-process calls are only made when run_queries has a store
    return store


def _history(
    factory: Factory,
    store: Store | None,
    sensor_id: int,
    start_ms: int,
    end_ms: int,
    resolution: str,
    max_points: int | None,
    limit: int | None,
) -> QueryCall:
    params: dict[str, str | int] = {
        "start": ms_to_iso(start_ms),
        "end": ms_to_iso(end_ms),
        "resolution": resolution,
    }
    if max_points is not None:
        params["max_points"] = max_points
    if limit is not None:
        params["limit"] = limit
    return QueryCall(
        lambda: store_http.history_json(
            factory, _s(store), sensor_id, start_ms, end_ms, resolution, max_points, limit
        ),
        f"/api/v1/sensors/{sensor_id}/history",
        params,
    )


def _ranged_kinds(
    factory: Factory,
    store: Store | None,
    label: str,
    start_ms: int,
    end_ms: int,
    any_sensor: Callable[[], int],
    fast: list[int],
    lines: list[str],
    machines: list[str],
    pick: Callable[[list[Any]], Any],
) -> list[tuple[str, Callable[[], QueryCall], str]]:
    span: dict[str, str | int] = {"start": ms_to_iso(start_ms), "end": ms_to_iso(end_ms), "interval_s": 3600}

    def chart_any() -> QueryCall:
        return _history(factory, store, any_sensor(), start_ms, end_ms, "auto", 1000, None)

    def chart_fast() -> QueryCall:
        return _history(factory, store, pick(fast), start_ms, end_ms, "auto", 1000, None)

    def hourly() -> QueryCall:
        return _history(factory, store, any_sensor(), start_ms, end_ms, "1h", 1000, None)

    def device_states() -> QueryCall:
        did = pick(machines)
        return QueryCall(
            lambda: durations.device_states_json(factory, _s(store), did, start_ms, end_ms, 3600),
            f"/api/v1/devices/{did}/states",
            span,
        )

    def line_states() -> QueryCall:
        lid = pick(lines)
        return QueryCall(
            lambda: durations.line_states_json(factory, _s(store), lid, start_ms, end_ms, 3600),
            f"/api/v1/lines/{lid}/states",
            span,
        )

    return [
        (f"chart_{label}_any", chart_any, "auto resolution, 1000 px, random sensor"),
        (f"chart_{label}_10hz", chart_fast, "auto resolution, 1000 px, a 10 Hz sensor"),
        (f"hourly_{label}", hourly, "1-hour rollups"),
        (f"states_device_{label}", device_states, "runtime_state seconds per hour"),
        (f"states_line_{label}", line_states, "runtime_state machine-seconds per hour, whole line"),
    ]


def query_bench(
    data_dir: Path,
    factory: Factory,
    hours: float,
    *,
    runs: int = 100,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> tuple[BuildReport, list[QueryTiming]]:
    """Build (or reuse) a store of ``hours`` of data in ``data_dir`` and time every query kind."""
    build = build_store(data_dir, factory, hours, seed=seed, progress=progress)
    with DuckDBStore(data_dir).opened(factory) as store:
        timings = run_queries(store, factory, build.end_ms, hours, runs=runs, seed=seed)
    return build, timings


__all__ = ["BuildReport", "QueryCall", "QueryTiming", "build_store", "query_bench", "run_queries"]
