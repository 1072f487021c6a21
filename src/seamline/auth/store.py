# ruff: noqa: S608  # SQL is assembled from constant column lists; every value is bound
"""Where users, API tokens and sessions live: one interface, two backends.

* :class:`~seamline.auth.sqlite.SqliteAuthStore`: ``<data-dir>/auth.sqlite3`` beside the embedded
  DuckDB store. SQLite in WAL mode lets ``seamline user add`` write while ``seamline serve`` runs
  (the DuckDB file is locked by the serving process; this one is not).
* :class:`~seamline.auth.postgres.PostgresAuthStore`: tables ``auth_*`` in the PostgreSQL schema
  of ``--store postgresql://...``.

Both speak the same SQL (``?`` placeholders, ``ON CONFLICT``), kept here once; a backend supplies
how to run a statement. The schema is versioned in ``auth_meta`` and created on first open.
Times are milliseconds since the epoch (UTC).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, Final, Self

from seamline.auth.errors import AuthStoreError, DuplicateUserError, UnknownTokenError, UnknownUserError
from seamline.auth.records import ApiToken, Session, User
from seamline.auth.roles import Role

SCHEMA_VERSION: Final = 1

SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS auth_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS auth_users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, lang TEXT,
        created_ms BIGINT NOT NULL, password_changed_ms BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS auth_tokens (
        id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
        created_by TEXT NOT NULL, created_ms BIGINT NOT NULL, expires_ms BIGINT, revoked_ms BIGINT,
        last_used_ms BIGINT)""",
    """CREATE TABLE IF NOT EXISTS auth_sessions (
        id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, csrf_token TEXT NOT NULL,
        created_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS auth_sessions_user ON auth_sessions (user_name)",
)

_USER_COLS: Final = "name, role, lang, created_ms, password_changed_ms"
# column names, not a secret
_TOKEN_COLS: Final = "id, name, role, created_by, created_ms, expires_ms, revoked_ms, last_used_ms"  # noqa: S105
_SESSION_COLS: Final = "id_hash, user_name, csrf_token, created_ms, last_seen_ms, expires_ms"

Row = tuple[Any, ...]


class AuthStore(abc.ABC):
    """Users, tokens and sessions; every method is one short transaction, safe from any thread."""

    where: str  # for messages: the file, or the server and schema

    # -- what a backend supplies
    @abc.abstractmethod
    def _open(self) -> None: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...

    @abc.abstractmethod
    def _change(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run a statement; the number of rows it changed."""

    @abc.abstractmethod
    def _create_schema(self, statements: Sequence[str]) -> None:
        """Run ``statements`` in one transaction (idempotent: ``IF NOT EXISTS``)."""

    # -- lifecycle
    def open(self) -> Self:
        """Connect, and create (or check) the versioned schema."""
        self._open()
        self._create_schema(SCHEMA)
        self._change(
            "INSERT INTO auth_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
            (str(SCHEMA_VERSION),),
        )
        (found,) = self._query("SELECT value FROM auth_meta WHERE key = 'schema_version'")[0]
        if int(found) != SCHEMA_VERSION:
            self.close()
            raise AuthStoreError(
                f"{self.where}: the users and tokens were kept by auth schema version {found}; this"
                f" Seamline reads version {SCHEMA_VERSION}. Run the Seamline that made them."
            )
        return self

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- users
    def add_user(self, user: User, password_hash: str) -> None:
        added = self._change(
            "INSERT INTO auth_users (name, role, password_hash, lang, created_ms, password_changed_ms)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (user.name, user.role.value, password_hash, user.lang, user.created_ms, user.password_changed_ms),
        )
        if not added:
            raise DuplicateUserError(user.name)

    def user(self, name: str) -> tuple[User, str] | None:
        """The user and its password hash."""
        rows = self._query(f"SELECT {_USER_COLS}, password_hash FROM auth_users WHERE name = ?", (name,))
        return (_user(rows[0][:5]), rows[0][5]) if rows else None

    def users(self) -> list[User]:
        return [_user(r) for r in self._query(f"SELECT {_USER_COLS} FROM auth_users ORDER BY name")]

    def set_password(self, name: str, password_hash: str, now_ms: int) -> None:
        changed = self._change(
            "UPDATE auth_users SET password_hash = ?, password_changed_ms = ? WHERE name = ?",
            (password_hash, now_ms, name),
        )
        if not changed:
            raise UnknownUserError(name)

    def rehash_password(self, name: str, password_hash: str) -> None:
        """Store a stronger hash of the same password (the hasher's parameters went up)."""
        self._change("UPDATE auth_users SET password_hash = ? WHERE name = ?", (password_hash, name))

    def set_lang(self, name: str, lang: str | None) -> None:
        if not self._change("UPDATE auth_users SET lang = ? WHERE name = ?", (lang, name)):
            raise UnknownUserError(name)

    def remove_user(self, name: str) -> None:
        self._change("DELETE FROM auth_sessions WHERE user_name = ?", (name,))
        if not self._change("DELETE FROM auth_users WHERE name = ?", (name,)):
            raise UnknownUserError(name)

    # -- API tokens
    def add_token(self, token: ApiToken, token_hash: str) -> None:
        self._change(
            f"INSERT INTO auth_tokens ({_TOKEN_COLS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                token.id,
                token.name,
                token.role.value,
                token.created_by,
                token.created_ms,
                token.expires_ms,
                token.revoked_ms,
                token.last_used_ms,
                token_hash,
            ),
        )

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        rows = self._query(f"SELECT {_TOKEN_COLS} FROM auth_tokens WHERE token_hash = ?", (token_hash,))
        return _token(rows[0]) if rows else None

    def token(self, token_id: str) -> ApiToken | None:
        rows = self._query(f"SELECT {_TOKEN_COLS} FROM auth_tokens WHERE id = ?", (token_id,))
        return _token(rows[0]) if rows else None

    def tokens(self) -> list[ApiToken]:
        return [
            _token(r) for r in self._query(f"SELECT {_TOKEN_COLS} FROM auth_tokens ORDER BY created_ms, id")
        ]

    def revoke_token(self, token_id: str, now_ms: int) -> ApiToken:
        self._change(
            "UPDATE auth_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL", (now_ms, token_id)
        )
        token = self.token(token_id)
        if token is None:
            raise UnknownTokenError(token_id)
        return token

    def touch_token(self, token_id: str, now_ms: int) -> None:
        self._change("UPDATE auth_tokens SET last_used_ms = ? WHERE id = ?", (now_ms, token_id))

    # -- sessions
    def add_session(self, session: Session) -> None:
        self._change(
            f"INSERT INTO auth_sessions ({_SESSION_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
            (
                session.id_hash,
                session.user,
                session.csrf_token,
                session.created_ms,
                session.last_seen_ms,
                session.expires_ms,
            ),
        )

    def session(self, id_hash: str) -> Session | None:
        rows = self._query(f"SELECT {_SESSION_COLS} FROM auth_sessions WHERE id_hash = ?", (id_hash,))
        return Session(*rows[0]) if rows else None

    def touch_session(self, id_hash: str, last_seen_ms: int, expires_ms: int) -> None:
        self._change(
            "UPDATE auth_sessions SET last_seen_ms = ?, expires_ms = ? WHERE id_hash = ?",
            (last_seen_ms, expires_ms, id_hash),
        )

    def delete_session(self, id_hash: str) -> None:
        self._change("DELETE FROM auth_sessions WHERE id_hash = ?", (id_hash,))

    def delete_sessions_of(self, user: str) -> int:
        return self._change("DELETE FROM auth_sessions WHERE user_name = ?", (user,))

    def delete_expired_sessions(self, now_ms: int) -> int:
        return self._change("DELETE FROM auth_sessions WHERE expires_ms <= ?", (now_ms,))


def _user(row: Row) -> User:
    name, role, lang, created_ms, changed_ms = row
    return User(name, Role(role), lang, int(created_ms), int(changed_ms))


def _token(row: Row) -> ApiToken:
    token_id, name, role, created_by, created_ms, expires_ms, revoked_ms, last_used_ms = row
    return ApiToken(token_id, name, Role(role), created_by, created_ms, expires_ms, revoked_ms, last_used_ms)
