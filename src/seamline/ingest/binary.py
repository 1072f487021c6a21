"""The binary columnar telemetry message (docs/telemetry.md, "Binary messages"): frame and codec.

One frame is one message: a 48-byte little-endian header, the device id, then the reading columns
as packed arrays, widest first so each stays aligned, then the rare events as a JSON array::

    offset  size   type  field
    0       4      -     magic b"\\xb5SLB" (0xB5 never starts JSON text, so one byte tells the formats apart)
    4       1      u8    version, 1
    5       1      u8    flags: bit 0 set = timestamps are u32 offsets from ts_base; other bits 0
    6       1      u8    d, length of the device id in bytes (1-255)
    7       1      u8    0 (reserved)
    8       8      i64   seq
    16      8      i64   boot
    24      8      i64   sent_ts, ms since the Unix epoch (UTC)
    32      8      i64   ts_base, ms (0 when bit 0 is clear)
    40      4      u32   n, readings
    44      4      u32   e, bytes of the events JSON (0: no events)
    48      d      -     device id, UTF-8, zero-padded to a multiple of 8 bytes
            8n     f64   values
            8n|4n  i64|u32  timestamps (absolute ms, or offsets from ts_base)
            2n     u16   channel index in the device type's declared channel order
            e      -     events: a JSON array, the same objects as the JSON message's "events"

Decoding is :func:`parse_frame`: one ``struct`` unpack and three ``np.frombuffer`` views (the
values and absolute timestamps are not even copied). Validation against the factory, with the same
rejection reasons as JSON, is :func:`seamline.ingest.decode.decode_message`'s, which dispatches
here on the first byte.

>>> frame = encode_binary("L01-S03", seq=1, sent_ts_ms=1795363200123, channels=[0, 1],
...                       ts_ms=[1795363200000, 1795363200100], values=[10.0, 11.5])
>>> len(frame), frame[:1] == MAGIC[:1]
(84, True)
>>> f = parse_frame(frame)
>>> f.device_id, f.seq, f.ts_ms.tolist(), f.values.tolist(), f.channels.tolist()
('L01-S03', 1, [1795363200000, 1795363200100], [10.0, 11.5], [0, 1])
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import orjson

MAGIC: Final = b"\xb5SLB"
MAGIC_BYTE: Final = MAGIC[0]
VERSION: Final = 1
CONTENT_TYPE: Final = "application/vnd.seamline.batch"
FLAG_TS_OFFSETS: Final = 0x01
SENT_TS_OFFSET: Final = 24  # where a publisher stamps sent_ts just before sending (8 bytes, <i8)
MAX_DEVICE_ID_BYTES: Final = 255
MAX_CHANNELS: Final = 1 << 16

_HEADER: Final = struct.Struct("<4sBBBBqqqqII")
HEADER: Final = _HEADER  # magic, version, flags, d, reserved, seq, boot, sent_ts, ts_base, n, e
HEADER_SIZE: Final = _HEADER.size  # 48
_SENT_TS: Final = struct.Struct("<q")
_U32_SPAN: Final = (1 << 32) - 1
MAX_TS_BASE: Final = 2**63 - 1 - _U32_SPAN  # a larger ts_base plus a u32 offset may overflow i64
_MAX_TS_BASE: Final = MAX_TS_BASE
_EMPTY_U16: Final = np.empty(0, np.uint16)
_EMPTY_I64: Final = np.empty(0, np.int64)
_EMPTY_F64: Final = np.empty(0, np.float64)


class BinaryFrameError(ValueError):
    """The bytes are not a well-formed binary frame; ``field`` names the part that is wrong.

    Decoding turns this into a :class:`~seamline.ingest.decode.RejectedMessage`
    (``invalid_message``) that also names the device and seq when they could be read.
    """

    def __init__(self, field: str, problem: str, *, device_id: str | None = None, seq: int | None = None):
        super().__init__(f"field {field!r}: {problem}")
        self.field = field
        self.problem = problem
        self.device_id = device_id
        self.seq = seq


@dataclass(frozen=True, slots=True)
class Frame:
    """One parsed frame: header fields and read-only column views into the payload."""

    device_id: str
    seq: int
    boot: int
    sent_ts_ms: int
    channels: npt.NDArray[np.uint16]
    ts_ms: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    events_json: bytes  # b"" when the frame has no events
    size: int  # bytes the frame occupies in the payload


def is_binary(raw: object) -> bool:
    """True when ``raw`` is bytes that begin like a binary frame (JSON text never does)."""
    return isinstance(raw, bytes | bytearray | memoryview) and len(raw) > 0 and raw[0] == MAGIC_BYTE


def encode_binary(
    device_id: str,
    *,
    seq: int,
    sent_ts_ms: int,
    channels: Sequence[int] | npt.NDArray[np.integer[Any]] = (),
    ts_ms: Sequence[int] | npt.NDArray[np.int64] = (),
    values: Sequence[float] | npt.NDArray[np.floating[Any]] = (),
    boot: int = 0,
    events: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """One message as a binary frame; ``channels`` are channel indices (names: map them first).

    Timestamps are stored as u32 offsets from their minimum when they span less than 49 days
    (14 bytes per reading), else as absolute i64 (18 bytes per reading).
    """
    dev = device_id.encode()
    if not 0 < len(dev) <= MAX_DEVICE_ID_BYTES:
        raise ValueError(f"a device id must be 1-{MAX_DEVICE_ID_BYTES} bytes of UTF-8, got {device_id!r}")
    ch = np.asarray(channels)
    if ch.size and (ch.dtype.kind not in "iu" or ch.min() < 0 or ch.max() >= MAX_CHANNELS):
        raise ValueError("channels must be channel indices in 0..65535 (the binary format has no names)")
    ts = np.asarray(ts_ms, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    n = ch.size
    if not n == ts.size == v.size:
        raise ValueError(f"channels, ts_ms and values differ in length: {n}, {ts.size}, {v.size}")
    flags, ts_base = 0, 0
    ts_col: npt.NDArray[Any] = ts.astype("<i8", copy=False)
    if n:
        lo = int(ts.min())
        if int(ts.max()) - lo <= _U32_SPAN:
            flags, ts_base = FLAG_TS_OFFSETS, lo
            ts_col = (ts - lo).astype("<u4")
    ev = orjson.dumps(list(events), option=orjson.OPT_SERIALIZE_NUMPY) if events else b""
    header = _HEADER.pack(MAGIC, VERSION, flags, len(dev), 0, seq, boot, sent_ts_ms, ts_base, n, len(ev))
    return b"".join(
        (
            header,
            dev,
            bytes(_pad8(len(dev))),
            v.astype("<f8", copy=False).tobytes(),
            ts_col.tobytes(),
            bytes(_pad8(ts_col.nbytes)),  # only u32 offsets need it, so the u16 channels stay aligned
            ch.astype("<u2").tobytes(),
            ev,
        )
    )


def encode_binary_message(
    message: Mapping[str, Any], *, channel_index: Mapping[str, int] | None = None
) -> bytes:
    """A message in the JSON shape (see :func:`~seamline.ingest.decode.build_message`) as a frame.

    Channel names need ``channel_index`` (the device type's name -> index map).
    """
    r: Mapping[str, Any] = message.get("readings") or {}
    ch: Any = r.get("ch", ())
    if len(ch) and not isinstance(ch, np.ndarray) and any(isinstance(c, str) for c in ch):
        if channel_index is None:
            raise ValueError("this message names its channels; pass channel_index to encode it as binary")
        ch = [channel_index[c] if isinstance(c, str) else c for c in ch]
    return encode_binary(
        str(message["device"]),
        seq=int(message["seq"]),
        sent_ts_ms=int(message["sent_ts"]),
        boot=int(message.get("boot") or 0),
        channels=ch,
        ts_ms=r.get("ts", ()),
        values=r.get("v", ()),
        events=message.get("events") or (),
    )


def stamp_sent_ts(frame: bytearray | memoryview, sent_ts_ms: int, offset: int = 0) -> None:
    """Overwrite the ``sent_ts`` of the frame starting at ``offset`` in place (a publisher's clock)."""
    _SENT_TS.pack_into(frame, offset + SENT_TS_OFFSET, sent_ts_ms)


def parse_frame(raw: bytes | bytearray | memoryview, offset: int = 0) -> Frame:
    """The frame starting at ``offset``; raises :class:`BinaryFrameError` when it is malformed.

    The columns are read-only views of ``raw`` where the layout allows (values, absolute
    timestamps, channels); timestamps stored as offsets are added to ``ts_base`` in a new array.
    """
    avail = len(raw) - offset
    if avail < HEADER_SIZE:
        raise BinaryFrameError(
            "header", f"a binary message needs a {HEADER_SIZE}-byte header, got {avail} bytes"
        )
    magic, version, flags, dev_len, reserved, seq, boot, sent_ts, ts_base, n, ev_len = _HEADER.unpack_from(
        raw, offset
    )
    if magic != MAGIC:
        raise BinaryFrameError("magic", f"must be {MAGIC!r}, got {bytes(magic)!r}")
    if version != VERSION:
        raise BinaryFrameError(
            "version", f"binary format version {version} is not supported (this server reads {VERSION})"
        )
    if flags & ~FLAG_TS_OFFSETS or reserved:
        raise BinaryFrameError("flags", f"unknown flags {flags:#04x} / reserved byte {reserved}")
    pos = offset + HEADER_SIZE
    dev_bytes = bytes(raw[pos : pos + dev_len])
    try:
        device_id = dev_bytes.decode()
    except UnicodeDecodeError:
        raise BinaryFrameError("device", f"is not UTF-8: {dev_bytes[:40]!r}") from None
    ts_width = 4 if flags & FLAG_TS_OFFSETS else 8
    pos += dev_len + _pad8(dev_len)
    v_at = pos
    ts_at = v_at + 8 * n
    ch_at = ts_at + ts_width * n + _pad8(ts_width * n)
    ev_at = ch_at + 2 * n
    end = ev_at + ev_len
    if end - offset > avail:
        raise BinaryFrameError(
            "readings",
            f"the header announces {n} readings and {ev_len} bytes of events ({end - offset} bytes in"
            f" all) but the message has {avail} bytes",
            device_id=device_id or None,
            seq=seq,
        )
    if n == 0:
        values, ts, channels = _EMPTY_F64, _EMPTY_I64, _EMPTY_U16
    else:
        values = np.frombuffer(raw, "<f8", n, v_at)
        channels = np.frombuffer(raw, "<u2", n, ch_at)
        if ts_width == 8:
            ts = np.frombuffer(raw, "<i8", n, ts_at)
        elif ts_base <= _MAX_TS_BASE:
            ts = np.frombuffer(raw, "<u4", n, ts_at).astype(np.int64)
            ts += ts_base
        else:  # base + offset would overflow: far in the future, which validation rejects as such
            ts = np.full(n, ts_base, np.int64)
    events_json = bytes(raw[ev_at:end]) if ev_len else b""
    return Frame(device_id, seq, boot, sent_ts, channels, ts, values, events_json, end - offset)


def frame_size(raw: bytes | bytearray | memoryview, offset: int = 0) -> int:
    """Bytes of the frame starting at ``offset``, read from its header (for splitting a body)."""
    if len(raw) - offset < HEADER_SIZE:
        raise BinaryFrameError(
            "header", f"a binary message needs a {HEADER_SIZE}-byte header, got {len(raw) - offset} bytes"
        )
    _, _, flags, dev_len, _, _, _, _, _, n, ev_len = _HEADER.unpack_from(raw, offset)
    ts_bytes = (4 if flags & FLAG_TS_OFFSETS else 8) * n
    return int(HEADER_SIZE + dev_len + _pad8(dev_len) + 8 * n + ts_bytes + _pad8(ts_bytes) + 2 * n + ev_len)


def split_frames(body: bytes | bytearray | memoryview) -> list[memoryview]:
    """A body of frames sent back to back (HTTP) as one view per frame.

    A malformed header or a truncated last frame raises :class:`BinaryFrameError`; the views are
    not validated further here (that is :func:`parse_frame`'s job, per message).
    """
    view = memoryview(body)
    out: list[memoryview] = []
    pos = 0
    while pos < len(view):
        if view[pos] != MAGIC_BYTE:
            raise BinaryFrameError(
                "magic", f"message {len(out)} of the body (byte {pos}) does not start with {MAGIC!r}"
            )
        size = frame_size(view, pos)
        if pos + size > len(view):
            raise BinaryFrameError(
                "readings",
                f"message {len(out)} of the body (byte {pos}) needs {size} bytes, {len(view) - pos} are left",
            )
        out.append(view[pos : pos + size])
        pos += size
    return out


def _pad8(n: int) -> int:
    return -n % 8
