"""Sparkplug B (Eclipse Sparkplug 3.0.0) over MQTT: gateways and SCADA tools feed ingest unchanged.

- :class:`SparkplugIngest`: a Sparkplug Host Application on one group; births, data and deaths
  become wire-format messages (docs/telemetry.md) for the :class:`~seamline.ingest.Ingestor`.
- :meth:`SparkplugIngest.stats` / :data:`router`: births, deaths, gaps, rebirths and dropped data
  per Edge Node and device (``GET /api/v1/ingest/sparkplug/stats``).
- :func:`encode_payload` / :func:`decode_payload`: the Sparkplug B protobuf payload (chapter 6),
  compressed ones (DEFLATE, GZIP) included.
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
from seamline.ingest.sparkplug.host import SparkplugIngest, rebirth_request, state_payload
from seamline.ingest.sparkplug.http import SparkplugNotConfiguredError, router
from seamline.ingest.sparkplug.session import (
    REBIRTH_REASONS,
    STAT_NAMES,
    HostSessions,
    Outcome,
    RebirthRequest,
)
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
    "REBIRTH_REASONS",
    "STAT_NAMES",
    "DataType",
    "HostSessions",
    "MessageType",
    "Metric",
    "MetricValue",
    "Outcome",
    "Payload",
    "RebirthRequest",
    "SparkplugError",
    "SparkplugIngest",
    "SparkplugNotConfiguredError",
    "SparkplugPayloadError",
    "SparkplugTopic",
    "SparkplugTopicError",
    "coerce_value",
    "decode_payload",
    "encode_payload",
    "parse_topic",
    "rebirth_request",
    "router",
    "state_payload",
    "state_topic",
]
