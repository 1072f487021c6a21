"""Measure the bar Seamline's ingest must clear: workload generation speed and VictoriaMetrics.

Until ``seamline bench ingest`` exists, this prints the peer's figures on this machine, one JSON
line per run and a median line at the end::

    .venv/bin/python -m seamline.bench.baseline --readings 10e6 --runs 2

The box may be shared: ``host_cores`` (all processes) next to ``vm_cores`` shows how much other
work competed during a run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import orjson

from seamline.bench._procfs import host_busy_cpu_s
from seamline.bench.victoriametrics import IMPORT_FORMATS, PeerResult, VictoriaMetricsPeer
from seamline.bench.workload import Workload
from seamline.model.loader import load_factory

# Chosen on this box: ~400k readings a native body; JSON lines cost VictoriaMetrics less CPU per
# reading in bigger bodies (fewer repeated labels) but need enough bodies to keep 4 in flight.
DEFAULT_READINGS_PER_REQUEST = {"native": 400_000, "json": 250_000}


def generation_rate(workload: Workload, seconds: float) -> tuple[int, float]:
    """Readings generated and readings per second for ``seconds`` of factory time (1 s windows)."""
    started = time.perf_counter()
    n = sum(len(chunk) for chunk in workload.chunks(seconds))
    return n, n / (time.perf_counter() - started)


def wait_until_quiet(*, max_busy_cores: float, timeout_s: float) -> float:
    """Wait until the other processes on the box use at most ``max_busy_cores`` (2 s samples).

    Returns the busy cores last seen; gives up after ``timeout_s`` (the run then says how busy).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        before = host_busy_cpu_s()
        time.sleep(2.0)
        busy = (host_busy_cpu_s() - before) / 2.0
        if busy <= max_busy_cores or time.monotonic() > deadline:
            return busy


def summary(result: PeerResult, fmt: str, readings_per_request: int) -> dict[str, Any]:
    return {
        "format": fmt,
        "path": result.import_path,
        "readings": result.readings,
        "series": result.series,
        "requests": result.requests,
        "readings_per_request": readings_per_request,
        "concurrency": result.concurrency,
        "payload_bytes_per_reading": round(result.payload_bytes / result.readings, 2),
        "encode_s": round(result.encode_s, 2),
        "ingest_s": round(result.ingest_s, 3),
        "flush_s": round(result.flush_s, 3),
        "readings_per_s": round(result.readings_per_s),
        "durable_s": round(result.durable_s, 2),
        "latency_p50_s": round(result.request_latency_p50_s, 3),
        "latency_max_s": round(result.request_latency_max_s, 3),
        "vm_cores": round(result.cores_used, 2),
        "readings_per_vm_cpu_s": round(result.readings / result.cpu_s) if result.cpu_s else 0,
        "host_cores": round(result.host_cpu_s / result.elapsed_s, 2),
        "bytes_per_reading_flushed": round(result.bytes_per_reading_flushed, 3),
        "bytes_per_reading_merged": round(result.bytes_per_reading_merged, 3),
        "index_bytes_merged": result.index_bytes_merged,
        "merge_s": round(result.merge_s, 2),
        "peak_rss_mib": round(result.peak_rss_bytes / 2**20, 1),
        "peak_rss_end_mib": round(result.peak_rss_end_bytes / 2**20, 1),
        "version": result.version,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--readings", type=float, default=10e6, help="readings per load (default 10e6)")
    parser.add_argument("--runs", type=int, default=2, help="loads per format, each on a fresh server")
    parser.add_argument("--format", choices=(*IMPORT_FORMATS, "both"), default="both")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--readings-per-request", type=float, default=None, help="default: per format")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quiet-cores",
        type=float,
        default=0.3,
        help="before each run wait (up to 10 min) until other processes use at most this many cores",
    )
    args = parser.parse_args(argv)

    factory = load_factory()
    seconds = Workload(factory, start_ms=0, seed=args.seed).seconds_for(int(args.readings))
    # the readings end two days ago: well inside the retention, clear of "now"
    end_ms = (int(time.time()) - 2 * 86_400) * 1000
    workload = Workload(factory, start_ms=end_ms - round(seconds * 1000), seed=args.seed)
    wait_until_quiet(max_busy_cores=args.quiet_cores, timeout_s=600.0)
    n, rate = generation_rate(workload, seconds)
    print(
        orjson.dumps(
            {"workload_readings": n, "factory_s": seconds, "generation_readings_per_s": round(rate)}
        ).decode()
    )

    formats = IMPORT_FORMATS if args.format == "both" else (args.format,)
    for fmt in formats:
        per_request = int(args.readings_per_request or DEFAULT_READINGS_PER_REQUEST[fmt])
        options: dict[str, Any] = {
            "import_format": fmt,
            "concurrency": args.concurrency,
            "readings_per_request": per_request,
        }
        payloads = VictoriaMetricsPeer(**options).encode(workload.chunks(seconds))
        rows = []
        for _run in range(args.runs):
            busy = wait_until_quiet(max_busy_cores=args.quiet_cores, timeout_s=600.0)
            with VictoriaMetricsPeer(**options) as vm:
                result = vm.load_payloads(payloads)
            rows.append(summary(result, fmt, per_request) | {"busy_cores_before": round(busy, 2)})
            print(orjson.dumps(rows[-1]).decode(), flush=True)
        medians = {
            key: round(statistics.median(row[key] for row in rows), 3)
            for key, value in rows[0].items()
            if isinstance(value, (int, float))
        }
        print(orjson.dumps({"median_of": len(rows), "format": fmt, **medians}).decode(), flush=True)


if __name__ == "__main__":
    main()
