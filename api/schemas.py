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
# Paging ("more results") runs through the first RESULT_WINDOW results: within them every page is a slice
# of one ranking (the searcher fuses its signals' first max(100, k) candidates, so a deeper request would
# rank differently). Facet counts for a query are taken over the same results.
RESULT_WINDOW = MAX_K
MAX_OFFSET = RESULT_WINDOW - 1
FACET_DEPTH = RESULT_WINDOW
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
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET,
                        description=f"results to skip (paging: the next page starts at offset + k); pages run "
                                    f"through the first {RESULT_WINDOW} results")
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


class DisplayText(BaseModel):
    """The clause as a reader sees it: a PDF's hard wraps inside a sentence reflowed into spaces, paragraph
    breaks kept, page numbers dropped, lost glyphs restored. `text` and `citation` stay the source's own."""

    text: str
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="the hit's highlights in `text`'s coordinates, one span each"
    )


class MatchReason(BaseModel):
    """One reason a clause was returned, from the search signals that ranked it."""

    signal: str = Field(description="phrase (the exact phrase occurs), words (keywords, BM25), meaning "
                                    "(dense similarity), translated (a translation of the query matched), or "
                                    "the name of another signal")
    source: str = Field(description="the key in `scores` this reason comes from")
    rank: int | None = Field(default=None, description="the clause's rank by this signal alone")
    count: int | None = Field(default=None, description="phrase: how many times the phrase occurs")


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
    display: DisplayText | None = Field(default=None, description="the reading text with the highlights")
    fields: dict[str, str] = Field(default_factory=dict, description="appendix row: its table's columns")
    field_highlights: dict[str, list[tuple[int, int]]] = Field(
        default_factory=dict, description="appendix row: the highlighted words in each column's value"
    )
    pages: tuple[int, int] | None = Field(default=None, description="first and last page, for a paged source")
    match: list[MatchReason] = Field(default_factory=list, description="why the clause matched")

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
    offset: int = 0
    has_more: bool = Field(default=False, description="more results follow (ask again with offset + k)")
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
    implements: list[str] = Field(default_factory=list,
                                  description="corpus documents this one implements (thực hiện), by doc_id")


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
    display_text: str = Field(default="", description="the reading text (see DisplayText)")


class ClauseView(BaseModel):
    """A clause as the document view shows it."""

    clause_id: str
    kind: str
    label: str
    path: str
    depth: int
    title: str | None = None
    parent_id: str | None = None
    citation: str
    citation_en: str
    display_text: str
    fields: dict[str, str] = Field(default_factory=dict)
    pages: tuple[int, int] | None = None
    outline: bool = Field(description="a heading of the document's outline (Phần, Chương, Mục, Điều; Mục I, 1, a)")


class DocumentText(BaseModel):
    doc_id: str
    source: str
    meta: DocumentMetaOut
    pages: int = Field(default=0, description="page count of a paged source (0 otherwise)")
    clauses: list[ClauseView]


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
    display: DisplayText
    pages: tuple[int, int] | None = None
    document: DocumentMetaOut
    parent: ClauseBrief | None = None
    siblings: list[ClauseBrief] = Field(description="clauses with the same parent, in document order, this one included")
    position: int = Field(description="index of this clause in `siblings`")
    children: list[ClauseBrief] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- facets


class FacetValue(BaseModel):
    value: str
    count: int


class FacetsResponse(BaseModel):
    query: str | None
    unit: Literal["clauses", "documents"] = Field(
        description="clauses: results of the query counted (over its first `depth`); documents: without a query")
    depth: int
    total: int = Field(description="results (or documents) the counts are taken from, all filters applied")
    doc_type: list[FacetValue]
    issuer: list[FacetValue]
    year: list[FacetValue]


# ---------------------------------------------------------------------------------------------- conflicts


class ClauseRefOut(BaseModel):
    clause_id: str
    doc_id: str
    citation: str
    text: str
    display_text: str = Field(default="", description="the reading text (see DisplayText)")


class ConflictOut(BaseModel):
    kind: str = Field(description="value_changed, comparator_changed, deadline_changed, obligation_dropped, "
                                  "obligation_added, modality_changed, agency_changed or consistent")
    source: ClauseRefOut | None = Field(description="the clause of the document under review (A); null when A "
                                                    "has no clause for it")
    target: ClauseRefOut | None = Field(description="the clause of the reference (B); null when B has none")
    similarity: float
    confidence: float
    facts_source: list[dict[str, Any]] = Field(default_factory=list)
    facts_target: list[dict[str, Any]] = Field(default_factory=list)
    differences: list[str] = Field(default_factory=list)
    changes: list[dict[str, Any]] = Field(default_factory=list, description="per difference: kind, the fact as the "
                                          "reviewed document and as the reference state it (null: not stated)")
    message_en: str = Field(default="", description="which document does what, in English")
    message_vi: str = Field(default="", description="the same in Vietnamese")
    reviewed_doc: str = ""
    reference_doc: str = ""
    counterpart: str = Field(default="aligned", description="aligned; nearest (the closest clause, not a "
                                                            "counterpart); none")

    @field_validator("similarity", "confidence")
    @classmethod
    def _finite(cls, value: float) -> float:
        return finite(value)


