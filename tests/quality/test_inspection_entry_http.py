"""Inspections typed on the quality page: stored as the line's bundle scanner's ``inspection`` event
through ingest, counted at once in DHU, RFT and the Pareto, kept over a restart; what does not fit
the line or does not add up is refused with the field to put right."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from seamline.model.factory import Factory
from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.web import create_app

sys.path.insert(0, str(Path(__file__).parents[1] / "production"))
from test_orders_http import call, error, floor

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
URL = "/api/v1/quality/inspections"


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def inline(**extra: Any) -> dict[str, Any]:
    return {"kind": "inline", "line": "L1", "bundle": "PO-1-B0001", "operation": "A020",
            "operator": "L1-OP03", "workstation": "L1-S02", "checked": 5, "defective": 2,
            "defects": [{"code": "skipped_stitch", "severity": "minor", "count": 2},
                        {"code": "open_seam", "severity": "major", "count": 1}], **extra}  # fmt: skip


def test_an_entered_inspection_counts_as_the_scanners_and_survives_a_restart(
    tmp_path: Path, small: Factory
) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        stored = call(app, "POST", URL, 201, json=inline())
        assert (stored["device"], stored["operation"], stored["defective"]) == (
            "L1-BUNDLESCANNER01",
            "A020",
            2,
        )
        floor(platform, {"type": "badge", "operator": "L1-OP05", "workstation": "L1-S07", "action": "login"})
        eol = call(app, "POST", URL, 201, json={"kind": "end_of_line", "line": "L1", "bundle": "PO-1-B0002",
                                                "checked": 5, "defective": 0, "defects": []})  # fmt: skip
        assert (eol["workstation"], eol["operator"]) == ("L1-S07", "L1-OP05")  # the last seat's operator
        (event,) = [
            e for e in platform.store.events(types=("inspection",), limit=10) if e.data["kind"] == "inline"
        ]
        assert event.device_id == "L1-BUNDLESCANNER01"
    with Platform(settings, small) as platform:  # rebuilt from the store: the same figures
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        groups = call(app, "GET", URL, 200, params={"by": "kind", "start": "2020-01-01T00:00:00Z"})["groups"]
        got = {
            g["kind"]: (g["inspections"], g["checked"], g["defective"], g["defects"], g["dhu"])
            for g in groups
        }
        # inline: 3 defects x 100 / 5 checked = DHU 60; end of line: nothing found
        assert got == {"inline": (1, 5, 2, 3, 60.0), "end_of_line": (1, 5, 0, 0, 0.0)}
        pareto = call(app, "GET", "/api/v1/quality/defects", 200, params={"start": "2020-01-01T00:00:00Z"})
        assert [(d["code"], d["defects"]) for d in pareto["defects"]] == [
            ("skipped_stitch", 2),
            ("open_seam", 1),
        ]


def test_what_does_not_fit_the_line_is_refused_with_its_field(tmp_path: Path, small: Factory) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        assert (
            error(app, "POST", URL, 404, "not_found", json=inline(bundle="NOPE"))["details"]["kind"]
            == "bundle"
        )
        assert error(app, "POST", URL, 404, "not_found", json=inline(line="L9"))["details"]["kind"] == "line"
        bad = error(app, "POST", URL, 422, "invalid_inspection", json=inline(workstation="L2-S01"))
        assert bad["details"]["field"] == "workstation"
        assert (
            error(app, "POST", URL, 422, "invalid_inspection", json=inline(operation="B010"))["details"][
                "field"
            ]
            == "operation"
        )
        short = error(
            app, "POST", URL, 422, "invalid_inspection", json=inline(defective=4)
        )  # 4 defective, 3 defects
        assert "each defective piece has a defect" in short["message"]
        alone = {"kind": "end_of_line", "line": "L2", "bundle": "PO-2-B0001", "checked": 5, "defective": 0}
        nobody = error(app, "POST", URL, 422, "invalid_inspection", json=alone)
        assert nobody["details"]["field"] == "operator"
        assert platform.store.events(types=("inspection",), limit=10) == []  # nothing refused was stored
