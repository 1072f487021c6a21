"""The workload as ready-to-send bodies, encoded before the clock starts.

A body is one MQTT payload (one message) or one HTTP request (several messages). Each message's
``sent_ts`` sits at a known offset so the sender stamps its own clock into the bytes just before
sending, without encoding again: 8 bytes at offset 24 of a binary frame, 13 ASCII digits after
``{"sent_ts":`` in JSON (the key comes first on purpose).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import orjson

from seamline.bench.workload import Chunk, Workload, WorkloadKind
from seamline.ingest.binary import CONTENT_TYPE, SENT_TS_OFFSET, encode_binary
from seamline.model.loader import load_factory

Format = Literal["json", "binary"]
FORMATS: Final = ("binary", "json")
_JSON_SENT_TS_AT: Final = len(b'{"sent_ts":')
_JSON_TS_DIGITS: Final = 13  # ms since the epoch until the year 2286
_PLACEHOLDER_TS: Final = 10**12  # 13 digits, overwritten at send time
_I64: Final = struct.Struct("<q")


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    """Which readings a run sends: a workload of the reference factory, cut into messages."""

    start_ms: int
    seconds: float
    seed: int = 1
    window_s: float = 60.0
    max_readings_per_message: int = 1000
    boot: int = 1
    kind: WorkloadKind = "standard"

    def workload(self) -> Workload:
        return Workload(load_factory(), start_ms=self.start_ms, seed=self.seed, kind=self.kind)

    def chunks(self, workload: Workload | None = None) -> Iterator[Chunk]:
        w = workload or self.workload()
        return w.chunks(
            self.seconds, max_readings_per_message=self.max_readings_per_message, window_s=self.window_s
        )

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "start_ms": self.start_ms,
                "seconds": self.seconds,
                "seed": self.seed,
                "window_s": self.window_s,
                "max_readings_per_message": self.max_readings_per_message,
                "boot": self.boot,
                "kind": self.kind,
            }
        ).decode()

    @classmethod
    def from_json(cls, text: str) -> WorkloadSpec:
        return cls(**orjson.loads(text))


@dataclass(slots=True)
class Body:
    """One send: the bytes, where each message's sent_ts goes, and what it carries."""

    data: bytearray
    device_id: str  # of the first message (the MQTT topic when it holds one)
    stamp_at: list[int]
    messages: int
    readings: int


@dataclass(slots=True)
class Payloads:
    format: Format
    content_type: str
    bodies: list[Body] = field(default_factory=list)
    messages: int = 0
    readings: int = 0
    payload_bytes: int = 0
    value_sum: float = 0.0
    encode_s: float = 0.0


def encode_workload(spec: WorkloadSpec, fmt: Format, *, messages_per_body: int = 1) -> Payloads:
    """Every message of the run, encoded, ``messages_per_body`` to a body."""
    started = time.perf_counter()
    out = Payloads(fmt, CONTENT_TYPE if fmt == "binary" else "application/json")
    seq: dict[str, int] = {}
    total = 0.0
    group: list[tuple[Chunk, bytes]] = []
    for chunk in spec.chunks():
        n = seq.get(chunk.device_id, 0)
        seq[chunk.device_id] = n + 1
        group.append((chunk, _encode_one(chunk, fmt, n, spec.boot)))
        total += float(chunk.values.sum())
        if len(group) == messages_per_body:
            out.bodies.append(_body(group, fmt))
            group = []
    if group:
        out.bodies.append(_body(group, fmt))
    out.messages = sum(b.messages for b in out.bodies)
    out.readings = sum(b.readings for b in out.bodies)
    out.payload_bytes = sum(len(b.data) for b in out.bodies)
    out.value_sum = total
    out.encode_s = time.perf_counter() - started
    return out


def stamp(body: Body, fmt: Format, sent_ts_ms: int) -> None:
    """Write the sender's clock into every message of ``body``."""
    if fmt == "binary":
        for at in body.stamp_at:
            _I64.pack_into(body.data, at, sent_ts_ms)
    else:
        digits = b"%d" % sent_ts_ms
        for at in body.stamp_at:
            body.data[at : at + _JSON_TS_DIGITS] = digits


def _encode_one(chunk: Chunk, fmt: Format, seq: int, boot: int) -> bytes:
    if fmt == "binary":
        return encode_binary(
            chunk.device_id,
            seq=seq,
            boot=boot,
            sent_ts_ms=_PLACEHOLDER_TS,
            channels=chunk.channel_idx,
            ts_ms=chunk.ts_ms,
            values=chunk.values,
        )
    message: dict[str, Any] = {
        "sent_ts": _PLACEHOLDER_TS,
        "device": chunk.device_id,
        "seq": seq,
        "boot": boot,
        "readings": {"ch": chunk.channel_idx, "ts": chunk.ts_ms, "v": chunk.values},
    }
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY)


def _body(group: Iterable[tuple[Chunk, bytes]], fmt: Format) -> Body:
    items = list(group)
    stamp_at: list[int] = []
    parts: list[bytes] = []
    pos = 0
    if fmt == "json" and len(items) > 1:
        parts.append(b"[")
        pos = 1
    for i, (_chunk, data) in enumerate(items):
        if fmt == "json" and i:
            parts.append(b",")
            pos += 1
        stamp_at.append(pos + (SENT_TS_OFFSET if fmt == "binary" else _JSON_SENT_TS_AT))
        parts.append(data)
        pos += len(data)
    if fmt == "json" and len(items) > 1:
        parts.append(b"]")
    return Body(
        bytearray(b"".join(parts)),
        items[0][0].device_id,
        stamp_at,
        len(items),
        int(np.sum([len(c) for c, _ in items])),
    )
