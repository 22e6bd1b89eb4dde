"""GET /health, /metrics, the page at /, and POST /admin/reload (loopback only)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import LibraryDep, LiveDep, MetricsDep
from api.schemas import HealthResponse, SearchMode

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter()


@router.get("/health", response_model=HealthResponse, tags=["service"],
            summary="The index version served, its manifest and counts")
def health(library: LibraryDep) -> HealthResponse:
    manifest = library.searcher.manifest
    return HealthResponse(
        status="ok",
        index_dir=str(library.index_dir),
        version=library.version,
        built_at=library.built_at,
        opened_at=library.opened_at,
        documents=len(library.summaries),
        clauses=library.clause_count,
        model=(manifest["dense"] or {}).get("model"),
        modes=list(SearchMode.__args__),
        manifest=manifest,
    )


def is_loopback(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or bool(mapped and mapped.is_loopback)


# Not in the OpenAPI schema: an operator's tool, answered only to a client on this machine.
@router.post("/admin/reload", include_in_schema=False)
def reload_index(request: Request, live: LiveDep) -> dict:
    """Serve the version the index's CURRENT names now (the server also checks by itself every few seconds)."""
    if not is_loopback(request.client.host if request.client else None):
        raise StarletteHTTPException(403, "/admin/reload answers only requests from this machine (loopback)")
    return live.reload()


@router.get("/metrics", tags=["service"], summary="Prometheus metrics (text exposition format)",
            response_class=Response, responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
def get_metrics(metrics: MetricsDep) -> Response:
    body, content_type = metrics.render()
    return Response(content=body, media_type=content_type)


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")
