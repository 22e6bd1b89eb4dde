"""Dense vectors keyed by clause: which row holds which clause's vector, and the proof that it does.

Every version with vectors has `dense.keys.json.gz`: for each FAISS position (a flat row, an HNSW label) the
clause id and a key of the passage that was encoded (its language and text, `passage_key`). A build takes a
previous vector only for a passage with the same key (the vector is a function of the passage and the
model, whose fingerprint is checked separately), so a moved, renamed or partly edited document re-encodes
only what changed, and no vector can follow a position to another clause. `check_rows` runs after every
build and before it is published: one key per clause in clause order, clause ids unique, every stored vector
the one assembled for its clause, and a sample of reused vectors equal to a fresh encoding of their text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import labels, passage_text, stored_form, stored_vectors
from indexer.model import Clause, Document
from indexer.pipeline import url_form

# gzip-compressed JSON: the VLC's keys are 8.4 MB as text (clause ids share their document's prefix), see README.
VECTOR_KEYS_FILE = "dense.keys.json.gz"
# Vectors reused for documents this build re-read (changed, renamed, re-parsed) that the check re-encodes.
# Unchanged documents keep their rows as checked when they were built.
CHECK_SAMPLE = 16
# A reused vector and a fresh encoding of its passage agree to this cosine (batching changes the last bits).
MIN_SAME_COSINE = 0.99
# Stored and assembled rows are the same floats once quantised as the index does (decoding a code and
# encoding it again gives the same code); FAISS does not compute them.
MAX_ROW_DIFFERENCE = 1e-6


class VectorKeyError(Exception):
    """The vectors of an index do not belong to its clauses (a build refuses to publish such an index)."""


def passage_key(text: str, language: str) -> str:
    """What a vector was computed from: the passage and its language (a routed model picks by language)."""
    return hashlib.sha256(f"{language}\n{text}".encode()).hexdigest()[:16]


def clause_passage(clause: Clause) -> str:
    return passage_text(clause.headings, clause.clean_text or clause.text)


@dataclass(slots=True)
class VectorKeys:
    clause_ids: list[str] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)  # passage_key of each row

    def __len__(self) -> int:
        return len(self.clause_ids)

    def save(self, path: Path) -> None:
        data = json.dumps({"clause_ids": self.clause_ids, "passages": self.passages}, ensure_ascii=False)
        path.write_bytes(gzip.compress(data.encode("utf-8"), 6, mtime=0))

    @classmethod
    def load(cls, path: Path) -> VectorKeys:
        data = json.loads(gzip.decompress(path.read_bytes()))
        keys = cls(list(data["clause_ids"]), list(data["passages"]))
        if len(keys.clause_ids) != len(keys.passages):
            raise ValueError(f"{path.name}: {len(keys.clause_ids)} clause ids for {len(keys.passages)} passages")
        return keys


def keys_mismatch(keys: VectorKeys, clause_ids: list[str]) -> str | None:
    """Where the keyed vectors part from the clauses of an index (None: one vector per clause, in order)."""
    if len(keys) != len(clause_ids):
        return f"{len(keys)} vectors for {len(clause_ids)} clauses"
    for position, (key, clause_id) in enumerate(zip(keys.clause_ids, clause_ids, strict=True)):
        if key != clause_id:
            return f"vector {position} belongs to {key}, the clause there is {clause_id}"
    return None


@dataclass(slots=True)
class OldVectors:
    """The previous version's vectors, by position, with their keys."""

    keys: VectorKeys
    matrix: np.ndarray
    starts: dict[str, int]  # source → first position of that document's rows
    counts: dict[str, int]  # source → its clause count
    by_passage: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.keys) != len(self.matrix):
            raise VectorKeyError(f"{len(self.keys)} keys for {len(self.matrix)} stored vectors")
        # the first position of each passage: any row with that key holds the same vector
        for position in range(len(self.keys) - 1, -1, -1):
            self.by_passage[self.keys.passages[position]] = position

    def rows_of(self, doc: Document) -> range | None:
        """The rows a document taken over unchanged had, when its keys confirm they are its own."""
        start, count = self.starts.get(doc.source), self.counts.get(doc.source)
        if start is None or count is None or start + count > len(self.keys):
            return None
        prefix = url_form(doc.doc_id) + ":"
        if not all(clause_id.startswith(prefix) for clause_id in self.keys.clause_ids[start : start + count]):
            return None
        return range(start, start + count)


@dataclass(slots=True)
class DenseRows:
    """One vector per clause, in clause order, with where each came from."""

    matrix: np.ndarray
    keys: VectorKeys
    origin: np.ndarray  # old position each row was copied from; -1 for rows encoded by this build
    encoded: int
    # rows copied by passage key whose text this build has: what the sampled re-encoding checks
    reused_passages: dict[int, tuple[str, str]] = field(default_factory=dict)


