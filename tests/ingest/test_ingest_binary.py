"""The binary message format (docs/telemetry.md, "Binary messages"): codec, rejections, HTTP, MQTT."""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import wait_for

from seamline.errors import SeamlineError
from seamline.ingest import (
    REJECTION_REASONS,
    HttpPublisher,
    Ingestor,
    MqttIngest,
    MqttPublisher,
    RejectedMessage,
    build_message,
    decode_message,
    encode_message,
    router,
)
from seamline.ingest.binary import (
    CONTENT_TYPE,
    HEADER_SIZE,
    MAGIC,
    BinaryFrameError,
    encode_binary,
    encode_binary_message,
    parse_frame,
    split_frames,
    stamp_sent_ts,
)
from seamline.model.factory import Factory
from seamline.store import DuckDBStore

T0 = 1_795_363_200_000  # 2026-11-22T16:00:00Z
NOW = T0 + 1_000
DEVICE = "L01-S03"  # 67 channels
I64 = 2**63 - 1


def frame(**changes: Any) -> bytes:
    fields: dict[str, Any] = {
        "seq": 7,
        "boot": 2,
        "sent_ts_ms": T0,
        "channels": [0, 13, 66],
        "ts_ms": [T0 - 200, T0 - 100, T0],
        "values": [5.0, 1.0, 2450.5],
    }
    fields.update(changes)
    return encode_binary(fields.pop("device_id", DEVICE), **fields)


def patched(raw: bytes, offset: int, fmt: str, value: Any) -> bytes:
    out = bytearray(raw)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def with_events_section(events: bytes) -> bytes:
    """A frame whose events section holds exactly ``events`` (which may be anything)."""
    return patched(frame() + events, 44, "<I", len(events))


def rejected(raw: Any, factory: Factory, **kw: Any) -> RejectedMessage:
    with pytest.raises(RejectedMessage) as info:
        decode_message(raw, factory, received_ts_ms=NOW, **kw)
    assert info.value.reason in REJECTION_REASONS
    return info.value


# -- the codec -------------------------------------------------------------------------------

device_ids = st.text(min_size=1, max_size=60).filter(lambda s: 0 < len(s.encode()) <= 255)
finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def columns(draw: st.DrawFn) -> tuple[list[int], list[int], list[float]]:
    n = draw(st.integers(0, 50))
    wide = draw(st.booleans())  # timestamps spanning more than a u32 of ms: stored as absolute i64
    lo = draw(st.integers(-(2**62), 2**62))
    span = 2**40 if wide else 2**32 - 1
    ts = draw(st.lists(st.integers(lo, lo + span), min_size=n, max_size=n))
    ch = draw(st.lists(st.integers(0, 65535), min_size=n, max_size=n))
    v = draw(st.lists(finite, min_size=n, max_size=n))
    return ch, ts, v


@given(
    device=device_ids,
    seq=st.integers(0, I64),
    boot=st.integers(0, I64),
    sent=st.integers(-(2**63), I64),
    cols=columns(),
    events=st.lists(st.fixed_dictionaries({"ts": st.integers(0, 2**53), "type": st.just("heartbeat")})),
)
@settings(max_examples=200, deadline=None)
def test_frames_round_trip(
    device: str,
    seq: int,
    boot: int,
    sent: int,
    cols: tuple[list[int], list[int], list[float]],
    events: list[dict[str, Any]],
) -> None:
    ch, ts, v = cols
    raw = encode_binary(
        device, seq=seq, boot=boot, sent_ts_ms=sent, channels=ch, ts_ms=ts, values=v, events=events
    )
    f = parse_frame(raw)

    assert (f.device_id, f.seq, f.boot, f.sent_ts_ms, f.size) == (device, seq, boot, sent, len(raw))
    assert f.channels.tolist() == ch
    assert f.ts_ms.tolist() == ts
    assert f.values.tobytes() == np.asarray(v, np.float64).tobytes()  # bit for bit, -0.0 included
    assert orjson.loads(f.events_json or b"[]") == events
    assert raw[:4] == MAGIC


@given(cols=columns())
@settings(max_examples=50, deadline=None)
def test_the_packed_layout_costs_14_bytes_a_reading_when_timestamps_are_close(
    cols: tuple[list[int], list[int], list[float]],
) -> None:
    ch, ts, v = cols
    raw = encode_binary(DEVICE, seq=1, sent_ts_ms=T0, channels=ch, ts_ms=ts, values=v)
    n = len(ts)
    close = n == 0 or max(ts) - min(ts) < 2**32
    per_reading = 14 if close else 18
    assert HEADER_SIZE + 8 + per_reading * n <= len(raw) <= HEADER_SIZE + 8 + per_reading * n + 4


