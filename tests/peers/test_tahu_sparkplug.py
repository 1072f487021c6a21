"""Eclipse Tahu's JavaScript ``sparkplug-client`` 3.2.4 as an Edge Node, Seamline as the Host Application.

Each test runs ``tahu_edge.js`` against the real Mosquitto on a group of its own: births with
aliases, 300 DDATA messages of eight metric types (so ``seq`` wraps past 255), each metric with its
own timestamp, then a DDEATH and the NDEATH, plain or compressed (Tahu's ``{compress: true}``:
DEFLATE, or GZIP named by the ``algorithm`` metric). Every value must be stored once, at its own
timestamp, and the Sparkplug counters and stats endpoint must say what happened.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from peer_process import NodeProcess

from seamline.ingest import Ingestor
from seamline.ingest.sparkplug import SparkplugIngest
from seamline.ingest.sparkplug import router as sparkplug_router
from seamline.model.factory import NO_SIGNAL_CODE, Factory
from seamline.store import DuckDBStore
from seamline.web.errors import install_error_handlers

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

DEVICE = "L01-S03"  # a single-needle lockstitch seat
N_DATA = 300
STATES = ("idle", "running", "fault")
# channel, Tahu type, alias, value of data message i (the birth carries i = -1)
CHANNELS: tuple[tuple[str, str, int, Any], ...] = (
    ("motor_temp_c", "Float", 1, lambda i: round(30 + (i % 100) * 0.1, 1)),  # float32: 36.6, not 36.5999...
    ("energy_wh", "Double", 2, lambda i: 12.5 + i * 0.25),
    ("stitch_count", "UInt32", 3, lambda i: 4_000_000_000 + i * 7),
    ("motor_torque_pct", "Int16", 4, lambda i: -50 + i % 100),
    ("rssi_dbm", "Int64", 5, lambda i: -60 - i % 20),
    ("operator_present", "Boolean", 6, lambda i: i % 2 == 0),
    ("runtime_state", "String", 7, lambda i: STATES[i % 3]),
    ("program_no", "UInt8", 8, lambda i: 1 + i % 50),
)
STATE_CODES = {"off": 0.0, "idle": 1.0, "running": 2.0, "fault": 3.0}


def stored_value(channel: str, value: Any) -> float:
    if channel == "runtime_state":
        return STATE_CODES[value]
    return float(value)


@contextmanager
def host_plant(
    url: str, factory: Factory, tmp_path: Path
) -> Iterator[tuple[SparkplugIngest, Ingestor, DuckDBStore]]:
    """A DuckDB store, an ingestor and Seamline's Sparkplug host on a group of its own, online."""
    group = f"tahu-{uuid.uuid4().hex[:10]}"
    with (
        DuckDBStore(tmp_path / "data").opened(factory) as store,
        Ingestor(factory, store, flush_interval_s=0.02) as ingestor,
    ):
        host = SparkplugIngest(url, ingestor, group_id=group, host_id=f"{group}-host", backoff_initial_s=0.2)
        host.start()
        try:
            if not host.wait_online(10):
                pytest.fail(f"the Sparkplug host did not come online on {url} within 10 s")
            yield host, ingestor, store
        finally:
            host.stop()
            # the host's retained STATE stays on the broker under a topic no one else uses


def scenario(
    host: SparkplugIngest, url: str, options: dict[str, Any], base_ms: int, *, data_first: bool
) -> dict[str, Any]:
    def metric(name: str, type_: str, alias: int, value: Any, ts: int, *, named: bool) -> dict[str, Any]:
        m = {"alias": alias, "type": type_, "value": value, "timestamp": ts}
        return {"name": name, **m} if named else m

    birth = [
        metric(c, t, a, f(-1) if c != "stitch_count" else 4_000_000_000, base_ms, named=True)
        for c, t, a, f in CHANNELS
    ]
    data = [
        [
            metric(c, t, a, f(i), base_ms + 1000 + 10 * i + k, named=False)
            for k, (c, t, a, f) in enumerate(CHANNELS)
        ]
        for i in range(N_DATA)
    ]
    return {
        "url": url,
        "groupId": host.group_id,
        "edgeNode": "gw-L01",
        "clientId": f"tahu-{uuid.uuid4().hex[:10]}",
        "device": DEVICE,
        "options": options,
        "nodeBirth": [{"name": "Node Control/Rebirth", "type": "Boolean", "value": False}],
        "deviceBirth": birth,
        "data": data,
        # a DDATA before any birth: dropped, and answered with a Rebirth request
        "dataBeforeBirth": [metric("energy_wh", "Double", 2, -1.0, base_ms - 5000, named=False)]
        if data_first
        else None,
    }


