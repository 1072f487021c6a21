"""Fixtures shared by every test package: the reference factory and the real Mosquitto broker."""

from __future__ import annotations

import socket
import uuid

import pytest
from hypothesis import settings

from seamline.ingest.mqtt import START_BROKER_HINT
from seamline.model.factory import Factory
from seamline.model.loader import load_factory

# --doctest-modules would import this file as the module "conftest" once more, after the test
# packages sorted before it (auth, brain, browser) have left their own conftest under that name;
# it holds no doctests, so it is not collected (it is still loaded as this folder's conftest).
collect_ignore = ["conftest.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With `./dev test`'s two workers (pytest-xdist, --dist loadgroup): a test file runs on one
    worker, so that its module fixtures are built once, and every browser test on the same one,
    so that one demo serves them all."""
    for item in items:
        path = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group("browser" if path.startswith("tests/browser/") else path))


# No per-example deadline: timings on a shared 2-core machine are noise, and tests never assert on
# time (benchmarks measure it). A deadline miss would fail a correct test.
settings.register_profile("seamline", deadline=None)
settings.load_profile("seamline")

MOSQUITTO_HOST = "127.0.0.1"
MOSQUITTO_PORT = 1883


@pytest.fixture(scope="session")
def factory() -> Factory:
    """The shipped reference factory (153 devices, 12,770 sensors)."""
    return load_factory()


@pytest.fixture(scope="session")
def mosquitto_url() -> str:
    """The URL of the real broker; fails (never skips) when it is not running."""
    try:
        with socket.create_connection((MOSQUITTO_HOST, MOSQUITTO_PORT), timeout=2):
            pass
    except OSError as exc:
        pytest.fail(f"no MQTT broker on {MOSQUITTO_HOST}:{MOSQUITTO_PORT} ({exc}); {START_BROKER_HINT}")
    return f"mqtt://{MOSQUITTO_HOST}:{MOSQUITTO_PORT}"


@pytest.fixture
def mqtt_namespace() -> str:
    """A topic prefix no other test (or running Seamline) publishes to."""
    return f"seamline-test/{uuid.uuid4().hex[:12]}"
