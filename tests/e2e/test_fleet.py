"""`seamline serve` fed by `seamline simulate --to ...` over a real broker and over HTTP."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from e2e_helpers import seamline, wait_for

from seamline.model.loader import reference_factory_path


def _factory_file(tmp_path: Path) -> Path:
    """The reference factory under a unique site id, so parallel runs on one broker stay apart."""
    site = f"e2e-{uuid.uuid4().hex[:8]}"
    text = reference_factory_path().read_text().replace('id = "gazipur-1"', f'id = "{site}"', 1)
    path = tmp_path / "factory.toml"
    path.write_text(text)
    return path


def _fleet(
    to: str, factory: Path, tmp_path: Path, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "seamline.cli",
            "simulate",
            "--to",
            to,
            "--factory",
            str(factory),
            "--speed",
            "5",
            "--duration",
            "12",
            *(["--token", token] if token else []),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )


@pytest.mark.mqtt
def test_simulated_fleet_over_mqtt(tmp_path: Path, mosquitto_url: str) -> None:
    factory = _factory_file(tmp_path)
    args = ["serve", "--data-dir", str(tmp_path / "d"), "--factory", str(factory), "--mqtt", mosquitto_url]
    with seamline(args, tmp_path) as server:
        fleet = _fleet(mosquitto_url, factory, tmp_path)
        assert fleet.returncode == 0, fleet.stdout + fleet.stderr
        published = int(fleet.stdout.split("done: ")[1].split(" messages")[0].replace(",", ""))
        assert published > 153
        stats = wait_for(
            lambda: (
                s if (s := server.get("/api/v1/ingest/stats"))["messages_accepted"] >= published else None
            ),
            60,
            f"all {published} messages to be stored",
        )
        assert stats["messages_accepted"] == published
        assert server.get("/api/v1/factory")["readings"] > 0
        assert server.stop() == 0


def test_simulated_fleet_over_http(tmp_path: Path) -> None:
    factory = _factory_file(tmp_path)
    args = ["serve", "--data-dir", str(tmp_path / "d"), "--factory", str(factory), "--mqtt", "none"]
    with seamline(args, tmp_path) as server:
        fleet = _fleet(server.base, factory, tmp_path, server.token)
        assert fleet.returncode == 0, fleet.stdout + fleet.stderr
        published = int(fleet.stdout.split("done: ")[1].split(" messages")[0].replace(",", ""))
        # HTTP answers after the commit: everything published is stored when the fleet is done.
        assert server.get("/api/v1/ingest/stats")["messages_accepted"] == published
        assert server.stop() == 0


def test_bad_factory_file_gets_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(reference_factory_path().read_text().replace('type = "bartack" }', 'type = "bartak" }', 1))
    r = subprocess.run(
        [sys.executable, "-m", "seamline.cli", "factory", "check", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr + r.stdout
    assert f"{bad}:" in r.stderr
    assert "unknown machine type 'bartak'" in r.stderr


def test_serve_checks_its_connector_options_before_starting(tmp_path: Path) -> None:
    """--sparkplug-group needs a broker; a wrong --opcua mapping names its line and field."""
    no_broker = subprocess.run(
        [sys.executable, "-m", "seamline.cli", "serve", "--mqtt", "none", "--sparkplug-group", "G"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert no_broker.returncode == 2
    assert "--sparkplug-group needs a broker" in no_broker.stderr
    bad = tmp_path / "opcua.toml"
    bad.write_text(
        '[[servers]]\nurl = "opc.tcp://127.0.0.1:4840"\n'
        'nodes = [{ node = "ns=2;s=X", device = "CUT-09", channel = "knife_rpm" }]\n'
    )
    wrong = subprocess.run(
        [sys.executable, "-m", "seamline.cli", "serve", "--mqtt", "none", "--opcua", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode == 2
    assert "Traceback" not in wrong.stderr
    assert f"{bad}:3: servers[0].nodes[0].device: unknown device 'CUT-09'" in wrong.stderr
