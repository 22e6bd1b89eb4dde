"""GET /facets: counts by document type, issuer and year, for the filters beside the results.

With a query, the unit is the query's results (its first `FACET_DEPTH`); without one, the documents.
Each dimension is counted with the *other* dimensions' filters applied but not its own, so the counts
beside "Loại văn bản" still show the other types one could switch to. The other filters (documents,
language, clause kind, number) apply to every count.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import LibraryDep
from api.routers.search import FiltersDep, searcher_filters
from api.schemas import (
    FACET_DEPTH,
    MAX_QUERY_CHARS,
    FacetsResponse,
    FacetValue,
    SearchFilters,
    SearchMode,
)

router = APIRouter(tags=["search"])

DIMENSIONS = ("doc_type", "issuer", "year")


def year_of(meta: Any) -> str | None:
    date = meta.date or ""
    return date[:4] if len(date) >= 4 and date[:4].isdigit() else None


def values_of(meta: Any) -> dict[str, str | None]:
    return {"doc_type": meta.doc_type, "issuer": meta.issuer, "year": year_of(meta)}


def accepts(dimension: str, value: str | None, filters: SearchFilters) -> bool:
    """Whether a document's `value` in `dimension` passes that dimension's filter (the search's meaning:
    type equal, issuer a substring, year within the range)."""
    if dimension == "doc_type":
        return not filters.doc_type or value == filters.doc_type
    if dimension == "issuer":
        return not filters.issuer or (value is not None and filters.issuer.lower() in value.lower())
    year = int(value) if value else None
    if filters.year_from is not None and (year is None or year < filters.year_from):
        return False
    return not (filters.year_to is not None and (year is None or year > filters.year_to))


def passes_others(item: dict[str, str | None], dimension: str, filters: SearchFilters) -> bool:
    return all(accepts(other, item[other], filters) for other in DIMENSIONS if other != dimension)


def facet_order(dimension: str, value: str, n: int) -> tuple:
    """Years newest first; types and issuers by count, then by name."""
    return (-int(value), 0) if dimension == "year" else (-n, value)


def count(items: list[dict[str, str | None]], filters: SearchFilters) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {}
    for dimension in DIMENSIONS:
        counts = Counter(item[dimension] for item in items
                         if item[dimension] and passes_others(item, dimension, filters))
        ordered = sorted(counts.items(), key=lambda pair, d=dimension: facet_order(d, *pair))
        facets[dimension] = [FacetValue(value=value, count=n) for value, n in ordered]
    return facets


@router.get("/facets", response_model=FacetsResponse, summary="Counts by document type, issuer and year")
def get_facets(
    library: LibraryDep,
    filters: FiltersDep,
    query: Annotated[str | None, Query(max_length=MAX_QUERY_CHARS, description="count this query's results")] = None,
    mode: SearchMode = "hybrid",
) -> FacetsResponse:
    # The filters every count shares; the three facet dimensions are applied per count below.
    shared = filters.model_copy(update={"doc_type": None, "issuer": None, "year_from": None, "year_to": None})
    text = (query or "").strip()
    if text:
        if mode == "dense" and not library.searcher.has_dense:
            raise StarletteHTTPException(422, "this index has no dense vectors (built with --no-dense)")
        hits = library.searcher.search(text, k=FACET_DEPTH, mode=mode, filters=searcher_filters(shared))
        items = [values_of(library.document(hit.doc_id).meta) for hit in hits]
    else:
        items = []
        for summary in library.summaries.values():
            meta = library.document(summary.doc_id).meta
            if shared.doc_ids and summary.doc_id not in shared.doc_ids:
                continue
            if shared.language and (meta.language or "vi") != shared.language:
                continue
            if shared.number and meta.number != shared.number:
                continue
            items.append(values_of(meta))
    total = sum(1 for item in items if all(accepts(d, item[d], filters) for d in DIMENSIONS))
    return FacetsResponse(query=query, unit="clauses" if text else "documents", depth=FACET_DEPTH, total=total,
                          **count(items, filters))
