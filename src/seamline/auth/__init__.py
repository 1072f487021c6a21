"""Users, roles, browser sessions and API tokens: who may call what.

* :mod:`~seamline.auth.roles`: the roles; :mod:`~seamline.auth.policy`: rules and their check
  (the table itself is :mod:`seamline.web.policy`); :mod:`~seamline.auth.middleware`: the gate.
* :class:`Auth` (:mod:`~seamline.auth.service`): accounts (Argon2id), tokens and sessions over an
  :class:`AuthStore` (SQLite beside DuckDB, or tables in the PostgreSQL schema).
* For pages: :func:`principal_of` (``request.state.principal``) and :func:`csrf_token`.
"""

from seamline.auth.errors import (
    AuthError,
    AuthStoreError,
    CsrfError,
    DuplicateUserError,
    ForbiddenError,
    InvalidFieldError,
    LoginFailedError,
    NotAuthenticatedError,
    TooManyAttemptsError,
    UnknownRoleError,
    UnknownTokenError,
    UnknownUserError,
)
from seamline.auth.middleware import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    AuthMiddleware,
    csrf_token,
    principal_of,
)
from seamline.auth.policy import Policy, PolicyError, Rule, api, app_routes, page, public, public_prefix
from seamline.auth.postgres import PostgresAuthStore
from seamline.auth.ratelimit import LoginLimiter
from seamline.auth.records import LOCAL_PRINCIPAL, ApiToken, Principal, Session, User
from seamline.auth.roles import DESCRIPTIONS, TOKEN_ROLES, USER_ROLES, Role, language_of, parse_role
from seamline.auth.service import Auth
from seamline.auth.setup import (
    ADMIN_PASSWORD_FILE,
    ADMIN_TOKEN_FILE,
    DemoAdmin,
    auth_store_for,
    ensure_demo_admin,
    open_auth,
    read_token_file,
    write_secret,
)
from seamline.auth.sqlite import SqliteAuthStore
from seamline.auth.store import SCHEMA_VERSION, AuthStore

__all__ = [
    "ADMIN_PASSWORD_FILE",
    "ADMIN_TOKEN_FILE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "DESCRIPTIONS",
    "LOCAL_PRINCIPAL",
    "SCHEMA_VERSION",
    "SESSION_COOKIE",
    "TOKEN_ROLES",
    "USER_ROLES",
    "ApiToken",
    "Auth",
    "AuthError",
    "AuthMiddleware",
    "AuthStore",
    "AuthStoreError",
    "CsrfError",
    "DemoAdmin",
    "DuplicateUserError",
    "ForbiddenError",
    "InvalidFieldError",
    "LoginFailedError",
    "LoginLimiter",
    "NotAuthenticatedError",
    "Policy",
    "PolicyError",
    "PostgresAuthStore",
    "Principal",
    "Role",
    "Rule",
    "Session",
    "SqliteAuthStore",
    "TooManyAttemptsError",
    "UnknownRoleError",
    "UnknownTokenError",
    "UnknownUserError",
    "User",
    "api",
    "app_routes",
    "auth_store_for",
    "csrf_token",
    "ensure_demo_admin",
    "language_of",
    "open_auth",
    "page",
    "parse_role",
    "principal_of",
    "public",
    "public_prefix",
    "read_token_file",
    "write_secret",
]
