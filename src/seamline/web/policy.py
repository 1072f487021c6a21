"""Who may call what: THE access table of the app, one rule per route (method + path template).

``create_app`` refuses to build when a route has no rule here (or a rule names no route), and the
gate (:class:`seamline.auth.AuthMiddleware`) answers anything that matches no rule with 404, so a
new route cannot be reached until it is given its roles here. ``tests/auth/test_access.py`` walks
every route for every role from this table.

Adding a route
    an API route: ``api("POST", "/api/v1/things/{thing_id}", WRITE_THINGS)`` below, where it
    belongs; roles are :class:`~seamline.auth.Role` values or the groups defined here.

Adding a page (the web app's HTML routes)
    ``page("/lines/{line_id}", READERS, KIOSK)`` in :data:`PAGES`: a ``page`` rule is a GET whose
    anonymous visitors are sent (303) to ``/login?next=...`` instead of getting a 401. A wall-screen
    page and its live stream (``GET``, e.g. ``/api/v1/live/floor``) list ``KIOSK`` so a kiosk token
    can open them. In the page, ``request.state.principal`` (``.name``, ``.role``, ``.lang``,
    ``.kind``) is the caller and :func:`seamline.auth.csrf_token` the token its forms carry (field
    ``csrf_token``) or its scripts send (``X-CSRF-Token``) with every write.

Reserved: ``/login``, ``/logout`` (auth's own) and ``/static/`` (public: assets, mounted there).
"""

from __future__ import annotations

from typing import Final

from seamline.auth import Role, Rule, api, page, public, public_prefix

# Every human role reads the whole floor: production and quality figures are not secret inside a
# factory, and a supervisor, an engineer and a planner all need each other's views.
READERS: Final = (
    Role.VIEWER,
    Role.SUPERVISOR,
    Role.QUALITY,
    Role.MAINTENANCE,
    Role.ENGINEER,
    Role.PLANNER,
    Role.ADMIN,
)
# A wall screen (kiosk token) reads the floor's live figures, never people's records or operations.
FLOOR: Final = (*READERS, Role.KIOSK)
ADMIN: Final = (Role.ADMIN,)
OPS: Final = (Role.ADMIN, Role.MONITOR)  # Prometheus and readiness probes hold a monitor token
EVERYONE: Final = (*READERS, Role.KIOSK, Role.INGEST, Role.MONITOR)
EXCEPTIONS: Final = (Role.SUPERVISOR, Role.ENGINEER, Role.ADMIN)
DOWNTIME: Final = (Role.SUPERVISOR, Role.MAINTENANCE, Role.ADMIN)
ORDERS: Final = (Role.PLANNER, Role.ADMIN)
BUNDLES: Final = (Role.PLANNER, Role.SUPERVISOR, Role.ADMIN)
QUALITY: Final = (Role.QUALITY, Role.ADMIN)
INGEST: Final = (Role.INGEST, Role.ADMIN)

PUBLIC: Final[tuple[Rule, ...]] = (
    public("GET", "/healthz"),  # liveness probes answer without credentials (PRODUCT.md)
    public("GET", "/login"),
    public("POST", "/login"),
    # The API's description is the open-source code's own; Swagger UI needs it to offer "Authorize".
    public("GET", "/openapi.json"),
    public("GET", "/docs"),
    public_prefix("/static/"),
)

AUTH: Final[tuple[Rule, ...]] = (
    api("POST", "/logout", READERS),
    api("GET", "/api/v1/me", EVERYONE),
    api("PATCH", "/api/v1/me", READERS),
    api("GET", "/api/v1/users", ADMIN),
    api("POST", "/api/v1/users", ADMIN),
    api("DELETE", "/api/v1/users/{name}", ADMIN),
    api("GET", "/api/v1/tokens", ADMIN),
    api("POST", "/api/v1/tokens", ADMIN),
    api("DELETE", "/api/v1/tokens/{token_id}", ADMIN),
)

OPERATIONS: Final[tuple[Rule, ...]] = (
    api("GET", "/readyz", OPS),
    api("GET", "/metrics", OPS),
    api("GET", "/api/v1/ingest/stats", READERS, Role.MONITOR),
    api("GET", "/api/v1/ingest/opcua/stats", READERS, Role.MONITOR),
    api("GET", "/api/v1/ingest/sparkplug/stats", READERS, Role.MONITOR),
    api("POST", "/api/v1/ingest", INGEST),
)

FACTORY_AND_TELEMETRY: Final[tuple[Rule, ...]] = (
    api("GET", "/api/v1/factory", FLOOR),
    api("GET", "/api/v1/devices", FLOOR),
    api("GET", "/api/v1/devices/{device_id}", FLOOR),
    api("GET", "/api/v1/devices/{device_id}/channels/{channel}/history", FLOOR),
    api("GET", "/api/v1/devices/{device_id}/states", FLOOR),
    api("GET", "/api/v1/sensors/{sensor_id}", FLOOR),
    api("GET", "/api/v1/sensors/{sensor_id}/history", FLOOR),
    api("GET", "/api/v1/latest", FLOOR),
    api("GET", "/api/v1/lines", FLOOR),
    api("GET", "/api/v1/lines/{line_id}", FLOOR),
    api("GET", "/api/v1/lines/{line_id}/latest", FLOOR),
    api("GET", "/api/v1/lines/{line_id}/states", FLOOR),
)

