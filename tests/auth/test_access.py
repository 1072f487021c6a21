"""Every route of the app, for every caller: generated from ``app.routes`` and the policy table.

Anonymous: 401 (303 to the sign-in page for pages; public routes answer). Each role the rule does
not list: 403. One role it lists: neither 401 nor 403 (the handler ran, whatever it then said).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_helpers import FAST_HASHER, Client, app_with, assert_error, bearer
from fastapi import FastAPI

from seamline.auth import TOKEN_ROLES, Auth, LoginLimiter, Role, SqliteAuthStore, app_routes
from seamline.model.factory import Factory
from seamline.model.loader import load_factory
from seamline.web import create_app
from seamline.web.policy import RULES

_ROUTES = sorted(
    (method, spec.path)
    for spec in app_routes(create_app(load_factory(), None, None).routes)  # type: ignore[arg-type]
    if not spec.mount
    for method in spec.methods
)
_RULES = {(r.method, r.path): r for r in RULES}


def _concrete(path: str) -> str:
    """A request path for a template: every parameter a plausible value."""
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, factory: Factory
) -> Iterator[tuple[FastAPI, dict[Role, str]]]:
    tmp: Path = tmp_path_factory.mktemp("access")
    auth = Auth(SqliteAuthStore(tmp / "auth").open(), hasher=FAST_HASHER, limiter=LoginLimiter())
    tokens = {role: auth.create_token(f"t-{role}", role, created_by="test")[0] for role in TOKEN_ROLES}
    with app_with(auth, tmp, factory) as app:
        yield app, tokens
    auth.close()


def test_every_route_has_exactly_one_rule() -> None:
    assert _ROUTES, "no routes found"
    assert {k for k in _RULES if not _RULES[k].prefix} == set(_ROUTES)


@pytest.mark.parametrize(("method", "path"), _ROUTES, ids=[f"{m} {p}" for m, p in _ROUTES])
def test_route_access(world: tuple[FastAPI, dict[Role, str]], method: str, path: str) -> None:
    app, tokens = world
    rule = _RULES[(method, path)]
    client = Client(app)
    url = _concrete(path)
    anonymous = client.request(method, url)
    if rule.public:
        assert anonymous.status_code not in (401, 403), anonymous.text
        return
    if rule.page:
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
    else:
        assert_error(anonymous, 401, "not_authenticated")
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for role in TOKEN_ROLES:
        if role not in rule.roles:
            details = assert_error(
                client.request(method, url, headers=bearer(tokens[role])), 403, "forbidden"
            )
            assert details["role"] == role.value
    allowed = sorted(rule.roles)[0]
    answered = client.request(method, url, headers=bearer(tokens[allowed]))
    assert answered.status_code not in (401, 403), f"{allowed}: {answered.text}"


def test_static_assets_and_health_are_public(world: tuple[FastAPI, dict[Role, str]]) -> None:
    app, _ = world
    client = Client(app)
    assert client.get("/static/swagger-ui/swagger-ui.css").status_code == 200
    assert client.get("/healthz").json()["status"] == "ok"


def test_admin_token_reaches_every_api_route(world: tuple[FastAPI, dict[Role, str]]) -> None:
    """PRODUCT.md: the demo's admin token works on every API route."""
    for (method, path), rule in _RULES.items():
        if not rule.public and not rule.prefix and path.startswith("/api/"):
            assert Role.ADMIN in rule.roles, f"{method} {path}"


def test_unknown_routes_and_methods_never_reach_the_app(world: tuple[FastAPI, dict[Role, str]]) -> None:
    app, tokens = world
    client = Client(app)
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(
        client.request("DELETE", "/api/v1/factory", headers=bearer(tokens[Role.ADMIN])),
        405,
        "method_not_allowed",
    )


def test_a_bad_bearer_token_is_refused_not_ignored(world: tuple[FastAPI, dict[Role, str]]) -> None:
    app, _ = world
    client = Client(app)
    assert_error(client.get("/api/v1/factory", headers=bearer("sl_not-a-token")), 401, "invalid_token")
    r = client.get("/api/v1/factory", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert_error(r, 401, "invalid_token")
    assert client.get("/healthz", headers=bearer("sl_not-a-token")).status_code == 200
