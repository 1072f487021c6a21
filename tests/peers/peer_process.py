"""A peer script under Node.js, started by the tests of this folder (see conftest.py)."""

from __future__ import annotations

import json
import queue
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

PEERS_DIR = Path(__file__).parent


class NodeProcess:
    """A peer script under Node.js; its stdout JSON lines are events, its stderr kept for failures."""

    def __init__(self, script: str, *args: str) -> None:
        self.script = script
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr: list[str] = []
        node = shutil.which("node")
        assert node is not None
        self.proc = subprocess.Popen(
            [node, str(PEERS_DIR / script), *args],
            cwd=PEERS_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_events, args=(self.proc.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self.proc.stderr,), daemon=True),
        ]
        for r in self._readers:
            r.start()

    def _read_events(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                self.stderr.append(line)  # a library printing on stdout: keep it for the failure
        self.events.put({"event": "exit"})

    def _read_stderr(self, stream: IO[str]) -> None:
        self.stderr.extend(stream)

    def expect(self, event: str, timeout_s: float = 30.0) -> dict[str, Any]:
        """The next event named ``event`` (others before it are skipped); fails on exit or timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                got = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"{self.script}: no {event!r} within {timeout_s} s; stderr:\n{self.tail()}")
            if got["event"] == event:
                return got
            if got["event"] == "exit":
                self.proc.wait(10)
                pytest.fail(
                    f"{self.script} exited ({self.proc.returncode}) before {event!r}; stderr:\n{self.tail()}"
                )

    def tail(self) -> str:
        return "".join(self.stderr[-40:])

    def terminate(self, timeout_s: float = 15.0) -> int:
        """SIGTERM (the scripts shut down gracefully on it), then SIGKILL if it does not exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.close()

    def wait(self, timeout_s: float = 60.0) -> int:
        """Wait for the script to end by itself."""
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.close()
            pytest.fail(f"{self.script} did not finish within {timeout_s} s; stderr:\n{self.tail()}")
        return self.close()

    def close(self) -> int:
        for r in self._readers:
            r.join(10)
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode
