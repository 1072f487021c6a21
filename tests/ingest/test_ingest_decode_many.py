"""Decoding many messages at once (``decode_messages``) gives what one at a time gives, rejections too."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seamline.ingest import DeviceBatch, RejectedMessage, decode_message, encode_message
from seamline.ingest.binary import encode_binary
from seamline.ingest.decode import decode_messages
from seamline.model.factory import Factory

T0 = 1_795_363_200_000
NOW = T0 + 1_000
I64 = 2**63 - 1


def frame(device: str = "L01-S03", **changes: Any) -> bytes:
    fields: dict[str, Any] = {
        "seq": 7,
        "boot": 2,
        "sent_ts_ms": T0,
        "channels": [0, 13, 66],
        "ts_ms": [T0 - 200, T0 - 100, T0],
        "values": [5.0, 1.0, 2450.5],
    }
    fields.update(changes)
    return encode_binary(device, **fields)


def patched(raw: bytes, offset: int, fmt: str, value: Any) -> bytes:
    out = bytearray(raw)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def one_at_a_time(
    raws: list[Any], factory: Factory, topics: list[str | None]
) -> list[DeviceBatch | RejectedMessage]:
    out: list[DeviceBatch | RejectedMessage] = []
    for raw, topic in zip(raws, topics, strict=True):
        try:
            out.append(decode_message(raw, factory, received_ts_ms=NOW, topic_device=topic))
        except RejectedMessage as err:
            out.append(err)
    return out


def assert_same(got: list[DeviceBatch | RejectedMessage], want: list[DeviceBatch | RejectedMessage]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        if isinstance(w, RejectedMessage):
            assert isinstance(g, RejectedMessage)
            assert (g.reason, g.field, g.device_id, g.seq, g.message) == (
                w.reason,
                w.field,
                w.device_id,
                w.seq,
                w.message,
            )
            continue
        assert isinstance(g, DeviceBatch)
        assert (g.device_id, g.boot, g.seq, g.sent_ts_ms, g.received_ts_ms, g.events) == (
            w.device_id,
            w.boot,
            w.seq,
            w.sent_ts_ms,
            w.received_ts_ms,
            w.events,
        )
        for a, b in ((g.sensor_ids, w.sensor_ids), (g.ts_ms, w.ts_ms), (g.values, w.values)):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


BROKEN = [
    frame(channels=[0, 67, 1]),  # unknown channel
    frame(values=[1.0, float("nan"), 2.0]),
    frame(ts_ms=[T0, T0, T0 + 10 * 60_000]),  # far future
    frame(ts_ms=[T0, 5, T0]),  # implausible
    patched(frame(), 32, "<q", I64 - 10),  # ts_base near the end of i64
    frame(sent_ts_ms=T0 + 3_600_000),
    frame(device="L99-S99"),
    patched(frame(), 8, "<q", -1),  # negative seq
    patched(frame(), 48, "<B", 0xFF),  # device id not UTF-8
    frame()[:-1],
    frame() + b"\0",
    frame(events=[{"ts": T0, "type": "teleport"}]),
]


def test_one_broken_frame_among_good_ones_is_rejected_as_alone(factory: Factory) -> None:
    for broken in BROKEN:
        raws: list[Any] = [
            frame(seq=1),
            frame("L01-S04", seq=2),
            broken,
            frame(seq=3, channels=[], ts_ms=[], values=[]),
        ]
        topics: list[str | None] = [None, "L01-S04", None, "L01-S03"]
        got = decode_messages(raws, factory, received_ts_ms=NOW, topic_devices=topics)
        assert_same(got, one_at_a_time(raws, factory, topics))
        assert isinstance(got[2], RejectedMessage)
        assert [isinstance(g, DeviceBatch) for g in got] == [True, True, False, True]


def test_json_events_and_topic_mismatches_mix_with_frames(factory: Factory) -> None:
    json_message = encode_message(
        {"device": "L01-S03", "seq": 9, "sent_ts": T0, "readings": {"ch": [0], "ts": [T0], "v": [1.5]}}
    )
    raws: list[Any] = [
        frame(seq=1),
        json_message,
        frame(seq=2, events=[{"ts": T0, "type": "counter_reset", "channel": 0}]),
        frame(seq=3),
        memoryview(frame(seq=4, ts_ms=[T0 - 2**40, T0, T0])),  # absolute i64 timestamps, in a view
    ]
    topics: list[str | None] = ["L01-S03", "L01-S03", None, "L01-S04", None]
    got = decode_messages(raws, factory, received_ts_ms=NOW, topic_devices=topics)
    assert_same(got, one_at_a_time(raws, factory, topics))
    assert isinstance(got[3], RejectedMessage)
    assert got[3].reason == "topic_mismatch"
    assert isinstance(got[2], DeviceBatch)
    assert len(got[2].events) == 1


@st.composite
def frames(draw: st.DrawFn, factory: Factory) -> bytes:
    device = draw(st.sampled_from(factory.devices[:20]))
    n = draw(st.integers(0, 40))
    channels = draw(st.lists(st.integers(0, device.sensor_count - 1), min_size=n, max_size=n))
    ts = draw(st.lists(st.integers(T0 - 10**9, NOW), min_size=n, max_size=n))
    values = draw(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=n, max_size=n))
    return encode_binary(
        device.id,
        seq=draw(st.integers(0, 2**40)),
        boot=draw(st.integers(0, 5)),
        sent_ts_ms=draw(st.integers(T0 - 10**6, NOW)),
        channels=channels,
        ts_ms=ts,
        values=values,
    )


def test_valid_frames_decode_alike_together_and_alone(factory: Factory) -> None:
    @given(raws=st.lists(frames(factory), max_size=12))
    @settings(max_examples=100)
    def check(raws: list[bytes]) -> None:
        topics: list[str | None] = [None] * len(raws)
        got = decode_messages(raws, factory, received_ts_ms=NOW, topic_devices=topics)
        assert_same(got, one_at_a_time(list(raws), factory, topics))
        assert all(isinstance(g, DeviceBatch) for g in got)

    check()
