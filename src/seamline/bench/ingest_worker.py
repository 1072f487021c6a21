"""The ingest process of ``seamline bench ingest``: the platform as it ships, in a process of its own.

It builds what ``seamline serve`` builds -- :class:`~seamline.platform.Platform` from
:class:`~seamline.settings.Settings` with the platform's own defaults (queue size, flush interval,
store maintenance interval, DuckDB memory limit, retention; ``SEAMLINE_*`` variables apply as they
would to the service) and a data directory (``--data-dir``) or PostgreSQL schema (``--store``) of
its own -- with one transport: MQTT (the platform's own subscriber on the benchmark's broker), the
HTTP API under uvicorn, or ``inproc`` (the workload encoded here and submitted from a thread, as
the demo's simulator does). The one hook added is a commit observer, for the latency figures.

The store maintenance loop runs throughout, as in the service. After the last commit the process
waits (untimed) until a maintenance pass that started after that commit has finished -- everything
the data's clock has closed is then rolled up and compacted -- closes the platform (its shutdown
pass included), then runs the final compaction (``maintain(close_all=True)``: what the hours still
open would get once they close) on the store reopened, and reports each part's CPU time apart.
It talks JSON lines::

    -> stdout {"event": "ready", ...}            it takes messages
    <- stdin  {"expect_messages": N}              (mqtt, http) how many the publisher sends
    -> stdout {"event": "report", ...}            all N processed (or stalled), the store closed

Run by the benchmark as ``python -m seamline.bench.ingest_worker``; ``--help`` lists the options.
The latency of a message is the wall-clock time of its commit minus its ``sent_ts``, which the
publisher stamps at send time.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import inspect
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import psycopg

from seamline.bench._payloads import FORMATS, Format, Payloads, WorkloadSpec, encode_workload, stamp
from seamline.bench._procfs import cpu_s as process_cpu_s
from seamline.bench._procfs import host_busy_cpu_s, peak_rss_bytes, reset_peak_rss
from seamline.ingest.pipeline import Ingestor
from seamline.model.factory import Factory
from seamline.model.loader import load_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.store.base import Store
from seamline.store.maintenance import MaintenanceLoop
from seamline.store.postgres_conn import split_schema
from seamline.store.select import store_for
from seamline.telemetry import DeviceBatch

TRANSPORTS = ("mqtt", "http", "inproc")
_CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
# Python thread names -> what the thread does on the ingest path
_THREAD_ROLES = (
    ("seamline-mqtt-ingest", "mqtt_network_thread"),  # paho, decode, submit
    ("seamline-ingest-writer", "writer_thread"),  # write_batch; DuckDB runs part of an insert here
    ("seamline-store-maintenance", "maintenance_thread"),  # rollups, compaction, retention
    ("seamline-watchdog", "watchdog_thread"),
    ("bench-uvicorn", "http_event_loop"),  # uvicorn + FastAPI
    ("asyncio", "http_decode_threads"),  # asyncio.to_thread: decode of request bodies
    ("uvloop", "http_decode_threads"),  # ... under uvloop
    ("MainThread", "main_thread"),  # inproc: decode and submit; else the benchmark's polling
)
# threads of no role above: DuckDB's own workers, or (PostgreSQL) none to speak of
_OTHER_THREADS = {"duckdb": "duckdb_threads", "postgresql": "other_threads"}
_MAINTENANCE_ROLE = "maintenance_thread"
_INPROC_GROUP = 64  # messages per submit_messages() call, like one simulator tick
# the settings reported with the figures (no URLs: they may carry passwords)
_REPORTED_SETTINGS = {
    "flush_interval_s",
    "ingest_max_queue",
    "maintenance_interval_s",
    "duckdb_memory_limit",
    "retention_raw_days",
    "retention_minute_days",
    "retention_hour_days",
    "retention_by_kind",
}


class GcTimer:
    """Time spent in Python's cyclic garbage collector, per generation (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1


