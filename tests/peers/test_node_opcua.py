"""A node-opcua 2.182 server (``opcua_server.js``) as the PLC, Seamline's OPC UA connector subscribed to it.

The connector runs with its shipped options (backoff, watchdog, keep-alive). The server is
stopped gracefully, stays down 20 s, and comes back on the same port: data must arrive again
after the comeback (an OPC UA server keeps no backlog for an absent client), and the shutdown
must be one WARNING line, not a traceback. Float variables must be stored as the decimal the
PLC holds (36.6), not widened.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from peer_process import NodeProcess

from seamline.ingest import Ingestor
from seamline.ingest.opcua import OpcUaConnector, parse_opcua_config
from seamline.model.factory import Factory
from seamline.store import DuckDBStore

pytestmark = pytest.mark.slow

NS_URI = "urn:seamline-test:node-opcua"
DOWN_S = 20.0
DEADLINE_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def config_text(port: int, ns: int) -> str:
    return f"""
[[servers]]
name = "node-opcua-plc"
url = "opc.tcp://127.0.0.1:{port}/plc"
publishing_interval_ms = 100
nodes = [
  {{ node = "nsu={NS_URI};s=Cutter1.KnifeRpm", device = "CUT-01", channel = "knife_rpm" }},
  {{ node = "nsu={NS_URI};s=Cutter1.State", device = "CUT-01", channel = "runtime_state" }},
  {{ node = "nsu={NS_URI};s=Cutter1.Io001", device = "CUT-01", channel = "io_001" }},
]
devices = [
  {{ device = "CUT-02", browse_path = "/{ns}:Cutting/{ns}:Cutter2" }},
]
"""


def readings(store: DuckDBStore, factory: Factory, device: str, channel: str) -> list[tuple[int, float]]:
    s = store.history(factory.devices_by_id[device].sensor_id(channel), 0, 2**62)
    return list(zip(s.ts_ms.tolist(), s.values.tolist(), strict=True))


async def until(what: str, check: Any, timeout_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting until {what}")
        await asyncio.sleep(0.05)


async def listening_since(port: int) -> float:
    """When (monotonic) the port first accepted a TCP connection: the server is back from then on."""
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        at = time.monotonic()
        writer.close()
        await writer.wait_closed()
        return at


def test_node_opcua_server_restart_is_resubscribed_and_its_shutdown_is_one_warning(
    factory: Factory, tmp_path: Path, peers: list[NodeProcess], caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    pki = str(tmp_path / "pki")

    def start_server() -> dict[str, Any]:
        server = NodeProcess("opcua_server.js", "--port", str(port), "--pki", pki)
        peers.append(server)
        return server.expect("ready", timeout_s=60)

    async def main(ingestor: Ingestor, store: DuckDBStore) -> dict[str, Any]:
        ready = start_server()
        config = parse_opcua_config(config_text(port, ready["ns"]), factory, "opcua.toml")
        async with OpcUaConnector(config, ingestor) as connector:
            assert await connector.wait_connected(DEADLINE_S)
            await until(
                "the ticking values are stored",
                lambda: ingestor.flush(5) and len(readings(store, factory, "CUT-01", "knife_rpm")) >= 3,
            )
            up = connector.health()
            caplog.clear()
            with caplog.at_level(logging.INFO):
                # a graceful shutdown (server.shutdown) on SIGTERM, the connector running meanwhile
                assert await asyncio.to_thread(peers[0].terminate) == 0
                await until(
                    "the connector notices", lambda: not connector.health()["servers"][0]["subscribed"]
                )
                down = connector.health()
                shutdown_records = [(r.name, r.levelno, r.getMessage(), r.exc_info) for r in caplog.records]
                await asyncio.sleep(DOWN_S)  # the PLC stays off; nothing to read meanwhile
                listening = asyncio.create_task(listening_since(port))
                comeback = await asyncio.to_thread(start_server)  # the connector keeps running meanwhile
                await until("it is subscribed again", lambda: connector.health()["healthy"])
                resubscribed_after_s = time.monotonic() - await listening
                await until(
                    "values sampled after the comeback are stored",
                    lambda: (
                        ingestor.flush(5)
                        and any(
                            t > comeback["ts_ms"] for t, _ in readings(store, factory, "CUT-02", "knife_rpm")
                        )
                    ),
                )
            again = connector.health()
            stats = connector.stats()
        # measured, not asserted (tests do not time things): run with -s to read it
        print(f"OPC UA server listening again; resubscribed {resubscribed_after_s:.2f} s later")
        return {"up": up, "down": down, "again": again, "stats": stats, "records": shutdown_records}

    with (
        DuckDBStore(tmp_path / "data").opened(factory) as store,
        Ingestor(factory, store, flush_interval_s=0.05) as ingestor,
    ):
        out = asyncio.run(main(ingestor, store))
        assert ingestor.flush(10)
        ingest = ingestor.stats()
        temp = readings(store, factory, "CUT-02", "knife_temp_c")
        speed = readings(store, factory, "CUT-02", "cut_speed_mm_s")
        rpm = readings(store, factory, "CUT-01", "knife_rpm")

    assert out["up"]["healthy"] is True
    (server_up,) = out["up"]["servers"]
    assert (server_up["connected"], server_up["subscribed"], server_up["reconnects"]) == (True, True, 0)
    assert out["down"]["healthy"] is False
    assert out["down"]["servers"][0]["last_error"] is not None
    (server_again,) = out["again"]["servers"]
    assert (server_again["subscribed"], server_again["reconnects"], server_again["last_error"]) == (
        True,
        1,
        None,
    )
    assert out["stats"].servers[0].monitored_nodes == 6  # 3 by node id, 3 by browse path

    # the graceful shutdown: one WARNING line of ours, no traceback, nothing at ERROR
    records = out["records"]
    assert [r for r in records if r[1] >= logging.ERROR] == []
    assert [r for r in records if r[3]] == []
    warnings = [r for r in records if r[1] == logging.WARNING]
    assert warnings
    assert warnings[0][0] == "seamline.ingest.opcua.link", [r[:3] for r in records if r[1] >= logging.WARNING]
    assert "node-opcua-plc" in warnings[0][2]
    assert "reconnect attempt 1" in warnings[0][2]

    # Float variables as the PLC holds them; each (time, value) stored once across both sessions
    assert {v for _, v in temp} == {36.6}
    assert {v for _, v in speed} == {12.3}
    assert len({t for t, _ in rpm}) == len(rpm)
    assert ingest["duplicates"] == 0
    assert ingest["rejected_total"] == 0