def assemble(documents: list[Document], old: OldVectors | None, full: Callable[[Document], Document],
             encode: Callable[[list[str], list[str]], np.ndarray], dimension: Callable[[], int]) -> DenseRows:
    """Vectors for every clause of `documents` (in order): a light document (taken over without its clauses)
    keeps its old rows, every other clause takes the old vector of the same passage or is encoded."""
    keys = VectorKeys()
    origin: list[int] = []
    pending: list[tuple[int, str, str]] = []  # row, passage, language
    reused_passages: dict[int, tuple[str, str]] = {}
    for doc in documents:
        rows = old.rows_of(doc) if old is not None and not doc.clauses else None
        if rows is not None:
            keys.clause_ids.extend(old.keys.clause_ids[rows.start : rows.stop])
            keys.passages.extend(old.keys.passages[rows.start : rows.stop])
            origin.extend(rows)
            continue
        for clause in full(doc).clauses:
            text = clause_passage(clause)
            key = passage_key(text, clause.language)
            row = len(origin)
            keys.clause_ids.append(clause.id)
            keys.passages.append(key)
            position = old.by_passage.get(key, -1) if old is not None else -1
            origin.append(position)
            if position < 0:
                pending.append((row, text, clause.language))
            else:
                reused_passages[row] = (text, clause.language)
    where = np.asarray(origin, dtype=np.int64)
    fresh = encode([text for _, text, _ in pending], [language for _, _, language in pending]) if pending else None
    width = fresh.shape[1] if fresh is not None else (old.matrix.shape[1] if old is not None else dimension())
    matrix = np.zeros((len(where), width), dtype=np.float32)
    copied = np.flatnonzero(where >= 0)
    if len(copied):
        matrix[copied] = old.matrix[where[copied]]
    if fresh is not None:
        matrix[[row for row, _, _ in pending]] = fresh
    return DenseRows(matrix, keys, where, len(pending), reused_passages)


def hnsw_renumbering(origin: np.ndarray, old_total: int) -> tuple[np.ndarray, np.ndarray]:
    """(old position → new position or -1, new positions whose vectors must be added) for updating an HNSW
    graph in place: a node keeps its place when its vector is reused, once (a passage that now occurs
    twice gets a second node); every other old node becomes a tombstone."""
    position_map = np.full(old_total, -1, dtype=np.int64)
    copied = np.flatnonzero(origin >= 0)
    _, first = np.unique(origin[copied], return_index=True)
    kept = copied[first]
    position_map[origin[kept]] = kept
    added = np.setdiff1d(np.arange(len(origin), dtype=np.int64), kept)
    return position_map, added


def check_rows(rows: DenseRows, documents: list[Document], counts: list[int], index: Any,
               full: Callable[[Document], Document],
               encode: Callable[[list[str], list[str]], np.ndarray] | None) -> None:
    """Raise VectorKeyError unless every clause has exactly its own vector in `index` (see the module)."""
    total = sum(counts)
    if len(rows.keys) != total or len(rows.matrix) != total:
        raise VectorKeyError(f"{len(rows.keys)} keyed vectors for {total} clauses")
    if len(set(rows.keys.clause_ids)) != total:
        raise VectorKeyError("two vectors are keyed to the same clause id")
    start = 0
    for doc, count in zip(documents, counts, strict=True):
        ids = rows.keys.clause_ids[start : start + count]
        if doc.clauses:  # its clauses are at hand: every key is its clause and passage
            expected = [(c.id, passage_key(clause_passage(c), c.language)) for c in full(doc).clauses]
            if expected != list(zip(ids, rows.keys.passages[start : start + count], strict=True)):
                raise VectorKeyError(f"the vectors of {doc.doc_id} are not keyed to its clauses in order")
        elif not all(clause_id.startswith(url_form(doc.doc_id) + ":") for clause_id in ids):
            raise VectorKeyError(f"a vector in the rows of {doc.doc_id} belongs to another document")
        start += count
    stored = labels(index)
    if stored is not None:
        live = np.sort(stored[stored >= 0])
        if not np.array_equal(live, np.arange(total)):
            raise VectorKeyError(f"the HNSW labels are not one per clause ({len(live)} live for {total} clauses)")
    elif getattr(index, "ntotal", total) != total:
        raise VectorKeyError(f"the dense index holds {index.ntotal} vectors for {total} clauses")
    difference = float(np.abs(stored_vectors(index) - stored_form(index, rows.matrix)).max()) if total else 0.0
    if difference > MAX_ROW_DIFFERENCE:
        raise VectorKeyError(f"a stored vector differs from its clause's by {difference:.3g}")
    if encode is not None and rows.reused_passages:
        sample = sorted(rows.reused_passages)
        sample = [sample[i] for i in np.linspace(0, len(sample) - 1, min(CHECK_SAMPLE, len(sample))).astype(int)]
        fresh = encode([rows.reused_passages[r][0] for r in sample], [rows.reused_passages[r][1] for r in sample])
        cosines = np.einsum("ij,ij->i", fresh, rows.matrix[sample])
        if float(cosines.min()) < MIN_SAME_COSINE:
            row = sample[int(cosines.argmin())]
            raise VectorKeyError(f"the reused vector of {rows.keys.clause_ids[row]} is not its passage's "
                                 f"(cosine {float(cosines.min()):.3f} with a fresh encoding)")
