"""GET /documents, /documents/{doc_id} and /clauses/{clause_id}: the corpus, outlines and clauses in context."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from api.convert import clause_brief, reference_out
from api.deps import LibraryDep
from api.schemas import (
    ERROR_RESPONSES,
    MAX_ID_CHARS,
    MAX_OUTLINE_PAGE,
    OUTLINE_PAGE,
    ClauseDetail,
    DocumentDetail,
    DocumentList,
    OutlineEntry,
)
from search.searcher import clause_path  # the same human path as Hit.path: "Điều 5 > khoản 2"

SIBLING_WINDOW = 8  # siblings shown on each side of a clause in context; a law's top level has hundreds

router = APIRouter(tags=["documents"])


@router.get("/documents", response_model=DocumentList, summary="All indexed documents")
def list_documents(library: LibraryDep) -> DocumentList:
    documents = sorted(library.summaries.values(), key=lambda d: d.doc_id)
    return DocumentList(total=len(documents), documents=documents)


# {doc_id:path}: an id may hold "/" (sub/002_x beside 002_x, when two files share a name).
@router.get("/documents/{doc_id:path}", response_model=DocumentDetail, responses={404: ERROR_RESPONSES[404]},
            summary="One document: metadata, one page of its outline, references in and out")
def get_document(
    library: LibraryDep,
    doc_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)],
    offset: Annotated[int, Query(ge=0, description="first outline entry of the page")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_OUTLINE_PAGE, description="outline entries per page")] = OUTLINE_PAGE,
) -> DocumentDetail:
    document = library.document(doc_id)
    page = document.clauses[offset : offset + limit]
    outline = [
        OutlineEntry(
            clause_id=clause.id,
            kind=clause.kind,
            label=clause.path[-1].label if clause.path else "",
            path=clause_path(clause),
            depth=len(clause.path),
            title=clause.title,
            parent_id=clause.parent_id,
            citation=clause.citation,
        )
        for clause in page
    ]
    following = offset + limit
    return DocumentDetail(
        **library.summaries[doc_id].model_dump(),
        outline=outline,
        offset=offset,
        limit=limit,
        next_offset=following if following < len(document.clauses) else None,
        references_out=[reference_out(r, doc_id) for r in document.references],
        references_in=library.references_in(doc_id),
    )


@router.get("/clauses/{clause_id:path}", response_model=ClauseDetail, responses={404: ERROR_RESPONSES[404]},
            summary="One clause in context: text, citation, parent, siblings and children")
def get_clause(library: LibraryDep, clause_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)]) -> ClauseDetail:
    clause = library.clause(clause_id)
    document = library.document(clause.doc_id)
    family = [c for c in document.clauses if c.parent_id == clause.parent_id]
    position = next((i for i, c in enumerate(family) if c.id == clause.id), 0)
    window_start = max(0, position - SIBLING_WINDOW)
    siblings = family[window_start : position + SIBLING_WINDOW + 1]
    parent = library.clause(clause.parent_id) if clause.parent_id else None
    return ClauseDetail(
        clause_id=clause.id,
        doc_id=clause.doc_id,
        source=document.source,
        kind=clause.kind,
        path=clause_path(clause),
        headings=list(clause.headings),
        text=clause.text,
        clean_text=clause.clean_text,
        lines=tuple(clause.lines),
        citation=clause.citation,
        citation_en=clause.citation_en,
        title=clause.title,
        fields=dict(clause.fields),
        document=library.summaries[clause.doc_id].meta,
        parent=clause_brief(parent) if parent else None,
        siblings=[clause_brief(c) for c in siblings],
        position=position - window_start,
        children=[clause_brief(c) for c in document.clauses if c.parent_id == clause.id],
    )
