"""The Host Application's protocol logic without a broker: sessions, seq, reordering, deaths, mapping."""

from __future__ import annotations

from typing import Any

import pytest

from seamline.ingest import decode_message
from seamline.ingest.sparkplug import (
    DataType,
    HostSessions,
    MessageType,
    Metric,
    Payload,
    RebirthRequest,
    SparkplugTopic,
    encode_payload,
)
from seamline.model.factory import NO_SIGNAL_CODE, Factory

T0 = 1_795_363_200_000
GROUP = "g1"
BIRTH_METRICS = (
    Metric(name="motor_speed_spm", alias=1, datatype=DataType.FLOAT, value=100.0),
    Metric(name="runtime_state", alias=2, datatype=DataType.STRING, value="running"),
    Metric(name="operator_present", alias=3, datatype=DataType.BOOLEAN, value=True),
    Metric(name="motor_torque_pct", alias=4, datatype=DataType.INT8, value=-3),
    Metric(name="Vendor/secret_sauce", alias=5, datatype=DataType.DOUBLE, value=1.0),
    Metric(name="Device Control/Rebirth", alias=6, datatype=DataType.BOOLEAN, value=False),
)


class Clock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


class Edge:
    """Writes the messages of edge node ``e1`` with device L01-S03, keeping ``seq``."""

    def __init__(self, host: HostSessions, bd_seq: int = 0) -> None:
        self.host = host
        self.bd_seq = bd_seq
        self.seq = 0
        self.ts = T0

    def send(
        self, kind: MessageType, payload: Payload, device: str | None = None, *, omit_datatypes: bool = False
    ) -> list[dict[str, Any]]:
        raw = encode_payload(payload, omit_datatypes=omit_datatypes)
        self.out = self.host.handle(str(SparkplugTopic(GROUP, kind, "e1", device)), raw, self.ts)
        return self.out.messages

    def births(self, ts: int | None = None) -> list[dict[str, Any]]:
        self.ts = ts or self.ts
        self.seq = 0
        bd = Metric(name="bdSeq", datatype=DataType.INT64, value=self.bd_seq)
        out = self.send(MessageType.NBIRTH, Payload(self.ts, (bd,), 0))
        return out + self.dbirth()

    def dbirth(
        self, device: str = "L01-S03", metrics: tuple[Metric, ...] = BIRTH_METRICS
    ) -> list[dict[str, Any]]:
        return self.send(MessageType.DBIRTH, Payload(self.ts, metrics, self.next()), device)

    def ddata(
        self, *metrics: Metric, seq: int | None = None, device: str = "L01-S03"
    ) -> list[dict[str, Any]]:
        metrics = metrics or (Metric(alias=1, value=float(self.seq)),)
        payload = Payload(self.ts, metrics, self.next() if seq is None else seq)
        return self.send(MessageType.DDATA, payload, device, omit_datatypes=True)

    def ndeath(self, bd_seq: int) -> list[dict[str, Any]]:
        return self.send(
            MessageType.NDEATH,
            Payload(self.ts, (Metric(name="bdSeq", datatype=DataType.INT64, value=bd_seq),)),
        )

    def next(self) -> int:
        self.seq = (self.seq + 1) % 256
        return self.seq


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def host(factory: Factory, clock: Clock) -> HostSessions:
    return HostSessions(factory, GROUP, reorder_timeout_s=2.0, rebirth_interval_s=5.0, clock_s=clock)


def readings(messages: list[dict[str, Any]]) -> list[tuple[str, int, float]]:
    return [
        (ch, ts, v)
        for m in messages
        for ch, ts, v in zip(m["readings"]["ch"], m["readings"]["ts"], m["readings"]["v"], strict=True)
    ]