class ConflictsResponse(BaseModel):
    doc: str
    against: str | None = Field(description="the document checked against; null: the documents `doc` cites")
    reviewed: str = Field(description="the document under review (A), whichever of the two was named first")
    references: list[str] = Field(description="the reference document(s) (B)")
    total: int
    by_kind: dict[str, int]
    conflicts: list[ConflictOut]


class CoverageChangeOut(BaseModel):
    kind: str
    fact: str
    reference_value: str
    reviewed_value: str
    message_en: str
    message_vi: str


class CoverageRowOut(BaseModel):
    clause: ClauseRefOut = Field(description="a clause of the reference document")
    status: Literal["implemented", "changed", "omitted"]
    counterparts: list[ClauseRefOut] = Field(description="clauses of the reviewed document aligned with it")
    findings: list[str] = Field(default_factory=list)
    changes: list[CoverageChangeOut] = Field(default_factory=list, description="changed: which fact, both values")
    nearest: ClauseRefOut | None = Field(default=None, description="omitted: the closest clause of the reviewed "
                                                                   "document, which does not take it up")


class CoverageOut(BaseModel):
    reviewed: str = Field(description="the document under review (A)")
    reference: str = Field(description="the reference (B) whose clauses are the rows")
    basis: str = Field(description="why B is the reference: cites (A cites or implements it), older, order")
    swapped: bool = Field(description="the reference was named first")
    totals: dict[str, int]
    rows: list[CoverageRowOut]


class CoverageResponse(BaseModel):
    against: str = Field(description="the reference document")
    documents: list[str] = Field(description="the documents under review, one column each")
    matrices: list[CoverageOut]


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


# ---------------------------------------------------------------------------------------------- answers


class FactOut(BaseModel):
    kind: str = Field(description="percent | amount | duration | count | date | deadline")
    value: Any = Field(description="comparable value: a number (percent points, đồng, days…) or an ISO interval 'start..end'")
    text: str = Field(description="as written in the clause")
    describe: str = Field(description="the value in words, with its comparator: '≥ 0.5 %'")
    unit: str | None = None
    comparator: str = Field(default="eq", description="ge | le | gt | lt | eq")
    span: tuple[int, int] | None = Field(default=None, description="[start, end) offsets into the clause's `text`")


class EvidenceOut(BaseModel):
    clause_id: str
    doc_id: str
    source: str
    citation: str
    citation_en: str
    path: str
    text: str = Field(description="the clause's original text")
    sentence: str = Field(description="the sentence that answers")
    sentence_span: tuple[int, int] = Field(description="[start, end) offsets in `text` of the original of `sentence` (cleaned: joined lines, repaired glyphs)")
    facts: list[FactOut] = Field(default_factory=list, description="numbers, durations and dates the sentence states")
    coverage: float = Field(description="share of the question's words (weighted by rarity) the clause covers")
    rank: int = Field(description="the clause's rank in the search for the question")
    document: DocumentMetaOut
    page_url: str | None = Field(default=None, description="the clause on the lexvn page")


class CandidateOut(BaseModel):
    clause_id: str
    citation: str
    rank: int
    coverage: float
    typed: bool = Field(description="states a fact of the kind the question asks for")
    missing: list[str]
    apart: list[str] = Field(default_factory=list, description="neighbouring question words found far apart")


class ConfidenceOut(BaseModel):
    coverage: float
    threshold: float
    expected: str | None = Field(description="the kind of fact asked for: percent, quantity, duration, date or null")
    words: list[str] = Field(description="the question's content words")
    missing: list[str] = Field(description="content words the best clause does not cover")
    absent: list[str] = Field(description="content words no indexed clause holds")
    confident: bool
    reason: str
    candidates: list[CandidateOut] = Field(default_factory=list)


class ClaimOut(BaseModel):
    kind: str = Field(description="marker | quantity | date | number | document | reference")
    text: str
    supported: bool
    clause_ids: list[str] = Field(default_factory=list)
    note: str = ""


class GenerationOut(BaseModel):
    model: str | None
    text: str | None = Field(description="the model's reply, verified or not (null when it could not be asked)")
    verified: bool
    refused: bool = Field(description="strict mode withheld the reply because it failed verification")
    declined: bool = Field(description="the model said the clauses do not answer")
    claims: list[ClaimOut] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    error: str | None = None


class AnswerResponse(BaseModel):
    question: str
    language: str
    status: Literal["answered", "not_found", "flagged", "refused"] = Field(
        description="answered: extractive, or generated and verified; not_found: no confident evidence; "
                    "flagged: generated but a number, date or citation is not in the cited clauses; "
                    "refused: the same, in strict mode (`text` is then the extractive answer)")
    mode: Literal["extractive", "generated"]
    text: str = Field(description="the answer to show, or 'not found in the indexed documents'")
    evidence: list[EvidenceOut] = Field(description="the clauses cited, best first")
    confidence: ConfidenceOut
    generation: GenerationOut | None = None
    took_ms: float = 0.0
