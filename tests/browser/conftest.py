"""Browser tests: Debian's Chromium, driven by Playwright, against a real `seamline demo`.

One demo runs for the whole session: the reference factory in real time, so that device clocks
read the wall clock. Every page a test opens fails the test on a console error, an uncaught
exception or a failed request. Each test saves its screenshots under tests/browser/screenshots/
(ignored by git) to be looked at.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from browser_helpers import CHROMIUM, Watched, sign_in
from e2e_helpers import Running, seamline

playwright_api = pytest.importorskip("playwright.sync_api", reason="./dev test installs playwright")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium")
    tmp = tmp_path_factory.mktemp("browser-demo")
    with seamline(["demo", "--data-dir", str(tmp / "data"), "--speed", "1"], tmp) as running:
        running.data_dir = tmp / "data"  # type: ignore[attr-defined]
        token = (tmp / "data" / "admin-token").read_text(encoding="utf-8").strip()
        ready = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        while httpx.get(running.base + "/readyz", timeout=5, headers=ready).status_code != 200:
            if time.monotonic() > deadline:
                pytest.fail(f"the demo was not ready within 60 s:\n{running.output()}")
            time.sleep(0.5)
        yield running


@pytest.fixture(scope="module")  # Playwright's sync API holds an event loop while it runs: the tests
def browser() -> Iterator[Any]:  # after a module's (asyncio.run in most of them) need it gone
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def watched(browser: Any, demo: Running) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    sign_in(context, demo)
    page = context.new_page()
    w = Watched(page, demo.base, demo.headers)
    yield w
    problems = w.unexpected()
    context.close()
    assert problems == [], "\n".join(problems)
