"""How ``seamline bench web`` presents its token to the server: one place to change when the
server's authentication changes (the HTTP clients and the browser both go through here)."""

from __future__ import annotations

from typing import Any


def auth_headers(token: str | None) -> dict[str, str]:
    """The headers every request of the benchmark carries: the API token as a bearer token."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def authorise_browser(context: Any, base_url: str, token: str | None) -> None:
    """Let a Playwright browser context in: today the same bearer header on every request (page,
    scripts, event stream). ``base_url`` is there for a cookie-based login (set the session cookie
    for that origin instead)."""
    del base_url  # a session cookie would be set for this origin
    if token:
        context.set_extra_http_headers(auth_headers(token))


__all__ = ["auth_headers", "authorise_browser"]
