"""SPC on the floor's own inspections: an hour with far more defective pieces fires Nelson rule 1."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.web import create_app

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
T0 = 1_793_606_400_000  # 2026-11-02T08:00:00Z
HOUR = 3_600_000


def get(app: Any, url: str, **params: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
            return await client.get(url, params=params)

    return asyncio.run(go())


def inspection(ts: int, defective: int) -> dict[str, Any]:
    defects = [{"code": "skip", "count": defective, "severity": "minor"}] if defective else []
    return {
        "ts": ts, "type": "inspection", "kind": "end_of_line", "bundle": "PO-1-B0001", "operator": "L1-OP03",
        "workstation": "L1-S01", "checked": 100, "defective": defective, "defects": defects,
    }  # fmt: skip


def test_an_hour_far_out_of_control_fires_rule_1_on_its_hour(tmp_path: Path) -> None:
    small = parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))
    defective = [5, 4, 6, 5, 5, 4, 6, 5, 40]  # hour 8 is far above p = 80 / 900
    events = [inspection(T0 + h * HOUR + 600_000, d) for h, d in enumerate(defective)]
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    with Platform(settings, small) as platform:
        platform.ingestor.submit_messages(
            [{"device": "L1-BUNDLESCANNER01", "seq": 1, "sent_ts": T0 + 9 * HOUR, "events": events}]
        )
        platform.ingestor.flush()
        assert platform.production.drain()
        app = create_app(small, platform.store, platform.ingestor, platform=platform)
        span = {"start": "2026-11-02T08:00:00Z", "end": "2026-11-02T17:00:00Z"}
        r = get(app, "/api/v1/quality/spc", line="L1", chart="p", **span)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["centre"] == pytest.approx(80 / 900)
        assert [p["value"] for p in body["points"]] == [d / 100 for d in defective]
        # sigma of hour 8 = sqrt(p (1 - p) / 100) = 0.0285; UCL = 0.0889 + 3 x 0.0285 = 0.1742 < 0.40
        assert body["points"][8]["ucl"] == pytest.approx(
            80 / 900 + 3 * (80 / 900 * (1 - 80 / 900) / 100) ** 0.5
        )
        fired = [v for v in body["violations"] if v["rule"] == 1]
        assert [v["hours"] for v in fired] == [["2026-11-02T16:00:00.000Z"]]
        assert fired[0]["message"] == "Rule 1: point 8 above the upper control limit"
        u = get(app, "/api/v1/quality/spc", line="L1", chart="u", **span).json()
        assert u["centre"] == pytest.approx(80 / 900)  # one defect per defective piece here
        assert get(app, "/api/v1/quality/spc", line="L9").status_code == 404
