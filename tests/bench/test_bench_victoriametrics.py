"""The VictoriaMetrics peer against the real server: every reading counted back, nothing left over.

These tests need the Debian package (``apt-get install -y victoria-metrics``); without it they
fail with that hint rather than skip.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest

from seamline.bench import PeerUnavailableError, ReadingsLostError, Workload
from seamline.bench import victoriametrics as vm_module
from seamline.bench._vmimport import ImportPayloads
from seamline.bench.victoriametrics import PeerResult, VictoriaMetricsPeer
from seamline.model.factory import Factory

READINGS = 100_000


@pytest.fixture(scope="module")
def binary() -> Path:
    """The installed server; fails (never skips) when it is missing."""
    try:
        return vm_module.find_binary()
    except PeerUnavailableError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def workload(factory: Factory) -> Workload:
    return Workload(factory, start_ms=(int(time.time()) - 86_400) * 1000, seed=21)


@pytest.fixture(scope="module")
def loaded(
    binary: Path, workload: Workload
) -> Iterator[tuple[VictoriaMetricsPeer, ImportPayloads, PeerResult]]:
    """One native load of about 100k readings, shared by the tests that only read."""
    with VictoriaMetricsPeer(binary=binary, readings_per_request=20_000) as vm:
        payloads = vm.encode(workload.chunks(workload.seconds_for(READINGS)))
        yield vm, payloads, vm.load_payloads(payloads)


def test_every_reading_is_counted_back(
    loaded: tuple[VictoriaMetricsPeer, ImportPayloads, PeerResult], factory: Factory
) -> None:
    _vm, payloads, result = loaded
    assert result.readings == payloads.readings >= READINGS
    assert result.series == payloads.sensor_ids.size > 0.8 * factory.sensor_count  # 6.6 s: not the 60 s ones
    assert result.import_path == "/api/v1/import/native"
    assert result.requests == len(payloads.bodies) >= 4
    assert result.readings_per_s > 0
    assert 0 < result.bytes_per_reading_merged < 24  # below a packed binary row, above nothing
    assert result.bytes_per_reading_flushed > 0
    assert 0 < result.index_bytes_merged < result.disk_bytes_merged
    assert result.peak_rss_bytes > 10 * 2**20
    assert result.flush_s + result.ingest_s <= result.durable_s


def test_a_changed_value_is_caught_on_read_back(
    loaded: tuple[VictoriaMetricsPeer, ImportPayloads, PeerResult],
) -> None:
    vm, payloads, _result = loaded
    sums = payloads.sums.copy()
    sums[5] += 0.5
    with pytest.raises(ReadingsLostError, match=f"sensor {payloads.sensor_ids[5]}"):
        vm.verify(dataclasses.replace(payloads, sums=sums))
    counts = payloads.counts.copy()
    counts[7] += 1
    with pytest.raises(ReadingsLostError, match="expected readings"):
        vm.verify(dataclasses.replace(payloads, counts=counts, readings=payloads.readings + 1))


def test_a_server_holds_one_load(loaded: tuple[VictoriaMetricsPeer, ImportPayloads, PeerResult]) -> None:
    vm, payloads, _result = loaded
    with pytest.raises(vm_module.PeerError, match="fresh peer"):
        vm.load_payloads(payloads)


def test_json_bodies_hold_one_line_per_series_per_time_slice(
    binary: Path, workload: Workload, factory: Factory
) -> None:
    peer = VictoriaMetricsPeer(binary=binary, import_format="json", readings_per_request=30_000)
    payloads = peer.encode(workload.chunks(5.0))
    assert payloads.path == "/api/v1/import"
    assert payloads.readings == workload.total_readings(5.0)
    assert len(payloads.bodies) == 3  # 75k readings, cut after whole device messages
    lines = [orjson.loads(line) for body in payloads.bodies for line in body.splitlines()]
    assert lines[0]["metric"] == {
        "__name__": "seamline",
        "sensor": str(lines[0]["metric"]["sensor"]),
        "device": "L01-S01",
        "channel": factory.sensor(int(lines[0]["metric"]["sensor"])).channel.name,
    }
    assert sum(len(line["values"]) for line in lines) == payloads.readings == int(np.sum(payloads.counts))
    for body in payloads.bodies:  # one line per series in each time slice
        sensors = [orjson.loads(line)["metric"]["sensor"] for line in body.splitlines()]
        assert len(sensors) == len(set(sensors))
    assert all(line["timestamps"] == sorted(line["timestamps"]) for line in lines)


def test_stopping_leaves_no_process_and_no_directory(binary: Path) -> None:
    with VictoriaMetricsPeer(binary=binary) as vm:
        proc, directory = vm._proc, vm.storage_dir.parent
        assert proc is not None
        assert directory.is_dir()
        assert vm.version()
    assert proc.poll() == 0  # a clean shutdown, not a kill
    assert not directory.exists()


def test_a_missing_server_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(vm_module, "_FALLBACK_BINARY", Path("/nonexistent/victoria-metrics"))
    with pytest.raises(PeerUnavailableError, match="apt-get install -y victoria-metrics"):
        VictoriaMetricsPeer()
    with pytest.raises(PeerUnavailableError, match="apt-get install -y victoria-metrics"):
        VictoriaMetricsPeer(binary="/nonexistent/vm")
