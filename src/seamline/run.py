"""Run the platform as a service, optionally with the simulated factory feeding it in process."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from seamline.auth import Auth
from seamline.errors import SeamlineError
from seamline.ingest.opcua import OpcUaConfig, OpcUaConnector
from seamline.model.factory import Factory
from seamline.platform import Platform
from seamline.production import kpi
from seamline.production.ledger import ProductionLedger
from seamline.settings import Settings
from seamline.sim import FloorSimulation, SimConfig
from seamline.timeutil import now_ms
from seamline.web import create_app

log = logging.getLogger(__name__)


class ServiceFailedError(SeamlineError):
    """A background thread kept dying; the service stopped (exit code 70)."""

    exit_code = 70

    def __init__(self, why: str) -> None:
        super().__init__(f"the service stopped: {why}; see the log above", reason="thread_died")


# Each start of the demo is a new "boot" of the simulated fleet: sequence numbers restart, so the
# boot number moves on and nothing of an earlier run is mistaken for a duplicate.
_BOOT_STRIDE = 1000


@dataclass(frozen=True, slots=True)
class SimOptions:
    seed: int = 0
    speed: float = 1.0
    tick_s: float = 1.0


def next_boot_epoch(data_dir: Path) -> int:
    """Count the demo runs on this data directory (kept in ``<data-dir>/sim-runs``)."""
    marker = data_dir / "sim-runs"
    runs = int(marker.read_text().strip() or 0) if marker.exists() else 0
    marker.write_text(f"{runs + 1}\n")
    return runs


def simulation_start(speed: float, duration_s: float | None, shift_minutes: int) -> dt.datetime:
    """Where the simulated clock starts so that it never runs ahead of the wall clock.

    At ``speed`` > 1 the demo replays the recent past fast (the whole ``duration_s``, or one shift
    when it runs until stopped) and then goes on live; device clocks never read the future.
    """
    span_s = (duration_s if duration_s is not None else shift_minutes * 60 / max(speed, 1.0)) * max(
        speed - 1.0, 0.0
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return now - dt.timedelta(seconds=span_s)


def new_simulation(factory: Factory, opts: SimOptions, start: dt.datetime, *, demo: bool) -> FloorSimulation:
    """The floor twin, at work whatever the hour at the factory.

    The demo's twin runs on the demo calendar (``SimConfig.demo_calendar``): ``start`` falls in
    the middle of a shift, operators at their seats and lines full from the first second, and shifts
    follow each other around the clock, so neither the end of a fast replay nor a demo left running
    for a day shows a dark floor. The device fleet (``seamline simulate``) starts its first shift at
    ``start`` (operators badge in over its first minutes) and its next ones a day later.
    """
    config = SimConfig(demo_calendar=True) if demo else SimConfig(shift_from_start=True)
    return FloorSimulation(factory, seed=opts.seed, start=start, config=config)


async def drive_simulation(
    sim: FloorSimulation,
    submit: Callable[[list[dict[str, Any]]], object],
    opts: SimOptions,
    boot_base: int,
    *,
    numpy_columns: bool = False,
    hold: Callable[[], bool] | None = None,
    paused: Callable[[], None] | None = None,
) -> None:
    """Advance ``sim`` at ``opts.speed`` and submit what its devices send.

    While ``hold()`` is true (the store's maintenance is far behind a fast replay) the simulated
    clock waits, so a replay never outruns the store's upkeep: the pause is lost replay time, not
    lost data. ``paused()`` is called meanwhile: the devices are held back, not silent.
    """
    start_ms = int(sim.now.timestamp() * 1000) - int(sim.now_s * 1000)
    wall0 = time.monotonic()
    held_s = 0.0
    max_step_s = 10.0 * opts.tick_s
    while True:
        if hold is not None and hold():
            if paused is not None:
                paused()
            await asyncio.sleep(opts.tick_s / 4)
            held_s += opts.tick_s / 4
            continue
        by_speed = (time.monotonic() - wall0 - held_s) * opts.speed
        by_clock = (now_ms() - start_ms) / 1000
        target = min(by_speed, by_clock)
        if target - sim.now_s >= opts.tick_s:
            messages = sim.advance(min(target, sim.now_s + max_step_s), numpy_columns=numpy_columns)
            if boot_base:
                for m in messages:
                    m["boot"] = m.get("boot", 0) + boot_base
            submit(messages)
            await asyncio.sleep(0)
        else:  # asleep until the next tick is due by both clocks: its messages leave on time
            due = sim.now_s + opts.tick_s
            wait_s = max((due - by_speed) / opts.speed, due - by_clock)
            await asyncio.sleep(min(max(wait_s, 0.001), opts.tick_s))


async def _report(platform: Platform, sim: FloorSimulation | None, printer: Callable[[str], None]) -> None:
    last_n, last_t = platform.store.reading_count(), time.monotonic()
    while True:
        await asyncio.sleep(10)
        n, t = platform.store.reading_count(), time.monotonic()
        stats = platform.ingestor.stats()
        rejected = stats["rejected_total"]
        upkeep = platform.maintenance.health()
        clock = f"sim {sim.now.strftime('%H:%M:%S')} UTC · " if sim is not None else ""
        printer(
            f"{clock}{n:,} readings stored · {(n - last_n) / (t - last_t):,.0f} readings/s · "
            f"{stats.get('duplicates', 0):,} duplicates · {rejected:,} rejected · "
            f"{platform.store.disk_bytes() / max(n, 1):.2f} B/reading · "
            f"maintenance lag {upkeep['lag_s']:.0f} s"
            + (" (replay waits for it)" if sim is not None and platform.maintenance.behind() else "")
            + _production_line(platform)
        )
        last_n, last_t = n, t


def _production_line(platform: Platform) -> str:
    """Garments made, factory efficiency and open exceptions so far, for the status line."""

    def figures(lg: ProductionLedger) -> tuple[int, float, float, int]:
        whole = kpi.totals(lg, 0, 2**62, by=())
        made = sum(t.output for t in whole.values())
        earned = sum(t.earned_min for t in whole.values())
        attended = sum(t.attended_min or 0.0 for t in whole.values())
        return made, earned, attended, sum(1 for x in lg.exceptions if x.status == "open")

    made, earned, attended, open_exceptions = platform.production.read(figures)
    if not made and not earned:
        return ""
    eff = f"{100.0 * earned / attended:.0f} %" if attended else "-"
    return f" · {made:,} garments · efficiency {eff} · {open_exceptions:,} open exceptions"


async def serve(
    settings: Settings,
    factory: Factory,
    auth: Auth,
    *,
    sim_opts: SimOptions | None = None,
    duration_s: float | None = None,
    opcua: OpcUaConfig | None = None,
    printer: Callable[[str], None] = print,
) -> None:
    """Run until Ctrl-C (or ``duration_s``): the API, ingest, and the simulator when asked.

    ``auth`` is required: a served platform always checks who calls it (``seamline.auth``).
    """
    if not isinstance(auth, Auth):  # the type says so; this keeps an untyped caller from serving open
        raise TypeError("serve() needs an Auth: a served platform never runs without auth")
    with Platform(settings, factory) as platform:
        async with contextlib.AsyncExitStack() as connectors:
            app = create_app(factory, platform.store, platform.ingestor, platform=platform, auth=auth)
            if opcua is not None:
                platform.opcua = app.state.opcua = await connectors.enter_async_context(
                    OpcUaConnector(opcua, platform.ingestor)
                )
            await _serve_app(app, settings, platform, sim_opts, duration_s, printer)
        printer(f"stopping: flushing, finishing store maintenance and closing {settings.store_label}")
    if platform.fatal is not None:
        raise ServiceFailedError(platform.fatal)
    printer(f"stopped cleanly; {platform.final_reading_count or 0:,} readings kept in {settings.data_dir}")


async def _serve_app(
    app: FastAPI,
    settings: Settings,
    platform: Platform,
    sim_opts: SimOptions | None,
    duration_s: float | None,
    printer: Callable[[str], None],
) -> None:
    """Serve the API (and drive the simulator) until Ctrl-C or ``duration_s``."""
    factory = platform.factory
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)

    def stop_service(reason: str) -> None:
        server.should_exit = True

    platform.on_fatal = stop_service
    tasks: list[asyncio.Task[None]] = []
    sim: FloorSimulation | None = None
    if sim_opts is not None:
        start = simulation_start(sim_opts.speed, duration_s, factory.shift_minutes)
        sim = new_simulation(factory, sim_opts, start, demo=True)
        boot_base = next_boot_epoch(settings.data_dir) * _BOOT_STRIDE
        tasks.append(
            asyncio.create_task(
                drive_simulation(
                    sim,
                    platform.ingestor.submit_messages,
                    sim_opts,
                    boot_base,
                    numpy_columns=True,
                    hold=platform.maintenance.behind,
                    paused=platform.ingestor.liveness.paused,
                ),
                name="simulation",
            )
        )
    tasks.append(asyncio.create_task(_report(platform, sim, printer), name="status"))
    if duration_s is not None:

        async def _stop_after() -> None:
            await asyncio.sleep(duration_s)
            server.should_exit = True

        tasks.append(asyncio.create_task(_stop_after(), name="duration"))
    try:
        await server.serve()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
