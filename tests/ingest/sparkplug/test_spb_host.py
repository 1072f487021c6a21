"""Sparkplug B end to end against the real Mosquitto on 127.0.0.1:1883, each test in its own group."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from pathlib import Path
from unittest import mock

import httpx
import paho.mqtt.client as mqtt
import pytest
from edge import MetricSpec
from paho.mqtt.enums import CallbackAPIVersion
from spb_helpers import SNLS_METRICS, Plant, clear_retained, plant, unique, wait_for

from seamline.ingest.mqtt import parse_mqtt_url
from seamline.ingest.sparkplug import DataType, MessageType, Metric, Payload, state_topic
from seamline.model.factory import Factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.timeutil import ms_to_iso
from seamline.web import create_app

pytestmark = pytest.mark.mqtt


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def retained(url: str, topic: str) -> dict[str, object]:
    """The retained message on ``topic``, as a new subscriber gets it."""
    got: list[bytes] = []
    arrived = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"spb-probe-{uuid.uuid4().hex[:8]}")

    def on_message(c: mqtt.Client, u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.retain:
            got.append(bytes(msg.payload))
            arrived.set()

    client.on_message = on_message
    client.on_connect = lambda c, u, f, r, p: c.subscribe(topic, qos=1)
    broker = parse_mqtt_url(url)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        assert arrived.wait(10), f"no retained message on {topic}"
    finally:
        client.disconnect()
        client.loop_stop()
    doc = json.loads(got[0])
    assert isinstance(doc, dict)
    return doc


def test_births_then_data_land_as_readings(mosquitto_url: str, factory: Factory, tmp_path: Path) -> None:
    with plant(mosquitto_url, factory, tmp_path) as p, p.edge() as edge:
        wait_for(lambda: p.stat("readings") == 6, "the DBIRTH's values")
        t1, t2 = now_ms() - 2000, now_ms() - 1000
        edge.publish_ddata("L01-S03", {"motor_speed_spm": 2450.0, "motor_torque_pct": -12}, ts_ms=t1)
        edge.publish_ddata("L01-S03", {"runtime_state": "running", "operator_present": True}, ts_ms=t2)
        edge.publish_ddata("L01-S03", {"stitch_count": 4_000_000_000, "energy_wh": 13.25}, ts_ms=t2)
        # A batch: one metric several times, with its timestamps (how the simulator's readings travel).
        edge.publish_samples(
            "L01-S03", [("motor_speed_spm", t2 + 2, 30.0), ("motor_speed_spm", t2 + 1, 20.0)]
        )
        wait_for(lambda: p.stat("readings") == 14, "the DDATA values")

        ((birth_ts, _),) = [(e["ts"], e) for e in p.events("L01-S03")]  # the DBIRTH's time

        def series(channel: str) -> dict[int, float]:
            return dict(p.history("L01-S03", channel))

        assert series("motor_speed_spm") == {birth_ts: 0.0, t1: 2450.0, t2 + 1: 20.0, t2 + 2: 30.0}
        assert series("motor_torque_pct") == {birth_ts: 0.0, t1: -12.0}  # Int16 by alias, no datatype
        assert series("runtime_state") == {birth_ts: 1.0, t2: 2.0}  # idle, running
        assert series("operator_present") == {birth_ts: 0.0, t2: 1.0}
        assert series("stitch_count") == {birth_ts: 1000.0, t2: 4e9}  # UInt32
        assert series("energy_wh") == {birth_ts: 12.5, t2: 13.25}
        assert p.events("L01-S03") == [{"type": "heartbeat", "ts": birth_ts, "sparkplug": "DBIRTH"}]
        stats = p.host.stats()
        assert (stats["node_births"], stats["device_births"], stats["messages"]) == (1, 1, 5)
        assert (stats["rebirth_requests"], stats["seq_gaps"], stats["unknown_metrics"]) == (0, 0, 0)
        assert stats["devices_online"] == 1
        ingest = p.ingestor.stats()
        assert (ingest["messages_accepted"], ingest["rejected_total"]) == (5, 0)
        assert ingest["received"] == {"sparkplug": 5}


def test_the_host_state_is_published_retained(mosquitto_url: str, factory: Factory, tmp_path: Path) -> None:
    host_id = unique("seamline-state")
    with plant(mosquitto_url, factory, tmp_path, host_id=host_id) as p:
        birth = retained(mosquitto_url, state_topic(host_id))
        assert birth["online"] is True
        assert isinstance(birth["timestamp"], int)
        assert p.host.online
        p.host.stop()
        death = retained(mosquitto_url, state_topic(host_id))
    assert death["online"] is False
    assert isinstance(death["timestamp"], int)
    assert death["timestamp"] >= birth["timestamp"]


def test_data_before_birth_brings_a_rebirth_and_is_not_stored(
    mosquitto_url: str, factory: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="seamline.ingest.sparkplug.host")
    with plant(mosquitto_url, factory, tmp_path) as p:
        # An edge node born before this host subscribed (no Primary Host configured): births lost.
        edge = p.edge(primary=False)
        p.host.stop()
        edge.connect()
        p.host.start()
        assert p.host.wait_online(10)
        try:
            t1 = now_ms() - 5000
            edge.publish_ddata("L01-S03", {"motor_speed_spm": 1234.0}, ts_ms=t1)
            assert edge.wait_rebirths(1, 10), "the host sent no Rebirth request"
            wait_for(lambda: p.stat("readings") == 6, "the births requested")
            history = p.history("L01-S03", "motor_speed_spm")
            assert len(history) == 1
            assert history[0][0] != t1  # the DATA was dropped; the birth carries its value, at its own time
            assert history[0][1] == 1234.0
            # The DDATA, and the DBIRTH too when its publication raced the host's subscription.
            assert p.stat("dropped_before_birth") in (1, 2)
            assert p.stat("rebirth_requests") == 1  # one per rebirth interval, however much comes
            (node,) = p.host.stats()["nodes"]
            assert (node["edge_node_id"], node["rebirth_requests"]) == ("gw-L01", 1)
            assert node["rebirth_reasons"] == {"data_before_birth": 1}
            assert node["dropped_before_birth"] == p.stat("dropped_before_birth")
        finally:
            edge.disconnect()
    (line,) = [r.getMessage() for r in caplog.records if "requesting a rebirth" in r.getMessage()]
    assert "edge node 'gw-L01', device 'L01-S03'" in line
    assert "data_before_birth" in line


def test_a_seq_gap_brings_a_rebirth(
    mosquitto_url: str, factory: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with plant(mosquitto_url, factory, tmp_path, reorder_timeout_s=0) as p, p.edge() as edge:
        t1, t2, t3 = (now_ms() - 3000 + i for i in range(3))
        edge.publish_ddata("L01-S03", {"motor_speed_spm": 1.0}, ts_ms=t1)
        edge.skip_seq()  # one message lost on the way
        edge.publish_ddata("L01-S03", {"motor_speed_spm": 2.0}, ts_ms=t2)
        assert edge.wait_rebirths(1, 10), "the host sent no Rebirth request"
        edge.publish_ddata("L01-S03", {"motor_speed_spm": 3.0}, ts_ms=t3)
        wait_for(lambda: p.stat("device_births") == 2, "the second DBIRTH")
        wait_for(lambda: (t3, 3.0) in p.history("L01-S03", "motor_speed_spm"), "the data after the rebirth")
        values = dict(p.history("L01-S03", "motor_speed_spm"))
        assert values[t1] == 1.0
        assert t2 not in values  # after the gap, dropped until the new birth
        assert 2.0 in values.values()  # ... whose current value it is
        assert (p.stat("seq_gaps"), p.stat("rebirth_requests"), p.stat("node_births")) == (1, 1, 2)
        (node,) = p.host.stats()["nodes"]
        assert (node["seq_gaps"], node["rebirth_reasons"]) == (1, {"seq_gap": 1})
        assert p.host.health()["gaps"] == 1
    (line,) = [
        r
        for r in caplog.records
        if r.name == "seamline.ingest.sparkplug.host" and "requesting a rebirth" in r.message
    ]
    assert line.levelno == logging.WARNING  # a lost message is worth a warning; a late host is not
    assert "edge node 'gw-L01', device 'L01-S03'" in line.message
    assert "seq_gap" in line.message


def test_messages_out_of_order_are_reordered(mosquitto_url: str, factory: Factory, tmp_path: Path) -> None:
    with plant(mosquitto_url, factory, tmp_path, reorder_timeout_s=30) as p, p.edge() as edge:
        t1 = now_ms() - 1000
        seq = edge.seq
        late = Payload(
            t1, (Metric(name="motor_speed_spm", value=1.0, datatype=DataType.FLOAT),), (seq + 1) % 256
        )
        early = Payload(
            t1 + 1, (Metric(name="motor_speed_spm", value=2.0, datatype=DataType.FLOAT),), (seq + 2) % 256
        )
        edge.publish_raw(MessageType.DDATA, early, "L01-S03")
        edge.publish_raw(MessageType.DDATA, late, "L01-S03")
        edge.skip_seq(2)
        edge.publish_ddata("L01-S03", {"motor_speed_spm": 3.0}, ts_ms=t1 + 2)
        wait_for(lambda: p.stat("readings") == 6 + 3, "the three DDATA")
        data = [(ts, v) for ts, v in p.history("L01-S03", "motor_speed_spm") if t1 <= ts <= t1 + 2]
        assert data == [(t1, 1.0), (t1 + 1, 2.0), (t1 + 2, 3.0)]
        assert (p.stat("reordered"), p.stat("seq_gaps"), p.stat("rebirth_requests")) == (1, 0, 0)


def off_events(p: Plant, device_id: str) -> list[dict[str, object]]:
    return [e for e in p.events(device_id) if e["type"] == "state"]


def test_the_brokers_will_marks_the_node_and_its_devices_offline(
    mosquitto_url: str, factory: Factory, tmp_path: Path
) -> None:
    devices = {"L01-S03": SNLS_METRICS, "L01-S04": SNLS_METRICS}
    with plant(mosquitto_url, factory, tmp_path) as p:
        edge = p.edge(devices=devices)
        edge.connect()
        wait_for(lambda: p.host.online_devices() == {"L01-S03", "L01-S04"}, "both devices online")
        edge.kill()  # no DISCONNECT: Mosquitto publishes the NDEATH registered as the Will
        wait_for(lambda: p.stat("node_deaths") == 1, "the NDEATH from the broker")
        assert p.host.online_devices() == set()
        wait_for(lambda: all(len(off_events(p, d)) == 1 for d in devices), "both devices offline")
        for device_id in devices:
            (off,) = off_events(p, device_id)
            assert (off["state"], off["sparkplug"]) == ("off", "NDEATH")


def test_a_killed_node_leaves_its_machines_without_signal_from_the_death(
    mosquitto_url: str, factory: Factory, tmp_path: Path
) -> None:
    devices = {"L01-S03": SNLS_METRICS, "L01-S04": SNLS_METRICS}
    with plant(mosquitto_url, factory, tmp_path) as p:
        edge = p.edge(devices=devices)
        edge.connect()
        wait_for(lambda: p.host.online_devices() == set(devices), "both devices online")
        running_from = now_ms()  # after the births: their idle comes before
        for device_id in devices:
            edge.publish_ddata(device_id, {"runtime_state": "running"}, ts_ms=running_from)
        wait_for(lambda: p.stat("readings") == 2 * 6 + 2, "the running states")
        seats = {m["device"]: m for m in p.api("/api/v1/lines/L01")["machines"]}
        assert [seats[d]["state"] for d in devices] == ["running", "running"]

        edge.kill()  # no DISCONNECT: the broker publishes the Will, the NDEATH
        wait_for(lambda: all(len(off_events(p, d)) == 1 for d in devices), "both deaths stored")
        died = {d: int(str(off_events(p, d)[0]["ts"])) for d in devices}
        line = p.api("/api/v1/lines/L01")
        seats = {m["device"]: m for m in line["machines"]}
        for device_id in devices:
            assert (seats[device_id]["state"], seats[device_id]["since"]) == (
                "no_signal",
                ms_to_iso(died[device_id]),
            )
        assert (line["counts"]["running"], line["counts"]["no_signal"]) == (0, 2)
        for device_id in devices:  # what the death stored: no signal (255) at the death
            assert p.history(device_id, "runtime_state")[-1] == (died[device_id], 255.0)

        # Running from the DDATA until the death, never after: however far the range reaches, and
        # however late it is asked (the store alone would hold "running" for 300 s).
        def seconds(device_id: str, end_ms: int) -> dict[str, float]:
            body = p.api(
                f"/api/v1/devices/{device_id}/states",
                start=ms_to_iso(running_from),
                end=ms_to_iso(end_ms),
                interval_s=7200,
            )
            return dict(body["total"]["seconds"])

        for device_id in devices:
            ran = (died[device_id] - running_from) / 1000
            near = seconds(device_id, died[device_id] + 1000)
            far = seconds(device_id, running_from + 3_600_000)
            assert (near["running"], near["no_signal"]) == (ran, 1.0)
            assert far["running"] == ran
            assert far["no_signal"] > 0
            assert (far["idle"], far["off"], far["fault"]) == (0.0, 0.0, 0.0)
        line_durations = p.api(
            "/api/v1/lines/L01/states",
            start=ms_to_iso(running_from),
            end=ms_to_iso(running_from + 3_600_000),
            interval_s=7200,
        )
        assert line_durations["total"]["seconds"]["running"] == sum(
            (died[d] - running_from) / 1000 for d in devices
        )


def test_a_clean_disconnect_publishes_the_ndeath(
    mosquitto_url: str, factory: Factory, tmp_path: Path
) -> None:
    with plant(mosquitto_url, factory, tmp_path) as p:
        with p.edge():
            wait_for(lambda: p.host.online_devices() == {"L01-S03"}, "the device online")
        wait_for(lambda: p.stat("node_deaths") == 1, "the NDEATH")
        assert p.host.online_devices() == set()
        assert [e["sparkplug"] for e in off_events(p, "L01-S03")] == ["NDEATH"]


def test_ddeath_marks_one_device_offline(mosquitto_url: str, factory: Factory, tmp_path: Path) -> None:
    devices = {"L01-S03": SNLS_METRICS, "L01-S04": SNLS_METRICS}
    with plant(mosquitto_url, factory, tmp_path) as p, p.edge(devices=devices) as edge:
        wait_for(lambda: p.host.online_devices() == {"L01-S03", "L01-S04"}, "both devices online")
        edge.publish_ddeath("L01-S04")
        wait_for(lambda: p.stat("device_deaths") == 1, "the DDEATH")
        assert p.host.online_devices() == {"L01-S03"}
        assert [e["sparkplug"] for e in off_events(p, "L01-S04")] == ["DDEATH"]
        assert off_events(p, "L01-S03") == []
        seats = {m["device"]: m["state"] for m in p.api("/api/v1/lines/L01")["machines"]}
        assert (seats["L01-S03"], seats["L01-S04"]) == ("idle", "no_signal")  # idle: its birth value


def test_an_edge_node_restart_keeps_every_message_and_ignores_the_old_will(
    mosquitto_url: str, factory: Factory, tmp_path: Path
) -> None:
    t0 = now_ms() - 10_000
    with plant(mosquitto_url, factory, tmp_path) as p:
        old = p.edge(bd_seq=0)
        old.connect()
        for i in range(3):
            old.publish_ddata("L01-S03", {"motor_speed_spm": float(i)}, ts_ms=t0 + i)
        wait_for(lambda: p.stat("messages") == 4, "the first session")
        # The node restarts on another connection before the broker noticed the old one is gone.
        new = p.edge(bd_seq=1)
        new.connect()
        for i in range(3, 6):
            new.publish_ddata("L01-S03", {"motor_speed_spm": float(i)}, ts_ms=t0 + i)
        wait_for(lambda: p.stat("messages") == 8, "the second session")
        old.kill()  # the Will of the first connection (bdSeq 0) comes after the NBIRTH with bdSeq 1
        wait_for(lambda: p.stat("stale_deaths") == 1, "the late NDEATH")
        assert p.stat("node_deaths") == 0
        assert p.host.online_devices() == {"L01-S03"}
        new.disconnect()
        # Restarted once more, having lost its bdSeq: its seq numbers repeat the first session's.
        again = p.edge(bd_seq=0)
        again.connect()
        for i in range(6, 9):
            again.publish_ddata("L01-S03", {"motor_speed_spm": float(i)}, ts_ms=t0 + i)
        wait_for(lambda: p.stat("messages") == 13, "the third session")
        again.disconnect()
        values = [v for ts, v in p.history("L01-S03", "motor_speed_spm") if ts < t0 + 100]
        assert values == [float(i) for i in range(9)]
        assert p.ingestor.stats()["duplicates"] == 0
        assert p.stat("node_births") == 3


def test_unknown_metrics_and_devices_are_counted_not_stored(
    mosquitto_url: str, factory: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = (*SNLS_METRICS, MetricSpec("Vendor/spindle_hours", DataType.DOUBLE, 1.0))
    devices = {"L01-S03": metrics, "X-99": SNLS_METRICS}
    with (
        caplog.at_level(logging.WARNING, logger="seamline.ingest.sparkplug"),
        plant(mosquitto_url, factory, tmp_path) as p,
        p.edge(devices=devices) as edge,
    ):
        edge.publish_ddata("L01-S03", {"Vendor/spindle_hours": 2.0, "motor_speed_spm": 5.0})
        edge.publish_ddata("X-99", {"motor_speed_spm": 5.0})
        wait_for(lambda: p.stat("unknown_devices") == 2, "the unknown device's birth and data")
        wait_for(lambda: p.stat("unknown_metrics") == 2, "the unknown metric's birth and data")
        assert [v for _, v in p.history("L01-S03", "motor_speed_spm")] == [0.0, 5.0]
        assert p.host.online_devices() == {"L01-S03"}
        assert p.ingestor.stats()["rejected_total"] == 0
    assert "unknown_channel" in caplog.text
    assert "Vendor/spindle_hours" in caplog.text
    assert "'X-99'" in caplog.text


def test_a_dead_connection_thread_shows_in_health_and_is_restarted(
    mosquitto_url: str, factory: Factory, tmp_path: Path
) -> None:
    with plant(mosquitto_url, factory, tmp_path) as p:
        host = p.host
        assert host.health()["healthy"] is True
        assert host.ensure_running() is False  # alive: nothing to do
        real_loop = host._client.loop_forever
        calls = 0

        def loop_that_fails_once(*args: object, **kwargs: object) -> object:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("injected: the network loop failed")
            return real_loop(*args, **kwargs)

        # A failure injected into the running thread: drop the connection, the next loop raises.
        with mock.patch.object(host._client, "loop_forever", side_effect=loop_that_fails_once):
            host._client.disconnect()
            wait_for(lambda: not host.health()["thread_alive"], "the connection thread to die")
            dead = host.health()
            assert host.ensure_running() is True
            assert host.wait_online(10)
        wait_for(lambda: host.health()["healthy"], "the restarted thread to connect")
        again = host.health()
        assert host.ensure_running() is False
    assert dead["healthy"] is False
    assert dead["thread_alive"] is False
    assert "injected" in (dead["last_error"] or "")
    assert (again["thread_alive"], again["connected"], again["thread_restarts"]) == (True, True, 1)
    assert again["last_error"] is None


def test_the_platforms_host_answers_the_stats_endpoint_and_readiness(
    mosquitto_url: str, factory: Factory, tmp_path: Path
) -> None:
    group = unique("spbplatform")
    settings = Settings(
        data_dir=tmp_path / "data",
        mqtt_url=mosquitto_url,
        sparkplug_group=group,
        sparkplug_host_id=unique("seamline-test"),
    )
    with Platform(settings, factory) as platform:
        assert platform.sparkplug is not None
        assert platform.sparkplug.wait_online(10)
        app = create_app(factory, platform.store, platform.ingestor, platform=platform)

        async def get(url: str) -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as http:
                return await http.get(url)

        stats = asyncio.run(get("/api/v1/ingest/sparkplug/stats"))
        health = platform.sparkplug.health()
        state_topic_of_host = platform.sparkplug.state_topic
    clear_retained(mosquitto_url, state_topic_of_host)
    assert stats.status_code == 200
    body = stats.json()
    assert (body["group_id"], body["online"], body["nodes"], body["seq_gaps"]) == (group, True, [], 0)
    assert health["healthy"] is True
    assert (health["connected"], health["thread_alive"], health["last_error"]) == (True, True, None)
