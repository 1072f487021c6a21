"""Accounts, API tokens and sessions over an :class:`~seamline.auth.store.AuthStore`.

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 parameters) and rehashed on sign-in when
the parameters go up. API tokens and session ids are 256-bit random strings (``secrets``); only
their SHA-256 is stored, which is enough for secrets of that entropy (no stretching needed) and
lets a lookup be one indexed query.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from seamline.auth.errors import InvalidFieldError, LoginFailedError, NotAuthenticatedError, UnknownUserError
from seamline.auth.ratelimit import LoginLimiter
from seamline.auth.records import ApiToken, Principal, Session, User
from seamline.auth.roles import LANGUAGES, Role, language_of, parse_role
from seamline.auth.store import AuthStore
from seamline.timeutil import now_ms

# not a secret: the prefix lets secret scanners and people recognise a Seamline token
TOKEN_PREFIX: Final = "sl_"  # noqa: S105
TOKEN_BYTES: Final = 32  # 256 bits
SESSION_IDLE_MS: Final = 12 * 3600 * 1000  # a shift and then some: a tablet at the line stays in
SESSION_MAX_MS: Final = 7 * 24 * 3600 * 1000  # and signs in again once a week whatever happens
TOUCH_EVERY_MS: Final = 60_000  # last-used and session refresh written at most once a minute
MIN_PASSWORD_CHARS: Final = 8
_USER_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewSession:
    cookie: str  # the secret the browser holds
    session: Session
    user: User


class Auth:
    """Users, tokens and sessions for one deployment; what ``create_app(..., auth=...)`` takes.

    ``hasher`` defaults to argon2-cffi's RFC 9106 low-memory profile; tests pass a cheaper one.
    The caller owns ``store``'s lifecycle (``close()`` closes it too).
    """

    def __init__(
        self,
        store: AuthStore,
        *,
        hasher: PasswordHasher | None = None,
        limiter: LoginLimiter | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.store = store
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        self.limiter = limiter or LoginLimiter(clock=clock)
        # verified against when the user does not exist, so that both answers take as long;
        # made on first need (a CLI command that signs nobody in never pays for it)
        self._dummy_hash: str | None = None

    def close(self) -> None:
        self.store.close()

    # -- users
    def add_user(self, name: str, role: str, password: str, *, lang: str | None = None) -> User:
        check_user_name(name)
        check_password(password)
        now = self.clock()
        user = User(name, parse_role(role, for_token=False), check_lang(lang), now, now)
        self.store.add_user(user, self.hasher.hash(password))
        return user

    def users(self) -> list[User]:
        return self.store.users()

    def user(self, name: str) -> User:
        found = self.store.user(name)
        if found is None:
            raise UnknownUserError(name)
        return found[0]

    def set_password(self, name: str, password: str) -> None:
        """A new password; the user's sessions end (signed in elsewhere with the old one)."""
        check_password(password)
        self.store.set_password(name, self.hasher.hash(password), self.clock())
        self.store.delete_sessions_of(name)

    def set_lang(self, name: str, lang: str | None) -> None:
        self.store.set_lang(name, check_lang(lang))

    def remove_user(self, name: str) -> None:
        self.store.remove_user(name)

    def verify_password(self, name: str, password: str) -> User:
        found = self.store.user(name)
        if found is None:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
            self._verify(self._dummy_hash, password)
            raise LoginFailedError
        user, stored = found
        if not self._verify(stored, password):
            raise LoginFailedError
        if self.hasher.check_needs_rehash(stored):
            self.store.rehash_password(name, self.hasher.hash(password))
        return user

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    # -- API tokens
    def create_token(
        self, name: str, role: str, *, created_by: str, expires_days: float | None = None
    ) -> tuple[str, ApiToken]:
        """A new token: the secret (shown once, never stored) and its record."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidFieldError(
                "name", "give the token a name of 1 to 100 characters, e.g. 'wall-screen-1'"
            )
        if expires_days is not None and expires_days <= 0:
            raise InvalidFieldError("expires_days", "must be more than 0 days (or none: never expires)")
        now = self.clock()
        expires = None if expires_days is None else now + round(expires_days * 86_400_000)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        token = ApiToken(
            id=secrets.token_hex(6),
            name=name,
            role=parse_role(role, for_token=True),
            created_by=created_by,
            created_ms=now,
            expires_ms=expires,
        )
        self.store.add_token(token, sha256(secret))
        return secret, token

    def tokens(self) -> list[ApiToken]:
        return self.store.tokens()

    def revoke_token(self, token_id: str) -> ApiToken:
        return self.store.revoke_token(token_id, self.clock())

    def token_principal(self, secret: str, accept_language: str | None = None) -> Principal:
        """Who holds the bearer token ``secret``; 401 when it is unknown, revoked or expired."""
        token = self.store.token_by_hash(sha256(secret))
        now = self.clock()
        if token is None or token.revoked_ms is not None:
            raise NotAuthenticatedError("unknown or revoked API token", reason="invalid_token")
        if token.expires_ms is not None and now >= token.expires_ms:
            raise NotAuthenticatedError(
                f"the API token {token.name!r} (id {token.id}) has expired; create a new one",
                reason="token_expired",
            )
        if token.last_used_ms is None or now - token.last_used_ms >= TOUCH_EVERY_MS:
            self.store.touch_token(token.id, now)
        lang = language_of(accept_language)
        if token.role is Role.KIOSK:
            return Principal(token.name, token.role, "kiosk", lang, token_id=token.id)
        return Principal(token.name, token.role, "token", lang, token_id=token.id)

    # -- browser sessions
    def login(self, name: str, password: str, address: str) -> NewSession:
        """Check the password (rate limited) and start a session."""
        self.limiter.check(name, address)
        try:
            user = self.verify_password(name, password)
        except LoginFailedError:
            self.limiter.failed(name)
            raise
        self.limiter.succeeded(name)
        now = self.clock()
        cookie = secrets.token_urlsafe(TOKEN_BYTES)
        session = Session(
            id_hash=sha256(cookie),
            user=user.name,
            csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
            created_ms=now,
            last_seen_ms=now,
            expires_ms=min(now + SESSION_IDLE_MS, now + SESSION_MAX_MS),
        )
        self.store.delete_expired_sessions(now)
        self.store.add_session(session)
        return NewSession(cookie, session, user)

    def session_principal(self, cookie: str, accept_language: str | None = None) -> Principal | None:
        """Who holds the session cookie, or None for an unknown or expired session."""
        id_hash = sha256(cookie)
        session = self.store.session(id_hash)
        now = self.clock()
        if session is None:
            return None
        if now >= session.expires_ms:
            self.store.delete_session(id_hash)
            return None
        found = self.store.user(session.user)
        if found is None:
            return None
        user = found[0]
        if now - session.last_seen_ms >= TOUCH_EVERY_MS:
            expires = min(now + SESSION_IDLE_MS, session.created_ms + SESSION_MAX_MS)
            self.store.touch_session(id_hash, now, expires)
        lang = user.lang or language_of(accept_language)
        return Principal(user.name, user.role, "session", lang, csrf_token=session.csrf_token)

    def logout(self, cookie: str) -> None:
        self.store.delete_session(sha256(cookie))


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return expected is not None and given is not None and hmac.compare_digest(expected, given)


def check_user_name(name: str) -> None:
    if not _USER_NAME.fullmatch(name):
        raise InvalidFieldError(
            "name",
            f"{name!r}: use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
        )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidFieldError("password", f"use at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > 1024:
        raise InvalidFieldError("password", "use at most 1024 characters")


def check_lang(lang: str | None) -> str | None:
    if lang is None or lang == "":
        return None
    if lang not in LANGUAGES:
        raise InvalidFieldError(
            "lang", f"{lang!r}: use one of {', '.join(LANGUAGES)} (or none: the browser's)"
        )
    return lang
