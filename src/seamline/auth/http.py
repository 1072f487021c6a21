"""Auth's HTTP routes: sign in and out, who am I, and the admin's users and tokens.

``POST /login`` takes an HTML form (``username``, ``password``, ``next``; answers 303 to ``next``)
or JSON (``{"username", "password"}``; answers who signed in and the session's CSRF token). Either
way the session cookie is HttpOnly, SameSite=Lax, and Secure when the request came over https.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final
from urllib.parse import parse_qs

import orjson
from anyio import to_thread
from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from seamline.auth.errors import AuthError, InvalidFieldError
from seamline.auth.login_page import TEXT, login_html
from seamline.auth.middleware import SESSION_COOKIE, _cookie, principal_of
from seamline.auth.records import ApiToken, User
from seamline.auth.roles import DESCRIPTIONS, language_of
from seamline.auth.service import SESSION_MAX_MS
from seamline.errors import error_body
from seamline.timeutil import ms_to_iso

if TYPE_CHECKING:
    from seamline.auth.service import Auth

router = APIRouter(tags=["auth"])

MAX_LOGIN_BODY: Final = 16 * 1024


class AuthOffError(AuthError):
    status_code = 404
    reason = "auth_off"

    def __init__(self) -> None:
        super().__init__("this app runs without auth (in-process embedding): no users, sessions or tokens")


def _auth(request: Request) -> Auth:
    auth: Auth | None = request.app.state.auth
    if auth is None:
        raise AuthOffError
    return auth


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another one."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    lang = language_of(request.headers.get("accept-language"))
    return HTMLResponse(login_html(lang, next_url=_safe_next(next)))


@router.post(
    "/login",
    summary="Sign in (HTML form or JSON); sets the session cookie",
    responses={
        401: {"description": "wrong user name or password"},
        429: {"description": "too many attempts"},
    },
)
async def login(request: Request) -> Response:
    auth = _auth(request)
    body = await request.body()
    is_json = request.headers.get("content-type", "").startswith("application/json")
    lang = language_of(request.headers.get("accept-language"))
    if len(body) > MAX_LOGIN_BODY:
        return _login_error(InvalidFieldError("body", "too large for a sign-in"), is_json, lang, "/", "")
    fields = _login_fields(body, is_json)
    username, password = fields.get("username", ""), fields.get("password", "")
    next_url = _safe_next(fields.get("next"))
    if not username or not password:
        return _login_error(
            InvalidFieldError("username", "give username and password"), is_json, lang, next_url, username
        )
    address = request.client.host if request.client else "unknown"
    try:
        new = await to_thread.run_sync(lambda: auth.login(username, password, address))
    except AuthError as exc:
        return _login_error(exc, is_json, lang, next_url, username)
    secure = request.url.scheme == "https"
    response: Response
    if is_json:
        response = JSONResponse(
            {
                "name": new.user.name,
                "role": new.user.role.value,
                "lang": new.user.lang or lang,
                "csrf_token": new.session.csrf_token,
            }
        )
    else:
        response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        new.cookie,
        max_age=SESSION_MAX_MS // 1000,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    return response


def _login_fields(body: bytes, is_json: bool) -> dict[str, str]:
    if is_json:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items() if v}


def _login_error(exc: AuthError, is_json: bool, lang: str, next_url: str, username: str) -> Response:
    headers: dict[str, str] = {}
    retry = getattr(exc, "retry_after_s", None)
    if retry is not None:
        headers["Retry-After"] = str(retry)
    if is_json:
        return JSONResponse(
            error_body(exc.reason, exc.message, exc.details()), status_code=exc.status_code, headers=headers
        )
    t = TEXT.get(lang, TEXT["en"])
    message = t["throttled"].format(s=retry) if retry is not None else t["failed"]
    if exc.status_code not in (401, 429):
        message = exc.message
    html = login_html(lang, next_url=next_url, message=message, username=username)
    return HTMLResponse(html, status_code=exc.status_code, headers=headers)


@router.post("/logout", summary="Sign out: ends the session (needs its CSRF token)")
def logout(request: Request) -> Response:
    auth = _auth(request)
    cookie = _cookie(request.headers, SESSION_COOKIE)
    if cookie:
        auth.logout(cookie)
    wants_html = "text/html" in request.headers.get("accept", "") or request.headers.get(
        "content-type", ""
    ).startswith("application/x-www-form-urlencoded")
    response: Response = (
        RedirectResponse("/login", status_code=303) if wants_html else JSONResponse({"signed_out": True})
    )
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/api/v1/me", summary="Who is calling: name, role, kind, language, and a session's CSRF token")
def me(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    return {
        "name": p.name,
        "role": p.role.value,
        "kind": p.kind,
        "lang": p.lang,
        "csrf_token": p.csrf_token,
        "can": DESCRIPTIONS[p.role],
    }


class MeChange(BaseModel):
    lang: str | None = Field(description="en, zh, or null for the browser's language")


@router.patch("/api/v1/me", summary="Change the signed-in user's preferred language")
def change_me(request: Request, change: MeChange) -> dict[str, Any]:
    p = principal_of(request)
    if p.kind != "session":
        raise InvalidFieldError("lang", "only a signed-in user (a browser session) has a preferred language")
    _auth(request).set_lang(p.name, change.lang)
    return {"name": p.name, "lang": change.lang}


class NewUser(BaseModel):
    name: str
    role: str
    password: str
    lang: str | None = None


class NewToken(BaseModel):
    name: str
    role: str
    expires_days: float | None = Field(None, description="days until it expires; none: never")


def user_json(u: User) -> dict[str, Any]:
    return {
        "name": u.name,
        "role": u.role.value,
        "lang": u.lang,
        "created": ms_to_iso(u.created_ms),
        "password_changed": ms_to_iso(u.password_changed_ms),
    }


def token_json(t: ApiToken, now_ms: int) -> dict[str, Any]:
    def iso(ms: int | None) -> str | None:
        return None if ms is None else ms_to_iso(ms)

    return {
        "id": t.id,
        "name": t.name,
        "role": t.role.value,
        "created_by": t.created_by,
        "created": iso(t.created_ms),
        "expires": iso(t.expires_ms),
        "revoked": iso(t.revoked_ms),
        "last_used": iso(t.last_used_ms),
        "state": t.state(now_ms),
    }


@router.get("/api/v1/users", summary="The users (admin)")
def list_users(request: Request) -> list[dict[str, Any]]:
    return [user_json(u) for u in _auth(request).users()]


@router.post("/api/v1/users", status_code=201, summary="Add a user (admin)")
def add_user(request: Request, new: Annotated[NewUser, Body()]) -> dict[str, Any]:
    return user_json(_auth(request).add_user(new.name, new.role, new.password, lang=new.lang))


@router.delete("/api/v1/users/{name}", summary="Remove a user and end their sessions (admin)")
def remove_user(request: Request, name: str) -> dict[str, Any]:
    _auth(request).remove_user(name)
    return {"removed": name}


@router.get("/api/v1/tokens", summary="The API tokens, without their secrets (admin)")
def list_tokens(request: Request) -> list[dict[str, Any]]:
    auth = _auth(request)
    now = auth.clock()
    return [token_json(t, now) for t in auth.tokens()]


@router.post(
    "/api/v1/tokens", status_code=201, summary="Create an API token; its secret is shown only here (admin)"
)
def create_token(request: Request, new: Annotated[NewToken, Body()]) -> dict[str, Any]:
    auth = _auth(request)
    secret, token = auth.create_token(
        new.name, new.role, created_by=principal_of(request).name, expires_days=new.expires_days
    )
    return {"token": secret, **token_json(token, auth.clock())}


@router.delete("/api/v1/tokens/{token_id}", summary="Revoke an API token (admin)")
def revoke_token(request: Request, token_id: str) -> dict[str, Any]:
    auth = _auth(request)
    return token_json(auth.revoke_token(token_id), auth.clock())
