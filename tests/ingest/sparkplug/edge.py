"""A Sparkplug B Edge Node (Eclipse Sparkplug 3.0.0) publishing as a gateway would, for the tests.

Session (chapter 5, "Edge Node Session Establishment"): MQTT 3.1.1 with a clean session and a Will
that is the NDEATH (``bdSeq`` metric only, QoS 1, not retained); it subscribes to its NCMD and DCMD
topics (and to the Primary Host Application's STATE, when one is configured, waiting until that
host says it is online), then publishes the NBIRTH (``seq`` 0, ``bdSeq``, ``Node Control/Rebirth``
= false, every node metric with its alias and current value) and one DBIRTH per device. DATA
messages carry aliases only and no datatypes; ``seq`` is +1 per message, 255 wraps to 0 (chapter 4).

``bdSeq`` is +1 on every new MQTT CONNECT (a reconnection after a lost connection included). A
Rebirth request (NCMD ``Node Control/Rebirth`` = true) is answered with a new NBIRTH and DBIRTHs in
the same MQTT session, so with the same ``bdSeq`` (chapter 5, "Commands"). :meth:`disconnect` ends
the session cleanly (NDEATH, then DISCONNECT); :meth:`kill` drops the TCP connection without a
DISCONNECT, so the broker delivers the Will.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from seamline.ingest.mqtt import START_BROKER_HINT, MqttError, parse_mqtt_url
from seamline.ingest.sparkplug.codec import (
    DataType,
    Metric,
    MetricValue,
    Payload,
    SparkplugPayloadError,
    decode_payload,
    encode_payload,
)
from seamline.ingest.sparkplug.session import BDSEQ, REBIRTH
from seamline.ingest.sparkplug.topic import MessageType, SparkplugTopic, check_id, state_topic

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric an Edge Node or device reports: name, datatype and the value its first birth carries."""

    name: str
    datatype: DataType
    value: MetricValue = None


