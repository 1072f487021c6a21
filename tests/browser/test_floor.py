"""The factory big screen in the real Chromium: both languages, live values, scaling, accessibility."""

from __future__ import annotations

from browser_helpers import Watched


def test_the_big_screen_shows_every_line_in_english_and_chinese(watched: Watched) -> None:
    page = watched.open("/floor?lang=en")
    page.wait_for_function("document.querySelectorAll('#lines .card').length === 6")
    page.wait_for_function("document.querySelectorAll('#lines .m').length >= 100")
    text = page.inner_text("body")
    assert "Output today" in text
    assert "Line 1 - polos" in text
    states = page.eval_on_selector_all("#lines .m", "els => els.map(e => e.dataset.state)")
    assert sum(s in ("running", "idle") for s in states) > len(states) / 2  # a factory at work
    watched.shot("floor-1920-en")
    assert watched.axe() == []
    page = watched.open("/floor?lang=zh")
    page.wait_for_function("document.querySelectorAll('#lines .card').length === 6")
    text = page.inner_text("body")
    assert "今日产量" in text
    assert "当前停机" in text
    assert "Output today" not in text
    assert page.get_attribute("html", "lang") == "zh-Hans"
    watched.shot("floor-1920-zh")
    assert watched.axe() == []


def test_the_big_screen_follows_the_floor_live(watched: Watched) -> None:
    page = watched.open("/floor")
    page.wait_for_function("Seamline.drawn.length >= 1", timeout=15_000)
    first = page.evaluate("Seamline.data.data_ts")
    squares = page.eval_on_selector_all("#lines .m", "els => els.map(e => e.dataset.state).join()")
    page.wait_for_function(f"Seamline.data.data_ts > {first}", timeout=15_000)
    page.wait_for_function(
        "was => Array.from(document.querySelectorAll('#lines .m')).map(e => e.dataset.state).join() !== was",
        arg=squares,
        timeout=30_000,
    )  # a machine changed state on the screen, without a reload
    age = page.inner_text("#age")
    assert "old" in age
    assert "stale" not in (page.get_attribute("#age", "class") or "")


def test_a_wall_tv_in_kiosk_mode_scales_the_design_to_4k(watched: Watched) -> None:
    watched.page.set_viewport_size({"width": 3840, "height": 2160})
    page = watched.open("/floor?kiosk=1")
    page.wait_for_function("document.querySelectorAll('#lines .card').length === 6")
    assert page.query_selector(".topbar") is None  # no chrome on a wall TV
    assert (
        page.evaluate("getComputedStyle(document.getElementById('stage')).transform")
        == "matrix(2, 0, 0, 2, 0, 0)"
    )
    assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
    watched.shot("floor-3840-kiosk")


def test_a_playlist_keeps_its_views_live_and_shows_them_in_turn(watched: Watched) -> None:
    page = watched.open("/kiosk?views=/floor,/floor?lang=zh&every=5")
    assert page.query_selector(".topbar") is None
    frames = page.query_selector_all("iframe.frame")
    assert [f.get_attribute("src") for f in frames] == ["/floor?kiosk=1", "/floor?lang=zh&kiosk=1"]
    for frame in page.frames[1:]:
        frame.wait_for_function("document.querySelectorAll('#lines .card').length === 6")
    assert page.eval_on_selector("iframe.shown", "f => f.getAttribute('src')") == "/floor?kiosk=1"
    page.wait_for_function(
        "document.querySelector('iframe.shown').getAttribute('src').includes('zh')", timeout=12_000
    )
    watched.shot("kiosk-playlist")
    refused = page.request.get(watched.base + "/kiosk?views=https://example.com")
    assert refused.status == 400
    assert refused.json()["error"]["reason"] == "invalid_playlist"
