"""`seamline serve --mqtt mqtt://user:password@host` never prints the password."""

from __future__ import annotations

import uuid
from pathlib import Path

from e2e_helpers import free_port, seamline, wait_for

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
