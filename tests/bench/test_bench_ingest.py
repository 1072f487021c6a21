"""`seamline bench ingest` as a smoke run: every transport end to end, and the peer once.

Benchmarks are not tests: nothing here asserts a speed, only that a small run goes through the
real path, reports every figure and loses or duplicates nothing.
"""

from __future__ import annotations

import socket
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from seamline.bench import _broker
from seamline.bench._broker import BenchBroker, BrokerUnavailableError
from seamline.bench._payloads import WorkloadSpec, encode_workload, stamp
from seamline.cli import app
from seamline.ingest.binary import parse_frame, split_frames

READINGS = "200000"
FIGURES = ("readings_per_s", "bytes_per_reading", "latency_p50_ms", "latency_p99_ms", "peak_rss_mb")


def bench(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["bench", "ingest", "--json", "--readings", READINGS, *args])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = orjson.loads(result.stdout.strip().splitlines()[-1])
    return out


def check(r: dict[str, Any]) -> None:
    for key in FIGURES:
        assert isinstance(r[key], (int, float)), key
        assert r[key] > 0, key
    assert r["readings"] >= int(READINGS)
    assert (r["lost"], r["duplicated"], r["rejected"]) == (0, 0, 0)
    assert r["value_sum_matches"] is True
    assert r["compaction"] is not None
    assert "queries" in r
    assert set(r["cpu_s"]) == {"ingest", "publisher", "broker"}


@pytest.mark.slow
@pytest.mark.parametrize(("transport", "fmt"), [("mqtt", "binary"), ("http", "json"), ("inproc", "binary")])
def test_a_small_run_goes_through_each_transport(transport: str, fmt: str) -> None:
    r = bench("--transport", transport, "--format", fmt)
    check(r)
    assert (r["transport"], r["format"]) == (transport, fmt)
    assert r["peer"] is None


@pytest.mark.slow
def test_a_run_beside_victoriametrics_reports_both_and_their_ratios() -> None:
    r = bench("--transport", "mqtt", "--format", "json", "--peer", "victoriametrics")
    check(r)
    peer = r["peer"]
    for key in FIGURES:
        assert peer[key] > 0, key
    assert peer["readings"] == r["readings"]  # the same readings
    assert r["ratios"]["readings_per_s"] == pytest.approx(r["readings_per_s"] / peer["readings_per_s"])
    assert r["ratios"]["bytes_per_reading"] == pytest.approx(
        r["bytes_per_reading"] / peer["bytes_per_reading"]
    )


def test_an_unknown_transport_or_peer_is_refused() -> None:
    for args in (["--transport", "carrier-pigeon"], ["--peer", "influxdb"], ["--format", "xml"]):
        result = CliRunner().invoke(app, ["bench", "ingest", "--readings", "1000", *args])
        assert result.exit_code == 2, result.output


def test_without_mosquitto_the_benchmark_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(_broker, "_FALLBACK", ())
    with pytest.raises(BrokerUnavailableError, match="apt-get install -y mosquitto"):
        BenchBroker()


def test_the_private_broker_listens_on_loopback_and_goes_away() -> None:
    with BenchBroker() as broker:
        assert broker.url.startswith("mqtt://127.0.0.1:")
        with socket.create_connection(("127.0.0.1", broker.port), timeout=2):
            pass
        port = broker.port
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


@pytest.mark.parametrize("fmt", ["binary", "json"])
def test_bodies_carry_the_workload_and_take_the_senders_clock(fmt: Any) -> None:
    spec = WorkloadSpec(start_ms=1_790_000_000_000, seconds=2.0, window_s=1.0, max_readings_per_message=50)
    payloads = encode_workload(spec, fmt, messages_per_body=7)
    chunks = list(spec.chunks())
    assert payloads.messages == len(chunks)
    assert payloads.readings == sum(len(c) for c in chunks)
    assert payloads.value_sum == pytest.approx(sum(float(c.values.sum()) for c in chunks))

    body = payloads.bodies[0]
    stamp(body, fmt, 1_790_000_123_456)
    if fmt == "binary":
        frames = [parse_frame(f) for f in split_frames(body.data)]
        sent = [f.sent_ts_ms for f in frames]
        readings = sum(len(f.ts_ms) for f in frames)
    else:
        messages = orjson.loads(body.data)
        sent = [m["sent_ts"] for m in messages]
        readings = sum(len(m["readings"]["ts"]) for m in messages)
    assert sent == [1_790_000_123_456] * body.messages == [1_790_000_123_456] * 7
    assert readings == body.readings
