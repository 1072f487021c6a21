"""decode_message: the wire format of docs/telemetry.md and every rejection reason."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pytest

from seamline.errors import SeamlineError
from seamline.ingest import REJECTION_REASONS, RejectedMessage, build_message, decode_message, encode_message
from seamline.model.factory import Factory

T0 = 1_795_363_200_000  # 2026-11-22T16:00:00Z
NOW = T0 + 1_000  # the server clock in these tests
DEVICE = "L01-S03"  # an snls seat: 67 channels


def message(**changes: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "device": DEVICE,
        "seq": 7,
        "boot": 2,
        "sent_ts": T0,
        "readings": {
            "ch": ["stitch_count", 13, "motor_speed_spm"],
            "ts": [T0 - 200, T0 - 100, T0],
            "v": [5, 1, 2450.5],
        },
        "events": [{"ts": T0 - 50, "type": "state", "state": "running"}],
    }
    msg.update(changes)
    return msg


def readings(**changes: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"ch": [0, 1], "ts": [T0, T0 + 1], "v": [1.0, 2.0]}
    r.update(changes)
    return message(readings=r, events=[])


def rejected(raw: Any, factory: Factory, **kw: Any) -> RejectedMessage:
    with pytest.raises(RejectedMessage) as info:
        decode_message(raw, factory, received_ts_ms=NOW, **kw)
    assert info.value.reason in REJECTION_REASONS
    return info.value


def test_a_valid_message_becomes_columns_of_global_sensor_ids(factory: Factory) -> None:
    device = factory.devices_by_id[DEVICE]
    batch = decode_message(encode_message(message()), factory, received_ts_ms=NOW)

    index = device.machine_type.channel_index
    assert batch.key == (DEVICE, 2, 7)
    assert (batch.sent_ts_ms, batch.received_ts_ms) == (T0, NOW)
    assert batch.sensor_ids.tolist() == [
        device.sensor_base + index["stitch_count"],
        device.sensor_base + 13,
        device.sensor_base + index["motor_speed_spm"],
    ]
    assert batch.sensor_ids.dtype == np.int32
    assert batch.ts_ms.tolist() == [T0 - 200, T0 - 100, T0]
    assert batch.values.tolist() == [5.0, 1.0, 2450.5]
    assert [(e.device_id, e.ts_ms, e.type, e.data) for e in batch.events] == [
        (DEVICE, T0 - 50, "state", {"state": "running"})
    ]


@pytest.mark.parametrize("form", ["bytes", "str", "dict", "numpy"])
def test_every_input_form_decodes_alike(factory: Factory, form: str) -> None:
    msg = message(readings={"ch": [3, 4, 5], "ts": [T0, T0 + 1, T0 + 2], "v": [1, 2.5, -3]})
    raw: Any = {
        "bytes": encode_message(msg),
        "str": encode_message(msg).decode(),
        "dict": msg,
        "numpy": message(
            readings={
                "ch": np.array([3, 4, 5], np.int16),
                "ts": np.array([T0, T0 + 1, T0 + 2]),
                "v": np.array([1, 2.5, -3], np.float32),
            }
        ),
    }[form]
    batch = decode_message(raw, factory, received_ts_ms=NOW)
    base = factory.devices_by_id[DEVICE].sensor_base
    assert batch.sensor_ids.tolist() == [base + 3, base + 4, base + 5]
    assert batch.values.tolist() == [1.0, 2.5, -3.0]


def test_boot_defaults_to_zero_and_readings_and_events_are_optional(factory: Factory) -> None:
    batch = decode_message({"device": DEVICE, "seq": 0, "sent_ts": T0}, factory, received_ts_ms=NOW)
    assert batch.key == (DEVICE, 0, 0)
    assert len(batch) == 0
    assert batch.events == ()


def test_malformed_json_is_a_400_with_its_own_reason(factory: Factory) -> None:
    err = rejected(b'{"device": "L01-S03", "seq": ', factory)
    assert err.reason == "malformed_json"
    assert err.status_code == 400
    assert isinstance(err, SeamlineError)


def test_json_that_is_not_an_object_is_invalid(factory: Factory) -> None:
    err = rejected(b"[1, 2]", factory)
    assert (err.reason, err.status_code) == ("invalid_message", 422)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (readings(v=[1.0, "2.0"]), "readings.v[1]"),
        (readings(v=[1.0, True]), "readings.v[1]"),
        (readings(v=[1.0, None]), "readings.v[1]"),
        (readings(v=[1.0, math.nan]), "readings.v[1]"),
        (readings(v=[math.inf, 1.0]), "readings.v[0]"),
        (readings(v=np.array([1.0, np.nan])), "readings.v[1]"),
        (readings(v=[1.0, [2.0]]), "readings.v[1]"),
        (readings(ts=[T0, T0 + 0.5]), "readings.ts[1]"),
        (readings(ts=[T0, False]), "readings.ts[1]"),
        (readings(ts=[T0, str(T0)]), "readings.ts[1]"),
        (readings(ch=[0, True]), "readings.ch[1]"),
        (readings(ch=[0, 1.0]), "readings.ch[1]"),
        (readings(ch=[0, None]), "readings.ch[1]"),
        (readings(ch=[0, 1, 2]), "readings"),
        (readings(v=[1.0]), "readings"),
        (readings(ts="1795363200000"), "readings.ts"),
        (message(readings=[1, 2, 3]), "readings"),
        (message(seq=None), "seq"),
        (message(seq="7"), "seq"),
        (message(seq=-1), "seq"),
        (message(seq=1.5), "seq"),
        (message(seq=True), "seq"),
        (message(boot="2"), "boot"),
        (message(sent_ts=None), "sent_ts"),
        (message(device=None), "device"),
        (message(device=17), "device"),
        (message(events={"type": "heartbeat"}), "events"),
    ],
)
def test_wrong_types_are_invalid_messages_naming_the_field(factory: Factory, raw: Any, field: str) -> None:
    err = rejected(raw, factory)
    assert err.reason == "invalid_message"
    assert err.field == field
    assert field in err.message


def test_a_boolean_in_json_is_not_a_number(factory: Factory) -> None:
    raw = (
        b'{"device": "L01-S03", "seq": 1, "sent_ts": 1795363200000,'
        b' "readings": {"ch": [0, 1], "ts": [1795363200000, 1795363200000], "v": [1, true]}}'
    )
    assert rejected(raw, factory).field == "readings.v[1]"


def test_the_word_true_in_a_text_field_does_not_reject_good_readings(factory: Factory) -> None:
    msg = message(events=[{"ts": T0, "type": "fault", "code": 7, "severity": "warning", "text": "true"}])
    assert len(decode_message(encode_message(msg), factory, received_ts_ms=NOW)) == 3


def test_missing_seq_is_invalid(factory: Factory) -> None:
    msg = message()
    del msg["seq"]
    err = rejected(encode_message(msg), factory)
    assert (err.reason, err.field, err.device_id) == ("invalid_message", "seq", DEVICE)


def test_unknown_device(factory: Factory) -> None:
    err = rejected(message(device="L99-S99"), factory)
    assert (err.reason, err.device_id, err.field) == ("unknown_device", "L99-S99", "device")
    assert "factory file" in err.message


@pytest.mark.parametrize(
    ("ch", "field"),
    [
        (["stitch_count", "warp_drive_temp"], "readings.ch[1]"),
        ([0, 67], "readings.ch[1]"),  # the snls type has channels 0..66
        ([-1, 0], "readings.ch[0]"),
        (["stitch_count", 99], "readings.ch[1]"),
        ([2**40, 0], "readings.ch[0]"),
        (np.array([0, 67]), "readings.ch[1]"),
    ],
)
def test_unknown_channel_by_name_or_index(factory: Factory, ch: Any, field: str) -> None:
    err = rejected(readings(ch=ch), factory)
    assert (err.reason, err.field) == ("unknown_channel", field)


def test_channel_names_and_indices_may_mix(factory: Factory) -> None:
    base = factory.devices_by_id[DEVICE].sensor_base
    batch = decode_message(readings(ch=[1, "stitch_count"]), factory, received_ts_ms=NOW)
    assert batch.sensor_ids.tolist() == [base + 1, base + 0]


def test_topic_mismatch(factory: Factory) -> None:
    err = rejected(message(), factory, topic_device="L01-S04")
    assert err.reason == "topic_mismatch"
    assert "L01-S04" in err.message
    assert decode_message(message(), factory, received_ts_ms=NOW, topic_device=DEVICE).device_id == DEVICE


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (readings(ts=[T0, NOW + 5 * 60_000 + 1]), "far_future_timestamp"),
        (message(sent_ts=NOW + 3_600_000), "far_future_timestamp"),
        (message(events=[{"ts": NOW + 600_000, "type": "heartbeat"}]), "far_future_timestamp"),
        (readings(ts=[T0, 946_684_799_999]), "implausible_timestamp"),
        (message(sent_ts=0), "implausible_timestamp"),
        (message(events=[{"ts": 1234, "type": "heartbeat"}]), "implausible_timestamp"),
    ],
)
def test_timestamps_out_of_the_plausible_window(factory: Factory, raw: Any, reason: str) -> None:
    assert rejected(raw, factory).reason == reason


def test_the_window_edges_are_accepted(factory: Factory) -> None:
    edge = readings(ts=[946_684_800_000, NOW + 5 * 60_000])
    assert len(decode_message(edge, factory, received_ts_ms=NOW)) == 2


def test_out_of_order_timestamps_are_accepted(factory: Factory) -> None:
    batch = decode_message(readings(ts=[T0, T0 - 60_000]), factory, received_ts_ms=NOW)
    assert batch.ts_ms.tolist() == [T0, T0 - 60_000]


VALID_EVENTS: list[dict[str, Any]] = [
    {"type": "state", "state": "fault"},
    {"type": "fault", "code": 112, "severity": "error", "text": "thread jam"},
    {"type": "fault_cleared", "code": 112},
    {"type": "counter_reset", "channel": "stitch_count"},
    {
        "type": "scan",
        "bundle": "PO-1-B0001",
        "operation": "P020",
        "operator": "L01-OP04",
        "workstation": DEVICE,
        "pieces": 20,
    },
    {"type": "badge", "operator": "L01-OP04", "action": "login", "workstation": DEVICE},
    {"type": "downtime", "reason": "thread_break", "workstation": DEVICE},
    {"type": "downtime", "reason": "meeting", "workstation": DEVICE, "duration_s": 600},
    {
        "type": "inspection",
        "kind": "inline",
        "bundle": "PO-1-B0001",
        "operation": "P020",
        "operator": "L01-OP04",
        "workstation": DEVICE,
        "checked": 7,
        "defective": 1,
        "defects": [{"code": "broken_stitch", "count": 1, "severity": "major"}],
    },
    {
        "type": "inspection",
        "kind": "end_of_line",
        "bundle": "PO-1-B0001",
        "operator": "L01-QC01",
        "workstation": DEVICE,
        "checked": 20,
        "defective": 0,
        "defects": [],
    },
    {"type": "heartbeat"},
]


@pytest.mark.parametrize("event", VALID_EVENTS, ids=lambda e: str(e["type"]))
def test_each_event_type_is_accepted_with_its_fields(factory: Factory, event: dict[str, Any]) -> None:
    batch = decode_message(message(events=[{"ts": T0, **event}]), factory, received_ts_ms=NOW)
    (got,) = batch.events
    assert got.type == event["type"]
    assert got.data == {k: v for k, v in event.items() if k != "type"}


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "state", "state": "sleeping"}, "events[0].state"),
        ({"type": "state"}, "events[0].state"),
        ({"type": "fault", "code": "E12", "severity": "error"}, "events[0].code"),
        ({"type": "fault", "code": 12, "severity": "fatal"}, "events[0].severity"),
        (
            {"type": "scan", "bundle": "B1", "operation": "P020", "operator": "OP", "workstation": "W"},
            "events[0].pieces",
        ),
        (
            {
                "type": "scan",
                "bundle": "B1",
                "operation": "P020",
                "operator": "OP",
                "workstation": "W",
                "pieces": -1,
            },
            "events[0].pieces",
        ),
        ({"type": "badge", "operator": "OP", "action": "enter", "workstation": "W"}, "events[0].action"),
        ({"type": "downtime", "reason": "lunch", "workstation": "W"}, "events[0].reason"),
        (
            {"type": "downtime", "reason": "meeting", "workstation": "W", "duration_s": "long"},
            "events[0].duration_s",
        ),
        (
            {
                "type": "inspection",
                "kind": "inline",
                "bundle": "B",
                "operator": "O",
                "workstation": "W",
                "checked": 1,
                "defective": 0,
                "defects": [],
            },
            "events[0].operation",
        ),
        (
            {
                "type": "inspection",
                "kind": "inline",
                "bundle": "B",
                "operation": "P",
                "operator": "O",
                "workstation": "W",
                "checked": 1,
                "defective": 1,
                "defects": [{"code": "x"}],
            },
            "events[0].defects",
        ),
        ({"type": "teleport"}, "events[0].type"),
        ({"state": "idle"}, "events[0].type"),
    ],
)
def test_an_event_missing_or_mistyping_a_field_is_invalid(
    factory: Factory, event: dict[str, Any], field: str
) -> None:
    err = rejected(message(events=[{"ts": T0, **event}]), factory)
    assert (err.reason, err.field) == ("invalid_message", field)


def test_an_event_without_a_timestamp_is_invalid(factory: Factory) -> None:
    err = rejected(message(events=[{"type": "heartbeat"}]), factory)
    assert (err.reason, err.field) == ("invalid_message", "events[0].ts")


def test_a_counter_reset_must_name_a_channel_of_the_device(factory: Factory) -> None:
    err = rejected(message(events=[{"ts": T0, "type": "counter_reset", "channel": "flux_count"}]), factory)
    assert (err.reason, err.field) == ("unknown_channel", "events[0].channel")


def test_a_rejection_says_what_where_and_what_to_do(factory: Factory) -> None:
    err = rejected(message(sent_ts=NOW + 3_600_000), factory)
    assert DEVICE in err.message
    assert "seq 7" in err.message
    assert "sent_ts" in err.message
    assert "fix the device clock" in err.message
    assert err.details() == {"device_id": DEVICE, "field": "sent_ts", "seq": 7}


def test_build_and_encode_produce_the_documented_wire_format(factory: Factory) -> None:
    msg = build_message(
        DEVICE,
        seq=3,
        sent_ts_ms=T0,
        channels=np.array([0, 1]),
        ts_ms=np.array([T0, T0]),
        values=np.array([1.5, 2.0]),
        events=[{"ts": T0, "type": "heartbeat"}],
    )
    doc = orjson.loads(encode_message(msg))
    assert doc == {
        "device": DEVICE,
        "seq": 3,
        "boot": 0,
        "sent_ts": T0,
        "readings": {"ch": [0, 1], "ts": [T0, T0], "v": [1.5, 2.0]},
        "events": [{"ts": T0, "type": "heartbeat"}],
    }
    assert decode_message(encode_message(msg), factory, received_ts_ms=NOW).values.tolist() == [1.5, 2.0]
