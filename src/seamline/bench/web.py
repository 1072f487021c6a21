"""``seamline bench web``: the web app against the reference factory at its full real rate.

It starts a real ``seamline demo --speed 1`` (a subprocess on a free port with a temporary data
directory; ~15k readings/s), or measures the one at ``--url``, and drives Debian's Chromium with
Playwright, as the browser tests do. Four figures, each beside its goal (issue 12):

1. **First meaningful paint** of the big screen (``/floor``), each load in a new browser context
   (no cache): navigation start to the first animation frame in which the six line cards hold
   their figures; the paint timing's ``first-contentful-paint`` beside it. Goal p95 <= 1 s.
2. **Reading -> screen latency**: the page records ``[data_ts, drawn_at, server_ts]`` each time it
   draws a snapshot (``Seamline.drawn``); ``data_ts`` is the device time of the newest machine-state
   reading in it. Each reading's *first* draw gives its latency (device clock = wall clock here:
   speed 1, one machine); later draws of the same reading only say how old it grew. Goal p99 <= 1 s.
3. **Live clients**: 50 server-sent-event streams (half the big screen, half line boards when
   ``line:<id>`` topics exist), read to the last byte by a process of their own; the server's CPU
   over a window without clients, one with them and one without again, of equal length, and the
   ingest rate in each. Goal: <= 25 % of one core more, the ingest rate unchanged.
4. **Memory**: the big screen kept open ``--minutes``; every ``--sample-s`` the JS heap after a
   forced garbage collection and the DOM node count (Chrome DevTools Protocol). Goal: flat.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import platform as host_platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import httpx
import orjson
import typer
from rich.console import Console
from rich.table import Table

from seamline.bench._procfs import cpu_s, host_busy_cpu_s, listening_pid
from seamline.bench._webfigures import CpuSample, core_pct, first_appearances, rate, slope_per_hour, summary
from seamline.bench.errors import BenchError
from seamline.bench.web_auth import auth_headers, authorise_browser

CHROMIUM: Final = Path("/usr/bin/chromium")
PARTS: Final = ("paint", "latency", "clients", "memory")
GOALS: Final = {
    "first_paint_p95_ms": 1000.0,
    "reading_to_screen_p99_ms": 1000.0,
    "clients_core_pct": 25.0,
    "ingest_ratio_min": 0.98,  # "unchanged": within 2 %, the factory's own variation
    "heap_slope_mb_per_h": 1.0,  # "flat"
}
MEMORY_JUDGED_MIN: Final = 10.0  # a shorter run's trend is the noise of a few samples: not judged
VIEWPORT: Final = {"width": 1920, "height": 1080}

# Runs in every page before its own scripts: note the first animation frame in which the six line
# cards are on the page with their figures filled in (that frame is the one that paints them).
_PAINT_PROBE: Final = """
(() => {
  window.__bench = { cards_ms: null };
  const check = () => {
    const cards = document.querySelectorAll("#lines .card");
    const filled = cards.length >= 6 && [...cards].every((c) => {
      const dd = c.querySelector("dd");
      return dd !== null && dd.textContent !== "";
    });
    if (filled) window.__bench.cards_ms = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""
_PAINT_FIGURES: Final = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    cards_ms: window.__bench.cards_ms,
    fcp_ms: fcp ? fcp.startTime : null,
    ttfb_ms: nav.responseStart,
    response_end_ms: nav.responseEnd,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    cards: document.querySelectorAll("#lines .card").length,
  };
}
"""

# The latency's draw log grows with every snapshot (up to 2000 entries, ~0.2 MB): the memory run
# empties it before each sample, so that the heap is the page's own.
_TAKE_DRAWN: Final = "(() => { const d = window.Seamline.drawn, n = d.length; d.length = 0; return n; })()"

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def web(
    json_out: Annotated[
        bool, typer.Option("--json", help="print one JSON object instead of a table")
    ] = False,
    url: Annotated[
        str | None,
        typer.Option(
            help="measure this running `seamline demo` instead of starting one (e.g. http://127.0.0.1:8000)"
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="API token to send (default: <data-dir>/admin-token of the demo it starts, if any)"
        ),
    ] = None,
    pid: Annotated[
        int | None,
        typer.Option(help="with --url: the server's process id (default: found from the port it listens on)"),
    ] = None,
    parts: Annotated[
        str, typer.Option(help="comma-separated parts to run: paint, latency, clients, memory")
    ] = ",".join(PARTS),
    loads: Annotated[int, typer.Option(help="cold loads of the big screen for the first paint", min=1)] = 10,
    seconds: Annotated[
        float, typer.Option(help="seconds the big screen is watched for the latency", min=10)
    ] = 180.0,
    clients: Annotated[int, typer.Option(help="live clients of the load window", min=1)] = 50,
    window_s: Annotated[
        float, typer.Option(help="seconds of each CPU window (without, with, without clients)", min=5)
    ] = 60.0,
    minutes: Annotated[
        float, typer.Option(help="minutes the big screen is kept open for its memory", min=1)
    ] = 30.0,
    sample_s: Annotated[float, typer.Option(help="seconds between memory samples", min=5)] = 60.0,
    warmup_s: Annotated[
        float, typer.Option(help="seconds the demo it starts runs before measuring", min=0)
    ] = 30.0,
    chromium: Annotated[Path, typer.Option(help="the Chromium to drive")] = CHROMIUM,
) -> None:
    """The web app at the reference factory's full rate: first paint, reading -> screen latency,
    the server's cost of 50 live clients, the big screen's memory over time."""
    chosen = tuple(p.strip() for p in parts.split(",") if p.strip())
    unknown = [p for p in chosen if p not in PARTS]
    if unknown or not chosen:
        raise typer.BadParameter(f"use some of {', '.join(PARTS)}", param_hint="--parts")
    options = WebBenchOptions(
        url=url,
        token=token,
        pid=pid,
        parts=chosen,
        loads=loads,
        seconds=seconds,
        clients=clients,
        window_s=window_s,
        minutes=minutes,
        sample_s=sample_s,
        warmup_s=warmup_s,
        chromium=chromium,
    )
    try:
        result = run_web_bench(options, progress=lambda s: _err.print(f"[dim]bench:[/dim] {s}"))
    except BenchError as exc:
        _err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    if json_out:
        typer.echo(orjson.dumps(result).decode())  # not through rich: no markup or emoji codes
    else:
        _out.print(_table(result))


@dataclass(frozen=True, slots=True)
class WebBenchOptions:
    url: str | None = None
    token: str | None = None
    pid: int | None = None
    parts: tuple[str, ...] = PARTS
    loads: int = 10
    seconds: float = 180.0
    clients: int = 50
    window_s: float = 60.0
    minutes: float = 30.0
    sample_s: float = 60.0
    warmup_s: float = 30.0
    chromium: Path = CHROMIUM


@dataclass(frozen=True, slots=True)
class _Server:
    url: str
    pid: int | None
    token: str | None
    log: Path | None = None  # the output of a demo we started


Progress = Callable[[str], None]


def run_web_bench(options: WebBenchOptions, progress: Progress = lambda _: None) -> dict[str, Any]:
    """Every chosen part against the demo it starts (or ``options.url``): one JSON-ready object."""
    playwright = _playwright(options.chromium)
    with _server(options, progress) as server:
        result: dict[str, Any] = {
            "url": server.url,
            "started_demo": options.url is None,
            "server_pid": server.pid,
            "host": {
                "cores": os.cpu_count(),
                "machine": host_platform.machine(),
                "load_average_start": os.getloadavg(),
            },
        }
        with playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(options.chromium), headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            result["browser"] = browser.version
            try:
                if "paint" in options.parts:
                    result["paint"] = _paint(browser, server, options.loads, progress)
                if "latency" in options.parts:
                    result["latency"] = _latency(browser, server, options.seconds, progress)
                if "clients" in options.parts:
                    result["clients"] = _clients(server, options.clients, options.window_s, progress)
                if "memory" in options.parts:
                    result["memory"] = _memory(browser, server, options.minutes, options.sample_s, progress)
            finally:
                browser.close()
        if server.log is not None:  # a demo we started: did it log any error meanwhile?
            result["server_tracebacks"] = server.log.read_text(errors="replace").count("Traceback")
    result["host"]["load_average_end"] = os.getloadavg()
    result["goals"] = _goals(result)
    return result


# -- the server --------------------------------------------------------------------------------


@contextlib.contextmanager
def _server(options: WebBenchOptions, progress: Progress) -> Iterator[_Server]:
    if options.url is not None:
        url = options.url.rstrip("/")
        pid = options.pid if options.pid is not None else listening_pid(httpx.URL(url).port or 80)
        if pid is None:
            progress(f"no process of ours listens at {url}: the server's CPU is not measured (give --pid)")
        _wait_ready(url, options.token, None, 30.0)
        yield _Server(url, pid, options.token)
        return
    tmp = Path(tempfile.mkdtemp(prefix="seamline-bench-web-"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp / "data"
    log_path = tmp / "demo.log"
    progress(f"starting `seamline demo --speed 1` on {url} (data in {data_dir})")
    with log_path.open("w") as log:
        demo = [sys.executable, "-m", "seamline.cli", "demo", "--speed", "1", "--port", str(port)]
        proc = subprocess.Popen(  # noqa: S603  # our own interpreter and module
            [*demo, "--data-dir", str(data_dir)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_ready(url, options.token, proc, 120.0, log_path, token_dir=data_dir)
        token = options.token or _admin_token(data_dir)
        progress(f"demo ready (pid {proc.pid}); letting it run {options.warmup_s:g} s before measuring")
        time.sleep(options.warmup_s)
        if proc.poll() is not None:
            raise BenchError(f"the demo exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
        yield _Server(url, proc.pid, token or _admin_token(data_dir), log_path)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def _admin_token(data_dir: Path) -> str | None:
    path = data_dir / "admin-token"
    return path.read_text().strip() or None if path.exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(
    url: str,
    token: str | None,
    proc: subprocess.Popen[bytes] | None,
    timeout_s: float,
    log: Path | None = None,
    token_dir: Path | None = None,
) -> None:
    """Wait for ``GET /readyz`` to answer 200; a demo started here writes its admin token into
    ``token_dir`` once it runs, which is read until it appears."""
    deadline = time.monotonic() + timeout_s
    while True:
        if token is None and token_dir is not None:
            token = _admin_token(token_dir)
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-2000:] if log is not None else ""
            raise BenchError(f"the demo exited with {proc.returncode}:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/readyz", headers=auth_headers(token), timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise BenchError(f"{url} was not ready (GET /readyz -> 200) within {timeout_s:g} s")
        time.sleep(0.5)


def _playwright(chromium: Path) -> Any:
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415  # a dev extra, not a dependency
    except ImportError:
        raise BenchError(
            "seamline bench web drives Chromium with Playwright: pip install playwright (the dev extra,"
            " `pip install -e '.[dev]'`, has it); no browser download is needed"
        ) from None
    if not chromium.exists():
        raise BenchError(f"no Chromium at {chromium}: apt-get install chromium, or give --chromium PATH")
    return sync_playwright


def _page(browser: Any, server: _Server, *, probe: bool = False) -> tuple[Any, Any, list[str]]:
    """A new context (empty cache) and a page on the big screen, with its errors collected."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    authorise_browser(context, server.url, server.token)
    if probe:
        context.add_init_script(_PAINT_PROBE)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.goto(server.url + "/floor", wait_until="domcontentloaded")
    return context, page, problems


# -- 1. first meaningful paint -------------------------------------------------------------------


def _paint(browser: Any, server: _Server, loads: int, progress: Progress) -> dict[str, Any]:
    progress(f"first paint: {loads} cold loads of /floor")
    runs: list[dict[str, Any]] = []
    problems: list[str] = []
    for _ in range(loads):
        context, page, seen = _page(browser, server, probe=True)
        try:
            page.wait_for_function(
                "window.__bench.cards_ms !== null"
                " && performance.getEntriesByName('first-contentful-paint').length > 0",
                timeout=30_000,
            )
            runs.append(page.evaluate(_PAINT_FIGURES))
        finally:
            context.close()
        problems += seen
        time.sleep(1.0)  # a screen is not opened back to back; let the server's work of one load end
    return {
        "loads": loads,
        "meaningful_paint_ms": summary(r["cards_ms"] for r in runs),
        "first_contentful_paint_ms": summary(r["fcp_ms"] for r in runs),
        "ttfb_ms": summary(r["ttfb_ms"] for r in runs),
        "dom_content_loaded_ms": summary(r["dom_content_loaded_ms"] for r in runs),
        "runs": [{k: round(v, 1) if isinstance(v, float) else v for k, v in r.items()} for r in runs],
        "page_errors": problems,
    }


# -- 2. reading -> screen latency ----------------------------------------------------------------


def _latency(browser: Any, server: _Server, seconds: float, progress: Progress) -> dict[str, Any]:
    progress(f"latency: watching /floor for {seconds:g} s")
    context, page, problems = _page(browser, server)
    drawn: list[list[float]] = []
    try:
        page.wait_for_function("window.Seamline && window.Seamline.source", timeout=30_000)
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(30.0, left))
            drawn += _new_draws(page, drawn)
            progress(f"latency: {len(drawn)} snapshots drawn, {max(0.0, end - time.monotonic()):.0f} s to go")
    finally:
        context.close()
    first = first_appearances(drawn)
    with_server = [d for d in drawn if len(d) > 2 and d[2] is not None]
    first_server = set(first_appearances(with_server))
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(drawn)]
    return {
        "seconds": seconds,
        "snapshots_drawn": len(drawn),
        "readings_shown": len(first),
        "reading_interval_ms": summary(b[0] - a[0] for a, b in itertools.pairwise(first)),
        "reading_to_screen_ms": summary(drawn_at - ts for ts, drawn_at in first),
        "reading_to_snapshot_ms": summary(d[2] - d[0] for d in with_server if (d[0], d[1]) in first_server),
        "snapshot_to_screen_ms": summary(d[1] - d[2] for d in with_server),
        "data_age_at_draw_ms": summary(d[1] - d[0] for d in drawn),
        "draw_interval_ms": summary(gaps),
        "page_errors": problems,
    }