class CommitLog:
    """Ingestor ``on_commit`` observer: commit times and each message's sent -> committed latency."""

    def __init__(self) -> None:
        self.first_commit_ms: int | None = None
        self.last_commit_ms: int | None = None
        self.readings = 0
        self._latencies: list[npt.NDArray[np.int64]] = []

    def __call__(self, batches: Sequence[DeviceBatch], commit_ms: int) -> None:
        sent = np.fromiter((b.sent_ts_ms for b in batches), np.int64, len(batches))
        self._latencies.append(commit_ms - sent)
        if self.first_commit_ms is None:
            self.first_commit_ms = commit_ms
        self.last_commit_ms = commit_ms
        self.readings += sum(map(len, batches))

    def latency_ms(self) -> dict[str, float | None]:
        if not self._latencies:
            return {"p50": None, "p99": None, "max": None, "mean": None}
        lat = np.concatenate(self._latencies).astype(np.float64)
        p50, p99 = np.percentile(lat, [50, 99])
        return {"p50": float(p50), "p99": float(p99), "max": float(lat.max()), "mean": float(lat.mean())}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="the ingest process of `seamline bench ingest`")
    parser.add_argument("--data-dir", required=True, help="a fresh data directory (the DuckDB store's home)")
    parser.add_argument("--store", help="postgresql://...?schema=fresh instead of the embedded store")
    parser.add_argument("--transport", choices=TRANSPORTS, required=True)
    parser.add_argument("--mqtt-url", help="the broker (--transport mqtt)")
    parser.add_argument("--http-port", type=int, default=0, help="(--transport http)")
    parser.add_argument("--spec", help="WorkloadSpec as JSON (--transport inproc)")
    parser.add_argument("--format", choices=FORMATS, default="binary", help="(--transport inproc)")
    parser.add_argument(
        "--stall-s", type=float, default=60.0, help="give up after this long without progress"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.transport == "mqtt" and not args.mqtt_url:
        raise SystemExit("--transport mqtt needs --mqtt-url")
    factory = load_factory()
    commits = CommitLog()
    gc_timer = GcTimer()
    backend = "postgresql" if args.store else "duckdb"
    settings = Settings.model_validate(  # the rest: the platform's defaults (or SEAMLINE_* variables)
        {
            "data_dir": Path(args.data_dir),
            "store": args.store,
            "mqtt_url": args.mqtt_url if args.transport == "mqtt" else None,
        }
    )
    platform = Platform(settings, factory)
    # the one hook: commit times and latencies (the platform itself observes none)
    platform.ingestor.add_commit_listener(commits)  # before the writer starts
    report: dict[str, Any] = {
        "event": "report",
        "transport": args.transport,
        "settings": settings.model_dump(mode="json", include=_REPORTED_SETTINGS),
    }
    payloads: Payloads | None = None
    server = _PostgresCpu(args.store) if backend == "postgresql" else None
    with contextlib.ExitStack() as running:
        platform.__enter__()
        running.callback(platform.close)
        if args.transport == "mqtt":
            _wait_subscribed(platform, args.mqtt_url)
        elif args.transport == "http":
            running.callback(_start_http(factory, platform.store, platform.ingestor, args.http_port))
        else:
            payloads = encode_workload(WorkloadSpec.from_json(args.spec), args.format)
        _emit({"event": "ready", "pid": os.getpid()})
        expect = payloads.messages if payloads else _read_expected()
        # the clock of CPU time starts here: idle start-up and encoding are not the ingest's
        cpu0, threads0, host0 = _cpu_s(), _thread_cpu_s(), (time.monotonic(), host_busy_cpu_s())
        passes0 = platform.maintenance.passes
        gc.callbacks.append(gc_timer)
        if payloads:
            report |= _submit_inproc(platform.ingestor, payloads.bodies, args.format) | {
                "published_messages": payloads.messages,
                "published_readings": payloads.readings,
                "payload_bytes": payloads.payload_bytes,
                "value_sum": payloads.value_sum,
            }
        report["complete"] = _wait_processed(platform.ingestor, expect, args.stall_s)
        threads1, cpu1 = _thread_cpu_s(), _cpu_s()
        passes_in_span = platform.maintenance.passes - passes0
        report |= {
            # how busy the whole machine was while the messages came in (not during shutdown)
            "host_span_s": time.monotonic() - host0[0],
            "host_busy_cpu_s": host_busy_cpu_s() - host0[1],
            "peak_rss_bytes_span": peak_rss_bytes(os.getpid()),  # before the catch-up pass
            "cpu_s_by_thread": _by_role(threads0, threads1, _OTHER_THREADS[backend]),
            "cpu_s_postgres": server.used() if server else {},
        }
        gc.callbacks.remove(gc_timer)
        report["gc"] = {"collections": gc_timer.collections, "seconds": gc_timer.seconds}
        report["catch_up"] = _wait_caught_up(platform.maintenance, commits.last_commit_ms, args.stall_s)
        report["catch_up"]["cpu_s_by_thread"] = _by_role(threads1, _thread_cpu_s(), _OTHER_THREADS[backend])
        report["catch_up"]["cpu_s"] = _cpu_s() - cpu1
        closing = (time.perf_counter(), _cpu_s())
        running.close()  # stop taking data, flush, the platform's shutdown maintenance pass, close
    report["shutdown"] = {"elapsed_s": time.perf_counter() - closing[0], "cpu_s": _cpu_s() - closing[1]}
    report["maintenance"] = _loop_figures(platform.maintenance) | {"passes_in_span": passes_in_span}
    stats = platform.ingestor.stats()
    report["peak_rss_bytes"] = peak_rss_bytes(os.getpid())  # ingest and maintenance, up to here
    report["final_compaction"] = _final_compaction(settings, factory)
    report |= {
        "expected_messages": expect,
        "messages": stats["messages_accepted"],
        "readings": stats["readings_accepted"],
        "duplicates": stats["duplicates"],
        "rejected": stats["rejected_total"],
        "commits": stats["commits"],
        "commit_failures": stats["commit_failures"],
        "first_commit_ms": commits.first_commit_ms,
        "last_commit_ms": commits.last_commit_ms,
        "latency_ms": commits.latency_ms(),
        "cpu_s": cpu1 - cpu0,  # from the first message expected to the last commit
    }
    _emit(report)
    return 0


def _wait_caught_up(loop: MaintenanceLoop, last_commit_ms: int | None, timeout_s: float) -> dict[str, Any]:
    """Until a maintenance pass that started after the last commit has finished (untimed).

    That pass rolled up and compacted everything the data's clock had closed by then; what waited
    for it was the loop's own interval, which is idle time, not work.
    """
    waited = time.monotonic()
    # the last commit on the monotonic clock: the wall clock's distance to it, taken off now
    since = waited - max(0.0, time.time() - (last_commit_ms or 0) / 1000.0) if last_commit_ms else waited
    deadline = waited + max(timeout_s, 3.0 * loop.interval_s)
    while loop.last_pass_started_s is None or loop.last_pass_started_s < since:
        if time.monotonic() > deadline:
            return {"caught_up": False, "waited_s": time.monotonic() - waited, "pass_s": None}
        time.sleep(0.005)
    report = loop.last_report
    return {
        "caught_up": True,
        "waited_s": time.monotonic() - waited,
        "pass_s": None if report is None else report.elapsed_s,
        "compacted_readings": None if report is None else report.compacted_readings,
        "rolled_up_buckets": None if report is None else report.rolled_up_buckets,
    }


def _loop_figures(loop: MaintenanceLoop) -> dict[str, Any]:
    """What the platform's maintenance loop did, its shutdown pass included."""
    return {
        "interval_s": loop.interval_s,
        "passes": loop.passes,
        "failures": loop.failures,
        "busy_s": loop.busy_s,
        "longest_pass_s": loop.longest_pass_s,
        "compacted_readings": loop.compacted_readings,
        "rolled_up_buckets": loop.rolled_up_buckets,
    }


def _final_compaction(settings: Settings, factory: Factory) -> dict[str, Any]:
    """``maintain(close_all=True)`` on the store reopened as the platform opens it: every hour
    closed and merged, as the running platform leaves it once the hours have passed. Its CPU time
    and its own peak RSS (the high-water mark is reset first) are reported apart."""
    reset = reset_peak_rss()
    store = _store_like_platform(settings)
    store.open(factory)
    info: dict[str, Any] = {"ran": False}
    try:
        kwargs: dict[str, Any] = {"now_ms": int(time.time() * 1000)}
        if "close_all" in inspect.signature(store.maintain).parameters:
            kwargs["close_all"] = True
        started, cpu = time.perf_counter(), _cpu_s()
        done = store.maintain(**kwargs)
        info = {
            "ran": True,
            "close_all": "close_all" in kwargs,
            "elapsed_s": time.perf_counter() - started,
            "cpu_s": _cpu_s() - cpu,
            "compacted_readings": done.compacted_readings,
            "rolled_up_buckets": done.rolled_up_buckets,
        }
    except NotImplementedError:
        info = {"ran": False, "reason": f"{type(store).__name__}.maintain() is not implemented"}
    try:
        info["store_disk_bytes_open"] = store.disk_bytes()
    except NotImplementedError:
        info["store_disk_bytes_open"] = None
    closing = (time.perf_counter(), _cpu_s())
    store.close()  # DuckDB checkpoints: the write-ahead log is folded into the file
    info["close_s"] = time.perf_counter() - closing[0]
    info["cpu_s"] = info.get("cpu_s", 0.0) + _cpu_s() - closing[1]
    info["peak_rss_bytes"] = peak_rss_bytes(os.getpid()) if reset else None
    return info


def _store_like_platform(settings: Settings) -> Store:
    """The store as :class:`Platform` constructs it from ``settings`` (unopened)."""
    return store_for(
        settings.store_spec,
        retention=settings.retention_policy(),
        memory_limit=settings.duckdb_memory_limit,
    )


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(obj).decode() + "\n")
    sys.stdout.flush()


