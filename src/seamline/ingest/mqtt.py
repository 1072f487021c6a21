"""MQTT transport of ingest: the subscriber that feeds the Ingestor, and the fleet-side publisher.

Topic: ``{prefix}/{site}/{device}/telemetry`` with prefix ``seamline/v1``, QoS 1.

At-least-once delivery (MQTT 5.0 sections 4.3.2 and 4.4): the subscriber keeps a persistent
session (Clean Start 0, Session Expiry Interval > 0, a stable client id), so the broker queues
messages while ingest is down, and it acknowledges each PUBLISH only after the message is
durably committed. A message that was committed but whose PUBACK was lost
comes again and is stored once, because the store de-duplicates on (device, boot, seq).

The subscriber speaks MQTT 5 to announce a Receive Maximum of 65535: a 3.1.1 client gets the
broker's default of 20 unacknowledged messages in flight, and with acknowledgements that wait for
a commit every 0.25 s that would cap ingest at 80 messages/s.

Broker configuration matters for "nothing lost": Mosquitto silently drops QoS 1 messages for a
client that is offline, or lagging, by more than ``max_queued_messages`` (default 1000; the broker
logs "Outgoing messages are being dropped"). Production brokers should raise it, e.g.
``max_queued_messages 1000000``, and keep sessions on disk: ``docs/mosquitto-production.conf`` is a
tested configuration. A broker that lost the session anyway shows as a WARNING and in
:meth:`MqttIngest.health` (``sessions_lost``).

Passwords in URLs are never shown: banners, log lines and :class:`MqttError` use
:func:`~seamline.settings.redact_url`.
"""

from __future__ import annotations

import functools
import logging
import random
import ssl
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Self
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from seamline.ingest.binary import encode_binary_message
from seamline.ingest.decode import IngestError, encode_message
from seamline.ingest.mqtt_wire import MAX_PACKET_BYTES, BrokerRefusedError, SubscriberConnection, WireError
from seamline.ingest.pipeline import Ingestor, IngestorStoppedError, Receipt
from seamline.settings import Settings, redact_url

log = logging.getLogger(__name__)

TOPIC_PREFIX: Final = "seamline/v1"
START_BROKER_HINT: Final = (
    "start Mosquitto: mosquitto -d -c /etc/mosquitto/mosquitto.conf (apt-get install -y mosquitto)"
)


class MqttError(IngestError):
    """The MQTT broker cannot be used as configured. ``url`` never holds the password."""

    status_code = 503

    def __init__(self, url: str, message: str, *, topic: str | None = None) -> None:
        super().__init__(message, reason="mqtt")
        self.url = redact_url(url)
        self.topic = topic

    def details(self) -> dict[str, object]:
        return {"url": self.url, "topic": self.topic}


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://[user:password@]host[:port]`` (port 1883), or ``mqtts://`` for TLS (port 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise MqttError(
            url,
            f"{redact_url(url)!r} is not an MQTT address; use mqtt://host:port, e.g. mqtt://127.0.0.1:1883,"
            " or mqtts://host:8883 for TLS",
        )
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        parts.hostname, parts.port or (8883 if tls else 1883), parts.username, parts.password, tls
    )


def tls_context(
    url: str, ca_file: Path | str | None, cert_file: Path | str | None, key_file: Path | str | None
) -> ssl.SSLContext:
    """The TLS client context of an ``mqtts://`` broker: verify it against ``ca_file`` (default:
    the system's CAs), and present ``cert_file`` and ``key_file`` if given."""
    try:
        context = ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))
        if cert_file is not None:
            context.load_cert_chain(str(cert_file), None if key_file is None else str(key_file))
    except (OSError, ssl.SSLError) as exc:
        raise MqttError(
            url,
            f"cannot use the TLS files for {redact_url(url)} ({exc}); check --mqtt-ca, --mqtt-cert and"
            " --mqtt-key (SEAMLINE_MQTT_CA_FILE, SEAMLINE_MQTT_CERT_FILE, SEAMLINE_MQTT_KEY_FILE)",
        ) from exc
    if key_file is not None and cert_file is None:
        raise MqttError(url, "--mqtt-key needs --mqtt-cert, the client certificate it belongs to")
    return context


