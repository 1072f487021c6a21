"""The planning board in the real Chromium against the demo: a proposal asked for, read and
approved; the plan in force drawn as bars per line, the same orders as the API; both languages;
accessibility."""

from __future__ import annotations

import httpx
from browser_helpers import Watched


def test_asking_for_a_proposal_and_approving_it_draws_the_plan(watched: Watched) -> None:
    page = watched.open("/plan?lang=en")
    page.wait_for_selector("#proposals .empty, #proposals article.proposal")
    page.click("#propose")
    card = "article.proposal[data-proposal='D-0001']"
    page.wait_for_selector(card, timeout=30_000)
    assert page.inner_text(f"{card} .state") == "proposed"
    explanation = page.inner_text(f"{card} .explanation")
    assert "Order " in explanation
    assert "The plan has" in explanation
    page.click(f"{card} button[data-act='whatif']")  # the twin runs the proposal for 24 hours
    page.wait_for_function(
        f"document.querySelector(\"{card} .whatif\").textContent.startsWith('Digital twin, 24 h: Output')",
        timeout=120_000,
    )
    assert "orders finished" in page.inner_text(f"{card} .whatif")
    watched.shot("plan-proposal-1920-en")
    page.click(f"{card} button[data-act='approve']")
    page.wait_for_selector(".gantt .job")
    assert page.inner_text(f"{card} .state") == "approved"
    plan = httpx.get(watched.base + "/api/v1/plan", timeout=10, headers=watched.headers).json()
    assert plan["decision"] == "D-0001"
    bars = page.eval_on_selector_all(".gantt .job", "bars => bars.map(b => b.dataset.order)")
    assert sorted(bars) == sorted(o["order"] for o in plan["orders"])
    lanes = page.eval_on_selector_all(".gantt .lane", "lanes => lanes.map(l => l.dataset.line)")
    assert lanes == sorted({o["line"] for o in plan["orders"]})
    late = page.eval_on_selector_all(".gantt .job.late", "bars => bars.map(b => b.dataset.order)")
    assert sorted(late) == sorted(o["order"] for o in plan["orders"] if o["tardiness_h"] > 0)
    watched.shot("plan-board-1920-en")
    assert watched.axe() == []
    page = watched.open("/plan?lang=zh")
    page.wait_for_selector(".gantt .job")
    assert page.inner_text("h1") == "计划看板"
    assert "已批准" in page.inner_text(f"{card} .state")
    watched.shot("plan-board-1920-zh")
    assert watched.axe() == []
    assert watched.problems == []
