"""The MQTT 5.0 subscriber connection :class:`~seamline.ingest.mqtt.MqttIngest` speaks.

Packets are encoded and decoded by the ``mqtt5`` package, a sans-I/O MQTT 5 codec written in Rust
(the one aiomqtt 3 is built on); this module owns only what a codec leaves to its user: the
socket (plain TCP or TLS), framing, batching and timing. Handing on a read of the reference
factory's PUBLISH packets costs 1.7-2.7 us a packet with it, as with the hand-written parser it
replaced (1.8-3.3 us): 0.03 % of a core at the factory's rate, 0.35 % at 10x
(``bench/mqtt_codec.py``). At equal speed, the maintained codec.

What a QoS 1 subscriber needs of MQTT 5.0 (OASIS Standard, 7 March 2019):

- CONNECT (3.1) with Clean Start 0, a Session Expiry Interval, a Receive Maximum, a Maximum
  Packet Size (3.1.2.11.4), a keep-alive, and the user name and password if given; CONNACK (3.2),
  honouring a Server Keep Alive (3.2.2.3.14) and reporting Session Present (3.2.2.1.1).
- SUBSCRIBE (3.8) to one topic filter; SUBACK (3.9) hands its reason codes to the caller.
- PUBLISH (3.3): large ``recv_into`` reads into one buffer, then every complete packet in the
  buffer is framed here (fixed header 2.1, Variable Byte Integer 1.5.5), decoded by ``mqtt5``,
  and the lot is handed on as lists, once per read. A packet larger than the Maximum Packet Size
  is never buffered: the connection ends with DISCONNECT reason 0x95 Packet too large (4.13).
- PUBACK (3.4), sent by :meth:`SubscriberConnection.acknowledge` for many packets in one write;
  the caller decides when (ingest: after the commit) and keeps them in the order the PUBLISHes
  came (4.6).
- PINGREQ / PINGRESP (3.12, 3.13), sent by a timer thread of their own, so the keep-alive holds
  while the reader is held back by ingest (3.1.2.10).
- DISCONNECT (3.14) both ways.

TLS runs over memory BIOs (:class:`ssl.SSLObject`), one lock around the TLS state, so that the
reading thread and the threads sending acknowledgements and pings never use it at once (an
OpenSSL connection object is not safe to use from two threads at the same time).

The connection does not set Topic Alias Maximum, so the broker sends every topic in full
(3.3.2.3.4).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Final, Protocol, Self, cast

import mqtt5

log = logging.getLogger(__name__)

BUFFER_BYTES: Final = 1 << 21  # one read takes up to this much: ~150 binary messages of 1000 readings
MAX_REMAINING_LENGTH: Final = 268_435_455  # four bytes of Variable Byte Integer (1.5.5)
MAX_PACKET_BYTES: Final = 16 << 20  # 16 MiB: a message of ~1.3 million binary readings still fits
PACKET_TOO_LARGE: Final = 0x95  # DISCONNECT reason code (3.14.2.1)

_PINGREQ_PACKET: Final = mqtt5.PingReqPacket().write()
_PACKET_NAMES: Final = (
    *("packet of type 0", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP"),
    *("SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"),
)  # by control packet type (2.1.2)

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


class PacketTooLargeError(WireError):
    """The broker sent a packet over the Maximum Packet Size this client announced (3.1.2.11.4)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the broker sent a packet of {size:,} bytes, over the Maximum Packet Size of {limit:,};"
            " disconnected with reason 0x95"
        )
        self.size = size
        self.limit = limit


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


