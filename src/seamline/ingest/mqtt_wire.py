"""A lean MQTT 5.0 subscriber connection: what :class:`~seamline.ingest.mqtt.MqttIngest` speaks.

Ingest receives a thousand PUBLISH packets a second, each carrying a thousand readings, and a
general client spends more Python per packet than the decoding of its payload: paho reads each
packet a few bytes at a time, builds a message and a properties object per PUBLISH, and calls
back per message. This connection does only what a QoS 1 subscriber needs (MQTT 5.0, OASIS
Standard, 7 March 2019):

- CONNECT (3.1) with Clean Start 0, a Session Expiry Interval, a Receive Maximum, a keep-alive and
  the user name and password if given; CONNACK (3.2), honouring a Server Keep Alive (3.2.2.3.14).
- SUBSCRIBE (3.8) to one topic filter; SUBACK (3.9) reports whether it was granted.
- PUBLISH (3.3): large ``recv_into`` reads into one buffer, then every complete packet in the
  buffer is parsed in one loop (fixed header 2.1, Variable Byte Integer 1.5.5, topic name,
  packet identifier, properties 2.2.2 skipped) and the lot is handed on as lists, once per read.
- PUBACK (3.4) with the short form of 3.4.2.1 (Remaining Length 2: reason Success), sent by
  :meth:`SubscriberConnection.acknowledge` for many packets in one ``sendall``; the caller decides
  when (ingest: after the commit). PUBACKs go out in the order the PUBLISHes came (4.6).
- PINGREQ / PINGRESP (3.12, 3.13) to keep an idle connection open and notice a dead broker.
- DISCONNECT (3.14) both ways.

The connection does not set Topic Alias Maximum, so the broker sends every topic in full
(3.3.2.3.4), and it leaves Maximum Packet Size unset: a packet of any size is read whole.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Final, Self

log = logging.getLogger(__name__)

PROTOCOL_LEVEL: Final = 5
BUFFER_BYTES: Final = 1 << 21  # one read takes up to this much: ~150 binary messages of 1000 readings
MAX_REMAINING_LENGTH: Final = 268_435_455  # four bytes of Variable Byte Integer (1.5.5)

# Control packet types (2.1.2), the high nibble of the first byte
_CONNECT: Final = 1
_CONNACK: Final = 2
_PUBLISH: Final = 3
_PUBACK: Final = 4
_SUBSCRIBE: Final = 8
_SUBACK: Final = 9
_PINGRESP: Final = 13
_DISCONNECT: Final = 14

_PINGREQ_PACKET: Final = b"\xc0\x00"
_DISCONNECT_PACKET: Final = b"\xe0\x00"  # reason Normal disconnection: the session stays (3.14.2.1)
_PUBACK_WORD: Final = 0x4002_0000  # PUBACK, Remaining Length 2, then the packet identifier

# Property identifiers (2.2.2.2) this client writes or reads, and the wire type of every one,
# which is all it takes to step over the properties it does not care about.
_SESSION_EXPIRY_INTERVAL: Final = 0x11
_SERVER_KEEP_ALIVE: Final = 0x13
_RECEIVE_MAXIMUM: Final = 0x21
_BYTE, _U16, _U32, _VARINT, _BINARY, _PAIR = range(6)  # UTF-8 strings are length-prefixed like binary
_PROPERTY_TYPES: Final = {
    **dict.fromkeys((0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A), _BYTE),
    **dict.fromkeys((0x13, 0x21, 0x22, 0x23), _U16),
    **dict.fromkeys((0x02, 0x11, 0x18, 0x27), _U32),
    0x0B: _VARINT,
    **dict.fromkeys((0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F), _BINARY),
    0x26: _PAIR,
}

OnPublishes = Callable[[list[str], list[bytes], list[int]], None]


class WireError(ConnectionError):
    """The connection to the broker failed or broke; ``reason`` says how, for the log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BrokerRefusedError(WireError):
    """The broker answered CONNECT with a failure reason code (3.2.2.2), e.g. 0x86 bad password."""

    def __init__(self, reason_code: int) -> None:
        super().__init__(f"the broker refused the connection with reason code {reason_code:#04x}")
        self.reason_code = reason_code


def encode_varint(n: int) -> bytes:
    """A Variable Byte Integer (1.5.5): 7 bits a byte, least significant first."""
    if not 0 <= n <= MAX_REMAINING_LENGTH:
        raise ValueError(f"{n} does not fit a Variable Byte Integer")
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def _string(s: str | bytes) -> bytes:
    """A UTF-8 Encoded String or Binary Data (1.5.4, 1.5.6): two bytes of length, then the bytes."""
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def _packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + encode_varint(len(body)) + body


