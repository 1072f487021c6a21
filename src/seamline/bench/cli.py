"""``seamline bench``: benchmarks of the platform on this machine (not tests: no pass/fail on speed)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from seamline.bench.brain_week import brain
from seamline.bench.kpi import kpi
from seamline.bench.plan import plan
from seamline.bench.query import query
from seamline.bench.solve import solve_bench
from seamline.bench.web import web

bench_app = typer.Typer(
    help="Benchmarks: the standard synthetic workload through the real paths, beside a peer database.",
    no_args_is_help=True,
)
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


@bench_app.command("ingest")
def ingest(
    json_out: Annotated[
        bool, typer.Option("--json", help="print one JSON object instead of a table")
    ] = False,
    transport: Annotated[str, typer.Option(help="mqtt (a private Mosquitto), http or inproc")] = "mqtt",
    fmt: Annotated[str, typer.Option("--format", help="payload format: binary or json")] = "binary",
    workload: Annotated[
        str,
        typer.Option(
            help="standard (readings on each sensor's period, values on its resolution) or jittered"
            " (device-clock jitter, irregular gaps, gauges as real floats)"
        ),
    ] = "standard",
    readings: Annotated[float, typer.Option(help="readings to send (e.g. 10e6)", min=1000)] = 10e6,
    peer: Annotated[
        str | None, typer.Option(help="load the same readings into a peer too: victoriametrics")
    ] = None,
    seed: Annotated[int, typer.Option(help="workload seed")] = 1,
    window_s: Annotated[
        float, typer.Option(help="factory seconds a device batches into one message", min=0.001)
    ] = 60.0,
    max_per_message: Annotated[int, typer.Option(help="readings per message at most", min=1)] = 1000,
    messages_per_request: Annotated[int, typer.Option(help="messages per HTTP request", min=1)] = 100,
    http_concurrency: Annotated[int, typer.Option(help="HTTP requests in flight", min=1)] = 4,
    rate: Annotated[
        float, typer.Option(help="pace the publisher to this many readings/s (0: flat out)", min=0)
    ] = 0.0,
    store: Annotated[
        str | None,
        typer.Option(
            help="postgresql://user@host:port/database: ingest into a fresh schema there (dropped"
            " afterwards) instead of the embedded DuckDB store"
        ),
    ] = None,
) -> None:
    """Publisher -> (Mosquitto | HTTP) -> the platform as `serve` runs it -> durable commit, with its
    store maintenance running; then the final compaction, a per-sensor check and a peer.

    Reports readings/s, bytes per reading on disk after compaction, latency from sent to committed
    (p50/p99), the ingest process's peak RSS, CPU seconds per million readings (ingest, maintenance,
    final compaction), and with --peer the same for the peer. --transport inproc with --peer is
    refused: not like for like.
    """
    from seamline.bench.errors import BenchError  # noqa: PLC0415  # keep `--help` instant
    from seamline.bench.ingest import PEERS, TRANSPORTS, IngestBenchOptions, run_ingest_bench  # noqa: PLC0415
    from seamline.bench.workload import WORKLOAD_KINDS  # noqa: PLC0415
    from seamline.errors import SeamlineError  # noqa: PLC0415
    from seamline.model.loader import load_factory  # noqa: PLC0415
    from seamline.store.select import POSTGRES_SCHEMES  # noqa: PLC0415

    if transport not in TRANSPORTS:
        raise typer.BadParameter(f"use one of {', '.join(TRANSPORTS)}", param_hint="--transport")
    if fmt not in ("binary", "json"):
        raise typer.BadParameter("use binary or json", param_hint="--format")
    if workload not in WORKLOAD_KINDS:
        raise typer.BadParameter(f"use one of {', '.join(WORKLOAD_KINDS)}", param_hint="--workload")
    if peer is not None and peer not in PEERS:
        raise typer.BadParameter(f"use one of {', '.join(PEERS)}", param_hint="--peer")
    if store is not None and not store.startswith(POSTGRES_SCHEMES):
        raise typer.BadParameter("a postgresql:// URL, or leave it out for DuckDB", param_hint="--store")
    options = IngestBenchOptions(
        transport=transport,  # type: ignore[arg-type]  # checked above
        format=fmt,  # type: ignore[arg-type]  # checked above
        readings=int(readings),
        peer=peer,
        seed=seed,
        window_s=window_s,
        max_readings_per_message=max_per_message,
        messages_per_request=messages_per_request,
        http_concurrency=http_concurrency,
        rate=rate,
        store=store,
        workload=workload,  # type: ignore[arg-type]  # checked above
    )
    try:
        result = run_ingest_bench(
            load_factory(), options, progress=lambda s: _err.print(f"[dim]bench:[/dim] {s}")
        )
    except (BenchError, SeamlineError) as exc:
        _err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    if json_out:
        typer.echo(orjson.dumps(result).decode())  # not through rich: no markup or emoji codes
    else:
        _out.print(_table(result))


def _table(r: dict[str, Any]) -> Table:
    peer = r["peer"]
    table = Table(
        title=f"seamline bench ingest: {r['readings']:,} readings ({r['workload_kind']}),"
        f" {r['format']} over {r['transport']}"
        f" ({r['host']['busy_cores']:.2f} of {r['host']['cores']} cores busy, all processes)"
    )
    table.add_column("figure")
    table.add_column("Seamline", justify="right")
    if peer:
        table.add_column(str(peer["name"]), justify="right")
        table.add_column("ratio", justify="right")
    ratios = r["ratios"] or {}
    rows = [
        ("readings/s", "readings_per_s", "{:,.0f}"),
        ("bytes/reading on disk", "bytes_per_reading", "{:.3f}"),
        ("latency p50 (ms)", "latency_p50_ms", "{:,.1f}"),
        ("latency p99 (ms)", "latency_p99_ms", "{:,.1f}"),
        ("peak RSS (MiB)", "peak_rss_mb", "{:,.0f}"),
    ]
    for label, key, form in rows:
        cells = [label, _fmt(r.get(key), form)]
        if peer:
            cells += [_fmt(peer.get(key), form), _fmt(ratios.get(key), "{:.2f}")]
        table.add_row(*cells)
    maintained = _fmt(r.get("readings_per_s_maintained"), "{:,.0f}")
    if peer:  # the peer compresses as it ingests: its flushed rate is its rate until compacted
        flushed = _fmt(peer.get("readings_per_s"), "{:,.0f}")
        ratio = _fmt(ratios.get("readings_per_s_maintained"), "{:.2f}")
        table.add_row("readings/s until compacted", maintained, flushed, ratio)
        durable = _fmt(peer.get("readings_per_s_durable"), "{:,.0f}")
        table.add_row("readings/s until on disk", "(committed)", durable, "")
    else:
        table.add_row("readings/s until compacted", maintained)
    for part in ("ingest", "maintenance", "final_compaction", "total"):
        cells = [
            f"CPU s per M readings: {part.replace('_', ' ')}",
            _fmt(r["cpu_s_per_million"][part], "{:.3f}"),
        ]
        if peer:
            theirs = peer["cpu_s_per_million"][part]
            cells += [
                _fmt(theirs, "{:.3f}"),
                _fmt(r["cpu_s_per_million"][part] / theirs if theirs else None, "{:.2f}"),
            ]
        table.add_row(*cells)
    final_rss = _fmt(r.get("peak_rss_mb_final_compaction"), "{:,.0f}")
    table.add_row(
        "peak RSS, final compaction (MiB)",
        final_rss,
        *([_fmt(peer.get("peak_rss_mb_with_merge"), "{:,.0f}"), ""] if peer else []),
    )
    table.add_row("lost / duplicated", f"{r['lost']} / {r['duplicated']}", *(["", ""] if peer else []))
    return table


def _fmt(value: object, form: str) -> str:
    return "-" if value is None else form.format(value)


bench_app.command("query")(query)
bench_app.command("kpi")(kpi)
bench_app.command("web")(web)
bench_app.command("brain")(brain)
bench_app.command("plan")(plan)
bench_app.command("solve")(solve_bench)
