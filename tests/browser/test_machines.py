"""The maintenance views and the device registry in the real Chromium: both languages, live data,
zoomable history charts of the server-side downsampled history, accessibility."""

from __future__ import annotations

from browser_helpers import Watched

MACHINE = "L01-S03"
CHARTS_LOADED = "[...document.querySelectorAll('.chart small')].every(n => Number(n.dataset.points) > 0)"


def test_the_machines_list_puts_what_fails_most_first_and_sorts_by_any_column(watched: Watched) -> None:
    page = watched.open("/machines?lang=en")
    page.wait_for_function("document.querySelectorAll('#machines tbody tr').length >= 100")
    text = page.inner_text("body")
    assert "What to fix first" in text
    assert "MTBF" in text
    rows = page.eval_on_selector_all("#machines tbody tr", "els => els.map(e => e.dataset.device)")
    assert MACHINE in rows
    page.click("th[data-key='downtime_min'] button")
    assert page.get_attribute("th[data-key='downtime_min']", "aria-sort") == "descending"
    minutes = page.eval_on_selector_all(
        "#machines tbody tr td:nth-child(9)",
        "els => els.map(e => parseFloat(e.textContent.replace(/,/g, '')))",
    )
    assert minutes == sorted(minutes, reverse=True)
    page.select_option("#f-line", "L02")
    page.wait_for_function(
        "[...document.querySelectorAll('#machines tbody tr')].every(r => r.dataset.device.startsWith('L02-'))"
    )
    assert "line=L02" in page.url
    watched.shot("machines-1920-en")
    assert watched.axe() == []
    page = watched.open("/machines?lang=zh")
    page.wait_for_function("document.querySelectorAll('#machines tbody tr').length >= 100")
    text = page.inner_text("body")
    assert "先修哪台" in text
    assert "平均故障间隔" in text
    watched.shot("machines-1920-zh")
    assert watched.axe() == []


def test_a_sewing_machines_page_shows_its_day_and_zooms_its_history(watched: Watched) -> None:
    page = watched.open(f"/machines/{MACHINE}?lang=en")
    page.wait_for_function("Seamline.drawn.length >= 1", timeout=15_000)  # live from its stream
    page.evaluate("Seamline.chartsReady")
    page.wait_for_function(CHARTS_LOADED, timeout=15_000)
    text = page.inner_text("body")
    assert MACHINE in page.inner_text("#title")
    for label in ("Needle time", "Pieces", "MTBF", "MTTR", "Fault codes", "Stops", "running"):
        assert label in text
    assert page.evaluate("Seamline.data.band.length") >= 1  # today's states drawn as a band
    assert page.eval_on_selector_all("#charts select", "els => els.map(e => e.value)")[0] == "motor_speed_spm"
    # the chart asks for a window as wide as itself; a drag zooms in and fetches that window
    page.click("#ranges button[data-span='600']")
    page.wait_for_function(CHARTS_LOADED, timeout=15_000)
    before = page.get_attribute("#charts", "data-range")
    with page.expect_response(
        lambda r: "/channels/motor_speed_spm/history" in r.url and "max_points=" in r.url
    ) as got:
        box = page.locator(".chart .u-over").first.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + 40)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.99, box["y"] + 40, steps=5)
        page.mouse.up()
    answer = got.value.json()
    assert 0 < answer["count"] <= int(got.value.url.split("max_points=")[1].split("&")[0])
    assert page.get_attribute("#charts", "data-range") != before
    # a month loads from the rollups, never more points than the chart is wide
    with page.expect_response(lambda r: "/history" in r.url) as month:
        page.click("#ranges button[data-span='2592000']")
    assert month.value.ok
    page.click("#ranges button[data-span='3600']")
    page.wait_for_function(CHARTS_LOADED, timeout=15_000)
    watched.shot("machine-1920-en")
    assert watched.axe() == []
    page.set_viewport_size({"width": 1024, "height": 768})
    watched.shot("machine-1024-en")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page = watched.open(f"/machines/{MACHINE}?lang=zh")
    page.wait_for_function("Seamline.drawn.length >= 1", timeout=15_000)
    page.wait_for_function(CHARTS_LOADED, timeout=15_000)
    text = page.inner_text("body")
    for label in ("动针时间", "故障代码", "平均修复时间", "今日"):
        assert label in text
    assert "Needle time" not in text
    watched.shot("machine-1920-zh")
    assert watched.axe() == []


def test_the_device_registry_shows_each_connection_and_filters(watched: Watched) -> None:
    page = watched.open("/devices?lang=en")
    page.wait_for_function("Seamline.drawn.length >= 1", timeout=15_000)
    page.wait_for_function("document.querySelectorAll('#devices tbody tr').length === 153")
    text = page.inner_text("body")
    assert "in process (simulator)" in text  # the demo's devices speak in process
    assert "msg/s" in text
    states = page.eval_on_selector_all("#devices tbody tr", "els => els.map(e => e.className)")
    assert sum("live" in s for s in states) > 140
    page.select_option("#f-kind", "sewing")
    page.select_option("#f-line", "L01")
    page.wait_for_function("document.querySelectorAll('#devices tbody tr').length === 20")
    assert "kind=sewing" in page.url
    assert "line=L01" in page.url
    watched.shot("devices-1920-en")
    assert watched.axe() == []
    page = watched.open("/devices?lang=zh&kind=cutting")
    page.wait_for_function("document.querySelectorAll('#devices tbody tr').length === 4")
    text = page.inner_text("body")
    assert "进程内（模拟器）" in text
    assert "接入方式" in text
    watched.shot("devices-1920-zh")
    assert watched.axe() == []
