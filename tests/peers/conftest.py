"""Peers nobody here wrote, installed from npm and driven by small scripts beside this file.

``package.json`` pins Eclipse Tahu's ``sparkplug-client`` and ``node-opcua``; ``package-lock.json``
pins everything they pull in. The session fixture :func:`node_peers` runs ``npm ci`` here when
``node_modules`` is missing or older than the lockfile, so the test command installs them on a
fresh machine (Node.js 20 and npm must be on the PATH; a missing one fails the tests, it does not
skip them).
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from peer_process import PEERS_DIR, NodeProcess

NPM_CI_TIMEOUT_S = 600


def _installed_stamp() -> Path:
    return PEERS_DIR / "node_modules" / ".package-lock.json"  # written by npm at the end of an install


@pytest.fixture(scope="session")
def node_peers() -> Path:
    """The folder of the peer scripts, with their npm packages installed as the lockfile says."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the peer tests need Node.js 20 and npm on the PATH (install the distribution's nodejs)")
    lock = PEERS_DIR / "package-lock.json"
    stamp = _installed_stamp()
    # Under pytest-xdist each worker has its own session: the first one installs while holding a
    # lock on the lockfile, the others wait for it and then find the install done.
    with lock.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=PEERS_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_CI_TIMEOUT_S,
                check=False,
            )
            if done.returncode != 0:
                pytest.fail(f"npm ci in {PEERS_DIR} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return PEERS_DIR


@pytest.fixture
def peers(node_peers: Path) -> Iterator[list[NodeProcess]]:
    """Append the peers a test starts here: whatever still runs at its end is stopped."""
    started: list[NodeProcess] = []
    yield started
    for p in started:
        if p.proc.poll() is None or (p.proc.stdout is not None and not p.proc.stdout.closed):
            p.terminate()
