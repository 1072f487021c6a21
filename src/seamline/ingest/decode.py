"""Decode and validate one telemetry message (docs/telemetry.md, version 1) into a DeviceBatch.

The hot path is columnar: the three reading arrays become numpy columns in one step each, types
are checked per column (``set(map(type, column))`` runs in C), and channel names or indices become
global sensor ids with a vectorised bounds check. No Python object is built per reading.

Binary messages (first byte 0xB5, see :mod:`seamline.ingest.binary`) are parsed into the same
columns without JSON and then validated by the same code, so both formats reject alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import orjson

from seamline.errors import SeamlineError
from seamline.ingest.batch import DeviceBatch, Event
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
from seamline.model.factory import Device, Factory, MachineType

REJECTION_REASONS: Final = (
    "malformed_json",
    "invalid_message",
    "unknown_device",
    "unknown_channel",
    "topic_mismatch",
    "far_future_timestamp",
    "implausible_timestamp",
)
FUTURE_TOLERANCE_MS: Final = 5 * 60 * 1000  # a device clock may run this far ahead of ours
EARLIEST_TS_MS: Final = 946_684_800_000  # 2000-01-01T00:00:00Z; anything older is a clock never set

_INT_TYPES: Final[frozenset[type]] = frozenset(
    {int, np.int64, np.int32, np.int16, np.int8, np.uint32, np.uint16}
)
_NUMBER_TYPES: Final[frozenset[type]] = _INT_TYPES | {float, np.float64, np.float32}
_CHANNEL_TYPES: Final[frozenset[type]] = _INT_TYPES | {str}
_PY_INT: Final[frozenset[type]] = frozenset({int})
_PY_NUMBERS: Final[frozenset[type]] = frozenset({int, float})
_INT64_MAX: Final = 2**63 - 1
_EMPTY_I32: Final = np.empty(0, np.int32)
_EMPTY_I64: Final = np.empty(0, np.int64)
_EMPTY_F64: Final = np.empty(0, np.float64)


class IngestError(SeamlineError):
    """Ingest cannot take a message or a request (the root of ingest's errors)."""

    reason = "ingest"


class RejectedMessage(IngestError):  # noqa: N818  # the name is the contract (docs, web handler)
    """A message that ingest refuses as a whole; ``reason`` is one of :data:`REJECTION_REASONS`."""

    status_code = 422

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        device_id: str | None = None,
        field: str | None = None,
        seq: int | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.device_id = device_id
        self.field = field
        self.seq = seq
        if reason == "malformed_json":
            self.status_code = 400

    def details(self) -> dict[str, object]:
        return {"device_id": self.device_id, "field": self.field, "seq": self.seq}


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
        return _Decoder(frame_doc, factory, received_ts_ms, topic_device, from_json=False).frame_batch(frame)
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
            f"a message must be a JSON object, got {_json_type(doc)}; see docs/telemetry.md",
            device_id=topic_device,
        )
    return _Decoder(doc, factory, received_ts_ms, topic_device, from_json=from_json).batch()


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
            values, ts, sensor_ids = _EMPTY_F64, _EMPTY_I64, _EMPTY_I32
        received = self.received_ts_ms
        a = 0
        for i, (device, seq, boot, sent_ts), n in zip(self.indices, self.heads, self.counts, strict=True):
            b = a + n
            out[i] = DeviceBatch(
                device.id, boot, seq, sent_ts, received, sensor_ids[a:b], ts[a:b], values[a:b]
            )
            a = b
        return True


def frame_rejection(exc: BinaryFrameError, topic_device: str | None = None) -> RejectedMessage:
    """A malformed binary frame as the rejection ingest reports (``invalid_message``)."""
    device = exc.device_id or topic_device
    where = f"device {device!r}" if device else "message"
    if exc.seq is not None:
        where += f" seq {exc.seq}"
    return RejectedMessage(
        "invalid_message",
        f"{where}, field {exc.field!r}: {exc.problem}; the binary format is in docs/telemetry.md",
        device_id=device,
        field=exc.field,
        seq=exc.seq,
    )


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


def _json_type(x: object) -> str:
    """How a value reads in an error message, in JSON's words."""
    if x is None or isinstance(x, bool):
        return {None: "null", True: "true", False: "false"}[x]
    if isinstance(x, str):
        return f"the string {x[:40]!r}"
    if isinstance(x, int | float | np.number):
        return f"the number {x}"
    names = ((list, "an array"), (tuple, "an array"), (Mapping, "an object"))
    return next((name for kind, name in names if isinstance(x, kind)), type(x).__name__)