@given(seqs=st.lists(st.integers(0, 1000), min_size=1, max_size=8))
@settings(max_examples=50, deadline=None)
def test_a_body_of_frames_splits_back_into_them(seqs: list[int]) -> None:
    frames = [frame(seq=s, channels=[s % 67], ts_ms=[T0], values=[float(s)]) for s in seqs]
    parts = split_frames(b"".join(frames))
    assert [bytes(p) for p in parts] == frames


def test_a_truncated_or_foreign_body_does_not_split() -> None:
    with pytest.raises(BinaryFrameError, match="needs"):
        split_frames(frame() + frame()[:-1])
    with pytest.raises(BinaryFrameError, match="does not start"):
        split_frames(frame() + b"{}")
    with pytest.raises(BinaryFrameError, match="header"):
        split_frames(frame()[:20])
    assert split_frames(b"") == []


def test_the_encoder_refuses_what_the_format_cannot_carry() -> None:
    with pytest.raises(ValueError, match="channel indices"):
        encode_binary(DEVICE, seq=1, sent_ts_ms=T0, channels=[70000], ts_ms=[T0], values=[1.0])
    with pytest.raises(ValueError, match="differ in length"):
        encode_binary(DEVICE, seq=1, sent_ts_ms=T0, channels=[1, 2], ts_ms=[T0], values=[1.0])
    with pytest.raises(ValueError, match="device id"):
        encode_binary("x" * 256, seq=1, sent_ts_ms=T0)
    named = build_message(DEVICE, seq=1, sent_ts_ms=T0, channels=["stitch_count"], ts_ms=[T0], values=[1])
    with pytest.raises(ValueError, match="channel_index"):
        encode_binary_message(named)


def test_a_publisher_stamps_sent_ts_in_place() -> None:
    raw = bytearray(frame())
    stamp_sent_ts(raw, T0 + 42)
    assert parse_frame(raw).sent_ts_ms == T0 + 42


# -- decoding: the same batch as JSON, and every rejection reason -----------------------------


def test_binary_and_json_decode_to_the_same_batch(factory: Factory) -> None:
    events = [{"ts": T0 - 50, "type": "state", "state": "running"}]
    msg = build_message(
        DEVICE, seq=7, boot=2, sent_ts_ms=T0, channels=[0, 13, 66], ts_ms=[T0 - 200, T0 - 100, T0],
        values=[5.0, 1.0, 2450.5], events=events,
    )  # fmt: skip
    from_json = decode_message(encode_message(msg), factory, received_ts_ms=NOW, topic_device=DEVICE)
    from_binary = decode_message(encode_binary_message(msg), factory, received_ts_ms=NOW, topic_device=DEVICE)

    for b in (from_json, from_binary):
        assert (b.key, b.sent_ts_ms, b.received_ts_ms) == ((DEVICE, 2, 7), T0, NOW)
    assert from_binary.sensor_ids.dtype == np.int32
    assert from_binary.sensor_ids.tolist() == from_json.sensor_ids.tolist()
    assert from_binary.ts_ms.tolist() == from_json.ts_ms.tolist()
    assert from_binary.values.tolist() == from_json.values.tolist()
    assert from_binary.events == from_json.events


def test_channel_names_map_to_indices_when_encoding(factory: Factory) -> None:
    device = factory.devices_by_id[DEVICE]
    msg = build_message(DEVICE, seq=1, sent_ts_ms=T0, channels=["stitch_count"], ts_ms=[T0], values=[3])
    raw = encode_binary_message(msg, channel_index=device.machine_type.channel_index)
    batch = decode_message(raw, factory, received_ts_ms=NOW)
    assert batch.sensor_ids.tolist() == [
        device.sensor_base + device.machine_type.channel_index["stitch_count"]
    ]


def test_a_frame_may_hold_no_readings(factory: Factory) -> None:
    raw = frame(channels=[], ts_ms=[], values=[], events=[{"ts": T0, "type": "heartbeat"}])
    batch = decode_message(raw, factory, received_ts_ms=NOW)
    assert len(batch) == 0
    assert [e.type for e in batch.events] == ["heartbeat"]