def test_birth_values_become_readings_and_the_wire_format_accepts_them(
    host: HostSessions, factory: Factory
) -> None:
    edge = Edge(host)
    (msg,) = edge.births()
    assert readings([msg]) == [
        ("motor_speed_spm", T0, 100.0),
        ("runtime_state", T0, 2.0),  # a state by name becomes its code
        ("operator_present", T0, 1.0),
        ("motor_torque_pct", T0, -3.0),
    ]
    assert msg["events"] == [{"ts": T0, "type": "heartbeat", "sparkplug": "DBIRTH"}]
    assert (msg["device"], msg["boot"], msg["seq"]) == ("L01-S03", T0 * 256 + 0, 1)
    batch = decode_message(msg, factory, received_ts_ms=T0)
    assert len(batch) == 4
    stats = host.stats()
    assert (stats["node_births"], stats["device_births"], stats["unknown_metrics"]) == (1, 1, 1)
    assert host.online_devices() == {"L01-S03"}


def test_data_by_alias_is_typed_by_the_birth(host: HostSessions) -> None:
    edge = Edge(host)
    edge.births()
    # DATA carries no datatype: Int8 -3 travels as 0xFFFFFFFD and is read back through the birth's.
    out = edge.ddata(
        Metric(alias=4, value=-3, datatype=DataType.INT8),
        Metric(alias=3, value=False, timestamp_ms=T0 + 5),
        Metric(alias=5, value=7.0),  # no channel of the machine type
        Metric(alias=6, value=True),  # Sparkplug's own
        Metric(alias=99, value=1.0),  # declared in no birth
        Metric(alias=1, is_null=True),
    )
    assert readings(out) == [("motor_torque_pct", T0, -3.0), ("operator_present", T0 + 5, 0.0)]
    stats = host.stats()
    assert (stats["unknown_metrics"], stats["null_values"]) == (1 + 2, 1)  # the birth's value, then 2


def test_seq_wraps_from_255_to_0_without_a_gap(host: HostSessions) -> None:
    edge = Edge(host)
    edge.births()
    seqs = [m["seq"] for _ in range(600) for m in edge.ddata()]
    assert seqs == list(range(2, 602))  # ours keep counting across the wraps
    stats = host.stats()
    assert (stats["seq_gaps"], stats["rebirth_requests"], stats["messages"]) == (0, 0, 601)


def test_messages_out_of_order_are_put_back_in_order_within_the_timeout(host: HostSessions) -> None:
    edge = Edge(host)
    edge.births()
    assert edge.ddata(Metric(alias=1, value=2.0), seq=3) == []  # seq 2 is late
    out = edge.ddata(Metric(alias=1, value=1.0), seq=2)
    assert [v for _, _, v in readings(out)] == [1.0, 2.0]
    assert [m["seq"] for m in out] == [2, 3]
    assert host.next_deadline_s() is None
    stats = host.stats()
    assert (stats["reordered"], stats["seq_gaps"], stats["rebirth_requests"]) == (1, 0, 0)


def test_a_message_lost_for_the_reorder_timeout_brings_one_rebirth_request(
    host: HostSessions, clock: Clock
) -> None:
    edge = Edge(host)
    edge.births()
    edge.next()  # seq 2 is lost on the way
    assert edge.ddata() == []
    assert host.next_deadline_s() == clock.now_s + 2.0
    clock.now_s += 1.0
    assert host.expire().rebirths == []
    clock.now_s += 1.0
    assert host.expire().rebirths == [RebirthRequest("e1", "seq_gap")]
    # Until the new NBIRTH its data is dropped, and asked for at most once per rebirth interval.
    assert edge.ddata() == []
    assert edge.out.rebirths == []
    clock.now_s += 5.0
    assert edge.ddata() == []
    assert edge.out.rebirths == [RebirthRequest("e1", "data_before_birth", "L01-S03")]
    assert len(edge.births()) == 1
    assert len(edge.ddata()) == 1
    stats = host.stats()
    assert (stats["seq_gaps"], stats["rebirth_requests"], stats["dropped_before_birth"]) == (1, 2, 2)


def test_without_a_reorder_timeout_a_gap_asks_for_a_rebirth_at_once(factory: Factory) -> None:
    host = HostSessions(factory, GROUP, reorder_timeout_s=0)
    edge = Edge(host)
    edge.births()
    edge.next()
    assert edge.ddata() == []
    assert edge.out.rebirths == [RebirthRequest("e1", "seq_gap", "L01-S03")]


