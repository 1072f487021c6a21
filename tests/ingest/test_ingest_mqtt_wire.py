"""The lean MQTT 5 subscriber (seamline.ingest.mqtt_wire) against the real Mosquitto on 127.0.0.1:1883.

Failures are injected with a TCP relay between the subscriber and the broker that a test can cut,
and that records what the subscriber sent (to see when its PUBACKs go out); the broker is real.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from ingest_helpers import wait_for
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from seamline.ingest import DeviceBatch, Ingestor, MqttIngest, MqttPublisher
from seamline.ingest.binary import encode_binary
from seamline.ingest.mqtt_wire import (
    SubscriberConnection,
    WireError,
    connect_packet,
    encode_varint,
    puback_packets,
    subscribe_packet,
)
from seamline.model.factory import Factory
from seamline.store import DuckDBStore, WriteResult

HOST, PORT = "127.0.0.1", 1883
T0 = 1_795_363_200_000
NOW = T0 + 60_000
DEVICE = "L01-S03"  # 67 channels


def packets(stream: bytes | bytearray) -> list[tuple[int, bytes]]:
    """(type, body) of each whole MQTT packet in ``stream`` (section 2.1), written out here anew."""
    out, pos = [], 0
    while pos + 2 <= len(stream):
        length, shift, at = 0, 0, pos + 1
        while True:
            b = stream[at]
            at += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        out.append((stream[pos] >> 4, bytes(stream[at : at + length])))
        pos = at + length
    return out


class Relay:
    """A TCP relay to the real broker: ``cut()`` drops every connection through it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"mqtt://127.0.0.1:{self.listener.getsockname()[1]}"
        self.port = self.listener.getsockname()[1]
        self.sent: list[bytearray] = []  # what the client sent, per connection
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((HOST, PORT))
            record = bytearray()
            with self._lock:
                self._socks += [client, upstream]
                self.sent.append(record)
            threading.Thread(target=self._pump, args=(client, upstream, record), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, record: bytearray | None) -> None:
        try:
            while data := src.recv(65536):
                if record is not None:
                    with self._lock:
                        record += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def sent_types(self, connection: int = -1) -> list[int]:
        with self._lock:
            return [kind for kind, _ in packets(self.sent[connection])]

    def cut(self) -> None:
        with self._lock:
            for s in self._socks:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        self.cut()
        with self._lock:
            for s in self._socks:
                s.close()


@pytest.fixture
def relay() -> Iterator[Relay]:
    r = Relay()
    yield r
    r.close()


class Collector:
    """Runs a connection's read loop in a thread and keeps what it hands on."""

    def __init__(self, conn: SubscriberConnection) -> None:
        self.conn = conn
        self.got: list[tuple[str, bytes, int]] = []
        self.calls = 0
        self.granted: list[int] | None = None
        self.ended: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def subscribe(self, topic_filter: str) -> None:
        self.conn.subscribe(topic_filter, qos=1, on_suback=self._on_suback)
        self._thread.start()
        wait_for(lambda: self.granted is not None, "the SUBACK")

    def _on_suback(self, codes: list[int]) -> None:
        self.granted = codes

    def _on_publishes(self, topics: list[str], payloads: list[bytes], ids: list[int]) -> None:
        self.calls += 1
        self.got += zip(topics, payloads, ids, strict=True)

    def _run(self) -> None:
        try:
            self.conn.run(self._on_publishes)
        except OSError as exc:
            self.ended = exc

    def stop(self) -> None:
        self.conn.close()
        self._thread.join(10)


