"""The real path (twin -> ingest -> store -> production engine -> API) counts the same floor the same
whatever the network did: messages sent twice, out of order, and a scanner's and two machines'
messages held back by an outage and back-filled after it."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from test_engine import api

from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.sim import FloorSimulation, FloorTruth, SimConfig
from seamline.web.app import create_app

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
SPAN = {"start": "2026-11-02T08:00:00Z", "end": "2026-11-02T10:00:00Z"}
OUTAGE = (int(START.timestamp() * 1000) + 20 * 60_000, int(START.timestamp() * 1000) + 35 * 60_000)


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


@pytest.fixture(scope="module")
def floor(small: Factory) -> tuple[list[dict[str, Any]], FloorTruth]:
    sim = FloorSimulation(
        small, seed=4, start=START, config=SimConfig(initial_wip=False, breakdown_scale=40.0)
    )
    messages = sim.advance(3600.0)
    return messages, sim.truth


def _disturbed(messages: list[dict[str, Any]], small: Factory) -> list[dict[str, Any]]:
    """Duplicates, neighbours swapped across devices, and an outage of a scanner and two sewing
    machines whose messages arrive after everything else (store and forward)."""
    rnd = random.Random(3)
    cut_off = {
        "L1-BUNDLESCANNER01",
        *[d.id for d in small.devices if d.machine_type.category.value == "sewing"][:2],
    }
    held = [m for m in messages if m["device"] in cut_off and OUTAGE[0] <= m["sent_ts"] < OUTAGE[1]]
    out = [m for m in messages if not (m["device"] in cut_off and OUTAGE[0] <= m["sent_ts"] < OUTAGE[1])]
    assert len(held) > 20
    assert any(e["type"] == "scan" for m in held for e in m.get("events", ()))
    for i in range(0, len(out) - 8, 8):  # out of order within windows of 8 messages
        window = out[i : i + 8]
        rnd.shuffle(window)
        out[i : i + 8] = window
    out += [m for m in out if rnd.random() < 0.1]  # sent twice: once more, minutes later
    return out + held


def _answers(platform: Platform, factory: Factory) -> dict[str, Any]:
    app = create_app(factory, platform.store, platform.ingestor, platform=platform)

    def get(path: str, **params: str) -> Any:
        return api(app, "GET", f"/api/v1{path}", **SPAN, **params)

    def rows(groups: list[dict[str, Any]], *keys: str) -> dict[tuple[str, ...], tuple[Any, ...]]:
        return {
            tuple(g[k] for k in keys): (g["pieces"], g["output"], g["earned_min"], g["attended_min"])
            for g in groups
        }

    machines = get("/production/machines")["machines"]
    stops = get("/production/downtime", limit="10000")["stops"]
    reported: dict[tuple[str, str], float] = {}
    for s in stops:
        if s["source"] == "reported":
            key = (s["workstation"], s["reason"])
            reported[key] = reported.get(key, 0.0) + s["duration_s"]
    return {
        "operators": rows(get("/production/kpi", by="operator")["groups"], "operator"),
        "lines by hour": rows(get("/production/kpi", by="line,hour")["groups"], "line", "hour"),
        "quality": {
            (g["line"], g["kind"]): (g["checked"], g["defective"], g["defects"])
            for g in get("/quality/inspections", by="line,kind")["groups"]
        },
        "machine seconds": {m["device"]: m["seconds"] for m in machines},
        "downtime": sorted((s["device"], s["reason"], s["start"], s["end"]) for s in stops),
        "reported downtime s": reported,
        "open exceptions": get("/production/exceptions", status="open")["total"],
    }


def _run(tmp_path: Path, factory: Factory, messages: list[dict[str, Any]]) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path, mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, factory) as platform:
        for i in range(0, len(messages), 50):
            platform.ingestor.submit_messages(messages[i : i + 50])
        platform.ingestor.flush()
        assert platform.production.drain()
        return _answers(platform, factory)


def test_duplicates_reordering_and_a_back_filled_outage_change_no_figure(
    tmp_path: Path, small: Factory, floor: tuple[list[dict[str, Any]], FloorTruth]
) -> None:
    messages, truth = floor
    clean = _run(tmp_path / "clean", small, messages)
    disturbed = _run(tmp_path / "disturbed", small, _disturbed(messages, small))
    assert {k: v[0] for k, v in disturbed["operators"].items() if v[0]} == {
        (op,): n for op, n in truth.scanned_by_operator.items()
    }
    assert disturbed["quality"] == {
        k: (v.checked, v.defective, v.defects) for k, v in truth.reported_inspections.items()
    }
    for device, seconds in disturbed["machine seconds"].items():  # within 1 % of the twin's truth
        for state, want in truth.state_s.get(device, {}).items():
            assert seconds.get(state, 0.0) == pytest.approx(want, abs=max(1.0, 0.01 * want)), (device, state)
    assert disturbed["open exceptions"] == 0
    assert truth.breakdowns
    got = disturbed["reported downtime s"]
    assert {reason for _, reason in truth.downtime_s} >= {"machine_breakdown", "no_feeding"}
    assert got.keys() == truth.downtime_s.keys()
    for key, want in truth.downtime_s.items():  # per machine and reason, within 1 % (or a second)
        assert got[key] == pytest.approx(want, abs=max(1.0, 0.01 * want)), key
    assert disturbed["downtime"]
    assert disturbed == clean
