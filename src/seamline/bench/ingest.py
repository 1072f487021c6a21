"""``seamline bench ingest``: a workload through the platform as it ships, and a peer beside it.

One run, step by step (progress goes to ``progress``, the CLI prints it on stderr):

1. A private Mosquitto on a free loopback port (``--transport mqtt``; see ``_broker.py``).
2. The ingest process (``ingest_worker.py``): the :class:`~seamline.platform.Platform` that
   ``seamline serve`` runs, from the platform's own default settings, on a fresh store -- DuckDB in
   a temporary directory, or with ``--store postgresql://...`` a schema of its own on that server,
   dropped afterwards -- with its store maintenance loop running throughout. A separate process,
   so its peak RSS (``VmHWM``) and CPU time are its own; on PostgreSQL the CPU time of the server
   processes that work for the store (its connections, WAL writer, checkpointer, autovacuum) is
   reported too.
3. The publisher process (``ingest_publisher.py``) encodes the whole workload *before* the clock
   starts, then sends it as fast as the broker (QoS 1) or the HTTP API accepts, stamping each
   message's ``sent_ts`` as it goes. ``inproc`` has no publisher: the ingest process submits the
   encoded messages itself.
4. ``readings_per_s`` = readings committed / (last commit - first send), maintenance running as
   it runs in the service. Latency is per message, commit wall time - ``sent_ts``. Then (untimed)
   the ingest process waits for a maintenance pass that started after the last commit
   (``readings_per_s_maintained`` adds that pass's time), closes the platform, and runs the final
   compaction (``maintain(close_all=True)``: the hours still open, closed and merged).
5. Bytes on disk per reading, in that final state: the data directory for DuckDB,
   :meth:`Store.disk_bytes` (tables, indexes, TOAST) for PostgreSQL. In the same state, the check:
   per sensor, the store must hold exactly the readings of the workload (count, distinct
   timestamps, sum of values; ``_verify.py``): ``lost`` and ``duplicated`` are both 0.
6. Query latencies (:mod:`seamline.bench.querybench`).
7. The peer (``--peer victoriametrics``) loads the same readings (:class:`VictoriaMetricsPeer`).

CPU time is reported per million readings, apart for ingest (every thread of the ingest process
but the maintenance loop's, from the first message to the last commit), maintenance (the loop's
thread during that span, the whole process while the catch-up pass runs, and the platform's
shutdown) and the final compaction, with their total; the peer's likewise (ingest and flush; writing
its in-memory parts to disk; its forced merge). ``--workload jittered`` sends the jittered
workload (:mod:`seamline.bench.workload`) instead of the standard one.

The machine may be shared: ``host`` says how busy it was (all processes) during the timed span.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Literal

import orjson
import psycopg
from psycopg import sql

from seamline.bench._broker import BenchBroker
from seamline.bench._payloads import Format, WorkloadSpec
from seamline.bench._procfs import cpu_s, dir_bytes
from seamline.bench._verify import compare, expected_totals, stored_totals_duckdb, stored_totals_postgres
from seamline.bench.errors import BenchError
from seamline.bench.victoriametrics import PeerResult, VictoriaMetricsPeer
from seamline.bench.workload import WORKLOAD_KINDS, Workload, WorkloadKind
from seamline.model.factory import Factory
from seamline.store.base import Store
from seamline.store.duckdb import DB_FILENAME
from seamline.store.postgres_conn import first_line, redact, split_schema
from seamline.store.select import POSTGRES_SCHEMES, store_for

Transport = Literal["mqtt", "http", "inproc"]
Backend = Literal["duckdb", "postgresql"]
TRANSPORTS: Final = ("mqtt", "http", "inproc")
PEERS: Final = ("victoriametrics",)
GOAL_READINGS_PER_S: Final = {"binary": 1_000_000, "json": 400_000}  # into the embedded store
GOAL_POSTGRES_READINGS_PER_S: Final = 300_000  # either format
GOAL_BYTES_PER_READING: Final = 1.0
GOAL_PEAK_RSS_MB: Final = 1024.0
_MB: Final = 2**20
QUERY_RUNS: Final = 20

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class IngestBenchOptions:
    """What one ``seamline bench ingest`` run does; the defaults are the standard run."""

    transport: Transport = "mqtt"
    format: Format = "binary"
    readings: int = 10_000_000
    peer: str | None = None
    seed: int = 1
    window_s: float = 60.0  # a device's message holds this much factory time ...
    max_readings_per_message: int = 1000  # ... up to this many readings
    messages_per_request: int = 100  # http
    http_concurrency: int = 4  # http
    workload: WorkloadKind = "standard"
    stall_s: float = 60.0
    rate: float = 0.0  # readings/s the publisher paces to; 0: as fast as the other side accepts
    store: str | None = None  # a postgresql:// URL; None: the embedded DuckDB store


def run_ingest_bench(
    factory: Factory, options: IngestBenchOptions, *, progress: Progress = lambda _: None
) -> dict[str, Any]:
    """Run the benchmark; the result is the ``--json`` object (see the module docstring)."""
    if options.transport not in TRANSPORTS:
        raise BenchError(f"unknown transport {options.transport!r}; use one of {', '.join(TRANSPORTS)}")
    if options.peer is not None and options.peer not in PEERS:
        raise BenchError(f"unknown peer {options.peer!r}; use one of {', '.join(PEERS)}")
    if options.workload not in WORKLOAD_KINDS:
        raise BenchError(f"unknown workload {options.workload!r}; use one of {', '.join(WORKLOAD_KINDS)}")
    pairing = _pairing(options)
    if options.peer is not None and not pairing["like_for_like"]:
        raise BenchError(f"{pairing['reason']}; {pairing['instead']}")
    spec = _spec(factory, options)
    workload = Workload(factory, start_ms=spec.start_ms, seed=spec.seed, kind=spec.kind)
    progress(
        f"{spec.kind} workload: {workload.total_readings(spec.seconds):,} readings of"
        f" {workload.sensor_count:,} sensors ({spec.seconds:g} s of factory time),"
        f" {options.format} over {options.transport}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="seamline-bench-ingest-") as tmp,
        _fresh_store(options.store, Path(tmp) / "data", progress) as target,
    ):
        run = _run_ingest(factory, options, spec, Path(tmp), target, progress)
        final = run["final_compaction"]
        if target.backend == "duckdb":
            disk_bytes = dir_bytes(target.data_dir)
        else:  # the server's files are not ours to walk: its own sizes of the schema
            disk_bytes = final.get("store_disk_bytes_open") or 0
        progress("checking, per sensor, that every reading is stored once (after the final compaction)")
        check = _verify(target, spec, workload)
        progress("query latencies")
        queries, queries_note = _queries(factory, target, spec)
    readings = run["published_readings"]
    per_m = 1e6 / readings if readings else 0.0
    result: dict[str, Any] = {
        "store": target.backend,
        "transport": options.transport,
        "format": options.format,
        "workload_kind": spec.kind,
        "rate": options.rate or None,
        "readings": readings,
        "messages": run["published_messages"],
        "readings_per_s": run["readings_per_s"],
        "readings_per_s_maintained": run["readings_per_s_maintained"],
        "bytes_per_reading": disk_bytes / readings if readings else None,
        "latency_p50_ms": run["latency_ms"]["p50"],
        "latency_p99_ms": run["latency_ms"]["p99"],
        "latency_max_ms": run["latency_ms"]["max"],
        "peak_rss_mb": run["peak_rss_bytes"] / _MB,
        "peak_rss_mb_until_last_commit": run["peak_rss_bytes_span"] / _MB,
        "peak_rss_mb_final_compaction": (
            final["peak_rss_bytes"] / _MB if final.get("peak_rss_bytes") is not None else None
        ),
        "lost": check["lost"],
        "duplicated": check["duplicated"],
        "value_sum_matches": check["value_sum_matches"],
        "verification": check,
        "redelivered": run["duplicates"],
        "rejected": run["rejected"],
        "elapsed_s": run["elapsed_s"],
        "payload_bytes_per_reading": run["payload_bytes"] / readings if readings else None,
        "disk_bytes": disk_bytes,
        "commits": run["commits"],
        "cpu_s": run["cpu_s"],
        "cpu_s_per_million": {k: v * per_m for k, v in run["cpu_s_parts"].items()},
        "cpu_s_per_m_readings": {
            k: v * per_m for k, v in (run["cpu_s"] | run["cpu_s_ingest_threads"]).items()
        },
        "maintenance": run["maintenance"],
        "platform_settings": run["settings"],
        "host": run["host"],
        "ingest_gc": run["gc"],
        "workload": {
            "kind": spec.kind,
            "sensors": workload.sensor_count,
            "devices": len(factory.devices),
            "factory_s": spec.seconds,
            "window_s": spec.window_s,
            "max_readings_per_message": spec.max_readings_per_message,
            "readings_per_message": readings / run["published_messages"] if run["published_messages"] else 0,
            "seed": spec.seed,
        },
        "compaction": final,
        "queries": queries,
        "queries_note": queries_note,
        "pairing": pairing if options.peer else None,
        "peer": None,
        "ratios": None,
    }
    if options.peer == "victoriametrics":
        progress("VictoriaMetrics: encoding the same readings (untimed), then loading them")
        with VictoriaMetricsPeer() as vm:
            peer = vm.load(spec.chunks(workload))
        result["peer"] = _peer_summary(peer)
        result["ratios"] = _ratios(result, result["peer"])
    result["goals"] = _goals(result)
    return result


def _pairing(options: IngestBenchOptions) -> dict[str, Any]:
    """Whether Seamline's side of the run is comparable with the peer's HTTP import."""
    if options.transport == "inproc":
        return {
            "like_for_like": False,
            "reason": "--transport inproc submits the readings inside Seamline's own process, with no"
            " network, broker or request parsing, while VictoriaMetrics is loaded over HTTP: not like"
            " for like",
            "instead": "use --transport mqtt (the default) or http with --peer, or drop --peer",
        }
    hop = (
        "a publisher process -> Mosquitto (QoS 1) -> Seamline's MQTT subscriber"
        if options.transport == "mqtt"
        else "a publisher process -> Seamline's HTTP API"
    )
    return {
        "like_for_like": True,
        "reason": f"both over loopback from another process: {hop}; a feeder -> VictoriaMetrics' HTTP"
        " import (its native format); payloads encoded before the clock on both sides",
        "instead": "",
    }


@dataclass(frozen=True, slots=True)
class _Target:
    """The store one run writes to: ``spec`` is a data directory or a URL with its own ``?schema=``."""

    backend: Backend
    spec: str

    @property
    def data_dir(self) -> Path:
        return Path(self.spec)

    def opened(self, factory: Factory) -> Store:
        store = store_for(self.data_dir if self.backend == "duckdb" else self.spec)
        store.open(factory)
        return store


@contextlib.contextmanager
def _fresh_store(url: str | None, data_dir: Path, progress: Progress) -> Iterator[_Target]:
    """A store nobody else uses: a new data directory, or a new schema on the PostgreSQL server at
    ``url`` (``seamline_bench_<random>``, dropped afterwards with everything in it)."""
    if url is None:
        data_dir.mkdir()
        yield _Target("duckdb", str(data_dir))
        return
    if not url.startswith(POSTGRES_SCHEMES):
        raise BenchError(f"--store takes a postgresql:// URL (or nothing, for DuckDB), not {url!r}")
    conninfo, _ = split_schema(url)
    schema = f"seamline_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"cannot connect to PostgreSQL at {redact(conninfo)} ({first_line(exc)}); check that the server"
            " runs and that the URL's host, port, user and database are right"
        ) from None
    sep = "&" if "?" in conninfo else "?"
    progress(f"store: schema {schema} at {redact(conninfo)}, dropped at the end")
    try:
        yield _Target("postgresql", f"{conninfo}{sep}schema={schema}")
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as con:
            con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _spec(factory: Factory, options: IngestBenchOptions) -> WorkloadSpec:
    seconds = Workload(factory, start_ms=0, seed=options.seed, kind=options.workload).seconds_for(
        options.readings
    )
    # The readings end two days ago: inside every retention, clear of "now", in closed time blocks.
    end_ms = (int(time.time()) - 2 * 86_400) * 1000
    return WorkloadSpec(
        start_ms=end_ms - round(seconds * 1000),
        seconds=seconds,
        seed=options.seed,
        window_s=options.window_s,
        max_readings_per_message=options.max_readings_per_message,
        boot=int(time.time()) % 1_000_000,
        kind=options.workload,
    )


# -- the timed part --------------------------------------------------------------------------


def _run_ingest(
    factory: Factory,
    options: IngestBenchOptions,
    spec: WorkloadSpec,
    root: Path,
    target: _Target,
    progress: Progress,
) -> dict[str, Any]:
    worker_args = [
        f"--data-dir={target.data_dir if target.backend == 'duckdb' else root / 'platform'}",
        *([f"--store={target.spec}"] if target.backend == "postgresql" else []),
        f"--transport={options.transport}",
        f"--stall-s={options.stall_s}",
    ]
    with contextlib.ExitStack() as stack:
        if options.transport == "inproc":
            progress("ingest process: encoding the workload (untimed), then submitting it in process")
            worker = stack.enter_context(
                _Child(
                    "ingest process",
                    "seamline.bench.ingest_worker",
                    [*worker_args, f"--spec={spec.to_json()}", f"--format={options.format}"],
                    root,
                )
            )
            worker.expect("ready", timeout_s=600.0)
            report = worker.expect("report", timeout_s=_run_timeout(options))
            first_send_ms = report["first_send_ms"]
            published = {
                "messages": report["published_messages"],
                "readings": report["published_readings"],
                "payload_bytes": report["payload_bytes"],
                "value_sum": report["value_sum"],
            }
            publisher_cpu, broker_cpu = 0.0, 0.0
        else:
            broker = stack.enter_context(BenchBroker()) if options.transport == "mqtt" else None
            http_port = _free_port()
            to = broker.url if broker else f"http://127.0.0.1:{http_port}"
            progress(f"publisher process: encoding the workload (untimed) for {to}")
            publisher = stack.enter_context(
                _Child(
                    "publisher process",
                    "seamline.bench.ingest_publisher",
                    [
                        f"--transport={options.transport}",
                        f"--url={to}",
                        f"--site={factory.site_id}",
                        f"--format={options.format}",
                        f"--spec={spec.to_json()}",
                        f"--messages-per-request={options.messages_per_request}",
                        f"--concurrency={options.http_concurrency}",
                        f"--rate={options.rate}",
                    ],
                    root,
                )
            )
            transport_args = [f"--mqtt-url={broker.url}"] if broker else [f"--http-port={http_port}"]
            worker = stack.enter_context(
                _Child(
                    "ingest process", "seamline.bench.ingest_worker", [*worker_args, *transport_args], root
                )
            )
            worker.expect("ready", timeout_s=120.0)
            published = publisher.expect("encoded", timeout_s=600.0)
            progress(
                f"sending {published['messages']:,} messages ({published['readings']:,} readings,"
                f" {published['payload_bytes'] / published['readings']:.1f} B/reading on the wire)"
            )
            broker_cpu0 = cpu_s(broker.pid) if broker else 0.0
            worker.send(orjson.dumps({"expect_messages": published["messages"]}).decode())
            publisher.send("go")
            done = publisher.expect("done", timeout_s=_run_timeout(options))
            if done["errors"]:
                raise BenchError(f"the publisher failed: {'; '.join(done['errors'])}")
            progress("published; waiting for the last commits")
            report = worker.expect("report", timeout_s=_run_timeout(options))
            first_send_ms = done["first_send_ms"]
            publisher_cpu = done["cpu_s"]
            broker_cpu = cpu_s(broker.pid) - broker_cpu0 if broker else 0.0
    if not report["complete"]:
        raise BenchError(
            f"ingest stalled: {report['messages'] + report['duplicates'] + report['rejected']:,} of"
            f" {report['expected_messages']:,} messages processed, nothing more for {options.stall_s:g} s"
        )
    last_commit = report["last_commit_ms"] or first_send_ms
    elapsed_s = max(last_commit - first_send_ms, 1) / 1000.0
    catch_up = report["catch_up"]
    maintained_s = elapsed_s + (catch_up["pass_s"] or 0.0) if catch_up["caught_up"] else None
    cpu = {"ingest": report["cpu_s"], "publisher": publisher_cpu, "broker": broker_cpu}
    if target.backend == "postgresql":
        cpu["postgres"] = sum(report["cpu_s_postgres"].values())
    parts = _cpu_parts(report, cpu.get("postgres", 0.0))
    span_s = max(report["host_span_s"], 1e-3)  # the worker's: from the start of sending to the end
    busy = report["host_busy_cpu_s"]
    return {
        "published_messages": published["messages"],
        "published_readings": published["readings"],
        "payload_bytes": published["payload_bytes"],
        "value_sum": published["value_sum"],
        "readings_per_s": report["readings"] / elapsed_s,
        "readings_per_s_maintained": report["readings"] / maintained_s if maintained_s else None,
        "elapsed_s": elapsed_s,
        "cpu_s_parts": parts,
        "maintenance": report["maintenance"] | {"catch_up": catch_up, "shutdown": report["shutdown"]},
        "final_compaction": report["final_compaction"],
        "settings": report["settings"],
        "latency_ms": report["latency_ms"],
        "peak_rss_bytes": report["peak_rss_bytes"],
        "peak_rss_bytes_span": report["peak_rss_bytes_span"],
        "duplicates": report["duplicates"],
        "rejected": report["rejected"],
        "commits": report["commits"],
        "cpu_s": cpu,
        "gc": report["gc"],
        "cpu_s_ingest_threads": {f"ingest.{k}": v for k, v in report["cpu_s_by_thread"].items()}
        | {f"postgres.{k}": v for k, v in report["cpu_s_postgres"].items()},
        "host": {
            "cores": os.cpu_count(),
            "busy_cores": busy / span_s,
            "busy_cores_other": max(0.0, busy - sum(cpu.values())) / span_s,
            "load_avg_1m": os.getloadavg()[0],
        },
    }


def _cpu_parts(report: dict[str, Any], postgres_s: float) -> dict[str, float]:
    """The ingest process's CPU seconds, apart: ingest, maintenance, final compaction, total.

    - ingest: every thread but the maintenance loop's, first message to last commit (DuckDB's own
      worker threads included: they serve the writer's commits and the loop's passes alike), and
      on PostgreSQL the server processes working for the store meanwhile;
    - maintenance: the loop's thread in that span, the whole process from the last commit until
      the catch-up pass finished (nothing else runs then), and the platform's shutdown (its last
      maintenance pass);
    - final_compaction: ``maintain(close_all=True)`` and the store's close, reopened.
    """
    in_span = report["cpu_s_by_thread"].get("maintenance_thread", 0.0)
    parts = {
        "ingest": report["cpu_s"] - in_span + postgres_s,
        "maintenance": in_span + report["catch_up"]["cpu_s"] + report["shutdown"]["cpu_s"],
        "final_compaction": report["final_compaction"].get("cpu_s", 0.0),
    }
    parts["total"] = sum(parts.values())
    return parts


def _run_timeout(options: IngestBenchOptions) -> float:
    return 600.0 + options.readings / 20_000  # generous: a stall is caught by the worker first


def _free_port() -> int:
    import socket  # noqa: PLC0415  # only the http transport needs it

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- after the run ---------------------------------------------------------------------------


def _verify(target: _Target, spec: WorkloadSpec, workload: Workload) -> dict[str, Any]:
    """Per sensor, exactly the workload's readings in the store as it is now (after compaction)."""
    expected = expected_totals(spec.chunks(workload))
    if target.backend == "duckdb":
        stored = stored_totals_duckdb(target.data_dir / DB_FILENAME)
    else:
        stored = stored_totals_postgres(target.spec)
    return compare(expected, stored) | {"when": "after the final compaction, on the state measured"}