def _is_int(x: object) -> bool:
    return type(x) in _INT_TYPES and -(2**63) <= int(x) <= _INT64_MAX  # type: ignore[call-overload]


class _Decoder:
    """Validates one parsed message; every failure names device, seq and field."""

    def __init__(
        self,
        doc: Mapping[str, Any],
        factory: Factory,
        received_ts_ms: int,
        topic: str | None,
        *,
        from_json: bool,
    ) -> None:
        self.doc = doc
        self.from_json = from_json  # parsed here from JSON text: every number is finite
        self.factory = factory
        self.received_ts_ms = received_ts_ms
        self.topic = topic
        self.device_id: str | None = topic
        self.seq: int | None = None

    def reject(self, reason: str, field: str | None, problem: str) -> RejectedMessage:
        where = f"device {self.device_id!r}" if self.device_id else "message"
        if self.seq is not None:
            where += f" seq {self.seq}"
        at = f", field {field!r}" if field else ""
        return RejectedMessage(
            reason, f"{where}{at}: {problem}", device_id=self.device_id, field=field, seq=self.seq
        )

    def batch(self) -> DeviceBatch:
        device = self.device()
        self.seq = self.integer("seq", required=True)
        boot = self.integer("boot", required=False)
        sent_ts = self.integer("sent_ts", required=True)
        self.check_ts("sent_ts", sent_ts, sent_ts)
        sensor_ids, ts, values = self.readings(device)
        events = self.events(device)
        return DeviceBatch(
            device.id, boot, self.seq, sent_ts, self.received_ts_ms, sensor_ids, ts, values, events
        )

    def frame_batch(self, frame: Frame) -> DeviceBatch:
        """A binary frame: its columns are typed and of one length by construction, so only the
        checks that JSON's types do not imply run, in the same order and with the same words."""
        device = self.device()
        self.seq = self.integer("seq", required=True)
        boot = self.integer("boot", required=True)
        self.check_ts("sent_ts", frame.sent_ts_ms, frame.sent_ts_ms)
        values = self.values(frame.values)
        sensor_ids = self.sensor_ids(device, frame.channels)
        ts = frame.ts_ms
        if len(ts):
            self.check_ts("readings.ts", int(ts.min()), int(ts.max()))
        events = self.events(device)
        return DeviceBatch(
            device.id, boot, self.seq, frame.sent_ts_ms, self.received_ts_ms, sensor_ids, ts, values, events
        )

    def device(self) -> Device:
        dev = self.doc.get("device")
        if not isinstance(dev, str) or not dev:
            raise self.reject(
                "invalid_message", "device", f"must be the device id (a string), got {_json_type(dev)}"
            )
        if self.topic is not None and dev != self.topic:
            raise self.reject(
                "topic_mismatch",
                "device",
                f"the body names device {dev!r} but the message was published on the topic of {self.topic!r};"
                " publish each device's messages to its own topic",
            )
        self.device_id = dev
        device = self.factory.devices_by_id.get(dev)
        if device is None:
            raise self.reject(
                "unknown_device",
                "device",
                f"{dev!r} is not in the device registry of site {self.factory.site_id!r};"
                " declare it in the factory file or fix the id configured on the device",
            )
        return device

    def integer(self, field: str, *, required: bool) -> int:
        x: Any = self.doc.get(field)
        if x is None and not required:
            return 0
        if not _is_int(x) or int(x) < 0:
            need = "a non-negative integer" + ("" if required else " (or absent)")
            raise self.reject("invalid_message", field, f"must be {need}, got {_json_type(x)}")
        return int(x)

    def check_ts(self, field: str, lo: int, hi: int) -> None:
        if lo < EARLIEST_TS_MS:
            raise self.reject(
                "implausible_timestamp",
                field,
                f"timestamp {lo} ms is before 2000-01-01; the device clock is not set"
                " (timestamps are milliseconds since the Unix epoch, UTC)",
            )
        if hi > self.received_ts_ms + FUTURE_TOLERANCE_MS:
            ahead_s = (hi - self.received_ts_ms) / 1000
            raise self.reject(
                "far_future_timestamp",
                field,
                f"timestamp {hi} ms is {ahead_s:.0f} s ahead of the server clock (more than 5 min);"
                " fix the device clock (NTP), then resend",
            )

    def readings(
        self, device: Device
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        r = self.doc.get("readings")
        if r is None:
            return _EMPTY_I32, _EMPTY_I64, _EMPTY_F64
        if not isinstance(r, Mapping):
            raise self.reject(
                "invalid_message", "readings", f"must be an object {{ch, ts, v}}, got {_json_type(r)}"
            )
        ts = self.column("readings.ts", r.get("ts"), "i", _INT_TYPES, "integers (ms since the Unix epoch)")
        values = self.values(r.get("v"))
        sensor_ids = self.sensor_ids(device, r.get("ch"))
        if not len(sensor_ids) == len(ts) == len(values):
            raise self.reject(
                "invalid_message",
                "readings",
                f"ch, ts and v must have the same length, got {len(sensor_ids)}, {len(ts)} and {len(values)}",
            )
        if len(ts):
            self.check_ts("readings.ts", int(ts.min()), int(ts.max()))
        return sensor_ids, ts.astype(np.int64, copy=False), values

    def column(
        self, field: str, col: object, kinds: str, allowed: frozenset[type], what: str
    ) -> npt.NDArray[Any]:
        """A JSON array (or numpy array) as a 1-d numpy array whose dtype kind is one of ``kinds``.

        Each element's type is checked first (in C): numpy would read ``[1, true]`` as ``[1, 1]``.
        Python ints and floats then convert in one pass to the column's dtype; names and numpy
        scalars go through numpy's dtype discovery.
        """
        if isinstance(col, np.ndarray):
            arr = col
        elif isinstance(col, list | tuple):
            if not col:
                return _EMPTY_I64 if kinds == "i" else _EMPTY_F64
            arr = self.list_column(field, col, kinds, allowed, what)
        else:
            raise self.reject("invalid_message", field, f"must be an array of {what}, got {_json_type(col)}")
        if arr.ndim == 1 and arr.dtype.kind in kinds:
            return arr
        if arr.ndim == 1 and arr.dtype.kind == "u" and (not len(arr) or arr.max() <= _INT64_MAX):
            return arr.astype(np.int64)
        if arr.dtype.kind == "O" and "f" in kinds and set(map(type, col)) <= allowed:
            try:  # integers beyond 64 bits among the values
                return np.array(col, dtype=np.float64)
            except OverflowError:
                raise self.reject("invalid_message", field, "holds a number too large for a double") from None
        if isinstance(col, np.ndarray):
            raise self.reject(
                "invalid_message", field, f"must be a 1-d array of {what}, got dtype {arr.dtype}"
            )
        raise self.bad_element(field, col, allowed, what)

    def list_column(
        self, field: str, col: Sequence[Any], kinds: str, allowed: frozenset[type], what: str
    ) -> npt.NDArray[Any]:
        types = set(map(type, col))  # in C; numpy would read true as 1 and "1" as 1
        if not types <= allowed:
            raise self.bad_element(field, col, allowed, what)
        if types <= (_PY_NUMBERS if "f" in kinds else _PY_INT):
            # Known types: one converting pass, without numpy's dtype discovery (2-3x slower);
            # fromiter with the length known is another 20-30% quicker than np.array here.
            try:
                return np.fromiter(col, np.float64 if "f" in kinds else np.int64, len(col))
            except OverflowError:
                if "f" in kinds:
                    raise self.reject(
                        "invalid_message", field, "holds a number too large for a double"
                    ) from None
                raise self.bad_element(field, col, allowed, what) from None
        try:
            return np.array(col)
        except (ValueError, OverflowError, TypeError):
            raise self.bad_element(field, col, allowed, what) from None

    def bad_element(
        self, field: str, col: Sequence[Any], allowed: frozenset[type], what: str
    ) -> RejectedMessage:
        for i, x in enumerate(col):
            if type(x) not in allowed:
                return self.reject("invalid_message", f"{field}[{i}]", f"must be {what}, got {_json_type(x)}")
        return self.reject("invalid_message", field, f"must be an array of {what} (64-bit range)")

    def values(self, col: object) -> npt.NDArray[np.float64]:
        what = "finite numbers (states as their numeric code)"
        values = self.column("readings.v", col, "fi", _NUMBER_TYPES, what).astype(np.float64, copy=False)
        if self.from_json:  # JSON text has no NaN or infinity; orjson refuses numbers that overflow
            return values
        # NaN and infinities survive a sum: one cheap pass. Large finite values may overflow the sum
        # to infinity; the exact check below then decides.
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.add.reduce(values)):
                return values
        finite = np.isfinite(values)
        if not finite.all():
            i = int(np.argmin(finite))
            raise self.reject(
                "invalid_message", f"readings.v[{i}]", f"must be a finite number, got {values[i]}"
            )
        return values

    def sensor_ids(self, device: Device, ch: object) -> npt.NDArray[np.int32]:
        """Channel names or indices -> global sensor ids (``sensor_base + index``), bounds-checked."""
        mt = device.machine_type
        n = device.sensor_count
        names: Sequence[Any] | None = None
        if isinstance(ch, np.ndarray) and ch.ndim == 1 and ch.dtype.kind == "u":
            names, arr = None, ch  # binary frames (u16): no name, no negative index to catch
        elif isinstance(ch, list | tuple) and ch and isinstance(ch[0], str):
            names = ch
        else:
            arr = self.column("readings.ch", ch, "iU", _CHANNEL_TYPES, "channel names or channel indices")
            if arr.dtype.kind == "U":  # names, perhaps mixed with indices that numpy made strings
                names = arr.tolist() if isinstance(ch, np.ndarray) else ch  # type: ignore[assignment]
        if names is not None:
            mapped: list[Any] = list(map(mt.channel_index.get, names))
            if None in mapped:
                mapped = self.resolve_channels(mt, names)
            idx = np.array(mapped, dtype=np.int64)
        else:
            idx = arr if arr.dtype.kind == "u" else arr.astype(np.int64, copy=False)
        if idx.dtype.kind == "u":  # binary frames: one reduction and no temporary when all is well
            out_of_range = bool(len(idx)) and idx.max() >= n
        else:
            bad = idx.view(np.uint64) >= n  # a negative index wraps to a huge unsigned one
            out_of_range = bad.any()
        if out_of_range:
            i = int(np.argmax(idx.view(np.uint64) >= n if idx.dtype.kind == "i" else idx >= n))
            raise self.reject(
                "unknown_channel",
                f"readings.ch[{i}]",
                f"channel index {int(idx[i])} is out of range: machine type {mt.id!r} has {n} channels"
                f" (0..{n - 1})",
            )
        out = idx.astype(np.int32)
        out += device.sensor_base
        return out

    def resolve_channels(self, mt: MachineType, items: Sequence[Any]) -> list[int]:
        """The slow path for names mixed with indices, and for explaining an unknown name."""
        out: list[int] = []
        for i, c in enumerate(items):
            if isinstance(c, str):
                j = mt.channel_index.get(c)
                if j is None:
                    raise self.reject(
                        "unknown_channel",
                        f"readings.ch[{i}]",
                        f"{c!r} is not a channel of machine type {mt.id!r}; known channels: "
                        f"{_preview(list(mt.channel_index))}",
                    )
                out.append(j)
            elif _is_int(c):
                out.append(int(c))  # the bounds check follows
            else:
                raise self.reject(
                    "invalid_message",
                    f"readings.ch[{i}]",
                    f"must be a channel name or index, got {_json_type(c)}",
                )
        return out

    def events(self, device: Device) -> tuple[Event, ...]:
        evs = self.doc.get("events")
        if evs is None:
            return ()
        if not isinstance(evs, list | tuple):
            raise self.reject(
                "invalid_message", "events", f"must be an array of objects, got {_json_type(evs)}"
            )
        out = []
        for i, ev in enumerate(evs):
            where = f"events[{i}]"
            if not isinstance(ev, Mapping):
                raise self.reject("invalid_message", where, f"must be an object, got {_json_type(ev)}")
            ts: Any = ev.get("ts")
            if not _is_int(ts):
                raise self.reject(
                    "invalid_message", f"{where}.ts", f"must be an integer (ms), got {_json_type(ts)}"
                )
            self.check_ts(f"{where}.ts", int(ts), int(ts))
            kind = ev.get("type")
            spec = _EVENT_FIELDS.get(kind) if isinstance(kind, str) else None
            if spec is None:
                raise self.reject(
                    "invalid_message",
                    f"{where}.type",
                    f"must be one of {sorted(_EVENT_FIELDS)}, got {_json_type(kind)}",
                )
            data = {k: v for k, v in ev.items() if k not in ("ts", "type")}
            for name, (check, required) in spec.items():
                value = data.get(name)
                if value is None:
                    if required and not (
                        kind == "inspection" and name == "operation" and data.get("kind") != "inline"
                    ):
                        raise self.reject(
                            "invalid_message", f"{where}.{name}", f"a {kind!r} event needs {name!r}"
                        )
                    continue
                problem = check(value)
                if problem:
                    raise self.reject(
                        "invalid_message", f"{where}.{name}", f"{problem}, got {_json_type(value)}"
                    )
            if kind == "counter_reset":
                self.check_counter_channel(device, data["channel"], f"{where}.channel")
            out.append(Event(device.id, int(ts), kind, data))  # type: ignore[arg-type]  # kind checked above
        return tuple(out)

    def check_counter_channel(self, device: Device, channel: str | int, field: str) -> None:
        known = (
            channel in device.machine_type.channel_index
            if isinstance(channel, str)
            else 0 <= channel < device.sensor_count
        )
        if not known:
            raise self.reject(
                "unknown_channel",
                field,
                f"{channel!r} is not a channel of machine type {device.machine_type.id!r}",
            )


