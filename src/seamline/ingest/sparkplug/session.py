"""What a Sparkplug Host Application knows about each Edge Node: sessions, aliases, sequence numbers.

:class:`HostSessions` is the protocol logic of :class:`~seamline.ingest.sparkplug.host.SparkplugIngest`
without any I/O: it takes one MQTT message at a time and answers with the Seamline wire-format
messages to ingest (docs/telemetry.md) and the Edge Nodes to send a Rebirth request to. The MQTT
layer calls it under one lock.

Sessions (Eclipse Sparkplug 3.0.0): an NBIRTH starts an Edge Node session and resets its aliases
(chapter 4, NBIRTH); a DBIRTH declares a device's metrics, aliases and datatypes and carries their
current values (chapter 4, DBIRTH); an NDEATH ends the session only if its ``bdSeq`` is the one of
the session's NBIRTH (chapter 5, "Edge Node Session Establishment": a late Will must not end a newer
session); a DDEATH ends one device. A death is stored as the device's ``state`` event ``off`` and, for
a machine, a ``runtime_state`` reading of ``NO_SIGNAL_CODE`` at the death (the NDEATH's arrival: its
payload is the Will, written at connection time; the DDEATH's own timestamp).

Ordering (chapter 5, "Sparkplug Host Application Message Ordering"): every NBIRTH, DBIRTH, NDATA,
DDATA and DDEATH carries ``seq`` 0..255, +1 per message of the Edge Node, wrapping to 0. A message
that is not the next one is held for ``reorder_timeout_s``. If the missing one does not come, or data
arrives for an Edge Node or device whose birth this host has not seen (a host that started after the
birth, or lost its connection), the host sends a Rebirth request (NCMD ``Node Control/Rebirth`` =
true, chapter 5, "Commands") and drops that Edge Node's data until the new NBIRTH: the births carry
every current value, so nothing is guessed. Each request carries its reason (:data:`REBIRTH_REASONS`),
and births, deaths, gaps, requests and dropped data are counted per Edge Node and device
(:meth:`HostSessions.node_stats`).

Identity of the messages we derive: ``boot`` is the NBIRTH's timestamp (ms) x 256 + ``bdSeq`` mod 256,
so a restarted Edge Node, or a rebirth in the same MQTT session (same ``bdSeq``, ``seq`` back to 0),
never reuses an earlier (device, boot, seq); ``seq`` counts the Edge Node's messages since that NBIRTH
(``seq`` wraps are counted). The same Sparkplug message seen twice in one session gets the same key,
and the store keeps it once.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from seamline.ingest.decode import build_message
from seamline.ingest.sparkplug.codec import (
    DataType,
    Metric,
    MetricValue,
    Payload,
    SparkplugPayloadError,
    coerce_value,
    decode_payload,
)
from seamline.ingest.sparkplug.topic import MessageType, SparkplugTopic, SparkplugTopicError, parse_topic
from seamline.model.factory import (
    NO_SIGNAL_CODE,
    RUNTIME_STATE,
    ChannelKind,
    Device,
    Factory,
    MachineState,
)

log = logging.getLogger(__name__)

BDSEQ: Final = "bdSeq"
REBIRTH: Final = "Node Control/Rebirth"
# Sparkplug's own metrics (chapter 4: Node Control/..., Device Control/..., Properties/...): no readings.
_RESERVED_PREFIXES: Final = ("Node Control/", "Device Control/", "Properties/")
_RECENT_SEQS: Final = 32  # how many processed seqs are remembered to recognise a duplicate
STAT_NAMES: Final = (
    "node_births",
    "device_births",
    "node_deaths",
    "device_deaths",
    "stale_deaths",  # NDEATH whose bdSeq is not the current session's: ignored (chapter 5)
    "rebirth_requests",
    "seq_gaps",
    "reordered",  # messages that arrived out of order and were put back in order in time
    "duplicates",
    "dropped_before_birth",
    "malformed",
    "unknown_metrics",  # metric values that are no channel of the device's machine type
    "unknown_devices",  # messages of Sparkplug devices that map to no device in the registry
    "null_values",
    "invalid_values",  # values no reading can hold (strings, bytes, NaN) on a known channel
    "messages",
    "readings",
)
# Why a Rebirth request was sent (the counters of node_stats() and the host's log line use these).
REBIRTH_REASONS: Final = (
    "seq_gap",  # a seq did not arrive within the reorder timeout, or too many arrived out of order
    "bad_seq",  # a message without a seq, or one outside 0..255
    "data_before_birth",  # a message of an Edge Node whose NBIRTH this host has not seen
    "device_data_before_birth",  # DDATA of a device whose DBIRTH this host has not seen
)
_NODE_COUNTS: Final = ("births", "deaths", "seq_gaps", "dropped_before_birth", "rebirth_requests")
_DEVICE_COUNTS: Final = ("births", "deaths", "dropped_before_birth", "rebirth_requests")


@dataclass(frozen=True, slots=True)
class RebirthRequest:
    """A Rebirth request to send to an Edge Node, and why (one of :data:`REBIRTH_REASONS`).

    ``device_id`` is the Sparkplug device whose message showed the need, if it was a device's.
    """

    edge_node_id: str
    reason: str
    device_id: str | None = None
    detail: str = field(default="", compare=False)  # for the log line: what was seen


@dataclass(slots=True)
class Outcome:
    """What one step of the host produced: messages to ingest, Edge Nodes to ask for a rebirth."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    rebirths: list[RebirthRequest] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Binding:
    """A metric declared in a birth: its name, datatype and where its values go."""

    name: str
    datatype: DataType | None
    channel: str | None  # our channel name; None: not a channel of the machine type
    state: bool  # a STATE channel: a string value may be the state's name


