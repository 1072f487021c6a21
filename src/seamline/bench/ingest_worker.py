"""The ingest process of ``seamline bench ingest``: the real ingest path, in a process of its own.

It opens the store it is given (``--store``: a fresh DuckDB data directory, or a PostgreSQL URL
naming a fresh schema; see :func:`~seamline.store.select.store_for`), starts the :class:`Ingestor` and one
transport -- :class:`MqttIngest` on the benchmark's broker, the HTTP API under uvicorn, or
``inproc``: the workload encoded here and submitted from a thread, as the demo's simulator does --
and reports what it committed, when, and at what cost. It talks JSON lines::

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
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import psycopg

from seamline.bench._payloads import FORMATS, Format, Payloads, WorkloadSpec, encode_workload, stamp
from seamline.bench._procfs import cpu_s as process_cpu_s
from seamline.bench._procfs import host_busy_cpu_s, peak_rss_bytes
from seamline.ingest.mqtt import MqttIngest
from seamline.ingest.pipeline import Ingestor
from seamline.model.factory import Factory
from seamline.model.loader import load_factory
from seamline.store.base import Store
from seamline.store.postgres_conn import split_schema
from seamline.store.select import POSTGRES_SCHEMES, store_for
from seamline.telemetry import DeviceBatch

TRANSPORTS = ("mqtt", "http", "inproc")
_CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
# Python thread names -> what the thread does on the ingest path
_THREAD_ROLES = (
    ("seamline-mqtt-ingest", "mqtt_network_thread"),  # paho, decode, submit
    ("seamline-ingest-writer", "writer_thread"),  # write_batch; DuckDB runs part of an insert here
    ("bench-uvicorn", "http_event_loop"),  # uvicorn + FastAPI
    ("asyncio", "http_decode_threads"),  # asyncio.to_thread: decode of request bodies
    ("uvloop", "http_decode_threads"),  # ... under uvloop
    ("MainThread", "main_thread"),  # inproc: decode and submit; else the benchmark's polling
)
# threads of no role above: DuckDB's own workers, or (PostgreSQL) none to speak of
_OTHER_THREADS = {"duckdb": "duckdb_threads", "postgresql": "other_threads"}
_INPROC_GROUP = 64  # messages per submit_messages() call, like one simulator tick


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
    parser.add_argument(
        "--store", required=True, help="a fresh DuckDB data directory, or postgresql://...?schema=fresh"
    )
    parser.add_argument("--transport", choices=TRANSPORTS, required=True)
    parser.add_argument("--mqtt-url", help="the broker (--transport mqtt)")
    parser.add_argument("--http-port", type=int, default=0, help="(--transport http)")
    parser.add_argument("--spec", help="WorkloadSpec as JSON (--transport inproc)")
    parser.add_argument("--format", choices=FORMATS, default="binary", help="(--transport inproc)")
    parser.add_argument("--flush-interval-s", type=float, default=0.25)
    parser.add_argument("--flush-readings", type=int, default=200_000)
    parser.add_argument("--max-queue", type=int, default=2_000, help="messages queued for the writer")
    parser.add_argument(
        "--stall-s", type=float, default=60.0, help="give up after this long without progress"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    factory = load_factory()
    commits = CommitLog()
    gc_timer = GcTimer()
    backend = "postgresql" if args.store.startswith(POSTGRES_SCHEMES) else "duckdb"
    store = store_for(args.store if backend == "postgresql" else Path(args.store))
    store.open(factory)
    ingestor = Ingestor(
        factory,
        store,
        flush_interval_s=args.flush_interval_s,
        flush_readings=args.flush_readings,
        max_queue=args.max_queue,
        on_commit=commits,
    )
    report: dict[str, Any] = {"event": "report", "transport": args.transport}
    payloads: Payloads | None = None
    with ingestor:
        if args.transport == "mqtt":
            stop = _start_mqtt(args.mqtt_url, ingestor)
        elif args.transport == "http":
            stop = _start_http(factory, store, ingestor, args.http_port)
        else:
            payloads = encode_workload(WorkloadSpec.from_json(args.spec), args.format)
            stop = _nothing
        server = _PostgresCpu(args.store) if backend == "postgresql" else None
        cpu0, threads0 = _cpu_s(), _thread_cpu_s()
        _emit({"event": "ready", "pid": os.getpid()})
        expect = payloads.messages if payloads else _read_expected()
        host0 = (time.monotonic(), host_busy_cpu_s())
        gc.callbacks.append(gc_timer)
        if payloads:
            report |= _submit_inproc(ingestor, payloads.bodies, args.format) | {
                "published_messages": payloads.messages,
                "published_readings": payloads.readings,
                "payload_bytes": payloads.payload_bytes,
                "value_sum": payloads.value_sum,
            }
        report["complete"] = _wait_processed(ingestor, expect, args.stall_s)
        # how busy the whole machine was while the messages came in (not during shutdown)
        report["host_span_s"] = time.monotonic() - host0[0]
        report["host_busy_cpu_s"] = host_busy_cpu_s() - host0[1]
        report["cpu_s_by_thread"] = _by_role(threads0, _thread_cpu_s(), _OTHER_THREADS[backend])
        report["cpu_s_postgres"] = server.used() if server else {}
        gc.callbacks.remove(gc_timer)
        report["gc"] = {"collections": gc_timer.collections, "seconds": gc_timer.seconds}
        stop()
    cpu_s = _cpu_s() - cpu0  # from ready to the last commit, not the start-up
    stats = ingestor.stats()
    store.close()
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
        "peak_rss_bytes": peak_rss_bytes(os.getpid()),
        "cpu_s": cpu_s,
    }
    _emit(report)
    return 0


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


def _start_mqtt(url: str | None, ingestor: Ingestor) -> Callable[[], None]:
    if not url:
        raise SystemExit("--transport mqtt needs --mqtt-url")
    sub = MqttIngest(
        url, ingestor, client_id=f"seamline-bench-ingest-{uuid.uuid4().hex[:8]}", session_expiry_s=300
    )
    sub.start()
    if not sub.wait_subscribed(30.0):
        sub.stop()
        raise SystemExit(f"no subscription on {url} within 30 s")
    return sub.stop


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