def _new_draws(page: Any, seen: list[list[float]]) -> list[list[float]]:
    """The page keeps its newest draws only: take those after the last one already seen."""
    pairs: list[list[float]] = page.evaluate("window.Seamline.drawn")
    last = seen[-1][1] if seen else -1.0
    return [p for p in pairs if p[1] > last]


# -- 3. live clients -----------------------------------------------------------------------------


def _clients(server: _Server, n: int, window_s: float, progress: Progress) -> dict[str, Any]:
    topics = _client_topics(server, n)
    kinds = sorted({t.split(":")[0] for t in topics})
    progress(f"clients: server pid {server.pid}, {window_s:g} s windows; {n} streams of {kinds}")
    idle_before = _window(server, window_s, progress, "without clients")
    argv = [sys.executable, "-m", "seamline.bench._sse_clients", server.url, ",".join(topics), str(n)]
    if server.token:
        argv += ["--token", server.token]
    proc = subprocess.Popen(  # noqa: S603  # our own interpreter and module
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise BenchError(f"the live clients did not all get a snapshot (they said {line!r})")
        time.sleep(5.0)  # every stream past its first snapshot and steady
        clients_cpu0 = cpu_s(proc.pid)
        loaded = _window(server, window_s, progress, f"with {n} clients")
        clients_cpu = cpu_s(proc.pid) - clients_cpu0
        proc.stdin.close()
        received = orjson.loads(proc.stdout.readline())
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(5.0)  # the streams closed and their producers stopped
    idle_after = _window(server, window_s, progress, "without clients, again")
    idle_pct = _mean(idle_before["server_core_pct"], idle_after["server_core_pct"])
    idle_rate = _mean(idle_before["readings_per_s"], idle_after["readings_per_s"])
    with_pct = loaded["server_core_pct"]
    extra = None if idle_pct is None or with_pct is None else with_pct - idle_pct
    return {
        "clients": n,
        "topics": dict(sorted({t: topics.count(t) for t in topics}.items())),
        "window_s": window_s,
        "without": idle_before,
        "with": loaded,
        "without_again": idle_after,
        "server_core_pct_without": _round(idle_pct),
        "server_core_pct_with": loaded["server_core_pct"],
        "server_core_pct_extra": _round(extra),
        "ingest_readings_per_s_without": _round(idle_rate, 0),
        "ingest_readings_per_s_with": loaded["readings_per_s"],
        "ingest_ratio": _round(loaded["readings_per_s"] / idle_rate, 4) if idle_rate else None,
        "clients_process_core_pct": round(100.0 * clients_cpu / window_s, 1),
        "snapshots_received": received["snapshots"],
        "bytes_received": received["bytes"],
        "failed_streams": received["failed"],
    }


def _client_topics(server: _Server, n: int) -> list[str]:
    """Half big screens, half line boards spread over the lines, if the server has line topics."""
    with httpx.Client(base_url=server.url, headers=auth_headers(server.token), timeout=10) as http:
        about = http.get("/api/v1/factory").raise_for_status().json()
        lines = [ln["id"] for area in about["areas"] for ln in area["lines"]]
        boards = [f"line:{ln}" for ln in lines if lines and _topic_exists(http, f"line:{ln}")]
    if not boards:
        return ["floor"] * n
    screens = (n + 1) // 2
    return ["floor"] * screens + [boards[i % len(boards)] for i in range(n - screens)]


def _topic_exists(http: httpx.Client, topic: str) -> bool:
    with http.stream("GET", f"/ui/live/{topic}") as response:
        return response.status_code == 200


def _window(server: _Server, window_s: float, progress: Progress, label: str) -> dict[str, Any]:
    progress(f"clients: {window_s:g} s {label}")
    with httpx.Client(base_url=server.url, headers=auth_headers(server.token), timeout=10) as http:
        n0, t0, c0, h0 = _counter(http), time.monotonic(), _cpu(server.pid), host_busy_cpu_s()
        time.sleep(window_s)
        n1, t1, c1, h1 = _counter(http), time.monotonic(), _cpu(server.pid), host_busy_cpu_s()
        stats = http.get("/api/v1/ingest/stats").raise_for_status().json()
    start, end = CpuSample(t0, c0 or 0.0), CpuSample(t1, c1 or 0.0)
    return {
        "server_core_pct": round(core_pct(start, end), 1) if c0 is not None else None,
        "host_busy_core_pct": round(core_pct(CpuSample(t0, h0), CpuSample(t1, h1)), 1),
        "readings_per_s": round(rate(n0, n1, start, end)),
        "queue_depth_end": stats.get("queue_depth"),
        "commit_lag_s_end": stats.get("commit_lag_s"),
    }


def _counter(http: httpx.Client) -> int:
    readings: int = http.get("/api/v1/ingest/stats").raise_for_status().json()["readings_accepted"]
    return readings


def _cpu(pid: int | None) -> float | None:
    return None if pid is None else cpu_s(pid)


def _mean(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else (a + b) / 2.0


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


# -- 4. memory over time -------------------------------------------------------------------------


def _memory(
    browser: Any, server: _Server, minutes: float, sample_s: float, progress: Progress
) -> dict[str, Any]:
    progress(f"memory: /floor kept open {minutes:g} min, sampled every {sample_s:g} s")
    context, page, problems = _page(browser, server)
    samples: list[dict[str, float]] = []
    try:
        page.wait_for_function("window.Seamline && window.Seamline.source", timeout=30_000)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        cdp.send("HeapProfiler.enable")
        t0 = time.monotonic()
        end = t0 + minutes * 60.0
        drawn = 0
        while True:
            drawn += page.evaluate(_TAKE_DRAWN)
            cdp.send("HeapProfiler.collectGarbage")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            samples.append(
                {
                    "t_s": round(time.monotonic() - t0, 1),
                    "heap_mb": round(metrics["JSHeapUsedSize"] / 1e6, 3),
                    "nodes": metrics["Nodes"],
                    "listeners": metrics["JSEventListeners"],
                    "snapshots_drawn": drawn,
                }
            )
            if len(samples) % 5 == 1:
                s = samples[-1]
                mb, count = s["heap_mb"], s["nodes"]
                progress(f"memory: {s['t_s'] / 60:.0f} min: heap {mb:.2f} MB, {count:.0f} nodes")
            if time.monotonic() + sample_s > end + 1.0:
                break
            time.sleep(max(0.0, t0 + len(samples) * sample_s - time.monotonic()))
    finally:
        context.close()
    heap = [s["heap_mb"] for s in samples]
    nodes = [s["nodes"] for s in samples]
    slope = slope_per_hour([(s["t_s"], s["heap_mb"]) for s in samples])
    node_slope = slope_per_hour([(s["t_s"], s["nodes"]) for s in samples])
    return {
        "minutes": round(samples[-1]["t_s"] / 60.0, 1),
        "heap_mb": {"first": heap[0], "last": heap[-1], "max": max(heap), "min": min(heap)},
        "heap_slope_mb_per_h": _round(slope, 3),
        "nodes": {"first": nodes[0], "last": nodes[-1], "max": max(nodes)},
        "nodes_slope_per_h": _round(node_slope, 1),
        "samples": samples,
        "page_errors": problems,
    }


# -- the goals and the table ---------------------------------------------------------------------


def _goals(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def goal(name: str, measured: float | None, met: bool | None) -> None:
        out[name] = {"goal": GOALS[name], "measured": measured, "met": met}

    if "paint" in r:
        p95 = r["paint"]["meaningful_paint_ms"]["p95"]
        goal("first_paint_p95_ms", p95, None if p95 is None else p95 <= GOALS["first_paint_p95_ms"])
    if "latency" in r:
        p99 = r["latency"]["reading_to_screen_ms"]["p99"]
        met = None if p99 is None else p99 <= GOALS["reading_to_screen_p99_ms"]
        goal("reading_to_screen_p99_ms", p99, met)
    if "clients" in r:
        extra = r["clients"]["server_core_pct_extra"]
        goal("clients_core_pct", extra, None if extra is None else extra <= GOALS["clients_core_pct"])
        ratio = r["clients"]["ingest_ratio"]
        goal("ingest_ratio_min", ratio, None if ratio is None else ratio >= GOALS["ingest_ratio_min"])
    if "memory" in r:
        slope = r["memory"]["heap_slope_mb_per_h"]
        judged = slope is not None and r["memory"]["minutes"] >= MEMORY_JUDGED_MIN
        goal("heap_slope_mb_per_h", slope, slope <= GOALS["heap_slope_mb_per_h"] if judged else None)
    return out


def _table(r: dict[str, Any]) -> Table:
    started = "a demo it started" if r["started_demo"] else r["url"]
    host = r["host"]
    table = Table(
        title=f"seamline bench web: {started}, Chromium {r.get('browser', '')}, {host['cores']} cores",
        caption=f"load average {host['load_average_start'][0]:.1f} at the start,"
        f" {host.get('load_average_end', [0.0])[0]:.1f} at the end",
    )
    for name in ("figure", "p50", "p95", "p99", "max", "n", "goal"):
        table.add_column(name, justify="left" if name in ("figure", "goal") else "right")
    goals = r["goals"]

    def row(label: str, s: dict[str, Any], goal: str = "") -> None:
        cells = ["-" if s[k] is None else f"{s[k]:,.0f}" for k in ("p50", "p95", "p99", "max")]
        table.add_row(label, *cells, str(s["n"]), goal)

    def verdict(name: str, text: str) -> str:
        met = goals.get(name, {}).get("met")
        return text if met is None else f"{text} [{'green]met' if met else 'red]missed'}[/]"

    if "paint" in r:
        p = r["paint"]
        paint_goal = verdict("first_paint_p95_ms", "p95 <= 1000")
        row("meaningful paint, cold (ms)", p["meaningful_paint_ms"], paint_goal)
        row("first contentful paint (ms)", p["first_contentful_paint_ms"])
        row("time to first byte (ms)", p["ttfb_ms"])
    if "latency" in r:
        lt = r["latency"]
        latency_goal = verdict("reading_to_screen_p99_ms", "p99 <= 1000")
        row("reading -> screen (ms)", lt["reading_to_screen_ms"], latency_goal)
        row("  reading -> snapshot made", lt["reading_to_snapshot_ms"])
        row("  snapshot made -> drawn", lt["snapshot_to_screen_ms"])
        row("data age at each draw (ms)", lt["data_age_at_draw_ms"])
    if "clients" in r:
        c = r["clients"]
        table.add_section()
        extra = f"{c['server_core_pct_extra']:+.1f} over {c['server_core_pct_without']} without; goal +25"
        with_cpu = f"{c['server_core_pct_with']}"
        table.add_row(
            f"server CPU, {c['clients']} clients (% core)",
            with_cpu,
            "",
            "",
            "",
            "",
            verdict("clients_core_pct", extra),
        )
        rates = (f"{c['ingest_readings_per_s_with']:,}", f"{c['ingest_readings_per_s_without']:,.0f}")
        table.add_row(
            "ingest readings/s, with / without",
            *rates,
            "",
            "",
            "",
            verdict("ingest_ratio_min", f"ratio {c['ingest_ratio']}; goal >= 0.98"),
        )
    if "memory" in r:
        m = r["memory"]
        table.add_section()
        h = m["heap_mb"]
        heap = (f"first {h['first']:.2f}", f"last {h['last']:.2f}", f"max {h['max']:.2f}")
        slope = verdict("heap_slope_mb_per_h", f"{m['heap_slope_mb_per_h']} MB/h; goal flat")
        table.add_row(f"JS heap over {m['minutes']:g} min (MB)", *heap, "", str(len(m["samples"])), slope)
        nd = m["nodes"]
        nodes = (f"first {nd['first']:.0f}", f"last {nd['last']:.0f}", f"max {nd['max']:.0f}")
        table.add_row("DOM nodes", *nodes, "", "", f"{m['nodes_slope_per_h']} nodes/h")
    return table


__all__ = ["GOALS", "PARTS", "WebBenchOptions", "run_web_bench", "web"]