def paho_v5(client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect(HOST, PORT)
    client.loop_start()
    return client


# -- packets, byte for byte -----------------------------------------------------------------------


def test_variable_byte_integers_use_one_to_four_bytes() -> None:
    assert encode_varint(0) == b"\x00"
    assert encode_varint(127) == b"\x7f"
    assert encode_varint(128) == b"\x80\x01"
    assert encode_varint(16_383) == b"\xff\x7f"
    assert encode_varint(16_384) == b"\x80\x80\x01"
    assert encode_varint(2_097_151) == b"\xff\xff\x7f"
    assert encode_varint(2_097_152) == b"\x80\x80\x80\x01"
    assert encode_varint(268_435_455) == b"\xff\xff\xff\x7f"
    with pytest.raises(ValueError, match="Variable Byte Integer"):
        encode_varint(268_435_456)


def test_connect_asks_for_the_stored_session_and_a_wide_receive_window() -> None:
    got = connect_packet(
        "ing",
        keepalive_s=30,
        session_expiry_s=600,
        max_packet_bytes=1 << 20,
        username="u",
        password="pw",  # noqa: S106  # a test value
    )
    variable = (
        b"\x00\x04MQTT"  # protocol name
        + b"\x05"  # protocol level 5
        + b"\xc0"  # user name and password flags; Clean Start (0x02) not set
        + b"\x00\x1e"  # keep-alive 30 s
        + b"\x0a"  # 10 bytes of properties:
        + b"\x11\x00\x00\x02\x58"  # Session Expiry Interval 600
        + b"\x27\x00\x10\x00\x00"  # Maximum Packet Size 1,048,576 (3.1.2.11.4)
    )  # no Receive Maximum: absent, it is 65,535 (3.1.2.11.3), the widest window there is
    payload = b"\x00\x03ing" + b"\x00\x01u" + b"\x00\x02pw"
    assert got == b"\x10" + bytes([len(variable) + len(payload)]) + variable + payload
    anonymous = connect_packet("ing", keepalive_s=30, session_expiry_s=600)
    assert anonymous[9] == 0x00  # no flags at all
    narrow = connect_packet("ing", keepalive_s=30, session_expiry_s=600, receive_maximum=100)
    assert narrow[12:21] == b"\x08\x11\x00\x00\x02\x58\x21\x00\x64"  # Receive Maximum 100 when not 65,535


def test_subscribe_and_puback_packets() -> None:
    assert subscribe_packet(7, "a/+", 1) == b"\x82\x09\x00\x07\x00\x00\x03a/+\x01"
    assert puback_packets([1, 258, 65535]) == b"\x40\x02\x00\x01" + b"\x40\x02\x01\x02" + b"\x40\x02\xff\xff"


# -- parsing a stream cut anywhere ---------------------------------------------------------------


def publish_packet(topic: str, payload: bytes, packet_id: int = 0, props: bytes = b"") -> bytes:
    """A PUBLISH (3.3) built here by hand: QoS 1 when ``packet_id`` is given, else QoS 0."""
    t = topic.encode()
    variable = struct.pack("!H", len(t)) + t
    variable += struct.pack("!H", packet_id) if packet_id else b""
    variable += encode_varint(len(props)) + props
    return (
        bytes([0x32 if packet_id else 0x30])
        + encode_varint(len(variable) + len(payload))
        + variable
        + payload
    )


def user_property(key: str, value: str) -> bytes:
    return (
        b"\x26" + struct.pack("!H", len(key)) + key.encode() + struct.pack("!H", len(value)) + value.encode()
    )


STREAM_MESSAGES = [
    ("f/a", b"", 1, b""),
    ("f/b", b"x", 0, b"\x02\x00\x00\x0e\x10"),  # Message Expiry Interval
    ("f/\u00e9", bytes(range(200)), 2, user_property("k", "v" * 150)),  # a two-byte Property Length
    ("f/d", b"y" * 20_000, 65535, b"\x0b\x81\x01" + b"\x03\x00\x04text"),  # Subscription Id, Content Type
    ("f/e", b"z" * 130, 3, b""),
]


@pytest.mark.parametrize("buffer_bytes", [16, 37, 100, 4096, 1 << 20])
def test_a_stream_read_in_pieces_of_any_size_yields_every_publish(buffer_bytes: int) -> None:
    stream = b"".join(publish_packet(*m) for m in STREAM_MESSAGES[:3])
    stream += b"\xd0\x00"  # a PINGRESP among them
    stream += b"\x90\x04\x00\x01\x00\x01"  # and a SUBACK for packet 1, QoS 1 granted
    stream += b"".join(publish_packet(*m) for m in STREAM_MESSAGES[3:])
    ours, broker = socket.socketpair()
    conn = SubscriberConnection(ours, keepalive_s=0, buffer_bytes=buffer_bytes)
    granted: list[list[int]] = []
    conn.subscribe("f/#", qos=1, on_suback=granted.append)  # packet 1: the broker side ignores it
    got: list[tuple[str, bytes, int]] = []
    writer = threading.Thread(target=lambda: (broker.sendall(stream), broker.shutdown(socket.SHUT_WR)))
    writer.start()
    with pytest.raises(WireError, match="closed the connection"):
        conn.run(lambda topics, payloads, ids: got.extend(zip(topics, payloads, ids, strict=True)))
    writer.join()
    conn.close()
    broker.close()
    assert got == [(t, p, i) for t, p, i, _ in STREAM_MESSAGES]
    assert granted == [[1]]


def test_a_malformed_publish_ends_the_connection() -> None:
    ours, broker = socket.socketpair()
    conn = SubscriberConnection(ours, keepalive_s=0)
    broker.sendall(b"\x32\x05\x00\x09abc")  # the topic length runs past the packet
    with pytest.raises(WireError, match="malformed PUBLISH"):
        conn.run(lambda topics, payloads, ids: None)
    conn.close()
    broker.close()


# -- the connection against Mosquitto -------------------------------------------------------------


@pytest.mark.mqtt
def test_publishes_cut_across_reads_arrive_whole_with_their_properties_stepped_over(
    mosquitto_url: str, mqtt_namespace: str
) -> None:
    # A 16-byte buffer: every packet arrives in pieces, cut at every possible place, and the
    # 70 kB one makes the buffer grow for it.
    conn = SubscriberConnection.open(
        HOST,
        PORT,
        client_id=f"wire-{uuid.uuid4().hex[:10]}",
        keepalive_s=30,
        session_expiry_s=0,
        buffer_bytes=16,
    )
    collector = Collector(conn)
    collector.subscribe(f"{mqtt_namespace}/#")
    assert collector.granted == [1]
    sizes = [0, 1, 2, 100, 127, 128, 5_000, 16_383, 16_384, 70_000, 3]
    expected: dict[str, tuple[bytes, int]] = {}
    publisher = paho_v5(f"wire-pub-{uuid.uuid4().hex[:10]}")
    try:
        for i, size in enumerate(sizes):
            topic = f"{mqtt_namespace}/m{i}"
            payload = bytes((i * 7 + k) % 251 for k in range(size))
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho is untyped here
            if i % 2:
                props.UserProperty = ("k", "v" * i)
                props.ContentType = "application/octet-stream"
                props.MessageExpiryInterval = 3600
                props.CorrelationData = b"\x00\x01"
            qos = 0 if i % 3 == 0 else 1
            publisher.publish(topic, payload, qos=qos, properties=props).wait_for_publish(10)
            expected[topic] = (payload, qos)
        wait_for(lambda: len(collector.got) == len(sizes), "every message")
    finally:
        publisher.disconnect()
        publisher.loop_stop()
    got = {topic: (payload, packet_id) for topic, payload, packet_id in collector.got}
    assert {t: p for t, (p, _) in got.items()} == {t: p for t, (p, _) in expected.items()}
    assert all((packet_id != 0) == (expected[t][1] == 1) for t, (_, packet_id) in got.items())
    assert collector.calls > 1
    collector.stop()
    assert isinstance(collector.ended, OSError)


@pytest.mark.mqtt
def test_an_idle_connection_is_kept_open_with_pingreq(
    mosquitto_url: str, mqtt_namespace: str, relay: Relay
) -> None:
    conn = SubscriberConnection.open(
        "127.0.0.1", relay.port, client_id=f"wire-{uuid.uuid4().hex[:10]}", keepalive_s=1, session_expiry_s=0
    )
    collector = Collector(conn)
    collector.subscribe(f"{mqtt_namespace}/#")
    wait_for(lambda: relay.sent_types().count(12) >= 3, "three PINGREQs")  # the broker would drop us at 1.5 s
    with MqttPublisher(mosquitto_url, "site", topic_prefix=mqtt_namespace) as pub:
        pub.publish_payload("d", b"still here")
        assert pub.wait_published(10)
    wait_for(lambda: len(collector.got) == 1, "the message after the idle time")
    assert collector.ended is None
    collector.stop()


def test_a_refused_or_absent_broker_is_an_os_error() -> None:
    with pytest.raises(OSError):  # noqa: PT011  # ECONNREFUSED; the exact errno is the OS's
        SubscriberConnection.open("127.0.0.1", 1, client_id="x", keepalive_s=30, session_expiry_s=0)
    assert issubclass(WireError, OSError)


# -- MqttIngest over the connection ---------------------------------------------------------------


class Gated:
    """A real store whose writes wait until the test opens the gate: failure injection, not a mock."""

    def __init__(self, inner: DuckDBStore) -> None:
        self.inner = inner
        self.gate = threading.Event()

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        if not self.gate.wait(30):
            raise TimeoutError("the test never opened the gate")
        return self.inner.write_batch(batches)


def subscriber(url: str, ingestor: Ingestor, namespace: str) -> MqttIngest:
    sub = MqttIngest(
        url,
        ingestor,
        topic_prefix=namespace,
        client_id=f"seamline-test-{uuid.uuid4().hex[:12]}",
        session_expiry_s=30,
        backoff_initial_s=0.2,
        backoff_max_s=0.5,
    )
    sub.start()
    if not sub.wait_subscribed(10):
        sub.stop()
        pytest.fail(f"no subscription to {sub.topic} within 10 s")
    return sub


def frame(seq: int, n: int = 3) -> bytes:
    i = np.arange(n)
    return encode_binary(DEVICE, seq=seq, sent_ts_ms=T0, channels=i % 67, ts_ms=T0 - i, values=i * 0.5)


def received(ingestor: Ingestor) -> int:
    return int(ingestor.stats()["received"].get("mqtt", 0))


@contextlib.contextmanager
def held_commits(
    relay: Relay, namespace: str, factory: Factory, tmp_path: Path
) -> Iterator[tuple[DuckDBStore, Gated, Ingestor, MqttIngest]]:
    """Ingest through the relay into a store whose commits wait for the test to open its gate."""
    with DuckDBStore(tmp_path).opened(factory) as store:
        gated = Gated(store)
        with Ingestor(factory, gated, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor:
            sub = subscriber(relay.url, ingestor, namespace)
            try:
                yield store, gated, ingestor, sub
            finally:
                gated.gate.set()
                sub.stop()


def publish_frames(url: str, factory: Factory, namespace: str, seqs: range) -> None:
    with MqttPublisher(url, factory.site_id, topic_prefix=namespace) as pub:
        for seq in seqs:
            pub.publish_payload(DEVICE, frame(seq))
        assert pub.wait_published(10)


@pytest.mark.mqtt
def test_pubacks_go_out_only_after_the_commit(
    mosquitto_url: str, mqtt_namespace: str, factory: Factory, tmp_path: Path, relay: Relay
) -> None:
    with held_commits(relay, mqtt_namespace, factory, tmp_path) as (store, gated, ingestor, _):
        publish_frames(mosquitto_url, factory, mqtt_namespace, range(10))
        wait_for(lambda: received(ingestor) == 10, "all 10 messages to be taken in")
        time.sleep(0.3)  # time enough for a PUBACK sent too early to pass the relay
        assert relay.sent_types().count(4) == 0
        assert store.message_count() == 0
        gated.gate.set()
        wait_for(lambda: relay.sent_types().count(4) == 10, "10 PUBACKs after the commit")
        assert store.message_count() == 10


@pytest.mark.mqtt
def test_messages_taken_in_when_the_connection_drops_come_again_and_are_stored_once(
    mosquitto_url: str,
    mqtt_namespace: str,
    factory: Factory,
    tmp_path: Path,
    relay: Relay,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="seamline.ingest.mqtt")
    with held_commits(relay, mqtt_namespace, factory, tmp_path) as (store, gated, ingestor, sub):
        publish_frames(mosquitto_url, factory, mqtt_namespace, range(10))
        wait_for(lambda: received(ingestor) == 10, "all 10 messages to be taken in")
        relay.cut()  # before the commit: nothing was acknowledged
        gated.gate.set()
        wait_for(lambda: ingestor.stats()["duplicates"] == 10, "the broker to send all 10 again")
        wait_for(lambda: sub.subscribed, "the subscription after reconnecting")
        publish_frames(mosquitto_url, factory, mqtt_namespace, range(10, 11))
        wait_for(lambda: store.message_count() == 11, "the message published after reconnecting")
        stats = ingestor.stats()
        assert store.reading_count() == 33
    assert (stats["messages_accepted"], stats["duplicates"]) == (11, 10)
    assert len(relay.sent) >= 2
    assert "lost the connection to the MQTT broker" in caplog.text


@pytest.mark.mqtt
def test_a_message_over_two_megabytes_is_stored(
    mosquitto_url: str, mqtt_namespace: str, factory: Factory, tmp_path: Path
) -> None:
    big = frame(1, n=250_000)
    assert len(big) > 2_097_151  # its Remaining Length takes all four bytes
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
    ):
        sub = subscriber(mosquitto_url, ingestor, mqtt_namespace)
        try:
            with MqttPublisher(mosquitto_url, factory.site_id, topic_prefix=mqtt_namespace) as pub:
                pub.publish_payload(DEVICE, big)
                pub.publish_payload(DEVICE, frame(2))  # and the small one behind it
                assert pub.wait_published(30)
            wait_for(lambda: store.message_count() == 2, "both messages")
        finally:
            sub.stop()
        assert store.reading_count() == 250_003
    assert struct.unpack_from("<I", big, 40)[0] == 250_000
