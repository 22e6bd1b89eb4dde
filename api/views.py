"""The API's views of index objects, shared by the HTTP routes and the MCP tools: a clause in its context,
a document with its outline and relations, an answer in the response shape."""

from __future__ import annotations

from typing import Any

from api.convert import clause_brief, display_text, reference_out
from api.deps import Library
from api.schemas import (
    OUTLINE_PAGE,
    AnswerResponse,
    ClauseDetail,
    DocumentDetail,
    DocumentMetaOut,
    OutlineEntry,
)
from search.searcher import clause_path  # the same human path as Hit.path: "Điều 5 > khoản 2"

SIBLING_WINDOW = 8  # siblings shown on each side of a clause in context; a law's top level has hundreds


def clause_detail(library: Library, clause_id: str) -> ClauseDetail:
    """One clause with its parent, its siblings (a window around it) and its children; NotFound if unknown."""
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
        display=display_text(clause),
        pages=clause.pages,
        document=library.summaries[clause.doc_id].meta,
        parent=clause_brief(parent) if parent else None,
        siblings=[clause_brief(c) for c in siblings],
        position=position - window_start,
        children=[clause_brief(c) for c in document.clauses if c.parent_id == clause.id],
    )


def outline_fields(clause: Any) -> dict[str, Any]:
    """What an outline entry says of a clause; the document view's clauses say it too."""
    return {"clause_id": clause.id, "kind": clause.kind, "label": clause.path[-1].label if clause.path else "",
            "path": clause_path(clause), "depth": len(clause.path), "title": clause.title,
            "parent_id": clause.parent_id, "citation": clause.citation}


def document_detail(library: Library, doc_id: str, max_depth: int | None = None, offset: int = 0,
                    limit: int = OUTLINE_PAGE) -> DocumentDetail:
    """Metadata, one page of the outline (`limit` entries from `offset`; to `max_depth` levels when given)
    and references out of and into the document."""
    document = library.document(doc_id)
    clauses = [c for c in document.clauses if max_depth is None or len(c.path) <= max_depth]
    outline = [OutlineEntry(**outline_fields(clause)) for clause in clauses[offset : offset + limit]]
    following = offset + limit
    return DocumentDetail(
        **library.summaries[doc_id].model_dump(),
        outline=outline,
        offset=offset,
        limit=limit,
        next_offset=following if following < len(clauses) else None,
        references_out=[reference_out(r, doc_id) for r in document.references],
        references_in=library.references_in(doc_id),
    )


def answer_response(library: Library, answer: Any, took_ms: float,
                    page_url: Any = None) -> AnswerResponse:
    """A `search.answer.Answer` in the response shape; `page_url(clause_id)` links each cited clause."""
    data = answer.to_json()
    for item in data["evidence"]:
        summary = library.summaries.get(item["doc_id"])
        item["document"] = summary.meta if summary else DocumentMetaOut(**{
            key: value for key, value in _meta_fields(item["document"]).items() if value is not None})
        if page_url is not None:
            item["page_url"] = page_url(item["clause_id"])
    return AnswerResponse.model_validate({**data, "took_ms": round(took_ms, 2)})


def _meta_fields(document: dict[str, Any]) -> dict[str, Any]:
    """Hit.document's keys (type, number, …) in DocumentMetaOut's names."""
    return {"doc_type": document.get("type"), "number": document.get("number"), "issuer": document.get("issuer"),
            "date": document.get("date"), "title": document.get("title"), "language": document.get("language") or "vi"}

