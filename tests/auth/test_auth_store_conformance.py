"""What every auth store does, run against both: SQLite beside DuckDB and PostgreSQL's schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import psycopg
import pytest
from auth_helpers import FAST_HASHER, POSTGRES_URL, Clock

from seamline.auth import (
    SCHEMA_VERSION,
    Auth,
    AuthStore,
    AuthStoreError,
    DuplicateUserError,
    InvalidFieldError,
    LoginFailedError,
    NotAuthenticatedError,
    PostgresAuthStore,
    Role,
    SqliteAuthStore,
    UnknownRoleError,
    UnknownTokenError,
    UnknownUserError,
)

PASSWORD = "correct horse battery"  # noqa: S105  # a test account\'s


def _raw_hashes(store: AuthStore) -> list[str]:
    """The password column as stored, read around the store's own API."""
    if isinstance(store, SqliteAuthStore):
        with sqlite3.connect(store.path) as con:
            return [r[0] for r in con.execute("SELECT password_hash FROM auth_users")]
    assert isinstance(store, PostgresAuthStore)
    with psycopg.connect(POSTGRES_URL) as con:
        rows = con.execute(f'SELECT password_hash FROM "{store.schema}".auth_users').fetchall()  # noqa: S608
        return [r[0] for r in rows]


def test_users_are_added_listed_and_kept_with_an_argon2_hash_only(
    auth: Auth, make_store: Callable[[], AuthStore]
) -> None:
    auth.add_user("mei", "quality", PASSWORD, lang="zh")
    auth.add_user("ahmed", Role.SUPERVISOR, PASSWORD)
    again = Auth(make_store(), hasher=FAST_HASHER)  # another process on the same store
    assert [(u.name, u.role, u.lang) for u in again.users()] == [
        ("ahmed", Role.SUPERVISOR, None),
        ("mei", Role.QUALITY, "zh"),
    ]
    hashes = _raw_hashes(auth.store)
    assert len(hashes) == 2
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]  # salted
    assert again.verify_password("mei", PASSWORD).role is Role.QUALITY


def test_bad_users_get_clear_errors(auth: Auth) -> None:
    auth.add_user("mei", "quality", PASSWORD)
    with pytest.raises(DuplicateUserError, match="exists already"):
        auth.add_user("mei", "viewer", PASSWORD)
    with pytest.raises(UnknownRoleError, match="'wizard' is not a role; use one of: viewer"):
        auth.add_user("li", "wizard", PASSWORD)
    with pytest.raises(UnknownRoleError, match="for API tokens only"):
        auth.add_user("screen", "kiosk", PASSWORD)
    with pytest.raises(InvalidFieldError, match="at least 8 characters"):
        auth.add_user("li", "viewer", "short")
    with pytest.raises(InvalidFieldError, match="name"):
        auth.add_user("li wang", "viewer", PASSWORD)
    with pytest.raises(InvalidFieldError, match="lang"):
        auth.add_user("li", "viewer", PASSWORD, lang="fr")
    with pytest.raises(UnknownUserError):
        auth.remove_user("nobody")
    with pytest.raises(UnknownUserError):
        auth.set_password("nobody", PASSWORD)


def test_password_change_and_removal(auth: Auth) -> None:
    auth.add_user("mei", "quality", PASSWORD)
    session = auth.login("mei", PASSWORD, "10.0.0.1")
    assert auth.session_principal(session.cookie) is not None
    auth.set_password("mei", "a new password")
    assert auth.session_principal(session.cookie) is None  # sessions end with the old password
    with pytest.raises(LoginFailedError):
        auth.verify_password("mei", PASSWORD)
    assert auth.verify_password("mei", "a new password").name == "mei"
    again = auth.login("mei", "a new password", "10.0.0.1")
    auth.remove_user("mei")
    assert auth.session_principal(again.cookie) is None
    assert auth.users() == []


def test_tokens_are_random_hashed_and_found_by_their_secret(auth: Auth, clock: Clock) -> None:
    secret, token = auth.create_token("wall-1", "kiosk", created_by="admin")
    other, _ = auth.create_token("gateway", "ingest", created_by="admin", expires_days=1)
    assert secret.startswith("sl_")
    assert len(secret) >= 3 + 43  # 256 bits in base64url
    assert secret != other
    principal = auth.token_principal(secret, "zh-CN,zh;q=0.9")
    assert (principal.name, principal.role, principal.kind, principal.lang) == (
        "wall-1",
        Role.KIOSK,
        "kiosk",
        "zh",
    )
    listed = {t.id: t for t in auth.tokens()}
    assert listed[token.id].last_used_ms == clock.ms
    assert listed[token.id].created_by == "admin"
    with pytest.raises(NotAuthenticatedError, match="unknown or revoked"):
        auth.token_principal(secret + "x")
    assert auth.token_principal(other).kind == "token"


def test_token_expiry_and_revocation(auth: Auth, clock: Clock) -> None:
    secret, token = auth.create_token("script", "viewer", created_by="cli", expires_days=2)
    clock.advance(2 * 86400 - 1)
    assert auth.token_principal(secret).role is Role.VIEWER
    clock.advance(1)
    with pytest.raises(NotAuthenticatedError, match="has expired") as expired:
        auth.token_principal(secret)
    assert expired.value.reason == "token_expired"
    kept, kept_token = auth.create_token("kept", "admin", created_by="cli")
    revoked = auth.revoke_token(kept_token.id)
    assert revoked.revoked_ms == clock.ms
    assert revoked.state(clock.ms) == "revoked"
    with pytest.raises(NotAuthenticatedError, match="unknown or revoked"):
        auth.token_principal(kept)
    with pytest.raises(UnknownTokenError, match="no API token with id 'nope'"):
        auth.revoke_token("nope")
    with pytest.raises(UnknownRoleError):
        auth.create_token("x", "root", created_by="cli")
    with pytest.raises(InvalidFieldError):
        auth.create_token("x", "viewer", created_by="cli", expires_days=0)
    assert {t.state(clock.ms) for t in auth.tokens()} == {"expired", "revoked"}
    assert token.id in {t.id for t in auth.tokens()}


def test_sessions_expire_when_idle_and_end_at_logout(auth: Auth, clock: Clock) -> None:
    auth.add_user("ana", "planner", PASSWORD, lang="en")
    new = auth.login("ana", PASSWORD, "10.0.0.2")
    principal = auth.session_principal(new.cookie, "zh")
    assert principal is not None
    assert (principal.name, principal.role, principal.kind, principal.lang) == (
        "ana",
        Role.PLANNER,
        "session",
        "en",
    )
    assert principal.csrf_token == new.session.csrf_token
    assert auth.store.session(new.session.id_hash) is not None
    assert new.cookie not in new.session.id_hash  # only the hash is kept
    clock.advance(11 * 3600)
    assert auth.session_principal(new.cookie) is not None  # and this refreshes the idle limit
    clock.advance(11 * 3600)
    assert auth.session_principal(new.cookie) is not None
    clock.advance(12 * 3600 + 1)
    assert auth.session_principal(new.cookie) is None
    other = auth.login("ana", PASSWORD, "10.0.0.2")
    auth.logout(other.cookie)
    assert auth.session_principal(other.cookie) is None


def test_schema_is_versioned_and_created_once(make_store: Callable[[], AuthStore]) -> None:
    first = make_store()
    second = make_store()  # opening again finds the schema, does not recreate or fail
    assert first._query("SELECT value FROM auth_meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    first._change("UPDATE auth_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(AuthStoreError, match="auth schema version 99"):
        make_store()
    second.close()
