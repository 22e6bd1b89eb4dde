"""What the routers depend on (`Depends`): the opened index with its derived lookups, and the metrics."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from api.convert import meta_out, reference_out
from api.errors import NotFound
from api.metrics import Metrics
from api.schemas import DocumentSummary, ReferenceOut


class Library:
    """The opened index plus the read-only lookups the API derives from it (computed once, cached)."""

    def __init__(self, index_dir: Path, searcher: Any = None) -> None:
        self.index_dir = Path(index_dir)
        if searcher is None:
            from search import Searcher  # heavy imports (faiss, torch) only when an app is really created

            searcher = Searcher.open(self.index_dir)
            # The first query of a process pays for underthesea's and the encoder's lazy loading: pay it
            # at start-up, not on a user's request.
            searcher.warm_up()
        self.searcher = searcher
        self._lock = threading.Lock()
        self._references_in: dict[str, list[ReferenceOut]] | None = None
        self.summaries = {summary.doc_id: summary for summary in self._summaries()}
        self.clause_count = sum(summary.clause_count for summary in self.summaries.values())
        # The index, torch, underthesea and their modules are ~500k objects that live as long as the
        # process; a full garbage collection walking them stalled a request for 100-300 ms (the p99 under
        # load). Frozen, collections only walk what requests allocate.
        gc.collect()
        gc.freeze()

    def _summaries(self) -> Iterable[DocumentSummary]:
        for document in self.searcher.documents():
            yield DocumentSummary(
                doc_id=document.doc_id,
                source=document.source,
                format=document.format,
                meta=meta_out(document.meta),
                clause_count=document.clause_count,
                content_hash=document.content_hash,
            )

    def require_document(self, doc_id: str | None) -> None:
        """Raise 404 unless `doc_id` (when given) is an indexed document."""
        if doc_id is not None and doc_id not in self.summaries:
            raise NotFound("document", doc_id)

    def document(self, doc_id: str) -> Any:
        document = self.searcher.get_document(doc_id) if doc_id in self.summaries else None
        if document is None:
            raise NotFound("document", doc_id)
        return document

    def clause(self, clause_id: str) -> Any:
        clause = self.searcher.get_clause(clause_id)
        if clause is None:
            raise NotFound("clause", clause_id)
        return clause

    def references_in(self, doc_id: str) -> list[ReferenceOut]:
        """Mentions in other corpus documents that resolve to `doc_id` (built on first use, for all)."""
        with self._lock:
            if self._references_in is None:
                found: dict[str, list[ReferenceOut]] = {}
                for other_id in self.summaries:
                    for reference in self.document(other_id).references:
                        target = reference.resolved_doc_id
                        if target and target != other_id:
                            found.setdefault(target, []).append(reference_out(reference, other_id))
                self._references_in = found
        return self._references_in.get(doc_id, [])


def get_library(request: Request) -> Library:
    return request.app.state.library


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


LibraryDep = Annotated[Library, Depends(get_library)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
