"""No MQTT password in any log line, banner, error or health report (the paths of the MQTT tests,
run with a password in the URL and every captured log record searched for it)."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from ingest_helpers import wait_for
from test_ingest_mqtt_wire import Relay, frame

from seamline.ingest import Ingestor, MqttError, MqttIngest, MqttPublisher, parse_mqtt_url
from seamline.model.factory import Factory
from seamline.settings import Settings, redact_url
from seamline.store import DuckDBStore

NOW = 1_795_363_200_000 + 60_000
SECRET = f"s3cr3t-{uuid.uuid4().hex}"


def test_urls_are_shown_without_their_password() -> None:
    assert redact_url(f"mqtt://ingest:{SECRET}@broker:1883") == "mqtt://ingest:***@broker:1883"
    assert redact_url(f"mqtts://:{SECRET}@broker") == "mqtts://:***@broker"
    assert redact_url(f"mqtt://ingest:{SECRET}@with@at@broker") == "mqtt://ingest:***@broker"
    assert redact_url(f"mqtt://ingest:a/{SECRET}@broker") == "mqtt://ingest:***@broker"
    assert redact_url("mqtt://ingest@broker:1883") == "mqtt://ingest@broker:1883"
    settings = Settings(mqtt_url=f"mqtt://ingest:{SECRET}@broker:1883", store=f"postgresql://u:{SECRET}@h/db")
    assert settings.mqtt_label == "mqtt://ingest:***@broker:1883"
    assert settings.store_label == "postgresql://u:***@h/db"
    assert Settings().mqtt_label is None


def test_errors_carry_the_url_without_its_password() -> None:
    with pytest.raises(MqttError) as bad_scheme:
        parse_mqtt_url(f"http://ingest:{SECRET}@broker:1883")
    with pytest.raises(MqttError) as no_broker:
        MqttPublisher(f"mqtt://ingest:{SECRET}@127.0.0.1:1", "gazipur-1").connect()
    for exc in (bad_scheme.value, no_broker.value):
        assert SECRET not in f"{exc} {exc.message} {exc.url} {exc.details()} {exc!r}"
        assert "ingest:***@" in exc.url
    assert SECRET not in repr(parse_mqtt_url(f"mqtt://ingest:{SECRET}@broker"))


@pytest.mark.mqtt
def test_no_log_line_of_connecting_losing_and_retrying_shows_the_password(
    mosquitto_url: str,
    mqtt_namespace: str,
    factory: Factory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    relay = Relay()
    url = relay.url.replace("mqtt://", f"mqtt://seamline:{SECRET}@")
    publisher_url = mosquitto_url.replace("mqtt://", f"mqtt://fleet:{SECRET}@")
    try:
        with (
            DuckDBStore(tmp_path).opened(factory) as store,
            Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
        ):
            sub = MqttIngest(
                url,
                ingestor,
                topic_prefix=mqtt_namespace,
                client_id=f"seamline-test-{uuid.uuid4().hex[:12]}",
                session_expiry_s=30,
                backoff_initial_s=0.05,
                backoff_max_s=0.1,
            )
            sub.start()
            try:
                assert sub.wait_subscribed(10)
                with MqttPublisher(publisher_url, factory.site_id, topic_prefix=mqtt_namespace) as pub:
                    pub.publish_payload("L01-S03", frame(1))
                    assert pub.wait_published(10)
                wait_for(lambda: store.message_count() == 1, "the message")
                relay.cut()  # lost connection, reconnect attempts, reconnected
                wait_for(lambda: sub.reconnects >= 1 and sub.subscribed, "the reconnect")
                health = sub.health()
            finally:
                sub.stop()
            nowhere = MqttIngest(
                f"mqtt://seamline:{SECRET}@127.0.0.1:1", ingestor, backoff_initial_s=0.01, backoff_max_s=0.02
            )
            nowhere.start()
            try:
                wait_for(lambda: "reconnect attempt 2" in caplog.text, "failed reconnect attempts")
            finally:
                nowhere.stop()
    finally:
        relay.close()
    assert "seamline:***@" in caplog.text
    assert "lost the connection" in caplog.text
    assert SECRET not in str(health)
    for record in caplog.records:
        assert SECRET not in record.getMessage(), record.getMessage()
        assert SECRET not in (record.exc_text or "")
