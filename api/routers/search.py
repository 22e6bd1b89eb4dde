"""GET and POST /search: ranked clauses with citations and highlights."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import schemas
from api.convert import hit_groups, hit_out
from api.deps import LibraryDep, MetricsDep
from api.schemas import (
    ERROR_RESPONSES,
    MAX_K,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    RESULT_WINDOW,
    SearchFilters,
    SearchMode,
    SearchRequest,
    SearchResponse,
)

router = APIRouter(tags=["search"])


def searcher_filters(filters: SearchFilters | None) -> dict[str, Any] | None:
    """The API's filter fields, in the Searcher's vocabulary (see search/query.py's Filters)."""
    if filters is None:
        return None
    values = filters.model_dump(exclude_none=True)
    return values or None


def run_search(request: SearchRequest, library: LibraryDep, metrics: MetricsDep) -> SearchResponse:
    started = time.perf_counter()
    query = request.query.strip()
    if request.mode == "dense" and not library.searcher.has_dense:
        raise StarletteHTTPException(422, "this index has no dense vectors (built with --no-dense)")
    raw: list[Any] = []
    end = min(request.offset + request.k, RESULT_WINDOW)
    if query:  # a query of spaces is valid input that matches nothing
        # One result more than the page tells whether another page follows (within the window).
        raw = library.searcher.search(query, k=min(end + 1, RESULT_WINDOW), mode=request.mode,
                                      filters=searcher_filters(request.filters))
    has_more = len(raw) > end
    raw = raw[request.offset : end]
    hits = [hit_out(hit, library.summaries, library.searcher.get_clause(hit.clause_id)) for hit in raw]
    took = time.perf_counter() - started
    metrics.search_latency.labels(request.mode).observe(took)
    metrics.search_hits.labels(request.mode).inc(len(hits))
    return SearchResponse(
        query=request.query,
        mode=request.mode,
        k=request.k,
        offset=request.offset,
        has_more=has_more,
        took_ms=round(took * 1000, 2),
        total=len(hits),
        results=hits,
        groups=hit_groups(raw, hits) if request.group else None,
    )


def filter_parameters(
    doc: Annotated[list[str] | None, Query(max_length=50, description="only these doc_ids")] = None,
    doc_type: Annotated[str | None, Query(max_length=100)] = None,
    language: schemas.Language | None = None,
    issuer: Annotated[str | None, Query(max_length=200)] = None,
    number: Annotated[str | None, Query(max_length=100)] = None,
    year_from: Annotated[int | None, Query(ge=1800, le=2200)] = None,
    year_to: Annotated[int | None, Query(ge=1800, le=2200)] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
) -> SearchFilters:
    """The result filters as query parameters, one definition for every route that filters (a dependency)."""
    return SearchFilters(doc_ids=doc, doc_type=doc_type, language=language, issuer=issuer, number=number,
                         year_from=year_from, year_to=year_to, kind=kind)


FiltersDep = Annotated[SearchFilters, Depends(filter_parameters)]


@router.get("/search", response_model=SearchResponse, summary="Search clauses (query string)")
def search_get(
    library: LibraryDep,
    metrics: MetricsDep,
    filters: FiltersDep,
    query: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="words or a \"phrase\"")],
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="results to skip (paging)")] = 0,
    mode: SearchMode = "hybrid",
    group: bool = False,
) -> SearchResponse:
    return run_search(SearchRequest(query=query, k=k, offset=offset, mode=mode, filters=filters, group=group),
                      library, metrics)


@router.post("/search", response_model=SearchResponse, responses={400: ERROR_RESPONSES[400]},
             summary="Search clauses (JSON body)")
def search_post(request: SearchRequest, library: LibraryDep, metrics: MetricsDep) -> SearchResponse:
    return run_search(request, library, metrics)
