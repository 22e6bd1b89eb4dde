"""Retrievers over a built index: BM25 (bm25s, memory-mapped) and dense (FAISS + the index's encoder).

Both return full rankings restricted to an optional boolean mask of allowed clauses (filters), as arrays
of clause positions (the order of clauses in documents.jsonl) with their scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from indexer.build import BODY_DIR, FAISS_FILE, HEAD_DIR
from indexer.embed import Encoder, load_faiss, vectors_at


def top_positions(scores: np.ndarray, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Positions and scores of the k best positive scores (allowed by mask), best first."""
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        part = np.argpartition(-scores[positive], k - 1)[:k]
        positive = positive[part]
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return order, scores[order]


class LexicalRetriever:
    """BM25 over clause bodies plus a down-weighted BM25 over their heading chains."""

    def __init__(self, directory: Path, head_weight: float) -> None:
        from indexer.bm25 import import_bm25s

        bm25s = import_bm25s()
        self.body = bm25s.BM25.load(str(directory / BODY_DIR), mmap=True)
        self.head = bm25s.BM25.load(str(directory / HEAD_DIR), mmap=True)
        self.head_weight = head_weight
        self.size = int(self.body.scores["num_docs"])

    def _scores(self, index: Any, terms: list[str]) -> np.ndarray:
        ids = index.get_tokens_ids(terms)
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(index.get_scores_from_ids(ids), dtype=np.float32)

    def body_scores(self, terms: list[str]) -> np.ndarray:
        return self._scores(self.body, list(dict.fromkeys(terms)))

    def scores(self, terms: list[str]) -> np.ndarray:
        """Body score + head_weight × heading score for every clause."""
        unique = list(dict.fromkeys(terms))
        combined = self._scores(self.body, unique)
        if self.head_weight:
            combined = combined + self.head_weight * self._scores(self.head, unique)
        return combined

    def postings(self, term: str) -> np.ndarray:
        """Clause positions whose body contains `term` (exact, from the sparse score matrix)."""
        token_id = self.body.vocab_dict.get(term)
        if token_id is None:
            return np.zeros(0, dtype=np.int64)
        indptr = self.body.scores["indptr"]
        return np.asarray(self.body.scores["indices"][indptr[token_id] : indptr[token_id + 1]], dtype=np.int64)

    def containing_all(self, terms: list[str]) -> np.ndarray:
        """Clause positions whose body contains every term (the exhaustive phrase candidates)."""
        lists = sorted((self.postings(term) for term in dict.fromkeys(terms)), key=len)
        if not lists:
            return np.zeros(0, dtype=np.int64)
        result = lists[0]
        for other in lists[1:]:
            if len(result) == 0:
                break
            result = np.intersect1d(result, other, assume_unique=True)
        return np.sort(result)


class DenseRetriever:
    """FAISS inner-product search with query vectors from the model the index was built with.

    The FAISS file is read on first use, so a searcher that only answers bm25 or phrase queries (a one-off
    `lexvn search --mode bm25`) never imports faiss or reads the vectors.
    """

    def __init__(self, directory: Path, model: dict[str, Any]) -> None:
        self.path = directory / FAISS_FILE
        if not self.path.is_file():
            raise FileNotFoundError(f"dense index {self.path} is missing; rebuild the index with `lexvn index`")
        self.model = model
        self.encoder = Encoder(model["name"])
        self._index: Any = None

    @property
    def index(self) -> Any:
        if self._index is None:
            index = load_faiss(self.path)
            if self.model.get("dimension") and int(self.model["dimension"]) != index.d:
                raise ValueError(f"dense index dimension {index.d} differs from the manifest's {self.model['dimension']}")
            self._index = index
        return self._index

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        """Stored vectors of these clause positions (L2-normalised rows)."""
        return vectors_at(self.index, positions)

    def search(self, query: str, k: int, mask: np.ndarray | None,
               language: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        vector = self.encoder.encode_query(query, language)
        k = min(k, self.index.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if mask is not None:
            allowed = np.flatnonzero(mask).astype(np.int64)
            if len(allowed) == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            selector = faiss.IDSelectorBatch(allowed)
            params = faiss.SearchParametersHNSW(sel=selector) if hasattr(self.index, "hnsw") \
                else faiss.SearchParameters(sel=selector)
        scores, ids = self.index.search(vector, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]
