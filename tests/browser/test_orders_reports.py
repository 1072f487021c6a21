"""The orders and reports pages in the real Chromium against the demo: the orders' progress and
due-date risk as the API counts them, sorting, the shift report's figures in the page and its PDF,
XLSX and CSV downloaded; both languages; accessibility."""

from __future__ import annotations

from pathlib import Path

import httpx
from browser_helpers import Watched


def test_the_orders_page_lists_every_order_with_its_progress_and_risk(watched: Watched) -> None:
    api = httpx.get(
        watched.base + "/api/v1/orders", params={"limit": 1000}, timeout=10, headers=watched.headers
    ).json()
    page = watched.open("/orders?lang=en")
    page.wait_for_function(
        f"document.querySelectorAll('#orders tbody tr[data-order]').length === {api['total']}"
    )
    shown = page.evaluate(
        "Object.fromEntries(Seamline.data.orders.map(o => [o.id, [o.ordered, o.bundles, o.risk]]))"
    )
    assert {o["id"]: [o["pieces_ordered"], o["bundles_total"]] for o in api["orders"]} == {
        k: v[:2] for k, v in shown.items()
    }  # the same orders and pieces as the API
    first = api["orders"][0]
    row = page.inner_text(f"#orders tr[data-order='{first['id']}']")
    assert f"{first['garments_finished']:,} / {first['pieces_ordered']:,}" in row
    glyphs = {"late": "✖ late", "at_risk": "▲ at risk", "tight": "◆ tight", "on_track": "● on track"}
    for order_id, (_, _, risk) in shown.items():
        if risk in glyphs:  # a risk is told by a glyph and a word, not by colour alone
            assert glyphs[risk] in page.inner_text(f"#orders tr[data-order='{order_id}'] td.risk")
    assert "planning board" in page.inner_text("#plan-h + p")  # the line plan lives there
    assert page.get_attribute("#plan-h + p a", "href") == "/plan?lang=en"
    page.click("th[data-key='wip_pieces'] button")
    page.click("th[data-key='wip_pieces'] button")
    assert page.get_attribute("th[data-key='wip_pieces']", "aria-sort") == "descending"
    wips = page.eval_on_selector_all(
        "#orders tbody tr[data-order]",
        "rows => rows.map(r => Seamline.data.orders.find(o => o.id === r.dataset.order).wip_pieces)",
    )
    assert wips == sorted(wips, reverse=True)
    watched.shot("orders-1920-en")
    assert watched.axe() == []
    page = watched.open("/orders?lang=zh")
    page.wait_for_selector("#orders tbody tr[data-order]")
    assert "订单与计划" in page.inner_text("h1")
    assert "车间大脑" in page.inner_text("main")
    watched.shot("orders-1920-zh")
    assert watched.axe() == []


def test_the_reports_page_shows_the_shift_report_and_downloads_its_files(
    watched: Watched, tmp_path: Path
) -> None:
    page = watched.open("/reports?lang=en&line=L02")
    page.wait_for_selector("#summary tbody tr")
    date = page.input_value("input[name='date']")
    shift = page.input_value("select[name='shift']")
    api = httpx.get(
        watched.base + "/api/v1/reports/shift",
        params={"date": date, "shift": shift, "line": "L02"},
        timeout=10,
        headers=watched.headers,
    ).json()
    assert (api["date"], str(api["shift"]), [x["line"] for x in api["lines"]]) == (date, shift, ["L02"])
    assert page.inner_text("#summary tbody").startswith("Line 2 - polos")
    hours = page.locator("details.line-report[open] table").first.locator("tbody tr")
    assert hours.count() == len(api["lines"][0]["hours"])  # one row per hour of the shift
    assert f"Shift {shift}" in page.inner_text("#window")
    for link, magic in (
        ("#dl-pdf", b"%PDF-"),
        ("#dl-xlsx", b"PK\x03\x04"),
        ("#dl-csv", b"date,shift,level,line"),
    ):
        with page.expect_download() as info:
            page.click(link)
        download = info.value
        assert download.suggested_filename.startswith(f"shift-report-{date}-S{shift}-L02.")
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        assert path.read_bytes().startswith(magic), link
    watched.shot("reports-1920-en")
    assert watched.axe() == []
    page = watched.open("/reports?lang=zh")
    page.wait_for_selector("#summary tbody tr")
    assert page.locator("#summary tbody tr").count() == 6
    assert "班次报表" in page.inner_text("h1")
    assert "逐小时" in page.inner_text("main")
    watched.shot("reports-1920-zh")
    assert watched.axe() == []
