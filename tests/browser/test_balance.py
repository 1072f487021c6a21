"""The line balance view in the real Chromium: today's loads beside the brain's balance for the
operators at work, the same figures as the API's, both languages, accessibility."""

from __future__ import annotations

import httpx
from browser_helpers import Watched

LINE = "L02"


def test_the_balance_view_shows_todays_loads_and_the_brains_balance(watched: Watched) -> None:
    page = watched.open(f"/lines/{LINE}?lang=en")
    page.click("#balance-link")
    page.wait_for_url(f"**/lines/{LINE}/balance?lang=en")
    page.wait_for_function(
        "Seamline.balance && document.querySelectorAll('#plan tbody tr').length > 0", timeout=20_000
    )
    b = page.evaluate("Seamline.balance")
    p = b["proposal"]
    rows = page.eval_on_selector_all("#plan tbody tr", "els => els.length")
    assert rows == len(p["operators"]) == b["operators"]
    assert p["cycle_min"] == max(o["load_min"] for o in p["operators"])
    assert "Bottleneck" in page.inner_text("#plan tr.bneck")
    text = page.inner_text("main")
    for shown in (
        "Line balance",
        "Pieces per hour, balanced",
        "Loads against the cycle time",
        "Balance loss",
    ):
        assert shown in text
    assert page.eval_on_selector("#loads-chart svg", "e => e.querySelectorAll('path').length") > 10
    api = httpx.get(
        f"{watched.base}/api/v1/lines/{LINE}/balance", headers=watched.headers, timeout=30
    ).json()  # the API answers with the same line, style and operators
    assert (api["style"], api["operators"]) == (b["style"], b["operators"])
    watched.shot("balance-1920-en")
    assert watched.axe() == []

    with page.expect_response(lambda r: f"/lines/{LINE}/balance?seed=1" in r.url):
        page.click("#again")
    page.wait_for_selector("#status.ok")

    page = watched.open(f"/lines/{LINE}/balance?lang=zh")
    page.wait_for_function(
        "Seamline.balance && document.querySelectorAll('#plan tbody tr').length > 0", timeout=20_000
    )
    text = page.inner_text("main")
    for shown in ("产线平衡", "平衡后每小时件数", "车间大脑的平衡", "瓶颈"):
        assert shown in text
    assert "Balance loss" not in text
    watched.shot("balance-1920-zh")
    assert watched.axe() == []
