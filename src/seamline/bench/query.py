"""``seamline bench query``: query latencies on a store holding N hours of the reference factory,
or, with ``--url``, on the store behind a running ``seamline serve``.

Builds the store with :func:`seamline.bench.querybench.build_store` (the standard synthetic
workload through the store's own ``write_batch`` and ``maintain``) into ``--data-dir``, or reuses
the store a previous run built there with the same hours and seed, so that re-measuring a 24-hour
store (~1.3 billion readings, ~45 minutes to build on 2 cores) does not build it again. Then times each query
kind the telemetry API serves (:func:`seamline.bench.querybench.run_queries`). With ``--url`` it
builds nothing and sends the same requests over HTTP to the server, for ranges ending at the newest
reading the server holds: that measures what a user of ``seamline serve`` gets, on either backend.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import orjson
import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from seamline.bench.querybench import QueryTiming
    from seamline.model.factory import Factory

GOAL_P95_MS: Final = 50.0  # every query kind, at 24 hours of the reference factory

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def query(
    json_out: Annotated[
        bool, typer.Option("--json", help="print one JSON object instead of a table")
    ] = False,
    hours: Annotated[
        float,
        typer.Option(help="hours of the reference factory in the store (~54 M readings each)", min=0.001),
    ] = 24.0,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="build the store here, or reuse the one a previous run with the same --hours and --seed"
            " built here; default: a temporary directory, deleted afterwards",
            file_okay=False,
        ),
    ] = None,
    runs: Annotated[int, typer.Option(help="timed runs of each query kind (after one warm-up)", min=1)] = 100,
    seed: Annotated[int, typer.Option(help="workload seed; also picks the queried sensors")] = 0,
    url: Annotated[
        str | None,
        typer.Option(
            help="time the same requests over HTTP against this running `seamline serve` (e.g."
            " http://127.0.0.1:8000) instead of building a store; --hours is then how far back"
            " from its newest reading the ranges reach"
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="with --url: the API token to send (any reading role; a demo's is in"
            " <data-dir>/admin-token) [default: SEAMLINE_TOKEN]"
        ),
    ] = None,
) -> None:
    """Build (or reuse) a store of --hours of the reference factory, then time every query kind.

    Kinds: latest values (a sensor, a device, a line, the factory); raw history; charts (1000 px)
    of a random sensor and of a 10 Hz sensor over 1 h, 8 h and 24 h; 1-hour rollups; runtime-state
    durations per hour of a device and of a whole line.

    Reports p50/p95/max wall time per kind and the median CPU time of the process (all threads;
    on a shared machine the difference is mostly waiting for a core), and the build: readings,
    bytes per reading on disk, build time.
    """
    from seamline.errors import SeamlineError  # noqa: PLC0415  # keep `--help` instant
    from seamline.model.loader import load_factory  # noqa: PLC0415

    if url is not None:
        if data_dir is not None:
            _err.print("[red]error:[/red] --url times a running server; it takes no --data-dir")
            raise typer.Exit(2)
        from seamline.settings import Settings  # noqa: PLC0415

        token = token or Settings.model_validate({}).token
        try:
            result = run_http_query_bench(url, load_factory(), hours, runs=runs, seed=seed, token=token)
        except SeamlineError as exc:
            _err.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(1) from None
        _print(result, json_out)
        return
    tmp = Path(tempfile.mkdtemp(prefix="seamline-bench-query-")) if data_dir is None else None
    try:
        result = run_query_bench(
            data_dir or tmp or Path(),
            load_factory(),
            hours,
            runs=runs,
            seed=seed,
            progress=lambda s: _err.print(f"[dim]bench:[/dim] {s}"),
        )
    except SeamlineError as exc:
        _err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    _print(result, json_out)


def _print(result: dict[str, Any], json_out: bool) -> None:
    if json_out:
        typer.echo(orjson.dumps(result).decode())  # not through rich: no markup or emoji codes
    else:
        _out.print(_table(result))


def run_http_query_bench(
    url: str, factory: Factory, hours: float, *, runs: int, seed: int, token: str | None = None
) -> dict[str, Any]:
    """Every query kind over HTTP against the ``seamline serve`` at ``url`` (same JSON as the
    in-process run, with ``server`` in place of ``build``), with ``token`` as its bearer token."""
    import httpx  # noqa: PLC0415

    from seamline.bench.querybench import run_queries  # noqa: PLC0415
    from seamline.store.base import StoreError  # noqa: PLC0415
    from seamline.timeutil import to_ms  # noqa: PLC0415

    try:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, timeout=60.0, headers=headers) as client:
            about = client.get("/api/v1/factory").raise_for_status().json()
            latest = client.get("/api/v1/latest").raise_for_status().json()
            if not latest["ts"]:
                raise StoreError(f"the server at {url} holds no readings yet", reason="bench_http")
            end_ms = max(to_ms(dt.datetime.fromisoformat(t)) for t in latest["ts"]) + 1
            timings = run_queries(None, factory, end_ms, hours, runs=runs, seed=seed, client=client)
    except httpx.HTTPStatusError as exc:
        hint = ""
        if exc.response.status_code in (401, 403):
            hint = "; give --token (or SEAMLINE_TOKEN): `seamline token create --name bench --role viewer`"
        raise StoreError(f"{url}: {exc}{hint}", reason="bench_http") from None
    except httpx.HTTPError as exc:
        raise StoreError(f"{url}: {exc}", reason="bench_http") from None
    return {
        "hours": hours,
        "seed": seed,
        "url": url,
        "server": {"readings": about["readings"], "sensors": about["sensors"], "end_ms": end_ms},
        "queries": _queries(timings),
        "goal": _goal(timings),
    }


def run_query_bench(
    data_dir: Path,
    factory: Factory,
    hours: float,
    *,
    runs: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The benchmark's result as one JSON-ready object: ``build`` and ``queries`` (kind -> figures)."""
    from seamline.bench.querybench import build_store, run_queries  # noqa: PLC0415
    from seamline.bench.workload import Workload  # noqa: PLC0415
    from seamline.store.duckdb import DuckDBStore  # noqa: PLC0415

    build = build_store(data_dir, factory, hours, seed=seed, progress=progress)
    if progress:
        progress(f"store of {build.readings:,} readings ready; timing queries, {runs} runs each")
    with DuckDBStore(data_dir).opened(factory) as store:
        timings = run_queries(store, factory, build.end_ms, hours, runs=runs, seed=seed)
    expected = Workload(factory, start_ms=build.start_ms, seed=seed).total_readings(hours * 3600.0)
    return {
        "hours": hours,
        "seed": seed,
        "data_dir": str(data_dir),
        "build": {
            "readings": build.readings,
            "expected_readings": expected,
            "messages": build.messages,
            "bytes_per_reading": round(build.bytes_per_reading, 4),
            "disk_bytes": build.disk_bytes,
            "build_s": build.build_s,
            "write_s": build.write_s,
            "maintain_s": build.maintain_s,
            "write_readings_per_s": round(build.write_readings_per_s),
            "peak_rss_mb": build.peak_rss_mb,
            "start_ms": build.start_ms,
            "end_ms": build.end_ms,
            "parts": build.parts,
        },
        "queries": _queries(timings),
        "goal": _goal(timings),
    }


