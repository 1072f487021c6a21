"""What auth keeps: users, API tokens and browser sessions; and who is calling (the principal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from seamline.auth.roles import Role

PrincipalKind = Literal["session", "token", "kiosk", "local"]


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    lang: str | None  # None: the browser's language
    created_ms: int
    password_changed_ms: int


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token as stored: its secret is never kept, only its SHA-256."""

    id: str
    name: str
    role: Role
    created_by: str
    created_ms: int
    expires_ms: int | None = None
    revoked_ms: int | None = None
    last_used_ms: int | None = None

    def state(self, now_ms: int) -> str:
        if self.revoked_ms is not None:
            return "revoked"
        if self.expires_ms is not None and now_ms >= self.expires_ms:
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class Session:
    """A browser session; the cookie holds a random id of which only the SHA-256 is kept."""

    id_hash: str
    user: str
    csrf_token: str
    created_ms: int
    last_seen_ms: int
    expires_ms: int


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request comes from, on ``request.state.principal``.

    ``kind`` is ``session`` (a signed-in browser), ``token`` (an API token), ``kiosk`` (a wall
    screen's token) or ``local`` (an app built without auth, for in-process embedding and tests).
    ``csrf_token`` is set for sessions only: pages put it in their forms or ``X-CSRF-Token``.
    """

    name: str
    role: Role
    kind: PrincipalKind
    lang: str
    csrf_token: str | None = None
    token_id: str | None = None


LOCAL_PRINCIPAL = Principal(name="local", role=Role.ADMIN, kind="local", lang="en")
