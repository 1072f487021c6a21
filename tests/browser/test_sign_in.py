"""Signing in through the page, as a supervisor on a tablet does, in English and Chinese."""

from __future__ import annotations

from typing import Any

from browser_helpers import Watched
from e2e_helpers import Running


def test_a_visitor_is_sent_to_sign_in_and_comes_back_to_the_page(browser: Any, demo: Running) -> None:
    password = (demo.data_dir / "admin-password").read_text(encoding="utf-8").strip()  # type: ignore[attr-defined]
    for lang, words in (("en-GB", "Sign in"), ("zh-CN", "登录")):
        context = browser.new_context(viewport={"width": 1024, "height": 768}, locale=lang)
        w = Watched(context.new_page(), demo.base)
        page = w.open("/floor")
        assert "/login?next=%2Ffloor" in page.url
        assert words in page.inner_text("body")
        w.shot(f"login-{lang[:2]}")
        assert w.axe() == []
        page.fill("input[name=password]", "not-the-password")
        page.fill("input[name=username]", "admin")
        page.click("button[type=submit]")
        assert "/login" in page.url  # refused, and it says so
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(demo.base + "/floor")
        page.wait_for_function("document.querySelectorAll('#lines .card').length === 6")
        context.close()
        # the wrong password's 401 (its console line may come late) is the one expected problem
        assert [p for p in w.problems if "HTTP 401" not in p and "status of 401" not in p] == []
        assert any("401" in p for p in w.problems)