class SparkplugEdgeNode:
    """One Edge Node of ``group_id`` with its devices; publishing methods return the ``seq`` used.

    >>> # node = SparkplugEdgeNode("mqtt://127.0.0.1:1883", "gazipur-1", "gw-L01",
    >>> #     devices={"L01-S03": [MetricSpec("motor_speed_spm", DataType.FLOAT, 0.0)]})
    >>> # with node: node.publish_ddata("L01-S03", {"motor_speed_spm": 2450.0})
    """

    def __init__(
        self,
        url: str,
        group_id: str,
        edge_node_id: str,
        *,
        devices: Mapping[str, Sequence[MetricSpec]] | None = None,
        node_metrics: Sequence[MetricSpec] = (),
        bd_seq: int = 0,
        primary_host_id: str | None = None,
        client_id: str | None = None,
        connect_timeout_s: float = 10.0,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.url = url
        self.broker = parse_mqtt_url(url)
        self.group_id = check_id("group id", group_id)
        self.edge_node_id = check_id("edge node id", edge_node_id)
        self.primary_host_id = primary_host_id
        self.connect_timeout_s = connect_timeout_s
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        # metric tables: owner (None = the node) -> name -> (alias, datatype); aliases unique per node
        self._specs: dict[str | None, dict[str, tuple[int, DataType]]] = {}
        self._values: dict[str | None, dict[str, MetricValue]] = {}
        alias = 0
        owners: list[tuple[str | None, Sequence[MetricSpec]]] = [(None, node_metrics)]
        owners += [(check_id("device id", d), specs) for d, specs in (devices or {}).items()]
        for owner, specs in owners:
            self._specs[owner] = {}
            self._values[owner] = {}
            for spec in specs:
                alias += 1
                self._specs[owner][spec.name] = (alias, spec.datatype)
                self._values[owner][spec.name] = spec.value
        self._bd_seq = bd_seq % 256
        self._seq = 0
        self._lock = threading.RLock()  # one message at a time: seq order is publish order
        self._born = False
        self._births: list[mqtt.MQTTMessageInfo] = []  # of the last birth sequence
        self._rebirths = 0
        self._rebirth_cond = threading.Condition(self._lock)
        self._connected = threading.Event()
        self._host_online = threading.Event()
        self._killed = False
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"spb-edge-{edge_node_id}-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
            clean_session=True,  # every Sparkplug client (chapter 5)
        )
        if self.broker.username:
            self._client.username_pw_set(self.broker.username, self.broker.password)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._set_will()
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect and publish the births (after the Primary Host's STATE birth, if one is set)."""
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
            self._stop_loop()
            raise MqttError(self.url, f"the MQTT broker at {self.url} did not accept the connection in time")
        if self.primary_host_id is not None and not self._host_online.wait(self.connect_timeout_s):
            self._stop_loop()
            raise MqttError(
                self.url,
                f"the Primary Host Application {self.primary_host_id!r} did not publish an online STATE on"
                f" {state_topic(self.primary_host_id)} within {self.connect_timeout_s:.0f} s; start it first",
                topic=state_topic(self.primary_host_id),
            )
        with self._lock:
            births = list(self._births)
        for info in births:  # on the wire when connect() returns (QoS 0: written to the socket)
            info.wait_for_publish(self.connect_timeout_s)

    def disconnect(self) -> None:
        """End the session on purpose: publish the NDEATH, then DISCONNECT (chapter 5)."""
        if not self._started:
            return
        with self._lock:
            info = self._client.publish(self._topic(MessageType.NDEATH), self._ndeath(), qos=1)
        try:
            info.wait_for_publish(self.connect_timeout_s)
        except (RuntimeError, ValueError):
            log.warning("edge node %r: could not publish its NDEATH before disconnecting", self.edge_node_id)
        self._client.disconnect()
        self._stop_loop()

    def kill(self) -> None:
        """Drop the TCP connection without a DISCONNECT, as a power cut would: the broker sends the NDEATH."""
        if not self._started:
            return
        self._killed = True
        sock = self._client.socket()
        self._stop_loop()  # first, so paho neither sends DISCONNECT nor reconnects
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    def _stop_loop(self) -> None:
        self._client.loop_stop()
        self._started = False

    # -- what a test or the simulator can see --------------------------------------------------

    @property
    def bd_seq(self) -> int:
        return self._bd_seq

    @property
    def seq(self) -> int:
        """The ``seq`` of the last message published."""
        return self._seq

    @property
    def rebirths(self) -> int:
        """How many Rebirth requests were answered."""
        return self._rebirths

    def wait_rebirths(self, n: int, timeout_s: float) -> bool:
        """Block until ``n`` Rebirth requests have been answered (True) or ``timeout_s`` has passed."""
        with self._rebirth_cond:
            return self._rebirth_cond.wait_for(lambda: self._rebirths >= n, timeout_s)

    # -- publishing ----------------------------------------------------------------------------

    def rebirth(self) -> None:
        """Publish the NBIRTH (``seq`` 0, same ``bdSeq``) and every DBIRTH, with the current values."""
        with self._lock:
            now = self._clock_ms()
            metrics = [
                Metric(name=BDSEQ, timestamp_ms=now, datatype=DataType.INT64, value=self._bd_seq),
                Metric(name=REBIRTH, timestamp_ms=now, datatype=DataType.BOOLEAN, value=False),
                *self._birth_metrics(None, now),
            ]
            self._seq = 0
            self._births = []
            self._publish(MessageType.NBIRTH, None, Payload(now, tuple(metrics), 0), omit_datatypes=False)
            for device_id in self._specs:
                if device_id is not None:
                    self.publish_dbirth(device_id)
            self._born = True

    def publish_dbirth(self, device_id: str) -> int:
        """A device's birth: every metric with name, alias, datatype and current value."""
        with self._lock:
            now = self._clock_ms()
            payload = Payload(now, tuple(self._birth_metrics(device_id, now)), self._next_seq())
            return self._publish(MessageType.DBIRTH, device_id, payload, omit_datatypes=False)

    def publish_ddeath(self, device_id: str) -> int:
        """The device is gone (the Edge Node publishes this on its behalf, chapter 5)."""
        with self._lock:
            payload = Payload(self._clock_ms(), (), self._next_seq())
            return self._publish(MessageType.DDEATH, device_id, payload, omit_datatypes=True)

    def publish_ddata(
        self, device_id: str, values: Mapping[str, MetricValue], *, ts_ms: int | None = None
    ) -> int:
        """Changed values of a device, by alias."""
        return self._data(MessageType.DDATA, device_id, values, ts_ms)

    def publish_samples(self, device_id: str | None, samples: Iterable[tuple[str, int, MetricValue]]) -> int:
        """Many timestamped values of a device (None: the node) in one DDATA/NDATA, oldest first.

        A metric may appear more than once with different timestamps (chapter 5, "Data Publish");
        this is how a batch of the simulator's readings travels.
        """
        with self._lock:
            metrics = []
            for name, ts_ms, value in sorted(samples, key=lambda s: s[1]):
                alias, datatype = self._declared(device_id, name)
                metrics.append(Metric(alias=alias, timestamp_ms=ts_ms, datatype=datatype, value=value))
                self._values[device_id][name] = value
            kind = MessageType.NDATA if device_id is None else MessageType.DDATA
            payload = Payload(self._clock_ms(), tuple(metrics), self._next_seq())
            return self._publish(kind, device_id, payload, omit_datatypes=True)

    def publish_ndata(self, values: Mapping[str, MetricValue], *, ts_ms: int | None = None) -> int:
        """Changed values of the Edge Node's own metrics, by alias."""
        return self._data(MessageType.NDATA, None, values, ts_ms)

    def publish_raw(
        self,
        kind: MessageType,
        payload: Payload,
        device_id: str | None = None,
        *,
        omit_datatypes: bool = True,
    ) -> None:
        """Publish a payload as given, ``seq`` included (for tests of a host's checks)."""
        with self._lock:
            self._client.publish(
                self._topic(kind, device_id), encode_payload(payload, omit_datatypes=omit_datatypes), qos=0
            )

    def skip_seq(self, n: int = 1) -> None:
        """Advance ``seq`` as if ``n`` messages were published and lost on the way (for tests)."""
        with self._lock:
            self._seq = (self._seq + n) % 256

    def _data(
        self, kind: MessageType, owner: str | None, values: Mapping[str, MetricValue], ts_ms: int | None
    ) -> int:
        with self._lock:
            now = self._clock_ms()
            metrics = []
            for name, value in values.items():
                alias, datatype = self._declared(owner, name)
                metrics.append(Metric(alias=alias, timestamp_ms=ts_ms or now, datatype=datatype, value=value))
                self._values[owner][name] = value
            payload = Payload(now, tuple(metrics), self._next_seq())
            return self._publish(kind, owner, payload, omit_datatypes=True)

    def _declared(self, owner: str | None, name: str) -> tuple[int, DataType]:
        spec = self._specs[owner].get(name)
        if spec is None:
            raise SparkplugPayloadError(
                f"{name!r} was not declared in the birth of {owner or self.edge_node_id!r};"
                " a DATA message may only carry metrics of the birth (chapter 5, Data Publish)",
                metric=name,
            )
        return spec

    def _birth_metrics(self, owner: str | None, now: int) -> list[Metric]:
        return [
            Metric(
                name=name, alias=alias, timestamp_ms=now, datatype=datatype, value=self._values[owner][name]
            )
            for name, (alias, datatype) in self._specs[owner].items()
        ]

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) % 256
        return self._seq

    def _publish(
        self, kind: MessageType, device_id: str | None, payload: Payload, *, omit_datatypes: bool
    ) -> int:
        info = self._client.publish(
            self._topic(kind, device_id), encode_payload(payload, omit_datatypes=omit_datatypes), qos=0
        )
        if kind in (MessageType.NBIRTH, MessageType.DBIRTH):
            self._births.append(info)
        return payload.seq or 0

    def _topic(self, kind: MessageType, device_id: str | None = None) -> str:
        return str(SparkplugTopic(self.group_id, kind, self.edge_node_id, device_id))

    def _ndeath(self) -> bytes:
        bd = Metric(name=BDSEQ, timestamp_ms=self._clock_ms(), datatype=DataType.INT64, value=self._bd_seq)
        return encode_payload(Payload(self._clock_ms(), (bd,)))

    def _set_will(self) -> None:
        self._client.will_set(self._topic(MessageType.NDEATH), self._ndeath(), qos=1, retain=False)

    # -- paho callbacks (network thread) -------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.error("edge node %r: the broker refused the connection: %s", self.edge_node_id, reason)
            return
        topics = [(self._topic(MessageType.NCMD), 0), (f"{self._topic(MessageType.DCMD)}/+", 0)]
        if self.primary_host_id is not None:
            topics.append((state_topic(self.primary_host_id), 1))
        client.subscribe(topics)  # before the births: the broker handles a client's packets in order
        if self.primary_host_id is None:
            self.rebirth()  # else when the Primary Host says it is online
        self._connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connected.clear()
        with self._lock:
            self._born = False
            if self._started and not self._killed:  # paho reconnects: that CONNECT carries the next bdSeq
                self._bd_seq = (self._bd_seq + 1) % 256
                self._set_will()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            if self.primary_host_id is not None and msg.topic == state_topic(self.primary_host_id):
                self._on_host_state(bytes(msg.payload))
            elif msg.topic == self._topic(MessageType.NCMD):
                self._on_ncmd(bytes(msg.payload))
        except Exception:  # an exception escaping a paho callback would end the network loop
            log.exception("edge node %r: could not handle the message on %s", self.edge_node_id, msg.topic)

    def _on_host_state(self, raw: bytes) -> None:
        try:
            online = json.loads(raw).get("online") is True
        except (ValueError, AttributeError):
            return
        if not online:
            self._host_online.clear()
            return
        with self._lock:
            if not self._born:
                self.rebirth()
        self._host_online.set()  # after the births, so connect() returns with them on the wire

    def _on_ncmd(self, raw: bytes) -> None:
        payload = decode_payload(raw, topic=self._topic(MessageType.NCMD))
        if any(m.name == REBIRTH and m.value is True for m in payload.metrics):
            log.info("edge node %r: Rebirth requested", self.edge_node_id)
            with self._rebirth_cond:
                self.rebirth()
                self._rebirths += 1
                self._rebirth_cond.notify_all()
