"""Typed request and response bodies of the HTTP API (pydantic v2); they are the OpenAPI schema at /docs.

Every error, whatever its cause (validation, unknown id, wrong method, an unexpected fault), has the body
`ErrorResponse`: `{"error": {"status", "code", "message", "details"}}`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_QUERY_CHARS = 1000
MAX_K = 100
MAX_ID_CHARS = 300
# Outline entries of /documents/{doc_id} per page: by default, and at most.
OUTLINE_PAGE = 500
MAX_OUTLINE_PAGE = 2000
# Query parameters that were renamed, old → new: a request still using the old name is refused (400) with
# the new one, rather than having it silently ignored. One name per thing across CLI, API and page.
RENAMED_PARAMETERS = {"counterpart": "against"}

SearchMode = Literal["hybrid", "bm25", "dense", "phrase"]
Language = Literal["vi", "en"]


def finite(value: float) -> float:
    """JSON has no NaN/Infinity; a score that is not a number is reported as 0."""
    return value if math.isfinite(value) else 0.0


# ---------------------------------------------------------------------------------------------- errors


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(default_factory=list, description="where the problem is: ['query', 'k']")
    msg: str
    type: str = ""


class ErrorInfo(BaseModel):
    status: int = Field(description="the HTTP status, repeated")
    code: str = Field(description="machine-readable: validation_error, not_found, method_not_allowed, …")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorInfo


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Body that cannot be read (not UTF-8 / not JSON), or a "
                                                 "parameter under its old name"},
    404: {"model": ErrorResponse, "description": "Unknown id"},
    413: {"model": ErrorResponse, "description": "Request body over the size limit"},
    422: {"model": ErrorResponse, "description": "Invalid parameters (query > 1000 characters, k > 100, …)"},
    429: {"model": ErrorResponse, "description": "As many cross-checks as the server runs at once are running"},
    500: {"model": ErrorResponse, "description": "Unexpected fault (reported in the same shape)"},
    503: {"model": ErrorResponse, "description": "The cross-check ran past its time limit and was stopped"},
}


# ---------------------------------------------------------------------------------------------- search


class SearchFilters(BaseModel):
    """Restrict results; every field is optional and fields combine with AND."""

    model_config = ConfigDict(extra="forbid")

    doc_ids: list[str] | None = Field(default=None, max_length=50, description="only these documents")
    doc_type: str | None = Field(default=None, max_length=100, description="Luật, Nghị quyết, Kế hoạch, …")
    language: Language | None = None
    issuer: str | None = Field(default=None, max_length=200, description="substring of the issuing body")
    number: str | None = Field(default=None, max_length=100, description="document number: 1218/QĐ-UBND")
    year_from: int | None = Field(default=None, ge=1800, le=2200, description="document year, inclusive")
    year_to: int | None = Field(default=None, ge=1800, le=2200)
    kind: str | None = Field(default=None, max_length=30, description="clause kind: dieu, khoan, item, row, …")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="words, or a \"quoted phrase\"")
    k: int = Field(default=10, ge=1, le=MAX_K, description="number of clauses to return")
    mode: SearchMode = "hybrid"
    filters: SearchFilters | None = None
    group: bool = Field(default=False, description="also return the hits grouped by document")


class DocumentMetaOut(BaseModel):
    doc_type: str | None = None
    number: str | None = None
    issuer: str | None = None
    place: str | None = None
    date: str | None = None
    title: str | None = None
    language: str = "vi"
    source_url: str | None = None


class HitOut(BaseModel):
    rank: int
    clause_id: str
    doc_id: str
    source: str
    text: str = Field(description="the clause's original text")
    citation: str
    citation_en: str
    path: str
    kind: str = ""
    headings: list[str] = Field(default_factory=list)
    score: float
    scores: dict[str, float] = Field(default_factory=dict)
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) offsets (Unicode code points) into `text`"
    )
    document: DocumentMetaOut

    @field_validator("score")
    @classmethod
    def _finite_score(cls, value: float) -> float:
        return finite(value)

    @field_validator("scores")
    @classmethod
    def _finite_scores(cls, value: dict[str, float]) -> dict[str, float]:
        return {name: finite(score) for name, score in value.items()}


class HitGroup(BaseModel):
    doc_id: str
    source: str
    document: DocumentMetaOut
    best_rank: int
    hits: list[HitOut]


class SearchResponse(BaseModel):
    query: str
    mode: SearchMode
    k: int
    took_ms: float
    total: int
    results: list[HitOut]  # the same name as `lexvn search --json` and the batch output
    groups: list[HitGroup] | None = None


# ---------------------------------------------------------------------------------------------- documents


class DocumentSummary(BaseModel):
    doc_id: str
    source: str
    format: str = ""
    meta: DocumentMetaOut
    clause_count: int
    content_hash: str = ""


class DocumentList(BaseModel):
    total: int
    documents: list[DocumentSummary]


class OutlineEntry(BaseModel):
    clause_id: str
    kind: str
    label: str = Field(description="the clause's own label as printed: 5, b, III, …")
    path: str
    depth: int
    title: str | None = None
    parent_id: str | None = None
    citation: str


class ReferenceOut(BaseModel):
    text: str
    key: str
    doc_type: str | None = None
    number: str | None = None
    date: str | None = None
    issuer: str | None = None
    relation: str | None = None
    clause_id: str | None = None
    from_doc_id: str = Field(description="the document that contains the mention")
    resolved_doc_id: str | None = Field(default=None, description="the corpus document it points to, if any")


class DocumentDetail(DocumentSummary):
    outline: list[OutlineEntry] = Field(description="one page of the clauses: `limit` entries from `offset`")
    offset: int = Field(description="position of the page's first clause in the document")
    limit: int
    next_offset: int | None = Field(description="`offset` of the next page; null on the last one")
    references_out: list[ReferenceOut]
    references_in: list[ReferenceOut]


# ---------------------------------------------------------------------------------------------- clauses


class ClauseBrief(BaseModel):
    clause_id: str
    kind: str
    path: str
    citation: str
    text: str
    title: str | None = None


class ClauseDetail(BaseModel):
    clause_id: str
    doc_id: str
    source: str
    kind: str
    path: str
    headings: list[str]
    text: str
    clean_text: str
    lines: tuple[int, int]
    citation: str
    citation_en: str
    title: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    document: DocumentMetaOut
    parent: ClauseBrief | None = None
    siblings: list[ClauseBrief] = Field(description="clauses with the same parent, in document order, this one included")
    position: int = Field(description="index of this clause in `siblings`")
    children: list[ClauseBrief] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- conflicts


class ClauseRefOut(BaseModel):
    clause_id: str
    doc_id: str
    citation: str
    text: str


class ConflictOut(BaseModel):
    kind: str
    source: ClauseRefOut
    target: ClauseRefOut
    similarity: float
    confidence: float
    facts_source: list[dict[str, Any]] = Field(default_factory=list)
    facts_target: list[dict[str, Any]] = Field(default_factory=list)
    differences: list[str] = Field(default_factory=list)

    @field_validator("similarity", "confidence")
    @classmethod
    def _finite(cls, value: float) -> float:
        return finite(value)


class ConflictsResponse(BaseModel):
    doc: str
    against: str | None = Field(description="the document checked against; null: the documents `doc` cites")
    total: int
    by_kind: dict[str, int]
    conflicts: list[ConflictOut]


# ---------------------------------------------------------------------------------------------- health


class HealthResponse(BaseModel):
    status: Literal["ok"]
    index_dir: str
    version: str = Field(description="the index version being served (the folder CURRENT named when it was opened)")
    built_at: str | None = None
    opened_at: str = Field(description="when this server opened that version")
    documents: int
    clauses: int
    model: str | None = Field(description="the dense encoder, or null for a BM25-only index")
    modes: list[str]
    manifest: dict[str, Any]