def test_data_before_any_birth_asks_for_a_rebirth(host: HostSessions) -> None:
    edge = Edge(host)
    edge.seq = 41
    assert edge.ddata() == []
    assert edge.out.rebirths == [RebirthRequest("e1", "data_before_birth", "L01-S03")]
    # A device whose DBIRTH was missed also needs the whole birth sequence again.
    edge.births()
    assert edge.ddata(device="L01-S04") == []
    assert edge.out.rebirths == [RebirthRequest("e1", "device_data_before_birth", "L01-S04")]


def test_a_duplicate_is_dropped(host: HostSessions) -> None:
    edge = Edge(host)
    edge.births()
    assert len(edge.ddata(Metric(alias=1, value=5.0), seq=2)) == 1
    assert edge.ddata(Metric(alias=1, value=5.0), seq=2) == []
    assert host.stats()["duplicates"] == 1


def test_only_the_ndeath_of_the_current_session_ends_it(host: HostSessions) -> None:
    edge = Edge(host, bd_seq=7)
    edge.births()
    assert edge.ndeath(6) == []  # the Will of an older connection, delivered late
    assert host.online_devices() == {"L01-S03"}
    edge.ts = T0 + 5000  # the NDEATH is the Will, written at connection time: it counts on arrival
    (msg,) = edge.ndeath(7)
    assert msg["events"] == [{"ts": T0 + 5000, "type": "state", "state": "off", "sparkplug": "NDEATH"}]
    # the machine's state ends at the death: no signal (255), not its last state
    assert readings([msg]) == [("runtime_state", T0 + 5000, float(NO_SIGNAL_CODE))]
    assert host.online_devices() == set()
    assert edge.ndeath(7) == []  # the same death again changes nothing
    stats = host.stats()
    assert (stats["node_deaths"], stats["stale_deaths"]) == (1, 2)


def test_ddeath_ends_one_device(host: HostSessions) -> None:
    edge = Edge(host)
    edge.births()
    edge.dbirth("L01-S04")
    (msg,) = edge.send(MessageType.DDEATH, Payload(T0 + 9, (), edge.next()), "L01-S04")
    assert (msg["device"], msg["events"][0]["state"], msg["events"][0]["ts"]) == ("L01-S04", "off", T0 + 9)
    assert readings([msg]) == [("runtime_state", T0 + 9, float(NO_SIGNAL_CODE))]
    assert host.online_devices() == {"L01-S03"}
    assert edge.ddata(device="L01-S04") == []  # dead until its next DBIRTH
    assert edge.out.rebirths == [RebirthRequest("e1", "device_data_before_birth", "L01-S04")]


def test_a_death_is_a_message_the_wire_format_accepts_and_only_machines_get_a_state(
    host: HostSessions, factory: Factory
) -> None:
    edge = Edge(host)
    edge.births()
    edge.dbirth("EM-01", ())  # an energy meter: no runtime_state to end
    edge.ts = T0 + 7000
    dead = {m["device"]: m for m in edge.ndeath(0)}
    assert set(dead) == {"L01-S03", "EM-01"}
    assert readings([dead["EM-01"]]) == []
    assert [e["sparkplug"] for e in dead["EM-01"]["events"]] == ["NDEATH"]
    batch = decode_message(dead["L01-S03"], factory, received_ts_ms=T0 + 7001)
    runtime = factory.devices_by_id["L01-S03"].sensor_id("runtime_state")
    assert (batch.sensor_ids.tolist(), batch.ts_ms.tolist(), batch.values.tolist()) == (
        [runtime],
        [T0 + 7000],
        [255.0],
    )
    assert host.stats()["readings"] == 4 + 1  # the DBIRTH's four channels, the death's runtime_state


