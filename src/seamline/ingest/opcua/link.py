"""One OPC UA server: connect, subscribe, turn data changes into readings, and start over when lost.

Each session is built from scratch (OPC UA Part 4, v1.05 numbering): CreateSession and
ActivateSession (§5.6.2-3), node ids resolved again (namespace URIs against the server's
NamespaceArray, browse paths with TranslateBrowsePathsToNodeIds §5.8.4 and Browse §5.8.2), one
CreateSubscription (§5.14.2) and CreateMonitoredItems (§5.13.2) in chunks, with source and server
timestamps (TimestampsToReturn ``Both``). A PLC whose program was
downloaded again may have renumbered its namespaces or dropped a node; reusing the old session's
ids would subscribe to the wrong thing, or to nothing (telegraf#19186, node-opcua#1059).

A session is lost when asyncua's client leaves the CONNECTED state (the socket closed, or its
watchdog's ServerStatus read failed), when the server reports a subscription status change
(StatusChangeNotification §7.25.4: BadTimeout, BadShutdown, GoodSubscriptionTransferred), or
when a request fails; a subscription that stops publishing (no keep-alive) is re-created by
asyncua's stale-subscription watchdog, which escalates to a lost connection when that fails. The
link then closes the client, waits a jittered exponential backoff (logged per attempt, one
WARNING line; asyncua's own traceback of the closed connection is not repeated, see
:func:`quiet_asyncua_teardown`) and starts a new session. The backoff's ceiling is low (2 s): an OPC
UA server keeps no backlog for a client that is away, so every second between its return and our
new subscription is data lost, while a connection attempt to a server that is still down costs
one refused TCP connect. asyncua's own auto-reconnect stays off: it restores the old monitored
items as they were and retries on a fixed, unjittered schedule that our stats cannot see.

No reading is stored twice across sessions: a new monitored item first reports the node's
current value (§5.13.1.3, §7.25.2), which after a reconnect is usually a sample already sent. That first
notification is dropped when it is no newer than the newest reading known for the sensor: sent
in this run, or found in the store when the connector started, so a restarted connector does
not store the current values again either. Later notifications are dropped only when they
repeat the last (time, value) sent, which covers asyncua re-creating a stale subscription.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from asyncua import ua
from asyncua.client.client import Client
from asyncua.client.ua_client import UaClientState
from asyncua.common.subscription import DataChangeEvent, OverflowPolicy, StatusChangeEvent, Subscription
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from seamline.backoff import Backoff
from seamline.ingest.opcua.batching import DeviceBatcher
from seamline.ingest.opcua.config import (
    BrowseMapping,
    NodeMapping,
    ServerConfig,
    parse_browse_path,
    parse_node_id,
)
from seamline.ingest.opcua.values import reading_ts_ms, reading_value
from seamline.model.factory import Factory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LinkOptions:
    """How a link talks to its server; the defaults suit PLCs on a plant network."""

    backoff_initial_s: float = 0.5
    backoff_max_s: float = 2.0  # low: a server that is back is resubscribed within ~2 s (no backlog)
    connect_timeout_s: float = 10.0
    request_timeout_s: float = 4.0  # each service call (asyncua's request timeout)
    watchdog_s: float = 1.0  # asyncua reads ServerStatus this often; a failure ends the session
    keepalive_s: float = 5.0  # the subscription's keep-alive period (MaxKeepAliveCount intervals)
    session_timeout_s: float = 60.0  # the server drops our session this long after we vanish
    bad_node_retry_s: float = 60.0  # retry nodes the server refused, within a session
    max_items_per_call: int = 1000  # CreateMonitoredItems chunk; servers cap items per call


@dataclass(frozen=True, slots=True)
class ServerStats:
    """One server's counters; ``bad_nodes`` maps each node refused now to the server's reason."""

    name: str
    url: str
    connected: bool
    monitored_nodes: int
    sessions: int
    reconnects: int
    connect_failures: int
    notifications: int
    readings: int
    repeats_skipped: int
    timestamp_fallbacks: int
    bad_nodes: dict[str, str]
    bad_node_counts: dict[str, int]  # node -> times refused (once per session or retry)
    bad_status: dict[str, int]  # node -> notifications with a Bad status code, skipped
    unsupported_values: dict[str, int]  # node -> notifications whose value is not a number
    last_error: str | None


@dataclass(frozen=True, slots=True)
class _Target:
    """A node resolved for this session and the sensor it feeds."""

    label: str  # how logs and stats name the node
    node_id: ua.NodeId = field(compare=False)
    device_id: str
    channel_index: int

    @property
    def sensor(self) -> tuple[str, int]:
        return (self.device_id, self.channel_index)


class _SessionLostError(Exception):
    """The session cannot go on; the message says why (internal to the link)."""


# asyncua's log records of a connection the server closed (a restart, a graceful shutdown): the
# link notices the same loss and says so in one WARNING line with its reconnect attempt.
_TEARDOWN_NOISE = frozenset(
    {
        "close_session was called but connection is closed",
        "close_secure_channel was called but connection is closed",
    }
)
_ASYNCUA_LOGGERS = (
    "asyncua.client.ua_session.UaSession",
    "asyncua.client.ua_client.UaClient",
    "asyncua.client.ua_client.UASocketProtocol",
)
# What a pending Publish is answered with when the server ends the session or shuts down (Part 4
# §7.38.2); the link sees the same end through its watchdog or the connection's state.
_SESSION_ENDED = frozenset(
    {
        StatusCodes.BadSessionClosed,
        StatusCodes.BadSessionIdInvalid,
        StatusCodes.BadShutdown,
        StatusCodes.BadServerHalted,
        StatusCodes.BadSecureChannelClosed,
        StatusCodes.BadConnectionClosed,
    }
)
_SESSION_ENDED_NAMES = frozenset(ua.StatusCode(ua.UInt32(code)).name for code in _SESSION_ENDED)


class _QuietTeardown(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in _TEARDOWN_NOISE:
            return False
        if str(record.msg).startswith("ServiceFault ("):  # args: the status name, diagnostics, context
            return not (
                record.args and isinstance(record.args, tuple) and record.args[0] in _SESSION_ENDED_NAMES
            )
        if not str(record.msg).startswith("Publish iteration crashed"):
            return True
        # the publish loop's traceback when the socket closed under it or the server ended the
        # session (it retries every second until the session is closed, which the link does at once)
        exc = record.exc_info[1] if record.exc_info else None
        ended = isinstance(exc, UaStatusCodeError) and exc.code in _SESSION_ENDED
        return not (ended or isinstance(exc, ConnectionError))


_QUIET_TEARDOWN = _QuietTeardown()


def quiet_asyncua_teardown() -> None:
    """Drop asyncua's ERROR traceback and WARNINGs of a connection the server closed (idempotent).

    Other asyncua records pass; a link logs the loss itself (:meth:`ServerLink.run`).
    """
    for name in _ASYNCUA_LOGGERS:
        logger = logging.getLogger(name)
        if _QUIET_TEARDOWN not in logger.filters:
            logger.addFilter(_QUIET_TEARDOWN)


class ServerLink:
    """Keeps one server subscribed for as long as :meth:`run` runs; readings go to ``batcher``."""

    def __init__(
        self,
        server: ServerConfig,
        factory: Factory,
        batcher: DeviceBatcher,
        options: LinkOptions,
        *,
        named_channels: frozenset[tuple[str, str]],
        newest_ts: dict[tuple[str, int], int],
        clock_ms: Callable[[], int],
    ) -> None:
        self.server = server
        self.factory = factory
        self.batcher = batcher
        self.options = options
        self.named_channels = named_channels  # a browse mapping without a channel list leaves these
        self.clock_ms = clock_ms
        self.session_open = False  # a session with the server is active
        self.connected = False  # ... and its subscription is created: the server is subscribed
        self._monitored: dict[tuple[str, int], _Target] = {}
        self._newest_ts = newest_ts  # sensor -> newest reading's ms, sent or stored (shared)
        self._last_sent: dict[tuple[str, int], tuple[int, float]] = {}
        self._fresh: set[int] = set()  # client handles whose first notification is still to come
        self._sessions = 0
        self._connect_failures = 0
        self._notifications = 0
        self._readings = 0
        self._repeats = 0
        self._ts_fallbacks = 0
        self._bad_nodes: dict[str, str] = {}
        self._bad_node_counts: Counter[str] = Counter()
        self._bad_status: Counter[str] = Counter()
        self._unsupported: Counter[str] = Counter()
        self._last_error: str | None = None

    @property
    def name(self) -> str:
        return self.server.name

    def stats(self) -> ServerStats:
        return ServerStats(
            name=self.server.name,
            url=self.server.url,
            connected=self.connected,
            monitored_nodes=len(self._monitored) if self.connected else 0,
            sessions=self._sessions,
            reconnects=max(0, self._sessions - 1),
            connect_failures=self._connect_failures,
            notifications=self._notifications,
            readings=self._readings,
            repeats_skipped=self._repeats,
            timestamp_fallbacks=self._ts_fallbacks,
            bad_nodes=dict(self._bad_nodes),
            bad_node_counts=dict(self._bad_node_counts),
            bad_status=dict(self._bad_status),
            unsupported_values=dict(self._unsupported),
            last_error=self._last_error,
        )

    # -- the reconnect loop ----------------------------------------------------------------------

    def health(self) -> dict[str, object]:
        """Connected (a session), subscribed, reconnects and the last error, for readiness checks."""
        return {
            "name": self.server.name,
            "url": self.server.url,
            "connected": self.session_open,
            "subscribed": self.connected,
            "reconnects": max(0, self._sessions - 1),
            "last_error": self._last_error,
        }

    async def run(self) -> None:
        """Hold a session with the server until cancelled, reconnecting whenever it is lost."""
        backoff = Backoff(self.options.backoff_initial_s, self.options.backoff_max_s)
        while True:
            sessions = self._sessions
            try:
                await self._session()
            except Exception as exc:  # every failure of a session is retried; bugs logged in full
                what, expected = _describe(exc)
                if not expected:
                    log.error("OPC UA server %s: unexpected failure", self.name, exc_info=exc)
            else:  # pragma: no cover - a session only ends by raising
                what = "the session ended"
            self._last_error = what
            if self._sessions == sessions:
                self._connect_failures += 1
            else:
                backoff.reset()  # it was up: start the backoff over
            delay_s = backoff.next_delay_s()
            log.warning(
                "OPC UA server %s (%s): %s; reconnect attempt %d in %.1f s",
                self.name,
                self.server.url,
                what,
                backoff.attempt,
                delay_s,
            )
            await asyncio.sleep(delay_s)

    async def _session(self) -> None:
        opts = self.options
        client = Client(self.server.url, timeout=opts.request_timeout_s, watchdog_intervall=opts.watchdog_s)
        client.name = client.description = "Seamline OPC UA connector"
        client.application_uri = "urn:seamline:ingest:opcua"
        client.session_timeout = round(opts.session_timeout_s * 1000)
        try:
            async with asyncio.timeout(opts.connect_timeout_s):
                await client.connect()
        except BaseException:
            client.disconnect_socket()  # a connect cut short leaves its socket open
            raise
        try:
            self.session_open = True
            self._monitored = {}
            self._fresh = set()
            sub = await client.create_subscription(
                self._subscription_parameters(),
                None,  # iterator mode: no task per notification
                queue_maxsize=100_000,
                overflow=OverflowPolicy.WARN,
            )
            handles: dict[int, _Target] = {}
            await self._subscribe(client, sub, handles, self.server.nodes, self.server.devices)
            self._sessions += 1
            self.connected = True
            self._last_error = None
            log.info(
                "OPC UA server %s (%s): subscribed to %d nodes every %g ms%s",
                self.name,
                self.server.url,
                len(self._monitored),
                self.server.publishing_interval_ms,
                f"; {len(self._bad_nodes)} refused" if self._bad_nodes else "",
            )
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._consume(sub, handles), name=f"opcua-notifications:{self.name}")
                tg.create_task(self._watch(client), name=f"opcua-session-watch:{self.name}")
                tg.create_task(self._retry_refused(client, sub, handles), name=f"opcua-retry:{self.name}")
        finally:
            self.connected = self.session_open = False
            with suppress(Exception):  # the session is over either way; closing is a courtesy
                async with asyncio.timeout(opts.request_timeout_s):
                    await client.disconnect()

    def _subscription_parameters(self) -> ua.CreateSubscriptionParameters:
        interval = self.server.publishing_interval_ms
        keepalive = max(1, math.ceil(self.options.keepalive_s * 1000 / interval))
        params = ua.CreateSubscriptionParameters()
        params.RequestedPublishingInterval = interval
        params.RequestedMaxKeepAliveCount = keepalive
        params.RequestedLifetimeCount = 10 * keepalive  # §5.14.2: at least 3 keep-alives
        params.MaxNotificationsPerPublish = 0  # no limit
        params.PublishingEnabled = True
        params.Priority = 0
        return params

    # -- subscribing -----------------------------------------------------------------------------

    async def _subscribe(
        self,
        client: Client,
        sub: Subscription,
        handles: dict[int, _Target],
        nodes: Sequence[NodeMapping],
        folders: Sequence[BrowseMapping],
    ) -> None:
        """Resolve the mappings, create their monitored items and note what the server refused."""
        targets = await self._resolve(client, nodes, folders)
        first = max(handles, default=0) + 1
        requests = [self._item_request(first + i, t) for i, t in enumerate(targets)]
        chunk = self.options.max_items_per_call
        for start in range(0, len(requests), chunk):
            results = await sub.create_monitored_items(requests[start : start + chunk])
            for i, result in enumerate(results, start):
                target = targets[i]
                if isinstance(result, ua.StatusCode):
                    self._refused(target.label, result.name)
                else:
                    handles[first + i] = target
                    self._fresh.add(first + i)
                    self._monitored[target.sensor] = target
                    self._accepted(target.label)

    def _item_request(self, handle: int, target: _Target) -> ua.MonitoredItemCreateRequest:
        item = ua.ReadValueId()
        item.NodeId = target.node_id
        item.AttributeId = AttributeIds.Value
        params = ua.MonitoringParameters()
        params.ClientHandle = handle
        params.SamplingInterval = self.server.sampling_interval_ms
        params.QueueSize = self.server.queue_size
        params.DiscardOldest = True
        request = ua.MonitoredItemCreateRequest()
        request.ItemToMonitor = item
        request.MonitoringMode = ua.MonitoringMode.Reporting
        request.RequestedParameters = params
        return request

    async def _resolve(
        self, client: Client, nodes: Sequence[NodeMapping], folders: Sequence[BrowseMapping]
    ) -> list[_Target]:
        """This session's node ids for the mappings; what cannot be resolved is refused."""
        targets: list[_Target] = []
        namespaces: list[str] | None = None
        for m in nodes:
            if (m.device_id, m.channel_index) in self._monitored:
                continue
            node_id = parse_node_id(m.node)  # checked when the file was loaded
            uri = getattr(node_id, "NamespaceUri", None)
            if uri:
                if namespaces is None:
                    namespaces = await client.get_namespace_array()
                if uri not in namespaces:
                    self._refused(
                        m.node, f"BadNamespaceUnknown: {uri!r} is not in the server's NamespaceArray"
                    )
                    continue
                node_id = ua.NodeId(node_id.Identifier, ua.Int16(namespaces.index(uri)), node_id.NodeIdType)
            targets.append(_Target(m.node, node_id, m.device_id, m.channel_index))
        if folders:
            targets += await self._resolve_folders(client, folders)
        return targets

    async def _resolve_folders(self, client: Client, folders: Sequence[BrowseMapping]) -> list[_Target]:
        objects = ua.NodeId(ua.Int32(ObjectIds.ObjectsFolder))
        found = await client.translate_browsepaths(
            objects, [parse_browse_path(f.browse_path) for f in folders]
        )
        targets: list[_Target] = []
        for folder, result in zip(folders, found, strict=True):
            if not result.StatusCode.is_good() or not result.Targets:
                self._refused(folder.browse_path, result.StatusCode.name)
                continue
            self._accepted(folder.browse_path)
            target_id = result.Targets[0].TargetId
            children = await client.get_node(
                ua.NodeId(target_id.Identifier, target_id.NamespaceIndex, target_id.NodeIdType)
            ).get_children_descriptions(nodeclassmask=ua.NodeClass.Variable)
            by_name = {ref.BrowseName.Name: ref.NodeId for ref in children}
            device = self.factory.devices_by_id[folder.device_id]
            index = device.machine_type.channel_index
            if folder.channels is None:
                wanted = [n for n in by_name if n in index and (device.id, n) not in self.named_channels]
            else:
                wanted = list(folder.channels)
            for name in wanted:
                label = f"{folder.browse_path}/{name}"
                if (device.id, index[name]) in self._monitored:
                    continue
                child = by_name.get(name)
                if child is None:
                    self._refused(label, f"BadNoMatch: no variable named {name!r} under the browse path")
                    continue
                node_id = ua.NodeId(child.Identifier, child.NamespaceIndex, child.NodeIdType)
                targets.append(_Target(label, node_id, device.id, index[name]))
        return targets

    def _refused(self, label: str, reason: str) -> None:
        self._bad_node_counts[label] += 1
        if self._bad_nodes.get(label) != reason:  # log a node once per reason, not per session
            log.warning(
                "OPC UA server %s (%s) refused node %s (%s); the other nodes go on",
                self.name,
                self.server.url,
                label,
                reason,
            )
        self._bad_nodes[label] = reason

    def _accepted(self, label: str) -> None:
        if self._bad_nodes.pop(label, None) is not None:
            log.info("OPC UA server %s: node %s is monitored now", self.name, label)

    async def _retry_refused(self, client: Client, sub: Subscription, handles: dict[int, _Target]) -> None:
        """Every ``bad_node_retry_s``, subscribe again to the nodes the server refused."""
        while True:
            await asyncio.sleep(self.options.bad_node_retry_s)
            nodes = [n for n in self.server.nodes if (n.device_id, n.channel_index) not in self._monitored]
            folders = [f for f in self.server.devices if self._incomplete(f)]
            if nodes or folders:
                await self._subscribe(client, sub, handles, nodes, folders)

    def _incomplete(self, folder: BrowseMapping) -> bool:
        if folder.browse_path in self._bad_nodes:
            return True
        prefix = folder.browse_path + "/"
        return any(label.startswith(prefix) for label in self._bad_nodes)

    # -- the session's life ----------------------------------------------------------------------

    async def _consume(self, sub: Subscription, handles: dict[int, _Target]) -> None:
        async for event in sub:
            if isinstance(event, DataChangeEvent):
                handle = event.data.monitored_item.ClientHandle
                target = handles.get(handle)
                if target is not None:
                    first = handle in self._fresh
                    self._fresh.discard(handle)
                    self._on_value(target, event.data.monitored_item.Value, first=first)
            elif isinstance(event, StatusChangeEvent):
                status = event.notification.Status
                raise _SessionLostError(
                    f"the server ended the subscription ({status.name if status else 'no status'})"
                )
        raise _SessionLostError("the subscription was closed")

    async def _watch(self, client: Client) -> None:
        async with client.subscribe_state() as states:
            while client.state is UaClientState.CONNECTED:
                await states.next_change()
        raise _SessionLostError(f"lost the connection (client {client.state.value})")

    def _on_value(self, target: _Target, dv: ua.DataValue | None, *, first: bool) -> None:
        self._notifications += 1
        if dv is None:
            self._unsupported[target.label] += 1
            return
        status = dv.StatusCode
        if status is not None and status.is_bad():
            if not self._bad_status[target.label]:
                log.warning(
                    "OPC UA server %s: node %s reports %s; its values are skipped while it is bad",
                    self.name,
                    target.label,
                    status.name,
                )
            self._bad_status[target.label] += 1
            return
        variant = dv.Value
        value = reading_value(
            variant.Value if variant is not None else None,
            float32=variant is not None and variant.VariantType is ua.VariantType.Float,
        )
        if value is None:
            if not self._unsupported[target.label]:
                log.warning(
                    "OPC UA server %s: node %s sent %r, not a number, boolean or enumeration; skipped",
                    self.name,
                    target.label,
                    dv.Value.Value if dv.Value is not None else None,
                )
            self._unsupported[target.label] += 1
            return
        ts_ms, fell_back = reading_ts_ms(dv.SourceTimestamp, dv.ServerTimestamp, self.clock_ms())
        self._ts_fallbacks += fell_back
        sensor = target.sensor
        newest = self._newest_ts.get(sensor)
        already_sent = first and newest is not None and ts_ms <= newest  # a current value, again
        if already_sent or self._last_sent.get(sensor) == (ts_ms, value):
            self._repeats += 1
            return
        self._last_sent[sensor] = (ts_ms, value)
        if newest is None or ts_ms > newest:
            self._newest_ts[sensor] = ts_ms
        self._readings += 1
        self.batcher.add(target.device_id, target.channel_index, ts_ms, value)


def _describe(exc: BaseException) -> tuple[str, bool]:
    """What went wrong, for the log, and whether it is an expected failure of a network peer."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, _SessionLostError):
        return str(exc), True
    if isinstance(exc, TimeoutError):
        return "timed out", True
    if isinstance(exc, OSError):  # ConnectionError included
        return f"cannot reach it ({exc.strerror or exc})", True
    if isinstance(exc, UaError):
        return f"the server answered {exc}", True
    return f"{type(exc).__name__}: {exc}", False
