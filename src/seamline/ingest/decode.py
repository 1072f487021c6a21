"""Decode and validate telemetry messages (docs/telemetry.md, version 1) into DeviceBatches.

The hot path is columnar: the three reading arrays become numpy columns in one step each, types
are checked per column (``set(map(type, column))`` runs in C), and channel names or indices become
global sensor ids with a vectorised bounds check. No Python object is built per reading.

Binary messages (first byte 0xB5, see :mod:`seamline.ingest.binary`) are parsed into the same
columns without JSON and then validated by the same code, so both formats reject alike. The
field-by-field checks are in :mod:`seamline.ingest._validator`, the rejections and timestamp limits
in :mod:`seamline.ingest.rejection`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from seamline.ingest._validator import EMPTY_F64, EMPTY_I32, EMPTY_I64, Validator
from seamline.ingest.binary import (
    FLAG_TS_OFFSETS,
    HEADER,
    HEADER_SIZE,
    MAGIC,
    MAGIC_BYTE,
    MAX_TS_BASE,
    VERSION,
    BinaryFrameError,
    Frame,
    is_binary,
    parse_frame,
)
from seamline.ingest.rejection import (
    EARLIEST_TS_MS,
    FUTURE_TOLERANCE_MS,
    REJECTION_REASONS,
    IngestError,
    RejectedMessage,
    frame_rejection,
    json_type,
)
from seamline.model.factory import Device, Factory
from seamline.telemetry import DeviceBatch

__all__ = [
    "EARLIEST_TS_MS",
    "FUTURE_TOLERANCE_MS",
    "REJECTION_REASONS",
    "IngestError",
    "RejectedMessage",
    "build_message",
    "decode_message",
    "decode_messages",
    "encode_message",
    "frame_rejection",
]


def decode_message(
    raw: bytes | bytearray | memoryview | str | Mapping[str, Any],
    factory: Factory,
    *,
    received_ts_ms: int,
    topic_device: str | None = None,
) -> DeviceBatch:
    """Check one message against the wire format and the factory; return it as columns.

    ``raw`` is the JSON text, a binary frame (bytes starting with 0xB5), or the already-parsed
    object (the in-process simulator's path; its reading columns may then be numpy arrays).
    ``topic_device`` is the device named by the MQTT topic, which must match the body. Raises
    :class:`RejectedMessage`.

    >>> from seamline.model.loader import load_factory
    >>> b = decode_message(b'{"device": "L01-S03", "seq": 1, "sent_ts": 1795363200123,'
    ...     b' "readings": {"ch": ["stitch_count", 0], "ts": [1795363200000, 1795363200100],'
    ...     b' "v": [10, 11]}}', load_factory(), received_ts_ms=1795363200200)
    >>> b.sensor_ids.tolist(), b.values.tolist()
    ([138, 138], [10.0, 11.0])
    """
    from_json = False
    if is_binary(raw):
        frame, frame_doc = _binary_document(raw, topic_device)  # type: ignore[arg-type]  # is_binary checked
        return Validator(frame_doc, factory, received_ts_ms, topic_device, from_json=False).frame_batch(frame)
    if isinstance(raw, bytes | bytearray | memoryview | str):
        if isinstance(raw, memoryview):
            raw = bytes(raw)
        try:
            doc, from_json = orjson.loads(raw), True
        except orjson.JSONDecodeError as exc:
            raise RejectedMessage(
                "malformed_json",
                f"the message is not JSON ({exc}); send one JSON object per message, UTF-8 encoded"
                f" (or a binary message, which starts with {MAGIC!r})",
                device_id=topic_device,
            ) from None
    else:
        doc = raw
    if not isinstance(doc, Mapping):
        raise RejectedMessage(
            "invalid_message",
            f"a message must be a JSON object, got {json_type(doc)}; see docs/telemetry.md",
            device_id=topic_device,
        )
    return Validator(doc, factory, received_ts_ms, topic_device, from_json=from_json).batch()


def decode_messages(
    raws: Sequence[bytes | bytearray | memoryview | str | Mapping[str, Any]],
    factory: Factory,
    *,
    received_ts_ms: int,
    topic_devices: Iterable[str | None],
) -> list[DeviceBatch | RejectedMessage]:
    """:func:`decode_message` for many messages at once: each one's batch, or why it was rejected.

    Binary frames without events are checked together, column by column over all of them (values
    finite, channels in range, timestamps plausible), which costs a few numpy calls per call rather
    than a dozen per message; their batches are slices of the joined columns. Anything else, and
    every frame of a call whose joint check fails, goes through :func:`decode_message`, so the
    outcome, and the words of each rejection, are the same as one message at a time.
    """
    out: list[DeviceBatch | RejectedMessage | None] = []
    topics: list[str | None] = []
    group = _FrameGroup(factory, received_ts_ms)
    for i, (raw, topic) in enumerate(zip(raws, topic_devices, strict=False)):
        topics.append(topic)
        if isinstance(raw, bytes | bytearray | memoryview) and group.add(i, raw, topic):
            out.append(None)
        else:
            out.append(_decode_one(raw, factory, received_ts_ms, topic))
    if group.indices and not group.finish(out):
        for i in group.indices:
            out[i] = _decode_one(raws[i], factory, received_ts_ms, topics[i])
    return out  # type: ignore[return-value]  # every None was filled in


def _decode_one(
    raw: bytes | bytearray | memoryview | str | Mapping[str, Any],
    factory: Factory,
    received_ts_ms: int,
    topic: str | None,
) -> DeviceBatch | RejectedMessage:
    try:
        return decode_message(raw, factory, received_ts_ms=received_ts_ms, topic_device=topic)
    except RejectedMessage as err:
        return err


class _FrameGroup:
    """Binary frames whose headers passed every check, their columns to be checked together."""

    def __init__(self, factory: Factory, received_ts_ms: int) -> None:
        self.devices_by_id = factory.devices_by_id
        self.received_ts_ms = received_ts_ms
        self.latest_ms = received_ts_ms + FUTURE_TOLERANCE_MS
        self.indices: list[int] = []
        self.heads: list[tuple[Device, int, int, int]] = []  # device, seq, boot, sent_ts
        self.counts: list[int] = []
        self.ts_bases: list[int] = []
        self.values: list[npt.NDArray[np.float64]] = []
        self.ts: list[npt.NDArray[np.int64] | npt.NDArray[np.uint32]] = []
        self.channels: list[npt.NDArray[np.uint16]] = []

    def add(self, i: int, raw: bytes | bytearray | memoryview, topic: str | None) -> bool:
        """Take frame ``i`` if its header is valid, it has no events and its device is known."""
        size = len(raw)
        if size < HEADER_SIZE or raw[0] != MAGIC_BYTE:
            return False
        magic, version, flags, dev_len, reserved, seq, boot, sent_ts, ts_base, n, ev_len = HEADER.unpack_from(
            raw
        )
        if (
            magic != MAGIC
            or version != VERSION
            or flags & ~FLAG_TS_OFFSETS
            or reserved
            or ev_len
            or not dev_len
            or seq < 0
            or boot < 0
            or not EARLIEST_TS_MS <= sent_ts <= self.latest_ms
        ):
            return False
        v_at = HEADER_SIZE + dev_len + (-dev_len % 8)
        ts_bytes = (4 if flags else 8) * n
        ts_at = v_at + 8 * n
        ch_at = ts_at + ts_bytes + (-ts_bytes % 8)
        if ch_at + 2 * n != size or (flags and ts_base > MAX_TS_BASE):
            return False
        try:
            device_id = str(raw[HEADER_SIZE : HEADER_SIZE + dev_len], "utf-8")
        except UnicodeDecodeError:
            return False
        device = self.devices_by_id.get(device_id)
        if device is None or (topic is not None and topic != device_id):
            return False
        self.indices.append(i)
        self.heads.append((device, seq, boot, sent_ts))
        self.counts.append(n)
        self.ts_bases.append(ts_base if flags else 0)
        if n:
            self.values.append(np.frombuffer(raw, "<f8", n, v_at))
            self.ts.append(np.frombuffer(raw, "<u4" if flags else "<i8", n, ts_at))
            self.channels.append(np.frombuffer(raw, "<u2", n, ch_at))
        return True

    def finish(self, out: list[DeviceBatch | RejectedMessage | None]) -> bool:
        """Check the joined columns; if all is well, put each frame's batch in ``out`` (True)."""
        counts = np.array(self.counts, np.int64)
        if self.values:
            values = np.concatenate(self.values)
            ts = np.concatenate(self.ts, dtype=np.int64)
            channels = np.concatenate(self.channels)
            if any(self.ts_bases):
                ts += np.repeat(np.array(self.ts_bases, np.int64), counts)
            limits = np.repeat(np.array([h[0].sensor_count for h in self.heads], np.int64), counts)
            if not (
                np.isfinite(values).all()
                and (channels < limits).all()
                and ts.min() >= EARLIEST_TS_MS
                and ts.max() <= self.latest_ms
            ):
                return False
            sensor_ids = channels.astype(np.int32)
            sensor_ids += np.repeat(np.array([h[0].sensor_base for h in self.heads], np.int32), counts)
        else:
            values, ts, sensor_ids = EMPTY_F64, EMPTY_I64, EMPTY_I32
        received = self.received_ts_ms
        a = 0
        for i, (device, seq, boot, sent_ts), n in zip(self.indices, self.heads, self.counts, strict=True):
            b = a + n
            out[i] = DeviceBatch(
                device.id, boot, seq, sent_ts, received, sensor_ids[a:b], ts[a:b], values[a:b]
            )
            a = b
        return True


def _binary_document(
    raw: bytes | bytearray | memoryview, topic_device: str | None
) -> tuple[Frame, dict[str, Any]]:
    """A binary frame, and its header fields and events as the mapping the validator reads."""
    try:
        frame = parse_frame(raw)
        if frame.size != len(raw):
            raise BinaryFrameError(
                "readings",
                f"{len(raw) - frame.size} bytes follow the message; send one binary message per MQTT"
                " payload (HTTP bodies may hold several back to back)",
                device_id=frame.device_id,
                seq=frame.seq,
            )
    except BinaryFrameError as exc:
        raise frame_rejection(exc, topic_device) from None
    doc: dict[str, Any] = {"device": frame.device_id, "seq": frame.seq, "boot": frame.boot}
    if frame.events_json:
        try:
            doc["events"] = orjson.loads(frame.events_json)
        except orjson.JSONDecodeError as exc:
            raise RejectedMessage(
                "malformed_json",
                f"device {frame.device_id!r} seq {frame.seq}, field 'events': the events section of"
                f" the binary message is not JSON ({exc}); send a JSON array of event objects, UTF-8",
                device_id=frame.device_id,
                field="events",
                seq=frame.seq,
            ) from None
    return frame, doc


def build_message(
    device_id: str,
    *,
    seq: int,
    sent_ts_ms: int,
    channels: Sequence[str | int] | npt.NDArray[Any] = (),
    ts_ms: Sequence[int] | npt.NDArray[np.int64] = (),
    values: Sequence[float] | npt.NDArray[Any] = (),
    boot: int = 0,
    events: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A message in the wire format; columns may stay numpy arrays (see :func:`encode_message`)."""
    msg: dict[str, Any] = {"device": device_id, "seq": seq, "boot": boot, "sent_ts": sent_ts_ms}
    msg["readings"] = {"ch": _as_list(channels), "ts": _as_list(ts_ms), "v": _as_list(values)}
    if events:
        msg["events"] = [dict(e) for e in events]
    return msg


def encode_message(message: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> bytes:
    """JSON bytes of one message (MQTT) or of a list of messages (HTTP); numpy columns allowed."""
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY)


def _as_list(col: Sequence[Any] | npt.NDArray[Any]) -> Any:
    return col if isinstance(col, np.ndarray) else list(col)