def test_every_session_gets_its_own_boot(host: HostSessions) -> None:
    edge = Edge(host)
    first = edge.births() + edge.ddata()
    rebirth = edge.births(ts=T0 + 1000) + edge.ddata()  # same bdSeq, seq from 0 again
    restart = edge.births(ts=T0 + 2000) + edge.ddata()  # a restart that lost its bdSeq
    keys = {(m["device"], m["boot"], m["seq"]) for m in first + rebirth + restart}
    assert len(keys) == 6
    assert [m["boot"] for m in (first[0], rebirth[0], restart[0])] == [
        T0 * 256,
        (T0 + 1000) * 256,
        (T0 + 2000) * 256,
    ]


def test_device_and_metric_maps(factory: Factory) -> None:
    host = HostSessions(
        factory,
        GROUP,
        devices={"e1/press-7": "L01-S05", "machine-9": "L01-S06"},
        channels={"Speed": "motor_speed_spm"},
    )
    edge = Edge(host)
    edge.births()
    metrics = (Metric(name="Speed", alias=1, datatype=DataType.DOUBLE, value=3.5),)
    assert readings(edge.dbirth("press-7", metrics)) == [("motor_speed_spm", T0, 3.5)]
    assert edge.out.messages[0]["device"] == "L01-S05"
    assert edge.dbirth("machine-9", metrics)[0]["device"] == "L01-S06"
    assert edge.dbirth("X-99", metrics) == []  # in no registry
    assert edge.ddata(Metric(alias=1, value=1.0), device="X-99") == []
    assert host.stats()["unknown_devices"] == 2


def test_other_groups_commands_and_garbage_are_ignored(host: HostSessions) -> None:
    assert host.handle("spBv1.0/other/NBIRTH/e1", b"", T0).messages == []
    assert host.handle("spBv1.0/g1/NCMD/e1", b"\xff", T0).messages == []
    assert host.handle("spBv1.0/g1/NDATA/e1", b"\xff\xff\xff", T0).messages == []
    assert host.handle("spBv1.0/g1/what/e1", b"", T0).messages == []
    assert host.stats()["malformed"] == 2


def test_births_deaths_gaps_rebirths_and_drops_are_counted_per_node_and_device(
    host: HostSessions, clock: Clock
) -> None:
    edge = Edge(host, bd_seq=3)
    edge.seq = 9
    edge.ddata()  # before any birth: dropped, a rebirth asked for
    edge.births()
    edge.ddata(device="L01-S04")  # a device never born: dropped, a rebirth asked for (new session)
    clock.now_s += 5.0
    edge.births()
    edge.send(MessageType.DDATA, Payload(T0, (Metric(alias=1, value=1.0),), None), "L01-S03")  # no seq
    clock.now_s += 5.0
    edge.births()
    edge.send(MessageType.DDEATH, Payload(T0, (), edge.next()), "L01-S03")
    edge.ddata()  # the dead device's data: dropped, rebirth asked for
    edge.ndeath(3)

    (node,) = host.node_stats()
    assert {k: node[k] for k in ("edge_node_id", "online", "births", "deaths", "seq_gaps")} == {
        "edge_node_id": "e1",
        "online": False,
        "births": 3,
        "deaths": 1,
        "seq_gaps": 1,
    }
    assert node["dropped_before_birth"] == 3
    assert node["rebirth_requests"] == 4
    assert node["rebirth_reasons"] == {"data_before_birth": 1, "bad_seq": 1, "device_data_before_birth": 2}
    devices = {d["device_id"]: d for d in node["devices"]}
    assert {
        k: devices["L01-S03"][k] for k in ("births", "deaths", "dropped_before_birth", "rebirth_requests")
    } == {
        "births": 3,
        "deaths": 1,
        "dropped_before_birth": 1,
        "rebirth_requests": 1,
    }
    assert devices["L01-S03"]["registry_id"] == "L01-S03"
    assert "L01-S04" not in devices  # its DDATA named a device this host never saw born
    totals = host.stats()
    assert (totals["rebirth_requests"], totals["dropped_before_birth"], totals["seq_gaps"]) == (4, 3, 1)
