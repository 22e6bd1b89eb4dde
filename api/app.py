"""The HTTP query service: `create_app(index_dir)` opens one index read-only and serves the API and the page.

Routes (one `APIRouter` per topic in `api/routers/`): GET/POST /search, GET /facets, GET /documents, GET
/documents/{doc_id}, GET /documents/{doc_id}/clauses, GET /clauses/{clause_id}, GET /conflicts, GET
/answer, GET /health, GET /metrics (Prometheus text), POST /admin/reload (loopback only), GET / (the page), /static/*, /docs (Swagger UI
served from the `swagger-ui-bundle-v2` package, never a CDN) with /favicon.ico, and the MCP server at
/mcp (streamable HTTP, `api/mcp_server.py`).

Design notes
- The index is opened when the app is created; request handlers reach the served version through a
  dependency (`api.deps.LibraryDep`) and only read from it. Handlers are plain `def` functions, so FastAPI
  runs them in its thread pool and a slow query never blocks the event loop; the Searcher is safe for
  concurrent reads.
- Live reload: while the app runs (its lifespan), a thread checks the index's CURRENT pointer every
  `Limits.reload_seconds` and swaps in a newly published version between requests (`api.deps.LiveLibrary`).
- Bounded work (`api.limits.Limits`): bodies over the size limit are refused before they are read;
  cross-checks run in child processes within a concurrency and a time limit (`api.crosscheck`); outlines
  are paged; parameters under an old name are refused (`schemas.RENAMED_PARAMETERS`).
- Every error leaves in one shape (`schemas.ErrorResponse`), including validation errors, unknown routes,
  wrong methods and unexpected faults; an unexpected fault is logged with its traceback (`api.errors`).
- Lookups the API derives from a version (references pointing *into* a document, cross-check results)
  are computed on first use and cached with that version.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from api.crosscheck import CrossChecker
from api.deps import LiveLibrary
from api.errors import install_error_handlers
from api.limits import BodyLimitMiddleware, Limits
from api.llm import ChatModel
from api.mcp_server import MCP_PATH, McpEndpoint, build_server
from api.metrics import ENV_MULTIPROC, LatencyMiddleware, Metrics
from api.routers import answer, conflicts, docs, documents, facets, search, service
from api.schemas import ERROR_RESPONSES, MAX_K, MAX_QUERY_CHARS, RENAMED_PARAMETERS

__all__ = ["ENV_INDEX", "ENV_MULTIPROC", "app_from_environment", "create_app"]

ENV_INDEX = "LEXVN_INDEX"  # how `lexvn serve --workers N` hands the index to each worker process


def refuse_renamed_parameters(request: Request) -> None:
    """400 for a query parameter under its old name: ignoring it would answer another question."""
    for old, new in RENAMED_PARAMETERS.items():
        if old in request.query_params:
            raise StarletteHTTPException(400, f"parameter '{old}' was renamed '{new}': use {new}=…")


def create_app(index_dir: Path | str, searcher: Any = None, limits: Limits | None = None, llm: Any = None) -> FastAPI:
    """The FastAPI app serving the index at `index_dir`, opened now, read-only, reloaded when it changes.

    `searcher`: an already opened `search.Searcher` of that index to share (tests reuse one per session).
    `llm`: the `generate` function for answers; by default the endpoint `$LEXVN_LLM_URL` names, if any.
    """
    limits = limits or Limits()
    live = LiveLibrary(Path(index_dir), searcher)
    llm = llm if llm is not None else ChatModel.from_environment()
    mcp_endpoint = McpEndpoint(build_server(live, llm=llm))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = app.state.live.watch(limits.reload_seconds) if limits.reload_seconds > 0 else None
        app.state.crosschecker.start()
        try:
            async with mcp_endpoint.running():  # the MCP session manager lives as long as the app
                yield
        finally:
            if stop is not None:
                stop.set()

    app = FastAPI(
        title="lexvn",
        version="0.1.0",
        summary="Clause-level search over Vietnamese and English legal texts, with citations and conflict checks.",
        description=(
            "Every error has the body `{\"error\": {\"status\", \"code\", \"message\", \"details\"}}`. "
            f"Queries are at most {MAX_QUERY_CHARS} characters, `k` at most {MAX_K}, request bodies at most "
            f"{limits.max_body_bytes} bytes; at most {limits.crosscheck_concurrency} cross-check(s) run at once, "
            f"each for at most {limits.crosscheck_seconds:g} s."
        ),
        responses={400: ERROR_RESPONSES[400], 413: ERROR_RESPONSES[413], 422: ERROR_RESPONSES[422],
                   500: ERROR_RESPONSES[500]},
        lifespan=lifespan,
        dependencies=[Depends(refuse_renamed_parameters)],
        docs_url=None,  # api.routers.docs serves /docs with local assets
        redoc_url=None,
    )
    app.state.live = live
    app.state.llm = llm
    app.state.metrics = Metrics()
    app.state.limits = limits
    app.state.crosschecker = CrossChecker(limits.crosscheck_concurrency, limits.crosscheck_seconds)
    app.add_middleware(BodyLimitMiddleware, max_bytes=limits.max_body_bytes)
    app.add_middleware(LatencyMiddleware, metrics=app.state.metrics)
    install_error_handlers(app)
    for router in (search.router, facets.router, documents.router, conflicts.router, answer.router, service.router,
                   docs.router):
        app.include_router(router)
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp_endpoint, methods=["GET", "POST", "DELETE"]))
    app.mount("/static", StaticFiles(directory=service.STATIC_DIR), name="static")
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes: the index directory and limits come from the
    environment ($LEXVN_INDEX, `api.limits.ENVIRONMENT`)."""
    index_dir = os.environ.get(ENV_INDEX)
    if not index_dir:
        raise RuntimeError(f"${ENV_INDEX} is not set")
    return create_app(index_dir, limits=Limits.from_environment())