def _preview(names: list[str], n: int = 8) -> str:
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


# Event field checks: each returns what is wrong, or "" when the value is fine.
_Check = Callable[[Any], str]


def _string(x: Any) -> str:
    return "" if isinstance(x, str) and x else "must be a non-empty string"


def _count(x: Any) -> str:
    return "" if _is_int(x) and x >= 0 else "must be a non-negative integer"


def _code(x: Any) -> str:
    return "" if _is_int(x) else "must be an integer code"


def _duration(x: Any) -> str:
    ok = type(x) in _NUMBER_TYPES and math.isfinite(x) and x >= 0
    return "" if ok else "must be a non-negative number of seconds"


def _one_of(*choices: str) -> _Check:
    def check(x: Any) -> str:
        return "" if x in choices and isinstance(x, str) else f"must be one of {list(choices)}"

    return check


def _channel(x: Any) -> str:
    return "" if (isinstance(x, str) and x) or _is_int(x) else "must be a channel name or index"


def _defects(x: Any) -> str:
    if not isinstance(x, list):
        return "must be an array of {code, count, severity}"
    severity = _one_of("minor", "major", "critical")
    for d in x:
        if (
            not isinstance(d, Mapping)
            or _string(d.get("code"))
            or _count(d.get("count"))
            or severity(d.get("severity"))
        ):
            return 'each defect must be {"code": str, "count": int >= 0, "severity": minor/major/critical}'
    return ""


