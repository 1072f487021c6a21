"""`seamline demo` as a newcomer runs it: the reference factory streams into the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
from e2e_helpers import seamline, wait_for


def test_demo_serves_the_reference_factory_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with seamline(["demo", "--data-dir", str(data), "--speed", "5"], tmp_path) as demo:
        factory = demo.get("/api/v1/factory")  # with the admin token the demo wrote
        assert factory["devices"] == 153
        assert httpx.get(demo.base + "/api/v1/factory", timeout=10).status_code == 401
        assert (data / "admin-token").stat().st_mode & 0o777 == 0o600
        assert "sign in   user admin, password " in demo.output()
        assert factory["sensors"] >= 12_000
        assert {a["kind"] for a in factory["areas"]} == {"cutting", "sewing", "finishing", "utilities"}

        first = wait_for(lambda: demo.get("/api/v1/factory")["readings"], 60, "first readings")
        later = wait_for(
            lambda: n if (n := demo.get("/api/v1/factory")["readings"]) > first else 0, 60, "more readings"
        )
        assert later > first

        # Live machine states per line: every sewing seat reports a state, and the shift gets going.
        def all_reporting_and_sewing() -> list[dict[str, Any]] | None:
            ls: list[dict[str, Any]] = demo.get("/api/v1/lines")
            states = [m["state"] for ln in ls for m in ln["machines"]]
            return ls if all(states) and "running" in states else None

        lines = wait_for(all_reporting_and_sewing, 90, "every machine to report a state and some to run")
        assert len(lines) == 6
        reported = [m["state"] for ln in lines for m in ln["machines"]]
        assert set(reported) <= {"off", "idle", "running", "fault"}
        assert "running" in reported
        # Whatever the hour, the demo starts in the middle of a shift: operators are at work.
        at_work = sum(s in {"idle", "running"} for s in reported)
        assert at_work >= 0.7 * len(reported), sorted(reported)

        # Latest value and history of one sensor, found through the device registry.
        device = demo.get("/api/v1/devices/L01-S03")
        speed = next(c for c in device["channels"] if c["channel"] == "motor_speed_spm")
        assert speed["latest"] is not None
        newest = datetime.fromisoformat(speed["latest"]["ts"])
        history = demo.get(
            f"/api/v1/sensors/{speed['sensor_id']}/history",
            start=(newest - timedelta(minutes=10)).isoformat(),
            end=(newest + timedelta(milliseconds=1)).isoformat(),
        )
        assert history["count"] > 0
        assert len(history["ts"]) == len(history["values"]) == history["count"]
        assert history["ts"] == sorted(history["ts"])
        assert history["ts"][-1] == speed["latest"]["ts"]
        assert history["values"][-1] == speed["latest"]["value"]

        stats = demo.get("/api/v1/ingest/stats")
        assert stats["rejected"] == {} or sum(stats["rejected"].values()) == 0
        assert demo.stop() == 0
        assert "stopped cleanly" in demo.output()
    kept = int(demo.output().split("stopped cleanly; ")[1].split(" readings")[0].replace(",", ""))
    assert kept >= later

    token = (data / "admin-token").read_text()
    with seamline(["demo", "--data-dir", str(data), "--speed", "5"], tmp_path) as again:
        assert again.get("/api/v1/factory")["readings"] >= kept
        assert (data / "admin-token").read_text() == token  # still valid: kept
        assert again.stop() == 0


def test_demo_duration_exits_by_itself(tmp_path: Path) -> None:
    with seamline(["demo", "--data-dir", str(tmp_path / "d"), "--duration", "5"], tmp_path) as demo:
        assert demo.proc.wait(timeout=60) == 0
        assert "stopped cleanly" in demo.output()


def test_demo_maintains_its_store(tmp_path: Path) -> None:
    """A fast replay leaves compacted raw files and rollups, and readiness reports maintenance."""
    data = tmp_path / "d"
    args = ["demo", "--data-dir", str(data), "--speed", "60", "--duration", "15"]
    with seamline(args, tmp_path) as demo:
        ready = demo.get("/readyz")
        assert {"store_writer", "maintenance"} <= set(ready["components"])
        assert demo.proc.wait(timeout=180) == 0
        assert "stopped cleanly" in demo.output()
        assert "maintenance lag" in demo.output()
    raw = list((data / "seamline.cold" / "raw").glob("*.parquet"))
    minutes = list((data / "seamline.cold" / "1m").glob("*.parquet"))
    assert raw, "no compacted raw file"
    con = duckdb.connect(str(data / "seamline.duckdb"), read_only=True)
    try:
        rolled = con.execute("SELECT count(*) FROM rollup_1m").fetchall()[0][0] + len(minutes)
        (hot,) = con.execute("SELECT count(*) FROM readings_hot").fetchall()[0]
        (compacted,) = con.execute("SELECT sum(rows) FROM cold_files WHERE kind = 'raw'").fetchall()[0]
    finally:
        con.close()
    assert rolled > 0
    assert compacted > hot  # at 60x, 15 s hold 15 simulated minutes: most slices closed
