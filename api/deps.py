"""What the routers depend on (`Depends`): the served index version with its derived lookups, the metrics,
the limits and the cross-checker.

The served version is live: `LiveLibrary` watches the index's `CURRENT` pointer (and is told by
POST /admin/reload) and, when a build has published a new version, opens it beside the old one and swaps
the reference. A request takes the `Library` once, when it starts, and keeps it to the end, so requests in
flight finish on the version they began with and none is dropped or sees two versions.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from api.convert import meta_out, reference_out
from api.crosscheck import CrossChecker
from api.errors import NotFound
from api.limits import Limits
from api.metrics import Metrics
from api.schemas import DocumentSummary, ReferenceOut

log = logging.getLogger("lexvn.api")

ENV_RAY = "LEXVN_RAY_ADDRESS"  # `lexvn serve --ray`: the cluster a sharded index's replicas run on
ENV_REPLICAS = "LEXVN_SHARD_REPLICAS"  # `lexvn serve --replicas`: Ray actors per shard
CONFLICT_CACHE = 64  # cross-check results kept per version (each is seconds of work on large documents)


class Library:
    """One opened index version plus the read-only lookups the API derives from it (computed once, cached)."""

    def __init__(self, index_dir: Path, searcher: Any = None) -> None:
        self.index_dir = Path(index_dir)
        if searcher is None:
            # heavy imports (faiss, torch) only when an app is really created; a sharded index runs its shard
            # replicas on the Ray cluster `lexvn serve --ray` names
            from search.sharded import open_index

            searcher = open_index(self.index_dir, address=os.environ.get(ENV_RAY) or None,
                                  replicas=int(os.environ.get(ENV_REPLICAS) or 1))
            # The first query of a process pays for underthesea's and the encoder's lazy loading: pay it
            # when the version is opened, not on a user's request.
            searcher.warm_up()
        self.searcher = searcher
        self.version = searcher.directory.name
        self.built_at = searcher.manifest.get("built_at")
        self.opened_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self._lock = threading.Lock()
        self._references_in: dict[str, list[ReferenceOut]] | None = None
        self._conflicts: OrderedDict[tuple[str | None, ...], Any] = OrderedDict()
        self.summaries = {summary.doc_id: summary for summary in self._summaries()}
        self.clause_count = sum(summary.clause_count for summary in self.summaries.values())

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
                    for reference in self.searcher.document_header(other_id).references:
                        target = reference.resolved_doc_id
                        if target and target != other_id:
                            found.setdefault(target, []).append(reference_out(reference, other_id))
                self._references_in = found
        return self._references_in.get(doc_id, [])

    def cached_conflicts(self, key: tuple[str | None, ...], compute: Callable[[], Any]) -> Any:
        """The cross-check of `key` from this version's cache, computed (outside the lock) when missing.
        The cache lives and dies with the version, so a reload never serves an old version's findings."""
        with self._lock:
            if key in self._conflicts:
                self._conflicts.move_to_end(key)
                return self._conflicts[key]
        value = compute()
        with self._lock:
            self._conflicts[key] = value
            while len(self._conflicts) > CONFLICT_CACHE:
                self._conflicts.popitem(last=False)
        return value


def settle_memory() -> None:
    """Freeze what lives as long as the served version, so collections walk only what requests allocate.

    The index, torch, underthesea and their modules are ~500k objects; a full collection walking them stalled
    a request for 100-300 ms (the p99 under load). Unfreezing first lets a replaced version's cycles go.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class LiveLibrary:
    """The version being served, replaced by a newer one between requests (see the module docstring)."""

    def __init__(self, index_dir: Path, searcher: Any = None) -> None:
        self.index_dir = Path(index_dir)
        self._library = Library(self.index_dir, searcher)
        self._reload_lock = threading.Lock()  # one reload at a time: the watcher and the admin endpoint
        self.last_check: str | None = None
        self.last_error: str | None = None
        settle_memory()

    @property
    def current(self) -> Library:
        return self._library

    def reload(self) -> dict[str, Any]:
        """Serve the version `CURRENT` names now, if it is another one. Never raises: a version that cannot
        be opened is logged (once) and the current one stays."""
        from indexer.manifest import read_pointer

        with self._reload_lock:
            self.last_check = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            served = self._library
            pointer = read_pointer(self.index_dir)
            if pointer is None or pointer == served.version:
                return {"reloaded": False, "version": served.version}
            try:
                library = Library(self.index_dir)
            except Exception as error:  # a damaged or vanished version must not stop the watcher
                message = f"{type(error).__name__}: {error}"
                if message != self.last_error:
                    log.warning("keeping index version %s: version %s cannot be opened (%s)", served.version,
                                pointer, message)
                self.last_error = message
                return {"reloaded": False, "version": served.version, "error": message}
            self._library = library  # one reference assignment: a request sees the old or the new version
            self.last_error = None
            settle_memory()
            log.info("now serving index version %s (was %s)", library.version, served.version)
            return {"reloaded": True, "version": library.version, "previous": served.version}

    def watch(self, interval: float) -> threading.Event:
        """Check for a new version every `interval` seconds in a daemon thread; set the event to stop."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                self.reload()

        threading.Thread(target=loop, name="lexvn-reload", daemon=True).start()
        return stop


def get_library(request: Request) -> Library:
    return request.app.state.live.current


def get_live(request: Request) -> LiveLibrary:
    return request.app.state.live


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def get_limits(request: Request) -> Limits:
    return request.app.state.limits


def get_checker(request: Request) -> CrossChecker:
    return request.app.state.crosschecker


LibraryDep = Annotated[Library, Depends(get_library)]
LiveDep = Annotated[LiveLibrary, Depends(get_live)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
LimitsDep = Annotated[Limits, Depends(get_limits)]
CheckerDep = Annotated[CrossChecker, Depends(get_checker)]
