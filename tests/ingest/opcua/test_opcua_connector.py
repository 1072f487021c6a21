"""The OPC UA connector against a real asyncua server laid out like a cutter PLC, into DuckDB.

Each test starts its own in-process server on a free loopback port, the real Ingestor and a
DuckDB store in a temporary directory. Nothing is mocked; waits poll with deadlines.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest
from asyncua import Server, ua
from asyncua.common.node import Node
from fastapi import FastAPI

from seamline.ingest import Ingestor
from seamline.ingest.opcua import LinkOptions, OpcUaConnector, OpcUaStats, parse_opcua_config
from seamline.ingest.opcua import router as opcua_router
from seamline.model.factory import Factory
from seamline.store import DuckDBStore
from seamline.web.errors import install_error_handlers

NS_URI = "urn:seamline-test:cutter-plc"
DEADLINE_S = 20.0
# Quick to notice a lost server and to come back; the defaults suit a plant network.
FAST = LinkOptions(
    backoff_initial_s=0.1,
    backoff_max_s=0.5,
    connect_timeout_s=5.0,
    request_timeout_s=2.0,
    watchdog_s=0.5,
    keepalive_s=1.0,
    bad_node_retry_s=0.2,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class CutterPlc:
    """An in-process OPC UA server shaped like the cutting room's PLC.

    ``Cutting/Cutter1`` holds variables with string node ids in the PLC's own naming
    (``Cutter1.KnifeRpm``); ``Cutting/Cutter2`` holds variables named like Seamline's channels,
    for the compact (browse path) mapping, plus a serial number that is no channel at all.
    """

    def __init__(self, port: int, *, with_knife_temp: bool = True) -> None:
        self.url = f"opc.tcp://127.0.0.1:{port}/plc/"
        self.with_knife_temp = with_knife_temp
        self.server = Server()
        self.running = False
        self.ns = 0
        self.cutter1: Node | None = None
        self.vars: dict[str, Node] = {}

    async def __aenter__(self) -> CutterPlc:
        server = self.server
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name("Seamline test cutter PLC")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        server.set_force_server_timestamp(False)  # keep the timestamps the test writes
        ns = self.ns = await server.register_namespace(NS_URI)
        cutting = await server.nodes.objects.add_folder(
            ua.NodeId("Cutting", ns), ua.QualifiedName("Cutting", ns)
        )
        c1 = self.cutter1 = await cutting.add_object(
            ua.NodeId("Cutter1", ns), ua.QualifiedName("Cutter1", ns)
        )
        await self.add("Cutter1.KnifeRpm", 0.0, ua.VariantType.Double)
        await self.add("Cutter1.State", 0, ua.VariantType.Int32)
        await self.add("Cutter1.Io001", False, ua.VariantType.Boolean)
        if self.with_knife_temp:
            await self.add("Cutter1.KnifeTemp", 25.0, ua.VariantType.Double)
        c2 = await cutting.add_object(ua.NodeId("Cutter2", ns), ua.QualifiedName("Cutter2", ns))
        for name, value, vtype in (
            ("knife_rpm", 0.0, ua.VariantType.Double),
            ("knife_temp_c", 25.0, ua.VariantType.Double),
            ("serial_number", "CX-2219", ua.VariantType.String),
        ):
            self.vars[f"Cutter2.{name}"] = await c2.add_variable(
                ua.NodeId(f"Cutter2.{name}", ns), ua.QualifiedName(name, ns), ua.Variant(value, vtype)
            )
        assert c1 is not None
        await server.start()
        self.running = True
        return self

    async def add(self, name: str, value: Any, vtype: ua.VariantType) -> None:
        assert self.cutter1 is not None
        short = name.split(".", 1)[1]
        self.vars[name] = await self.cutter1.add_variable(
            ua.NodeId(name, self.ns), ua.QualifiedName(short, self.ns), ua.Variant(value, vtype)
        )

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Switch the PLC off: its sessions and subscriptions are gone."""
        if self.running:
            self.running = False
            await self.server.stop()

    async def write(
        self,
        name: str,
        value: Any,
        vtype: ua.VariantType,
        *,
        source_ms: int | None = None,
        server_ms: int | None = None,
        status: int = ua.StatusCodes.Good,
    ) -> None:
        """Write as the PLC program would: value, status and the timestamps given (ms)."""
        dv = ua.DataValue(
            ua.Variant(value, vtype),
            StatusCode=ua.StatusCode(status),
            SourceTimestamp=_utc(source_ms),
            ServerTimestamp=_utc(server_ms),
        )
        await self.vars[name].write_value(dv)


