"""``seamline bench kpi``: how fast production records and KPIs follow the floor, and how they scale.

1. **Live.** The reference factory's twin runs flat out (as `seamline demo` does at its highest
   speed), or paced at ``speed`` times real time, into a :class:`~seamline.platform.Platform` with
   its defaults, for ``minutes`` of factory time. Every event the production engine applies is
   timed from the moment ingest received its message to the moment the KPIs include it (the
   engine's ``lags_s``): p50, p99, max.
2. **Back-fill.** The events stored by that run are repeated to cover ``days`` of factory time
   (each copy shifted in time, its bundles renamed so that each copy is new work), and applied to a
   new ledger, as a restart or an import does: events per second and seconds in all.
3. **KPI answers on that history.** Each KPI the API serves is computed on the back-filled ledger,
   for the last day and for the whole span: p50 and p95 over ``runs``.
4. **The ledger saved and taken up.** The back-filled ledger saved as the engine saves it in the
   store (:mod:`seamline.production.saved`; the seconds it holds the ledger still, and the bytes)
   and read back as a start takes it up: what a restart costs instead of the back-fill.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import numpy as np
import orjson
import typer

if TYPE_CHECKING:
    from seamline.store import StateChanges

GOALS: Final = {"event_to_kpi_p99_s": 1.0, "backfill_30_days_s": 60.0, "kpi_p95_ms": 50.0}
DAY_MS: Final = 86_400_000


def kpi(
    minutes: Annotated[float, typer.Option(help="factory minutes of the live run", min=1)] = 20.0,
    days: Annotated[
        float, typer.Option(help="days of history to back-fill from the live run's events", min=0.01)
    ] = 30.0,
    runs: Annotated[int, typer.Option(help="timed runs of each KPI answer", min=1)] = 20,
    speed: Annotated[
        float, typer.Option(help="pace the live run at this many times real time (0: flat out)", min=0)
    ] = 0.0,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Event -> KPI latency while the twin runs flat out; back-filling days of events; KPI answers."""
    result = run_kpi_bench(
        minutes, days, runs, speed=speed, progress=lambda s: typer.echo(f"bench: {s}", err=True)
    )
    if json_out:
        typer.echo(orjson.dumps(result).decode())
        return
    live, back = result["live"], result["backfill"]
    typer.echo(
        f"live: {live['events']:,} events in {live['factory_minutes']:g} factory minutes; received -> in the"
        f" KPIs p50 {live['lag_p50_s'] * 1000:,.0f} ms, p99 {live['lag_p99_s'] * 1000:,.0f} ms,"
        f" max {live['lag_max_s'] * 1000:,.0f} ms"
    )
    typer.echo(
        f"back-fill: {back['events']:,} events ({back['days']:g} days) in {back['seconds']:,.1f} s,"
        f" {back['events_per_s']:,.0f} events/s; {back['records']:,} records"
    )
    kept = result["saved"]
    typer.echo(
        f"saved ledger: {kept['bytes'] / 1e6:,.1f} MB, saved in {kept['save_s']:,.1f} s"
        f" ({kept['save_cpu_s']:,.1f} s CPU; the ledger held still), taken up in {kept['load_s']:,.1f} s"
        f" ({kept['load_cpu_s']:,.1f} s CPU; a restart, instead of the back-fill: {back['cpu_s']:,.1f} s CPU)"
    )
    for name, q in result["kpis"].items():
        typer.echo(f"  {name:34s} p50 {q['p50_ms']:8.2f} ms  p95 {q['p95_ms']:8.2f} ms")
    typer.echo(f"goals: {result['goals']}")


