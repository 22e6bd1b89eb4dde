"""GET /conflicts: cross-check a document against another (or the documents it cites), within limits."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query

from api.crosscheck import subset_for
from api.deps import CheckerDep, LibraryDep
from api.schemas import ERROR_RESPONSES, MAX_ID_CHARS, ConflictOut, ConflictsResponse

router = APIRouter(tags=["conflicts"])


@router.get("/conflicts", response_model=ConflictsResponse,
            responses={status: ERROR_RESPONSES[status] for status in (400, 404, 429, 503)},
            summary="Cross-check a document against another (or the documents it cites)")
def get_conflicts(
    library: LibraryDep,
    checker: CheckerDep,
    doc: Annotated[str, Query(max_length=MAX_ID_CHARS, description="doc_id of the document to check")],
    against: Annotated[
        str | None, Query(max_length=MAX_ID_CHARS, description="doc_id to check against; default: its sources")
    ] = None,
    include_consistent: Annotated[bool, Query(description="also list aligned clauses that agree")] = False,
) -> ConflictsResponse:
    for doc_id in (doc, against):
        library.require_document(doc_id)

    def compute() -> tuple[ConflictOut, ...]:
        found = checker.run(subset_for(library.searcher, doc, against), doc, against)
        findings = [ConflictOut.model_validate(finding) for finding in found]
        for finding in findings:  # the reading text beside the original, as in search results
            for ref in (finding.source, finding.target):
                clause = library.searcher.get_clause(ref.clause_id)
                ref.display_text = clause.display_mapped().text if clause is not None else ref.text
        return tuple(findings)

    findings = [f for f in library.cached_conflicts((doc, against), compute)
                if include_consistent or f.kind != "consistent"]
    return ConflictsResponse(
        doc=doc,
        against=against,
        total=len(findings),
        by_kind=dict(Counter(f.kind for f in findings)),
        conflicts=findings,
    )
