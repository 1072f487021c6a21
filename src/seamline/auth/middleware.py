"""The one gate every request passes: who is calling, may they, and is a cookie write genuine.

An ASGI middleware (so it runs before routing, body parsing and dependencies):

1. the request's rule from the :class:`~seamline.auth.policy.Policy`; none: 404 (or 405);
2. the caller: ``Authorization: Bearer <token>`` (an API token), else the session cookie, else
   nobody. A bearer token that is unknown, revoked or expired is refused (401), never ignored;
3. nobody on a non-public rule: 401 (``WWW-Authenticate: Bearer``), or for a page a 303 to
   ``/login?next=<where they were going>``; a role the rule does not list: 403;
4. a write (not GET/HEAD/OPTIONS) on a session cookie must carry the session's CSRF token, in
   ``X-CSRF-Token`` or, for an HTML form, the ``csrf_token`` field, and must not come from another
   origin. Bearer-token requests carry no ambient credentials and need neither.

The caller is put on ``request.state.principal`` (:class:`~seamline.auth.records.Principal`).
Errors use the one JSON error shape. Store lookups run in a worker thread, off the event loop.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, quote, urlsplit

from anyio import to_thread
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seamline.auth.errors import AuthError, CsrfError, ForbiddenError, NotAuthenticatedError
from seamline.auth.policy import Policy, Rule
from seamline.auth.records import LOCAL_PRINCIPAL, Principal
from seamline.auth.service import csrf_matches
from seamline.errors import error_body

if TYPE_CHECKING:
    from seamline.auth.service import Auth

log = logging.getLogger(__name__)

SESSION_COOKIE: Final = "seamline_session"
# A wall screen's link carries its kiosk token once (``/kiosk?token=...``); the gate trades it for
# this cookie and sends the screen on without the token, so that the pages' own requests (assets,
# live streams, the playlist's frames) carry it and the address bar does not.
KIOSK_COOKIE: Final = "seamline_kiosk"
KIOSK_COOKIE_AGE_S: Final = 400 * 24 * 3600
CSRF_HEADER: Final = "x-csrf-token"
CSRF_FIELD: Final = "csrf_token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES: Final = 64 * 1024  # a form body read here to find its CSRF field


def principal_of(request: Any) -> Principal:
    """The caller of ``request`` (a Starlette request); in an app without auth, the local admin."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal if principal is not None else LOCAL_PRINCIPAL


def csrf_token(request: Any) -> str | None:
    """The CSRF token a page puts in its forms (``csrf_token`` field) or scripts send in
    ``X-CSRF-Token``; None for callers that need none (tokens, an app without auth)."""
    return principal_of(request).csrf_token