def run_kpi_bench(
    minutes: float,
    days: float,
    runs: int,
    *,
    speed: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    from seamline.model.loader import load_factory  # noqa: PLC0415  # keep `--help` instant

    factory = load_factory()
    with tempfile.TemporaryDirectory(prefix="seamline-bench-kpi-") as tmp:
        live, events, states = _live(factory, Path(tmp), minutes, speed, progress)
    back, ledger = _backfill(factory, events, states, minutes, days, progress)
    kpis = _answers(ledger, runs)
    kept = _saved(factory, ledger, progress)
    worst = max(q["p95_ms"] for q in kpis.values())
    thirty = back["seconds"] * 30.0 / days
    return {
        "live": live,
        "backfill": back,
        "kpis": kpis,
        "saved": kept,
        "goals": {
            "event_to_kpi_p99_s": {"goal": GOALS["event_to_kpi_p99_s"], "measured": live["lag_p99_s"]},
            "backfill_30_days_s": {"goal": GOALS["backfill_30_days_s"], "measured": round(thirty, 1)},
            "kpi_p95_ms": {"goal": GOALS["kpi_p95_ms"], "measured": worst},
        },
    }


def _live(
    factory: Any, data_dir: Path, minutes: float, speed: float, progress: Callable[[str], None] | None
) -> tuple[dict[str, Any], list[tuple[str, int, str, dict[str, Any]]], StateChanges]:
    from seamline.platform import Platform  # noqa: PLC0415
    from seamline.production.engine import TYPES  # noqa: PLC0415
    from seamline.run import SimOptions, new_simulation  # noqa: PLC0415
    from seamline.settings import Settings  # noqa: PLC0415

    seconds = minutes * 60.0
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=seconds + 60)
    sim = new_simulation(factory, SimOptions(speed=1e9), start, demo=True)
    t0 = time.perf_counter()
    with Platform(Settings.model_validate({"data_dir": data_dir, "mqtt_url": None}), factory) as platform:
        step = 5.0 if not speed else 1.0
        while sim.now_s < seconds:
            if speed:  # as `seamline demo --speed S` feeds the platform: never ahead of the paced clock
                ahead = sim.now_s / speed - (time.perf_counter() - t0)
                if ahead > 0:
                    time.sleep(ahead)
            platform.ingestor.submit_messages(sim.advance(min(seconds, sim.now_s + step), numpy_columns=True))
            if progress and int(sim.now_s) % 300 == 0:
                progress(f"live: {sim.now_s / 60:.0f} of {minutes:g} factory minutes")
        platform.ingestor.flush()
        platform.production.drain(60.0)
        lags = np.asarray(platform.production.lags_s, np.float64)
        wall = time.perf_counter() - t0
        stored = platform.store.events(types=[t for t in TYPES if t != "state"], limit=50_000_000)
        states = platform.store.state_changes()
    events = [(e.device_id, e.ts_ms, e.type, e.data) for e in reversed(stored)]
    return (
        {
            "factory_minutes": minutes,
            "paced_speed": speed or None,
            "wall_s": round(wall, 1),
            "speed": round(seconds / wall, 1),
            "events": len(lags),
            "lag_p50_s": round(float(np.percentile(lags, 50)), 4) if len(lags) else None,
            "lag_p99_s": round(float(np.percentile(lags, 99)), 4) if len(lags) else None,
            "lag_max_s": round(float(lags.max()), 4) if len(lags) else None,
        },
        events,
        states,
    )


