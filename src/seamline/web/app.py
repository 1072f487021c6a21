"""Assemble the HTTP API: every capability brings its router; this module only wires them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from seamline import __version__
from seamline.auth import Auth, AuthMiddleware, Policy
from seamline.auth.http import router as auth_router
from seamline.brain.balance_http import router as balance_router
from seamline.brain.plan_http import router as planning_router
from seamline.brain.what_if_http import router as what_if_router
from seamline.ingest.http import router as ingest_router
from seamline.ingest.opcua.http import router as opcua_router
from seamline.ingest.pipeline import Ingestor
from seamline.ingest.sparkplug.http import router as sparkplug_router
from seamline.model.factory import Factory
from seamline.model.http import router as factory_router
from seamline.production.counters_http import router as counters_router
from seamline.production.durations import router as durations_router
from seamline.production.http import router as production_router
from seamline.production.machines_http import router as machines_router
from seamline.production.orders_http import router as orders_router
from seamline.production.records_http import router as records_router
from seamline.production.report_http import router as reports_router
from seamline.quality.entry_http import router as entry_router
from seamline.quality.http import router as quality_router
from seamline.quality.inspections_http import router as inspections_router
from seamline.quality.lots_http import router as lots_router
from seamline.quality.spc_http import router as spc_router
from seamline.store.base import Store
from seamline.store.http import router as telemetry_router
from seamline.web.errors import install_error_handlers
from seamline.web.idempotency import IdempotencyMiddleware
from seamline.web.ops import metrics_registry
from seamline.web.ops import router as ops_router
from seamline.web.policy import RULES
from seamline.web.ui import install_ui

if TYPE_CHECKING:
    from seamline.platform import Platform


def create_app(
    factory: Factory,
    store: Store,
    ingestor: Ingestor,
    *,
    platform: Platform | None = None,
    auth: Auth | None = None,
) -> FastAPI:
    """The HTTP API over a running platform (the caller owns the store's, ingestor's and auth's
    lifecycles).

    With ``platform``, readiness and ``/metrics`` report every component it runs (maintenance and
    connectors); without it, the writer alone.

    ``auth`` checks every request against the access table (:mod:`seamline.web.policy`): users,
    sessions and API tokens. ``auth=None`` builds an app without auth, where every caller is the
    local admin: for embedding in a process that owns the HTTP edge itself, and for tests. Every
    command that serves (``seamline serve``, ``seamline demo``) passes an ``Auth``. Either way the
    build fails (:class:`~seamline.auth.PolicyError`) when a route has no rule in the table.
    """
    app = FastAPI(
        title="Seamline",
        version=__version__,
        summary="The workshop brain for connected garment factories",
        openapi_url="/openapi.json",
        docs_url=None,  # served below from the installed Swagger UI: no CDN at run time
        redoc_url=None,
    )
    app.state.factory = factory
    app.state.store = store
    app.state.ingestor = ingestor
    app.state.opcua = None  # the OPC UA connector, when `seamline serve --opcua FILE` runs one
    app.state.platform = platform
    app.state.production = platform.production if platform is not None else None
    if platform is not None:  # one decision log for the API and the brain's watch of the floor
        app.state.plan_decisions = platform.plan_decisions
    app.state.metrics_registry = metrics_registry(app.state)
    app.state.auth = auth
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)  # a tablet's outbox may send a write twice

    @app.get("/healthz", tags=["ops"], summary="Liveness: answers without auth")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    for router in (
        ops_router,
        factory_router,
        telemetry_router,
        production_router,
        records_router,
        machines_router,
        counters_router,
        durations_router,
        orders_router,
        reports_router,
        quality_router,
        inspections_router,
        entry_router,
        lots_router,
        spc_router,
        planning_router,
        ingest_router,
        opcua_router,
        sparkplug_router,
        auth_router,
        balance_router,
        what_if_router,
    ):
        app.include_router(router)
    _mount_docs(app)
    install_ui(app)  # after the docs: its /static mount would hide /static/swagger-ui
    policy = Policy(RULES)
    policy.check(app.routes)
    # added last, so outermost: nothing (idempotency replays included) runs before the gate
    app.add_middleware(AuthMiddleware, policy=policy, auth=auth)
    return app


def _mount_docs(app: FastAPI) -> None:
    assets = StaticFiles(directory=swagger_ui_bundle.swagger_ui_path)
    app.mount("/static/swagger-ui", assets, name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Seamline API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )
