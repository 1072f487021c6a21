"""The roles a user or an API token holds, and what each is for.

Human users hold one of :data:`USER_ROLES`. API tokens may also hold a machine role: ``kiosk``
(a wall screen: reads what the big screen and its live streams need), ``ingest`` (a device or
gateway posting to ``/api/v1/ingest``) or ``monitor`` (Prometheus and readiness probes). What each
role may call is decided in one table, :mod:`seamline.web.policy`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    VIEWER = "viewer"
    SUPERVISOR = "supervisor"
    QUALITY = "quality"
    MAINTENANCE = "maintenance"
    ENGINEER = "engineer"
    PLANNER = "planner"
    ADMIN = "admin"
    KIOSK = "kiosk"
    INGEST = "ingest"
    MONITOR = "monitor"


USER_ROLES: Final = (
    Role.VIEWER,
    Role.SUPERVISOR,
    Role.QUALITY,
    Role.MAINTENANCE,
    Role.ENGINEER,
    Role.PLANNER,
    Role.ADMIN,
)
# Machine roles are for tokens only: nobody signs in to a browser as a wall screen or a sensor.
TOKEN_ROLES: Final = (*USER_ROLES, Role.KIOSK, Role.INGEST, Role.MONITOR)

DESCRIPTIONS: Final = {
    Role.VIEWER: "reads every floor, production and quality view; changes nothing",
    Role.SUPERVISOR: "viewer + gives downtime reasons, resolves production exceptions, adds bundles",
    Role.QUALITY: "viewer + judges AQL lots and resumes inspection streams",
    Role.MAINTENANCE: "viewer + gives downtime reasons",
    Role.ENGINEER: "viewer + resolves production exceptions (operation bulletins, balance)",
    Role.PLANNER: "viewer + creates and changes orders and their bundles",
    Role.ADMIN: "everything, including users, API tokens, ingest and operations",
    Role.KIOSK: "token only: reads the big-screen data and live streams (GET), nothing else",
    Role.INGEST: "token only: posts device messages to /api/v1/ingest",
    Role.MONITOR: "token only: /metrics, /readyz and the ingest statistics",
}

LANGUAGES: Final = ("en", "zh")


def parse_role(text: str, *, for_token: bool) -> Role:
    """``text`` as a role a user (or, with ``for_token``, a token) may hold; a clear error if not."""
    from seamline.auth.errors import UnknownRoleError  # noqa: PLC0415  # errors import roles

    allowed = TOKEN_ROLES if for_token else USER_ROLES
    try:
        role = Role(text.strip().lower())
    except ValueError:
        raise UnknownRoleError(text, allowed) from None
    if role not in allowed:
        raise UnknownRoleError(text, allowed, token_only=True)
    return role


def language_of(accept_language: str | None) -> str:
    """The browser's preferred language among ours: ``zh`` for any Chinese, else ``en``.

    >>> language_of("zh-CN,zh;q=0.9,en;q=0.8"), language_of("de-DE,en;q=0.5"), language_of(None)
    ('zh', 'en', 'en')
    """
    if not accept_language:
        return "en"
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return "en"
