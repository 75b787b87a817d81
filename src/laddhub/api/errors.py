"""Every failure becomes an OCPI envelope: no request ever gets a bare 500 or a traceback."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from laddhub.ocpi.envelope import envelope
from laddhub.ocpi.status import OcpiError, StatusCode

log = logging.getLogger("laddhub.api")


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def error_response(request: Request, status_code: int, message: str, http_status: int = 200) -> JSONResponse:
    return JSONResponse(
        envelope(now=_now(request), status_code=status_code, status_message=message), status_code=http_status
    )


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OcpiError)
    async def _ocpi_error(request: Request, exc: OcpiError) -> JSONResponse:
        if exc.http_status >= 400 or exc.status_code >= 3000:
            log.info(
                "%s %s -> HTTP %s / %s: %s",
                request.method,
                request.url.path,
                exc.http_status,
                exc.status_code,
                exc.message,
            )
        return error_response(request, exc.status_code, exc.message, exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        messages = [f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
        return error_response(request, StatusCode.INVALID_PARAMETERS, "; ".join(messages))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such resource: {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return error_response(request, StatusCode.CLIENT_ERROR, message, exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", "-")
        log.exception(
            "unexpected error handling %s %s (request %s)", request.method, request.url.path, request_id
        )
        return error_response(
            request,
            StatusCode.SERVER_ERROR,
            f"internal error; quote X-Request-ID {request_id} to the operator",
        )