def _utc(ms: int | None) -> dt.datetime | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def config_text(plc: CutterPlc, *, extra_nodes: str = "") -> str:
    return f"""
[[servers]]
name = "cutting-plc"
url = "{plc.url}"
publishing_interval_ms = 50
nodes = [
  {{ node = "nsu={NS_URI};s=Cutter1.KnifeRpm", device = "CUT-01", channel = "knife_rpm" }},
  {{ node = "nsu={NS_URI};s=Cutter1.State", device = "CUT-01", channel = "runtime_state" }},
  {{ node = "nsu={NS_URI};s=Cutter1.Io001", device = "CUT-01", channel = "io_001" }},{extra_nodes}
]
devices = [
  {{ device = "CUT-02", browse_path = "/{plc.ns}:Cutting/{plc.ns}:Cutter2" }},
]
"""


@pytest.fixture
def store(tmp_path: Path, factory: Factory) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path).opened(factory) as s:
        yield s


def base_ms() -> int:
    """A round second a minute ago: plausible to ingest, easy to read, well before the server's
    initial values (stamped when it starts)."""
    return (time.time_ns() // 1_000_000_000 - 60) * 1000


def readings(store: DuckDBStore, factory: Factory, device: str, channel: str) -> list[tuple[int, float]]:
    series = store.history(factory.devices_by_id[device].sensor_id(channel), 0, 2**62)
    return list(zip(series.ts_ms.tolist(), series.values.tolist(), strict=True))


async def until(what: str, check: Callable[[], bool], timeout_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting until {what}")
        await asyncio.sleep(0.05)


def stats_of(connector: OpcUaConnector) -> OpcUaStats:
    return connector.stats()


async def get_stats_over_http(connector: OpcUaConnector | None) -> httpx.Response:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(opcua_router)
    app.state.opcua = connector
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://seamline") as http:
        return await http.get("/api/v1/ingest/opcua/stats")


def test_written_values_arrive_as_readings(factory: Factory, store: DuckDBStore) -> None:
    t0 = base_ms()

    async def main(ingestor: Ingestor) -> tuple[OpcUaStats, list[int], dict[str, Any]]:
        boots: list[int | None] = []
        async with CutterPlc(free_port()) as plc:
            config = parse_opcua_config(config_text(plc), factory, "opcua.toml")
            async with OpcUaConnector(config, ingestor, options=FAST) as connector:
                assert await connector.wait_connected(DEADLINE_S)
                await plc.write("Cutter1.KnifeRpm", 1500.0, ua.VariantType.Double, source_ms=t0 + 100)
                await plc.write("Cutter1.KnifeRpm", 1520.5, ua.VariantType.Double, source_ms=t0 + 200)
                await plc.write("Cutter1.State", 2, ua.VariantType.Int32, source_ms=t0 + 150)
                await plc.write("Cutter1.Io001", True, ua.VariantType.Boolean, source_ms=t0 + 160)
                # no source timestamp: the server's is the reading's time
                await plc.write("Cutter2.knife_temp_c", 61.5, ua.VariantType.Double, server_ms=t0 + 300)
                await plc.write("Cutter2.knife_rpm", 2400.0, ua.VariantType.Double, source_ms=t0 + 310)
                # a sensor failure is no reading
                await plc.write(
                    "Cutter1.KnifeRpm", 0.0, ua.VariantType.Double, source_ms=t0 + 400,
                    status=ua.StatusCodes.BadSensorFailure,
                )  # fmt: skip
                await until(
                    "the written values are stored",
                    lambda: (
                        (t0 + 310, 2400.0) in readings(store, factory, "CUT-02", "knife_rpm")
                        and (t0 + 200, 1520.5) in readings(store, factory, "CUT-01", "knife_rpm")
                        and stats_of(connector).bad_status == 1
                    ),
                )
                stats = connector.stats()
                over_http = (await get_stats_over_http(connector)).json()
                boots.append(connector.boot)
            # A second run of the connector: a new boot, so its seq 0.. are not taken for resends.
            async with OpcUaConnector(config, ingestor, options=FAST) as connector:
                assert await connector.wait_connected(DEADLINE_S)
                await plc.write("Cutter1.KnifeRpm", 1600.0, ua.VariantType.Double, source_ms=t0 + 500)
                await until(
                    "the second run's value is stored",
                    lambda: (t0 + 500, 1600.0) in readings(store, factory, "CUT-01", "knife_rpm"),
                )
                boots.append(connector.boot)
        return stats, boots, over_http

    with Ingestor(factory, store, flush_interval_s=0.05) as ingestor:
        stats, boots, over_http = asyncio.run(main(ingestor))
        assert ingestor.flush(timeout_s=30)
        ingest = ingestor.stats()

    # (the server's initial values, stamped when it started, come first: they are readings too)
    rpm = [r for r in readings(store, factory, "CUT-01", "knife_rpm") if t0 <= r[0] < t0 + 10_000]
    assert rpm == [(t0 + 100, 1500.0), (t0 + 200, 1520.5), (t0 + 500, 1600.0)]  # the Bad one skipped
    assert (t0 + 150, 2.0) in readings(store, factory, "CUT-01", "runtime_state")  # enum as its code
    assert (t0 + 160, 1.0) in readings(store, factory, "CUT-01", "io_001")  # boolean as 1
    assert (t0 + 300, 61.5) in readings(store, factory, "CUT-02", "knife_temp_c")  # server time
    assert stats.bad_status == 1
    assert stats.servers[0].bad_status == {f"nsu={NS_URI};s=Cutter1.KnifeRpm": 1}
    assert stats.servers[0].monitored_nodes == 5  # 3 named + knife_rpm, knife_temp_c by browse path
    assert stats.bad_nodes == 0
    assert (stats.connected_servers, stats.servers_total, stats.reconnects) == (1, 1, 0)
    assert stats.servers[0].timestamp_fallbacks >= 1
    assert stats.messages_rejected == 0
    assert over_http["connected_servers"] == 1
    assert over_http["servers"][0]["name"] == "cutting-plc"
    assert over_http["servers"][0]["bad_status"] == {f"nsu={NS_URI};s=Cutter1.KnifeRpm": 1}
    assert boots[0] is not None
    assert boots[1] is not None
    assert boots[1] > boots[0]
    assert ingest["rejected_total"] == 0
    assert ingest["received"]["opcua"] == ingest["messages_accepted"]  # no message taken for a resend
    for device, channel in (("CUT-02", "knife_rpm"), ("CUT-02", "knife_temp_c"), ("CUT-01", "io_001")):
        stored = readings(store, factory, device, channel)
        # the second run's subscription starts with the current values, which are stored already
        assert len({t for t, _ in stored}) == len(stored), f"{device}.{channel} stored twice: {stored}"


def test_server_restart_reconnects_and_resubscribes_without_duplicates(
    factory: Factory, store: DuckDBStore
) -> None:
    t0 = base_ms()
    port = free_port()

    async def restart(ingestor: Ingestor) -> tuple[OpcUaStats, OpcUaStats]:
        async with (
            CutterPlc(port) as plc,
            OpcUaConnector(
                parse_opcua_config(config_text(plc), factory, "opcua.toml"), ingestor, options=FAST
            ) as connector,
        ):
            assert await connector.wait_connected(DEADLINE_S)
            await plc.write("Cutter1.KnifeRpm", 1500.0, ua.VariantType.Double, source_ms=t0 + 100)
            await plc.write("Cutter2.knife_rpm", 2400.0, ua.VariantType.Double, source_ms=t0 + 100)
            await until(
                "the first server's values are stored",
                lambda: (
                    (t0 + 100, 1500.0) in readings(store, factory, "CUT-01", "knife_rpm")
                    and (t0 + 100, 2400.0) in readings(store, factory, "CUT-02", "knife_rpm")
                ),
            )
            await plc.stop()  # the PLC goes away; nothing is written while it is down
            await until("the connector notices", lambda: stats_of(connector).connected_servers == 0)
            down = connector.stats()
            async with CutterPlc(port) as plc2:  # the PLC is back, same port, same nodes
                await until("it is subscribed again", lambda: stats_of(connector).connected_servers == 1)
                await plc2.write("Cutter1.KnifeRpm", 1700.0, ua.VariantType.Double, source_ms=t0 + 900)
                await plc2.write("Cutter2.knife_rpm", 2600.0, ua.VariantType.Double, source_ms=t0 + 900)
                await until(
                    "the new server's values are stored",
                    lambda: (
                        (t0 + 900, 1700.0) in readings(store, factory, "CUT-01", "knife_rpm")
                        and (t0 + 900, 2600.0) in readings(store, factory, "CUT-02", "knife_rpm")
                    ),
                )
                up = connector.stats()
        return down, up

    with Ingestor(factory, store, flush_interval_s=0.05) as ingestor:
        down, up = asyncio.run(restart(ingestor))
        assert ingestor.flush(timeout_s=30)
        ingest = ingestor.stats()

    for device, channel, before, after in (
        ("CUT-01", "knife_rpm", 1500.0, 1700.0),
        ("CUT-02", "knife_rpm", 2400.0, 2600.0),
    ):
        stored = readings(store, factory, device, channel)
        assert stored.count((t0 + 100, before)) == 1
        assert stored.count((t0 + 900, after)) == 1
        ts = [t for t, _ in stored]
        assert len(ts) == len(set(ts)), f"{device}.{channel} has a reading stored twice: {stored}"
    assert (down.connected_servers, down.reconnects) == (0, 0)
    assert down.servers[0].last_error is not None
    assert (up.connected_servers, up.reconnects) == (1, 1)
    assert up.servers[0].sessions == 2
    assert up.servers[0].monitored_nodes == 5
    assert ingest["duplicates"] == 0
    assert ingest["rejected_total"] == 0


def test_a_bad_node_is_reported_while_the_others_deliver(factory: Factory, store: DuckDBStore) -> None:
    t0 = base_ms()
    missing = f"nsu={NS_URI};s=Cutter1.KnifeTemp"

    async def main(ingestor: Ingestor) -> tuple[OpcUaStats, OpcUaStats]:
        # The PLC program lacks KnifeTemp at first (a typo in the config looks the same).
        async with CutterPlc(free_port(), with_knife_temp=False) as plc:
            text = config_text(
                plc,
                extra_nodes=f'\n  {{ node = "{missing}", device = "CUT-01", channel = "knife_temp_c" }},',
            )
            config = parse_opcua_config(text, factory, "opcua.toml")
            async with OpcUaConnector(config, ingestor, options=FAST) as connector:
                assert await connector.wait_connected(DEADLINE_S)
                before = connector.stats()
                await plc.write("Cutter1.KnifeRpm", 1500.0, ua.VariantType.Double, source_ms=t0 + 100)
                await until(
                    "the good node's value is stored",
                    lambda: (t0 + 100, 1500.0) in readings(store, factory, "CUT-01", "knife_rpm"),
                )
                # The PLC program is downloaded with the node: the connector picks it up.
                await plc.add("Cutter1.KnifeTemp", 25.0, ua.VariantType.Double)
                await until("the node is monitored", lambda: stats_of(connector).bad_nodes == 0)
                await plc.write("Cutter1.KnifeTemp", 48.5, ua.VariantType.Double, source_ms=t0 + 200)
                await until(
                    "the late node's value is stored",
                    lambda: (t0 + 200, 48.5) in readings(store, factory, "CUT-01", "knife_temp_c"),
                )
                after = connector.stats()
        return before, after

    with Ingestor(factory, store, flush_interval_s=0.05) as ingestor:
        before, after = asyncio.run(main(ingestor))

    assert before.bad_nodes == 1
    assert before.servers[0].bad_nodes == {missing: "BadNodeIdUnknown"}
    assert before.servers[0].monitored_nodes == 5
    assert before.connected_servers == 1
    assert after.servers[0].bad_nodes == {}
    assert after.servers[0].bad_node_counts[missing] >= 1
    assert after.servers[0].monitored_nodes == 6
    assert after.reconnects == 0


def test_stats_over_http_say_when_no_connector_runs() -> None:
    resp = asyncio.run(get_stats_over_http(None))
    assert resp.status_code == 404
    assert resp.json()["error"]["reason"] == "opcua_not_configured"
