"""The OPC UA connector's configuration file (TOML): which servers, which nodes feed which sensors.

A wrong file never gives a traceback: :class:`OpcUaConfigError` names the file, the line, the
field and what is wrong, like the factory file (:mod:`seamline.model.loader`). Every mapping is
checked against the factory: a device or channel it does not declare is an error here, not a
stream of rejected messages later.

Example (two ways to map nodes; both may be used in one server)::

    [[servers]]
    name = "cutting-plc"                       # optional; used in logs and stats
    url = "opc.tcp://10.0.3.21:4840"
    publishing_interval_ms = 500               # CreateSubscription (OPC UA Part 4 §5.14.2)
    # sampling_interval_ms = 250               # CreateMonitoredItems; default: the publishing interval
    # queue_size = 10                          # per monitored item, oldest discarded when full
    # security = { policy = "None" }           # the only policy supported so far
    nodes = [
      { node = "ns=2;s=Cutter1.KnifeRpm", device = "CUT-01", channel = "knife_rpm" },
      { node = "nsu=urn:cutter:plc;s=Cutter1.State", device = "CUT-01", channel = "runtime_state" },
    ]
    # Compact form: a folder whose children are named like the device's channels.
    devices = [
      { device = "CUT-02", browse_path = "2:Cutting/2:Cutter2" },
      { device = "SPR-01", browse_path = "2:Cutting/2:Spreader1", channels = ["ply_count", "runtime_state"] },
    ]

Node ids use the text form of OPC UA Part 6 §5.3.1.10 (``ns=2;s=...``, ``ns=3;i=1042``); the
``nsu=<namespace URI>;...`` form survives a server that renumbers its namespaces after a restart.
A browse path is a relative path from the Objects folder (Part 4 Annex A.2, ``ns:Name`` segments
joined by ``/``), resolved with TranslateBrowsePathsToNodeIds (Part 4 §5.8.4) on every connect.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from asyncua import ua
from asyncua.ua.uaerrors import UaError, UaStringParsingError
from pydantic import BaseModel, ConfigDict, Field

from seamline.configfile import dotted, located, parse_model, read_text
from seamline.ingest.opcua.errors import OpcUaConfigError
from seamline.model.factory import Device, Factory

Loc = tuple[int | str, ...]

_UINT16_MAX = 0xFFFF
_UINT32_MAX = 0xFFFF_FFFF
_NODE_ID_HELP = (
    "write a node id in the text form of OPC UA Part 6 §5.3.1.10, e.g. 'ns=2;s=Cutter1.KnifeRpm',"
    " 'ns=3;i=1042' or 'nsu=urn:cutter:plc;s=Cutter1.KnifeRpm'"
)


# -- the domain view: what the connector runs on --------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeMapping:
    """One server node feeding one sensor channel of a device."""

    node: str  # as configured, Part 6 text form
    device_id: str
    channel: str
    channel_index: int  # in the device type's channel order (the wire format's channel index)


@dataclass(frozen=True, slots=True)
class BrowseMapping:
    """A folder on the server whose child variables are named like the device's channels.

    ``channels`` restricts the mapping to those channels (each must then exist as a child);
    ``None`` maps every child whose browse name is a channel of the device.
    """

    device_id: str
    browse_path: str  # relative to the Objects folder, "/"-separated "ns:Name" segments
    channels: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    """The secure channel's security policy (OPC UA Part 2 and Part 7 security profiles)."""

    policy: Literal["None"] = "None"


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """One OPC UA server (a PLC or a gateway) and the nodes read from it."""

    name: str
    url: str
    publishing_interval_ms: float
    sampling_interval_ms: float
    queue_size: int
    nodes: tuple[NodeMapping, ...]
    devices: tuple[BrowseMapping, ...]
    security: SecurityConfig = SecurityConfig()


@dataclass(frozen=True, slots=True)
class OpcUaConfig:
    """Every server the connector subscribes to; ``path`` is the file it came from."""

    servers: tuple[ServerConfig, ...]
    path: str = "<opcua>"

    def named_channels(self) -> frozenset[tuple[str, str]]:
        """(device, channel) of every channel a mapping names explicitly.

        A browse mapping without ``channels`` leaves these to the mapping that names them.
        """
        named = {(n.device_id, n.channel) for s in self.servers for n in s.nodes}
        for d in (d for s in self.servers for d in s.devices):
            named.update((d.device_id, ch) for ch in d.channels or ())
        return frozenset(named)


# -- the edge: the TOML document as pydantic checks it --------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _NodeIn(_Strict):
    node: str
    device: str
    channel: str


class _DeviceIn(_Strict):
    device: str
    browse_path: str = Field(min_length=1)
    channels: list[str] | None = Field(None, min_length=1)


