"""The arithmetic of `seamline bench web`: percentiles, first appearances of a reading on the screen,
a process's CPU share from /proc samples, a memory trend. The browser and the demo it drives are
not started here (the browser tests cover the page); nothing here asserts a speed."""

from __future__ import annotations

import os
import socket
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from seamline.bench._procfs import cpu_s, listening_pid
from seamline.bench._webfigures import (
    CpuSample,
    core_pct,
    first_appearances,
    rate,
    slope_per_hour,
    summary,
)
from seamline.bench.web_auth import auth_headers
from seamline.cli import app


def test_summary_gives_numpy_linear_percentiles_and_none_when_empty() -> None:
    # ranks 0..99 of 1..100: p50 between 50 and 51, p95 = 95 + 0.05, p99 = 99 + 0.01
    s = summary(range(1, 101), digits=2)
    assert s == {"n": 100, "p50": 50.5, "p95": 95.05, "p99": 99.01, "max": 100.0}
    assert summary([]) == {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    assert summary([7.0]) == {"n": 1, "p50": 7.0, "p95": 7.0, "p99": 7.0, "max": 7.0}


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=200))
def test_summary_is_ordered(values: list[float]) -> None:
    s = summary(values, digits=6)
    assert s["p50"] is not None
    assert s["p95"] is not None
    assert s["p99"] is not None
    assert s["max"] is not None
    assert s["p50"] <= s["p95"] <= s["p99"] <= s["max"] == round(max(values), 6)


def test_a_reading_counts_once_at_its_first_draw() -> None:
    # reading 1000 drawn at 1900 then again at 2900 (only older now); 2000 first drawn at 3100;
    # a snapshot with an older newest reading (1500, a line went quiet) is not a new arrival
    drawn = [
        [1000, 1900, 1800],
        [1000, 2900, 2850],
        [2000, 3100, 3000],
        [1500, 3200, 3150],
        [3000, 3300, 3290],
    ]
    assert first_appearances(drawn) == [(1000, 1900), (2000, 3100), (3000, 3300)]
    latencies = [drawn_at - ts for ts, drawn_at in first_appearances(drawn)]
    assert latencies == [900, 1100, 300]
    assert first_appearances([]) == []


def test_cpu_share_and_rates_are_per_second_of_wall_time() -> None:
    # 15 CPU seconds over 60 s of wall time: a quarter of one core
    assert core_pct(CpuSample(100.0, 40.0), CpuSample(160.0, 55.0)) == pytest.approx(25.0)
    # two threads busy the whole time: 200 % of one core
    assert core_pct(CpuSample(0.0, 0.0), CpuSample(10.0, 20.0)) == pytest.approx(200.0)
    # 900,000 readings accepted in those 60 s
    assert rate(5_000_000, 5_900_000, CpuSample(100.0, 0), CpuSample(160.0, 0)) == pytest.approx(15_000.0)
    with pytest.raises(ValueError, match="must come after"):
        core_pct(CpuSample(5.0, 1.0), CpuSample(5.0, 2.0))


def test_cpu_share_from_this_process_proc_samples() -> None:
    start = CpuSample(time.monotonic(), cpu_s(os.getpid()))
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # burn about 0.3 s of CPU
        pass
    end = CpuSample(time.monotonic(), cpu_s(os.getpid()))
    assert end.cpu_s - start.cpu_s >= 0.2  # /proc counts in clock ticks (10 ms)
    assert 0 < core_pct(start, end) <= 100.0 * (os.cpu_count() or 1) + 10


def test_the_listening_process_is_found_by_its_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert listening_pid(s.getsockname()[1]) == os.getpid()


def test_memory_slope_is_per_hour_and_flat_noise_stays_near_zero() -> None:
    # 0.5 MB more every minute is 30 MB an hour
    assert slope_per_hour([(0, 10.0), (60, 10.5), (120, 11.0)]) == pytest.approx(30.0)
    rng = np.random.default_rng(0)
    flat = [(60.0 * i, 2.0 + float(rng.normal(0, 0.05))) for i in range(31)]
    slope = slope_per_hour(flat)
    assert slope is not None
    assert abs(slope) < 0.5
    assert slope_per_hour([(0, 1.0)]) is None
    assert slope_per_hour([(5, 1.0), (5, 2.0)]) is None


def test_the_token_goes_as_a_bearer_header() -> None:
    assert auth_headers("abc") == {"Authorization": "Bearer abc"}
    assert auth_headers(None) == {}


def test_an_unknown_part_is_refused_before_anything_starts() -> None:
    result = CliRunner().invoke(app, ["bench", "web", "--parts", "paint,speed"])
    assert result.exit_code == 2
    assert "use some of paint, latency, clients, memory" in result.output
