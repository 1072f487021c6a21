"""The Sparkplug topic namespace (Eclipse Sparkplug 3.0.0, chapter 4).

``spBv1.0/{group_id}/{message_type}/{edge_node_id}[/{device_id}]``, plus the Host Application's
``spBv1.0/STATE/{host_id}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from seamline.ingest.sparkplug.codec import SparkplugError

NAMESPACE: Final = "spBv1.0"  # chapter 4, "namespace Element": the namespace of Sparkplug B payloads


class MessageType(StrEnum):
    """The ``message_type`` element (chapter 4)."""

    NBIRTH = "NBIRTH"
    NDEATH = "NDEATH"
    DBIRTH = "DBIRTH"
    DDEATH = "DDEATH"
    NDATA = "NDATA"
    DDATA = "DDATA"
    NCMD = "NCMD"
    DCMD = "DCMD"

    @property
    def for_device(self) -> bool:
        """True for the verbs whose topic names a device (chapter 4, "device_id Element")."""
        return self.value[0] == "D"


class SparkplugTopicError(SparkplugError):
    """A topic or an id that does not follow the Sparkplug topic namespace."""

    def __init__(self, message: str, *, topic: str | None = None, field: str | None = None) -> None:
        super().__init__(message, reason="sparkplug_topic")
        self.topic = topic
        self.field = field

    def details(self) -> dict[str, object]:
        return {"topic": self.topic, "field": self.field}


@dataclass(frozen=True, slots=True)
class SparkplugTopic:
    """A parsed Sparkplug topic; ``str()`` gives it back."""

    group_id: str
    message_type: MessageType
    edge_node_id: str
    device_id: str | None = None

    def __str__(self) -> str:
        tail = f"/{self.device_id}" if self.device_id is not None else ""
        return f"{NAMESPACE}/{self.group_id}/{self.message_type}/{self.edge_node_id}{tail}"


def check_id(field: str, value: str) -> str:
    """``value`` if it can be a group, edge node, device or host id (chapter 4, "Topic Namespace")."""
    if not value or any(c in value for c in "+/#"):
        raise SparkplugTopicError(
            f"{field} {value!r} cannot be used in a Sparkplug topic: it must be a non-empty UTF-8 string"
            " without '+', '/' or '#'",
            field=field,
        )
    return value


def parse_topic(topic: str) -> SparkplugTopic:
    """Split an edge-node or device topic; raises :class:`SparkplugTopicError` for anything else.

    >>> t = parse_topic("spBv1.0/gazipur-1/DDATA/gw-L01/L01-S03")
    >>> t.group_id, t.message_type.value, t.edge_node_id, t.device_id
    ('gazipur-1', 'DDATA', 'gw-L01', 'L01-S03')
    """
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != NAMESPACE:
        raise SparkplugTopicError(
            f"{topic!r} is not a Sparkplug B edge topic (spBv1.0/group/TYPE/edge_node[/device])", topic=topic
        )
    try:
        kind = MessageType(parts[2])
    except ValueError:
        raise SparkplugTopicError(
            f"{topic!r}: {parts[2]!r} is not a Sparkplug message type", topic=topic, field="message_type"
        ) from None
    if kind.for_device != (len(parts) == 5):
        need = "names a device" if kind.for_device else "names no device"
        raise SparkplugTopicError(
            f"{topic!r}: a {kind} topic {need} (Sparkplug 3.0.0 chapter 4)", topic=topic
        )
    return SparkplugTopic(parts[1], kind, parts[3], parts[4] if len(parts) == 5 else None)


def state_topic(host_id: str) -> str:
    """The Host Application's STATE topic (chapter 4, STATE): ``spBv1.0/STATE/{host_id}``."""
    return f"{NAMESPACE}/STATE/{check_id('host id', host_id)}"


def group_filter(group_id: str) -> str:
    """The subscription that sees every message of one Sparkplug group."""
    return f"{NAMESPACE}/{check_id('group id', group_id)}/#"