class _SecurityIn(_Strict):
    # Room for the signed and encrypted channel: ``Basic256Sha256`` with ``mode``
    # (Sign / SignAndEncrypt) and the client certificate, its private key and the server's
    # certificate as file paths. Parsed so the file shape is stable; refused below until the
    # connector loads certificates.
    policy: Literal["None", "Basic256Sha256"] = "None"
    mode: Literal["Sign", "SignAndEncrypt"] | None = None
    certificate: str | None = None
    private_key: str | None = None
    server_certificate: str | None = None


class _ServerIn(_Strict):
    name: str | None = Field(None, min_length=1, max_length=64)
    url: str
    publishing_interval_ms: float = Field(1000.0, gt=0, le=3_600_000)
    sampling_interval_ms: float | None = Field(None, ge=0, le=3_600_000)
    queue_size: int = Field(10, ge=1, le=10_000)
    security: _SecurityIn = _SecurityIn()
    nodes: list[_NodeIn] = []
    devices: list[_DeviceIn] = []


class _ConfigIn(_Strict):
    servers: list[_ServerIn] = Field(min_length=1)


# -- loading ---------------------------------------------------------------------------------------


def load_opcua_config(path: str | Path, factory: Factory) -> OpcUaConfig:
    """Read and check the OPC UA configuration in ``path`` against ``factory``."""
    p = Path(path)
    return parse_opcua_config(
        read_text(p, OpcUaConfigError, "an OPC UA configuration (TOML)"), factory, str(p)
    )


def parse_opcua_config(text: str, factory: Factory, path: str = "<opcua>") -> OpcUaConfig:
    """Build the configuration from TOML text; ``path`` is only used in error messages.

    >>> from seamline.model.loader import load_factory
    >>> cfg = parse_opcua_config('''
    ... [[servers]]
    ... url = "opc.tcp://127.0.0.1:4840"
    ... nodes = [{ node = "ns=2;s=Cutter1.KnifeRpm", device = "CUT-01", channel = "knife_rpm" }]
    ... ''', load_factory())
    >>> cfg.servers[0].name, cfg.servers[0].nodes[0].channel_index
    ('127.0.0.1:4840', 8)
    """
    spec = parse_model(text, path, _ConfigIn, OpcUaConfigError)
    return _Checker(factory, text, path).build(spec)


def parse_node_id(text: str) -> ua.NodeId:
    """A node id from its Part 6 §5.3.1.10 text form; raises ``ValueError`` saying what is wrong."""
    try:
        node = ua.NodeId.from_string(text)
    except (UaStringParsingError, ValueError):
        raise ValueError(f"{text!r} is not an OPC UA node id; {_NODE_ID_HELP}") from None
    if not 0 <= node.NamespaceIndex <= _UINT16_MAX:
        raise ValueError(f"namespace index {node.NamespaceIndex} is outside 0..65535 (a UInt16)")
    ident = node.Identifier
    if isinstance(ident, int) and not isinstance(ident, bool) and not 0 <= ident <= _UINT32_MAX:
        raise ValueError(f"numeric identifier {ident} is outside 0..4294967295 (a UInt32)")
    if isinstance(ident, str) and not ident:
        raise ValueError(f"{text!r} has an empty string identifier; {_NODE_ID_HELP}")
    return node


def parse_browse_path(text: str) -> ua.RelativePath:
    """A relative path (Part 4 Annex A.2) from the Objects folder; ``ValueError`` if malformed."""
    path = text if text.startswith("/") else "/" + text
    try:
        rel = ua.RelativePath.from_string(path)
    except (UaError, ValueError):
        rel = None
    if rel is None or not rel.Elements or any(not e.TargetName.Name for e in rel.Elements):
        raise ValueError(
            f"{text!r} is not a browse path; write the browse names from the Objects folder as"
            " 'ns:Name' segments joined by '/', e.g. '2:Cutting/2:Cutter2'"
        )
    return rel


def _server_name(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 4840}"


