"""VictoriaMetrics as the peer Seamline's ingest is measured against, on the same readings.

:class:`VictoriaMetricsPeer` starts a private ``victoria-metrics`` (the Debian package, 1.79) on a
free loopback port with a fresh storage directory, loads a workload through its import API,
reads every reading back to prove nothing was lost, and reports readings/s, bytes per reading on
disk and peak memory. It stops the server and removes the directory on exit.

Method, chosen to be fair to VictoriaMetrics:

- Bodies are encoded before the clock starts, so the figure is VictoriaMetrics' ingest, not our
  encoder. ``native`` (the default, its fastest path: ~1.7x fewer CPU seconds per reading than
  JSON here) sends the readings as VictoriaMetrics' own native export of them, one block per
  series, made by a scratch server; ``json`` sends JSON lines (one line per series with its
  ``values`` and ``timestamps`` arrays) per time slice of the workload, the order devices send
  in. CSV costs it more again (one label set parsed per reading).
- Several requests are in flight at once (``concurrency``), keeping both cores busy.
- The clock runs from the first request sent until every request is acknowledged and
  ``/internal/force_flush`` has returned (the readings are then searchable). 1.79 keeps fresh
  parts in memory for 5-10 s more; ``durable_s`` runs until file parts hold every reading.
- Bytes on disk (data and index, not caches) are measured once every reading is on disk, and
  again after ``/internal/force_merge`` of the touched monthly partitions.

>>> with VictoriaMetricsPeer() as vm:  # doctest: +SKIP
...     result = vm.load(workload.chunks(60.0))
...     print(result.readings_per_s, result.bytes_per_reading_merged)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from seamline.bench._procfs import cpu_s, dir_bytes, host_busy_cpu_s, peak_rss_bytes, vm_rows_on_disk
from seamline.bench._vmimport import METRIC_NAME, ImportPayloads, encode_import
from seamline.bench._vmnative import NATIVE_PATH, split_native
from seamline.bench.errors import PeerError, PeerUnavailableError, ReadingsLostError
from seamline.bench.workload import Chunk

PEER = "VictoriaMetrics"
BINARY = "victoria-metrics"
INSTALL_HINT = "install it with: apt-get install -y victoria-metrics"
IMPORT_FORMATS = ("native", "json")
_FALLBACK_BINARY = Path("/usr/bin/victoria-metrics")
_SUM_REL_TOL = 1e-9


@dataclasses.dataclass(frozen=True, slots=True)
class PeerResult:
    """What one load cost the peer. Times are wall-clock seconds, sizes bytes."""

    peer: str
    version: str
    import_path: str
    readings: int
    series: int
    requests: int
    concurrency: int
    payload_bytes: int
    encode_s: float  # before the clock: building the request bodies
    ingest_s: float  # first request sent -> last request acknowledged
    flush_s: float  # /internal/force_flush: every reading searchable
    durable_s: float  # first request sent -> every reading in a file part on disk
    request_latency_p50_s: float
    request_latency_max_s: float
    cpu_s: float  # the peer's user + system CPU during ingest and flush
    host_cpu_s: float  # ... of every process on the machine (the feeder, anything else running)
    disk_bytes_flushed: int  # data + index files once every reading is on disk
    disk_bytes_merged: int  # ... after /internal/force_merge
    index_bytes_merged: int  # the index (series) part of it
    merge_s: float
    peak_rss_bytes: int  # peak resident memory up to the end of the flush
    peak_rss_end_bytes: int  # ... including the read-back queries and the merge
    request_latency_p99_s: float = math.nan
    persist_cpu_s: float = math.nan  # the peer's CPU from the flush until file parts hold every reading
    merge_cpu_s: float = math.nan  # ... during /internal/force_merge (and the read-back before it)

    @property
    def elapsed_s(self) -> float:
        """The timed span: ingest plus flush."""
        return self.ingest_s + self.flush_s

    @property
    def readings_per_s(self) -> float:
        return self.readings / self.elapsed_s if self.elapsed_s > 0 else math.inf

    @property
    def readings_per_s_durable(self) -> float:
        return self.readings / self.durable_s if self.durable_s > 0 else math.inf

    @property
    def bytes_per_reading_flushed(self) -> float:
        return self.disk_bytes_flushed / self.readings if self.readings else math.nan

    @property
    def bytes_per_reading_merged(self) -> float:
        return self.disk_bytes_merged / self.readings if self.readings else math.nan

    @property
    def cores_used(self) -> float:
        """Average number of cores the peer kept busy during the timed span."""
        return self.cpu_s / self.elapsed_s if self.elapsed_s > 0 else math.nan


def find_binary(binary: str | Path | None = None) -> Path:
    """The ``victoria-metrics`` executable: ``binary``, else on ``PATH``, else /usr/bin."""
    if binary is not None:
        path = Path(binary)
        if not path.is_file():
            raise PeerUnavailableError(PEER, f"no executable at {path}", INSTALL_HINT)
        return path
    found = shutil.which(BINARY)
    if found:
        return Path(found)
    if _FALLBACK_BINARY.is_file():
        return _FALLBACK_BINARY
    raise PeerUnavailableError(
        PEER, f"{BINARY} is not installed (not on PATH, not in /usr/bin)", INSTALL_HINT
    )


class VictoriaMetricsPeer:
    """A private single-node VictoriaMetrics for one load; use it as a context manager.

    ``concurrency`` requests are in flight at a time, each carrying about
    ``readings_per_request`` readings.
    """

    def __init__(
        self,
        *,
        binary: str | Path | None = None,
        import_format: str = "native",
        concurrency: int = 4,
        readings_per_request: int = 400_000,
        startup_timeout_s: float = 30.0,
        merge_timeout_s: float = 900.0,
    ) -> None:
        if concurrency < 1 or readings_per_request < 1:
            raise ValueError("concurrency and readings_per_request must be at least 1")
        if import_format not in IMPORT_FORMATS:
            raise ValueError(f"import_format must be one of {IMPORT_FORMATS}, not {import_format!r}")
        self.binary = find_binary(binary)
        self.import_format = import_format
        self.concurrency = concurrency
        self.readings_per_request = readings_per_request
        self.startup_timeout_s = startup_timeout_s
        self.merge_timeout_s = merge_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._client: httpx.Client | None = None
        self._loaded = False
        self._finalizer: weakref.finalize[[subprocess.Popen[bytes], Path], VictoriaMetricsPeer] | None = None
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> VictoriaMetricsPeer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        problem = self.stop()
        if problem and exc_type is None:
            raise PeerError(PEER, "stop", problem)

    @property
    def storage_dir(self) -> Path:
        if self._dir is None:
            raise PeerError(PEER, "storage", "the peer is not running; use it as a context manager")
        return self._dir / "storage"

    @property
    def pid(self) -> int:
        return self._process().pid

    def start(self) -> None:
        """Start the server and wait until ``/health`` answers; retries if the port was taken."""
        if self._proc is not None:
            return
        self._dir = Path(tempfile.mkdtemp(prefix="seamline-bench-vm-"))
        problem = ""
        for _attempt in range(3):
            port = _free_port()
            proc = self._spawn(port)
            self._finalizer = weakref.finalize(self, _terminate, proc, self._dir)
            self._proc = proc
            self.url = f"http://127.0.0.1:{port}"
            self._client = httpx.Client(base_url=self.url, timeout=600.0, trust_env=False)
            problem = self._wait_healthy()
            if not problem:
                return
            self.stop(remove_dir=False)
        self.stop()
        raise PeerUnavailableError(PEER, f"did not start: {problem}", f"check that {BINARY} runs at all")

    def stop(self, *, remove_dir: bool = True) -> str:
        """Stop the server gracefully (it must not be merging), then remove its directory.

        Returns ``""`` after a clean shutdown, else what went wrong (exit status and log).
        """
        problem = ""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(PeerError, httpx.HTTPError):
                self._wait_merges_idle(timeout_s=self.merge_timeout_s)
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._proc is not None:
            status = _stop_process(self._proc)
            if status != 0:
                problem = f"exited with status {status} on shutdown: {self._log_tail()}"
            self._proc = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if remove_dir and self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        return problem

    def _spawn(self, port: int) -> subprocess.Popen[bytes]:
        assert self._dir is not None
        with (self._dir / "victoria-metrics.log").open("ab") as log:
            return subprocess.Popen(  # noqa: S603  # a fixed executable with our own flags
                [
                    str(self.binary),
                    f"-storageDataPath={self._dir / 'storage'}",
                    f"-httpListenAddr=127.0.0.1:{port}",
                    "-retentionPeriod=100y",  # the workload may start long ago
                    "-search.latencyOffset=0s",  # readings are searchable as soon as flushed
                    "-search.disableCache",  # read-back queries must read the storage
                    "-selfScrapeInterval=0",  # no own metrics mixed into the data
                    "-loggerLevel=ERROR",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait_healthy(self) -> str:
        """``""`` once /health answers OK, else what went wrong."""
        deadline = time.monotonic() + self.startup_timeout_s
        proc = self._process()
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return f"exited with status {proc.returncode}: {self._log_tail()}"
            with contextlib.suppress(httpx.HTTPError):
                if self._http().get("/health", timeout=1.0).status_code == 200:
                    return ""
            time.sleep(0.05)
        return f"no answer on {self.url}/health within {self.startup_timeout_s:g} s: {self._log_tail()}"

    def _log_tail(self) -> str:
        if self._dir is None:
            return ""
        path = self._dir / "victoria-metrics.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return text[-2000:].strip() or "(no log output)"

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise PeerError(PEER, "process", "the peer is not running; use it as a context manager")
        return self._proc

    def _http(self) -> httpx.Client:
        if self._client is None:
            raise PeerError(PEER, "http", "the peer is not running; use it as a context manager")
        return self._client

    # -- the benchmark -----------------------------------------------------------------------

    def version(self) -> str:
        """The server's version from its /metrics page, else from the Debian package database."""
        for line in self._metrics().splitlines():
            if line.startswith("vm_app_version{"):
                reported = line.split('version="', 1)[1].split('"', 1)[0]
                if reported:
                    return reported
        dpkg = shutil.which("dpkg-query")
        if dpkg:  # Debian builds leave the version in /metrics empty
            out = subprocess.run(  # noqa: S603  # fixed arguments
                [dpkg, "-W", "-f=${Version}", "victoria-metrics"], capture_output=True, text=True, check=False
            )
            if out.returncode == 0 and out.stdout:
                return f"{out.stdout} (Debian)"
        return "unknown"

    def load(self, chunks: Iterable[Chunk]) -> PeerResult:
        """Encode ``chunks`` (untimed), then load, flush, verify and merge them (see module doc)."""
        return self.load_payloads(self.encode(chunks))

    def encode(self, chunks: Iterable[Chunk]) -> ImportPayloads:
        """Request bodies in this peer's import format; nothing is sent to this server.

        ``json``: JSON lines, each body a time slice of the workload. ``native``: the same
        readings loaded into a scratch server and exported in VictoriaMetrics' native format
        (one block per series), cut into bodies of whole blocks.
        """
        started = time.perf_counter()
        payloads = encode_import(chunks, readings_per_request=self.readings_per_request)
        if self.import_format == "json":
            return payloads
        with VictoriaMetricsPeer(
            binary=self.binary, import_format="json", concurrency=self.concurrency
        ) as scratch:
            scratch._send_all(payloads.path, payloads.bodies)
            scratch._get("/internal/force_flush", step="flush")
            span = {
                "start": f"{payloads.min_ts_ms / 1000 - 1:.3f}",
                "end": f"{payloads.max_ts_ms / 1000 + 1:.3f}",
            }
            match = {"match[]": f'{{__name__="{METRIC_NAME}"}}'}
            stream = scratch._get("/api/v1/export/native", step="export", **match, **span).content
        bodies, rows = split_native(stream, readings_per_request=self.readings_per_request)
        if rows != payloads.readings:
            raise ReadingsLostError(PEER, "readings in the native export", payloads.readings, rows)
        return dataclasses.replace(
            payloads, path=NATIVE_PATH, bodies=tuple(bodies), encode_s=time.perf_counter() - started
        )

    def load_payloads(self, payloads: ImportPayloads) -> PeerResult:
        """Load pre-encoded bodies into this (fresh) server and measure; one load per server."""
        if self._loaded:
            raise PeerError(PEER, "load", "this server already holds a load; start a fresh peer")
        self._loaded = True
        pid = self.pid
        cpu_before, host_before = cpu_s(pid), host_busy_cpu_s()
        started = time.perf_counter()
        latencies = self._send_all(payloads.path, payloads.bodies)
        acked = time.perf_counter()
        self._get("/internal/force_flush", step="flush")
        flushed = time.perf_counter()
        cpu_used, host_used = cpu_s(pid) - cpu_before, host_busy_cpu_s() - host_before
        rss_ingest = peak_rss_bytes(pid)
        self._wait_on_disk(payloads.readings)
        durable = time.perf_counter()
        persist_cpu = cpu_s(pid) - cpu_before - cpu_used
        disk_flushed = self._disk_bytes()
        series = self.verify(payloads)
        merge_started, merge_cpu = time.perf_counter(), cpu_s(pid)
        self._force_merge(payloads.min_ts_ms, payloads.max_ts_ms, payloads.readings)
        merge_s = time.perf_counter() - merge_started
        merge_cpu = cpu_s(pid) - merge_cpu
        lat = np.array(latencies) if latencies else np.zeros(1)
        return PeerResult(
            peer=PEER,
            version=self.version(),
            import_path=payloads.path,
            readings=payloads.readings,
            series=series,
            requests=len(payloads.bodies),
            concurrency=self.concurrency,
            payload_bytes=payloads.payload_bytes,
            encode_s=payloads.encode_s,
            ingest_s=acked - started,
            flush_s=flushed - acked,
            durable_s=durable - started,
            request_latency_p50_s=float(np.median(lat)),
            request_latency_max_s=float(lat.max()),
            cpu_s=cpu_used,
            host_cpu_s=host_used,
            disk_bytes_flushed=disk_flushed,
            disk_bytes_merged=self._disk_bytes(),
            index_bytes_merged=dir_bytes(self.storage_dir / "indexdb"),
            merge_s=merge_s,
            peak_rss_bytes=rss_ingest,
            peak_rss_end_bytes=peak_rss_bytes(pid),
            request_latency_p99_s=float(np.percentile(lat, 99)),
            persist_cpu_s=persist_cpu,
            merge_cpu_s=merge_cpu,
        )

    def _send_all(self, path: str, bodies: tuple[bytes, ...]) -> list[float]:
        """POST every body, ``concurrency`` at a time, each thread on its own keep-alive connection."""
        local = threading.local()
        clients: list[httpx.Client] = []
        lock = threading.Lock()

        def send(body: bytes) -> float:
            client: httpx.Client | None = getattr(local, "client", None)
            if client is None:
                client = httpx.Client(base_url=self.url, timeout=600.0, trust_env=False)
                local.client = client
                with lock:
                    clients.append(client)
            t0 = time.perf_counter()
            try:
                response = client.post(path, content=body)
            except httpx.HTTPError as exc:
                raise PeerError(PEER, "import", f"{type(exc).__name__}: {exc}") from exc
            if response.status_code != 204:
                raise PeerError(PEER, "import", f"HTTP {response.status_code}: {response.text[:500]}")
            return time.perf_counter() - t0

        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="vm-feeder") as pool:
                return list(pool.map(send, bodies))
        finally:
            for client in clients:
                client.close()

    def verify(self, payloads: ImportPayloads) -> int:
        """Read back, per series, the count and the sum of the readings; returns the series count.

        Raises :class:`ReadingsLostError` naming the first series that differs.
        """
        if payloads.readings == 0:
            return 0
        span_s = math.ceil((payloads.max_ts_ms - payloads.min_ts_ms) / 1000.0) + 120
        at_s = f"{payloads.max_ts_ms / 1000.0 + 60.0:.3f}"
        counts = self._per_sensor(f"count_over_time({METRIC_NAME}[{span_s}s])", at_s)
        sums = self._per_sensor(f"sum_over_time({METRIC_NAME}[{span_s}s])", at_s)
        expected_total = payloads.readings
        found_total = sum(counts.values())
        if len(counts) != payloads.sensor_ids.size or found_total != expected_total:
            missing = sorted(set(payloads.sensor_ids.tolist()) - set(counts))[:3]
            example = f"sensors without readings: {missing}" if missing else ""
            raise ReadingsLostError(PEER, "readings", expected_total, found_total, example)
        for sid, n, total in zip(
            payloads.sensor_ids.tolist(), payloads.counts.tolist(), payloads.sums.tolist(), strict=True
        ):
            if counts.get(sid) != n:
                raise ReadingsLostError(PEER, f"readings of sensor {sid}", n, counts.get(sid, 0))
            got = sums.get(sid, math.nan)
            if not math.isclose(got, total, rel_tol=_SUM_REL_TOL, abs_tol=1e-6):
                raise ReadingsLostError(PEER, f"sum of the values of sensor {sid}", total, got)
        return len(counts)

    def _per_sensor(self, query: str, at_s: str) -> dict[int, float]:
        response = self._get("/api/v1/query", step="read-back", query=query, time=at_s, nocache="1")
        body = response.json()
        if body.get("status") != "success":
            raise PeerError(PEER, "read-back", f"query {query!r}: {str(body)[:500]}")
        out: dict[int, float] = {}
        for item in body["data"]["result"]:
            out[int(item["metric"]["sensor"])] = float(item["value"][1])
        return out

    def _disk_bytes(self) -> int:
        """The storage proper: data parts and the series index (not caches, not the log)."""
        return dir_bytes(self.storage_dir / "data") + dir_bytes(self.storage_dir / "indexdb")

    def _wait_on_disk(self, readings: int) -> None:
        """Until file parts hold every reading: 1.79 keeps fresh parts in memory for up to 5 s."""
        deadline = time.monotonic() + 120.0
        data = self.storage_dir / "data"
        while (on_disk := vm_rows_on_disk(data)) != readings:
            if time.monotonic() > deadline:
                raise PeerError(PEER, "persist", f"{on_disk} of {readings} readings on disk after 120 s")
            time.sleep(0.05)

    def _force_merge(self, min_ts_ms: int, max_ts_ms: int, readings: int) -> None:
        """Merge the monthly partitions the load touched, and wait until the merge is done."""
        for prefix in _month_prefixes(min_ts_ms, max_ts_ms):
            self._get("/internal/force_merge", step="merge", partition_prefix=prefix)
        time.sleep(0.2)  # the merge runs in the background; let it register as active
        self._wait_merges_idle(timeout_s=self.merge_timeout_s)
        self._wait_on_disk(readings)  # and the parts it replaced are gone
        deadline = time.monotonic() + 30.0
        size = self._disk_bytes()
        while time.monotonic() < deadline:  # replaced parts are removed once no reader holds them
            time.sleep(0.5)
            again = self._disk_bytes()
            if again == size:
                break
            size = again

    def _wait_merges_idle(self, *, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            active = _metric_value(self._metrics(), "vm_active_force_merges")
            if active == 0:
                return
            if time.monotonic() > deadline:
                raise PeerError(PEER, "merge", f"force merge still running after {timeout_s:g} s")
            time.sleep(0.2)

    def _metrics(self) -> str:
        return self._get("/metrics", step="metrics").text

    def _get(self, path: str, *, step: str, **params: str) -> httpx.Response:
        try:
            response = self._http().get(path, params=params)
        except httpx.HTTPError as exc:
            raise PeerError(PEER, step, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise PeerError(PEER, step, f"GET {path}: HTTP {response.status_code}: {response.text[:500]}")
        return response


def _metric_value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def _month_prefixes(min_ts_ms: int, max_ts_ms: int) -> list[str]:
    """``YYYY_MM`` of every monthly partition between the two timestamps (UTC)."""
    first = dt.datetime.fromtimestamp(min_ts_ms / 1000.0, dt.UTC)
    last = dt.datetime.fromtimestamp(max_ts_ms / 1000.0, dt.UTC)
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}_{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop_process(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM (VictoriaMetrics flushes and closes its storage), SIGKILL if it hangs; the status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(timeout=60.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10.0)
            return -9
    return proc.returncode


def _terminate(proc: subprocess.Popen[bytes], directory: Path) -> None:
    """Last resort when a peer is garbage-collected or the interpreter exits while it runs."""
    _stop_process(proc)
    shutil.rmtree(directory, ignore_errors=True)
