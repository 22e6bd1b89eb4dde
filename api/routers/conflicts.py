"""GET /conflicts: cross-check a document against a counterpart (or the documents it implements)."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Library, LibraryDep
from api.schemas import ERROR_RESPONSES, MAX_ID_CHARS, ConflictOut, ConflictsResponse

router = APIRouter(tags=["conflicts"])


@lru_cache(maxsize=64)
def cross_check(library: Library, doc: str, counterpart: str | None) -> tuple[ConflictOut, ...]:
    """Findings of one pair, cached per opened index (the index is read-only)."""
    from search.crosscheck.conflicts import cross_check as run_cross_check

    found = run_cross_check(library.searcher, doc, counterpart)
    findings = [ConflictOut.model_validate(finding.to_json()) for finding in found]
    for finding in findings:  # the reading text beside the original, as in search results
        for ref in (finding.source, finding.target):
            clause = library.searcher.get_clause(ref.clause_id)
            ref.display_text = clause.display_mapped().text if clause is not None else ref.text
    return tuple(findings)


@router.get("/conflicts", response_model=ConflictsResponse, responses={404: ERROR_RESPONSES[404]},
            summary="Cross-check a document against a counterpart (or the documents it implements)")
def get_conflicts(
    library: LibraryDep,
    doc: Annotated[str, Query(max_length=MAX_ID_CHARS, description="doc_id of the document to check")],
    counterpart: Annotated[
        str | None, Query(max_length=MAX_ID_CHARS, description="doc_id to check against; default: its sources")
    ] = None,
    include_consistent: Annotated[bool, Query(description="also list aligned clauses that agree")] = False,
) -> ConflictsResponse:
    for doc_id in (doc, counterpart):
        library.require_document(doc_id)
    findings = [f for f in cross_check(library, doc, counterpart) if include_consistent or f.kind != "consistent"]
    return ConflictsResponse(
        doc=doc,
        counterpart=counterpart,
        total=len(findings),
        by_kind=dict(Counter(f.kind for f in findings)),
        conflicts=findings,
    )
