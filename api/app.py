"""The HTTP query service: `create_app(index_dir)` opens one index read-only and serves the API and the page.

Routes (one `APIRouter` per topic in `api/routers/`): GET/POST /search, GET /facets, GET /documents, GET
/documents/{doc_id}, GET /documents/{doc_id}/clauses, GET /clauses/{clause_id}, GET /conflicts, GET
/answer, GET /health, GET /metrics (Prometheus text), GET / (the page), /static/*, /docs (Swagger UI
served from the `swagger-ui-bundle-v2` package, never a CDN) with /favicon.ico, and the MCP server at
/mcp (streamable HTTP, `api/mcp_server.py`).

Design notes
- The index is opened once, when the app is created; request handlers reach it through a dependency
  (`api.deps.LibraryDep`) and only read from it. Handlers are plain `def` functions, so FastAPI runs them
  in its thread pool and a slow query never blocks the event loop; the Searcher is safe for concurrent reads.
- Every error leaves in one shape (`schemas.ErrorResponse`), including validation errors, unknown routes,
  wrong methods and unexpected faults; an unexpected fault is logged with its traceback (`api.errors`).
- Lookups the API derives from the index (references pointing *into* a document, a clause's siblings)
  are computed on first use and cached; they never change because the index is read-only.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from api.deps import Library
from api.errors import install_error_handlers
from api.llm import ChatModel
from api.mcp_server import MCP_PATH, McpEndpoint, build_server
from api.metrics import ENV_MULTIPROC, LatencyMiddleware, Metrics
from api.routers import answer, conflicts, docs, documents, facets, search, service
from api.schemas import ERROR_RESPONSES, MAX_K, MAX_QUERY_CHARS

__all__ = ["ENV_INDEX", "ENV_MULTIPROC", "app_from_environment", "create_app"]

ENV_INDEX = "LEXVN_INDEX"  # how `lexvn serve --workers N` hands the index to each worker process


def create_app(index_dir: Path | str, searcher: Any = None, llm: Any = None) -> FastAPI:
    """The FastAPI app serving the index at `index_dir`, opened now, once, read-only.

    `searcher`: an already opened `search.Searcher` of that index to share (tests reuse one per session).
    `llm`: the `generate` function for answers; by default the endpoint `$LEXVN_LLM_URL` names, if any.
    """
    library = Library(Path(index_dir), searcher)
    llm = llm if llm is not None else ChatModel.from_environment()
    mcp_endpoint = McpEndpoint(build_server(library, llm=llm))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with mcp_endpoint.running():  # the MCP session manager lives as long as the app
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="lexvn",
        version="0.1.0",
        summary="Clause-level search over Vietnamese and English legal texts, with citations and conflict checks.",
        description=(
            "Every error has the body `{\"error\": {\"status\", \"code\", \"message\", \"details\"}}`. "
            f"Queries are at most {MAX_QUERY_CHARS} characters, `k` at most {MAX_K}."
        ),
        responses={422: ERROR_RESPONSES[422], 500: ERROR_RESPONSES[500]},
        docs_url=None,  # api.routers.docs serves /docs with local assets
        redoc_url=None,
    )
    app.state.library = library
    app.state.llm = llm
    app.state.metrics = Metrics()
    app.add_middleware(LatencyMiddleware, metrics=app.state.metrics)
    install_error_handlers(app)
    for router in (search.router, facets.router, documents.router, conflicts.router, answer.router, service.router,
                   docs.router):
        app.include_router(router)
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp_endpoint, methods=["GET", "POST", "DELETE"]))
    app.mount("/static", StaticFiles(directory=service.STATIC_DIR), name="static")
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes: the index directory comes from $LEXVN_INDEX."""
    index_dir = os.environ.get(ENV_INDEX)
    if not index_dir:
        raise RuntimeError(f"${ENV_INDEX} is not set")
    return create_app(index_dir)
