"""The OPC UA connector: PLC-driven machines' servers, subscribed, feeding the Ingestor.

One :class:`~seamline.ingest.opcua.link.ServerLink` per server holds a subscription and
reconnects when it is lost; a flush task turns what they gathered into one wire-format message
per device (docs/telemetry.md) about once per publishing interval and hands them to
:meth:`Ingestor.submit_messages` (transport ``opcua``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Self

from seamline.ingest.opcua.batching import DeviceBatcher
from seamline.ingest.opcua.config import OpcUaConfig
from seamline.ingest.opcua.link import LinkOptions, ServerLink, ServerStats, quiet_asyncua_teardown
from seamline.ingest.pipeline import Ingestor, IngestorStoppedError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OpcUaStats:
    """The connector's counters: totals over its servers, then each server's own."""

    boot: int | None
    servers_total: int
    connected_servers: int
    notifications: int
    readings: int  # readings handed to ingest
    messages: int  # messages handed to ingest
    messages_rejected: int  # by ingest (see its stats for the reasons)
    readings_dropped: int  # gathered while ingest was stopped
    pending_readings: int
    reconnects: int
    bad_nodes: int  # nodes refused now, over all servers
    bad_status: int  # notifications skipped for a Bad status code
    servers: tuple[ServerStats, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class OpcUaConnector:
    """Subscribes to every configured OPC UA server for as long as it is entered.

    ``boot`` (the start time in ms) is the ``boot`` of every message it sends, so a restart never
    collides with an earlier run's sequence numbers. Use it as an async context manager::

        async with OpcUaConnector(config, ingestor) as connector:
            await connector.wait()  # runs until cancelled

    Leaving it stops the links, closes their sessions and hands what was gathered to ingest.
    """

    def __init__(
        self,
        config: OpcUaConfig,
        ingestor: Ingestor,
        *,
        options: LinkOptions | None = None,
        flush_interval_s: float | None = None,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.config = config
        self.ingestor = ingestor
        self.options = options or LinkOptions()
        shortest_s = min(s.publishing_interval_ms for s in config.servers) / 1000
        self.flush_interval_s = flush_interval_s or min(max(shortest_s, 0.05), 5.0)
        self._clock_ms = clock_ms or _now_ms
        self.boot: int | None = None
        self._batcher: DeviceBatcher | None = None
        self._links: list[ServerLink] = []
        self._task: asyncio.Task[None] | None = None
        self._messages = 0
        self._readings = 0
        self._rejected = 0
        self._dropped = 0
        self._told_stopped = False

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._task is not None:
            raise RuntimeError("this OpcUaConnector is already running")
        self.boot = self._clock_ms()
        quiet_asyncua_teardown()
        batcher = self._batcher = DeviceBatcher(self.boot)
        named = self.config.named_channels()
        newest_ts = await self._stored_newest()
        self._links = [
            ServerLink(
                s,
                self.ingestor.factory,
                batcher,
                self.options,
                named_channels=named,
                newest_ts=newest_ts,
                clock_ms=self._clock_ms,
            )
            for s in self.config.servers
        ]
        self._task = asyncio.create_task(self._run(), name="opcua-connector")
        log.info("OPC UA connector started for %d servers (boot %d)", len(self._links), self.boot)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        task, self._task = self._task, None
        failure: BaseException | None = None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])  # a cancellation of our own still reaches us here
            if not task.cancelled():
                failure = task.exception()  # a bug in a flush; raised below unless one is on its way
        await self._flush()  # what the links gathered before they stopped
        log.info("OPC UA connector stopped")
        if failure is not None and exc is None:
            raise failure

    async def _stored_newest(self) -> dict[tuple[str, int], int]:
        """The time of the newest stored reading of every sensor the servers may feed.

        A new subscription starts with each node's current value; when the store already holds
        a reading that new (a restarted connector, an unchanged value), it is not stored again.
        """
        factory = self.ingestor.factory
        sensors: dict[int, tuple[str, int]] = {}
        for server in self.config.servers:
            for n in server.nodes:
                device = factory.devices_by_id[n.device_id]
                sensors[device.sensor_base + n.channel_index] = (device.id, n.channel_index)
            for f in server.devices:
                device = factory.devices_by_id[f.device_id]
                index = device.machine_type.channel_index
                for i in [index[c] for c in f.channels] if f.channels is not None else range(len(index)):
                    sensors[device.sensor_base + i] = (device.id, i)
        latest = await asyncio.to_thread(self.ingestor.store.latest, sorted(sensors))
        return {sensors[v.sensor_id]: v.ts_ms for v in latest}

    async def wait(self) -> None:
        """Run until cancelled; raises what stopped the connector if it failed on its own."""
        if self._task is None:
            raise RuntimeError("enter the OpcUaConnector (async with) before waiting on it")
        await asyncio.shield(self._task)

    async def wait_connected(self, timeout_s: float) -> bool:
        """True once every server is subscribed; False if ``timeout_s`` ran out first."""
        deadline = time.monotonic() + timeout_s
        while not (self._links and all(link.connected for link in self._links)):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def _run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            for link in self._links:
                tg.create_task(link.run(), name=f"opcua-server:{link.name}")
            tg.create_task(self._flush_every(self.flush_interval_s), name="opcua-flush")

    # -- handing readings to ingest --------------------------------------------------------------

    async def _flush_every(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self._flush()

    async def _flush(self) -> None:
        batcher = self._batcher
        if batcher is None or not batcher.pending_readings:
            return
        n_readings = batcher.pending_readings
        messages = batcher.drain(self._clock_ms())
        try:
            # submit_messages decodes here and blocks while ingest's queue is full (backpressure):
            # in a worker thread, so the links keep answering their servers meanwhile.
            queued = await asyncio.to_thread(self.ingestor.submit_messages, messages, transport="opcua")
        except IngestorStoppedError:
            self._dropped += n_readings
            if not self._told_stopped:
                self._told_stopped = True
                log.warning("ingest is stopped; OPC UA readings are dropped until it runs again")
            return
        self._told_stopped = False
        self._messages += len(messages)
        self._readings += n_readings
        self._rejected += len(messages) - queued

    # -- observing -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def ensure_running(self) -> bool:
        """For the platform's watchdog: the links reconnect by themselves, and a connector whose task
        ended is shown unhealthy in readiness (an asyncio task is not restarted from another thread)."""
        return False

    def health(self) -> dict[str, Any]:
        """For readiness checks: healthy while the connector runs and every server is subscribed.

        ``servers`` holds each server's ``connected`` (a session), ``subscribed``, ``reconnects``
        and ``last_error``. A server that is down makes the connector unhealthy until it is
        subscribed again, which the link tries every 2 s at most (:class:`LinkOptions`).
        """
        servers = [link.health() for link in self._links]
        running = self.running
        return {
            "healthy": running and bool(servers) and all(s["subscribed"] for s in servers),
            "running": running,
            "servers_total": len(self.config.servers),
            "subscribed_servers": sum(bool(s["subscribed"]) for s in servers),
            "servers": servers,
        }

    def stats(self) -> OpcUaStats:
        servers = tuple(link.stats() for link in self._links)
        return OpcUaStats(
            boot=self.boot,
            servers_total=len(self.config.servers),
            connected_servers=sum(s.connected for s in servers),
            notifications=sum(s.notifications for s in servers),
            readings=self._readings,
            messages=self._messages,
            messages_rejected=self._rejected,
            readings_dropped=self._dropped,
            pending_readings=self._batcher.pending_readings if self._batcher else 0,
            reconnects=sum(s.reconnects for s in servers),
            bad_nodes=sum(len(s.bad_nodes) for s in servers),
            bad_status=sum(sum(s.bad_status.values()) for s in servers),
            servers=servers,
        )


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
