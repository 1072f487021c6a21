"""Signing in and out in a browser: cookies, CSRF, rate limits, the sign-in page."""

from __future__ import annotations

import pytest
from auth_helpers import Client, Clock, assert_error, bearer
from fastapi import FastAPI

from seamline.auth import SESSION_COOKIE, Auth
from seamline.auth.middleware import KIOSK_COOKIE

PASSWORD = "stitch-in-time"  # noqa: S105  # a test account\'s


@pytest.fixture
def client(app: FastAPI, sqlite_auth: Auth) -> Client:
    sqlite_auth.add_user("ahmed", "supervisor", PASSWORD)
    return Client(app)


def _login(client: Client, password: str = PASSWORD, user: str = "ahmed") -> dict[str, str]:
    r = client.post("/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    body: dict[str, str] = r.json()
    return body


def test_form_login_sets_a_safe_cookie_and_goes_where_the_user_was_going(client: Client) -> None:
    page = client.get("/login?next=/lines/L01", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "登录" in page.text
    assert 'value="/lines/L01"' in page.text
    r = client.post("/login", data={"username": "ahmed", "password": PASSWORD, "next": "/lines/L01?x=1"})
    assert r.status_code == 303
    assert r.headers["location"] == "/lines/L01?x=1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http (a factory LAN without TLS): the browser would drop it
    me = client.get("/api/v1/me").json()
    assert (me["name"], me["role"], me["kind"]) == ("ahmed", "supervisor", "session")
    assert me["csrf_token"]


def test_over_https_the_cookie_is_secure(app: FastAPI, sqlite_auth: Auth) -> None:
    sqlite_auth.add_user("ahmed", "supervisor", PASSWORD)
    r = Client(app, secure=True).post("/login", data={"username": "ahmed", "password": PASSWORD})
    assert "Secure" in r.headers["set-cookie"]


def test_next_never_leads_off_the_site(client: Client) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = client.post("/login", data={"username": "ahmed", "password": PASSWORD, "next": target})
        assert r.headers["location"] == "/", target


def test_wrong_password_says_so_in_the_one_error_shape(client: Client) -> None:
    r = client.post("/login", json={"username": "ahmed", "password": "wrong-password"})
    assert_error(r, 401, "login_failed")
    r = client.post("/login", json={"username": "nobody", "password": "wrong-password"})
    assert_error(r, 401, "login_failed")  # the same answer: which of the two was wrong is not said
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
    form = client.post("/login", data={"username": "ahmed", "password": "wrong-password"})
    assert form.status_code == 401
    assert "Wrong user name or password." in form.text


def test_failures_per_user_name_are_limited(client: Client, clock: Clock) -> None:
    for _ in range(5):
        assert client.post("/login", json={"username": "ahmed", "password": "guess-1234"}).status_code == 401
    r = client.post("/login", json={"username": "ahmed", "password": PASSWORD})  # even the right one
    details = assert_error(r, 429, "too_many_attempts")
    assert details["scope"] == "user name"
    assert int(r.headers["retry-after"]) == details["retry_after_s"] > 0
    clock.advance(details["retry_after_s"])
    _login(client)


def test_attempts_per_client_address_are_limited(client: Client, sqlite_auth: Auth) -> None:
    for i in range(20):
        client.post("/login", json={"username": f"user{i}", "password": "guess-1234"})
    r = client.post("/login", json={"username": "ahmed", "password": PASSWORD})
    assert assert_error(r, 429, "too_many_attempts")["scope"] == "client address"
    form = client.post("/login", data={"username": "ahmed", "password": PASSWORD})
    assert form.status_code == 429
    assert "Too many attempts" in form.text


def test_a_cookie_write_needs_the_csrf_token(client: Client, sqlite_auth: Auth) -> None:
    csrf = _login(client)["csrf_token"]
    url = "/api/v1/production/downtime/d1/reason"
    assert_error(client.post(url, json={"reason": "needle"}), 403, "csrf")
    assert_error(client.post(url, json={"reason": "needle"}, headers={"X-CSRF-Token": "not-it"}), 403, "csrf")
    with_token = client.post(url, json={"reason": "needle"}, headers={"X-CSRF-Token": csrf})
    assert with_token.status_code not in (401, 403), with_token.text
    foreign = client.post(
        url, json={"reason": "needle"}, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    )
    assert_error(foreign, 403, "csrf")
    # an HTML form carries it as a field; the app still reads the whole body
    assert_error(client.post("/logout", data={"csrf_token": "wrong"}), 403, "csrf")
    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


def test_bearer_writes_need_no_csrf_token(client: Client, sqlite_auth: Auth) -> None:
    secret, _ = sqlite_auth.create_token("script", "admin", created_by="test")
    r = client.post(
        "/api/v1/users", json={"name": "li", "role": "viewer", "password": PASSWORD}, headers=bearer(secret)
    )
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "viewer"


def test_me_and_the_preferred_language(client: Client) -> None:
    csrf = _login(client)["csrf_token"]
    assert (
        client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"}).json()["lang"] == "zh"
    )  # the browser's
    r = client.request("PATCH", "/api/v1/me", json={"lang": "en"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"}).json()["lang"] == "en"  # the user's
    bad = client.request("PATCH", "/api/v1/me", json={"lang": "fr"}, headers={"X-CSRF-Token": csrf})
    assert_error(bad, 422, "invalid_field")


def test_admin_manages_tokens_over_the_api(client: Client, sqlite_auth: Auth) -> None:
    secret, _ = sqlite_auth.create_token("root", "admin", created_by="test")
    made = client.post(
        "/api/v1/tokens", json={"name": "wall", "role": "kiosk", "expires_days": 30}, headers=bearer(secret)
    )
    assert made.status_code == 201
    body = made.json()
    assert body["token"].startswith("sl_")
    assert (body["created_by"], body["state"]) == ("root", "active")
    assert client.get("/api/v1/factory", headers=bearer(body["token"])).status_code == 200
    listed = client.get("/api/v1/tokens", headers=bearer(secret)).json()
    assert all("token" not in t for t in listed)
    assert (
        client.request("DELETE", f"/api/v1/tokens/{body['id']}", headers=bearer(secret)).json()["state"]
        == "revoked"
    )
    assert_error(client.get("/api/v1/factory", headers=bearer(body["token"])), 401, "invalid_token")
    assert_error(
        client.post("/api/v1/tokens", json={"name": "x", "role": "god"}, headers=bearer(secret)),
        422,
        "unknown_role",
    )


def test_a_wall_screens_link_trades_its_kiosk_token_for_a_cookie(app: FastAPI, sqlite_auth: Auth) -> None:
    secret, _ = sqlite_auth.create_token("wall-1", "kiosk", created_by="admin")
    screen = Client(app)
    r = screen.get(f"/kiosk?views=/floor,/lines/L01&token={secret}&every=20")
    assert r.status_code == 303
    assert r.headers["location"] == "/kiosk?views=/floor,/lines/L01&every=20"  # the token leaves the URL
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{KIOSK_COOKIE}={secret}")
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert screen.get(r.headers["location"]).status_code == 200  # the cookie opens the page
    assert screen.get("/api/v1/me").json()["kind"] == "kiosk"
    assert_error(screen.post("/api/v1/orders", json={}), 403, "forbidden")  # read-only
    assert_error(screen.get("/api/v1/users"), 403, "forbidden")


def test_only_a_valid_kiosk_token_opens_a_page_from_a_link(app: FastAPI, sqlite_auth: Auth) -> None:
    viewer, _ = sqlite_auth.create_token("a script", "viewer", created_by="admin")
    assert_error(Client(app).get(f"/kiosk?token={viewer}"), 403, "forbidden")
    assert_error(Client(app).get("/kiosk?token=sl_made_up"), 401, "invalid_token")
    stolen = Client(app)
    stolen.cookies.set(KIOSK_COOKIE, viewer, domain="seamline.test")  # no other token rides a cookie
    assert_error(stolen.get("/api/v1/me"), 401, "invalid_token")


def test_a_kiosk_follows_the_floor_stream_but_not_a_line_boards(app: FastAPI, sqlite_auth: Auth) -> None:
    secret, _ = sqlite_auth.create_token("wall-2", "kiosk", created_by="admin")
    r = Client(app).get("/ui/live/line:L01", headers=bearer(secret))
    assert_error(r, 403, "forbidden")
    assert "floor" in r.json()["error"]["message"]
