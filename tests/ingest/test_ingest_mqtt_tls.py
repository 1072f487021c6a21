"""MQTT over TLS, the shipped production Mosquitto configuration, and broker restarts.

Each test starts its own mosquitto process (``/usr/sbin/mosquitto``) on free loopback ports with
a configuration written to its temporary directory; certificates come from a test CA made by
``trustme``. The system broker on 127.0.0.1:1883 is plain MQTT and is not used here.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from ingest_helpers import wait_for

from seamline.ingest import Ingestor, MqttError, MqttIngest, MqttPublisher, build_message
from seamline.model.factory import Factory
from seamline.settings import Settings
from seamline.store import DuckDBStore

DOCS = Path(__file__).resolve().parents[2] / "docs"
T0 = 1_795_363_200_000
NOW = T0 + 60_000
DEVICE = "L01-S03"
SECRET = f"pw-{uuid.uuid4().hex}"  # the password no log line may show


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Mosquitto:
    """A mosquitto process with the given configuration; ``restart()`` keeps its ports and files."""

    def __init__(self, conf: str, directory: Path, ports: list[int]) -> None:
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text(conf)
        self.log = directory / "mosquitto.log"
        self.ports = ports
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # the installed broker, our own config
                [self.binary, "-c", str(self.conf)], stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 10
        for port in self.ports:
            while True:
                if self.proc.poll() is not None:
                    pytest.fail(f"mosquitto exited with {self.proc.returncode}: {self.log.read_text()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"mosquitto is not listening on {port}: {self.log.read_text()}")
                    time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it: Mosquitto saves its persistence file first."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def running(broker: Mosquitto) -> Iterator[Mosquitto]:
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


class Pki:
    """A test CA, the broker's certificate for 127.0.0.1 and a client certificate, as PEM files."""

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA()
        self.ca_file = directory / "ca.crt"
        self.server_cert = directory / "server.crt"
        self.server_key = directory / "server.key"
        self.client_cert = directory / "client.crt"
        self.client_key = directory / "client.key"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        server = self.ca.issue_cert("127.0.0.1", "localhost")
        server.cert_chain_pems[0].write_to_path(str(self.server_cert))
        server.private_key_pem.write_to_path(str(self.server_key))
        client = self.ca.issue_cert("seamline-ingest")
        client.cert_chain_pems[0].write_to_path(str(self.client_cert))
        client.private_key_pem.write_to_path(str(self.client_key))


def message(seq: int) -> dict[str, Any]:
    return build_message(
        DEVICE, seq=seq, sent_ts_ms=T0, channels=[0, 1, 2], ts_ms=[T0] * 3, values=[1.0, 2.0, 3.0]
    )


def connector(url: str, ingestor: Ingestor, client_id: str, **kwargs: Any) -> MqttIngest:
    return MqttIngest(
        url,
        ingestor,
        client_id=client_id,
        session_expiry_s=300,
        backoff_initial_s=0.1,
        backoff_max_s=0.5,
        **kwargs,
    )


@pytest.fixture
def store_and_ingestor(factory: Factory, tmp_path: Path) -> Iterator[tuple[DuckDBStore, Ingestor]]:
    with (
        DuckDBStore(tmp_path / "store").opened(factory) as store,
        Ingestor(factory, store, clock_ms=lambda: NOW, flush_interval_s=0.05) as ingestor,
    ):
        yield store, ingestor


# -- TLS ------------------------------------------------------------------------------------------


def tls_broker(tmp_path: Path, pki: Pki, *, require_certificate: bool) -> Mosquitto:
    port = free_port()
    conf = f"""
listener {port} 127.0.0.1
allow_anonymous true
cafile {pki.ca_file}
certfile {pki.server_cert}
keyfile {pki.server_key}
require_certificate {"true" if require_certificate else "false"}
user {getpass.getuser()}
"""
    return Mosquitto(conf, tmp_path, [port])


def test_ingest_over_tls_with_a_client_certificate(
    tmp_path: Path, factory: Factory, store_and_ingestor: tuple[DuckDBStore, Ingestor]
) -> None:
    store, ingestor = store_and_ingestor
    pki = Pki(tmp_path)
    with running(tls_broker(tmp_path, pki, require_certificate=True)) as broker:
        url = f"mqtts://127.0.0.1:{broker.ports[0]}"
        tls = {"ca_file": pki.ca_file, "cert_file": pki.client_cert, "key_file": pki.client_key}
        sub = connector(url, ingestor, f"seamline-tls-{uuid.uuid4().hex[:8]}", **tls)
        sub.start()
        try:
            assert sub.wait_subscribed(10), sub.health()
            with MqttPublisher(url, factory.site_id, **tls) as pub:
                pub.publish([message(seq) for seq in range(50)])
                assert pub.wait_published(10)
            wait_for(lambda: store.message_count() == 50, "50 messages over TLS")
            health = sub.health()
        finally:
            sub.stop()
    assert (health["healthy"], health["tls"]) == (True, True)
    assert store.reading_count() == 150


