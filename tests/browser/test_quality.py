"""The quality page in the real Chromium against the demo: an inline inspection and an AQL verdict
entered in the page reach the API and come back on the live stream; both languages; accessibility."""

from __future__ import annotations

import httpx
from browser_helpers import Watched


def test_the_quality_page_enters_an_inspection_and_an_aql_verdict(watched: Watched) -> None:
    base = watched.base
    page = watched.open("/quality?lang=en&line=L06")
    page.wait_for_selector("#plan dd")
    assert page.inner_text("h1") == "Quality"
    for heading in ("DHU trend (end of line)", "Defects by type", "SPC: p chart of end-of-line checks"):
        assert heading in page.inner_text("main")
    # 500 pieces, AQL 2.5, level II, a new stream on normal inspection: code letter H, n 50, Ac 3, Re 4
    assert page.eval_on_selector_all("#plan dd", "els => els.map(e => e.textContent)") == [
        "normal", "H", "50", "3", "4",
    ]  # fmt: skip
    before = _inline(base, watched.headers)

    form = page.locator("#inspection-form")
    assert form.locator("#i-line").input_value() == "L06"
    assert form.locator("#i-bundle").input_value()  # the line's next bundle, offered
    operator = page.eval_on_selector("#i-operators option", "o => o.value")
    form.locator("#i-operator").fill(operator)
    form.locator('input[name="checked"]').fill("10")
    form.locator('input[name="defective"]').fill("2")
    for code, count in (("skipped_stitch", "2"), ("open_seam", "1")):
        page.click("#add-defect")
        row = page.locator("#defect-rows tr").last
        row.locator('[name="code"]').fill(code)
        row.locator('[name="count"]').fill(count)
    page.locator("#defect-rows tr").last.locator('[name="severity"]').select_option("major")
    form.locator("button.primary").click()
    page.wait_for_selector("#inspection-status.ok")
    assert "10 checked" in page.inner_text("#inspection-status")
    after = _inline(base, watched.headers)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 10, 3)
    page.wait_for_function(  # the page's own stream brings the entry into the Pareto
        "(Seamline.data.pareto.codes.find(c => c.code === 'open_seam')"
        " || {severities: {}}).severities.major >= 1"
    )

    aql = page.locator("#aql-form")
    aql.locator("#a-lot").fill("LOT-BROWSER-1")
    aql.locator("#a-found").fill("4")  # Re 4: rejected
    aql.locator("button.primary").click()
    page.wait_for_selector("#verdict.bad")
    assert "LOT-BROWSER-1: rejected" in page.inner_text("#verdict")
    lots = httpx.get(
        base + "/api/v1/quality/aql/lots", params={"line": "L06"}, timeout=10, headers=watched.headers
    ).json()["lots"]
    assert [(x["lot"], x["accepted"], x["plan"]["sample_size"]) for x in lots][:1] == [
        ("LOT-BROWSER-1", False, 50)
    ]
    page.wait_for_function("document.querySelector('#lots').textContent.includes('LOT-BROWSER-1')")
    page.evaluate("scrollTo(0, 0)")
    watched.shot("quality-1920-en")
    page.locator("#aql-form").scroll_into_view_if_needed()
    watched.shot("quality-1920-en-forms")
    assert watched.axe() == []

    page = watched.open("/quality?lang=zh&line=L06&span=7d")
    page.wait_for_selector("#plan dd")
    text = page.inner_text("main")
    assert "录入检验" in text
    assert "按类型的疵点" in text
    assert "Defects by type" not in text
    assert page.inner_text("#lots").count("拒收") == 1
    watched.shot("quality-1920-zh")
    assert watched.axe() == []

    page.set_viewport_size({"width": 1024, "height": 768})
    page = watched.open("/quality?lang=en&line=L06")
    page.wait_for_selector("#plan dd")
    page.locator("#aql-form").scroll_into_view_if_needed()
    watched.shot("quality-aql-1024")


def test_a_discontinued_aql_stream_is_resumed_from_the_form(watched: Watched) -> None:
    base = watched.base
    page = watched.open("/quality?lang=en&line=L05")
    page.wait_for_selector("#plan dd")
    style = page.input_value("#a-style")
    # 2 of 5 lots rejected on normal switch to tightened; 5 not accepted on tightened stop sampling
    for n in range(7):
        r = httpx.post(
            base + "/api/v1/quality/aql/lots",
            json={"lot": f"LOT-STOP-{n}", "lot_size": 500, "aql": "2.5", "level": "II", "nonconforming": 50,
                  "line": "L05", "style": style},
            timeout=10,
            headers=watched.headers,
        )  # fmt: skip
        assert r.status_code == 201, r.text
    assert r.json()["stream_after"]["discontinued"] is True

    page = watched.open("/quality?lang=zh&line=L05")
    page.wait_for_selector("#plan .resume button")
    assert "暂停检验" in page.inner_text("#plan")
    assert "以加严检验恢复抽样" in page.inner_text("#plan .resume")
    aql = page.locator("#aql-form")  # a lot entered now is refused, and the page says why in Chinese
    watched.expect_refusal(409)
    aql.locator("#a-lot").fill("LOT-STOP-7")
    aql.locator("#a-found").fill("0")
    aql.locator("button.primary").click()
    page.wait_for_selector("#verdict.bad")
    assert "该检验流的抽样已暂停：请先恢复。" in page.inner_text("#verdict")
    page.locator("#aql-form").scroll_into_view_if_needed()
    watched.shot("quality-aql-discontinued-zh")
    assert watched.axe() == []
    page.click("#plan .resume button")
    page.wait_for_function("!document.querySelector('#plan .resume') && document.querySelector('#plan dd')")
    assert page.eval_on_selector("#plan dd", "e => e.textContent") == "加严检验"
    streams = httpx.get(base + "/api/v1/quality/aql/streams", timeout=10, headers=watched.headers).json()
    mine = next(s for s in streams["streams"] if s["stream"] == f"L05/{style}")
    assert (mine["inspection"], mine["discontinued"]) == ("tightened", False)


def _inline(base: str, headers: dict[str, str]) -> tuple[int, int, int]:
    """Inline inspections, pieces checked and defects of line L06 so far, as the API counts them."""
    groups = httpx.get(
        base + "/api/v1/quality/inspections",
        params={"by": "kind", "line": "L06", "start": "2020-01-01T00:00:00Z"},
        timeout=10,
        headers=headers,
    ).json()["groups"]
    g = next((g for g in groups if g["kind"] == "inline"), None)
    return (g["inspections"], g["checked"], g["defects"]) if g else (0, 0, 0)
