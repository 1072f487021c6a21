"""Production records as `seamline serve` keeps them: the twin's events go through ingest into the
store, the engine follows the commits, the API answers from it, and a restart rebuilds it."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.sim import FloorSimulation, FloorTruth, SimConfig
from seamline.web import create_app

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
T0 = int(START.timestamp() * 1000)
SPAN = {"start": "2026-11-02T08:00:00Z", "end": "2026-11-02T10:00:00Z"}


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def api(app: FastAPI, method: str, url: str, expect: int = 200, json: Any = None, **params: Any) -> Any:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
            return await client.request(method, url, params=params, json=json)

    response = asyncio.run(go())
    assert response.status_code == expect, response.text
    return response.json()


def run_floor(platform: Platform, factory: Factory, seconds: float) -> FloorTruth:
    sim = FloorSimulation(factory, seed=4, start=START, config=SimConfig(initial_wip=False))
    t = 0.0
    while t < seconds:
        t = min(seconds, t + 300.0)
        platform.ingestor.submit_messages(sim.advance(t))
    platform.ingestor.flush()
    assert platform.production.drain()
    return sim.truth


def by_operator(app: FastAPI) -> dict[str, int]:
    got = api(app, "GET", "/api/v1/production/kpi", by="operator", **SPAN)
    return {g["operator"]: g["pieces"] for g in got["groups"] if g["pieces"]}


def test_the_api_counts_what_the_twin_scanned_and_a_restart_rebuilds_it(
    tmp_path: Path, small: Factory
) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        truth = run_floor(platform, small, 3600.0)
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        assert by_operator(app) == dict(truth.scanned_by_operator)
        lines = api(app, "GET", "/api/v1/production/kpi", by="line", **SPAN)["groups"]
        for g in lines:
            assert g["output"] == truth.pieces_by_line.get(g["line"], 0)
            eol = truth.reported_inspections[(g["line"], "end_of_line")]
            assert g["rft_pct"] == pytest.approx(100.0 - eol.defective_pct, abs=0.01)
            assert g["oee_pct"] == pytest.approx(g["efficiency_pct"] * g["rft_pct"] / 100.0, abs=0.02)
            assert g["earned_min"] > 0
            assert 0 < g["efficiency_pct"] < 150
            operators = api(app, "GET", "/api/v1/production/kpi", by="operator", line=g["line"], **SPAN)
            # a line's figures are the sums of its operators' (each rounded to 0.001 in the JSON)
            assert g["attended_min"] == pytest.approx(
                sum(o["attended_min"] for o in operators["groups"]), abs=0.01
            )
            assert g["earned_min"] == pytest.approx(
                sum(o["earned_min"] for o in operators["groups"]), abs=0.01
            )
        hours = api(app, "GET", "/api/v1/lines/L1/output", **SPAN)["hours"]
        assert [h["hour"] for h in hours] == ["2026-11-02T08:00:00.000Z", "2026-11-02T09:00:00.000Z"]
        assert hours[0]["pieces"] == sum(
            n for (line, _), n in truth.scanned_by_operation.items() if line == "L1"
        )
        sam = small.styles[hours[0]["style"]].bulletin.garment_sam_min
        assert hours[0]["garment_sam_min"] == sam
        for h in hours:  # target = attended minutes x planned efficiency (0.70 by default) / SAM
            assert h["target"] == pytest.approx(h["attended_min"] * 0.70 / sam, abs=0.01)
            assert h["variance"] == pytest.approx(h["output"] - h["target"], abs=0.02)
        assert hours[0]["target"] > 0
        quality = api(app, "GET", "/api/v1/quality/inspections", by="line,kind", **SPAN)["groups"]
        assert {(g["line"], g["kind"]): (g["checked"], g["defects"]) for g in quality} == {
            k: (v.checked, v.defects) for k, v in truth.reported_inspections.items()
        }
        pareto = api(app, "GET", "/api/v1/quality/defects", **SPAN)
        assert pareto["total"] == sum(v.defects for v in truth.reported_inspections.values())
        assert pareto["defects"][-1]["cumulative_pct"] == 100.0
        wip = api(app, "GET", "/api/v1/lines/L1/wip")
        fed = truth.bundles_released.get("L1", 0) - truth.bundles_done.get("L1", 0)
        assert 0 < wip["bundles_in_progress"] <= fed  # bundles fed in but not yet scanned are not seen
        assert wip["operations"]
        machines = api(app, "GET", "/api/v1/production/machines", line="L1", **SPAN)["machines"]
        sewing = [m for m in machines if m["device"] in truth.state_s and "running" in m["seconds"]]
        assert sewing
        for m in sewing:
            want = truth.state_s[m["device"]]["running"]
            assert m["seconds"]["running"] == pytest.approx(want, abs=max(1.0, 0.01 * want))
            assert 0 < m["utilisation_pct"] <= 100
        downtime = api(app, "GET", "/api/v1/production/downtime", **SPAN)
        assert downtime["reasons"]  # no feeding, thread and needle breaks ... with their minutes
        assert sum(r["stops"] for r in downtime["reasons"]) >= len(downtime["stops"]) > 0
        stop = downtime["stops"][0]
        assigned = api(
            app,
            "POST",
            f"/api/v1/production/downtime/{stop['id']}/reason",
            json={"reason": "meeting", "by": "sup"},
        )
        assert (assigned["reason"], assigned["assigned_by"]) == ("meeting", "sup")
        refused = api(
            app,
            "POST",
            f"/api/v1/production/downtime/{stop['id']}/reason",
            expect=409,
            json={"reason": "coffee"},
        )
        assert "reason 'coffee': one of no_feeding" in refused["error"]["message"]
        health = platform.health()["components"]["production"]
        assert health["healthy"]
        assert health["records"] == truth.scans
        bad = api(app, "GET", "/api/v1/production/kpi", expect=400, by="colour")
        assert bad["error"]["reason"] == "bad_grouping"
        assert "group by one or more of hour, line" in bad["error"]["message"]
        assert bad["error"]["details"] == {"field": "by"}
        assert api(app, "GET", "/api/v1/production/exceptions")["total"] == 0
    for save_interval_s in (300.0, 0.0):  # a restart takes up the saved ledger, or rebuilds it
        again_settings = settings.model_copy(update={"production_save_interval_s": save_interval_s})
        with Platform(again_settings, small) as again:
            app = create_app(small, again.store, again.ingestor, platform=again)
            assert by_operator(app) == dict(truth.scanned_by_operator)
            kept = api(app, "GET", "/api/v1/production/downtime", **SPAN)["stops"]
            same = [d for d in kept if (d["device"], d["start"]) == (stop["device"], stop["start"])]
            assert [(d["reason"], d["assigned_by"]) for d in same] == [("meeting", "sup")]
            health = again.health()["components"]["production"]
            if save_interval_s:  # saved when the first run stopped: nothing to replay
                assert health["restored"]["used"] is True
                assert health["rebuilt_events"] == 0
            else:
                assert health["restored"] is None
                assert health["rebuilt_events"] > truth.scans


def test_a_scan_that_makes_no_sense_waits_in_the_exceptions_queue_for_a_supervisor(
    tmp_path: Path, small: Factory
) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    scanner = next(d.id for d in small.devices if d.line_id == "L1" and "SCANNER" in d.id.upper())
    bundle = small.orders[0].bundles()[0]
    first_op = small.styles[small.orders[0].style_id].bulletin.operations[0].id
    # the unknown bundle's scan comes first but is newer: a rebuild meets it second
    scans = [
        {"ts": T0 + 1000, "type": "badge", "operator": "L1-OP01", "action": "login", "workstation": "L1-S01"},
        {"ts": T0 + 3500, "type": "scan", "bundle": "NO-SUCH-BUNDLE", "operation": first_op,
         "operator": "L1-OP01", "workstation": "L1-S01", "pieces": 5},
        {"ts": T0 + 3000, "type": "scan", "bundle": bundle.id, "operation": first_op,
         "operator": "L1-OP09", "workstation": "L1-S01", "pieces": bundle.quantity},
    ]  # fmt: skip
    with Platform(settings, small) as platform:
        platform.ingestor.submit_messages(
            [{"device": scanner, "seq": 1, "sent_ts": T0 + 4000, "events": scans}]
        )
        platform.ingestor.flush()
        assert platform.production.drain()
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        got = api(app, "GET", "/api/v1/production/exceptions")
        assert got["total"] == 2
        reasons = {x["reason"]: x for x in got["exceptions"]}
        assert set(reasons) == {"unknown_bundle", "operator_not_logged_in"}
        assert reasons["unknown_bundle"]["line"] == "L1"
        voided = api(app, "POST", f"/api/v1/production/exceptions/{reasons['unknown_bundle']['id']}/void")
        assert voided["status"] == "voided"
        assert by_operator(app) == {}
        resolved = api(
            app, "POST", f"/api/v1/production/exceptions/{reasons['operator_not_logged_in']['id']}/resolve"
        )
        assert resolved["status"] == "resolved"
        assert resolved["record"]["pieces"] == bundle.quantity
        assert by_operator(app) == {"L1-OP09": bundle.quantity}  # the supervisor's decision counts
        assert api(app, "GET", "/api/v1/production/exceptions")["total"] == 0
        assert api(app, "GET", "/api/v1/production/exceptions", status="all")["total"] == 2
        again = api(app, "POST", f"/api/v1/production/exceptions/{voided['id']}/resolve", expect=409)
        assert again["error"]["reason"] == "decision_refused"
        assert "already voided" in again["error"]["message"]
        assert (
            api(app, "POST", "/api/v1/production/exceptions/99/void", expect=404)["error"]["reason"]
            == "not_found"
        )
    with Platform(settings, small) as restarted:  # the decisions were stored: a rebuild applies them
        app = create_app(small, restarted.store, restarted.ingestor, platform=restarted)
        statuses = {
            x["reason"]: (x["id"], x["status"])
            for x in api(app, "GET", "/api/v1/production/exceptions", status="all")["exceptions"]
        }
        assert statuses == {  # the same ids: a tablet's id names the same scan after a restart
            "unknown_bundle": (reasons["unknown_bundle"]["id"], "voided"),
            "operator_not_logged_in": (reasons["operator_not_logged_in"]["id"], "resolved"),
        }
        assert by_operator(app) == {"L1-OP09": bundle.quantity}


def test_an_outage_back_filled_out_of_order_with_duplicates_counts_the_same(
    tmp_path: Path, small: Factory
) -> None:
    """The floor's messages arrive late, in any order and some twice (a gateway back-filling after an
    outage, resending what it was unsure of): the records still equal what the twin scanned."""
    sim = FloorSimulation(
        small, seed=4, start=START, config=SimConfig(initial_wip=False, controller_reset_per_h=3.0)
    )
    messages: list[dict[str, Any]] = []
    t = 0.0
    while t < 3600.0:
        t = min(3600.0, t + 300.0)
        messages.extend(sim.advance(t))
    rng = random.Random(7)
    outage = messages[len(messages) // 3 : 2 * len(messages) // 3]  # a third of the hour held back
    arrived = messages[: len(messages) // 3] + messages[2 * len(messages) // 3 :]
    rng.shuffle(outage)
    arrived += outage + rng.sample(messages, len(messages) // 10)  # back-fill, then resends
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        for i in range(0, len(arrived), 500):
            platform.ingestor.submit_messages(arrived[i : i + 500])
        platform.ingestor.flush()
        assert platform.production.drain()
        assert platform.ingestor.stats()["duplicates"] >= len(messages) // 10
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        assert by_operator(app) == dict(sim.truth.scanned_by_operator)
        assert api(app, "GET", "/api/v1/production/exceptions")["total"] == 0
