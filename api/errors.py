"""One error shape for every failure (`schemas.ErrorResponse`): validation, unknown ids, wrong methods, faults."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import schemas
from api.crosscheck import CrossCheckBusy, CrossCheckTimeout
from api.schemas import MAX_ID_CHARS

log = logging.getLogger("lexvn.api")

ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}
# Validation errors that mean the body could not be read at all: 400 (the schema's promise), not 422.
UNREADABLE_BODY = {"json_invalid"}
# Seconds a client should wait before retrying a refused cross-check (Retry-After).
RETRY_AFTER_S = 5


class NotFound(StarletteHTTPException):
    def __init__(self, what: str, value: str) -> None:
        super().__init__(status_code=404, detail=f"unknown {what}: {value[:MAX_ID_CHARS]}")


def error_body(status: int, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    info = schemas.ErrorInfo(
        status=status,
        code=ERROR_CODES.get(status, "error"),
        message=message,
        details=[schemas.ErrorDetail(**d) for d in details or []],
    )
    return schemas.ErrorResponse(error=info).model_dump()


def validation_details(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = list(error.errors())
        details = validation_details(errors)
        unreadable = [e for e in errors if e.get("type") in UNREADABLE_BODY]
        if unreadable:
            reason = (unreadable[0].get("ctx") or {}).get("error", "")
            message = "request body is not valid JSON" + (f": {reason}" if reason else "")
            return JSONResponse(status_code=400, content=error_body(400, message, details))
        return JSONResponse(status_code=422, content=error_body(422, "invalid request", details))

    @app.exception_handler(CrossCheckBusy)
    async def on_busy(request: Request, error: CrossCheckBusy) -> JSONResponse:
        return JSONResponse(status_code=429, content=error_body(429, str(error)),
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(CrossCheckTimeout)
    async def on_timeout(request: Request, error: CrossCheckTimeout) -> JSONResponse:
        return JSONResponse(status_code=503, content=error_body(503, str(error)))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=error.status_code,
            content=error_body(error.status_code, str(error.detail)),
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def on_unexpected_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content=error_body(500, f"internal error: {type(error).__name__}"))