REJECTIONS: list[tuple[str, Callable[[], bytes], str, str | None]] = [
    # (reason, frame, field named, topic device)
    ("malformed_json", lambda: with_events_section(b"[{"), "events", None),
    ("invalid_message", lambda: frame()[:-1], "readings", None),
    ("invalid_message", lambda: frame() + b"\0", "readings", None),
    ("invalid_message", lambda: frame()[:30], "header", None),
    ("invalid_message", lambda: patched(frame(), 4, "<B", 2), "version", None),
    ("invalid_message", lambda: patched(frame(), 5, "<B", 0x81), "flags", None),
    ("invalid_message", lambda: patched(frame(), 48, "<B", 0xFF), "device", None),
    ("invalid_message", lambda: patched(frame(), 8, "<q", -1), "seq", None),
    ("invalid_message", lambda: patched(frame(), 16, "<q", -5), "boot", None),
    ("invalid_message", lambda: frame(values=[1.0, float("nan"), 2.0]), "readings.v[1]", None),
    ("invalid_message", lambda: frame(values=[1.0, 2.0, float("-inf")]), "readings.v[2]", None),
    ("invalid_message", lambda: with_events_section(b'{"ts": 1}'), "events", None),
    ("invalid_message", lambda: frame(events=[{"ts": T0, "type": "teleport"}]), "events[0].type", None),
    ("unknown_device", lambda: frame(device_id="L99-S99"), "device", None),
    ("unknown_channel", lambda: frame(channels=[0, 67, 1]), "readings.ch[1]", None),
    (
        "unknown_channel",
        lambda: frame(events=[{"ts": T0, "type": "counter_reset", "channel": "warp_drive"}]),
        "events[0].channel",
        None,
    ),
    ("topic_mismatch", frame, "device", "L01-S04"),
    ("far_future_timestamp", lambda: frame(ts_ms=[T0, T0, T0 + 10 * 60_000]), "readings.ts", None),
    ("far_future_timestamp", lambda: frame(sent_ts_ms=T0 + 3_600_000), "sent_ts", None),
    ("far_future_timestamp", lambda: patched(frame(), 32, "<q", I64 - 10), "readings.ts", None),
    ("far_future_timestamp", lambda: frame(ts_ms=[T0, I64 - 1, T0]), "readings.ts", None),  # absolute i64
    ("implausible_timestamp", lambda: frame(ts_ms=[T0, 5, T0]), "readings.ts", None),
    ("implausible_timestamp", lambda: frame(sent_ts_ms=-1), "sent_ts", None),
]


@pytest.mark.parametrize(("reason", "make", "field", "topic"), REJECTIONS)
def test_each_broken_frame_is_rejected_with_its_reason(
    factory: Factory, reason: str, make: Callable[[], bytes], field: str, topic: str | None
) -> None:
    err = rejected(make(), factory, topic_device=topic)
    assert err.reason == reason
    assert err.field == field
    assert err.message  # says what is wrong
    if reason not in ("invalid_message", "malformed_json") or field in ("seq", "boot", "readings.v[1]"):
        assert err.device_id in (DEVICE, "L99-S99", topic)


def test_every_rejection_reason_applies_to_binary_too() -> None:
    assert {r for r, *_ in REJECTIONS} == set(REJECTION_REASONS)


def test_a_rejection_names_device_and_seq(factory: Factory) -> None:
    err = rejected(frame(channels=[0, 99, 1]), factory)
    assert (err.device_id, err.seq, err.field) == (DEVICE, 7, "readings.ch[1]")
    assert "L01-S03" in err.message
    assert "seq 7" in err.message
    assert "0..66" in err.message


def test_text_that_is_not_json_mentions_the_binary_magic(factory: Factory) -> None:
    err = rejected(b"\x00\x01", factory)
    assert err.reason == "malformed_json"
    assert "binary" in err.message


# -- over HTTP -------------------------------------------------------------------------------