class _Checker:
    """Turns the validated document into the domain view, checking it against the factory."""

    def __init__(self, factory: Factory, text: str, path: str) -> None:
        self.factory = factory
        self.text = text
        self.path = path
        self.mapped: dict[tuple[str, str], Loc] = {}  # (device, channel) -> where it was mapped
        self.browsed: dict[str, Loc] = {}  # device -> its compact mapping

    def fail(self, loc: Loc, problem: str) -> OpcUaConfigError:
        return located(OpcUaConfigError, self.text, self.path, loc, problem)

    def build(self, spec: _ConfigIn) -> OpcUaConfig:
        servers: list[ServerConfig] = []
        names: dict[str, int] = {}
        for si, s in enumerate(spec.servers):
            server = self.server(("servers", si), s)
            if server.name in names:
                raise self.fail(
                    ("servers", si, "name" if s.name else "url"),
                    f"server name {server.name!r} is used by servers[{names[server.name]}] too;"
                    " give each server its own 'name'",
                )
            names[server.name] = si
            servers.append(server)
        return OpcUaConfig(tuple(servers), self.path)

    def server(self, loc: Loc, s: _ServerIn) -> ServerConfig:
        parts = urlsplit(s.url)
        if parts.scheme != "opc.tcp" or not parts.hostname:
            raise self.fail(
                (*loc, "url"),
                f"{s.url!r} is not an OPC UA TCP address; write opc.tcp://host:port[/path],"
                " e.g. opc.tcp://10.0.3.21:4840",
            )
        try:
            _ = parts.port
        except ValueError:
            raise self.fail((*loc, "url"), f"{s.url!r} has an invalid port") from None
        if s.security.policy != "None":
            raise self.fail(
                (*loc, "security", "policy"),
                f"security policy {s.security.policy!r} is not supported yet; use policy = 'None'"
                " and keep the PLC network segregated",
            )
        if not s.nodes and not s.devices:
            raise self.fail(loc, "maps no nodes; add 'nodes' or 'devices' to this server")
        nodes = tuple(self.node((*loc, "nodes", ni), n) for ni, n in enumerate(s.nodes))
        seen: dict[str, int] = {}
        for ni, n in enumerate(nodes):
            key = parse_node_id(n.node).to_string()
            if key in seen:
                raise self.fail(
                    (*loc, "nodes", ni, "node"),
                    f"node {n.node!r} is mapped twice on this server (also nodes[{seen[key]}]);"
                    " map each node to one channel",
                )
            seen[key] = ni
        devices = tuple(self.browse((*loc, "devices", di), d) for di, d in enumerate(s.devices))
        return ServerConfig(
            name=s.name or _server_name(s.url),
            url=s.url,
            publishing_interval_ms=s.publishing_interval_ms,
            sampling_interval_ms=(
                s.publishing_interval_ms if s.sampling_interval_ms is None else s.sampling_interval_ms
            ),
            queue_size=s.queue_size,
            nodes=nodes,
            devices=devices,
        )

    def node(self, loc: Loc, n: _NodeIn) -> NodeMapping:
        try:
            parse_node_id(n.node)
        except ValueError as exc:
            raise self.fail((*loc, "node"), str(exc)) from None
        device = self.device((*loc, "device"), n.device)
        index = self.channel((*loc, "channel"), device, n.channel)
        return NodeMapping(n.node, device.id, n.channel, index)

    def browse(self, loc: Loc, d: _DeviceIn) -> BrowseMapping:
        device = self.device((*loc, "device"), d.device)
        if device.id in self.browsed:
            raise self.fail(
                (*loc, "device"),
                f"device {device.id!r} already has a browse path at {dotted(self.browsed[device.id])};"
                " map a device's folder once",
            )
        self.browsed[device.id] = loc
        try:
            parse_browse_path(d.browse_path)
        except ValueError as exc:
            raise self.fail((*loc, "browse_path"), str(exc)) from None
        channels: tuple[str, ...] | None = None
        if d.channels is not None:
            for ci, ch in enumerate(d.channels):
                self.channel((*loc, "channels", ci), device, ch)
            channels = tuple(d.channels)
        return BrowseMapping(device.id, d.browse_path, channels)

    def device(self, loc: Loc, device_id: str) -> Device:
        device = self.factory.devices_by_id.get(device_id)
        if device is None:
            near = difflib.get_close_matches(device_id, list(self.factory.devices_by_id), n=3)
            hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
            raise self.fail(
                loc,
                f"unknown device {device_id!r}{hint}: it is not in the factory of site"
                f" {self.factory.site_id!r}; use a device id declared in the factory file",
            )
        return device

    def channel(self, loc: Loc, device: Device, channel: str) -> int:
        mt = device.machine_type
        index = mt.channel_index.get(channel)
        if index is None:
            near = difflib.get_close_matches(channel, list(mt.channel_index), n=3)
            hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
            raise self.fail(
                loc,
                f"unknown channel {channel!r}{hint}: device {device.id!r} is a {mt.id!r}, whose channels"
                f" are declared under [machine_types.{mt.id}] in the factory file",
            )
        key = (device.id, channel)
        if key in self.mapped:
            raise self.fail(
                loc,
                f"channel {channel!r} of device {device.id!r} is already mapped at"
                f" {dotted(self.mapped[key])}; a sensor takes its readings from one node",
            )
        self.mapped[key] = loc
        return index
