"""`seamline serve`'s MQTT options: the password never printed, the TLS options."""

from __future__ import annotations

import uuid
from pathlib import Path

from e2e_helpers import free_port, seamline, wait_for
from typer.testing import CliRunner

from seamline.cli import app

SECRET = f"s3cr3t-{uuid.uuid4().hex}"


def test_serve_masks_the_mqtt_password_in_its_banner_and_logs(tmp_path: Path) -> None:
    broker = f"mqtt://seamline:{SECRET}@127.0.0.1:{free_port()}"  # nothing listens: failed attempts logged
    with seamline(["serve", "--data-dir", str(tmp_path / "data"), "--mqtt", broker], tmp_path) as serve:
        wait_for(lambda: "reconnect attempt 2" in serve.output(), 60, "two logged reconnect attempts")
        assert serve.stop() == 0
    output = serve.output()
    assert "ingest over HTTP, mqtt://seamline:***@127.0.0.1:" in output  # the banner
    assert "cannot connect to the MQTT broker at mqtt://seamline:***@127.0.0.1:" in output  # the log
    assert SECRET not in output


def test_serve_offers_the_tls_options_and_refuses_sparkplug_over_tls() -> None:
    runner = CliRunner()
    help_text = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    for option in ("--mqtt-ca", "--mqtt-cert", "--mqtt-key"):
        assert option in help_text
    refused = runner.invoke(app, ["serve", "--mqtt", "mqtts://broker:8883", "--sparkplug-group", "g"])
    assert refused.exit_code == 2
    assert "does not speak TLS yet" in refused.output