def telemetry_topic(site_id: str, device_id: str, prefix: str = TOPIC_PREFIX) -> str:
    """The topic a device publishes its telemetry to."""
    return f"{prefix}/{site_id}/{device_id}/telemetry"


def _backoff_s(attempt: int, initial_s: float, max_s: float) -> float:
    """Exponential backoff with full jitter, so a fleet of clients does not reconnect in step."""
    return random.uniform(initial_s / 2, min(max_s, initial_s * 2 ** min(attempt - 1, 20)))


class SubscriptionRefusedError(WireError):
    """The broker refused the subscription or granted less than QoS 1 (MQTT 5.0 section 3.9.3)."""

    def __init__(self, topic: str, reason_codes: list[int]) -> None:
        codes = ", ".join(f"{code:#04x}" for code in reason_codes)
        what = (
            "refused the subscription"
            if any(code >= 0x80 for code in reason_codes)
            else "granted less than QoS 1 (messages could be lost)"
        )
        super().__init__(f"the broker {what} to {topic}: SUBACK reason codes {codes}")
        self.topic = topic
        self.reason_codes = reason_codes


class AckSequence:
    """PUBACKs of one connection, released in the order their PUBLISHes came (MQTT 5.0 section 4.6).

    Each socket read takes a ticket; its answer (the packet ids to acknowledge, or ``None`` when
    it was not stored) may come in any order, and the acknowledgements go out once every earlier
    read is answered. After a failed read nothing more is acknowledged on this connection:
    ``on_failure`` runs (ingest closes the connection) and the broker sends everything
    unacknowledged again, in order, on the next one.
    """

    def __init__(self, send: Callable[[list[int]], None], on_failure: Callable[[], None]) -> None:
        self._send = send
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._next_ticket = 0
        self._next_release = 0
        self._answers: dict[int, list[int] | None] = {}
        self.failed = False

    def ticket(self) -> int:
        with self._lock:
            self._next_ticket += 1
            return self._next_ticket - 1

    def answer(self, ticket: int, packet_ids: list[int] | None) -> None:
        """``packet_ids`` of read ``ticket`` may be acknowledged; ``None``: that read failed."""
        release: list[int] = []
        fail = False
        with self._lock:
            if self.failed:
                return
            self._answers[ticket] = packet_ids
            while self._next_release in self._answers:
                ids = self._answers.pop(self._next_release)
                if ids is None:
                    self.failed = fail = True
                    self._answers.clear()
                    break
                release += ids
                self._next_release += 1
            if release:  # sent under the lock, so two releases never pass each other
                self._send(release)
        if fail:
            self._on_failure()


class MqttIngest:
    """Subscribes to every device's telemetry topic of one site and hands payloads to ``ingestor``.

    Runs its own thread that connects, reconnects with jittered exponential backoff (each attempt
    logged) and reads the broker's PUBLISH packets with the MQTT 5 connection of
    :mod:`seamline.ingest.mqtt_wire`: everything one socket read brings is decoded and queued as
    one unit, and acknowledged with one write after its commit, in arrival order. ``site_id``
    defaults to the ingestor's factory site. An ``mqtts://`` URL connects over TLS, verifying the
    broker against ``ca_file`` and presenting ``cert_file``/``key_file`` when given.

    :meth:`health` reports the connection for readiness probes and metrics; the counters
    (``reconnects``, ``sessions_lost``, ``oversized_packets``, ``subscription_failures``) are plain
    ints, read without locks.
    """

    def __init__(
        self,
        url: str,
        ingestor: Ingestor,
        *,
        site_id: str | None = None,
        topic_prefix: str = TOPIC_PREFIX,
        client_id: str | None = None,
        session_expiry_s: int = 7 * 24 * 3600,
        keepalive_s: int = 30,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        ca_file: Path | str | None = None,
        cert_file: Path | str | None = None,
        key_file: Path | str | None = None,
        max_packet_bytes: int = MAX_PACKET_BYTES,
    ) -> None:
        self.url = url
        self.label = redact_url(url)
        self.broker = parse_mqtt_url(url)
        if not self.broker.tls and (ca_file or cert_file or key_file):
            raise MqttError(url, f"TLS files were given for {self.label}; use an mqtts://host:8883 URL")
        self._tls = tls_context(url, ca_file, cert_file, key_file) if self.broker.tls else None
        self.ingestor = ingestor
        self.site_id = site_id or ingestor.factory.site_id
        self.topic = telemetry_topic(self.site_id, "+", topic_prefix)
        self.client_id = client_id or f"seamline-ingest-{self.site_id}"
        self.session_expiry_s = session_expiry_s
        self.keepalive_s = keepalive_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.max_packet_bytes = max_packet_bytes
        self.connections = 0  # CONNACKs received
        self.reconnects = 0  # connections after the first
        self.sessions_lost = 0  # reconnects that found no session where there should be one
        self.oversized_packets = 0
        self.subscription_failures = 0
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self._conn: SubscriberConnection | None = None
        self._devices: dict[str, str] = {}  # topic -> the device it names
        self._attempt = 0
        self._told_stopped = False
        self._thread: threading.Thread | None = None
        self._unacked = 0  # reads handed to ingest whose commit has not answered yet
        self._unacked_changed = threading.Condition()

    @classmethod
    def from_settings(cls, settings: Settings, ingestor: Ingestor, *, site_id: str | None = None) -> Self:
        """The connector ``seamline serve`` runs: ``settings.mqtt_url`` with its TLS files."""
        if settings.mqtt_url is None:
            raise MqttError("", "no MQTT broker is configured; give --mqtt mqtt://host:port")
        return cls(
            settings.mqtt_url,
            ingestor,
            site_id=site_id,
            ca_file=settings.mqtt_ca_file,
            cert_file=settings.mqtt_cert_file,
            key_file=settings.mqtt_key_file,
        )

    def start(self) -> None:
        if self._thread is not None:
            return
        self._told_stopped = False
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="seamline-mqtt-ingest", daemon=True)
        self._thread.start()

    def ensure_running(self) -> bool:
        """Start the connector's thread again if it died (True); False if it runs or was stopped."""
        thread = self._thread
        if thread is None or thread.is_alive() or self._stopping.is_set():
            return False
        log.warning(
            "the MQTT connector to %s had stopped (%s); starting it again", self.label, self.last_error
        )
        self._thread = None
        self._conn = None
        self._subscribed.clear()
        self.start()
        return True

    def stop(self, drain_s: float = 5.0) -> None:
        """Disconnect. Reads already handed to ingest get up to ``drain_s`` to commit, so their
        acknowledgements go out first; messages not committed by then stay unacknowledged and come
        again next time (stored once, but a clean stop should not cause redeliveries)."""
        self._stopping.set()
        self.wait_acknowledged(drain_s)
        conn = self._conn
        if conn is not None:
            conn.close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._subscribed.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_acknowledged(self, timeout_s: float | None = None) -> bool:
        """Block until every read handed to ingest has its answer, so the PUBACKs of everything
        committed are written (True), or ``timeout_s`` has passed (False)."""
        with self._unacked_changed:
            return self._unacked_changed.wait_for(lambda: self._unacked == 0, timeout=timeout_s)

    def wait_subscribed(self, timeout_s: float | None = None) -> bool:
        """Block until the subscription is active (True) or ``timeout_s`` has passed (False)."""
        return self._subscribed.wait(timeout_s)

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    def health(self) -> dict[str, Any]:
        """The connector for a readiness probe: healthy when its thread runs, connected and subscribed.

        Counters are totals since this object was made: ``reconnects`` (connections after the
        first), ``sessions_lost`` (reconnects where the broker had lost the session it kept for
        us, and with it any messages it held), ``oversized_packets`` (packets over the Maximum
        Packet Size), ``subscription_failures`` (SUBACKs refusing or granting less than QoS 1).
        """
        thread = self._thread
        alive = thread is not None and thread.is_alive()
        conn = self._conn
        connected = alive and conn is not None and not conn.closed
        subscribed = connected and self._subscribed.is_set()
        return {
            "healthy": subscribed,
            "connected": connected,
            "subscribed": subscribed,
            "thread_alive": alive,
            "url": self.label,
            "tls": self.broker.tls,
            "reconnects": self.reconnects,
            "sessions_lost": self.sessions_lost,
            "oversized_packets": self.oversized_packets,
            "subscription_failures": self.subscription_failures,
            "last_error": self.last_error,
        }

    def _run(self) -> None:
        try:
            self._connect_loop()
        except Exception as exc:  # a bug: recorded for health() and ensure_running(), not swallowed
            self.last_error = f"the connector's thread died: {type(exc).__name__}: {exc}"
            log.exception("the MQTT connector to %s died", self.label)

    def _connect_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn = SubscriberConnection.open(
                    self.broker.host,
                    self.broker.port,
                    client_id=self.client_id,
                    keepalive_s=self.keepalive_s,
                    session_expiry_s=self.session_expiry_s,
                    username=self.broker.username,
                    password=self.broker.password,
                    tls=self._tls,
                    max_packet_bytes=self.max_packet_bytes,
                )
            except BrokerRefusedError as exc:
                self.last_error = str(exc)
                log.error("the MQTT broker at %s refused the connection: %s", self.label, exc)
                self._wait_before_retry(f"cannot connect to the MQTT broker at {self.label}")
                continue
            except OSError as exc:
                self.last_error = f"cannot connect: {exc}"
                self._wait_before_retry(f"cannot connect to the MQTT broker at {self.label} ({exc})")
                continue
            self._conn = conn
            if self._stopping.is_set():  # stop() ran while we were connecting
                conn.close()
                break
            self._attempt = 0
            self._connected(conn)
            lost = "it ended"
            acks = AckSequence(conn.acknowledge, functools.partial(self._failed_read, conn))
            try:
                conn.subscribe(self.topic, qos=1, on_suback=self._on_suback)
                conn.run(functools.partial(self._on_publishes, conn, acks))
            except SubscriptionRefusedError as exc:
                lost = str(exc)
            except OSError as exc:
                lost = str(exc) or type(exc).__name__
            finally:
                conn.close()
                self._subscribed.clear()
                self.oversized_packets += conn.oversized_packets
            if not self._stopping.is_set():
                self.last_error = lost
                self._wait_before_retry(f"lost the connection to the MQTT broker at {self.label} ({lost})")

    def _connected(self, conn: SubscriberConnection) -> None:
        """Count the connection; a persistent session the broker no longer has is a WARNING."""
        self.connections += 1
        if self.connections > 1:
            self.reconnects += 1
            if self.session_expiry_s and not conn.session_present:
                self.sessions_lost += 1
                self.last_error = "the broker had lost the session it kept for this client"
                log.warning(
                    "reconnected to %s as %r with no session (session present: False): the broker lost"
                    " the session it kept, and any messages it held for us since the last connection are"
                    " gone (%d sessions lost so far); check the broker's persistence and"
                    " persistent_client_expiration",
                    self.label,
                    self.client_id,
                    self.sessions_lost,
                )
                return
        log.info(
            "connected to %s as %r (session present: %s)", self.label, self.client_id, conn.session_present
        )

    def _wait_before_retry(self, what: str) -> None:
        self._attempt += 1
        delay_s = _backoff_s(self._attempt, self.backoff_initial_s, self.backoff_max_s)
        log.warning("%s; reconnect attempt %d in %.1f s", what, self._attempt, delay_s)
        self._stopping.wait(delay_s)

    def _on_suback(self, reason_codes: list[int]) -> None:
        if not reason_codes or any(code < 1 or code >= 0x80 for code in reason_codes):  # 3.9.3
            error = SubscriptionRefusedError(self.topic, reason_codes)
            self.subscription_failures += 1
            self.last_error = str(error)
            log.error("the MQTT broker at %s: %s", self.label, error)
            raise error  # ends the connection; the next one subscribes again after a backoff
        log.info("subscribed to %s", self.topic)
        self._subscribed.set()

    def _device_of(self, topic: str) -> str:
        parts = topic.split("/")
        device = parts[-2] if len(parts) >= 2 else ""
        if len(self._devices) >= 100_000:  # topics are devices; a flood of odd ones must not grow this
            self._devices.clear()
        self._devices[topic] = device
        return device

    def _failed_read(self, conn: SubscriberConnection) -> None:
        """A read was not stored: reconnect so the broker redelivers everything unacknowledged."""
        if not conn.closed:
            log.warning("a commit failed; reconnecting so the broker sends its messages again")
            conn.close()

    def _on_publishes(
        self,
        conn: SubscriberConnection,
        acks: AckSequence,
        topics: list[str],
        payloads: list[bytes],
        packet_ids: list[int],
    ) -> None:
        """One socket read's PUBLISHes: decoded and queued as one unit, acknowledged after its commit."""
        if self._stopping.is_set() or acks.failed:
            return  # left unacknowledged: the broker sends them again on the next connection
        known = self._devices
        devices = [known.get(t) or self._device_of(t) for t in topics]
        to_ack = [i for i in packet_ids if i]  # 0: QoS 0, nothing to acknowledge
        ticket = acks.ticket() if to_ack else None

        def acknowledge(outcome: Receipt | BaseException) -> None:
            try:
                if ticket is not None:
                    acks.answer(ticket, None if isinstance(outcome, BaseException) else to_ack)
            finally:
                self._answered()

        if ticket is not None:
            with self._unacked_changed:
                self._unacked += 1
        try:
            self.ingestor.submit_many(
                payloads, transport="mqtt", topic_devices=devices, on_done=acknowledge if to_ack else None
            )
        except IngestorStoppedError:
            if ticket is not None:
                # never queued, so no commit answers for it; its ticket stays open, so nothing
                # after it is acknowledged on this connection either (4.6)
                self._answered()
            if not self._told_stopped:  # once, not once per read
                self._told_stopped = True
                log.warning(
                    "ingest is stopped; messages stay unacknowledged for redelivery (first: %s)", topics[0]
                )
        except Exception as exc:
            # Not queued, so never acknowledged: nothing after it may be acknowledged either (4.6).
            log.exception("could not hand %d messages (first on %s) to ingest", len(topics), topics[0])
            if ticket is not None:
                acknowledge(exc)
            else:
                self._failed_read(conn)

    def _answered(self) -> None:
        """A read handed to ingest has its answer (committed, failed or never queued)."""
        with self._unacked_changed:
            self._unacked -= 1
            self._unacked_changed.notify_all()


