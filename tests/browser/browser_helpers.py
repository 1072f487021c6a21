"""What the browser tests share beside their fixtures: a watched page, signing in, axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import Running

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).parent / "screenshots"


class Watched:
    """A page whose console errors, uncaught exceptions and failed requests are collected."""

    def __init__(self, page: Any, base: str, headers: dict[str, str] | None = None) -> None:
        self.page = page
        self.base = base
        self.headers = headers or {}  # an admin token's, for the API calls a test makes beside the page
        self.problems: list[str] = []
        self.expected: list[str] = []  # problems a test provokes on purpose (a refused write's status)
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

    def expect_refusal(self, status: int) -> None:
        """The test provokes a write the server refuses with ``status``: its failed response (and the
        console's line about it) are no problem, and must happen."""
        self.expected += [f"HTTP {status} ", f"status of {status}"]

    def unexpected(self) -> list[str]:
        """The problems seen, without the expected ones; an expected refusal that never came is one."""
        left = [p for p in self.problems if not any(e in p for e in self.expected)]
        missing = [e for e in self.expected[::2] if not any(e in p for p in self.problems)]
        return left + [f"expected, never seen: {e!r}" for e in missing]

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
