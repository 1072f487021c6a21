"""A minimal MQTT 3.1.1 QoS 1 publisher for the benchmark's device fleet (MQTT 3.1.1, section 3).

The fleet is not what the benchmark measures: real devices publish from their own hardware. On
this box the publisher shares the cores with the platform, so it should cost as little as it can.
paho spends ~100 us of Python per QoS 1 message (message objects, callbacks, ack bookkeeping);
this client sends PUBLISH packets built before the clock starts (``sent_ts`` stamped into them at
send time) and only counts the PUBACKs, about 10x less. Same wire protocol, same broker path, same
acknowledgements.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Final

from seamline.bench.errors import BenchError
from seamline.ingest.mqtt_wire import encode_varint

_CONNECT: Final = 0x10
_CONNACK: Final = 0x20
_PUBLISH_QOS1: Final = 0x32
_PUBACK: Final = 0x40
_DISCONNECT: Final = b"\xe0\x00"


def publish_packet(topic: str, packet_id: int, payload: bytes | bytearray) -> tuple[bytearray, int]:
    """A QoS 1 PUBLISH packet, and the offset of the payload in it."""
    t = topic.encode()
    variable = struct.pack("!H", len(t)) + t + struct.pack("!H", packet_id)
    head = bytes([_PUBLISH_QOS1]) + encode_varint(len(variable) + len(payload)) + variable
    return bytearray(head + payload), len(head)


class RawMqttPublisher:
    """One connection; ``send`` never waits for acknowledgements beyond ``max_inflight``."""

    def __init__(self, host: str, port: int, client_id: str, *, max_inflight: int = 10_000) -> None:
        self.host, self.port, self.client_id = host, port, client_id
        self._window = threading.BoundedSemaphore(max_inflight)
        self._acked = 0
        self._sent = 0
        self._done = threading.Condition()
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._error = ""

    def connect(self, timeout_s: float = 10.0) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid = self.client_id.encode()
        variable = b"\x00\x04MQTT\x04\x02" + struct.pack("!H", 60)  # 3.1.1, clean session, keep-alive
        body = variable + struct.pack("!H", len(cid)) + cid
        sock.sendall(bytes([_CONNECT]) + encode_varint(len(body)) + body)
        ack = _read_exactly(sock, 4)
        if ack[0] != _CONNACK or ack[3] != 0:
            raise BenchError(f"the broker refused the publisher's connection (CONNACK {ack.hex()})")
        sock.settimeout(None)
        self._sock = sock
        self._reader = threading.Thread(target=self._read_acks, name="bench-mqtt-acks", daemon=True)
        self._reader.start()

    def send(self, packet: bytes | bytearray) -> None:
        """Send one prepared PUBLISH; blocks while ``max_inflight`` are unacknowledged."""
        if self._error:
            raise BenchError(self._error)
        self._window.acquire()
        assert self._sock is not None
        self._sock.sendall(packet)
        self._sent += 1

    def wait_acked(self, timeout_s: float) -> bool:
        """Until the broker has acknowledged everything sent; False on timeout or a lost connection."""
        with self._done:
            return self._done.wait_for(
                lambda: self._acked >= self._sent or bool(self._error), timeout_s
            ) and (not self._error)

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.sendall(_DISCONNECT)
            self._sock.close()
            self._sock = None
        if self._reader is not None:
            self._reader.join(timeout=5.0)

    def _read_acks(self) -> None:
        assert self._sock is not None
        buf = b""
        try:
            while True:
                data = self._sock.recv(65536)
                if not data:
                    raise OSError("the broker closed the connection")
                buf += data
                n = len(buf) // 4  # a PUBACK is 4 bytes: 0x40 0x02 id id; nothing else comes
                if n:
                    if any(buf[i] != _PUBACK for i in range(0, 4 * n, 4)):
                        raise OSError(f"unexpected packet from the broker: {buf[:8].hex()}")
                    buf = buf[4 * n :]
                    with self._done:
                        self._acked += n
                        self._done.notify_all()
                    self._window.release(n)
        except OSError as exc:
            with self._done:
                if self._sock is not None:  # not our own close()
                    self._error = f"publisher connection: {exc}"
                self._done.notify_all()


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise BenchError("the broker closed the connection during CONNECT")
        data += chunk
    return data
