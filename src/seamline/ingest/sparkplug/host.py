"""The Sparkplug B Host Application that feeds ingest (Eclipse Sparkplug 3.0.0).

Connection (chapter 5, "Host Application Session Establishment"; chapter 4, STATE): MQTT 5 with
Clean Start, a Will of ``{"online": false, "timestamp": T}`` on ``spBv1.0/STATE/{host_id}`` (QoS 1,
retained); after the subscriptions to that topic and to ``spBv1.0/{group}/#`` are granted, the birth
``{"online": true, "timestamp": T}`` with the same T, QoS 1, retained. A clean stop publishes
``{"online": false}`` with the current time, then disconnects. Edge Nodes configured with this
host as their Primary Host Application wait for the birth before they publish theirs.

Every reconnection may have lost messages, so every Edge Node must be born again before its data
counts (:meth:`HostSessions.lost_connection`); its next message brings a Rebirth request.

Sparkplug data messages travel at QoS 0 (chapter 4) and a host connects with a clean session, so
there is nothing for the broker to redeliver: messages are acknowledged on receipt and handed to
``Ingestor.submit_messages``; the protocol logic is :class:`~seamline.ingest.sparkplug.session.HostSessions`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from seamline.backoff import Backoff
from seamline.ingest.mqtt import parse_mqtt_url
from seamline.ingest.pipeline import Ingestor, IngestorStoppedError
from seamline.ingest.sparkplug.codec import DataType, Metric, Payload, encode_payload
from seamline.ingest.sparkplug.session import REBIRTH, HostSessions, Outcome, RebirthRequest
from seamline.ingest.sparkplug.topic import (
    MessageType,
    SparkplugTopic,
    check_id,
    group_filter,
    state_topic,
)
from seamline.settings import redact_url

log = logging.getLogger(__name__)

# Rebirths a host asks for in the ordinary course (it started or reconnected after the births) are
# INFO; the others say that messages were lost or a peer misbehaves.
_ROUTINE_REBIRTHS = frozenset({"data_before_birth"})


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def state_payload(online: bool, timestamp_ms: int) -> bytes:
    """A Host Application STATE payload (chapter 4, STATE): UTF-8 JSON, not Sparkplug B."""
    return json.dumps({"online": online, "timestamp": timestamp_ms}).encode()


def rebirth_request(timestamp_ms: int) -> bytes:
    """An NCMD payload asking an Edge Node for its births (chapter 5, "Commands").

    The datatype is sent although CMD messages should leave it to the birth: edge libraries that type
    values by the metric's own datatype (Eclipse Tahu's decoder, for one) need it to read ``true``.
    """
    rebirth = Metric(name=REBIRTH, datatype=DataType.BOOLEAN, value=True)
    return encode_payload(Payload(timestamp_ms=timestamp_ms, metrics=(rebirth,)))


class SparkplugIngest:
    """Subscribes to one Sparkplug group as a Host Application and hands its data to ``ingestor``.

    ``group_id`` defaults to the factory's site id and ``host_id`` to ``seamline-{site}``.
    ``devices`` maps Sparkplug device ids (or ``"edge_node/device"``) to registry ids, ``channels``
    metric names to channel names; unmapped ones are used as they are. Runs its own thread that
    connects, reconnects with jittered exponential backoff (each attempt logged) and runs the paho
    network loop; :meth:`health` says whether it runs and :meth:`ensure_running` restarts it if it
    died.

    >>> # with SparkplugIngest("mqtt://127.0.0.1:1883", ingestor) as host:
    >>> #     host.wait_online(10); ...; host.stats(); host.health()
    """

    def __init__(
        self,
        url: str,
        ingestor: Ingestor,
        *,
        group_id: str | None = None,
        host_id: str | None = None,
        devices: Mapping[str, str] | None = None,
        channels: Mapping[str, str] | None = None,
        reorder_timeout_s: float = 2.0,
        rebirth_interval_s: float = 5.0,
        client_id: str | None = None,
        keepalive_s: int = 30,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.url = url
        self.label = redact_url(url)  # for logs: never the password
        self.broker = parse_mqtt_url(url)
        self.ingestor = ingestor
        site = ingestor.factory.site_id
        self.group_id = check_id("group id", group_id or site)
        self.host_id = check_id("host id", host_id or f"seamline-{site}")
        self.state_topic = state_topic(self.host_id)
        self.data_topic = group_filter(self.group_id)
        self.keepalive_s = keepalive_s
        self._backoff = Backoff(backoff_initial_s, backoff_max_s)
        self._clock_ms = clock_ms or _now_ms
        self._sessions = HostSessions(
            ingestor.factory,
            self.group_id,
            devices=devices,
            channels=channels,
            reorder_timeout_s=reorder_timeout_s,
            rebirth_interval_s=rebirth_interval_s,
        )
        self._lock = threading.Lock()  # guards _sessions and the reorder timer
        self._timer: threading.Timer | None = None
        self._timer_due_s: float | None = None
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"seamline-spb-{self.host_id}",
            protocol=mqtt.MQTTv5,
            reconnect_on_failure=False,  # our loop reconnects, with jitter and a log line per attempt
        )
        if self.broker.username:
            self._client.username_pw_set(self.broker.username, self.broker.password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_publish = self._on_publish
        self._client.on_message = self._on_message
        self._stopping = threading.Event()
        self._online = threading.Event()
        self._state_ts_ms = 0  # the timestamp of this connection's Will, repeated in the birth
        self._birth_mid: int | None = None
        self._told_stopped = False
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None
        self._thread_restarts = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._told_stopped = False
        self._start_thread()

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="seamline-sparkplug-host", daemon=True)
        self._thread.start()

    def ensure_running(self) -> bool:
        """Restart the connection thread if it died unexpectedly; True if it was restarted.

        Does nothing before :meth:`start` or after :meth:`stop`.
        """
        thread = self._thread
        if thread is None or thread.is_alive() or self._stopping.is_set():
            return False
        thread.join()
        log.warning(
            "the Sparkplug host %r connection thread had died (%s); restarting it",
            self.host_id,
            self._last_error or "no error recorded",
        )
        self._thread_restarts += 1
        self._online.clear()
        self._start_thread()
        return True

    def stop(self, timeout_s: float = 5.0) -> None:
        """Publish the STATE death (online false, now), then disconnect (chapter 4, STATE)."""
        self._stopping.set()
        if self._online.is_set():
            info = self._client.publish(
                self.state_topic, state_payload(False, self._clock_ms()), qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout_s)
            except (RuntimeError, ValueError):
                log.warning("could not publish the STATE death of host %r before disconnecting", self.host_id)
        self._client.disconnect()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._online.clear()
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = self._timer_due_s = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_online(self, timeout_s: float | None = None) -> bool:
        """Block until the STATE birth is acknowledged by the broker (True) or ``timeout_s`` passed."""
        return self._online.wait(timeout_s)

    @property
    def online(self) -> bool:
        return self._online.is_set()

    def stats(self) -> dict[str, Any]:
        """Counters (see :data:`~seamline.ingest.sparkplug.session.STAT_NAMES`) and devices online.

        ``nodes`` holds the counters of each Edge Node and its devices
        (:meth:`~seamline.ingest.sparkplug.session.HostSessions.node_stats`).
        """
        with self._lock:
            counts: dict[str, Any] = self._sessions.stats()
            counts["devices_online"] = len(self._sessions.online_devices())
            nodes = self._sessions.node_stats()
        counts["online"] = self.online
        counts["group_id"] = self.group_id
        counts["host_id"] = self.host_id
        counts["nodes"] = nodes
        return counts

    def health(self) -> dict[str, Any]:
        """Whether the host runs and is connected, with the counters an operator looks at first.

        ``healthy`` is true while the connection thread is alive and the MQTT connection is up;
        ``last_error`` is the latest connection failure (None once connected again).
        """
        thread = self._thread
        alive = thread is not None and thread.is_alive()
        connected = self._client.is_connected()
        with self._lock:
            counts = self._sessions.stats()
        return {
            "healthy": alive and connected,
            "connected": connected,
            "online": self.online,
            "thread_alive": alive,
            "thread_restarts": self._thread_restarts,
            "gaps": counts["seq_gaps"],
            "rebirths_requested": counts["rebirth_requests"],
            "dropped_before_birth": counts["dropped_before_birth"],
            "last_error": self._last_error,
        }

    def online_devices(self) -> set[str]:
        with self._lock:
            return self._sessions.online_devices()

    # -- the connection ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._connect_loop()
        except Exception as exc:  # a bug; the thread ends and health() turns unhealthy
            self._last_error = f"{type(exc).__name__}: {exc}"
            log.exception("the Sparkplug host %r connection thread failed", self.host_id)

    def _connect_loop(self) -> None:
        while not self._stopping.is_set():
            self._state_ts_ms = self._clock_ms()
            self._client.will_set(
                self.state_topic, state_payload(False, self._state_ts_ms), qos=1, retain=True
            )
            try:
                self._client.connect(self.broker.host, self.broker.port, self.keepalive_s, clean_start=True)
            except OSError as exc:
                self._wait_before_retry(f"cannot connect to the MQTT broker at {self.label} ({exc})")
                continue
            if self._stopping.is_set():  # stop() ran while we were connecting
                self._client.disconnect()
            self._client.loop_forever()
            self._online.clear()
            if not self._stopping.is_set():
                self._wait_before_retry(f"lost the connection to the MQTT broker at {self.label}")

    def _wait_before_retry(self, what: str) -> None:
        self._last_error = what
        delay_s = self._backoff.next_delay_s()
        log.warning("%s; reconnect attempt %d in %.1f s", what, self._backoff.attempt, delay_s)
        self._stopping.wait(delay_s)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            self._last_error = f"the MQTT broker refused the connection: {reason}"
            log.error("the MQTT broker at %s refused the connection: %s", self.label, reason)
            return
        self._backoff.reset()
        self._last_error = None
        with self._lock:
            self._sessions.lost_connection()
        log.info("Sparkplug host %r connected to %s", self.host_id, self.label)
        client.subscribe(
            [(self.state_topic, SubscribeOptions(qos=1)), (self.data_topic, SubscribeOptions(qos=1))]
        )

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[Any], props: Any
    ) -> None:
        if any(r.is_failure for r in reasons):
            log.error("the MQTT broker at %s refused the Sparkplug subscriptions: %s", self.label, reasons)
            return
        log.info("subscribed to %s; publishing the STATE birth of host %r", self.data_topic, self.host_id)
        self._publish_birth(client)

    def _publish_birth(self, client: mqtt.Client) -> None:
        info = client.publish(self.state_topic, state_payload(True, self._state_ts_ms), qos=1, retain=True)
        self._birth_mid = info.mid

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        if mid == self._birth_mid:
            self._online.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            if msg.topic == self.state_topic:
                self._on_own_state(client, bytes(msg.payload))
                return
            received_ms = self._clock_ms()
            with self._lock:
                out = self._sessions.handle(msg.topic, bytes(msg.payload), received_ms)
                self._schedule_expiry()
            self._act(out)
        except Exception:  # an exception escaping a paho callback would end the network loop
            log.exception("could not handle the Sparkplug message on %s", msg.topic)

    def _on_own_state(self, client: mqtt.Client, raw: bytes) -> None:
        """Another client said this host is offline (e.g. our previous Will): say otherwise."""
        try:
            doc = json.loads(raw)
        except ValueError:
            return
        if isinstance(doc, dict) and doc.get("online") is False and not self._stopping.is_set():
            self._publish_birth(client)

    # -- acting on the sessions' outcome -------------------------------------------------------

    def _act(self, out: Outcome) -> None:
        for request in out.rebirths:
            self._request_rebirth(request)
        if not out.messages:
            return
        try:
            self.ingestor.submit_messages(out.messages, transport="sparkplug")
        except IngestorStoppedError:
            if not self._told_stopped:  # once, not once per message
                self._told_stopped = True
                log.warning("ingest is stopped; Sparkplug data is dropped until it runs again")

    def _request_rebirth(self, request: RebirthRequest) -> None:
        topic = str(SparkplugTopic(self.group_id, MessageType.NCMD, request.edge_node_id))
        log.log(
            logging.INFO if request.reason in _ROUTINE_REBIRTHS else logging.WARNING,
            "requesting a rebirth from Sparkplug edge node %r%s (%s): %s: %s; its data is dropped"
            " until the new NBIRTH",
            request.edge_node_id,
            f", device {request.device_id!r}" if request.device_id is not None else "",
            topic,
            request.reason,
            request.detail,
        )
        self._client.publish(topic, rebirth_request(self._clock_ms()), qos=0, retain=False)

    def _schedule_expiry(self) -> None:
        """Arm one timer for the earliest reorder deadline (call with ``_lock`` held)."""
        due = self._sessions.next_deadline_s()
        if due is None or (self._timer_due_s is not None and self._timer_due_s <= due):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due_s = due
        self._timer = threading.Timer(max(0.0, due - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        try:
            with self._lock:
                self._timer = self._timer_due_s = None
                out = self._sessions.expire()
                self._schedule_expiry()
            self._act(out)
        except Exception:  # a timer thread has no one to tell
            log.exception("could not expire the Sparkplug reorder timers")
