"""Opening auth for a deployment, and the demo's ready-made admin.

``open_auth(store, data_dir)`` picks the backend the same way the platform picks its store: with
``--store postgresql://...`` the ``auth_*`` tables in that schema, else ``<data-dir>/auth.sqlite3``.

``seamline demo`` signs in out of the box: user ``admin`` with a generated password (shown once in
the banner, kept in ``<data-dir>/admin-password``), and an admin API token in
``<data-dir>/admin-token``; both files are readable by their owner only. A restart keeps the token
when it is still valid and writes a new one when it is not (revoked, expired, or another store).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from seamline.auth.errors import NotAuthenticatedError
from seamline.auth.postgres import PostgresAuthStore
from seamline.auth.roles import Role
from seamline.auth.service import Auth
from seamline.auth.sqlite import SqliteAuthStore
from seamline.auth.store import AuthStore

ADMIN_TOKEN_FILE: Final = "admin-token"  # noqa: S105  # file names, not secrets
ADMIN_PASSWORD_FILE: Final = "admin-password"  # noqa: S105  # (same)
DEMO_ADMIN: Final = "admin"
DEMO_TOKEN_NAME: Final = "demo admin token"  # noqa: S105  # a label
_POSTGRES: Final = ("postgresql://", "postgres://")


def auth_store_for(store: str | None, data_dir: Path) -> AuthStore:
    """The (unopened) auth store of a deployment: ``store`` is ``--store``, ``data_dir`` ``--data-dir``."""
    if store is not None and store.startswith(_POSTGRES):
        return PostgresAuthStore(store)
    return SqliteAuthStore(data_dir)


def open_auth(store: str | None, data_dir: Path, **options: Any) -> Auth:
    """The opened :class:`Auth` of a deployment (schema created on first use); close it after."""
    auth_store = auth_store_for(store, data_dir).open()
    try:
        return Auth(auth_store, **options)
    except BaseException:
        auth_store.close()
        raise


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, atomically (never half a secret)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    with contextlib.suppress(FileNotFoundError):
        part.unlink()
    fd = os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")
    part.replace(path)


def read_token_file(path: Path) -> str:
    return path.read_text().strip()


@dataclass(frozen=True, slots=True)
class DemoAdmin:
    user: str
    password: str | None  # set when made now: shown once
    password_file: Path
    token_file: Path
    token_renewed: bool


def ensure_demo_admin(auth: Auth, data_dir: Path) -> DemoAdmin:
    """The demo's admin user and a valid admin token in ``<data-dir>/admin-token``."""
    password_file = data_dir / ADMIN_PASSWORD_FILE
    token_file = data_dir / ADMIN_TOKEN_FILE
    password = None
    if not any(u.name == DEMO_ADMIN for u in auth.users()):
        password = secrets.token_urlsafe(12)
        auth.add_user(DEMO_ADMIN, Role.ADMIN, password)
        write_secret(password_file, password)
    renewed = False
    if not _valid_admin_token(auth, token_file):
        secret, _ = auth.create_token(DEMO_TOKEN_NAME, Role.ADMIN, created_by="seamline demo")
        write_secret(token_file, secret)
        renewed = True
    return DemoAdmin(DEMO_ADMIN, password, password_file, token_file, renewed)


def _valid_admin_token(auth: Auth, path: Path) -> bool:
    try:
        secret = read_token_file(path)
    except OSError:
        return False
    try:
        return bool(secret) and auth.token_principal(secret).role is Role.ADMIN
    except NotAuthenticatedError:
        return False