_DOWNTIME_REASONS = (
    "no_feeding", "machine_breakdown", "thread_break", "needle_break", "meeting",
    "rework", "changeover", "power_failure", "waiting_trims",
)  # fmt: skip
# type -> field -> (check, required); extra fields are kept as they are.
_EVENT_FIELDS: Final[dict[str, dict[str, tuple[_Check, bool]]]] = {
    "state": {"state": (_one_of("off", "idle", "running", "fault"), True)},
    "fault": {
        "code": (_code, True), "severity": (_one_of("warning", "error"), True), "text": (_string, False),
    },
    "fault_cleared": {"code": (_code, True)},
    "counter_reset": {"channel": (_channel, True)},
    "scan": {
        "bundle": (_string, True), "operation": (_string, True), "operator": (_string, True),
        "workstation": (_string, True), "pieces": (_count, True),
    },
    "badge": {
        "operator": (_string, True), "action": (_one_of("login", "logout"), True),
        "workstation": (_string, True),
    },
    "downtime": {
        "reason": (_one_of(*_DOWNTIME_REASONS), True), "workstation": (_string, True),
        "duration_s": (_duration, False),
    },
    "inspection": {
        "kind": (_one_of("inline", "end_of_line"), True), "bundle": (_string, True),
        "operation": (_string, True),  # required for inline inspections only
        "operator": (_string, True), "workstation": (_string, True), "checked": (_count, True),
        "defective": (_count, True), "defects": (_defects, True),
    },
    "heartbeat": {},
}  # fmt: skip
