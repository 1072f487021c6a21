"""Helpers of the Sparkplug tests: a host with its store and ingestor, edge nodes, waiting."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from edge import MetricSpec, SparkplugEdgeNode
from paho.mqtt.enums import CallbackAPIVersion

from seamline.ingest import Ingestor
from seamline.ingest.mqtt import parse_mqtt_url
from seamline.ingest.sparkplug import DataType, SparkplugIngest
from seamline.model.factory import Factory
from seamline.store import DuckDBStore
from seamline.web import create_app

# The metrics a sewing-machine controller behind a gateway announces (all channels of type snls).
SNLS_METRICS = (
    MetricSpec("motor_speed_spm", DataType.FLOAT, 0.0),
    MetricSpec("stitch_count", DataType.UINT32, 1000),
    MetricSpec("motor_torque_pct", DataType.INT16, 0),
    MetricSpec("runtime_state", DataType.STRING, "idle"),
    MetricSpec("operator_present", DataType.BOOLEAN, False),
    MetricSpec("energy_wh", DataType.DOUBLE, 12.5),
    MetricSpec("Properties/FW", DataType.STRING, "4.2.1"),  # Sparkplug's own: never a reading
)


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout_s} s waiting for {what}")
        time.sleep(0.01)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Plant:
    """A running host on its own group, with the store behind it."""

    url: str
    factory: Factory
    store: DuckDBStore
    ingestor: Ingestor
    host: SparkplugIngest

    @property
    def group_id(self) -> str:
        return self.host.group_id

    def edge(
        self,
        edge_node_id: str = "gw-L01",
        devices: Mapping[str, Any] | None = None,
        *,
        primary: bool = True,
        **kwargs: Any,
    ) -> SparkplugEdgeNode:
        return SparkplugEdgeNode(
            self.url,
            self.group_id,
            edge_node_id,
            devices={"L01-S03": SNLS_METRICS} if devices is None else devices,
            primary_host_id=self.host.host_id if primary else None,
            **kwargs,
        )

    def stat(self, name: str) -> int:
        return int(self.host.stats()[name])

    def committed(self) -> None:
        """Everything the host handed to ingest so far is in the store."""
        assert self.ingestor.flush(10)

    def history(self, device_id: str, channel: str) -> list[tuple[int, float]]:
        self.committed()
        sensor = self.factory.devices_by_id[device_id].sensor_id(channel)
        s = self.store.history(sensor, 0, 2**62)
        return list(zip(s.ts_ms.tolist(), s.values.tolist(), strict=True))

    def api(self, url: str, **params: Any) -> Any:
        """The answer of the platform's HTTP API over this plant's store and ingestor."""
        self.committed()
        app = create_app(self.factory, self.store, self.ingestor)

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
                return await client.get(url, params=params)

        r = asyncio.run(go())
        assert r.status_code == 200, r.text
        return r.json()

    def events(self, device_id: str) -> list[dict[str, Any]]:
        """Stored events of a device, oldest first, as ``{"type", "ts", **data}``."""
        self.committed()
        evs = self.store.events(device_ids=[device_id])
        return [{"type": e.type, "ts": e.ts_ms, **e.data} for e in reversed(evs)]


@contextmanager
def plant(url: str, factory: Factory, tmp_path: Path, **host_kwargs: Any) -> Iterator[Plant]:
    """A store, an ingestor and a Sparkplug host on a group of its own, the host online."""
    host_kwargs.setdefault("group_id", unique("spbtest"))
    host_kwargs.setdefault("host_id", unique("seamline-test"))
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, flush_interval_s=0.02) as ingestor,
    ):
        host = SparkplugIngest(url, ingestor, backoff_initial_s=0.2, **host_kwargs)
        host.start()
        try:
            if not host.wait_online(10):
                pytest.fail(f"the Sparkplug host did not come online on {url} within 10 s")
            yield Plant(url, factory, store, ingestor, host)
        finally:
            host.stop()
            clear_retained(url, host.state_topic)


def clear_retained(url: str, topic: str) -> None:
    """Remove the retained message on ``topic`` so test hosts leave nothing on the broker."""
    broker = parse_mqtt_url(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique("spb-cleanup"))
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
