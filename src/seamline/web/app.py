"""Assemble the HTTP API: every capability brings its router; this module only wires them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from seamline import __version__
from seamline.ingest.http import router as ingest_router
from seamline.ingest.pipeline import Ingestor
from seamline.model.factory import Factory
from seamline.model.http import router as factory_router
from seamline.production.http import router as production_router
from seamline.store.base import Store
from seamline.store.http import router as telemetry_router
from seamline.web.errors import install_error_handlers


def create_app(factory: Factory, store: Store, ingestor: Ingestor) -> FastAPI:
    """The HTTP API over a running platform (the caller owns the store's and ingestor's lifecycles)."""
    app = FastAPI(
        title="Seamline",
        version=__version__,
        summary="The workshop brain for connected garment factories",
        openapi_url="/openapi.json",
    )
    app.state.factory = factory
    app.state.store = store
    app.state.ingestor = ingestor
    install_error_handlers(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness: answers without auth")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    for router in (factory_router, telemetry_router, production_router, ingest_router):
        app.include_router(router)
    return app
