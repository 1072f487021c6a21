"""MQTT end to end against the real Mosquitto on 127.0.0.1:1883, each test on its own topics."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import wait_for

from seamline.ingest import (
    DeviceBatch,
    Ingestor,
    MqttError,
    MqttIngest,
    MqttPublisher,
    build_message,
    encode_message,
    telemetry_topic,
)
from seamline.model.factory import Factory
from seamline.store import DuckDBStore, StoreError, WriteResult

T0 = 1_795_363_200_000
NOW = T0 + 60_000


def msg(seq: int, device: str = "L01-S03") -> dict[str, Any]:
    return build_message(
        device, seq=seq, sent_ts_ms=T0, channels=[0, 1, 2], ts_ms=[T0] * 3, values=[1.0, 2.0, 3.0]
    )


def processed(ingestor: Ingestor) -> int:
    s = ingestor.stats()
    return int(s["messages_accepted"] + s["duplicates"] + s["rejected_total"])


def subscriber(url: str, ingestor: Ingestor, namespace: str, client_id: str | None = None) -> MqttIngest:
    return MqttIngest(
        url,
        ingestor,
        topic_prefix=namespace,
        client_id=client_id or f"seamline-test-{uuid.uuid4().hex[:12]}",
        session_expiry_s=30,
        backoff_initial_s=0.2,
    )


def started(sub: MqttIngest) -> MqttIngest:
    sub.start()
    if not sub.wait_subscribed(10):
        sub.stop()
        pytest.fail(f"no subscription to {sub.topic} within 10 s")
    return sub


@pytest.mark.mqtt
def test_valid_messages_are_stored_once_and_bad_ones_counted(
    mosquitto_url: str, mqtt_namespace: str, factory: Factory, tmp_path: Path
) -> None:
    devices = [d.id for d in factory.devices[:10]]
    valid = [msg(seq, device) for device in devices for seq in range(3)]
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
    ):
        sub = started(subscriber(mosquitto_url, ingestor, mqtt_namespace))
        try:
            with MqttPublisher(mosquitto_url, factory.site_id, topic_prefix=mqtt_namespace) as pub:
                pub.publish(valid)
                pub.publish([valid[4]])  # a resend
                pub.publish_payload("L01-S03", b'{"device": "L01-S03", "seq": ')  # malformed
                pub.publish_payload("L01-S04", encode_message(msg(99, "L01-S03")))  # wrong topic
                assert pub.wait_published(10)
            wait_for(lambda: processed(ingestor) == len(valid) + 3, "every message to be processed")
        finally:
            sub.stop()
        stats = ingestor.stats()
        assert store.message_count() == len(valid)
        assert store.reading_count() == 3 * len(valid)
    assert (stats["messages_accepted"], stats["duplicates"]) == (len(valid), 1)
    assert stats["rejected"]["malformed_json"] == 1
    assert stats["rejected"]["topic_mismatch"] == 1
    assert stats["received"] == {"mqtt": len(valid) + 3}


@pytest.mark.mqtt
def test_the_broker_keeps_messages_while_ingest_is_down(
    mosquitto_url: str, mqtt_namespace: str, factory: Factory, tmp_path: Path
) -> None:
    client_id = f"seamline-test-{uuid.uuid4().hex[:12]}"
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
    ):
        started(subscriber(mosquitto_url, ingestor, mqtt_namespace, client_id)).stop()
        with MqttPublisher(mosquitto_url, factory.site_id, topic_prefix=mqtt_namespace) as pub:
            pub.publish([msg(seq) for seq in range(20)])
            assert pub.wait_published(10)
        assert store.message_count() == 0

        sub = started(subscriber(mosquitto_url, ingestor, mqtt_namespace, client_id))
        try:
            wait_for(lambda: store.message_count() == 20, "the queued messages after reconnecting")
        finally:
            sub.stop()

        # Were they acknowledged? Unacknowledged ones would come again, ahead of a new message.
        sub = started(subscriber(mosquitto_url, ingestor, mqtt_namespace, client_id))
        try:
            with MqttPublisher(mosquitto_url, factory.site_id, topic_prefix=mqtt_namespace) as pub:
                pub.publish([msg(20)])
                assert pub.wait_published(10)
            wait_for(lambda: store.message_count() == 21, "the message published after the restart")
        finally:
            sub.stop()
        assert ingestor.stats()["duplicates"] == 0


class FailsOnce:
    """A real store whose first write fails: failure injection, not a mock."""

    def __init__(self, inner: DuckDBStore) -> None:
        self.inner = inner
        self.failed = False

    def write_batch(self, batches: Sequence[DeviceBatch]) -> WriteResult:
        if not self.failed:
            self.failed = True
            raise StoreError("disk full (injected)")
        return self.inner.write_batch(batches)


@pytest.mark.mqtt
def test_a_message_whose_commit_failed_is_redelivered(
    mosquitto_url: str,
    mqtt_namespace: str,
    factory: Factory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        DuckDBStore(tmp_path).opened(factory) as store,
        Ingestor(
            factory, FailsOnce(store), clock_ms=lambda: NOW, flush_interval_s=0.05, commit_attempts=1
        ) as ingestor,
    ):
        sub = started(subscriber(mosquitto_url, ingestor, mqtt_namespace))
        try:
            with MqttPublisher(mosquitto_url, factory.site_id, topic_prefix=mqtt_namespace) as pub:
                pub.publish([msg(1)])
                assert pub.wait_published(10)
            wait_for(lambda: store.message_count() == 1, "the redelivered message to be stored")
        finally:
            sub.stop()
        assert ingestor.stats()["commit_failures"] == 1
    assert "a commit failed; reconnecting" in caplog.text
    assert "reconnect attempt" in caplog.text


def test_reconnecting_backs_off_and_logs_each_attempt(
    factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="seamline.ingest.mqtt")
    with DuckDBStore(":memory:").opened(factory) as store, Ingestor(factory, store) as ingestor:
        sub = MqttIngest("mqtt://127.0.0.1:1", ingestor, backoff_initial_s=0.01, backoff_max_s=0.02)
        sub.start()
        try:
            wait_for(lambda: "reconnect attempt 3" in caplog.text, "three logged reconnect attempts")
        finally:
            sub.stop()
    assert not sub.subscribed


def test_publishing_without_a_broker_says_how_to_start_one() -> None:
    with pytest.raises(MqttError, match="start Mosquitto"):
        MqttPublisher("mqtt://127.0.0.1:1", "gazipur-1").connect()


def test_a_non_mqtt_url_is_refused(factory: Factory) -> None:
    with pytest.raises(MqttError, match="mqtt://host:port"):
        MqttPublisher("http://127.0.0.1:1883", "gazipur-1")


def test_topics_follow_the_documented_layout() -> None:
    assert telemetry_topic("gazipur-1", "L01-S03") == "seamline/v1/gazipur-1/L01-S03/telemetry"