def _queries(timings: list[QueryTiming]) -> dict[str, dict[str, Any]]:
    return {
        t.kind: {
            "p50_ms": t.p50_ms,
            "p95_ms": t.p95_ms,
            "max_ms": t.max_ms,
            "cpu_p50_ms": t.cpu_p50_ms,
            "runs": t.runs,
            "note": t.note,
        }
        for t in timings
    }


def _goal(timings: list[QueryTiming]) -> dict[str, Any]:
    worst = max((t.p95_ms for t in timings), default=0.0)
    return {"p95_ms": GOAL_P95_MS, "worst_p95_ms": worst, "met": worst <= GOAL_P95_MS}


def _table(r: dict[str, Any]) -> Table:
    if "build" in r:
        b = r["build"]
        title = (
            f"seamline bench query: {b['readings']:,} readings ({r['hours']:g} h),"
            f" {b['bytes_per_reading']:.3f} bytes/reading, built in {b['build_s']:,.0f} s"
        )
    else:
        title = (
            f"seamline bench query over HTTP: {r['url']}, {r['server']['readings']:,} readings,"
            f" ranges up to {r['hours']:g} h back from the newest (CPU: the client's)"
        )
    table = Table(title=title)
    for name in ("query kind", "p50 ms", "p95 ms", "max ms", "CPU p50 ms", "what"):
        table.add_column(name, justify="left" if name in ("query kind", "what") else "right")
    for kind, q in r["queries"].items():
        p95 = f"{q['p95_ms']:,.1f}"
        if q["p95_ms"] > GOAL_P95_MS:
            p95 = f"[red]{p95}[/red]"
        cpu = f"{q['cpu_p50_ms']:,.1f}"
        table.add_row(kind, f"{q['p50_ms']:,.1f}", p95, f"{q['max_ms']:,.1f}", cpu, q["note"])
    return table
