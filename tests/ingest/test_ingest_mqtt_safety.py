"""The MQTT subscriber facing a broker that misbehaves, loses its session or is slow to be read.

Misbehaviour is injected by a fake broker (a socket server in the test speaking just enough
MQTT 5 to misbehave on cue) or by failure injection around the real Mosquitto on 127.0.0.1:1883.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import tracemalloc
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import wait_for
from test_ingest_mqtt_wire import Relay, frame, publish_frames, publish_packet, received

from seamline.ingest import DeviceBatch, Ingestor, MqttIngest, MqttPublisher
from seamline.ingest import mqtt as mqtt_module
from seamline.ingest.mqtt import AckSequence
from seamline.ingest.mqtt_wire import PacketTooLargeError, SubscriberConnection, encode_varint
from seamline.model.factory import Factory
from seamline.store import DuckDBStore, WriteResult

NOW = 1_795_363_200_000 + 60_000


def read_packet(sock: socket.socket) -> tuple[int, bytes]:
    """(first byte, body) of the next packet the client sent; (0, b"") when it closed."""

    def exactly(n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = sock.recv(n - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out

    try:
        first = exactly(1)[0]
        length = shift = 0
        while True:
            b = exactly(1)[0]
            length |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        return first, exactly(length)
    except (EOFError, OSError):
        return 0, b""


Script = Callable[[socket.socket, int], None]  # after SUBSCRIBE: (socket, its packet id)


class FakeBroker:
    """Accepts connections, answers CONNECT (Session Present from ``session_present``, one per
    connection) and SUBSCRIBE with ``suback`` codes, then runs ``script``; records what came."""

    def __init__(
        self,
        suback: Sequence[int] = (1,),
        session_present: Sequence[bool] = (),
        script: Script | None = None,
    ) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"mqtt://127.0.0.1:{self.listener.getsockname()[1]}"
        self.suback = bytes(suback)
        self.session_present = list(session_present)
        self.script = script
        self.connections = 0
        self.received: list[list[tuple[int, bytes]]] = []  # per connection
        self._socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self._socks.append(sock)
            threading.Thread(target=self._serve, args=(sock, self.connections), daemon=True).start()
            self.connections += 1

    def _serve(self, sock: socket.socket, n: int) -> None:
        got: list[tuple[int, bytes]] = []
        self.received.append(got)
        with contextlib.suppress(OSError):
            got.append(read_packet(sock))  # CONNECT
            present = self.session_present[n] if n < len(self.session_present) else False
            sock.sendall(b"\x20\x03" + bytes([int(present), 0, 0]))  # CONNACK, Success, no properties
            first, body = read_packet(sock)  # SUBSCRIBE
            got.append((first, body))
            packet_id = body[:2]
            sock.sendall(b"\x90" + encode_varint(3 + len(self.suback)) + packet_id + b"\x00" + self.suback)
            if self.script is not None:
                self.script(sock, int.from_bytes(packet_id))
            while (packet := read_packet(sock))[0]:
                got.append(packet)

    def close(self) -> None:
        self.listener.close()
        for s in self._socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@contextlib.contextmanager
def fake_broker(**kwargs: Any) -> Iterator[FakeBroker]:
    broker = FakeBroker(**kwargs)
    try:
        yield broker
    finally:
        broker.close()


def connector(url: str, ingestor: Ingestor, **kwargs: Any) -> MqttIngest:
    return MqttIngest(
        url,
        ingestor,
        client_id=f"seamline-test-{uuid.uuid4().hex[:12]}",
        session_expiry_s=30,
        backoff_initial_s=0.05,
        backoff_max_s=0.1,
        **kwargs,
    )


@pytest.fixture
def relay() -> Iterator[Relay]:
    r = Relay()
    yield r
    r.close()


@pytest.fixture
def ingestor(factory: Factory, tmp_path: Path) -> Iterator[Ingestor]:
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ing,
    ):
        yield ing


# -- SUBACK (MQTT 5.0 section 3.9.3) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "says"),
    [(0x00, "granted less than QoS 1"), (0x87, "refused the subscription")],
    ids=["qos0-granted", "not-authorized"],
)
def test_a_suback_granting_qos_0_or_refusing_is_an_error_in_the_log_and_in_health(
    ingestor: Ingestor, caplog: pytest.LogCaptureFixture, code: int, says: str
) -> None:
    with fake_broker(suback=[code]) as broker:
        sub = connector(broker.url, ingestor)
        sub.start()
        try:
            wait_for(lambda: sub.subscription_failures >= 2, "two SUBACKs to be judged")
            health = sub.health()
        finally:
            sub.stop()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and says in r.getMessage()]
    assert errors, caplog.text
    assert f"{code:#04x}" in errors[0].getMessage()
    assert not health["subscribed"]
    assert not health["healthy"]
    assert says in health["last_error"]
    assert broker.connections >= 2  # the subscription failed, so it connected and tried again
    assert not sub.subscribed


def test_a_suback_granting_qos_1_subscribes(ingestor: Ingestor) -> None:
    with fake_broker(suback=[1]) as broker:
        sub = connector(broker.url, ingestor)
        sub.start()
        try:
            assert sub.wait_subscribed(10)
            health = sub.health()
        finally:
            sub.stop()
    assert health["healthy"]
    assert health["subscribed"]
    assert (health["subscription_failures"], health["last_error"]) == (0, None)


# -- Maximum Packet Size (3.1.2.11.4) -------------------------------------------------------------


def test_a_packet_over_the_maximum_size_ends_the_connection_with_0x95_unbuffered() -> None:
    ours, broker = socket.socketpair()
    conn = SubscriberConnection(ours, keepalive_s=0, max_packet_bytes=1 << 20)
    # a PUBLISH declaring 256 MiB; only its first bytes ever come
    broker.sendall(b"\x30" + encode_varint(268_435_455) + b"\x00\x03a/b" + b"x" * 1000)
    tracemalloc.start()
    try:
        with pytest.raises(PacketTooLargeError, match="268,435,460 bytes, over the Maximum Packet Size"):
            conn.run(lambda topics, payloads, ids: None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # nothing like the declared size was allocated
    assert conn.oversized_packets == 1
    assert conn.closed
    assert read_packet(broker) == (0xE0, b"\x95")  # DISCONNECT, reason Packet too large
    broker.close()


def test_an_oversized_packet_from_the_broker_is_counted_and_the_connector_reconnects(
    ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    def oversized(sock: socket.socket, _: int) -> None:
        sock.sendall(publish_packet("seamline/v1/x/L01-S03/telemetry", b"y" * 5000, packet_id=1))

    with fake_broker(script=oversized) as broker:
        sub = connector(broker.url, ingestor, max_packet_bytes=4096)
        sub.start()
        try:
            wait_for(lambda: sub.oversized_packets >= 2, "two oversized packets")
            health = sub.health()
        finally:
            sub.stop()
    assert health["oversized_packets"] >= 2
    assert "Maximum Packet Size of 4,096" in health["last_error"]
    assert (0xE0, b"\x95") in broker.received[0]
    assert received(ingestor) == 0
    connect = broker.received[0][0][1]
    assert b"\x27\x00\x00\x10\x00" in connect  # the CONNECT announced Maximum Packet Size 4096


@pytest.mark.mqtt
def test_mosquitto_keeps_a_message_over_our_maximum_packet_size_from_us(
    mosquitto_url: str, mqtt_namespace: str, factory: Factory, tmp_path: Path
) -> None:
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
    ):
        sub = connector(mosquitto_url, ingestor, topic_prefix=mqtt_namespace, max_packet_bytes=64 * 1024)
        sub.start()
        try:
            assert sub.wait_subscribed(10)
            with MqttPublisher(mosquitto_url, factory.site_id, topic_prefix=mqtt_namespace) as pub:
                pub.publish_payload("L01-S03", frame(1, n=20_000))  # ~240 kB: over the limit
                pub.publish_payload("L01-S03", frame(2))
                assert pub.wait_published(10)
            wait_for(lambda: store.message_count() == 1, "the small message")
        finally:
            sub.stop()
    assert sub.health()["oversized_packets"] == 0  # the broker honoured the limit: nothing came


# -- acknowledgement order (4.6) ------------------------------------------------------------------


def test_acknowledgements_leave_in_arrival_order_whatever_order_commits_answer_in() -> None:
    sent: list[list[int]] = []
    failures: list[str] = []
    seq = AckSequence(sent.append, lambda: failures.append("closed"))
    a, b, c, d = (seq.ticket() for _ in range(4))
    seq.answer(b, [3, 4])
    assert sent == []  # b waits for a
    seq.answer(a, [1, 2])
    assert sent == [[1, 2, 3, 4]]
    seq.answer(d, [7])
    seq.answer(c, None)  # c failed: d is never acknowledged on this connection
    assert sent == [[1, 2, 3, 4]]
    assert failures == ["closed"]
    assert seq.failed
    seq.answer(seq.ticket(), [8])
    assert sent == [[1, 2, 3, 4]]


@pytest.mark.mqtt
def test_a_read_that_could_not_be_queued_stops_every_later_acknowledgement_on_its_connection(
    mosquitto_url: str,
    mqtt_namespace: str,
    factory: Factory,
    tmp_path: Path,
    relay: Relay,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
    ):
        real_submit = ingestor.submit_many
        calls = 0

        def fails_second(*args: Any, **kwargs: Any) -> None:  # failure injection
            nonlocal calls
            calls += 1
            if calls == 2:
                raise RuntimeError("injected: could not queue")
            real_submit(*args, **kwargs)

        monkeypatch.setattr(ingestor, "submit_many", fails_second)
        sub = connector(relay.url, ingestor, topic_prefix=mqtt_namespace)
        sub.start()
        try:
            assert sub.wait_subscribed(10)
            publish_frames(mosquitto_url, factory, mqtt_namespace, range(1))
            wait_for(lambda: relay.sent_types(0).count(4) == 1, "the first message's PUBACK")
            publish_frames(mosquitto_url, factory, mqtt_namespace, range(1, 2))  # not queued
            publish_frames(mosquitto_url, factory, mqtt_namespace, range(2, 3))
            wait_for(lambda: store.message_count() == 3, "all three messages stored")
        finally:
            sub.stop()
    # On the first connection only message 0 was acknowledged: 2 came after 1, which was not.
    assert relay.sent_types(0).count(4) == 1
    assert len(relay.sent) >= 2
    assert "could not hand 1 messages" in caplog.text


# -- keep-alive under backpressure (3.1.2.10) -----------------------------------------------------


class Gated:
    """A real store whose writes wait until the test opens the gate: failure injection."""

    def __init__(self, inner: DuckDBStore) -> None:
        self.inner = inner
        self.gate = threading.Event()

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        if not self.gate.wait(60):
            raise TimeoutError("the test never opened the gate")
        return self.inner.write_batch(batches)


@pytest.mark.mqtt
def test_pingreqs_keep_the_connection_while_ingest_holds_the_reader_back(
    mosquitto_url: str, mqtt_namespace: str, factory: Factory, tmp_path: Path, relay: Relay
) -> None:
    with DuckDBStore(tmp_path).opened(factory) as store:
        gated = Gated(store)
        with Ingestor(factory, gated, clock_ms=lambda: NOW, flush_interval_s=0.05, max_queue=1) as ingestor:
            sub = connector(relay.url, ingestor, topic_prefix=mqtt_namespace, keepalive_s=1)
            sub.start()
            try:
                assert sub.wait_subscribed(10)
                # one message in the writer (held at the gate), one queued, the third blocks the reader
                for seq in range(3):
                    publish_frames(mosquitto_url, factory, mqtt_namespace, range(seq, seq + 1))
                    wait_for(lambda n=seq + 1: received(ingestor) >= n, f"message {seq} taken in")
                pings = relay.sent_types(0).count(12)
                # Mosquitto drops a client silent for 1.5 keep-alives; six PINGREQs is 3 s and more
                wait_for(lambda: relay.sent_types(0).count(12) >= pings + 6, "PINGREQs while held back")
                assert len(relay.sent) == 1  # still the first connection
                gated.gate.set()
                wait_for(lambda: store.message_count() == 3, "the three messages after the gate opened")
                wait_for(lambda: relay.sent_types(0).count(4) == 3, "their PUBACKs")
                assert sub.health()["healthy"]
            finally:
                gated.gate.set()
                sub.stop()
    assert len(relay.sent) == 1
    assert sub.reconnects == 0


# -- a lost session (3.2.2.1.1) -------------------------------------------------------------------


def test_a_reconnect_without_the_expected_session_is_a_counted_warning(
    ingestor: Ingestor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="seamline.ingest.mqtt")

    def hang_up(sock: socket.socket, _: int) -> None:
        sock.shutdown(socket.SHUT_RDWR)

    # connection 1: a new session; 2: the broker lost it; from 3 on: the broker has it
    with fake_broker(session_present=[False, False, *[True] * 1000], script=hang_up) as broker:
        sub = connector(broker.url, ingestor)
        sub.start()
        try:
            wait_for(lambda: broker.connections >= 4, "four connections")
            health = sub.health()
        finally:
            sub.stop()
    connects = [r for r in caplog.records if "session present:" in r.getMessage()]
    assert [(r.levelno, "lost the session" in r.getMessage()) for r in connects[:3]] == [
        (logging.INFO, False),  # the first connection expects no session
        (logging.WARNING, True),
        (logging.INFO, False),
    ]
    assert health["sessions_lost"] >= 1
    assert sub.sessions_lost == 1


# -- health() and ensure_running() ----------------------------------------------------------------


@pytest.mark.mqtt
def test_a_dead_connector_thread_is_unhealthy_and_ensure_running_restarts_it(
    mosquitto_url: str,
    mqtt_namespace: str,
    factory: Factory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_open = SubscriberConnection.open

    def dies(*args: Any, **kwargs: Any) -> SubscriberConnection:  # failure injection: a bug
        raise RuntimeError("injected bug")

    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
    ):
        monkeypatch.setattr(mqtt_module.SubscriberConnection, "open", dies)
        sub = connector(mosquitto_url, ingestor, topic_prefix=mqtt_namespace)
        sub.start()
        try:
            wait_for(lambda: not sub.health()["thread_alive"], "the thread to die")
            dead = sub.health()
            monkeypatch.setattr(mqtt_module.SubscriberConnection, "open", real_open)
            assert sub.ensure_running()
            assert sub.wait_subscribed(10)
            assert not sub.ensure_running()  # running: nothing to do
            publish_frames(mosquitto_url, factory, mqtt_namespace, range(1))
            wait_for(lambda: store.message_count() == 1, "a message after the restart")
            alive = sub.health()
        finally:
            sub.stop()
    assert not sub.ensure_running()  # stopped on purpose: not restarted
    assert (dead["healthy"], dead["thread_alive"], dead["connected"]) == (False, False, False)
    assert "RuntimeError: injected bug" in dead["last_error"]
    assert (alive["healthy"], alive["thread_alive"], alive["connected"], alive["subscribed"]) == (
        True,
        True,
        True,
        True,
    )
    assert set(alive) >= {
        "healthy",
        "connected",
        "subscribed",
        "thread_alive",
        "sessions_lost",
        "oversized_packets",
        "reconnects",
        "last_error",
    }
    assert "the MQTT connector to" in caplog.text
