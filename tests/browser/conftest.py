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
from e2e_helpers import Running, seamline

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).parent / "screenshots"

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


class Watched:
    """A page whose console errors, uncaught exceptions and failed requests are collected."""

    def __init__(self, page: Any, base: str, headers: dict[str, str] | None = None) -> None:
        self.page = page
        self.base = base
        self.headers = headers or {}  # an admin token's, for the API calls a test makes beside the page
        self.problems: list[str] = []
        page.on(
            "console",
            lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        page.on("requestfailed", self._failed)
        page.on(
            "response",
            lambda r: self.problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
        )

    def _failed(self, request: Any) -> None:
        failure = request.failure or ""
        if "/ui/live/" in request.url and "ERR_ABORTED" in failure:
            return  # a page's stream is cut when the page goes: not a failure
        self.problems.append(f"request failed: {request.url} {failure}")

    def open(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(exist_ok=True)
        out = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(out))
        return out

    def axe(self) -> list[dict[str, Any]]:
        """Serious and critical accessibility violations (axe-core) on the page as it is."""
        if not AXE.exists():
            pytest.fail(f"axe-core is missing at {AXE}: run ./dev test (it runs npm ci in web/)")
        self.page.add_script_tag(path=str(AXE))
        found: list[dict[str, Any]] = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
        return found


def sign_in(context: Any, demo: Running, user: str = "admin", password: str | None = None) -> None:
    """Sign ``context`` in as ``user`` (the demo's admin by default) through the sign-in API."""
    if password is None:
        password = (demo.data_dir / "admin-password").read_text(encoding="utf-8").strip()  # type: ignore[attr-defined]
    r = context.request.post(demo.base + "/login", data={"username": user, "password": password})
    assert r.status == 200, r.text()


@pytest.fixture
def watched(browser: Any, demo: Running) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    sign_in(context, demo)
    page = context.new_page()
    w = Watched(page, demo.base, demo.headers)
    yield w
    problems = list(w.problems)
    context.close()
    assert problems == [], "\n".join(problems)