def history(store: DuckDBStore, factory: Factory, channel: str) -> list[tuple[int, float]]:
    s = store.history(factory.devices_by_id[DEVICE].sensor_id(channel), 0, 2**62)
    return list(zip(s.ts_ms.tolist(), s.values.tolist(), strict=True))


def stats_over_http(host: SparkplugIngest | None) -> httpx.Response:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(sparkplug_router)
    app.state.sparkplug = host

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://seamline"
        ) as http:
            return await http.get("/api/v1/ingest/sparkplug/stats")

    return asyncio.run(get())


@pytest.mark.parametrize(
    ("options", "data_first"),
    [
        pytest.param({}, False, id="plain"),
        pytest.param({"compress": True}, False, id="deflate"),
        pytest.param({"compress": True, "algorithm": "GZIP"}, True, id="gzip-data-before-birth"),
    ],
)
def test_tahu_edge_node_every_value_stored_once_at_its_own_time(
    mosquitto_url: str,
    factory: Factory,
    tmp_path: Path,
    peers: list[NodeProcess],
    options: dict[str, Any],
    data_first: bool,
) -> None:
    base_ms = time.time_ns() // 1_000_000 - 120_000
    with host_plant(mosquitto_url, factory, tmp_path) as (host, ingestor, store):
        path = tmp_path / "scenario.json"
        path.write_text(json.dumps(scenario(host, mosquitto_url, options, base_ms, data_first=data_first)))
        edge = NodeProcess("tahu_edge.js", str(path))
        peers.append(edge)
        if data_first:
            edge.expect("rebirth_requested")
        done = edge.expect("done", timeout_s=60)
        assert edge.wait() == 0, edge.tail()
        deadline = time.monotonic() + 10
        while host.stats()["node_deaths"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ingestor.flush(10)
        stats = host.stats()
        health = host.health()
        over_http = stats_over_http(host)
        stored = {c: history(store, factory, c) for c, *_ in CHANNELS}
        stored_events = list(reversed(store.events(device_ids=[DEVICE])))
        events = [(e.type, e.data.get("sparkplug")) for e in stored_events]

    assert done == {"event": "done", "rebirths": int(data_first), "data": N_DATA}
    death_ms = stored_events[-1].ts_ms  # the DDEATH's own timestamp
    for channel, _type, _alias, value in CHANNELS:
        birth = 4_000_000_000 if channel == "stitch_count" else value(-1)
        expected = [(base_ms, stored_value(channel, birth))] + [
            (base_ms + 1000 + 10 * i + k, stored_value(channel, value(i)))
            for i in range(N_DATA)
            for k in [next(k for k, c in enumerate(CHANNELS) if c[0] == channel)]
        ]
        if channel == "runtime_state":  # the death ends the machine's state: no signal
            expected.append((death_ms, float(NO_SIGNAL_CODE)))
        assert stored[channel] == expected, f"{channel}: {stored[channel][:5]} ... != {expected[:5]} ..."
    assert stored["motor_temp_c"][1 + 66] == (base_ms + 1000 + 660, 36.6)  # not 36.599998474121094
    assert events == [("heartbeat", "DBIRTH"), ("state", "DDEATH")]

    assert stats["malformed"] == 0
    assert stats["seq_gaps"] == 0
    assert stats["duplicates"] == 0
    assert stats["readings"] == len(CHANNELS) * (N_DATA + 1) + 1  # and the death's runtime_state
    assert (stats["node_births"], stats["device_births"], stats["node_deaths"], stats["device_deaths"]) == (
        1,
        1,
        1,
        1,
    )
    assert (stats["rebirth_requests"], stats["dropped_before_birth"]) == (int(data_first), int(data_first))
    (node,) = stats["nodes"]
    assert node["edge_node_id"] == "gw-L01"
    assert node["rebirth_reasons"] == ({"data_before_birth": 1} if data_first else {})
    (device,) = node["devices"]
    assert (device["device_id"], device["registry_id"], device["births"], device["deaths"]) == (
        DEVICE,
        DEVICE,
        1,
        1,
    )
    assert health["healthy"] is True
    assert (health["gaps"], health["rebirths_requested"]) == (0, int(data_first))
    assert over_http.status_code == 200
    assert over_http.json()["nodes"][0]["rebirth_requests"] == int(data_first)


def test_stats_endpoint_says_when_no_host_runs() -> None:
    resp = stats_over_http(None)
    assert resp.status_code == 404
    assert resp.json()["error"]["reason"] == "sparkplug_not_configured"
