"""What an index version was built from, and what has changed since: the one answer to "is it current?".

A version records the corpus it reflects (each indexed file's sha256 and doc_id, the files it rejected with
their sha256, the paths walking skipped) and the code and data it was built with (ingestion fingerprint,
term code stamp, metadata sidecar hash, embedding model and its fingerprint, HNSW parameters).
`changes(state, manifest, …)` compares that record with the corpus and code now and lists every
difference in words; an empty list means a build would write the same index, so `build_index` writes
nothing (a no-op build reads file hashes and one manifest, it neither parses nor encodes).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.bm25 import BM25_PARAMS
from indexer.embed import ModelNotFound, graph_parameters, model_fingerprint
from indexer.load import CorpusListing
from indexer.manifest import Manifest

# The modules and data that decide how a file becomes a Document (its text, clauses, metadata, references):
# documents ingested by other versions of these are parsed again. Training, evaluation and the CLI are
# not among them, so editing them never makes an index stale (tests/indexer/test_fingerprint.py).
INGEST_MODULES = ("textmap.py", "normalise.py", "model.py", "kinds.py", "citation.py", "structure.py", "load.py",
                  "clean.py", "repair.py", "metadata.py", "references.py", "parse.py", "pipeline.py")
# The index-side modules: they shape terms, vectors and the store, which carry stamps of their own (terms_stamp, the
# model fingerprint, keyed vectors, the format version), not the documents.
INDEX_MODULES = ("bm25.py", "build.py", "embed.py", "imports.py", "manifest.py", "segment.py", "state.py",
                 "shards.py", "static_encoder.py", "store.py", "vectors.py")
# What makes BM25 term rows: stored rows are reused only while these files are unchanged.
TERM_MODULES = ("segment.py", "build.py", "normalise.py")


def pipeline_fingerprint(root: Path | None = None) -> str:
    """Hash of the ingestion code and data (`INGEST_MODULES`, `data/*`) of the indexer package at `root`."""
    root = root or Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*(root / name for name in INGEST_MODULES), *root.glob("data/*")]):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def terms_stamp() -> str:
    """Stored term rows are reused only when the code that makes terms (and these parameters) is unchanged.

    Computed once per process: it describes the code this process runs, even if the files change meanwhile.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(json.dumps(BM25_PARAMS, sort_keys=True).encode())
    for name in TERM_MODULES:
        path = root / name
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def file_hash(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it cannot be read (the build then reports it)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def sidecar_hash(corpus_dir: Path) -> str | None:
    from indexer.metadata import SIDECAR_NAME

    return file_hash(Path(corpus_dir) / SIDECAR_NAME)


@dataclass(slots=True)
class CorpusState:
    """A corpus as a build sees it: its files with their ids and hashes, and the paths walking skipped."""

    listing: CorpusListing
    ids: dict[str, str]  # source → doc_id
    hashes: dict[str, str | None]  # source → sha256 (None: unreadable)
    stamp: dict[str, str | None]  # pipeline fingerprint, sidecar hash, terms stamp

    @property
    def skipped(self) -> list[list[str]]:
        return [[skipped.path, skipped.reason] for skipped in self.listing.skipped]


def corpus_state(corpus_dir: Path) -> CorpusState:
    from indexer import pipeline

    listing = pipeline.corpus_listing(corpus_dir)
    return CorpusState(
        listing=listing,
        ids=pipeline.assign_doc_ids(file.source for file in listing.files),
        hashes={file.source: file_hash(file.path) for file in listing.files},
        stamp=build_stamp(corpus_dir),
    )


def build_stamp(corpus_dir: Path) -> dict[str, str | None]:
    return {"pipeline": pipeline_fingerprint(), "sidecar": sidecar_hash(corpus_dir), "terms": terms_stamp()}


def model_changed(built: dict[str, Any] | None) -> bool:
    """Whether the model an index was built with has other weights now than then (same name, new files).
    Indexes written before fingerprints were recorded are trusted."""
    if not built or not built.get("fingerprint"):
        return False
    try:
        return model_fingerprint(built["name"]) != built["fingerprint"]
    except ModelNotFound:
        return True


def graph_outdated(built: dict[str, Any] | None) -> bool:
    """Whether an index's HNSW graph was built with other parameters than the current ones."""
    return bool(built) and built.get("faiss") == "hnsw" and built.get("graph") != graph_parameters()


def dense_changes(built: dict[str, Any] | None, dense: bool | None, model: str | None) -> list[str]:
    """How the index's dense side differs from what is asked: `dense` True (with `model`, or any model when
    None), False (no vectors wanted) or None (either will do)."""
    if dense is None:
        return []
    if not dense:
        return ["the index has dense vectors and a lexical-only index is asked for"] if built else []
    if not built:
        return ["the index has no dense vectors"]
    reasons = []
    if model is not None and built.get("name") != model:
        reasons.append(f"the index was built with model {built.get('name')}, not {model}")
    elif model_changed(built):
        reasons.append(f"model {built.get('name')} has other weights than when the index was built")
    if graph_outdated(built):
        reasons.append("its HNSW graph was built with older parameters (vectors are kept, the graph is rebuilt)")
    return reasons


def corpus_changes(state: CorpusState, manifest: Manifest) -> list[str]:
    """How the corpus differs from what the version reflects (files, ids, rejected files, skipped paths)."""
    indexed = {entry.source: (entry.content_hash, doc_id) for doc_id, entry in manifest.documents.items()}
    added, modified, renamed, retried = 0, 0, 0, 0
    for source, digest in state.hashes.items():
        if source in indexed:
            old_hash, old_id = indexed[source]
            modified += old_hash != digest
            renamed += old_hash == digest and old_id != state.ids[source]
        elif source in manifest.rejected:
            retried += manifest.rejected[source] != digest  # a rejected file changed: it may read now
        else:
            added += 1
    removed = len((indexed.keys() | manifest.rejected.keys()) - state.hashes.keys())
    reasons = []
    if added or modified or removed:
        reasons.append(f"corpus changed: {added} new, {modified} modified, {removed} removed files")
    if retried:
        reasons.append(f"{retried} file(s) the last build could not index changed")
    if renamed:
        reasons.append(f"{renamed} document id(s) changed (file names that now collide, or no longer do)")
    if sorted(map(tuple, manifest.skipped)) != sorted(map(tuple, state.skipped)):
        reasons.append("the paths skipped while walking the corpus changed")
    return reasons


def code_changes(state: CorpusState, manifest: Manifest) -> list[str]:
    built = manifest.incremental
    words = {"pipeline": "the ingestion code or its data changed", "sidecar": "metadata.json changed",
             "terms": "the term code changed"}
    return [words[key] for key, value in state.stamp.items() if built.get(key) != value]


def changes(state: CorpusState, manifest: Manifest, *, dense: bool | None, model: str | None) -> list[str]:
    """Every reason the version does not reflect the corpus and code now (empty: it does)."""
    return (corpus_changes(state, manifest) + code_changes(state, manifest)
            + dense_changes(manifest.model, dense, model))
