"""Run the real ``seamline`` command in a subprocess and talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Running:
    def __init__(self, proc: subprocess.Popen[str], port: int, log: Path) -> None:
        self.proc = proc
        self.port = port
        self.log = log
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, **params: Any) -> Any:
        r = httpx.get(self.base + path, params=params, timeout=10)
        r.raise_for_status()
        return r.json()

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        """Ctrl-C, as a user would; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"seamline did not stop within 60 s of Ctrl-C; output:\n{self.output()}")


@contextmanager
def seamline(args: list[str], tmp_path: Path, *, wait_ready: bool = True) -> Iterator[Running]:
    """Start ``seamline ARGS --port P`` and wait until /healthz answers."""
    port = free_port()
    log = tmp_path / f"seamline-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "seamline.cli", *args, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    running = Running(proc, port, log)
    try:
        if wait_ready:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"seamline exited with {proc.returncode}:\n{running.output()}")
                try:  # a busy machine (tests on two workers) may take seconds to answer: wait for it
                    if httpx.get(running.base + "/healthz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"seamline did not answer /healthz within 60 s:\n{running.output()}")
                time.sleep(0.2)
        yield running
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_for(predicate: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.5)