class MqttPublisher:
    """Publishes device messages, each to its device's topic, QoS 1 (the device-fleet side).

    ``format="binary"`` sends each message as a binary frame (channels must then be indices, as
    the simulator sends them); ingest tells the formats apart by the first byte.

    >>> # with MqttPublisher("mqtt://127.0.0.1:1883", "gazipur-1") as pub:
    >>> #     pub.publish([message, ...]); pub.wait_published()
    """

    def __init__(
        self,
        url: str,
        site_id: str,
        *,
        topic_prefix: str = TOPIC_PREFIX,
        client_id: str | None = None,
        max_inflight: int = 10_000,
        connect_timeout_s: float = 10.0,
        format: Literal["json", "binary"] = "json",
        ca_file: Path | str | None = None,
        cert_file: Path | str | None = None,
        key_file: Path | str | None = None,
    ) -> None:
        self.url = url
        self.label = redact_url(url)
        self.format = format
        self._encode = encode_binary_message if format == "binary" else encode_message
        self.broker = parse_mqtt_url(url)
        self.site_id = site_id
        self.topic_prefix = topic_prefix
        self.connect_timeout_s = connect_timeout_s
        # MQTT 3.1.1 here: over 5.0 Mosquitto would announce a Receive Maximum of 20 in flight.
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"seamline-pub-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv311,
        )
        # paho rescans its whole outgoing queue on every PUBACK once its window is full (quadratic
        # with a backlog), so paho gets no window and publish_payload() keeps ours.
        self.max_inflight = max_inflight
        self._client.max_inflight_messages_set(0)
        if self.broker.tls:
            self._client.tls_set_context(tls_context(url, ca_file, cert_file, key_file))
        if self.broker.username:
            self._client.username_pw_set(self.broker.username, self.broker.password)
        self._connected = threading.Event()
        self._client.on_connect = lambda c, u, f, reason, p: (
            None if reason.is_failure else self._connected.set()
        )
        self._pending: deque[mqtt.MQTTMessageInfo] = deque()
        self._started = False

    def connect(self) -> None:
        """Connect and wait for the broker's CONNACK; raises :class:`MqttError` with what to do."""
        if self._started:
            return
        try:
            self._client.connect(self.broker.host, self.broker.port, keepalive=30)
        except OSError as exc:
            raise MqttError(
                self.url, f"cannot connect to the MQTT broker at {self.label} ({exc}); {START_BROKER_HINT}"
            ) from exc
        self._client.loop_start()
        self._started = True
        if not self._connected.wait(self.connect_timeout_s):
            self.close()
            raise MqttError(
                self.url, f"the MQTT broker at {self.label} did not accept the connection in time"
            )

    def publish(self, messages: Sequence[Mapping[str, Any]]) -> None:
        """Queue each message on its device's topic (non-blocking); see :meth:`wait_published`."""
        self.connect()
        for m in messages:
            self.publish_payload(str(m["device"]), self._encode(m))

    def publish_payload(self, device_id: str, payload: bytes | bytearray) -> None:
        """Publish raw bytes on ``device_id``'s topic, as a device would (also for testing rejects)."""
        self.connect()
        topic = telemetry_topic(self.site_id, device_id, self.topic_prefix)
        while self._pending and self._pending[0].is_published():
            self._pending.popleft()
        if len(self._pending) >= self.max_inflight and not self._wait_oldest(self.connect_timeout_s):
            raise MqttError(
                self.url, f"the broker at {self.label} stopped acknowledging messages", topic=topic
            )
        info = self._client.publish(topic, payload, qos=1)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise MqttError(self.url, f"cannot publish to {topic}: {mqtt.error_string(info.rc)}", topic=topic)
        self._pending.append(info)

    def wait_published(self, timeout_s: float = 30.0) -> bool:
        """Wait until the broker has acknowledged everything published; False on timeout."""
        while self._pending:
            if not self._wait_oldest(timeout_s):
                return False
        return True

    def _wait_oldest(self, timeout_s: float) -> bool:
        info = self._pending[0]
        try:
            info.wait_for_publish(timeout_s)
        except (RuntimeError, ValueError):  # connection lost, or the message dropped by paho
            return False
        if not info.is_published():
            return False
        self._pending.popleft()
        return True

    def close(self) -> None:
        if self._started:
            self.wait_published(self.connect_timeout_s)
            self._client.disconnect()
            self._client.loop_stop()
            self._started = False

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