class AuthMiddleware:
    """``AuthMiddleware(app, policy=..., auth=...)``; with ``auth=None`` every caller is the local
    admin (in-process embedding and tests), but the policy still decides what exists."""

    def __init__(self, app: ASGIApp, *, policy: Policy, auth: Auth | None) -> None:
        self.app = app
        self.policy = policy
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websocket routes exist; refuse rather than pass unchecked
            await send({"type": "websocket.close", "code": 1008})
            return
        method: str = scope["method"]
        path: str = scope["path"]
        rule = self.policy.rule(method, path)
        if rule is None:
            status, reason, what = (
                (405, "method_not_allowed", f"{method} is not allowed on {path}")
                if self.policy.path_known(path)
                else (404, "not_found", f"no route {path}")
            )
            await JSONResponse(error_body(reason, what), status_code=status)(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if self.auth is None:
            state["principal"] = LOCAL_PRINCIPAL
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        admitted = await self._admit(scope, receive, rule, headers)
        if isinstance(admitted, Response):
            await admitted(scope, receive, send)
            return
        state["principal"], receive = admitted
        await self.app(scope, receive, send)

    async def _admit(
        self, scope: Scope, receive: Receive, rule: Rule, headers: Headers
    ) -> Response | tuple[Principal | None, Receive]:
        """The caller and the ``receive`` to go on with, or the answer that stops the request here."""
        method: str = scope["method"]
        path: str = scope["path"]
        if rule.page and method == "GET" and b"token=" in scope.get("query_string", b""):
            return await self._kiosk_link(scope, headers)
        try:
            if rule.public:  # who is calling matters only to say so (the sign-in page), never to refuse
                try:
                    principal = await self._principal(headers)
                except AuthError:
                    principal = None
            else:
                principal = await self._principal(headers)
            if principal is None and not rule.public:
                if rule.page:
                    return _to_login(scope)
                raise NotAuthenticatedError(
                    f"{method} {path} needs credentials: an 'Authorization: Bearer <token>' header"
                    " (seamline token create) or a signed-in session (/login)"
                )
            if principal is not None and not rule.public and not rule.allows(principal.role):
                raise ForbiddenError(
                    f"the role {principal.role.value!r} may not {method} {rule.path}",
                    role=principal.role.value,
                    allowed=sorted(r.value for r in rule.roles),
                )
            # a public write (signing in) acts with no session's authority: nothing to forge
            if (
                principal is not None
                and principal.kind == "session"
                and method not in SAFE_METHODS
                and not rule.public
            ):
                receive = await self._check_csrf(scope, receive, headers, principal)
        except AuthError as exc:
            return _error(exc)
        return principal, receive

    async def _principal(self, headers: Headers) -> Principal | None:
        assert self.auth is not None
        auth = self.auth
        language = headers.get("accept-language")
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            secret = credentials.strip()
            return await to_thread.run_sync(lambda: auth.token_principal(secret, language))
        if scheme:
            raise NotAuthenticatedError(
                f"the Authorization scheme {scheme!r} is not accepted; send 'Authorization: Bearer <token>'",
                reason="invalid_token",
            )
        cookie = _cookie(headers, SESSION_COOKIE)
        if cookie:
            return await to_thread.run_sync(lambda: auth.session_principal(cookie, language))
        kiosk = _cookie(headers, KIOSK_COOKIE)
        if kiosk:
            principal = await to_thread.run_sync(lambda: auth.token_principal(kiosk, language))
            if principal.kind != "kiosk":  # only a kiosk token may ride in a cookie
                raise NotAuthenticatedError(
                    "the wall screen's cookie holds no kiosk token", reason="invalid_token"
                )
            return principal
        return None

    async def _kiosk_link(self, scope: Scope, headers: Headers) -> Response:
        """A page opened with ``?token=`` (a wall screen's link): a kiosk token becomes the
        screen's cookie and the page is opened again without it; anything else is refused."""
        assert self.auth is not None
        auth = self.auth
        query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        secret = next(iter(query.pop("token", [])), "")
        try:
            principal = await to_thread.run_sync(
                lambda: auth.token_principal(secret, headers.get("accept-language"))
            )
            if principal.kind != "kiosk":
                raise ForbiddenError(
                    "only a kiosk token may open a page from a link (seamline token create --role kiosk)",
                    role=principal.role.value,
                    allowed=["kiosk"],
                )
        except AuthError as exc:
            return _error(exc)
        rest = "&".join(f"{quote(k, safe='')}={quote(v, safe='/,:')}" for k, vs in query.items() for v in vs)
        response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), status_code=303)
        response.set_cookie(
            KIOSK_COOKIE,
            secret,
            max_age=KIOSK_COOKIE_AGE_S,
            path="/",
            httponly=True,
            samesite="strict",
            secure=scope.get("scheme") == "https",
        )
        return response

    async def _check_csrf(
        self, scope: Scope, receive: Receive, headers: Headers, principal: Principal
    ) -> Receive:
        origin = headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host"):
            raise CsrfError(f"a signed-in write from another origin ({origin}) is refused")
        given = headers.get(CSRF_HEADER)
        if given is None and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body, receive = await _buffer_body(receive)
            fields = parse_qs(body.decode("latin-1"), keep_blank_values=True)
            given = next(iter(fields.get(CSRF_FIELD, [])), None)
        if not csrf_matches(principal.csrf_token, given):
            raise CsrfError(
                "this write needs the session's CSRF token in the X-CSRF-Token header or the"
                " csrf_token form field (GET /api/v1/me gives it)"
            )
        return receive


def _cookie(headers: Headers, name: str) -> str | None:
    for header in headers.getlist("cookie"):
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name and value:
                return value
    return None


def _to_login(scope: Scope) -> Response:
    target = scope["path"] + (
        ("?" + scope["query_string"].decode("latin-1")) if scope.get("query_string") else ""
    )
    return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)


def _error(exc: AuthError) -> Response:
    headers: dict[str, str] = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="seamline"'
    retry = getattr(exc, "retry_after_s", None)
    if retry is not None:
        headers["Retry-After"] = str(retry)
    return JSONResponse(
        error_body(exc.reason, exc.message, exc.details()), status_code=exc.status_code, headers=headers
    )


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole (small) body, and a ``receive`` that plays it again to the app."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise CsrfError(f"a form body over {MAX_FORM_BYTES} bytes; send X-CSRF-Token instead")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
