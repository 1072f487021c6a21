"""The simulated device fleet as an outside client: publishes to a Seamline over MQTT or HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from seamline.errors import SeamlineError
from seamline.ingest import HttpPublisher, MqttPublisher
from seamline.model.factory import Factory
from seamline.run import SimOptions, drive_simulation, new_simulation, simulation_start


class BadTargetError(SeamlineError):
    reason = "bad_target"


async def run_fleet(
    factory: Factory,
    to: str,
    *,
    seed: int = 0,
    speed: float = 1.0,
    duration_s: float | None = None,
    token: str | None = None,
    printer: Callable[[str], None] = print,
) -> None:
    """Simulate the factory and publish every device message to ``to`` until stopped; over HTTP
    with ``token`` (an API token allowed to ingest) as its bearer token."""
    publisher: MqttPublisher | HttpPublisher
    if to.startswith("mqtt://"):
        publisher = MqttPublisher(to, site_id=factory.site_id)
    elif to.startswith(("http://", "https://")):
        publisher = HttpPublisher(to, token=token)
    else:
        raise BadTargetError(f"--to {to!r}: use mqtt://host:port or http://host:port")
    opts = SimOptions(seed, speed)
    start = simulation_start(speed, duration_s, factory.shift_minutes)
    sim = new_simulation(factory, opts, start, demo=False)
    sent = 0

    def publish(messages: list[dict[str, Any]]) -> None:
        nonlocal sent
        publisher.publish(messages)
        sent += len(messages)

    # Every run is a new boot of the fleet, so a receiver that kept an earlier run's sequence
    # numbers does not take this run's messages for duplicates.
    boot_base = int(time.time()) % 1_000_000 * 1000
    with publisher:
        task = asyncio.create_task(drive_simulation(sim, publish, opts, boot_base), name="fleet")
        t0 = time.monotonic()
        try:
            while duration_s is None or time.monotonic() - t0 < duration_s:
                await asyncio.sleep(min(10.0, duration_s - (time.monotonic() - t0)) if duration_s else 10.0)
                clock = sim.now.strftime("%H:%M:%S")
                printer(f"sim {clock} UTC · {sent:,} messages · {sim.readings_emitted:,} readings")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    printer(f"done: {sent:,} messages, {sim.readings_emitted:,} readings published to {to}")