def _read_expected() -> int:
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("the benchmark closed stdin before saying how many messages to expect")
    return int(orjson.loads(line)["expect_messages"])


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def _thread_cpu_s() -> dict[int, float]:
    """CPU seconds of each thread of this process so far, by OS thread id."""
    out: dict[int, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            text = (task / "stat").read_text(encoding="ascii")
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS_PER_S
    return out


def _by_role(before: dict[int, float], after: dict[int, float], other: str) -> dict[str, float]:
    """CPU used between two snapshots, summed by the role of each thread (see _THREAD_ROLES)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for tid, cpu in after.items():
        name = names.get(tid, "")
        role = next((r for prefix, r in _THREAD_ROLES if name.startswith(prefix)), other)
        out[role] = out.get(role, 0.0) + cpu - before.get(tid, 0.0)
    return out


class _PostgresCpu:
    """CPU time of the PostgreSQL server processes that work for this run, by ``backend_type``.

    Those are the store's own connections (``application_name`` ends in its schema) and the server's
    WAL writer, checkpointer, background writer and autovacuum workers, which the commits keep busy.
    Read from ``/proc``, so the server must run on this machine (else the figures are empty).
    """

    _AUX = ("walwriter", "checkpointer", "background writer", "autovacuum worker")

    def __init__(self, url: str) -> None:
        self._conninfo, schema = split_schema(url)
        self._suffix = f"({schema})"
        self._before = self._sample()

    def _sample(self) -> dict[int, tuple[str, float]]:
        with psycopg.connect(self._conninfo, autocommit=True) as con:
            rows = con.execute(
                "SELECT pid, CASE WHEN application_name LIKE '%%' || %s THEN 'store_connections'"
                " ELSE backend_type END FROM pg_stat_activity"
                " WHERE application_name LIKE '%%' || %s OR backend_type = ANY(%s)",
                (self._suffix, self._suffix, list(self._AUX)),
            ).fetchall()
        out: dict[int, tuple[str, float]] = {}
        for pid, kind in rows:
            with contextlib.suppress(OSError, ValueError):  # gone meanwhile, or not on this machine
                out[int(pid)] = (str(kind).replace(" ", "_"), process_cpu_s(int(pid)))
        return out

    def used(self) -> dict[str, float]:
        """CPU seconds since construction; a process that started meanwhile counts in full."""
        out: dict[str, float] = {}
        for pid, (kind, now) in self._sample().items():
            before = self._before.get(pid, (kind, 0.0))[1]
            out[kind] = out.get(kind, 0.0) + now - before
        return out


def _nothing() -> None:
    return None


def _wait_subscribed(platform: Platform, url: str) -> None:
    if platform.mqtt is None or not platform.mqtt.wait_subscribed(30.0):
        raise SystemExit(f"no subscription on {url} within 30 s")


def _start_http(factory: Factory, store: Store, ingestor: Ingestor, port: int) -> Callable[[], None]:
    import uvicorn  # noqa: PLC0415  # only the http transport needs the web stack

    from seamline.web import create_app  # noqa: PLC0415

    config = uvicorn.Config(
        create_app(factory, store, ingestor),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30.0
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit(f"the HTTP server did not start on 127.0.0.1:{port}")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(30.0)

    return stop


def _submit_inproc(ingestor: Ingestor, bodies: Sequence[Any], fmt: Format) -> dict[str, Any]:
    """Submit every message from this thread, stamping sent_ts per group, as a simulator would."""
    first_ms = time.time_ns() // 1_000_000
    for i in range(0, len(bodies), _INPROC_GROUP):
        group = bodies[i : i + _INPROC_GROUP]
        now = time.time_ns() // 1_000_000
        for body in group:
            stamp(body, fmt, now)
        ingestor.submit_messages([body.data for body in group], transport="inproc")
    return {"first_send_ms": first_ms, "last_send_ms": time.time_ns() // 1_000_000}


def _wait_processed(ingestor: Ingestor, expect: int, stall_s: float) -> bool:
    """Until ``expect`` messages are committed, known duplicates or rejected; False if it stalled."""
    last, last_change = -1, time.monotonic()
    while True:
        s = ingestor.stats()
        done = s["messages_accepted"] + s["duplicates"] + s["rejected_total"]
        if done >= expect:
            return True
        now = time.monotonic()
        if done != last:
            last, last_change = done, now
        elif now - last_change > stall_s:
            return False
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main())
