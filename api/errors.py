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
from api.schemas import MAX_ID_CHARS

log = logging.getLogger("lexvn.api")

ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
    503: "unavailable",
}


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
        details = validation_details(error.errors())
        return JSONResponse(status_code=422, content=error_body(422, "invalid request", details))

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
