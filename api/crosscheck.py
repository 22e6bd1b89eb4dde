"""Cross-checking under limits: each check runs in a child process, at most N at once, stopped after T s.

Why processes: aligning two large documents is seconds of CPU-bound Python and numpy. In a server thread it
holds the GIL, so eight of them made /search go from ~5 ms to 300-690 ms; and a thread cannot be stopped.
A child process runs on its own core, and is killed when its time is up. Children are forked from a
forkserver that imported the cross-checking code once (not from the server, whose threads make fork
unsafe); a child receives only the documents and vectors of the pair, not the index.

Over the concurrency limit a request is refused at once (`CrossCheckBusy`, HTTP 429); past the time limit
it is stopped (`CrossCheckTimeout`, HTTP 503). Results are cached per index version by the caller.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# What the forkserver imports once, so each child starts in milliseconds. "__main__" as multiprocessing
# does by default: a child prepares by importing the parent's main module (every lexvn entry point guards
# its `if __name__ == "__main__"`), and found in the forkserver it is imported once, not per child.
PRELOAD = ["__main__", "api.crosscheck", "api.crosscheck_forkserver"]


def preload() -> list[str]:
    """PRELOAD, plus the main module by name when it runs as one (`python -m api.cli serve`): a child then
    re-runs it with everything it imports already loaded."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    named = [spec.name] if spec is not None and not spec.name.endswith("__main__") else []
    return [PRELOAD[0], *named, *PRELOAD[1:]]


class CrossCheckBusy(Exception):
    """As many cross-checks as allowed are running."""


class CrossCheckTimeout(Exception):
    """A cross-check ran past its time limit and was stopped."""


class CrossCheckFailed(Exception):
    """The child process failed (its error, or how it died)."""


@dataclass(frozen=True, slots=True)
class DocumentSubset:
    """The part of a searcher a cross-check reads (documents by id, their listing, clause vectors), for a few
    documents: what is sent to the child process."""

    by_id: dict[str, Any]  # doc_id → indexer.model.Document
    vectors: dict[str, np.ndarray | None]

    def get_document(self, doc_id: str) -> Any:
        return self.by_id.get(doc_id)

    def document_header(self, doc_id: str) -> Any:
        return self.by_id.get(doc_id)

    def documents(self) -> list[Any]:
        return list(self.by_id.values())

    def clause_vectors(self, doc_id: str) -> np.ndarray | None:
        return self.vectors.get(doc_id)


def subset_for(searcher: Any, doc: str | None, against: str | None) -> DocumentSubset:
    """The documents a check reads, with their clause vectors: `doc` and `against`; `doc` and what it cites
    (no `against`); or `against` and every document citing it (no `doc`: the implementation matrix)."""
    from search.crosscheck.conflicts import cited_documents, implementing_documents

    if doc is None:
        ids = [against, *implementing_documents(searcher, against)]
    else:
        ids = [doc, against] if against else [doc, *cited_documents(searcher.document_header(doc))]
    documents = {doc_id: searcher.get_document(doc_id) for doc_id in ids}
    documents = {doc_id: document for doc_id, document in documents.items() if document is not None}
    return DocumentSubset(documents, {doc_id: searcher.clause_vectors(doc_id) for doc_id in documents})


def findings_task(subset: Any, doc: str, against: str | None) -> list[dict[str, Any]]:
    """`cross_check` of `doc` against `against`, as JSON-ready dicts."""
    from search.crosscheck.conflicts import cross_check

    return [finding.to_json() for finding in cross_check(subset, doc, against)]


def coverage_task(subset: Any, doc: str | None, against: str) -> dict[str, Any]:
    """The implementation matrix of `against` in `doc` (or in every document citing it), as JSON."""
    from search.crosscheck.conflicts import coverage, coverage_matrix

    if doc is not None:
        matrix = coverage(subset, doc, against)
        return {"against": matrix.reference, "documents": [matrix.reviewed], "matrices": [matrix.to_json()]}
    found = coverage_matrix(subset, against)
    return {"against": found.reference, "documents": found.documents, "matrices": [p.to_json() for p in found.pairs]}


TASKS: dict[str, Callable[..., Any]] = {"findings": findings_task, "coverage": coverage_task}


def _child(connection: Any, subset: DocumentSubset, task: str, doc: str | None, against: str | None) -> None:
    """In the child: run the task, send back its JSON-ready result (or the error)."""
    try:
        connection.send(("ok", TASKS[task](subset, doc, against)))
    except BaseException as error:  # everything goes back to the parent, which answers the request
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


class CrossChecker:
    """Runs cross-checks in child processes within a concurrency and a time limit; thread-safe."""

    def __init__(self, concurrency: int, seconds: float) -> None:
        self.concurrency = max(1, int(concurrency))
        self.seconds = float(seconds)
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(preload())

    def start(self) -> None:
        """Start the forkserver now (it imports the cross-checking code: seconds, better not on a request)."""
        from multiprocessing import forkserver

        forkserver.ensure_running()

    def run(self, subset: DocumentSubset, doc: str | None, against: str | None, task: str = "findings") -> Any:
        """`task` ("findings": `cross_check`; "coverage": the implementation matrix) in a child process."""
        if not self._slots.acquire(blocking=False):
            raise CrossCheckBusy(f"{self.concurrency} cross-check(s) are already running, the most this server "
                                 "runs at once; retry in a few seconds")
        try:
            return self._in_child(subset, task, doc, against)
        finally:
            self._slots.release()

    def _in_child(self, subset: DocumentSubset, task: str, doc: str | None, against: str | None) -> Any:
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_child, args=(sender, subset, task, doc, against), daemon=True,
                                        name=f"lexvn-crosscheck {doc or against}")
        process.start()
        sender.close()  # the child holds the only writing end: its death ends our wait
        try:
            if not receiver.poll(self.seconds):
                raise CrossCheckTimeout(f"cross-checking {doc or against} took longer than {self.seconds:g} s and was "
                                        "stopped; `lexvn conflicts` / `lexvn coverage` run it without a time limit")
            try:
                status, payload = receiver.recv()
            except EOFError:
                raise CrossCheckFailed(f"the cross-check process ended without an answer "
                                       f"(exit code {process.exitcode})") from None
        finally:
            receiver.close()
            if process.is_alive():
                process.kill()
            process.join(timeout=5)
        if status != "ok":
            raise CrossCheckFailed(payload)
        return payload
