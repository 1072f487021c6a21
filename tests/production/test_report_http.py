"""The shift report over HTTP: its figures as JSON and the files `seamline report shift` writes,
downloaded with their names; a shift or line that does not exist is refused."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
from openpyxl import load_workbook
from pypdf import PdfReader

from seamline.model.loader import parse_factory
from seamline.platform import Platform
from seamline.settings import Settings
from seamline.web import create_app

SMALL_TOML = Path(__file__).parents[1] / "sim" / "small_factory.toml"
T0 = 1_793_606_400_000  # 2026-11-02T08:00:00Z: shift 1 of 2 November


def test_the_shift_report_as_json_and_as_files(tmp_path: Path) -> None:
    small = parse_factory(SMALL_TOML.read_text(encoding="utf-8"), str(SMALL_TOML))
    settings = Settings(data_dir=tmp_path / "data", mqtt_url=None, factory_file=SMALL_TOML)
    scans = [{"ts": T0 + 60_000, "type": "badge", "operator": "L1-OP03", "workstation": "L1-S01",
              "action": "login"},
             {"ts": T0 + 600_000, "type": "scan", "bundle": "PO-1-B0001", "operation": "A010", "pieces": 5,
              "operator": "L1-OP03", "workstation": "L1-S01"}]  # fmt: skip
    with Platform(settings, small) as platform:
        platform.ingestor.submit_messages(
            [{"device": "L1-BUNDLESCANNER01", "seq": 1, "sent_ts": T0 + 700_000, "events": scans}]
        )
        platform.ingestor.flush()
        assert platform.production.drain()
        app = create_app(small, platform.store, platform.ingestor, platform=platform)

        def get(url: str, **params: str) -> httpx.Response:
            async def go() -> httpx.Response:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://seamline.test") as client:
                    return await client.get(url, params=params)

            return asyncio.run(go())

        day = {"date": "2026-11-02", "shift": "1"}
        body = get("/api/v1/reports/shift", **day).json()
        assert (body["date"], body["shift"], body["records"], [x["line"] for x in body["lines"]]) == (
            "2026-11-02", 1, 1, ["L1", "L2"],
        )  # fmt: skip
        l1 = body["lines"][0]
        assert (len(l1["hours"]), l1["shift"]["pieces"], l1["hours"][0]["pieces"]) == (
            8,
            5,
            5,
        )  # a bundle of 5
        pdf = get("/api/v1/reports/shift/pdf", **day, line="L1")
        assert pdf.headers["content-type"] == "application/pdf"
        assert (
            pdf.headers["content-disposition"] == 'attachment; filename="shift-report-2026-11-02-S1-L1.pdf"'
        )
        assert "Line 1" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        xlsx = get("/api/v1/reports/shift/xlsx", **day)
        assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0]
        csv = get("/api/v1/reports/shift/csv", **day).text
        assert csv.startswith("date,shift,level,line,")
        assert (
            get("/api/v1/reports/shift", date="2026-11-02", shift="4").json()["error"]["details"]["field"]
            == "shift"
        )
        assert get("/api/v1/reports/shift/csv", line="L9").status_code == 404
        assert get("/api/v1/reports/shift/doc").status_code == 422
