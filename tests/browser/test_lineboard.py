"""The line board in the real Chromium: both languages at tablet and desktop sizes, the line picker,
and a supervisor's writes sent from the tablet's outbox once the Wi-Fi is back, exactly once."""

from __future__ import annotations

import random
import time
from typing import Any

import httpx
from browser_helpers import Watched

LINE = "L01"
SCANNER = "L01-BUNDLESCANNER01"
OFFLINE_FAILURES = ("ERR_INTERNET_DISCONNECTED", "ERR_NETWORK_CHANGED")


def _board_ready(page: Any) -> None:
    page.wait_for_function("document.querySelectorAll('#seats .seat').length === 20")
    page.wait_for_function("document.querySelector('#hours-chart canvas') !== null")


def _post_unknown_bundle(base: str, headers: dict[str, str]) -> str:
    """A scan of a ticket no order has, from the line's scanner, through the real HTTP ingest: an
    ``unknown_bundle`` exception. A boot of its own keeps its sequence number apart from the
    scanner's."""
    now = int(time.time() * 1000)
    bundle = f"TEST-{random.randrange(10**9):09d}"
    message = {
        "device": SCANNER,
        "seq": 0,
        "boot": 2**41 + random.randrange(2**20),
        "sent_ts": now,
        "events": [
            {
                "ts": now,
                "type": "scan",
                "bundle": bundle,
                "operation": "P010",
                "operator": "L01-OP07",
                "workstation": "L01-S01",
                "pieces": 20,
            }
        ],
    }
    r = httpx.post(base + "/api/v1/ingest", json=message, timeout=10, headers=headers)
    assert r.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    return bundle


def _backfill_idle(base: str, headers: dict[str, str], device: str, minutes: float) -> None:
    """The machine back-fills an idle state from ``minutes`` ago, older than anything it sent in
    this session: the time until its first state change is one long idle, an unassigned stop (the
    demo makes them too, but not within the first minutes)."""
    now = int(time.time() * 1000)
    message = {
        "device": device,
        "seq": 0,
        "boot": 2**41 + random.randrange(2**20),
        "sent_ts": now,
        "events": [{"ts": now - int(minutes * 60_000), "type": "state", "state": "idle"}],
    }
    r = httpx.post(base + "/api/v1/ingest", json=message, timeout=10, headers=headers)
    assert r.json() == {"accepted": 1, "duplicates": 0, "rejected": []}


def _api(w: Watched, path: str, **params: Any) -> Any:
    r = httpx.get(w.base + path, params=params, timeout=10, headers=w.headers)
    r.raise_for_status()
    return r.json()


def test_the_line_board_in_english_and_chinese_and_the_line_picker(watched: Watched) -> None:
    page = watched.page
    page.set_viewport_size({"width": 1024, "height": 768})
    watched.open(f"/lines/{LINE}?lang=en")
    _board_ready(page)
    text = page.inner_text("body")
    assert "Line 1 - polos" in text
    assert "Hourly output against target" in text
    assert "Output today" in text
    assert "Bottleneck" in text
    assert "All sent" in page.inner_text("#outbox")
    api_hours = _api(watched, f"/api/v1/lines/{LINE}/output")["hours"]
    board = page.evaluate("Seamline.data")
    assert board["totals"]["output_hour"] == api_hours[-1]["output"]  # one number, screen and API
    wip = _api(watched, f"/api/v1/lines/{LINE}/wip")
    if wip["operations"]:
        assert board["bottleneck"] == wip["operations"][0]["operation"]  # the most pieces waiting
    states = page.eval_on_selector_all("#seats .seat", "els => els.map(e => e.dataset.state)")
    assert sum(s in ("running", "idle") for s in states) > len(states) / 2  # a line at work
    seat = page.inner_text("#seats .seat >> nth=0")
    assert "L01-S01" in seat
    assert "pieces" in seat
    small = page.eval_on_selector_all(
        "#switch a, button, select", "els => els.filter(e => e.getBoundingClientRect().height < 44).length"
    )
    assert small == 0  # touch targets
    watched.shot("lineboard-1024-en")
    assert watched.axe() == []

    watched.open(f"/lines/{LINE}?lang=zh")
    _board_ready(page)
    text = page.inner_text("body")
    for shown in ("每小时产量与目标", "工位", "瓶颈工序", "今日停机", "扫描异常"):
        assert shown in text
    for english in ("Hourly output", "pieces", "Seats"):
        assert english not in text
    assert page.get_attribute("html", "lang") == "zh-Hans"
    watched.shot("lineboard-1024-zh")
    assert watched.axe() == []

    page.set_viewport_size({"width": 1920, "height": 1080})
    watched.open(f"/lines/{LINE}?lang=en")
    _board_ready(page)
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    watched.shot("lineboard-1920-en")

    page.set_viewport_size({"width": 1280, "height": 800})
    watched.open("/lines?lang=en")
    page.wait_for_function("document.querySelectorAll('#picker .line-card').length === 6")
    assert "Line 6 - woven shirts" in page.inner_text("#picker")
    watched.shot("lines-1280-en")
    assert watched.axe() == []
    page.click("#picker .line-card >> nth=2")
    page.wait_for_url("**/lines/L03?lang=en")
    _board_ready(page)
    assert "Line 3 - tees" in page.inner_text("h1")

    device = page.evaluate("Seamline.data.seats[0].device")  # a seat leads to its machine's page
    page.click("#seats .seat >> nth=0 >> a.pos")
    page.wait_for_url(f"**/machines/{device}?lang=en")
    page.wait_for_function(f"document.querySelector('#title').innerText.includes('{device}')")