def connect_packet(
    client_id: str,
    *,
    keepalive_s: int,
    session_expiry_s: int,
    receive_maximum: int = 65535,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    """CONNECT (3.1) with Clean Start 0, so the broker resumes the session it kept for us."""
    flags = 0
    payload = _string(client_id)
    if username is not None:
        flags |= 0x80
        payload += _string(username)
    if password is not None:
        flags |= 0x40
        payload += _string(password)
    props = struct.pack(
        "!BIBH", _SESSION_EXPIRY_INTERVAL, session_expiry_s, _RECEIVE_MAXIMUM, receive_maximum
    )
    variable = _string("MQTT") + struct.pack("!BBH", PROTOCOL_LEVEL, flags, keepalive_s)
    return _packet(_CONNECT << 4, variable + encode_varint(len(props)) + props + payload)


def subscribe_packet(packet_id: int, topic_filter: str, qos: int) -> bytes:
    """SUBSCRIBE (3.8): the reserved flags of its first byte are 0b0010 (3.8.1)."""
    return _packet(
        _SUBSCRIBE << 4 | 0x02, struct.pack("!HB", packet_id, 0) + _string(topic_filter) + bytes([qos])
    )


def puback_packets(packet_ids: list[int]) -> bytes:
    """One PUBACK per packet identifier, back to back, in the given order."""
    return struct.pack(f"!{len(packet_ids)}I", *[_PUBACK_WORD | i for i in packet_ids])


def _read_varint(buf: bytes | bytearray, pos: int, end: int) -> tuple[int, int] | None:
    """(value, position after it), or ``None`` when the buffer ends inside it."""
    value = shift = 0
    while pos < end:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
        if shift > 21:
            raise WireError("malformed packet: a Variable Byte Integer longer than four bytes")
    return None


def read_properties(buf: bytes | bytearray, pos: int, end: int) -> tuple[dict[int, int], int]:
    """The integer-valued properties at ``pos`` (others are stepped over), and where they end."""
    got = _read_varint(buf, pos, end)
    if got is None:
        raise WireError("malformed packet: the properties length is cut short")
    length, pos = got
    stop = pos + length
    if stop > end:
        raise WireError("malformed packet: the properties run past the end of the packet")
    out: dict[int, int] = {}
    while pos < stop:
        ident = buf[pos]
        kind = _PROPERTY_TYPES.get(ident)
        pos += 1
        if kind == _BYTE:
            out[ident], pos = buf[pos], pos + 1
        elif kind == _U16:
            out[ident], pos = int.from_bytes(buf[pos : pos + 2]), pos + 2
        elif kind == _U32:
            out[ident], pos = int.from_bytes(buf[pos : pos + 4]), pos + 4
        elif kind == _VARINT:
            got = _read_varint(buf, pos, stop)
            if got is None:
                raise WireError(f"malformed packet: property {ident:#04x} is cut short")
            out[ident], pos = got
        elif kind == _BINARY:
            pos += 2 + int.from_bytes(buf[pos : pos + 2])
        elif kind == _PAIR:
            pos += 2 + int.from_bytes(buf[pos : pos + 2])
            pos += 2 + int.from_bytes(buf[pos : pos + 2])
        else:
            raise WireError(f"malformed packet: unknown property identifier {ident:#04x}")
    if pos != stop:
        raise WireError("malformed packet: a property runs past the properties length")
    return out, stop


def parse_publish(buf: bytearray, first: int, start: int, stop: int) -> tuple[str, bytes, int]:
    """(topic, payload, packet id or 0 for QoS 0) of the PUBLISH whose body is ``buf[start:stop]``.

    The variable header (3.3.2): Topic Name, Packet Identifier when QoS > 0, Properties, which
    ingest does not need and steps over.
    """
    try:
        at = start + 2 + (buf[start] << 8 | buf[start + 1])
        topic = buf[start + 2 : at].decode("utf-8", "replace")
        packet_id = 0
        if first & 0x06:  # QoS 1 (QoS 2 is never granted: ingest subscribes at QoS 1)
            packet_id = buf[at] << 8 | buf[at + 1]
            at += 2
        b = buf[at]  # Property Length (3.3.2.3.1)
        if b < 0x80:
            at += 1 + b
        else:
            got = _read_varint(buf, at, stop)
            if got is None:
                raise WireError("malformed PUBLISH: its properties length is cut short")
            at = got[1] + got[0]
    except IndexError:
        raise WireError("malformed PUBLISH: its header runs past the data") from None
    if at > stop:
        raise WireError("malformed PUBLISH: its header runs past the end of the packet")
    with memoryview(buf) as view:
        return topic, view[at:stop].tobytes(), packet_id


class SubscriberConnection:
    """One TCP connection to the broker, as a QoS 1 subscriber.

    :meth:`open` connects and returns after CONNACK; :meth:`subscribe` sends SUBSCRIBE;
    :meth:`run` reads until the connection ends, calling ``on_publishes(topics, payloads,
    packet_ids)`` once per read with every PUBLISH the read completed (packet id 0 for QoS 0).
    :meth:`acknowledge` and :meth:`close` may be called from any thread.
    """

    def __init__(self, sock: socket.socket, *, keepalive_s: int, buffer_bytes: int = BUFFER_BYTES) -> None:
        self._sock = sock
        self.keepalive_s = keepalive_s
        self.session_present = False
        self._send_lock = threading.Lock()
        self._closed = False
        self._last_send = time.monotonic()
        self._ping_sent: float | None = None
        self._buffer_bytes = max(buffer_bytes, 16)  # room for a fixed header whatever comes
        self._buf = bytearray(self._buffer_bytes)
        self._end = 0  # bytes of self._buf holding data not parsed yet
        self._next_packet_id = 1
        self._suback: dict[int, Callable[[list[int]], None]] = {}

    @classmethod
    def open(
        cls,
        host: str,
        port: int,
        *,
        client_id: str,
        keepalive_s: int,
        session_expiry_s: int,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        buffer_bytes: int = BUFFER_BYTES,
    ) -> Self:
        """Connect, send CONNECT and wait for CONNACK; raises :class:`OSError` (or a WireError)."""
        sock = socket.create_connection((host, port), timeout=timeout_s)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = cls(sock, keepalive_s=keepalive_s, buffer_bytes=buffer_bytes)
            conn._send(
                connect_packet(
                    client_id,
                    keepalive_s=keepalive_s,
                    session_expiry_s=session_expiry_s,
                    username=username,
                    password=password,
                )
            )
            conn._read_connack()
        except BaseException:
            sock.close()
            raise
        # keep-alive checks wake the reader at least this often
        sock.settimeout(max(conn.keepalive_s / 2, 0.5) if conn.keepalive_s else None)
        return conn

    def _read_connack(self) -> None:
        while True:
            got = self._next_packet()
            if got is not None:
                break
            self._fill(idle_ok=False)
        first, start, stop = got
        if first >> 4 != _CONNACK or stop - start < 2:
            raise WireError(f"the broker answered CONNECT with packet type {first >> 4}, not CONNACK")
        buf = self._buf
        flags, reason_code = buf[start], buf[start + 1]
        if reason_code >= 0x80:
            raise BrokerRefusedError(reason_code)
        props, _ = read_properties(buf, start + 2, stop) if stop - start > 2 else ({}, stop)
        self.session_present = bool(flags & 0x01)
        if _SERVER_KEEP_ALIVE in props:  # the broker's keep-alive replaces ours (3.2.2.3.14)
            self.keepalive_s = props[_SERVER_KEEP_ALIVE]
        self._consume(stop)

    def _next_packet(self) -> tuple[int, int, int] | None:
        """(first byte, body start, body end) of the packet at the start of the buffer, if whole."""
        end = self._end
        if end < 2:
            return None
        got = _read_varint(self._buf, 1, end)
        if got is None:
            return None
        length, start = got
        if start + length > end:
            self._reserve(start + length)
            return None
        return self._buf[0], start, start + length

    def _consume(self, pos: int) -> None:
        """Drop the first ``pos`` bytes of the buffer (parsed), keeping the rest at its start."""
        rest = self._end - pos
        if rest and pos:
            self._buf[:rest] = bytes(memoryview(self._buf)[pos : self._end])
        self._end = rest

    def _reserve(self, size: int) -> None:
        """Make room for a packet of ``size`` bytes at the start of the buffer."""
        if size > len(self._buf):
            grown = bytearray(size)
            grown[: self._end] = self._buf[: self._end]
            self._buf = grown

    def _fill(self, *, idle_ok: bool = True) -> None:
        """Read what the socket has into the buffer after the unparsed bytes; keep-alive on idle."""
        with memoryview(self._buf) as view:
            try:
                n = self._sock.recv_into(view[self._end :])
            except TimeoutError:
                if not idle_ok:
                    raise
                n = -1
        if n == 0:
            raise WireError("closed on this side" if self._closed else "the broker closed the connection")
        if n > 0:
            self._end += n
        if self.keepalive_s:
            self._keep_alive(time.monotonic())

    def subscribe(self, topic_filter: str, *, qos: int, on_suback: Callable[[list[int]], None]) -> None:
        """Send SUBSCRIBE; ``on_suback(reason_codes)`` runs on the reading thread when it is answered."""
        packet_id = self._next_packet_id
        self._next_packet_id = packet_id % 65535 + 1
        self._suback[packet_id] = on_suback
        self._send(subscribe_packet(packet_id, topic_filter, qos))

    def run(self, on_publishes: OnPublishes) -> None:
        """Read and dispatch packets until the connection ends; raises :class:`OSError` then."""
        while True:
            self._end = self._dispatch(on_publishes)
            self._fill()

    def _dispatch(self, on_publishes: OnPublishes) -> int:
        """Parse every whole packet in the buffer, hand on the PUBLISHes; returns bytes left over."""
        buf = self._buf
        end = self._end
        pos = 0
        topics: list[str] = []
        payloads: list[bytes] = []
        packet_ids: list[int] = []
        while end - pos >= 2:
            b = buf[pos + 1]
            if b < 0x80:  # the Remaining Length, inline for its common one- and two-byte forms
                length, start = b, pos + 2
            elif end - pos >= 3 and buf[pos + 2] < 0x80:
                length, start = (b & 0x7F) | buf[pos + 2] << 7, pos + 3
            else:
                got = _read_varint(buf, pos + 1, end)
                if got is None:
                    break
                length, start = got
            stop = start + length
            if stop > end:
                break
            first = buf[pos]
            if first >> 4 == _PUBLISH:
                topic, payload, packet_id = parse_publish(buf, first, start, stop)
                topics.append(topic)
                payloads.append(payload)
                packet_ids.append(packet_id)
            else:
                self._control(first, start, stop)
            pos = stop
        if topics:
            on_publishes(topics, payloads, packet_ids)
        return self._keep_rest(pos, end)

    def _keep_rest(self, pos: int, end: int) -> int:
        """Move the unparsed bytes ``pos:end`` to the start of the buffer; returns how many."""
        buf = self._buf
        rest = end - pos
        if len(buf) > self._buffer_bytes and rest < self._buffer_bytes:
            self._buf = bytearray(self._buffer_bytes)  # a large packet is done: give the memory back
            self._buf[:rest] = buf[pos:end]
        elif rest and pos:
            buf[:rest] = buf[pos:end]
        self._end = rest
        if rest >= 2:  # a packet is cut short: make sure the buffer can hold all of it
            got = _read_varint(self._buf, 1, rest)
            if got is not None:
                self._reserve(got[1] + got[0])
        return rest

    def _control(self, first: int, start: int, stop: int) -> None:
        kind = first >> 4
        buf = self._buf
        if kind == _SUBACK:
            packet_id = buf[start] << 8 | buf[start + 1]
            _, at = read_properties(buf, start + 2, stop)
            callback = self._suback.pop(packet_id, None)
            if callback is not None:
                callback(list(buf[at:stop]))
        elif kind == _PINGRESP:
            self._ping_sent = None
        elif kind == _DISCONNECT:
            code = buf[start] if stop > start else 0
            raise WireError(f"the broker disconnected us with reason code {code:#04x}")
        else:
            log.debug("ignored an MQTT packet of type %d from the broker", kind)

    def _keep_alive(self, now: float) -> None:
        """PINGREQ when nothing was sent for half the keep-alive; give up on a silent broker."""
        if self._ping_sent is not None and now - self._ping_sent > self.keepalive_s:
            raise WireError(f"no PINGRESP from the broker within {self.keepalive_s} s")
        if self._ping_sent is None and now - self._last_send >= self.keepalive_s / 2:
            self._ping_sent = now
            self._send(_PINGREQ_PACKET)

    def acknowledge(self, packet_ids: list[int]) -> None:
        """PUBACK these packets, in one write; does nothing once the connection is closed."""
        if packet_ids and not self._closed:
            try:
                self._send(puback_packets(packet_ids))
            except OSError:  # perhaps half written: end the connection, the reader reconnects
                self.close()

    def _send(self, data: bytes) -> None:
        with self._send_lock:
            if self._closed:
                raise WireError("the connection is closed")
            self._sock.sendall(data)
            self._last_send = time.monotonic()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Send DISCONNECT (the session stays) and close; wakes a thread blocked in :meth:`run`."""
        with self._send_lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(OSError):
                self._sock.settimeout(1.0)
                self._sock.sendall(_DISCONNECT_PACKET)
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