def connect_packet(
    client_id: str,
    *,
    keepalive_s: int,
    session_expiry_s: int,
    receive_maximum: int = 65535,
    max_packet_bytes: int | None = None,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    """CONNECT (3.1) with Clean Start 0, so the broker resumes the session it kept for us."""
    return mqtt5.ConnectPacket(
        client_id,
        username=username,
        password=None if password is None else password.encode(),
        clean_start=False,
        keep_alive=keepalive_s,
        session_expiry_interval=session_expiry_s,
        receive_max=receive_maximum,
        max_packet_size=max_packet_bytes,
    ).write()


def subscribe_packet(packet_id: int, topic_filter: str, qos: int) -> bytes:
    """SUBSCRIBE (3.8) of one topic filter at ``qos``, subscription options otherwise the defaults."""
    return mqtt5.SubscribePacket(
        packet_id, [mqtt5.TopicFilter(topic_filter, max_qos=mqtt5.QoS(qos), retain_as_published=False)]
    ).write()


def puback_packets(packet_ids: list[int]) -> bytes:
    """One PUBACK per packet identifier, back to back, in the given order."""
    return b"".join([mqtt5.PubAckPacket(i).write() for i in packet_ids])


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


def decode_packet(packet: memoryview) -> mqtt5.Packet:
    """One whole packet (fixed header included) decoded; :class:`WireError` if it is malformed.

    Checks beyond the codec's: the packet must be exactly as long as its Remaining Length says,
    a QoS 1 or 2 PUBLISH needs a non-zero Packet Identifier (2.2.1), and no Topic Alias may come,
    since this client allows none (3.3.2.3.4).
    """
    try:
        decoded, used = mqtt5.read(packet)
    except (ValueError, IndexError, OverflowError, UnicodeError) as exc:
        raise WireError(f"malformed {_PACKET_NAMES[packet[0] >> 4]}: {exc}") from None
    except BaseException as exc:
        # mqtt5 0.8.0 panics on a string that is not UTF-8 (a topic, a property): pyo3 raises that
        # as PanicException, a BaseException, which would end the reading thread. Found by
        # tests/ingest/test_ingest_mqtt_fuzz.py; a broker that checks UTF-8 (Mosquitto does)
        # never forwards such a packet.
        if type(exc).__name__ != "PanicException":
            raise
        raise WireError(
            f"malformed {_PACKET_NAMES[packet[0] >> 4]}: the codec failed on it ({exc})"
        ) from None
    if used != len(packet):
        raise WireError(f"malformed {_PACKET_NAMES[packet[0] >> 4]}: {len(packet) - used} bytes left over")
    if isinstance(decoded, mqtt5.PublishPacket):
        if int(decoded.qos) and not decoded.packet_id:
            raise WireError("malformed PUBLISH: QoS 1 or 2 without a packet identifier")
        if decoded.topic_alias is not None:
            raise WireError("protocol error: a Topic Alias, though this client allows none")
    return decoded


class _Transport(Protocol):
    def recv_into(self, buffer: memoryview, /) -> int: ...
    def sendall(self, data: bytes, /) -> None: ...
    def settimeout(self, timeout: float | None, /) -> None: ...
    def shutdown(self, how: int, /) -> None: ...
    def close(self) -> None: ...


class TlsTransport:
    """TLS over a connected socket, safe for one reading thread and any number of sending ones.

    The TLS state lives in an :class:`ssl.SSLObject` over memory BIOs, touched only under a lock;
    the socket is read without the lock (a reader waiting for data blocks no sender), and written
    under a second lock held from encryption to the end of ``sendall``, so records go out in
    the order they were made.
    """

    def __init__(self, sock: socket.socket, context: ssl.SSLContext, server_hostname: str) -> None:
        self._sock = sock
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=server_hostname)
        self._lock = threading.Lock()  # the TLS state
        self._send_lock = threading.Lock()  # the order of records on the socket

    def handshake(self) -> None:
        """The TLS handshake; raises :class:`ssl.SSLError` (an OSError) when the peer is not trusted."""
        while True:
            try:
                with self._lock:
                    self._tls.do_handshake()
            except ssl.SSLWantReadError:
                self._flush()
                self._take(self._sock.recv(65536))
            else:
                self._flush()
                return

    def _take(self, data: bytes) -> None:
        if not data:
            raise WireError("the broker closed the connection during the TLS handshake")
        with self._lock:
            self._incoming.write(data)

    def _flush(self) -> None:
        with self._send_lock:
            with self._lock:
                data = self._outgoing.read()
            if data:
                self._sock.sendall(data)

    def recv_into(self, buffer: memoryview, /) -> int:
        while True:
            with self._lock:
                try:
                    # with a buffer, read() returns the count (typeshed says bytes)
                    n: int | None = cast("int", self._tls.read(len(buffer), buffer))
                except ssl.SSLWantReadError:
                    n = None
                except ssl.SSLZeroReturnError:  # the broker's close_notify
                    n = 0
                pending = self._outgoing.pending
            if pending:  # e.g. a TLS 1.3 key update answered while reading
                self._flush()
            if n is not None:
                return n
            data = self._sock.recv(65536)
            if not data:
                return 0
            with self._lock:
                self._incoming.write(data)

    def sendall(self, data: bytes, /) -> None:
        with self._send_lock:
            with self._lock:
                self._tls.write(data)
                out = self._outgoing.read()
            self._sock.sendall(out)

    def settimeout(self, timeout: float | None, /) -> None:
        self._sock.settimeout(timeout)

    def shutdown(self, how: int, /) -> None:
        self._sock.shutdown(how)

    def close(self) -> None:
        self._sock.close()