def test_serve_settings_from_the_environment_make_a_tls_connector(
    tmp_path: Path,
    store_and_ingestor: tuple[DuckDBStore, Ingestor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, ingestor = store_and_ingestor
    pki = Pki(tmp_path)
    with running(tls_broker(tmp_path, pki, require_certificate=True)) as broker:
        monkeypatch.setenv("SEAMLINE_MQTT_URL", f"mqtts://127.0.0.1:{broker.ports[0]}")
        monkeypatch.setenv("SEAMLINE_MQTT_CA_FILE", str(pki.ca_file))
        monkeypatch.setenv("SEAMLINE_MQTT_CERT_FILE", str(pki.client_cert))
        monkeypatch.setenv("SEAMLINE_MQTT_KEY_FILE", str(pki.client_key))
        settings = Settings()
        assert settings.mqtt_cert_file == pki.client_cert
        sub = MqttIngest.from_settings(settings, ingestor)
        sub.start()
        try:
            assert sub.wait_subscribed(10), sub.health()
        finally:
            sub.stop()


def test_a_broker_the_ca_does_not_vouch_for_is_refused(
    tmp_path: Path, store_and_ingestor: tuple[DuckDBStore, Ingestor], caplog: pytest.LogCaptureFixture
) -> None:
    _, ingestor = store_and_ingestor
    pki = Pki(tmp_path)
    other_ca = tmp_path / "other-ca.crt"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    with running(tls_broker(tmp_path, pki, require_certificate=False)) as broker:
        sub = connector(
            f"mqtts://127.0.0.1:{broker.ports[0]}", ingestor, "seamline-untrusted", ca_file=other_ca
        )
        sub.start()
        try:
            wait_for(lambda: "reconnect attempt 2" in caplog.text, "two refused attempts")
            health = sub.health()
        finally:
            sub.stop()
    assert not health["connected"]
    assert "CERTIFICATE_VERIFY_FAILED" in health["last_error"]


def test_a_broker_asking_for_a_client_certificate_refuses_a_client_without_one(
    tmp_path: Path, store_and_ingestor: tuple[DuckDBStore, Ingestor], caplog: pytest.LogCaptureFixture
) -> None:
    _, ingestor = store_and_ingestor
    pki = Pki(tmp_path)
    with running(tls_broker(tmp_path, pki, require_certificate=True)) as broker:
        sub = connector(
            f"mqtts://127.0.0.1:{broker.ports[0]}", ingestor, "seamline-nocert", ca_file=pki.ca_file
        )
        sub.start()
        try:
            wait_for(lambda: "reconnect attempt 2" in caplog.text, "two refused attempts")
            health = sub.health()
        finally:
            sub.stop()
    assert not health["subscribed"]
    assert health["last_error"].startswith("cannot connect")


def test_tls_files_need_an_mqtts_url_and_must_exist(tmp_path: Path, factory: Factory) -> None:
    with DuckDBStore(":memory:").opened(factory) as store, Ingestor(factory, store) as ingestor:
        with pytest.raises(MqttError, match="use an mqtts://host:8883 URL"):
            MqttIngest("mqtt://127.0.0.1:1883", ingestor, ca_file=tmp_path / "ca.crt")
        with pytest.raises(MqttError, match="--mqtt-ca"):
            MqttIngest("mqtts://127.0.0.1", ingestor, ca_file=tmp_path / "missing.crt")
        sub = MqttIngest("mqtts://broker.example", ingestor)
    assert (sub.broker.port, sub.broker.tls) == (8883, True)


# -- the production configuration -----------------------------------------------------------------


def production_broker(tmp_path: Path, pki: Pki) -> tuple[Mosquitto, int, int]:
    """docs/mosquitto-production.conf with its ports and paths pointed into ``tmp_path``."""
    tls_port, plain_port = free_port(), free_port()
    passwd = tmp_path / "passwd"
    passwd.touch()
    for user, password in (("seamline", SECRET), (DEVICE, SECRET)):
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True)
    (tmp_path / "persistence").mkdir()
    conf = (DOCS / "mosquitto-production.conf").read_text()
    for old, new in (
        ("user mosquitto", f"user {getpass.getuser()}"),
        ("/var/lib/mosquitto/", f"{tmp_path / 'persistence'}/"),
        ("/etc/mosquitto/passwd", str(passwd)),
        ("/etc/mosquitto/acl", str(DOCS / "mosquitto-production.acl")),
        ("/etc/mosquitto/certs/ca.crt", str(pki.ca_file)),
        ("/etc/mosquitto/certs/server.crt", str(pki.server_cert)),
        ("/etc/mosquitto/certs/server.key", str(pki.server_key)),
        ("listener 8883", f"listener {tls_port}"),
        ("listener 1883 127.0.0.1", f"listener {plain_port} 127.0.0.1"),
    ):
        assert old in conf, f"docs/mosquitto-production.conf no longer has {old!r}"
        conf = conf.replace(old, new)
    return Mosquitto(conf, tmp_path, [tls_port, plain_port]), tls_port, plain_port


def test_the_production_configuration_ingests_over_tls_and_keeps_the_session_across_restarts(
    tmp_path: Path,
    factory: Factory,
    store_and_ingestor: tuple[DuckDBStore, Ingestor],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store, ingestor = store_and_ingestor
    pki = Pki(tmp_path)
    broker, tls_port, plain_port = production_broker(tmp_path, pki)
    url = f"mqtts://seamline:{SECRET}@127.0.0.1:{tls_port}"
    device_url = f"mqtts://{DEVICE}:{SECRET}@127.0.0.1:{tls_port}"
    client_id = f"seamline-prod-{uuid.uuid4().hex[:8]}"
    with running(broker):
        sub = connector(url, ingestor, client_id, ca_file=pki.ca_file)
        sub.start()
        try:
            assert sub.wait_subscribed(10), sub.health()
            with MqttPublisher(device_url, factory.site_id, ca_file=pki.ca_file) as pub:
                pub.publish([message(seq) for seq in range(20)])
                assert pub.wait_published(10)
            wait_for(lambda: store.message_count() == 20, "20 messages through the production broker")
            # the PUBACKs follow the commit; a restart before they reach the broker redelivers
            assert sub.wait_acknowledged(10)

            broker.restart()  # persistence: the session and its subscription come back with it
            wait_for(lambda: sub.reconnects >= 1 and sub.subscribed, "the reconnect after the restart")
            assert sub.sessions_lost == 0
        finally:
            sub.stop()

        # Messages published while ingest is down wait in the session, through another restart.
        with MqttPublisher(device_url, factory.site_id, ca_file=pki.ca_file) as pub:
            pub.publish([message(seq) for seq in range(20, 30)])
            assert pub.wait_published(10)
        broker.restart()
        sub = connector(url, ingestor, client_id, ca_file=pki.ca_file)
        sub.start()
        try:
            wait_for(lambda: store.message_count() == 30, "the 10 messages kept by the broker")
        finally:
            sub.stop()

        # Anonymous clients and plain MQTT from outside the host are refused.
        with pytest.raises(MqttError, match="did not accept the connection"):
            MqttPublisher(f"mqtt://127.0.0.1:{plain_port}", factory.site_id, connect_timeout_s=2).connect()
    assert "session present: True" in caplog.text
    assert ingestor.stats()["duplicates"] == 0
    leaked = [r for r in caplog.records if SECRET in r.getMessage()]
    assert leaked == [], leaked
    assert re.search(r"mqtts://seamline:\*\*\*@127\.0\.0\.1", caplog.text)


def test_a_broker_restart_without_persistence_is_a_lost_session_warning(
    tmp_path: Path, store_and_ingestor: tuple[DuckDBStore, Ingestor], caplog: pytest.LogCaptureFixture
) -> None:
    _, ingestor = store_and_ingestor
    port = free_port()
    broker = Mosquitto(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n", tmp_path, [port]
    )
    with running(broker):
        sub = connector(f"mqtt://127.0.0.1:{port}", ingestor, f"seamline-lost-{uuid.uuid4().hex[:8]}")
        sub.start()
        try:
            assert sub.wait_subscribed(10)
            broker.restart()
            wait_for(lambda: sub.reconnects >= 1 and sub.subscribed, "the reconnect after the restart")
            health = sub.health()
        finally:
            sub.stop()
    assert health["sessions_lost"] == 1
    assert health["last_error"] == "the broker had lost the session it kept for this client"
    lost = [r for r in caplog.records if "lost the session it kept" in r.getMessage()]
    assert [r.levelno for r in lost] == [logging.WARNING]
