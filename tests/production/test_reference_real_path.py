"""A replayed stretch of the reference factory (153 devices, 12,000 sensors) through the real path:
twin -> ingest -> store -> production engine -> API, reconciled with the twin's truth, with the
network at its worst: messages sent twice, out of order, and a scanner's and two machines' held
back by an outage and back-filled after everything else."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from test_engine import api

from seamline.model.loader import load_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.sim import FloorSimulation, SimConfig
from seamline.timeutil import ms_to_iso
from seamline.web import create_app

START = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 08:00 in Dhaka: the first shift starts
MINUTES = 15
OUTAGE_MIN = (5, 10)  # minutes of the run in which three devices cannot reach the platform
CUT_OFF = frozenset({"L01-BUNDLESCANNER01", "L01-S01", "L01-S02"})


def _disturbed(
    chunk: list[dict[str, Any]], rnd: random.Random, held: list[dict[str, Any]], t0: int
) -> list[dict[str, Any]]:
    """A minute of messages as a bad network delivers it: the cut-off devices' held back (into
    ``held``), the rest out of order in windows of 8, and one in ten sent twice."""
    lo, hi = (t0 + m * 60_000 for m in OUTAGE_MIN)
    out = []
    for m in chunk:
        (held if m["device"] in CUT_OFF and lo <= m["sent_ts"] < hi else out).append(m)
    for i in range(0, len(out) - 8, 8):
        window = out[i : i + 8]
        rnd.shuffle(window)
        out[i : i + 8] = window
    return out + [m for m in out if rnd.random() < 0.1]


def test_a_quarter_hour_of_the_reference_factory_through_a_bad_network_equals_the_twin(
    tmp_path: Path,
) -> None:
    factory = load_factory()
    sim = FloorSimulation(factory, seed=2, start=START, config=SimConfig())  # lines mid-order
    t0 = int(START.timestamp() * 1000)
    span = {"start": ms_to_iso(t0), "end": ms_to_iso(t0 + MINUTES * 60_000)}
    with Platform(Settings(data_dir=tmp_path, mqtt_url=None), factory) as platform:
        t, rnd, held = 0.0, random.Random(5), []
        while t < MINUTES * 60.0:
            t = min(MINUTES * 60.0, t + 60.0)
            platform.ingestor.submit_messages(_disturbed(sim.advance(t), rnd, held, t0))
        assert any(e["type"] == "scan" for m in held for e in m.get("events", ()))
        platform.ingestor.submit_messages(held)  # the outage ends: store and forward
        platform.ingestor.flush()
        assert platform.production.drain(60.0)
        truth = sim.truth
        app = create_app(factory, platform.store, platform.ingestor, platform=platform)
        operators = api(app, "GET", "/api/v1/production/kpi", by="operator", **span)["groups"]
        lines = api(app, "GET", "/api/v1/production/kpi", by="line", **span)["groups"]
        quality = api(app, "GET", "/api/v1/quality/inspections", by="line,kind", **span)["groups"]
        machines = api(app, "GET", "/api/v1/production/machines", **span)["machines"]
        stops = api(app, "GET", "/api/v1/production/downtime", limit="10000", **span)["stops"]
    assert truth.scans > 50  # the floor did real work
    assert {g["operator"]: g["pieces"] for g in operators if g["pieces"]} == dict(truth.scanned_by_operator)
    last_ops = {style.bulletin.operations[-1].id for style in factory.styles.values()}
    assert {g["line"]: g["output"] for g in lines if g["output"]} == {  # garments: the last operation
        line: sum(n for (ln, op), n in truth.scanned_by_operation.items() if ln == line and op in last_ops)
        for line in {ln for (ln, op) in truth.scanned_by_operation if op in last_ops}
    }
    assert {(g["line"], g["kind"]): (g["checked"], g["defects"]) for g in quality} == {
        k: (v.checked, v.defects) for k, v in truth.reported_inspections.items()
    }
    sewing = [m for m in machines if m["device"] in truth.state_s and "running" in m["seconds"]]
    assert len(sewing) > 100
    for m in sewing:  # seconds per state within 1 % of the twin's (or a second)
        for state in ("idle", "running", "fault"):
            want = truth.state_s[m["device"]][state]
            got = m["seconds"].get(state, 0.0)
            assert got == pytest.approx(want, abs=max(1.0, 0.01 * want)), (m["device"], state)
    reported: dict[tuple[str, str], float] = {}
    for s in stops:
        if s["source"] == "reported":
            key = (s["workstation"], s["reason"])
            reported[key] = reported.get(key, 0.0) + s["duration_s"]
    assert truth.downtime_s  # the floor reported stops
    assert reported.keys() == truth.downtime_s.keys()
    for key, want in truth.downtime_s.items():  # per machine and reason, within 1 % (or a second)
        assert reported[key] == pytest.approx(want, abs=max(1.0, 0.01 * want)), key