def _queries(factory: Factory, target: _Target, spec: WorkloadSpec) -> tuple[dict[str, Any] | None, str]:
    """Dashboard query latencies on the store just loaded (:func:`~seamline.bench.querybench.run_queries`)."""
    from seamline.bench.querybench import run_queries  # noqa: PLC0415  # the query path only when needed

    end_ms = spec.start_ms + round(spec.seconds * 1000)
    store = target.opened(factory)
    try:
        timings = run_queries(store, factory, end_ms, spec.seconds / 3600.0, runs=QUERY_RUNS)
    except Exception as exc:  # another capability's work in progress must not void the ingest figures
        return None, f"run_queries failed: {type(exc).__name__}: {exc}"
    finally:
        store.close()
    return (
        {t.kind: {"p50_ms": t.p50_ms, "p95_ms": t.p95_ms, "max_ms": t.max_ms} for t in timings},
        f"seamline.bench.querybench.run_queries, {QUERY_RUNS} runs each after a warm-up,"
        " on the readings just ingested",
    )


def _peer_summary(peer: PeerResult) -> dict[str, Any]:
    per_m = 1e6 / peer.readings if peer.readings else 0.0
    cpu = {
        "ingest": peer.cpu_s,  # ingest and flush: every reading acknowledged and searchable
        "maintenance": peer.persist_cpu_s,  # until file parts hold every reading
        "final_compaction": peer.merge_cpu_s,  # /internal/force_merge, the bytes' state
    }
    cpu["total"] = sum(cpu.values())
    return {
        "name": peer.peer,
        "version": peer.version,
        "import_path": peer.import_path,
        "readings": peer.readings,
        # acknowledged and searchable (/internal/force_flush); 1.79 writes the parts to disk later
        "readings_per_s": peer.readings_per_s,
        "readings_per_s_durable": peer.readings_per_s_durable,  # ... until every reading is on disk
        "bytes_per_reading": peer.bytes_per_reading_merged,
        "bytes_per_reading_before_merge": peer.bytes_per_reading_flushed,
        # the peer's latency is per import request (~400k readings each), acknowledged and flushed
        "latency_p50_ms": peer.request_latency_p50_s * 1000.0,
        "latency_p99_ms": peer.request_latency_p99_s * 1000.0,
        "latency_max_ms": peer.request_latency_max_s * 1000.0,
        "peak_rss_mb": peer.peak_rss_bytes / _MB,
        "peak_rss_mb_with_merge": peer.peak_rss_end_bytes / _MB,
        "cpu_s": peer.cpu_s,
        "cpu_s_per_million": {k: v * per_m for k, v in cpu.items()},
        "elapsed_s": peer.elapsed_s,
        "merge_s": peer.merge_s,
        "busy_cores": peer.host_cpu_s / peer.elapsed_s if peer.elapsed_s > 0 else None,
    }


