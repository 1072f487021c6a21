"""Ingest: telemetry messages from devices (HTTP, MQTT, in process) into the store.

The wire format and the rejection reasons are in docs/telemetry.md. A message is decoded into a
columnar :class:`DeviceBatch` on the caller's thread and committed by the :class:`Ingestor`'s one
writer thread, many messages per transaction.
"""

from seamline.ingest.decode import (
    REJECTION_REASONS,
    IngestError,
    RejectedMessage,
    build_message,
    decode_message,
    encode_message,
)
from seamline.ingest.http import HttpPublisher, HttpPublishError, router
from seamline.ingest.liveness import Heard, Liveness, device_timeout_s
from seamline.ingest.mqtt import MqttError, MqttIngest, MqttPublisher, parse_mqtt_url, telemetry_topic
from seamline.ingest.pipeline import Ingestor, IngestorStoppedError, Receipt, Rejection
from seamline.telemetry import DeviceBatch, Event

__all__ = [
    "REJECTION_REASONS",
    "DeviceBatch",
    "Event",
    "Heard",
    "HttpPublishError",
    "HttpPublisher",
    "IngestError",
    "Ingestor",
    "IngestorStoppedError",
    "Liveness",
    "MqttError",
    "MqttIngest",
    "MqttPublisher",
    "Receipt",
    "RejectedMessage",
    "Rejection",
    "build_message",
    "decode_message",
    "device_timeout_s",
    "encode_message",
    "parse_mqtt_url",
    "router",
    "telemetry_topic",
]
