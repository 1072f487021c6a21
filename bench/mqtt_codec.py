"""Parsing cost of the ingest subscriber's MQTT codec, at the reference factory's rate and at 10x.

Run: ``.venv/bin/python bench/mqtt_codec.py``. One second of the standard workload is 153 device
messages (~15,000 readings, binary frames, QoS 1 PUBLISH packets as Mosquitto forwards them);
10x is shown both as ten times the messages and as ten times the readings per message. Three
parsers read the same stream, each as the subscriber does (every whole packet in one buffer):

- ``hand-written``: the core of the pure-Python PUBLISH parser ingest used before ``mqtt5``,
  copied here (for the whole former subscriber, run this script with ``PYTHONPATH`` pointing at
  the ``src`` of commit 29b3391: its ``subscriber`` line is then the former one);
- ``mqtt5 read()``: the codec alone, packet after packet;
- ``subscriber``: :class:`~seamline.ingest.mqtt_wire.SubscriberConnection` as shipped (framing,
  Maximum Packet Size check, ``mqtt5`` decoding, the lists handed to ingest).

Figures are CPU time (``time.process_time``), the best of five one-second runs.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from importlib.metadata import version

import mqtt5
import numpy as np

from seamline.ingest.binary import encode_binary
from seamline.ingest.mqtt_wire import SubscriberConnection, encode_varint

T0 = 1_795_363_200_000


def publish(topic: str, packet_id: int, payload: bytes) -> bytes:
    t = topic.encode()
    variable = struct.pack("!H", len(t)) + t + struct.pack("!H", packet_id) + b"\x00"
    return bytes([0x32]) + encode_varint(len(variable) + len(payload)) + variable + payload


def stream(messages: int, readings: int) -> bytes:
    out = bytearray()
    for k in range(messages):
        device = f"L{k // 17 + 1:02d}-S{k % 17 + 1:02d}"
        i = np.arange(readings)
        frame = encode_binary(
            device, seq=k, sent_ts_ms=T0, channels=i % 67, ts_ms=T0 - i, values=np.sin(i) * 40 + 20
        )
        out += publish(f"seamline/v1/gazipur-1/{device}/telemetry", k % 65535 + 1, frame)
    return bytes(out)


def hand_written(buf: bytes) -> int:
    """The former parser: framing plus topic, packet id and properties stepped over, by hand."""
    pos, end, n = 0, len(buf), 0
    topics, payloads, ids = [], [], []
    view = memoryview(buf)
    while end - pos >= 2:
        length = shift = 0
        at = pos + 1
        while True:
            b = buf[at]
            at += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        stop = at + length
        first = buf[pos]
        topic_end = at + 2 + (buf[at] << 8 | buf[at + 1])
        topics.append(buf[at + 2 : topic_end].decode("utf-8", "replace"))
        at = topic_end
        packet_id = 0
        if first & 0x06:
            packet_id = buf[at] << 8 | buf[at + 1]
            at += 2
        at += 1 + buf[at]  # a one-byte Property Length, as in this stream
        ids.append(packet_id)
        payloads.append(view[at:stop].tobytes())
        pos = stop
        n += 1
    return n


def codec_alone(buf: bytes) -> int:
    view = memoryview(buf)
    pos, n = 0, 0
    topics, payloads, ids = [], [], []
    while pos < len(buf):
        packet, used = mqtt5.read(view[pos:])
        pos += used
        topics.append(packet.topic)
        payloads.append(packet.payload)
        ids.append(packet.packet_id or 0)
        n += 1
    return n


def subscriber(buf: bytes) -> Callable[[], int]:
    ours, _peer = socket.socketpair()  # the peer end stays open while the parser runs
    conn = SubscriberConnection(ours, keepalive_s=0, buffer_bytes=len(buf) + 16)
    got: list[int] = []

    def run() -> int:
        conn._buf[: len(buf)] = buf
        conn._end = len(buf)
        got.clear()
        conn._dispatch(lambda topics, payloads, ids: got.append(len(topics)))
        return got[0]

    return run


def cpu_s(fn: Callable[[], int], expected: int) -> float:
    best = float("inf")
    for _ in range(5):
        reps, start = 0, time.process_time()
        while (elapsed := time.process_time() - start) < 1.0:
            assert fn() == expected
            reps += 1
        best = min(best, elapsed / reps)
    return best


def main() -> None:
    print(f"mqtt5 {version('mqtt5')}; CPU per second of load (share of one core) and per packet")
    for label, messages, readings in (
        ("1x: 153 messages/s x 98 readings", 153, 98),
        ("10x: 1,530 messages/s x 98 readings", 1530, 98),
        ("10x: 153 messages/s x 980 readings", 153, 980),
    ):
        buf = stream(messages, readings)
        print(f"{label} ({len(buf):,} B/s)")
        for name, fn in (
            ("hand-written", lambda b=buf: hand_written(b)),
            ("mqtt5 read()", lambda b=buf: codec_alone(b)),
            ("subscriber", subscriber(buf)),
        ):
            s = cpu_s(fn, messages)
            share = f"({s * 100:.3f} % of a core)"
            print(f"  {name:13} {s * 1e3:7.3f} ms/s {share}  {s / messages * 1e6:5.2f} us/packet")


if __name__ == "__main__":
    main()
