"""What goes wrong in auth, each with its HTTP status and structured fields."""

from __future__ import annotations

from collections.abc import Sequence

from seamline.errors import SeamlineError


class AuthError(SeamlineError):
    """The root of auth's errors."""

    reason = "auth_error"


class NotAuthenticatedError(AuthError):
    """No credentials, or credentials that are not (or no longer) valid: 401."""

    status_code = 401

    def __init__(self, message: str, *, reason: str = "not_authenticated") -> None:
        super().__init__(message, reason=reason)


class ForbiddenError(AuthError):
    """Signed in, but the role may not do this: 403."""

    status_code = 403

    def __init__(
        self, message: str, *, reason: str = "forbidden", role: str | None = None, allowed: Sequence[str] = ()
    ) -> None:
        super().__init__(message, reason=reason)
        self.role = role
        self.allowed = tuple(allowed)

    def details(self) -> dict[str, object]:
        if self.role is None:
            return {}
        return {"role": self.role, "allowed_roles": list(self.allowed)}


class CsrfError(ForbiddenError):
    """A cookie-authenticated write without the session's CSRF token (or from another origin)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="csrf")


class TooManyAttemptsError(AuthError):
    """Sign-in refused for a while after too many attempts: 429."""

    status_code = 429
    reason = "too_many_attempts"

    def __init__(self, scope: str, retry_after_s: int) -> None:
        super().__init__(
            f"too many sign-in attempts for this {scope}; try again in {retry_after_s} s",
            reason="too_many_attempts",
        )
        self.scope = scope
        self.retry_after_s = retry_after_s

    def details(self) -> dict[str, object]:
        return {"scope": self.scope, "retry_after_s": self.retry_after_s}


class LoginFailedError(NotAuthenticatedError):
    """Wrong user name or password (which of the two is not said)."""

    def __init__(self) -> None:
        super().__init__("wrong user name or password", reason="login_failed")


class UnknownRoleError(AuthError):
    status_code = 422
    reason = "unknown_role"

    def __init__(self, given: str, allowed: Sequence[str], *, token_only: bool = False) -> None:
        why = "is for API tokens only" if token_only else "is not a role"
        super().__init__(f"{given!r} {why}; use one of: {', '.join(allowed)}", reason="unknown_role")
        self.given = given
        self.allowed = tuple(allowed)

    def details(self) -> dict[str, object]:
        return {"field": "role", "given": self.given, "allowed": list(self.allowed)}


class InvalidFieldError(AuthError):
    """A user name, password, language or token name that is not acceptable."""

    status_code = 422
    reason = "invalid_field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", reason="invalid_field")
        self.field = field

    def details(self) -> dict[str, object]:
        return {"field": self.field}


class DuplicateUserError(AuthError):
    status_code = 409
    reason = "duplicate_user"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"a user {name!r} exists already; change its password with `seamline user passwd {name}`",
            reason="duplicate_user",
        )
        self.name = name

    def details(self) -> dict[str, object]:
        return {"user": self.name}


class UnknownUserError(AuthError):
    status_code = 404
    reason = "not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"no user {name!r}; `seamline user list` shows the users", reason="not_found")
        self.name = name

    def details(self) -> dict[str, object]:
        return {"kind": "user", "key": self.name}


class UnknownTokenError(AuthError):
    status_code = 404
    reason = "not_found"

    def __init__(self, token_id: str) -> None:
        super().__init__(
            f"no API token with id {token_id!r}; `seamline token list` shows the ids", reason="not_found"
        )
        self.token_id = token_id

    def details(self) -> dict[str, object]:
        return {"kind": "token", "key": self.token_id}


class AuthStoreError(AuthError):
    """The users' and tokens' store cannot be opened or used."""

    status_code = 503
    reason = "auth_store"