def test_offline_writes_wait_in_the_outbox_and_arrive_once(watched: Watched) -> None:
    page, base = watched.page, watched.base
    page.set_viewport_size({"width": 1024, "height": 768})
    posts: list[tuple[str, bool]] = []  # (url, replayed) of each write the server answered
    page.on(
        "response",
        lambda r: (
            posts.append((r.url, r.headers.get("idempotent-replayed") == "true"))
            if r.request.method == "POST"
            else None
        ),
    )
    bundle = _post_unknown_bundle(base, watched.headers)
    stops = _api(watched, "/api/v1/production/downtime", line=LINE)["stops"]
    if not any(s["reason"] == "unassigned" for s in stops):
        _backfill_idle(
            base, watched.headers, "L01-S20", minutes=30
        )  # the session's demo is younger than that
    watched.open(f"/lines/{LINE}?lang=en")
    _board_ready(page)
    page.wait_for_function(
        "b => Seamline.data.exceptions.some(x => x.bundle === b)"
        " && Seamline.data.stops.some(s => s.reason === 'unassigned')",
        arg=bundle,
        timeout=30_000,
    )
    exc = page.evaluate("b => Seamline.data.exceptions.find(x => x.bundle === b)", bundle)
    stop = page.evaluate("Seamline.data.stops.find(s => s.reason === 'unassigned')")
    assert exc["reason"] == "unknown_bundle"

    before = len(watched.problems)
    page.context.set_offline(True)
    page.wait_for_function("document.getElementById('outbox').textContent.includes('Offline')")
    row = page.locator(f"#stops li[data-id='{stop['id']}']")
    row.locator("select").select_option("thread_break")
    row.locator("button", has_text="Assign").click()
    page.locator(f"#exceptions li[data-id='{exc['id']}'] button", has_text="Void").click()
    page.wait_for_function("document.getElementById('outbox').dataset.pending === '2'")
    assert "Waiting to send: 2" in page.inner_text("#outbox")
    assert "Waiting to be sent" in row.inner_text()
    watched.shot("lineboard-1024-offline")
    assert [u for u, _ in posts] == []  # nothing reached the server
    stops = _api(watched, "/api/v1/production/downtime", line=LINE, limit=10_000)["stops"]
    assert next(s for s in stops if s["id"] == stop["id"])["reason"] == "unassigned"
    still_open = _api(watched, "/api/v1/production/exceptions", line=LINE)["exceptions"]
    assert exc["id"] in [x["id"] for x in still_open]

    page.context.set_offline(False)
    page.wait_for_function("document.getElementById('outbox').dataset.pending === '0'", timeout=30_000)
    assert "All sent" in page.inner_text("#outbox")
    # offline, the page's requests failed: expected, and nothing else may have gone wrong
    during = watched.problems[before:]
    del watched.problems[before:]
    assert [p for p in during if not any(f in p for f in OFFLINE_FAILURES)] == []

    stops = _api(watched, "/api/v1/production/downtime", line=LINE, limit=10_000)["stops"]
    done = next(s for s in stops if s["id"] == stop["id"])
    assert (done["reason"], done["assigned_by"]) == ("thread_break", "admin")  # the signed-in user
    voided = _api(watched, "/api/v1/production/exceptions", status="voided", line=LINE)["exceptions"]
    assert [x["scan"]["bundle"] for x in voided].count(bundle) == 1
    applied = [u for u, replayed in posts if not replayed]
    assert sorted(u.removeprefix(base) for u in applied) == sorted(
        [
            f"/api/v1/production/downtime/{stop['id']}/reason",
            f"/api/v1/production/exceptions/{exc['id']}/void",
        ]
    )  # each write applied exactly once
    page.wait_for_function(
        "([s, x]) => Seamline.data.stops.find(d => d.id === s).reason === 'thread_break'"
        " && !Seamline.data.exceptions.some(e => e.id === x)",
        arg=[stop["id"], exc["id"]],
        timeout=15_000,
    )  # and the board shows them, live
    assert "Thread break" in row.inner_text()
    watched.shot("lineboard-1024-sent")
