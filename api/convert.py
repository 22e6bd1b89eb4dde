"""Index objects (search.model.Hit, indexer.model.Clause, …) → the API's response models."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from api.schemas import ClauseBrief, DocumentMetaOut, DocumentSummary, HitGroup, HitOut, ReferenceOut
from search.searcher import clause_path, group_by_document  # the same human path and grouping as the CLI


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
    )


def reference_out(reference: Any, from_doc_id: str) -> ReferenceOut:
    """An `indexer.model.Reference` (a dataclass) found in document `from_doc_id`."""
    return ReferenceOut.model_validate({**asdict(reference), "from_doc_id": from_doc_id})


def hit_out(hit: Any, documents: dict[str, DocumentSummary]) -> HitOut:
    """A `search.model.Hit`, with the document's published metadata (from the listing when it is known)."""
    summary = documents.get(hit.doc_id)
    document = summary.meta if summary else DocumentMetaOut(**_known_meta(hit.document))
    return HitOut.model_validate({**hit.to_json(), "document": document})


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