def _ratios(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, float | None]:
    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    mine, theirs = ours["cpu_s_per_million"], peer["cpu_s_per_million"]
    return {
        "readings_per_s": ratio(ours["readings_per_s"], peer["readings_per_s"]),  # >= 1: we are faster
        "readings_per_s_vs_durable": ratio(ours["readings_per_s"], peer["readings_per_s_durable"]),
        # Until compacted on both sides: ours once the catch-up pass finished; the peer compresses as
        # it ingests (its bytes before the forced merge are within ~1 % of those after), so its
        # flushed rate. Against its rate until on disk, the peer would pay for its 1.79 flush timer.
        "readings_per_s_maintained": ratio(ours["readings_per_s_maintained"], peer["readings_per_s"]),
        "readings_per_s_maintained_vs_durable": ratio(
            ours["readings_per_s_maintained"], peer["readings_per_s_durable"]
        ),
        "bytes_per_reading": ratio(ours["bytes_per_reading"], peer["bytes_per_reading"]),  # <= 1: smaller
        "peak_rss_mb": ratio(ours["peak_rss_mb"], peer["peak_rss_mb"]),
        "cpu_s_per_million_ingest": ratio(mine["ingest"], theirs["ingest"]),  # <= 1: cheaper
        "cpu_s_per_million_total": ratio(mine["total"], theirs["total"]),
    }


