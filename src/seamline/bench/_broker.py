"""A private Mosquitto for one benchmark run: a free loopback port and a generated configuration.

Persistence is off (the run is thrown away), and the queues are large enough that the broker never
drops a QoS 1 message for a subscriber that lags behind a publisher at full speed (Mosquitto's
default ``max_queued_messages`` of 1000 would).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from seamline.bench.errors import BenchError

INSTALL_HINT: Final = "install it with: apt-get install -y mosquitto"
_FALLBACK: Final = (Path("/usr/sbin/mosquitto"), Path("/usr/bin/mosquitto"))

_CONF: Final = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 10000000
max_queued_bytes 0
max_inflight_messages 0
max_inflight_bytes 0
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
"""


class BrokerUnavailableError(BenchError):
    """Mosquitto is not installed, or the private broker would not start."""

    reason = "broker_unavailable"


def find_mosquitto() -> Path:
    found = shutil.which("mosquitto")
    if found:
        return Path(found)
    for path in _FALLBACK:
        if path.is_file():
            return path
    raise BrokerUnavailableError(
        f"mosquitto is not installed (not on PATH, not in /usr/sbin); {INSTALL_HINT}"
    )


class BenchBroker:
    """``with BenchBroker() as broker:`` gives ``broker.url`` (``mqtt://127.0.0.1:<port>``)."""

    def __init__(self, *, startup_timeout_s: float = 10.0) -> None:
        self.binary = find_mosquitto()
        self.startup_timeout_s = startup_timeout_s
        self.port = 0
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise BrokerUnavailableError("the benchmark broker is not running")
        return self._proc.pid

    def __enter__(self) -> Self:
        self._dir = Path(tempfile.mkdtemp(prefix="seamline-bench-mosquitto-"))
        problem = ""
        for _attempt in range(3):  # the free port may be taken between choosing and binding it
            self.port = _free_port()
            conf = self._dir / "mosquitto.conf"
            conf.write_text(_CONF.format(port=self.port), encoding="ascii")
            with (self._dir / "mosquitto.log").open("ab") as log:
                self._proc = subprocess.Popen(  # noqa: S603  # a fixed executable with our own config
                    [str(self.binary), "-c", str(conf)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            problem = self._wait_listening()
            if not problem:
                return self
            self._stop()
        self.__exit__(None, None, None)
        raise BrokerUnavailableError(f"the benchmark's mosquitto did not start: {problem}")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _wait_listening(self) -> str:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return f"exited with status {self._proc.returncode}: {self._log_tail()}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return ""
            except OSError:
                time.sleep(0.05)
        return f"not listening on port {self.port} after {self.startup_timeout_s:g} s: {self._log_tail()}"

    def _log_tail(self) -> str:
        path = self._dir / "mosquitto.log" if self._dir else None
        text = path.read_text(encoding="utf-8", errors="replace") if path and path.exists() else ""
        return text[-1500:].strip() or "(no log output)"

    def _stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10.0)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10.0)
        self._proc = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
