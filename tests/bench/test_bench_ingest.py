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
from seamline.settings import Settings

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
    assert r["compaction"]["ran"] is True
    assert "queries" in r
    assert set(r["cpu_s"]) == {"ingest", "publisher", "broker"}
    # the platform as it ships: its own settings, its maintenance loop caught up before the end
    shipped = Settings()
    assert r["platform_settings"]["ingest_max_queue"] == shipped.ingest_max_queue
    assert r["platform_settings"]["maintenance_interval_s"] == shipped.maintenance_interval_s
    assert r["maintenance"]["catch_up"]["caught_up"] is True
    assert r["maintenance"]["passes"] >= 1
    assert r["readings_per_s_maintained"] < r["readings_per_s"]
    # every reading is in compacted files, by the loop or by the final pass, and checked there
    assert r["maintenance"]["compacted_readings"] + r["compaction"]["compacted_readings"] == r["readings"]
    v = r["verification"]
    assert v["sensors"] == v["sensors_stored"] > 10_000  # 13 s: the once-a-minute ones may be missing
    assert (v["sensors_wrong"], v["unexpected"]) == (0, 0)
    assert v["when"].startswith("after the final compaction")
    cpu = r["cpu_s_per_million"]
    assert cpu["ingest"] > 0
    assert cpu["maintenance"] > 0
    assert cpu["total"] == pytest.approx(cpu["ingest"] + cpu["maintenance"] + cpu["final_compaction"])
    assert r["peak_rss_mb_final_compaction"] > 0
    assert 0 < r["peak_rss_mb_until_last_commit"] <= r["peak_rss_mb"]


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
    assert set(peer["cpu_s_per_million"]) == {"ingest", "maintenance", "final_compaction", "total"}
    assert peer["cpu_s_per_million"]["ingest"] > 0
    assert r["pairing"]["like_for_like"] is True
    goals = r["goals"]
    assert goals["faster_than_peer"]["value"] == r["ratios"]["readings_per_s"]
    assert goals["faster_than_peer"]["met"] == (r["ratios"]["readings_per_s"] >= 1.0)
    assert goals["smaller_than_peer"]["met"] == (r["ratios"]["bytes_per_reading"] <= 1.0)
    # until compacted: ours after the catch-up pass, the peer's once flushed (it compresses inline)
    maintained = r["readings_per_s_maintained"] / peer["readings_per_s"]
    assert r["ratios"]["readings_per_s_maintained"] == pytest.approx(maintained)
    assert goals["faster_than_peer_until_maintained"]["met"] == (maintained >= 1.0)


@pytest.mark.slow
def test_the_jittered_workload_goes_through_and_is_checked_per_sensor() -> None:
    r = bench("--workload", "jittered")
    check(r)
    assert r["workload_kind"] == r["workload"]["kind"] == "jittered"


@pytest.mark.slow
def test_maintenance_runs_inside_the_timed_span_when_its_interval_is_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the platform's settings come from SEAMLINE_* variables, as in the service; paced to 4 s
    monkeypatch.setenv("SEAMLINE_MAINTENANCE_INTERVAL_S", "0.05")
    r = bench("--readings", "1000000", "--rate", "250000")
    assert r["platform_settings"]["maintenance_interval_s"] == 0.05
    assert r["maintenance"]["passes_in_span"] >= 2
    assert r["cpu_s_per_m_readings"]["ingest.maintenance_thread"] > 0  # loop CPU inside the span
    assert (r["lost"], r["duplicated"]) == (0, 0)


def test_inproc_against_a_peer_over_http_is_refused_as_not_like_for_like() -> None:
    result = CliRunner().invoke(
        app,
        ["bench", "ingest", "--readings", "1000", "--transport", "inproc", "--peer", "victoriametrics"],
    )
    assert result.exit_code == 1, result.output
    assert "not like for like" in result.output
    assert "use --transport mqtt" in result.output


def test_an_unknown_transport_or_peer_is_refused() -> None:
    for args in (
        ["--transport", "carrier-pigeon"],
        ["--peer", "influxdb"],
        ["--format", "xml"],
        ["--workload", "noisy"],
    ):
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
