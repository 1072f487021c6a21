"""Final inspection lots as `seamline serve` runs them: each lot is judged on its stream's plan,
stored through ingest, moves the stream by the switching rules, and a restart keeps all of it."""

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
from test_orders_http import call, error  # the API helpers of the production tests

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"


@pytest.fixture(scope="module")
def small() -> Factory:
    return parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))


def lot(name: str, found: int, **extra: Any) -> dict[str, Any]:
    # 1000 units at level II: code letter J, n 80; AQL 1.5 normal Ac 3 Re 4, tightened Ac 2 Re 3
    return {"lot": name, "lot_size": 1000, "aql": "1.5", "nonconforming": found, "line": "L1",
            "style": "TEST-A", "by": "QA Li", **extra}  # fmt: skip


def test_lots_move_their_stream_to_tightened_and_a_restart_keeps_it(tmp_path: Path, small: Factory) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        first = call(app, "POST", "/api/v1/quality/aql/lots", 201, json=lot("A1", 0))
        assert first["stream"] == "L1/TEST-A"
        plan = first["plan"]
        assert (plan["code_letter"], plan["sample_size"], plan["accept"], plan["reject"]) == ("J", 80, 3, 4)
        assert (first["accepted"], first["stream_after"]["inspection"]) == (True, "normal")
        assert call(app, "POST", "/api/v1/quality/aql/lots", 201, json=lot("A2", 4))["accepted"] is False
        again = call(app, "POST", "/api/v1/quality/aql/lots", 200, json=lot("A2", 4))  # an outbox resends
        assert again["accepted"] is False
        error(app, "POST", "/api/v1/quality/aql/lots", 409, "lot_judged", json=lot("A2", 1))
        call(app, "POST", "/api/v1/quality/aql/lots", 201, json=lot("A3", 0))
        fourth = call(app, "POST", "/api/v1/quality/aql/lots", 201, json=lot("A4", 5))
        assert fourth["stream_after"]["inspection"] == "tightened"  # 2 of 4 not accepted (9.3.1)
        assert "9.3.1" in fourth["stream_after"]["last_change"]
        nxt = call(
            app,
            "GET",
            "/api/v1/quality/aql/next-plan",
            200,
            params={"stream": "L1/TEST-A", "lot_size": 1000, "aql": "1.5"},
        )
        assert (nxt["plan"]["inspection"], nxt["plan"]["accept"], nxt["plan"]["reject"]) == (
            "tightened",
            2,
            3,
        )
        fifth = call(app, "POST", "/api/v1/quality/aql/lots", 201, json=lot("A5", 3))
        assert (fifth["plan"]["inspection"], fifth["accepted"]) == ("tightened", False)  # Re 3 on tightened
    with Platform(settings, small) as platform:  # a restart reads the lots back from the store
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        listed = call(app, "GET", "/api/v1/quality/aql/lots", 200, params={"stream": "L1/TEST-A"})
        assert [x["lot"] for x in listed["lots"]] == ["A5", "A4", "A3", "A2", "A1"]
        assert (listed["total"], listed["accepted"]) == (5, 2)
        (stream,) = call(app, "GET", "/api/v1/quality/aql/streams", 200)["streams"]
        assert (
            stream["stream"],
            stream["inspection"],
            stream["lots"],
            stream["not_accepted_on_tightened"],
        ) == (
            "L1/TEST-A",
            "tightened",
            5,
            1,
        )
        assert call(app, "GET", "/api/v1/quality/aql/lots/A4", 200)["nonconforming"] == 5


def test_bad_lots_are_refused_with_their_reason_and_nothing_is_stored(tmp_path: Path, small: Factory) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        url = "/api/v1/quality/aql/lots"
        assert (
            error(app, "POST", url, 400, "invalid_sampling_input", json=lot("B1", 0, aql="1.7"))["details"][
                "field"
            ]
            == "aql"
        )
        error(app, "POST", url, 400, "invalid_sampling_input", json=lot("B1", 0, level="IV"))
        too_many = error(app, "POST", url, 400, "invalid_sampling_input", json=lot("B1", 81))
        assert too_many["details"]["field"] == "nonconforming"
        error(app, "POST", url, 404, "not_found", json=lot("B1", 0, line="L9"))
        error(app, "POST", url, 404, "not_found", json=lot("B1", 0, style="NOPE"))
        nameless = {k: v for k, v in lot("B1", 0).items() if k not in ("line", "style")}
        assert (
            error(app, "POST", url, 400, "invalid_sampling_input", json=nameless)["details"]["field"]
            == "stream"
        )
        error(app, "POST", url, 422, "invalid_request", json={"lot": "B1", "lot_size": 1, "aql": "1.5"})
        error(
            app,
            "POST",
            "/api/v1/quality/aql/streams/resume",
            409,
            "switching_refused",
            json={"stream": "L1/TEST-A"},
        )  # fmt: skip  (nothing to resume)
        assert call(app, "GET", url, 200)["total"] == 0
        assert platform.store.events(types=("aql_lot",)) == []


def test_a_discontinued_stream_refuses_lots_until_resumed(tmp_path: Path, small: Factory) -> None:
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        url = "/api/v1/quality/aql/lots"
        for i in range(2):  # two failures on normal: tightened
            call(app, "POST", url, 201, json=lot(f"N{i}", 9, stream="S"))
        for i in range(5):  # five failures on tightened: discontinued (9.4)
            last = call(app, "POST", url, 201, json=lot(f"T{i}", 9, stream="S"))
        assert last["stream_after"]["discontinued"] is True
        error(app, "POST", url, 409, "inspection_discontinued", json=lot("X", 0, stream="S"))
        resumed = call(
            app, "POST", "/api/v1/quality/aql/streams/resume", 200, json={"stream": "S", "by": "QM"}
        )
        assert (resumed["inspection"], resumed["discontinued"]) == ("tightened", False)
        assert call(app, "POST", url, 201, json=lot("X", 0, stream="S"))["plan"]["inspection"] == "tightened"
    with Platform(settings, small) as platform:
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        (stream,) = call(app, "GET", "/api/v1/quality/aql/streams", 200)["streams"]
        assert (stream["inspection"], stream["discontinued"], stream["lots"]) == ("tightened", False, 8)