@dataclass(slots=True)
class _DeviceSession:
    sparkplug_id: str
    device: Device | None  # None: maps to no device of the registry
    born: bool = False  # a birth was seen in the current Edge Node session
    online: bool = False  # as last announced with an event
    by_alias: dict[int, _Binding] = field(default_factory=dict)
    by_name: dict[str, _Binding] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(_DEVICE_COUNTS, 0)))


@dataclass(slots=True)
class _NodeSession:
    edge_node_id: str
    node: _DeviceSession  # the Edge Node's own metrics (NBIRTH/NDATA)
    devices: dict[str, _DeviceSession] = field(default_factory=dict)
    bd_seq: int | None = None  # of the session's NBIRTH; None once the session has ended
    synced: bool = False  # births seen and every seq since received in order
    boot: int = 0
    index: int = 0  # messages since the NBIRTH: our seq
    expected: int = 0  # the next Sparkplug seq
    recent: deque[int] = field(default_factory=lambda: deque(maxlen=_RECENT_SEQS))
    pending: dict[int, tuple[SparkplugTopic, Payload, int]] = field(default_factory=dict)
    deadline_s: float | None = None
    last_rebirth_s: float | None = None
    counts: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(_NODE_COUNTS, 0)))
    rebirth_reasons: Counter[str] = field(default_factory=Counter)


