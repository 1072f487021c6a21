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

from seamline.auth import ADMIN_TOKEN_FILE, open_auth, read_token_file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Running:
    def __init__(self, proc: subprocess.Popen[str], port: int, log: Path, token: str | None) -> None:
        self.proc = proc
        self.port = port
        self.log = log
        self.base = f"http://127.0.0.1:{port}"
        self.token = token  # an admin API token: the demo's own, or one made for `serve`

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Any:
        r = httpx.get(self.base + path, params=params, headers=self.headers, timeout=10)
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
    """Start ``seamline ARGS --port P`` and wait until /healthz answers.

    Requests of :meth:`Running.get` carry an admin token: for ``demo`` the one it writes to
    ``<data-dir>/admin-token``; for ``serve`` on a ``--data-dir``, one made here before it starts
    (the serving process reads tokens from the same ``auth.sqlite3``).
    """
    port = free_port()
    data_dir = Path(args[args.index("--data-dir") + 1]) if "--data-dir" in args else None
    token = None
    if data_dir is not None and args[0] == "serve" and "--store" not in args:
        auth = open_auth(None, data_dir)
        try:
            token = auth.create_token("e2e", "admin", created_by="e2e tests")[0]
        finally:
            auth.close()
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
    running = Running(proc, port, log, token)
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
            if data_dir is not None and args[0] == "demo":
                running.token = read_token_file(data_dir / ADMIN_TOKEN_FILE)
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