class SyncASGITransport(httpx.BaseTransport):
    """Serves a synchronous httpx client from the ASGI app (no TestClient: warnings are errors)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            inner = httpx.Request(
                request.method, request.url, headers=request.headers, content=request.read()
            )
            resp = await httpx.ASGITransport(app=self.app).handle_async_request(inner)
            return httpx.Response(resp.status_code, headers=resp.headers, content=await resp.aread())

        return asyncio.run(send())


@pytest.fixture
def app(tmp_path: Path, factory: Factory) -> Iterator[FastAPI]:
    app = FastAPI()
    app.include_router(router)

    @app.exception_handler(SeamlineError)
    async def seamline_error(request: Request, exc: SeamlineError) -> JSONResponse:
        body = {"error": {"reason": exc.reason, "message": exc.message, "details": exc.details()}}
        return JSONResponse(body, status_code=exc.status_code)

    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.02) as ingestor,
    ):
        app.state.store = store
        app.state.ingestor = ingestor
        yield app


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://testserver") as c:
        yield c


def post(client: httpx.Client, body: bytes, content_type: str = CONTENT_TYPE) -> httpx.Response:
    return client.post("/api/v1/ingest", content=body, headers={"Content-Type": content_type})


def test_frames_over_http_are_stored_once_and_answered_after_the_commit(
    client: httpx.Client, app: FastAPI
) -> None:
    body = b"".join(frame(seq=s) for s in range(5))
    first = post(client, body)
    again = post(client, body)

    assert first.status_code == again.status_code == 200
    assert first.json() == {"accepted": 5, "duplicates": 0, "rejected": []}
    assert again.json() == {"accepted": 0, "duplicates": 5, "rejected": []}
    assert (app.state.store.message_count(), app.state.store.reading_count()) == (5, 15)


def test_binary_is_known_by_its_first_byte_or_its_content_type(client: httpx.Client, app: FastAPI) -> None:
    assert post(client, frame(seq=1), "application/octet-stream").json()["accepted"] == 1
    json_as_binary = post(client, encode_message(build_message(DEVICE, seq=2, sent_ts_ms=T0)))
    assert json_as_binary.status_code == 422
    assert json_as_binary.json()["error"]["reason"] == "invalid_message"
    assert MAGIC[1:].decode() in json_as_binary.json()["error"]["message"]
    assert app.state.store.message_count() == 1


def test_a_body_of_frames_stores_the_valid_ones_and_lists_the_rest(
    client: httpx.Client, app: FastAPI
) -> None:
    body = (
        frame(seq=1) + frame(seq=2, device_id="L99-S99") + frame(seq=3, channels=[0, 1, 500]) + frame(seq=4)
    )
    got = post(client, body).json()

    assert (got["accepted"], got["duplicates"]) == (2, 0)
    assert [(r["index"], r["reason"]) for r in got["rejected"]] == [
        (1, "unknown_device"),
        (2, "unknown_channel"),
    ]
    assert app.state.store.message_count() == 2


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (frame(seq=1, device_id="L99-S99"), 422, "unknown_device"),
        (frame()[:-3], 422, "invalid_message"),
        (frame() + b"[1]", 422, "invalid_message"),
        (b"", 422, "invalid_message"),
        (with_events_section(b"nope"), 400, "malformed_json"),
    ],
)
def test_one_bad_frame_is_an_error_in_the_error_shape(
    client: httpx.Client, body: bytes, status: int, reason: str
) -> None:
    resp = post(client, body)
    assert resp.status_code == status
    assert resp.json()["error"]["reason"] == reason
    assert set(resp.json()["error"]["details"]) == {"device_id", "field", "seq"}


def test_the_http_publisher_sends_binary(client: httpx.Client, app: FastAPI) -> None:
    messages = [
        build_message(DEVICE, seq=s, sent_ts_ms=T0, channels=[0, 1], ts_ms=[T0, T0], values=[1.0, 2.0])
        for s in (1, 2, 2)
    ]
    with HttpPublisher("http://testserver", client=client, format="binary") as publisher:
        receipt = publisher.publish(messages)
    assert receipt == {"accepted": 2, "duplicates": 1, "rejected": []}
    assert app.state.store.reading_count() == 4


# -- over MQTT (the real broker) ---------------------------------------------------------------


@pytest.mark.mqtt
def test_binary_and_json_share_the_topic_and_are_stored_once(
    mosquitto_url: str, mqtt_namespace: str, factory: Factory, tmp_path: Path
) -> None:
    devices = [d.id for d in factory.devices[:8]]
    messages = [
        build_message(
            d, seq=s, sent_ts_ms=T0, channels=[0, 1, 2], ts_ms=[T0, T0 + 1, T0 + 2], values=[1, 2, 3]
        )
        for d in devices
        for s in range(4)
    ]
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
    ):
        sub = MqttIngest(
            mosquitto_url,
            ingestor,
            topic_prefix=mqtt_namespace,
            client_id=f"seamline-test-{uuid.uuid4().hex[:12]}",
            session_expiry_s=30,
        )
        sub.start()
        try:
            assert sub.wait_subscribed(10)
            with (
                MqttPublisher(
                    mosquitto_url, factory.site_id, topic_prefix=mqtt_namespace, format="binary"
                ) as pub,
                MqttPublisher(mosquitto_url, factory.site_id, topic_prefix=mqtt_namespace) as json_pub,
            ):
                pub.publish(messages[::2])
                json_pub.publish(messages[1::2])
                pub.publish(messages[:3])  # resent, in the other format for one of them
                pub.publish_payload(devices[0], frame(device_id=devices[0])[:-1])  # truncated
                pub.publish_payload(devices[1], frame(device_id=devices[0]))  # on another device's topic
                assert pub.wait_published(10)
                assert json_pub.wait_published(10)
            total = len(messages) + 3 + 2
            wait_for(lambda: ingestor.stats()["received"].get("mqtt", 0) == total, "every message")
            wait_for(lambda: ingestor.stats()["queue_depth"] == 0, "the last commit")
        finally:
            sub.stop()
        stats = ingestor.stats()
        assert store.message_count() == len(messages)
        assert store.reading_count() == 3 * len(messages)
    assert stats["duplicates"] == 3
    assert stats["rejected"]["invalid_message"] == 1
    assert stats["rejected"]["topic_mismatch"] == 1
