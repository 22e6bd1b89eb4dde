"""GET /health, /metrics and the page at /."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from api.deps import LibraryDep, MetricsDep
from api.schemas import HealthResponse, SearchMode

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter()


@router.get("/health", response_model=HealthResponse, tags=["service"], summary="Index manifest and counts")
def health(library: LibraryDep) -> HealthResponse:
    manifest = library.searcher.manifest
    return HealthResponse(
        status="ok",
        index_dir=str(library.index_dir),
        documents=len(library.summaries),
        clauses=library.clause_count,
        model=(manifest["dense"] or {}).get("model"),
        modes=list(SearchMode.__args__),
        manifest=manifest,
    )


@router.get("/metrics", tags=["service"], summary="Prometheus metrics (text exposition format)",
            response_class=Response, responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
def get_metrics(metrics: MetricsDep) -> Response:
    body, content_type = metrics.render()
    return Response(content=body, media_type=content_type)


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")
