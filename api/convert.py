"""Index objects (search.model.Hit, indexer.model.Clause, …) → the API's response models."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from api.schemas import (
    ClauseBrief,
    DisplayText,
    DocumentMetaOut,
    DocumentSummary,
    HitGroup,
    HitOut,
    MatchReason,
    ReferenceOut,
)
from search.searcher import clause_path, group_by_document  # the same human path and grouping as the CLI

# Hit.scores keys → the reason a reader is shown; a signal not listed keeps its own name ("translated"
# and "translation*" keys read as a translated match). Order: the strongest evidence first.
SIGNAL_REASONS = {"phrase": "phrase", "bm25": "words", "dense": "meaning", "translated": "translated"}
REASON_ORDER = ("phrase", "words", "meaning", "translated")
NOT_SIGNALS = frozenset({"rrf"})


def meta_out(meta: Any) -> DocumentMetaOut:
    """An `indexer.model.DocumentMeta` (a dataclass); fields the API does not publish are left out."""
    return DocumentMetaOut.model_validate({**asdict(meta), "language": meta.language or "vi"})


def clause_brief(clause: Any) -> ClauseBrief:
    return ClauseBrief(
        clause_id=clause.id,
        kind=clause.kind,
        path=clause_path(clause),
        citation=clause.citation,
        text=clause.text,
        title=clause.title,
        display_text=clause.display_mapped().text,
    )


def display_text(clause: Any, highlights: list[tuple[int, int]] = ()) -> DisplayText:
    """The clause's reading text (`Clause.display_mapped`) with `highlights` (offsets into `clause.text`)
    carried over; a highlight that spans a reflowed line break stays one span."""
    mapped = clause.display_mapped()
    spans = sorted(mapped.from_original(start, end) for start, end in highlights)
    return DisplayText(text=mapped.text, highlights=[span for span in spans if span[1] > span[0]])


def field_highlights(fields: dict[str, str], display: DisplayText) -> dict[str, list[tuple[int, int]]]:
    """Where the highlighted words of a row's reading text occur in its columns (cells are built from the
    same cleaned lines, so a highlighted piece of text is found again, as whole words, in its cell)."""
    pieces = {" ".join(display.text[start:end].split()) for start, end in display.highlights}
    patterns = [re.compile(rf"(?<!\w){re.escape(piece)}(?!\w)") for piece in sorted(pieces) if piece]
    found: dict[str, list[tuple[int, int]]] = {}
    for name, value in fields.items():
        spans = sorted((m.start(), m.end()) for pattern in patterns for m in pattern.finditer(value))
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        if merged:
            found[name] = merged
    return found


def match_reasons(scores: dict[str, float]) -> list[MatchReason]:
    """Why a hit matched, from its per-signal scores: each signal that ranked it (or, for the phrase, found
    it), with its rank; the fused score itself is no reason a reader can use."""
    reasons = []
    for key, value in scores.items():
        if key.endswith("_rank") or key in NOT_SIGNALS:
            continue
        if key == "bm25" and value <= 0:
            continue  # no query word in the clause (a quoted phrase of stop words, or phrase mode)
        signal = SIGNAL_REASONS.get(key) or ("translated" if key.startswith("translat") else key)
        rank = scores.get(f"{key}_rank")
        reasons.append(MatchReason(signal=signal, source=key, rank=int(rank) if rank else None,
                                   count=int(value) if signal == "phrase" else None))
    order = {name: i for i, name in enumerate(REASON_ORDER)}
    return sorted(reasons, key=lambda r: (order.get(r.signal, len(order)), r.source))


def reference_out(reference: Any, from_doc_id: str) -> ReferenceOut:
    """An `indexer.model.Reference` (a dataclass) found in document `from_doc_id`."""
    return ReferenceOut.model_validate({**asdict(reference), "from_doc_id": from_doc_id})


def hit_out(hit: Any, documents: dict[str, DocumentSummary], clause: Any = None) -> HitOut:
    """A `search.model.Hit`, with the document's published metadata (from the listing when it is known)
    and, given the hit's `indexer.model.Clause`, its reading text, table columns and pages."""
    summary = documents.get(hit.doc_id)
    document = summary.meta if summary else DocumentMetaOut(**_known_meta(hit.document))
    out = HitOut.model_validate({**hit.to_json(), "document": document, "match": match_reasons(hit.scores)})
    if clause is not None:
        out.display = display_text(clause, [tuple(span) for span in hit.highlights])
        out.fields = dict(clause.fields)
        out.field_highlights = field_highlights(out.fields, out.display) if out.fields else {}
        out.pages = clause.pages
    return out


def _known_meta(values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in DocumentMetaOut.model_fields if values.get(name) is not None}


def hit_groups(hits: list[Any], converted: list[HitOut]) -> list[HitGroup]:
    """`search.searcher.group_by_document` of the raw hits, in the API's shapes (`converted[i]` is hits[i])."""
    by_rank = {hit.rank: out for hit, out in zip(hits, converted, strict=True)}
    return [
        HitGroup(doc_id=group["doc_id"], source=group["source"], document=by_rank[group["best_rank"]].document,
                 best_rank=group["best_rank"], hits=[by_rank[hit.rank] for hit in group["hits"]])
        for group in group_by_document(hits)
    ]
