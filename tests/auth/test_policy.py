"""The policy's guarantees: no route without a rule, pages send anonymous visitors to sign in."""

from __future__ import annotations

from pathlib import Path

import pytest
from auth_helpers import FAST_HASHER, Client, assert_error, bearer
from fastapi import FastAPI, Request

from seamline.auth import (
    Auth,
    AuthMiddleware,
    Policy,
    PolicyError,
    Role,
    SqliteAuthStore,
    api,
    page,
    principal_of,
    public,
)
from seamline.model.factory import Factory
from seamline.web import app as web_app
from seamline.web import create_app
from seamline.web.policy import READERS, RULES


def test_create_app_refuses_a_route_without_a_rule(monkeypatch: pytest.MonkeyPatch, factory: Factory) -> None:
    monkeypatch.setattr(web_app, "RULES", tuple(r for r in RULES if r.path != "/api/v1/lines/{line_id}/wip"))
    with pytest.raises(
        PolicyError, match=r"routes without an access rule: GET /api/v1/lines/\{line_id\}/wip"
    ):
        create_app(factory, None, None)  # type: ignore[arg-type]


def test_create_app_refuses_a_rule_without_a_route(monkeypatch: pytest.MonkeyPatch, factory: Factory) -> None:
    monkeypatch.setattr(web_app, "RULES", (*RULES, api("GET", "/api/v1/gone", READERS)))
    with pytest.raises(PolicyError, match="routes the app does not have: GET /api/v1/gone"):
        create_app(factory, None, None)  # type: ignore[arg-type]


def test_overlapping_rules_must_agree() -> None:
    with pytest.raises(PolicyError, match="can match the same request"):
        Policy([api("GET", "/api/v1/x/{a}", READERS), api("GET", "/api/v1/x/special", Role.ADMIN)])
    with pytest.raises(PolicyError, match="two rules"):
        Policy([api("GET", "/a", READERS), api("GET", "/a", Role.ADMIN)])


def _pages_app(tmp_path: Path) -> tuple[FastAPI, Auth]:
    """A small app of pages behind the same gate, as the web pages will use it."""
    auth = Auth(SqliteAuthStore(tmp_path / "auth").open(), hasher=FAST_HASHER)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/board")
    def board(request: Request) -> dict[str, str]:
        p = principal_of(request)
        return {"name": p.name, "kind": p.kind, "lang": p.lang}

    @app.get("/login")
    def login() -> str:
        return "sign in"

    policy = Policy([page("/board", READERS, Role.KIOSK), public("GET", "/login")])
    policy.check(app.routes)
    app.add_middleware(AuthMiddleware, policy=policy, auth=auth)
    return app, auth


def test_anonymous_page_visits_go_to_the_sign_in_page(tmp_path: Path) -> None:
    app, auth = _pages_app(tmp_path)
    client = Client(app)
    r = client.get("/board?line=L01")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fboard%3Fline%3DL01"
    kiosk, _ = auth.create_token("wall", "kiosk", created_by="test")
    seen = client.get("/board", headers={**bearer(kiosk), "Accept-Language": "zh-CN"}).json()
    assert seen == {"name": "wall", "kind": "kiosk", "lang": "zh"}
    ingest, _ = auth.create_token("gw", "ingest", created_by="test")
    assert_error(client.get("/board", headers=bearer(ingest)), 403, "forbidden")
    auth.close()


def test_an_app_without_auth_serves_everyone_as_the_local_admin(factory: Factory, tmp_path: Path) -> None:
    from auth_helpers import app_with  # noqa: PLC0415

    with app_with(None, tmp_path, factory) as app:
        me = Client(app).get("/api/v1/me").json()
    assert (me["name"], me["role"], me["kind"]) == ("local", "admin", "local")
