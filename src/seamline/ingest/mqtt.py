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
``max_queued_messages 1000000``.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Self
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from seamline.ingest.binary import encode_binary_message
from seamline.ingest.decode import IngestError, encode_message
from seamline.ingest.mqtt_wire import BrokerRefusedError, SubscriberConnection
from seamline.ingest.pipeline import Ingestor, IngestorStoppedError, Receipt

log = logging.getLogger(__name__)

TOPIC_PREFIX: Final = "seamline/v1"
START_BROKER_HINT: Final = (
    "start Mosquitto: mosquitto -d -c /etc/mosquitto/mosquitto.conf (apt-get install -y mosquitto)"
)


class MqttError(IngestError):
    """The MQTT broker cannot be used as configured."""

    status_code = 503

    def __init__(self, url: str, message: str, *, topic: str | None = None) -> None:
        super().__init__(message, reason="mqtt")
        self.url = url
        self.topic = topic

    def details(self) -> dict[str, object]:
        return {"url": self.url, "topic": self.topic}


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://[user:password@]host[:port]`` (port 1883 by default)."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise MqttError(
            url, f"{url!r} is not an MQTT address; use mqtt://host:port, e.g. mqtt://127.0.0.1:1883"
        )
    return BrokerAddress(parts.hostname, parts.port or 1883, parts.username, parts.password)


def telemetry_topic(site_id: str, device_id: str, prefix: str = TOPIC_PREFIX) -> str:
    """The topic a device publishes its telemetry to."""
    return f"{prefix}/{site_id}/{device_id}/telemetry"


def _backoff_s(attempt: int, initial_s: float, max_s: float) -> float:
    """Exponential backoff with full jitter, so a fleet of clients does not reconnect in step."""
    return random.uniform(initial_s / 2, min(max_s, initial_s * 2 ** min(attempt - 1, 20)))


