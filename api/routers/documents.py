"""GET /documents, /documents/{doc_id}, /documents/{doc_id}/clauses and /clauses/{clause_id}: the corpus,
outlines, a whole document to read and clauses in context."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from api.deps import Library, LibraryDep
from api.schemas import (
    ERROR_RESPONSES,
    MAX_ID_CHARS,
    MAX_OUTLINE_PAGE,
    OUTLINE_PAGE,
    ClauseDetail,
    ClauseView,
    DocumentDetail,
    DocumentList,
    DocumentText,
)
from api.views import clause_detail, document_detail, outline_fields

# The headings a reader navigates by: Phần / Chương / Mục / Điều of a law, Mục I / 1 / a of a plan, appendices.
OUTLINE_KINDS = frozenset({"phan", "chuong", "muc", "dieu", "part", "appendix", "item", "point"})
IMPLEMENTS = "thuc_hien"

router = APIRouter(tags=["documents"])


@lru_cache(maxsize=8)
def implemented(library: Library) -> dict[str, Counter]:
    """doc_id → the corpus documents it implements, with how many of its mentions say so (read-only index)."""
    found: dict[str, Counter] = {}
    for doc_id in library.summaries:
        for reference in library.document(doc_id).references:
            target = reference.resolved_doc_id
            if reference.relation == IMPLEMENTS and target and target != doc_id:
                found.setdefault(doc_id, Counter())[target] += 1
    return found


@router.get("/documents", response_model=DocumentList, summary="All indexed documents")
def list_documents(library: LibraryDep) -> DocumentList:
    targets = implemented(library)
    documents = [summary.model_copy(update={"implements": [t for t, _ in targets.get(summary.doc_id, Counter()).most_common()]})
                 for summary in sorted(library.summaries.values(), key=lambda d: d.doc_id)]
    return DocumentList(total=len(documents), documents=documents)


# {doc_id:path}: an id may hold "/" (sub/002_x beside 002_x, when two files share a name); the route of a
# document's clauses comes first, so "…/clauses" is never read as part of an id.
@router.get("/documents/{doc_id:path}/clauses", response_model=DocumentText, responses={404: ERROR_RESPONSES[404]},
            summary="A whole document to read: every clause with its reading text, outline headings marked")
def get_document_text(library: LibraryDep, doc_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)]) -> DocumentText:
    document = library.document(doc_id)
    clauses = [
        ClauseView(
            **outline_fields(clause),
            citation_en=clause.citation_en,
            display_text=clause.display_mapped().text,
            fields=dict(clause.fields),
            pages=clause.pages,
            outline=clause.kind in OUTLINE_KINDS,
        )
        for clause in document.clauses
    ]
    return DocumentText(doc_id=doc_id, source=document.source, meta=library.summaries[doc_id].meta,
                        pages=len(document.pages), clauses=clauses)


@router.get("/documents/{doc_id:path}", response_model=DocumentDetail, responses={404: ERROR_RESPONSES[404]},
            summary="One document: metadata, one page of its outline, references in and out")
def get_document(
    library: LibraryDep,
    doc_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)],
    offset: Annotated[int, Query(ge=0, description="first outline entry of the page")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_OUTLINE_PAGE, description="outline entries per page")] = OUTLINE_PAGE,
) -> DocumentDetail:
    return document_detail(library, doc_id, offset=offset, limit=limit)


@router.get("/clauses/{clause_id:path}", response_model=ClauseDetail, responses={404: ERROR_RESPONSES[404]},
            summary="One clause in context: text, citation, parent, siblings and children")
def get_clause(library: LibraryDep, clause_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)]) -> ClauseDetail:
    return clause_detail(library, clause_id)