class HostSessions:
    """The Sparkplug Host Application's view of one group, turning its messages into ours.

    ``devices`` maps a Sparkplug device id (or ``"edge_node/device"``, or an edge node id for
    node-level metrics) to a device id of the registry; unmapped ids are taken as they are.
    ``channels`` maps a metric name to a channel name; unmapped names are taken as they are.
    """

    def __init__(
        self,
        factory: Factory,
        group_id: str,
        *,
        devices: Mapping[str, str] | None = None,
        channels: Mapping[str, str] | None = None,
        reorder_timeout_s: float = 2.0,
        max_out_of_order: int = 64,
        rebirth_interval_s: float = 5.0,
        clock_s: Callable[[], float] = time.monotonic,
    ) -> None:
        self.factory = factory
        self.group_id = group_id
        self.device_map = dict(devices or {})
        self.channel_map = dict(channels or {})
        self.reorder_timeout_s = reorder_timeout_s
        self.max_out_of_order = max_out_of_order
        self.rebirth_interval_s = rebirth_interval_s
        self._clock_s = clock_s
        self._nodes: dict[str, _NodeSession] = {}
        self._stats: Counter[str] = Counter(dict.fromkeys(STAT_NAMES, 0))
        self._told: set[tuple[str, str]] = set()  # (what, id) already logged

    # -- stepping ------------------------------------------------------------------------------

    def handle(self, topic: str, raw: bytes, received_ms: int) -> Outcome:
        """Take one MQTT message of the group; never raises for what a peer sends."""
        out = Outcome()
        try:
            t = parse_topic(topic)
        except SparkplugTopicError as err:
            self._bad(err.message)
            return out
        if t.group_id != self.group_id or t.message_type in (MessageType.NCMD, MessageType.DCMD):
            return out  # commands are for edge nodes, ours included
        try:
            payload = decode_payload(raw, topic=topic)
        except SparkplugPayloadError as err:
            self._bad(err.message)  # its seq is lost with it: the next message shows the gap
            return out
        node = self._node(t.edge_node_id)
        if t.message_type is MessageType.NBIRTH:
            self._nbirth(node, payload, received_ms, out)
        elif t.message_type is MessageType.NDEATH:
            self._ndeath(node, payload, received_ms, out)
        else:
            self._sequenced(node, t, payload, received_ms, out)
        return out

    def expire(self) -> Outcome:
        """Give up on messages missing for longer than the reorder timeout: request rebirths."""
        out = Outcome()
        now = self._clock_s()
        for node in self._nodes.values():
            if node.deadline_s is not None and now >= node.deadline_s:
                waited = f"seq {node.expected} did not arrive within {self.reorder_timeout_s:g} s"
                self._gap(node, out, "seq_gap", f"{waited}, got {sorted(node.pending)}")
        return out

    def next_deadline_s(self) -> float | None:
        """When :meth:`expire` has something to do (the clock of ``clock_s``), or None."""
        deadlines = [n.deadline_s for n in self._nodes.values() if n.deadline_s is not None]
        return min(deadlines, default=None)

    def lost_connection(self) -> None:
        """Messages may have been missed: every Edge Node needs a new birth before its data counts."""
        for node in self._nodes.values():
            node.synced = False
            node.pending.clear()
            node.deadline_s = None
            node.last_rebirth_s = None

    def stats(self) -> dict[str, int]:
        return dict(self._stats)

    def node_stats(self) -> list[dict[str, Any]]:
        """Per Edge Node, and per device of each: births, deaths, gaps, rebirths (by reason), drops.

        A node's ``rebirth_requests`` counts every request sent to it; a device's, those its own
        messages brought about. ``dropped_before_birth`` counts messages.
        """
        return [
            {
                "edge_node_id": node.edge_node_id,
                "online": node.bd_seq is not None,
                "synced": node.synced,
                **node.counts,
                "rebirth_reasons": dict(node.rebirth_reasons),
                "devices": [
                    {
                        "device_id": dev.sparkplug_id,
                        "registry_id": dev.device.id if dev.device is not None else None,
                        "online": dev.online,
                        **dev.counts,
                    }
                    for dev in node.devices.values()
                ],
            }
            for node in self._nodes.values()
        ]

    def online_devices(self) -> set[str]:
        """Registry ids of the devices currently online (after a birth, before a death)."""
        return {
            s.device.id
            for n in self._nodes.values()
            for s in (n.node, *n.devices.values())
            if s.online and s.device is not None
        }

    # -- births and deaths ---------------------------------------------------------------------

    def _nbirth(self, node: _NodeSession, payload: Payload, received_ms: int, out: Outcome) -> None:
        bd_seq = _bd_seq(payload)
        if payload.seq not in (0, None):
            self._tell(
                "nbirth-seq",
                node.edge_node_id,
                "NBIRTH of %s has seq %s, not 0 (chapter 4, NBIRTH)",
                node.edge_node_id,
                payload.seq,
            )
        self._stats["node_births"] += 1
        node.counts["births"] += 1
        node.bd_seq = 0 if bd_seq is None else bd_seq
        node.boot = (payload.timestamp_ms or received_ms) * 256 + node.bd_seq % 256
        node.synced = True
        node.index = 0
        seq = payload.seq or 0
        node.expected = (seq + 1) % 256
        node.recent.clear()
        node.recent.append(seq)
        node.pending.clear()
        node.deadline_s = None
        node.last_rebirth_s = None
        for dev in node.devices.values():  # their DBIRTHs follow; until then their data is stale
            dev.born = False
        self._birth(node, node.node, payload, received_ms, MessageType.NBIRTH, out)

    def _birth(
        self,
        node: _NodeSession,
        dev: _DeviceSession,
        payload: Payload,
        received_ms: int,
        verb: MessageType,
        out: Outcome,
    ) -> None:
        dev.by_alias.clear()
        dev.by_name.clear()
        unknown: list[str] = []
        for m in payload.metrics:
            if m.name is None:
                continue
            b = self._binding(dev, m)
            dev.by_name[m.name] = b
            if m.alias is not None:
                dev.by_alias[m.alias] = b
            if b.channel is None and dev.device is not None and not _reserved(m.name):
                unknown.append(m.name)
        dev.born = True
        if dev.device is None:
            if verb is MessageType.DBIRTH:
                self._stats["unknown_devices"] += 1
                self._tell(
                    "device",
                    dev.sparkplug_id,
                    "Sparkplug device %r of edge node %r is not in the device registry of site %r; "
                    "declare it in the factory file, or map its Sparkplug id to a registry id",
                    dev.sparkplug_id,
                    node.edge_node_id,
                    self.factory.site_id,
                )
            return
        if unknown:
            log.warning(
                "unknown_channel: %d metrics of %s %r are no channel of machine type %r and are not"
                " stored: %s; map them to channels or add the channels to the machine type",
                len(unknown),
                verb,
                dev.sparkplug_id,
                dev.device.machine_type.id,
                ", ".join(unknown[:10]),
            )
        events = []
        if not dev.online:
            dev.online = True
            events.append(
                {"ts": payload.timestamp_ms or received_ms, "type": "heartbeat", "sparkplug": verb.value}
            )
        self._emit(node, dev, payload, received_ms, events, out)

    def _ndeath(self, node: _NodeSession, payload: Payload, received_ms: int, out: Outcome) -> None:
        bd_seq = _bd_seq(payload)
        if node.bd_seq is None or (bd_seq is not None and bd_seq != node.bd_seq):
            self._stats["stale_deaths"] += 1
            return
        self._stats["node_deaths"] += 1
        node.counts["deaths"] += 1
        node.bd_seq = None
        node.synced = False
        node.pending.clear()
        node.deadline_s = None
        node.index += 1  # the NDEATH has no seq (chapter 4, NDEATH); it takes the next of ours
        for dev in (node.node, *node.devices.values()):
            dev.born = False
            self._offline(node, dev, received_ms, MessageType.NDEATH, out)

    def _offline(
        self, node: _NodeSession, dev: _DeviceSession, ts_ms: int, verb: MessageType, out: Outcome
    ) -> None:
        """A death certificate: the device's ``state`` event ``off``, and, for a machine, a
        ``runtime_state`` reading of :data:`NO_SIGNAL_CODE` at the death, which ends its last state
        there in line states and state durations (nothing after a death says what it does)."""
        if not dev.online or dev.device is None:
            return
        dev.online = False
        event = {"ts": ts_ms, "type": "state", "state": MachineState.OFF.value, "sparkplug": verb.value}
        machine = RUNTIME_STATE in dev.device.machine_type.channel_index
        out.messages.append(
            build_message(
                dev.device.id,
                seq=node.index,
                boot=node.boot,
                sent_ts_ms=ts_ms,
                channels=[RUNTIME_STATE] if machine else [],
                ts_ms=[ts_ms] if machine else [],
                values=[float(NO_SIGNAL_CODE)] if machine else [],
                events=[event],
            )
        )
        self._stats["messages"] += 1
        self._stats["readings"] += int(machine)

    # -- sequenced messages --------------------------------------------------------------------

    def _sequenced(
        self, node: _NodeSession, t: SparkplugTopic, payload: Payload, received_ms: int, out: Outcome
    ) -> None:
        if not node.synced:
            self._stats["dropped_before_birth"] += 1
            node.counts["dropped_before_birth"] += 1
            dev = node.devices.get(t.device_id) if t.device_id is not None else None
            if dev is not None:
                dev.counts["dropped_before_birth"] += 1
            why = "never seen" if node.bd_seq is None and not node.counts["births"] else "not current"
            self._request_rebirth(
                node,
                out,
                RebirthRequest(
                    node.edge_node_id,
                    "data_before_birth",
                    t.device_id,
                    f"{t.message_type} arrived while its NBIRTH is {why} (a host that started or"
                    " reconnected after the birth, or data after a gap or death)",
                ),
                dev,
            )
            return
        seq = payload.seq
        if seq is None or not 0 <= seq <= 255:
            self._tell(
                "seq",
                node.edge_node_id,
                "%s from %s has seq %s, not 0..255 (chapter 4)",
                t.message_type,
                node.edge_node_id,
                seq,
            )
            self._gap(node, out, "bad_seq", f"{t.message_type} has seq {seq}, not 0..255", t.device_id)
            return
        if seq == node.expected:
            self._apply(node, t, payload, received_ms, out)
            while node.synced and node.expected in node.pending:
                self._stats["reordered"] += 1
                self._apply(node, *node.pending.pop(node.expected), out)
            if not node.pending:
                node.deadline_s = None
            return
        if seq in node.recent or seq in node.pending:
            self._stats["duplicates"] += 1
            return
        node.pending[seq] = (t, payload, received_ms)
        if self.reorder_timeout_s <= 0 or len(node.pending) > self.max_out_of_order:
            missing = f"seq {node.expected} missing, got {sorted(node.pending)}"
            self._gap(node, out, "seq_gap", missing, t.device_id)
        elif node.deadline_s is None:
            node.deadline_s = self._clock_s() + self.reorder_timeout_s

    def _apply(
        self, node: _NodeSession, t: SparkplugTopic, payload: Payload, received_ms: int, out: Outcome
    ) -> None:
        seq = payload.seq or 0
        node.expected = (seq + 1) % 256
        node.recent.append(seq)
        node.index += 1
        kind = t.message_type
        if kind is MessageType.NDATA:
            self._data(node, node.node, payload, received_ms, out)
            return
        dev = node.devices.get(t.device_id or "")
        if kind is MessageType.DBIRTH:
            if dev is None:
                dev = node.devices[t.device_id or ""] = _DeviceSession(
                    t.device_id or "", self._device(node.edge_node_id, t.device_id)
                )
            self._stats["device_births"] += 1
            dev.counts["births"] += 1
            self._birth(node, dev, payload, received_ms, kind, out)
        elif kind is MessageType.DDEATH:
            if dev is not None and dev.born:
                self._stats["device_deaths"] += 1
                dev.counts["deaths"] += 1
                dev.born = False
                self._offline(node, dev, payload.timestamp_ms or received_ms, kind, out)
        elif dev is None or not dev.born:  # DDATA of a device whose DBIRTH this host has not seen
            self._stats["dropped_before_birth"] += 1
            node.counts["dropped_before_birth"] += 1
            if dev is not None:
                dev.counts["dropped_before_birth"] += 1
            node.synced = False
            why = "never seen" if dev is None else "ended by a DDEATH or an NBIRTH"
            self._request_rebirth(
                node,
                out,
                RebirthRequest(
                    node.edge_node_id,
                    "device_data_before_birth",
                    t.device_id,
                    f"DDATA of device {t.device_id!r}, whose DBIRTH this host has {why}",
                ),
                dev,
            )
        else:
            self._data(node, dev, payload, received_ms, out)

    def _data(
        self, node: _NodeSession, dev: _DeviceSession, payload: Payload, received_ms: int, out: Outcome
    ) -> None:
        if dev.device is None:
            if dev is not node.node:
                self._stats["unknown_devices"] += 1
            return
        self._emit(node, dev, payload, received_ms, [], out)

    def _gap(
        self, node: _NodeSession, out: Outcome, reason: str, detail: str, device_id: str | None = None
    ) -> None:
        """The Edge Node's sequence is broken: drop its data until a new NBIRTH, ask for one."""
        self._stats["seq_gaps"] += 1
        node.counts["seq_gaps"] += 1
        node.synced = False
        node.pending.clear()
        node.deadline_s = None
        self._request_rebirth(node, out, RebirthRequest(node.edge_node_id, reason, device_id, detail))

    def _request_rebirth(
        self, node: _NodeSession, out: Outcome, request: RebirthRequest, dev: _DeviceSession | None = None
    ) -> None:
        now = self._clock_s()
        if node.last_rebirth_s is not None and now - node.last_rebirth_s < self.rebirth_interval_s:
            return  # one request per interval, however much data arrives meanwhile
        node.last_rebirth_s = now
        self._stats["rebirth_requests"] += 1
        node.counts["rebirth_requests"] += 1
        node.rebirth_reasons[request.reason] += 1
        if dev is not None:
            dev.counts["rebirth_requests"] += 1
        out.rebirths.append(request)

    # -- values --------------------------------------------------------------------------------

    def _emit(
        self,
        node: _NodeSession,
        dev: _DeviceSession,
        payload: Payload,
        received_ms: int,
        events: list[dict[str, Any]],
        out: Outcome,
    ) -> None:
        assert dev.device is not None
        default_ts = payload.timestamp_ms or received_ms
        channels: list[str] = []
        ts: list[int] = []
        values: list[float] = []
        for m in payload.metrics:
            b = self._lookup(dev, m)
            if b is None or b.channel is None:
                if b is None or not _reserved(b.name):
                    self._stats["unknown_metrics"] += 1
                continue
            if m.is_transient:  # chapter 6, Metric "is_transient": not to be stored
                continue
            if m.is_null:
                self._stats["null_values"] += 1
                continue
            v = _number(coerce_value(m.value, m.datatype or b.datatype), b.state)
            if v is None:
                self._stats["invalid_values"] += 1
                continue
            channels.append(b.channel)
            ts.append(m.timestamp_ms or default_ts)
            values.append(v)
        if not channels and not events:
            return
        out.messages.append(
            build_message(
                dev.device.id,
                seq=node.index,
                boot=node.boot,
                sent_ts_ms=default_ts,
                channels=channels,
                ts_ms=ts,
                values=values,
                events=events,
            )
        )
        self._stats["messages"] += 1
        self._stats["readings"] += len(values)

    def _lookup(self, dev: _DeviceSession, m: Metric) -> _Binding | None:
        if m.name is not None:
            return dev.by_name.get(m.name)
        if m.alias is not None:
            return dev.by_alias.get(m.alias)
        return None

    def _binding(self, dev: _DeviceSession, m: Metric) -> _Binding:
        name = m.name or ""
        if dev.device is None or _reserved(name):
            return _Binding(name, m.datatype, None, state=False)
        mt = dev.device.machine_type
        channel = self.channel_map.get(name, name)
        index = mt.channel_index.get(channel)
        if index is None:
            return _Binding(name, m.datatype, None, state=False)
        return _Binding(name, m.datatype, channel, state=mt.channels[index].kind is ChannelKind.STATE)

    # -- lookups -------------------------------------------------------------------------------

    def _node(self, edge_node_id: str) -> _NodeSession:
        node = self._nodes.get(edge_node_id)
        if node is None:
            node = self._nodes[edge_node_id] = _NodeSession(
                edge_node_id, _DeviceSession(edge_node_id, self._device(edge_node_id, None))
            )
        return node

    def _device(self, edge_node_id: str, device_id: str | None) -> Device | None:
        if device_id is None:
            key = self.device_map.get(edge_node_id, edge_node_id)
        else:
            key = self.device_map.get(
                f"{edge_node_id}/{device_id}", self.device_map.get(device_id, device_id)
            )
        return self.factory.devices_by_id.get(key)

    def _bad(self, message: str) -> None:
        self._stats["malformed"] += 1
        self._tell("malformed", message[:80], "dropped a Sparkplug message: %s", message)

    def _tell(self, what: str, key: str, fmt: str, *args: object) -> None:
        """Log a peer's mistake once per (kind, id), not once per message."""
        if (what, key) not in self._told:
            self._told.add((what, key))
            log.warning(fmt, *args)


def _reserved(name: str) -> bool:
    return name == BDSEQ or name.startswith(_RESERVED_PREFIXES)


def _bd_seq(payload: Payload) -> int | None:
    for m in payload.metrics:
        if m.name == BDSEQ and isinstance(m.value, int) and not isinstance(m.value, bool):
            return m.value
    return None


def _number(value: MetricValue, state: bool) -> float | None:
    """The reading a value becomes: booleans 0/1, states by code (docs/telemetry.md); else None."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        f = float(value)
        return f if math.isfinite(f) else None
    if state and isinstance(value, str):
        try:
            return float(MachineState(value.strip().lower()).code)
        except ValueError:
            return None
    return None