PRODUCTION: Final[tuple[Rule, ...]] = (
    api("GET", "/api/v1/production/kpi", FLOOR),
    api("GET", "/api/v1/lines/{line_id}/output", FLOOR),
    api("GET", "/api/v1/lines/{line_id}/wip", FLOOR),
    api("GET", "/api/v1/lines/{line_id}/balance", READERS),  # operators by name and skill
    # per-operator records (earned minutes, efficiency) are people's data: not on a wall screen
    api("GET", "/api/v1/production/records", READERS),
    api("GET", "/api/v1/production/exceptions", FLOOR),
    api("POST", "/api/v1/production/exceptions/{exception_id}/resolve", EXCEPTIONS),
    api("POST", "/api/v1/production/exceptions/{exception_id}/void", EXCEPTIONS),
    api("GET", "/api/v1/production/machines", FLOOR),
    api("GET", "/api/v1/production/machines/plausibility", READERS),
    api("GET", "/api/v1/production/machines/{device_id}/counters", FLOOR),
    api("GET", "/api/v1/production/downtime", FLOOR),
    api("POST", "/api/v1/production/downtime/{downtime_id}/reason", DOWNTIME),
    api("GET", "/api/v1/orders", FLOOR),
    api("GET", "/api/v1/orders/{order_id}", FLOOR),
    api("POST", "/api/v1/orders", ORDERS),
    api("PATCH", "/api/v1/orders/{order_id}", ORDERS),
    api("POST", "/api/v1/orders/{order_id}/bundles", BUNDLES),
)

QUALITY_RULES: Final[tuple[Rule, ...]] = (
    api("GET", "/api/v1/quality/aql/plan", READERS),
    api("GET", "/api/v1/quality/inspections", FLOOR),
    api("GET", "/api/v1/quality/defects", FLOOR),
    api("GET", "/api/v1/quality/spc", FLOOR),
    api("GET", "/api/v1/quality/aql/lots", READERS),
    api("GET", "/api/v1/quality/aql/lots/{lot}", READERS),
    api("POST", "/api/v1/quality/aql/lots", QUALITY),
    api("GET", "/api/v1/quality/aql/streams", READERS),
    api("GET", "/api/v1/quality/aql/next-plan", READERS),
    api("POST", "/api/v1/quality/aql/streams/resume", QUALITY),
    # an inspector enters inline and end-of-line results; a supervisor may, on the line's tablet
    api("POST", "/api/v1/quality/inspections", (Role.QUALITY, Role.SUPERVISOR, Role.ADMIN)),
    api("GET", "/api/v1/reports/shift", READERS),
    api("GET", "/api/v1/reports/shift/{fmt}", READERS),
)

# Order planning: every reader sees the plan and the brain's proposals; a planner, a supervisor (on
# the floor when a line stops) or an admin asks for one and approves or rejects it.
PLAN_DECIDERS: Final = (Role.PLANNER, Role.SUPERVISOR, Role.ADMIN)
PLANNING: Final[tuple[Rule, ...]] = (
    api("GET", "/api/v1/plan", READERS),
    api("GET", "/api/v1/plan/proposals", READERS),
    api("GET", "/api/v1/plan/proposals/{proposal_id}", READERS),
    api("POST", "/api/v1/plan/proposals", PLAN_DECIDERS),
    api("POST", "/api/v1/plan/proposals/{proposal_id}/approve", PLAN_DECIDERS),
    api("POST", "/api/v1/plan/proposals/{proposal_id}/reject", PLAN_DECIDERS),
    api("POST", "/api/v1/plan/proposals/{proposal_id}/replay", PLAN_DECIDERS),
    api("POST", "/api/v1/plan/proposals/{proposal_id}/what-if", PLAN_DECIDERS),  # the twin, forward
    api("GET", "/api/v1/plan/policy", READERS),
    api("PUT", "/api/v1/plan/policy", PLAN_DECIDERS),
)

# The web app's pages (HTML) and their live streams: page("/path", roles...) / api("GET", ...).
PAGES: Final[tuple[Rule, ...]] = (
    page("/", READERS, Role.KIOSK),  # sends on to the floor
    page("/floor", READERS, Role.KIOSK),  # the factory big screen
    page("/kiosk", READERS, Role.KIOSK),  # the wall TV playlist of views
    page("/lines", READERS, Role.KIOSK),  # the line picker: the floor's figures per line
    page("/lines/{line_id}/balance", READERS),  # operators' loads today and the brain's balance
    page("/lines/{line_id}", READERS),  # the line board: operators by name, a supervisor's writes
    page("/machines", READERS),  # maintenance: what fails most, MTBF/MTTR
    page("/machines/{device_id}", READERS),  # one machine: states, counters, history charts, faults
    page("/devices", READERS),  # the device registry: connections, rates, rejections
    page("/quality", READERS),  # DHU/RFT trends, Paretos, SPC, inspection entry, the AQL form
    page("/orders", READERS),  # orders with progress and due-date risk
    page("/plan", READERS),  # the planning board: the plan in force, the brain's proposals
    page("/reports", READERS),  # the shift report, viewed and downloaded
    # the pages' live streams (server-sent events): a wall screen needs them, so FLOOR; which
    # topics a kiosk may follow is decided by the stream (seamline.web.ui.pages.KIOSK_TOPICS)
    api("GET", "/ui/live/{topic}", FLOOR),
)

RULES: Final[tuple[Rule, ...]] = (
    *PUBLIC,
    *AUTH,
    *OPERATIONS,
    *FACTORY_AND_TELEMETRY,
    *PRODUCTION,
    *QUALITY_RULES,
    *PLANNING,
    *PAGES,
)

__all__ = ["FLOOR", "PAGES", "READERS", "RULES", "api", "page"]
