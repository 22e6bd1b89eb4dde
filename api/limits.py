"""How much work one request may cause, as data: body size, cross-checking time and concurrency, and how
often a server looks for a new index version (page sizes and query limits are in the schema, `api.schemas`).

`lexvn serve` passes them to each worker process through environment variables (`ENVIRONMENT`), since
`--workers N` starts the app by factory in fresh processes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True, slots=True)
class Limits:
    # A search request is at most ~100 KB (a 1000-character query, 50 document ids of 300 characters, all
    # JSON-escaped); anything larger is refused before it is read.
    max_body_bytes: int = 256 * 1024
    # Cross-checks run in child processes (they are CPU-bound for seconds on large documents): at most this
    # many at once per server process, each stopped after this many seconds, so searches keep a core.
    crosscheck_concurrency: int = 1
    crosscheck_seconds: float = 30.0
    # Seconds between checks of the index's CURRENT pointer (0: never; POST /admin/reload still works).
    reload_seconds: float = 2.0

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Limits:
        environ = os.environ if environ is None else environ
        limits = cls()
        values = {}
        for item in fields(cls):
            raw = environ.get(ENVIRONMENT[item.name])
            if raw is not None:
                values[item.name] = type(getattr(limits, item.name))(raw)
        return replace(limits, **values)

    def to_environment(self) -> dict[str, str]:
        return {ENVIRONMENT[item.name]: str(getattr(self, item.name)) for item in fields(self)}


ENVIRONMENT = {
    "max_body_bytes": "LEXVN_MAX_BODY_BYTES",
    "crosscheck_concurrency": "LEXVN_CROSSCHECK_CONCURRENCY",
    "crosscheck_seconds": "LEXVN_CROSSCHECK_SECONDS",
    "reload_seconds": "LEXVN_RELOAD_SECONDS",
}


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Pure ASGI middleware refusing request bodies over `max_bytes` with 413, before they are read: at once
    when Content-Length says so, else as soon as the chunks received pass the limit."""

    def __init__(self, app: Callable, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await self._refuse(send, 400, "Content-Length is not a number of bytes")
                return
            if int(declared) > self.max_bytes:
                await self._refuse(send, 413, self._message(int(declared)))
                return
        received = 0
        over = False
        refused = False

        async def limited_receive() -> dict:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over = True
                    raise BodyTooLarge  # stops the reading; the app answers, and its answer is replaced
            return message

        async def replacing_send(message: dict) -> None:
            nonlocal refused
            if not over:
                await send(message)
            elif not refused and message["type"] == "http.response.start":
                refused = True
                await self._refuse(send, 413, self._message(received))

        try:
            await self.app(scope, limited_receive, replacing_send)
        except BodyTooLarge:
            if not refused:
                await self._refuse(send, 413, self._message(received))

    def _message(self, size: int) -> str:
        return f"request body of {size} bytes or more is over the limit of {self.max_bytes} bytes"

    @staticmethod
    async def _refuse(send: Callable, status: int, message: str) -> None:
        from api.errors import error_body

        body = json.dumps(error_body(status, message)).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
