"""The brain follows the floor: once a plan is in force, a machine that breaks down brings a
proposal made by the brain itself, once; before a first plan is approved nothing happens."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from plan_helpers import SMALL_TOML, call, small_factory

from seamline.brain.plan_watch import FloorWatch
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.web import create_app


def _state(device: str, state: str, ts_ms: int, seq: int) -> dict[str, object]:
    return {
        "device": device,
        "seq": seq,
        "sent_ts": ts_ms,
        "events": [{"ts": ts_ms, "type": "state", "state": state}],
    }


def test_a_breakdown_brings_one_proposal_from_the_brain(tmp_path: Path) -> None:
    factory = small_factory()
    settings = Settings(
        data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML, brain_watch_interval_s=0
    )
    with Platform(settings, factory) as platform:
        assert platform.floor_watch is None  # switched off: the test looks itself
        app = create_app(factory, platform.store, platform.ingestor, platform=platform)
        watch = FloorWatch(
            factory, platform.production, platform.plan_decisions, interval_s=3600, time_limit_s=1
        )
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        t = int(now.timestamp() * 1000)
        platform.ingestor.submit_messages([_state("L1-S03", "running", t - 20 * 60_000, 1)])
        platform.ingestor.flush()
        platform.production.drain()
        assert watch.check(now) is None  # nothing wrong yet, and no plan in force anyway

        first = call(
            app, "POST", "/api/v1/plan/proposals", 201, json={"now": now.isoformat(), "time_limit_s": 1}
        )
        call(app, "POST", f"/api/v1/plan/proposals/{first['id']}/approve", 200, json={"by": "ana"})
        assert watch.check(now) is None  # the floor runs as planned

        platform.ingestor.submit_messages([_state("L1-S03", "fault", t - 60_000, 2)])
        platform.ingestor.flush()
        platform.production.drain()
        made = watch.check(now)
        assert made is not None
        assert (made.created_by, made.based_on) == ("brain", first["id"])
        assert [e.kind for e in made.proposal.events] == ["breakdown"]
        assert "L1-S03" in made.proposal.explanation.text("en")
        listed = call(app, "GET", "/api/v1/plan/proposals", 200)["proposals"]
        assert listed[0]["id"] == made.id  # the planning board shows it
        assert watch.check(now) is None  # the same breakdown is answered once
        assert watch.proposals == 1