def _backfill(
    factory: Any,
    events: list[tuple[str, int, str, dict[str, Any]]],
    states: StateChanges,
    minutes: float,
    days: float,
    progress: Callable[[str], None] | None,
) -> tuple[dict[str, Any], Any]:
    """The live run's events repeated to cover ``days``, applied as a restart applies what is
    stored (:func:`~seamline.production.engine.replay_stored`): machine states as columns, the
    other events one by one."""
    from seamline.production.ledger import BundleRef, ProductionLedger, catalogue  # noqa: PLC0415
    from seamline.store import StateChanges  # noqa: PLC0415

    span_ms = int(minutes * 60_000)
    copies = max(1, round(days * DAY_MS / span_ms))
    base = catalogue(factory)
    # each copy's own tickets, for the bundles its scans name (a month of the factory's real work)
    scanned = {d["bundle"] for _, _, kind, d in events if kind in ("scan", "inspection") and "bundle" in d}
    used = sorted(scanned & base.keys())
    bundles = {f"{b}~{k}": BundleRef(base[b].bundle, base[b].order) for k in range(copies) for b in used}
    ledger = ProductionLedger(factory, bundles={**base, **bundles})
    shifts = np.repeat(np.arange(copies, dtype=np.int64) * span_ms, len(states))
    ts = np.tile(states.ts_ms, copies) + shifts
    order = np.argsort(ts, kind="stable")  # a copy's last states may overlap the next copy's first
    all_states = StateChanges(
        states.devices,
        states.states,
        np.tile(states.device, copies)[order],
        np.tile(states.state, copies)[order],
        ts[order],
    )
    del shifts, ts, order

    def stored() -> Iterator[tuple[str, int, str, dict[str, Any]]]:
        for k in range(copies):
            shift = k * span_ms
            for device, ts, kind, data in events:
                if kind in ("scan", "inspection") and "bundle" in data:
                    yield device, ts + shift, kind, {**data, "bundle": f"{data['bundle']}~{k}"}
                else:
                    yield device, ts + shift, kind, data
            if progress and k % max(1, copies // 10) == 0:
                progress(f"back-fill: copy {k + 1} of {copies}")

    t0, c0 = time.perf_counter(), time.process_time()
    n = ledger.replay(stored(), all_states)
    seconds, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    return (
        {
            "days": round(copies * span_ms / DAY_MS, 2),
            "copies": copies,
            "events": n,
            "state_events": len(all_states),
            "seconds": round(seconds, 2),
            "cpu_s": round(cpu_s, 2),
            "events_per_s": round(n / seconds) if seconds else None,
            "records": len(ledger.records),
            "open_exceptions": sum(1 for x in ledger.exceptions if x.status == "open"),
        },
        ledger,
    )


def _saved(factory: Any, ledger: Any, progress: Callable[[str], None] | None) -> dict[str, Any]:
    """Save the ledger as the engine does, and take it up as a start does: seconds and bytes."""
    from seamline.production import saved  # noqa: PLC0415

    if progress:
        progress("saving the back-filled ledger and reading it back")
    threshold = ledger.machines.threshold_ms / 1000.0
    t0, c0 = time.perf_counter(), time.process_time()
    data = saved.dump(ledger, factory, downtime_threshold_s=threshold)
    t1, c1 = time.perf_counter(), time.process_time()
    again = saved.load(data, factory, downtime_threshold_s=threshold)
    t2, c2 = time.perf_counter(), time.process_time()
    if len(again.records) != len(ledger.records):
        raise AssertionError("the saved ledger read back holds other records")
    return {
        "bytes": len(data),
        "save_s": round(t1 - t0, 2),
        "load_s": round(t2 - t1, 2),
        "save_cpu_s": round(c1 - c0, 2),  # CPU seconds: what a busy machine's wall seconds hide
        "load_cpu_s": round(c2 - c1, 2),
    }


def _answers(ledger: Any, runs: int) -> dict[str, dict[str, float]]:
    from seamline.production import kpi as k  # noqa: PLC0415
    from seamline.production.downtime import reason_pareto, reliability  # noqa: PLC0415

    end = ledger.machines.newest_ms + 1
    first = min((r.ts_ms for r in ledger.records[:1]), default=end - DAY_MS)
    spans = {"day": (end - DAY_MS, end), "all": (first, end)}
    line = next(iter(ledger.factory.lines_by_id))
    calls: dict[str, Callable[[], object]] = {}
    for label, (a, b) in spans.items():
        calls[f"kpi by line ({label})"] = partial(k.totals, ledger, a, b, by=("line",))
        calls[f"kpi by operator of a line ({label})"] = partial(
            k.totals, ledger, a, b, by=("operator",), where={"line": line}
        )
        calls[f"line output by hour ({label})"] = partial(
            k.totals, ledger, a, b, by=("hour",), where={"line": line}
        )
        calls[f"quality by line and kind ({label})"] = partial(
            k.quality_totals, ledger, a, b, by=("line", "kind")
        )
        calls[f"defect pareto ({label})"] = partial(k.defect_pareto, ledger, a, b)
        calls[f"downtime pareto ({label})"] = partial(reason_pareto, ledger.machines, a, b)
        calls[f"machines: MTBF, MTTR ({label})"] = partial(reliability, ledger.machines, a, b)
    calls["wip of a line"] = partial(ledger.wip, line)
    out: dict[str, dict[str, float]] = {}
    for name, call in calls.items():
        call()
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            call()
            times.append((time.perf_counter() - t) * 1000)
        a = np.asarray(times)
        out[name] = {
            "p50_ms": round(float(np.percentile(a, 50)), 2),
            "p95_ms": round(float(np.percentile(a, 95)), 2),
        }
    return out


__all__ = ["kpi", "run_kpi_bench"]
