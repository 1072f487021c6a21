"""One JSON error shape for the whole API, and the handlers that produce it.

Every error body is ``{"error": {"reason": <slug>, "message": <text>, "details": {...}}}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from seamline.errors import SeamlineError, error_body

__all__ = ["error_body", "install_error_handlers"]

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    """Translate every error once, at the boundary."""

    @app.exception_handler(SeamlineError)
    async def _domain(_: Request, exc: SeamlineError) -> JSONResponse:
        return JSONResponse(error_body(exc.reason, exc.message, exc.details()), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(
            error_body("invalid_request", f"{field}: {first.get('msg')}", {"field": field}), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = "not_found" if exc.status_code == 404 else "http_error"
        return JSONResponse(error_body(reason, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("internal", "internal error; see the server log"), status_code=500)
