"""Sparkplug B (Eclipse Sparkplug 3.0.0) over MQTT: gateways and SCADA tools feed ingest unchanged.

- :class:`SparkplugIngest`: a Sparkplug Host Application on one group; births, data and deaths
  become wire-format messages (docs/telemetry.md) for the :class:`~seamline.ingest.Ingestor`.
- :class:`SparkplugEdgeNode`: a conformant Edge Node with devices, for tests and the simulator.
- :func:`encode_payload` / :func:`decode_payload`: the Sparkplug B protobuf payload (chapter 6).
"""

from seamline.ingest.sparkplug.codec import (
    DataType,
    Metric,
    MetricValue,
    Payload,
    SparkplugError,
    SparkplugPayloadError,
    coerce_value,
    decode_payload,
    encode_payload,
)
from seamline.ingest.sparkplug.edge import MetricSpec, SparkplugEdgeNode
from seamline.ingest.sparkplug.host import SparkplugIngest, rebirth_request, state_payload
from seamline.ingest.sparkplug.session import STAT_NAMES, HostSessions, Outcome
from seamline.ingest.sparkplug.topic import (
    NAMESPACE,
    MessageType,
    SparkplugTopic,
    SparkplugTopicError,
    parse_topic,
    state_topic,
)

__all__ = [
    "NAMESPACE",
    "STAT_NAMES",
    "DataType",
    "HostSessions",
    "MessageType",
    "Metric",
    "MetricSpec",
    "MetricValue",
    "Outcome",
    "Payload",
    "SparkplugEdgeNode",
    "SparkplugError",
    "SparkplugIngest",
    "SparkplugPayloadError",
    "SparkplugTopic",
    "SparkplugTopicError",
    "coerce_value",
    "decode_payload",
    "encode_payload",
    "parse_topic",
    "rebirth_request",
    "state_payload",
    "state_topic",
]