class MqttIngest:
    """Subscribes to every device's telemetry topic of one site and hands payloads to ``ingestor``.

    Runs its own thread that connects, reconnects with jittered exponential backoff (each attempt
    logged) and reads the broker's PUBLISH packets with the lean MQTT 5 client of
    :mod:`seamline.ingest.mqtt_wire`: everything one socket read brings is decoded and queued as
    one unit, and acknowledged with one write after its commit. ``site_id`` defaults to the
    ingestor's factory site.
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
    ) -> None:
        self.url = url
        self.broker = parse_mqtt_url(url)
        self.ingestor = ingestor
        self.site_id = site_id or ingestor.factory.site_id
        self.topic = telemetry_topic(self.site_id, "+", topic_prefix)
        self.client_id = client_id or f"seamline-ingest-{self.site_id}"
        self.session_expiry_s = session_expiry_s
        self.keepalive_s = keepalive_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self._conn: SubscriberConnection | None = None
        self._devices: dict[str, str] = {}  # topic -> the device it names
        self._attempt = 0
        self._told_stopped = False
        self._thread: threading.Thread | None = None
        self._unacked = 0  # reads handed to ingest whose commit has not answered yet
        self._unacked_changed = threading.Condition()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._told_stopped = False
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="seamline-mqtt-ingest", daemon=True)
        self._thread.start()

    def stop(self, drain_s: float = 5.0) -> None:
        """Disconnect. Reads already handed to ingest get up to ``drain_s`` to commit, so their
        acknowledgements go out first; messages not committed by then stay unacknowledged and come
        again next time (stored once, but a clean stop should not cause redeliveries)."""
        self._stopping.set()
        with self._unacked_changed:
            self._unacked_changed.wait_for(lambda: self._unacked == 0, timeout=drain_s)
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

    def wait_subscribed(self, timeout_s: float | None = None) -> bool:
        """Block until the subscription is active (True) or ``timeout_s`` has passed (False)."""
        return self._subscribed.wait(timeout_s)

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    def _run(self) -> None:
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
                )
            except BrokerRefusedError as exc:
                log.error("the MQTT broker at %s refused the connection: %s", self.url, exc)
                self._wait_before_retry(f"cannot connect to the MQTT broker at {self.url}")
                continue
            except OSError as exc:
                self._wait_before_retry(f"cannot connect to the MQTT broker at {self.url} ({exc})")
                continue
            self._conn = conn
            if self._stopping.is_set():  # stop() ran while we were connecting
                conn.close()
                break
            self._attempt = 0
            log.info(
                "connected to %s as %r (session present: %s)", self.url, self.client_id, conn.session_present
            )
            lost = "it ended"
            try:
                conn.subscribe(self.topic, qos=1, on_suback=self._on_suback)
                conn.run(functools.partial(self._on_publishes, conn))
            except OSError as exc:
                lost = str(exc) or type(exc).__name__
            finally:
                conn.close()
                self._subscribed.clear()
            if not self._stopping.is_set():
                self._wait_before_retry(f"lost the connection to the MQTT broker at {self.url} ({lost})")

    def _wait_before_retry(self, what: str) -> None:
        self._attempt += 1
        delay_s = _backoff_s(self._attempt, self.backoff_initial_s, self.backoff_max_s)
        log.warning("%s; reconnect attempt %d in %.1f s", what, self._attempt, delay_s)
        self._stopping.wait(delay_s)

    def _on_suback(self, reason_codes: list[int]) -> None:
        if any(code >= 0x80 for code in reason_codes):  # MQTT 5.0 section 3.9.3
            log.error(
                "the MQTT broker at %s refused the subscription to %s: reason codes %s",
                self.url,
                self.topic,
                [f"{code:#04x}" for code in reason_codes],
            )
            return
        log.info("subscribed to %s", self.topic)
        self._subscribed.set()

    def _device_of(self, topic: str) -> str:
        parts = topic.split("/")
        device = parts[-2] if len(parts) >= 2 else ""
        if len(self._devices) >= 100_000:  # topics are devices; a flood of odd ones must not grow this
            self._devices.clear()
        self._devices[topic] = device
        return device

    def _on_publishes(
        self, conn: SubscriberConnection, topics: list[str], payloads: list[bytes], packet_ids: list[int]
    ) -> None:
        """One socket read's PUBLISHes: decoded and queued as one unit, acknowledged after its commit."""
        if self._stopping.is_set():
            return  # stopping: left unacknowledged, the broker sends them again next time
        known = self._devices
        devices = [known.get(t) or self._device_of(t) for t in topics]
        acks = [i for i in packet_ids if i]  # 0: QoS 0, nothing to acknowledge

        def acknowledge(outcome: Receipt | BaseException) -> None:
            try:
                if isinstance(outcome, BaseException):
                    # Not stored: reconnect so the broker redelivers everything unacknowledged.
                    if not conn.closed:
                        log.warning("a commit failed; reconnecting so the broker sends its messages again")
                        conn.close()
                else:
                    conn.acknowledge(acks)
            finally:
                self._answered()

        if acks:
            with self._unacked_changed:
                self._unacked += 1
        try:
            self.ingestor.submit_many(
                payloads, transport="mqtt", topic_devices=devices, on_done=acknowledge if acks else None
            )
        except IngestorStoppedError:
            if acks:
                self._answered()  # never queued: no commit will answer for it
            if not self._told_stopped:  # once, not once per read
                self._told_stopped = True
                log.warning(
                    "ingest is stopped; messages stay unacknowledged for redelivery (first: %s)", topics[0]
                )
        except Exception:  # the reading thread must go on; these stay unacknowledged until reconnecting
            if acks:
                self._answered()
            log.exception("could not hand %d messages (first on %s) to ingest", len(topics), topics[0])

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
    ) -> None:
        self.url = url
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
                self.url, f"cannot connect to the MQTT broker at {self.url} ({exc}); {START_BROKER_HINT}"
            ) from exc
        self._client.loop_start()
        self._started = True
        if not self._connected.wait(self.connect_timeout_s):
            self.close()
            raise MqttError(self.url, f"the MQTT broker at {self.url} did not accept the connection in time")

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
            raise MqttError(self.url, f"the broker at {self.url} stopped acknowledging messages", topic=topic)
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
