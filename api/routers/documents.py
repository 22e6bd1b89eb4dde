"""GET /documents, /documents/{doc_id} and /clauses/{clause_id}: the corpus, outlines and clauses in context."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam

from api.deps import LibraryDep
from api.schemas import ERROR_RESPONSES, MAX_ID_CHARS, ClauseDetail, DocumentDetail, DocumentList
from api.views import clause_detail, document_detail

router = APIRouter(tags=["documents"])


@router.get("/documents", response_model=DocumentList, summary="All indexed documents")
def list_documents(library: LibraryDep) -> DocumentList:
    documents = sorted(library.summaries.values(), key=lambda d: d.doc_id)
    return DocumentList(total=len(documents), documents=documents)


@router.get("/documents/{doc_id}", response_model=DocumentDetail, responses={404: ERROR_RESPONSES[404]},
            summary="One document: metadata, outline, references in and out")
def get_document(library: LibraryDep, doc_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)]) -> DocumentDetail:
    return document_detail(library, doc_id)


@router.get("/clauses/{clause_id:path}", response_model=ClauseDetail, responses={404: ERROR_RESPONSES[404]},
            summary="One clause in context: text, citation, parent, siblings and children")
def get_clause(library: LibraryDep, clause_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)]) -> ClauseDetail:
    return clause_detail(library, clause_id)