class SubscriberConnection:
    """One connection to the broker, as a QoS 1 subscriber.

    :meth:`open` connects and returns after CONNACK; :meth:`subscribe` sends SUBSCRIBE;
    :meth:`run` reads until the connection ends, calling ``on_publishes(topics, payloads,
    packet_ids)`` once per read with every PUBLISH the read completed (packet id 0 for QoS 0),
    and keeps the connection alive with PINGREQs from a thread of its own, whether or not the
    reader is reading. :meth:`acknowledge` and :meth:`close` may be called from any thread.
    """

    def __init__(
        self,
        sock: socket.socket | _Transport,
        *,
        keepalive_s: int,
        buffer_bytes: int = BUFFER_BYTES,
        max_packet_bytes: int = MAX_PACKET_BYTES,
    ) -> None:
        self._sock: _Transport = sock
        self.keepalive_s = keepalive_s
        self.max_packet_bytes = max_packet_bytes
        self.session_present = False
        self.oversized_packets = 0  # packets over max_packet_bytes (the connection ends at the first)
        self.pings_sent = 0
        self._send_lock = threading.Lock()
        self._closed = False
        self._closed_event = threading.Event()
        self._last_send = time.monotonic()
        self._unanswered_ping: float | None = None  # when the oldest PINGREQ not answered yet went out
        self._buffer_bytes = max(buffer_bytes, 16)  # room for a fixed header whatever comes
        self._buf = bytearray(self._buffer_bytes)
        self._end = 0  # bytes of self._buf holding data not parsed yet
        self._next_packet_id = 1
        self._suback: dict[int, Callable[[list[int]], None]] = {}
        self._pinger: threading.Thread | None = None

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
        tls: ssl.SSLContext | None = None,
        timeout_s: float = 10.0,
        buffer_bytes: int = BUFFER_BYTES,
        max_packet_bytes: int = MAX_PACKET_BYTES,
    ) -> Self:
        """Connect (over TLS when ``tls`` is given), send CONNECT and wait for CONNACK.

        Raises :class:`OSError`: a :class:`WireError`, or an :class:`ssl.SSLError` when the
        broker's certificate is not trusted or ours is refused.
        """
        sock = socket.create_connection((host, port), timeout=timeout_s)
        transport: socket.socket | TlsTransport = sock
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                transport = TlsTransport(sock, tls, host)
                transport.handshake()
            conn = cls(
                transport,
                keepalive_s=keepalive_s,
                buffer_bytes=buffer_bytes,
                max_packet_bytes=max_packet_bytes,
            )
            conn._send(
                connect_packet(
                    client_id,
                    keepalive_s=keepalive_s,
                    session_expiry_s=session_expiry_s,
                    max_packet_bytes=max_packet_bytes,
                    username=username,
                    password=password,
                )
            )
            conn._read_connack()
        except BaseException:
            sock.close()
            raise
        # the reader wakes at least this often to notice a broker that stopped answering PINGREQs
        sock.settimeout(max(conn.keepalive_s / 2, 0.5) if conn.keepalive_s else None)
        return conn

    def _read_connack(self) -> None:
        while (got := self._next_packet()) is None:
            self._fill(idle_ok=False)
        first, _, stop = got
        with memoryview(self._buf) as view:
            connack = decode_packet(view[:stop])
        if not isinstance(connack, mqtt5.ConnAckPacket):
            raise WireError(f"the broker answered CONNECT with packet type {first >> 4}, not CONNACK")
        if int(connack.reason_code) >= 0x80:
            raise BrokerRefusedError(int(connack.reason_code))
        self.session_present = connack.session_present
        if connack.server_keep_alive is not None:  # the broker's keep-alive replaces ours (3.2.2.3.14)
            self.keepalive_s = connack.server_keep_alive
        self._consume(stop)

    def _check_size(self, size: int) -> None:
        """End the connection on a packet over the Maximum Packet Size, before buffering any of it."""
        if size > self.max_packet_bytes:
            self.oversized_packets += 1
            self.close(reason_code=PACKET_TOO_LARGE)
            raise PacketTooLargeError(size, self.max_packet_bytes)

    def _next_packet(self) -> tuple[int, int, int] | None:
        """(first byte, body start, body end) of the packet at the start of the buffer, if whole."""
        end = self._end
        if end < 2:
            return None
        got = _read_varint(self._buf, 1, end)
        if got is None:
            return None
        length, start = got
        self._check_size(start + length)
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
        """Read what the socket has into the buffer after the unparsed bytes."""
        with memoryview(self._buf) as view:
            try:
                n = self._sock.recv_into(view[self._end :])
            except TimeoutError:
                if not idle_ok:
                    raise
                self._check_broker_alive(time.monotonic())
                return
        if n == 0:
            raise WireError("closed on this side" if self._closed else "the broker closed the connection")
        self._end += n

    def subscribe(self, topic_filter: str, *, qos: int, on_suback: Callable[[list[int]], None]) -> None:
        """Send SUBSCRIBE; ``on_suback(reason_codes)`` runs on the reading thread when it is answered.

        A reason code of 0x80 or more refuses the subscription (3.9.3); one below ``qos`` grants
        less than asked. Judging that is the caller's.
        """
        packet_id = self._next_packet_id
        self._next_packet_id = packet_id % 65535 + 1
        self._suback[packet_id] = on_suback
        self._send(subscribe_packet(packet_id, topic_filter, qos))

    def run(self, on_publishes: OnPublishes) -> None:
        """Read and dispatch packets until the connection ends; raises :class:`OSError` then."""
        if self.keepalive_s and self._pinger is None:
            self._pinger = threading.Thread(target=self._ping, name="seamline-mqtt-keepalive", daemon=True)
            self._pinger.start()
        while True:
            self._end = self._dispatch(on_publishes)
            self._fill()

    def _dispatch(self, on_publishes: OnPublishes) -> int:
        """Parse every whole packet in the buffer, hand on the PUBLISHes; returns bytes left over."""
        buf = self._buf
        end = self._end
        pos = 0
        limit = self.max_packet_bytes
        topics: list[str] = []
        payloads: list[bytes] = []
        packet_ids: list[int] = []
        try:
            with memoryview(buf) as view:
                while end - pos >= 2:
                    b = buf[pos + 1]
                    if b < 0x80:  # the Remaining Length, inline for its common one- and two-byte forms
                        stop = pos + 2 + b
                    elif end - pos >= 3 and buf[pos + 2] < 0x80:
                        stop = pos + 3 + ((b & 0x7F) | buf[pos + 2] << 7)
                    else:
                        got = _read_varint(buf, pos + 1, end)
                        if got is None:
                            break
                        stop = got[1] + got[0]
                    if stop - pos > limit:
                        self._check_size(stop - pos)
                    if stop > end:
                        break
                    packet = decode_packet(view[pos:stop])
                    if isinstance(packet, mqtt5.PublishPacket):
                        topics.append(packet.topic)
                        payloads.append(packet.payload)
                        packet_ids.append(packet.packet_id or 0)
                    else:
                        self._control(packet)
                    pos = stop
        except WireError:
            if topics:  # the whole packets before the malformed one are good: hand them on
                on_publishes(topics, payloads, packet_ids)
            raise
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
                self._check_size(got[1] + got[0])
                self._reserve(got[1] + got[0])
        return rest

    def _control(self, packet: mqtt5.Packet) -> None:
        if isinstance(packet, mqtt5.SubAckPacket):
            callback = self._suback.pop(packet.packet_id, None)
            if callback is not None:
                callback([int(code) for code in packet.reason_codes])
        elif isinstance(packet, mqtt5.PingRespPacket):
            self._unanswered_ping = None
        elif isinstance(packet, mqtt5.DisconnectPacket):
            raise WireError(f"the broker disconnected us with reason code {int(packet.reason_code):#04x}")
        else:
            log.debug("ignored an MQTT %s from the broker", type(packet).__name__)

    def _ping(self) -> None:
        """PINGREQ whenever nothing was sent for half the keep-alive, even while the reader waits
        on ingest (its PINGRESPs are read once it reads again): the broker must hear from us
        within 1.5 keep-alives or it drops the connection (3.1.2.10)."""
        half_s = self.keepalive_s / 2
        while not self._closed_event.wait(min(half_s / 2, 1.0)):
            now = time.monotonic()
            if now - self._last_send >= half_s:
                if self._unanswered_ping is None:
                    self._unanswered_ping = now
                try:
                    self._send(_PINGREQ_PACKET)
                except OSError:
                    return  # the reader notices the connection is gone
                self.pings_sent += 1

    def _check_broker_alive(self, now: float) -> None:
        """Called when a read waited for nothing: a PINGREQ unanswered for a keep-alive ends it."""
        since = self._unanswered_ping
        if since is not None and now - since > self.keepalive_s:
            raise WireError(f"no PINGRESP from the broker within {self.keepalive_s} s")

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

    def close(self, *, reason_code: int = 0) -> None:
        """Send DISCONNECT and close; wakes a thread blocked in :meth:`run`.

        Reason 0, Normal disconnection, keeps the session (3.14.2.1).
        """
        with self._send_lock:
            if self._closed:
                return
            self._closed = True
            self._closed_event.set()
            packet = mqtt5.DisconnectPacket(reason_code=mqtt5.DisconnectReasonCode(reason_code)).write()
            with contextlib.suppress(OSError):
                self._sock.settimeout(1.0)
                self._sock.sendall(packet)
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
