"""The OPC UA configuration file, the value and time mapping, and the per-device batching."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamline.ingest import decode_message
from seamline.ingest.opcua import (
    DeviceBatcher,
    OpcUaConfigError,
    load_opcua_config,
    parse_opcua_config,
    reading_ts_ms,
    reading_value,
)
from seamline.ingest.opcua.values import epoch_ms
from seamline.model.factory import Factory

GOOD = """\
# cutting room
[[servers]]
name = "cutting-plc"
url = "opc.tcp://10.0.3.21:4840"
publishing_interval_ms = 500
nodes = [
  { node = "ns=2;s=Cutter1.KnifeRpm", device = "CUT-01", channel = "knife_rpm" },
  { node = "nsu=urn:cutter:plc;i=1042", device = "CUT-01", channel = "runtime_state" },
]
devices = [
  { device = "CUT-02", browse_path = "2:Cutting/2:Cutter2" },
  { device = "SPR-01", browse_path = "/2:Cutting/2:Spreader1", channels = ["ply_count", "runtime_state"] },
]

[[servers]]
url = "opc.tcp://10.0.3.40"
sampling_interval_ms = 250
queue_size = 4
nodes = [{ node = "ns=3;s=Press.BeltSpeed", device = "FUSE-01", channel = "belt_speed_m_min" }]
"""


def test_a_good_file_becomes_the_domain_view(factory: Factory) -> None:
    cfg = parse_opcua_config(GOOD, factory, "opcua.toml")
    cutting, press = cfg.servers
    assert (cutting.name, cutting.url, cutting.publishing_interval_ms) == (
        "cutting-plc",
        "opc.tcp://10.0.3.21:4840",
        500.0,
    )
    assert cutting.sampling_interval_ms == 500.0  # defaults to the publishing interval
    assert cutting.queue_size == 10
    rpm, state = cutting.nodes
    assert (rpm.device_id, rpm.channel, rpm.channel_index) == ("CUT-01", "knife_rpm", 8)
    assert (state.channel, state.channel_index) == ("runtime_state", 0)
    assert [(d.device_id, d.channels) for d in cutting.devices] == [
        ("CUT-02", None),
        ("SPR-01", ("ply_count", "runtime_state")),
    ]
    assert (press.name, press.publishing_interval_ms, press.sampling_interval_ms, press.queue_size) == (
        "10.0.3.40:4840",
        1000.0,
        250.0,
        4,
    )
    assert cfg.named_channels() == {
        ("CUT-01", "knife_rpm"),
        ("CUT-01", "runtime_state"),
        ("SPR-01", "ply_count"),
        ("SPR-01", "runtime_state"),
        ("FUSE-01", "belt_speed_m_min"),
    }


def test_load_reads_the_file_and_names_a_missing_one(tmp_path: Path, factory: Factory) -> None:
    path = tmp_path / "opcua.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert len(load_opcua_config(path, factory).servers) == 2
    with pytest.raises(OpcUaConfigError, match="no such file") as err:
        load_opcua_config(tmp_path / "nope.toml", factory)
    assert err.value.path == str(tmp_path / "nope.toml")


def _broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        pytest.param(
            _broken('device = "CUT-01", channel = "knife_rpm"', 'device = "CUT-1", channel = "knife_rpm"'),
            7, "servers[0].nodes[0].device", "unknown device 'CUT-1' (did you mean",
            id="unknown-device",
        ),
        pytest.param(
            _broken('channel = "runtime_state" }', 'channel = "knife_speed" }'),
            8, "servers[0].nodes[1].channel", "unknown channel 'knife_speed'",
            id="unknown-channel",
        ),
        pytest.param(
            _broken('"ns=2;s=Cutter1.KnifeRpm"', '"Cutter1.KnifeRpm"'),
            7, "servers[0].nodes[0].node", "'Cutter1.KnifeRpm' is not an OPC UA node id",
            id="malformed-node-id",
        ),
        pytest.param(
            _broken('"nsu=urn:cutter:plc;i=1042"', '"ns=70000;i=1042"'),
            8, "servers[0].nodes[1].node", "namespace index 70000 is outside 0..65535",
            id="namespace-out-of-range",
        ),
        pytest.param(
            _broken('"nsu=urn:cutter:plc;i=1042"', '"ns=2;s=Cutter1.KnifeRpm"'),
            8, "servers[0].nodes[1].node", "mapped twice on this server",
            id="node-mapped-twice",
        ),
        pytest.param(
            _broken('channel = "runtime_state" }', 'channel = "knife_rpm" }'),
            8, "servers[0].nodes[1].channel", "already mapped at servers[0].nodes[0].channel",
            id="channel-mapped-twice",
        ),
        pytest.param(
            _broken('{ device = "CUT-02", browse', '{ device = "CUT-09", browse'),
            11, "servers[0].devices[0].device", "unknown device 'CUT-09'",
            id="compact-unknown-device",
        ),
        pytest.param(
            _broken('["ply_count", "runtime_state"]', '["ply_count", "plies"]'),
            12, "servers[0].devices[1].channels[1]", "unknown channel 'plies'",
            id="compact-unknown-channel",
        ),
        pytest.param(
            _broken('"2:Cutting/2:Cutter2"', '"2:Cutting/2:Cut<ter2"'),
            11, "servers[0].devices[0].browse_path", "is not a browse path",
            id="malformed-browse-path",
        ),
        pytest.param(
            _broken('"opc.tcp://10.0.3.21:4840"', '"http://10.0.3.21:4840"'),
            4, "servers[0].url", "is not an OPC UA TCP address",
            id="not-opc-tcp",
        ),
        pytest.param(
            _broken("publishing_interval_ms = 500", "publishing_interval_ms = 0"),
            5, "servers[0].publishing_interval_ms", "greater than 0",
            id="interval-zero",
        ),
        pytest.param(
            _broken("queue_size = 4", 'queue_size = "four"'),
            18, "servers[1].queue_size", "valid integer",
            id="queue-size-type",
        ),
        pytest.param(
            _broken("queue_size = 4", 'security = { policy = "Basic256Sha256", mode = "Sign" }'),
            18, "servers[1].security.policy", "not supported yet",
            id="security-not-yet",
        ),
        pytest.param(
            _broken("queue_size = 4", "queue_sise = 4"),
            18, "servers[1].queue_sise", "Extra inputs are not permitted",
            id="unknown-key",
        ),
        pytest.param(
            _broken("nodes = [{", "nodes = [{{"),
            19, "", "not valid TOML",
            id="toml-syntax",
        ),
    ],
)  # fmt: skip
def test_a_wrong_file_is_reported_with_line_and_field(
    factory: Factory, text: str, line: int, field: str, problem: str
) -> None:
    with pytest.raises(OpcUaConfigError) as err:
        parse_opcua_config(text, factory, "opcua.toml")
    e = err.value
    assert (e.path, e.line, e.field) == ("opcua.toml", line, field)
    assert problem in e.problem
    assert e.message.startswith(f"opcua.toml:{line}: ")
    assert e.details() == {"path": "opcua.toml", "line": line, "field": field}


def test_a_file_without_servers_or_nodes_is_refused(factory: Factory) -> None:
    with pytest.raises(OpcUaConfigError, match="servers"):
        parse_opcua_config("servers = []\n", factory, "opcua.toml")
    with pytest.raises(OpcUaConfigError, match="maps no nodes") as err:
        parse_opcua_config('[[servers]]\nurl = "opc.tcp://plc:4840"\n', factory, "opcua.toml")
    assert (err.value.line, err.value.field) == (1, "servers[0]")


def test_server_names_must_differ(factory: Factory) -> None:
    text = GOOD.replace('url = "opc.tcp://10.0.3.40"', 'url = "opc.tcp://10.0.3.40"\nname = "cutting-plc"')
    with pytest.raises(OpcUaConfigError, match="used by servers\\[0\\] too") as err:
        parse_opcua_config(text, factory, "opcua.toml")
    assert err.value.field == "servers[1].name"


@pytest.mark.parametrize(
    ("value", "reading"),
    [
        (True, 1.0), (False, 0.0), (0, 0.0), (3, 3.0), (-7, -7.0), (2**40, float(2**40)),
        (1500.5, 1500.5), (float("nan"), None), (float("inf"), None), ("2", None), (b"\x01", None),
        (None, None), ([1.0, 2.0], None), (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), None),
    ],
)  # fmt: skip
def test_values_map_to_readings(value: object, reading: float | None) -> None:
    assert reading_value(value) == reading


def test_reading_time_prefers_the_source_then_the_server_then_reception() -> None:
    src = dt.datetime(2026, 11, 22, 8, 0, 0, 123_456, tzinfo=dt.UTC)
    srv = src + dt.timedelta(milliseconds=40)
    now = epoch_ms(src) + 100
    assert reading_ts_ms(src, srv, now) == (epoch_ms(src), False)
    assert epoch_ms(src) % 1000 == 123  # microseconds truncate to the millisecond, no float rounding
    assert reading_ts_ms(None, srv, now) == (epoch_ms(srv), True)
    assert reading_ts_ms(None, None, now) == (now, True)
    unset = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)  # OPC UA's "no time" (Part 6 §5.2.2.5)
    assert reading_ts_ms(unset, srv, now) == (epoch_ms(srv), True)
    ahead = src + dt.timedelta(minutes=6)  # a PLC clock ahead: ingest would refuse the message
    assert reading_ts_ms(ahead, srv, now) == (epoch_ms(srv), True)
    assert epoch_ms(src.replace(tzinfo=None)) == epoch_ms(src)  # naive is UTC


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["CUT-01", "CUT-02", "COMP-01"]),
            st.integers(0, 5),
            st.integers(1_795_000_000_000, 1_795_000_100_000),
            st.floats(allow_nan=False, allow_infinity=False, width=64),
        ),
        max_size=40,
    ),
    st.integers(1, 3),
)
def test_batches_are_valid_messages_with_per_device_sequences(
    factory: Factory, readings: list[tuple[str, int, int, float]], flushes: int
) -> None:
    batcher = DeviceBatcher(boot=1_795_000_000_000)
    messages = []
    chunk = max(1, len(readings) // flushes)
    for start in range(0, len(readings), chunk):
        for device, channel, ts, value in readings[start : start + chunk]:
            batcher.add(device, channel, ts, value)
        messages += batcher.drain(sent_ts_ms=1_795_000_100_000)
    assert batcher.pending_readings == 0
    decoded = [decode_message(m, factory, received_ts_ms=1_795_000_100_000) for m in messages]
    for device in {d for d, *_ in readings}:
        seqs = [b.seq for b in decoded if b.device_id == device]
        assert seqs == list(range(len(seqs)))  # one message per device per flush, seq +1 each
    assert {b.boot for b in decoded} <= {1_795_000_000_000}
    got = sorted((b.device_id, int(s), int(t), float(v)) for b in decoded for s, t, v in zip(
        b.sensor_ids - factory.devices_by_id[b.device_id].sensor_base, b.ts_ms, b.values, strict=True
    ))  # fmt: skip
    assert got == sorted(readings)
