"""GET /conflicts and GET /coverage: cross-check a document against another (or the documents it cites),
and the implementation matrix of a reference document, within the cross-checker's limits (429 / 503)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query

from api.crosscheck import subset_for
from api.deps import CheckerDep, LibraryDep
from api.schemas import (
    ERROR_RESPONSES,
    MAX_ID_CHARS,
    ClauseRefOut,
    ConflictOut,
    ConflictsResponse,
    CoverageResponse,
)

router = APIRouter(tags=["conflicts"])
LIMITED = (400, 404, 429, 503)


def _reading_text(library, refs: list[ClauseRefOut | None]) -> None:
    """The reading text beside the original, as in search results."""
    for ref in refs:
        if ref is not None:
            clause = library.searcher.get_clause(ref.clause_id)
            ref.display_text = clause.display_mapped().text if clause is not None else ref.text


@router.get("/conflicts", response_model=ConflictsResponse,
            responses={status: ERROR_RESPONSES[status] for status in LIMITED},
            summary="Cross-check a document against another (or the documents it cites)")
def get_conflicts(
    library: LibraryDep,
    checker: CheckerDep,
    doc: Annotated[str, Query(max_length=MAX_ID_CHARS, description="doc_id of one of the two documents")],
    against: Annotated[
        str | None, Query(max_length=MAX_ID_CHARS, description="doc_id of the other; default: the documents `doc` "
                                                               "cites. Either order: the one that cites, "
                                                               "implements or is newer than the other is reviewed")
    ] = None,
    include_consistent: Annotated[bool, Query(description="also list aligned clauses that agree")] = False,
) -> ConflictsResponse:
    for doc_id in (doc, against):
        library.require_document(doc_id)

    def compute() -> tuple[ConflictOut, ...]:
        found = checker.run(subset_for(library.searcher, doc, against), doc, against)
        findings = [ConflictOut.model_validate(finding) for finding in found]
        for finding in findings:
            _reading_text(library, [finding.source, finding.target])
        return tuple(findings)

    found = library.cached_conflicts(("conflicts", doc, against), compute)
    findings = [f for f in found if include_consistent or f.kind != "consistent"]
    reviewed = found[0].reviewed_doc if found else doc
    references = sorted({f.reference_doc for f in found}) or ([against] if against else [])
    return ConflictsResponse(
        doc=doc,
        against=against,
        reviewed=reviewed,
        references=references,
        total=len(findings),
        by_kind=dict(Counter(f.kind for f in findings)),
        conflicts=findings,
    )


@router.get("/coverage", response_model=CoverageResponse,
            responses={status: ERROR_RESPONSES[status] for status in LIMITED},
            summary="The implementation matrix: every clause of a reference and its status in each document")
def get_coverage(
    library: LibraryDep,
    checker: CheckerDep,
    against: Annotated[str, Query(max_length=MAX_ID_CHARS, description="doc_id of the reference whose clauses "
                                                                       "are the rows")],
    doc: Annotated[
        str | None, Query(max_length=MAX_ID_CHARS, description="one document under review; default: every "
                                                               "document that cites or implements `against`")
    ] = None,
) -> CoverageResponse:
    for doc_id in (against, doc):
        library.require_document(doc_id)

    def compute() -> CoverageResponse:
        result = CoverageResponse.model_validate(checker.run(subset_for(library.searcher, doc, against), doc, against,
                                                             task="coverage"))
        for matrix in result.matrices:
            for row in matrix.rows:
                _reading_text(library, [row.clause, row.nearest, *row.counterparts])
        return result

    return library.cached_conflicts(("coverage", doc, against), compute)