def _goals(r: dict[str, Any]) -> dict[str, Any]:
    postgres = r["store"] == "postgresql"
    rate_goal = GOAL_POSTGRES_READINGS_PER_S if postgres else GOAL_READINGS_PER_S[r["format"]]
    goals: dict[str, Any] = {
        "readings_per_s": {
            "goal": rate_goal,
            "value": r["readings_per_s"],
            "met": r["readings_per_s"] >= rate_goal,
        },
        "nothing_lost_or_duplicated": {
            "met": r["lost"] == 0 and r["duplicated"] == 0 and r["value_sum_matches"],
            "checked": "per sensor, after the final compaction",
        },
        "bytes_per_reading": {
            "goal": GOAL_BYTES_PER_READING,
            "value": r["bytes_per_reading"],
            "met": r["bytes_per_reading"] is not None and r["bytes_per_reading"] <= GOAL_BYTES_PER_READING,
        },
        "peak_rss_mb": {
            "goal": GOAL_PEAK_RSS_MB,
            "value": r["peak_rss_mb"],
            "met": r["peak_rss_mb"] <= GOAL_PEAK_RSS_MB,
        },
    }
    if postgres:  # the byte goal is the embedded store's compaction; PostgreSQL keeps plain rows
        del goals["bytes_per_reading"]
    if r["ratios"] is not None:
        ratios = r["ratios"]
        faster, smaller = ratios["readings_per_s"], ratios["bytes_per_reading"]
        goals["faster_than_peer"] = {
            "goal": "readings_per_s ratio >= 1.0",
            "value": faster,
            "met": faster is not None and faster >= 1.0,
        }
        maintained = ratios["readings_per_s_maintained"]
        goals["faster_than_peer_until_maintained"] = {
            "goal": "readings_per_s_maintained / peer readings_per_s >= 1.0 (both compacted)",
            "value": maintained,
            "met": maintained is not None and maintained >= 1.0,
        }
        goals["smaller_than_peer"] = {
            "goal": "bytes_per_reading ratio <= 1.0",
            "value": smaller,
            "met": smaller is not None and smaller <= 1.0,
        }
    return goals


# -- child processes -------------------------------------------------------------------------


class _Child:
    """A benchmark process speaking JSON lines on stdout; its stderr goes to a log file."""

    def __init__(self, name: str, module: str, args: list[str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{module.rsplit('.', 1)[-1]}.log"
        self._log: IO[bytes] = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603  # our own interpreter and module
            [sys.executable, "-m", module, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name=f"bench-{module}", daemon=True)
        self._reader.start()

    def __enter__(self) -> _Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with contextlib.suppress(orjson.JSONDecodeError):
                obj = orjson.loads(line)
                if isinstance(obj, dict):
                    self._lines.put(obj)
        self._lines.put(None)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def expect(self, event: str, *, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                obj = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise BenchError(
                    f"the {self.name} said nothing ({event!r} expected) for {timeout_s:g} s: {self._tail()}"
                ) from None
            if obj is None:
                self.proc.wait(timeout=10.0)
                raise BenchError(
                    f"the {self.name} exited (status {self.proc.returncode}) before {event!r}: {self._tail()}"
                )
            if obj.get("event") == event:
                return obj

    def _tail(self) -> str:
        self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text[-3000:].strip() or "(nothing on stderr)"

    def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10.0)
        self._reader.join(timeout=10.0)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()
