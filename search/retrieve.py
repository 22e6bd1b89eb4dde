"""Retrievers over a built index: BM25 (bm25s, memory-mapped) and dense (FAISS + the index's encoder).

Both return full rankings restricted to an optional boolean mask of allowed clauses (filters), as arrays
of clause positions (the order of clauses in documents.jsonl) with their scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.build import BODY_DIR, FAISS_FILE, HEAD_DIR, HEAD_ROWS_FILE, UNIT_DIR
from indexer.embed import Encoder, load_faiss, vectors_at
from indexer.normalise import skeleton
from search.query import TermGroup


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


def plain_arrays(scores: dict[str, Any]) -> dict[str, Any]:
    """A loaded score matrix with its memory maps as plain ndarray views of the same pages: slicing an
    np.memmap runs Python code of its own (__getitem__, __array_finalize__) on every one of a query's ~30
    posting lists, 0.3 ms a query on the VLC."""
    return {key: np.asarray(value) if isinstance(value, np.memmap) else value for key, value in scores.items()}


class LexicalRetriever:
    """BM25 over clause bodies plus a down-weighted BM25 over their heading chains; and BM25 over reading
    units (`unit`: one row per unit, in the order of their positions; None in an index built without it)."""

    def __init__(self, directory: Path, head_weight: float) -> None:
        from indexer.bm25 import import_bm25s

        bm25s = import_bm25s()
        self.body = bm25s.BM25.load(str(directory / BODY_DIR), mmap=True)
        self.head = bm25s.BM25.load(str(directory / HEAD_DIR), mmap=True)
        self.unit = bm25s.BM25.load(str(directory / UNIT_DIR), mmap=True) if (directory / UNIT_DIR).is_dir() else None
        for index in (self.body, self.head, self.unit):
            if index is not None:
                index.scores = plain_arrays(index.scores)
        self.head_rows = np.load(directory / HEAD_DIR / HEAD_ROWS_FILE)  # clause → heading row (0.5 MB)
        self.head_weight = head_weight
        self.size = int(self.body.scores["num_docs"])
        self._unmarked: UnmarkedVocabulary | None = None

    def _by_clause(self, index: Any, scores: np.ndarray) -> np.ndarray:
        """A field's scores by clause: the heading field holds one row per distinct heading chain."""
        return scores[self.head_rows] if index is self.head else scores

    def _scores(self, index: Any, terms: list[str]) -> np.ndarray:
        ids = index.get_tokens_ids(terms)
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return self._by_clause(index, np.asarray(index.get_scores_from_ids(ids), dtype=np.float32))

    def body_scores(self, terms: list[str]) -> np.ndarray:
        return self._scores(self.body, list(dict.fromkeys(terms)))

    def scores(self, terms: list[str]) -> np.ndarray:
        """Body score + head_weight × heading score for every clause."""
        unique = list(dict.fromkeys(terms))
        combined = self._scores(self.body, unique)
        if self.head_weight:
            combined = combined + self.head_weight * self._scores(self.head, unique)
        return combined

    def group_scores(self, groups: Sequence[TermGroup]) -> np.ndarray:
        """Body + head_weight × heading scores of a structured query: per group, its weight times the best
        of its alternatives (each the sum of its terms' scores)."""
        combined = self._group_scores(self.body, groups)
        if self.head_weight:
            combined += self.head_weight * self._group_scores(self.head, groups)
        return combined

    @property
    def unit_count(self) -> int | None:
        """Rows of the reading-unit field (None: the index has none)."""
        return None if self.unit is None else int(self.unit.scores["num_docs"])

    def unit_group_scores(self, groups: Sequence[TermGroup]) -> np.ndarray:
        """The reading-unit field's scores of a structured query, one per unit row (the index must have it)."""
        assert self.unit is not None
        return self._group_scores(self.unit, groups)

    def _group_scores(self, index: Any, groups: Sequence[TermGroup]) -> np.ndarray:
        rows = int(index.scores["num_docs"])
        total = np.zeros(rows, dtype=np.float32)
        for group in groups:
            if len(group.alternatives) == 1:
                self._add_terms(index, total, group.alternatives[0], group.weight)
                continue
            best = np.zeros(rows, dtype=np.float32)
            for alternative in group.alternatives:
                scores = np.zeros(rows, dtype=np.float32)
                self._add_terms(index, scores, alternative, 1.0)
                np.maximum(best, scores, out=best)
            total += group.weight * best
        return self._by_clause(index, total)

    @staticmethod
    def _add_terms(index: Any, into: np.ndarray, terms: Sequence[str], weight: float) -> None:
        """into[clause] += weight × BM25(term, clause) for each term (a column of the score matrix)."""
        scores = index.scores
        for term in terms:
            token_id = index.vocab_dict.get(term)
            if token_id is None:
                continue
            start, end = scores["indptr"][token_id], scores["indptr"][token_id + 1]
            # float32 arithmetic whatever the field stores (float16 impacts: indexer.bm25.compact_impacts)
            impacts = scores["data"][start:end].astype(np.float32, copy=False)
            into[scores["indices"][start:end]] += impacts * np.float32(weight)

    def field(self, name: str) -> Any:
        """A field's BM25 index by name: "body", "head" (rows: head_rows) or "unit" (rows: reading units)."""
        return {"body": self.body, "head": self.head, "unit": self.unit}[name]

    def group_presence(self, field: str, groups: Sequence[TermGroup], rows: np.ndarray) -> np.ndarray:
        """groups × rows: per group, the best share of an alternative's terms that the field's row holds
        (1: every term of some alternative). Binary searches in the sorted posting lists: a query's ~15
        groups over 50 rows cost microseconds, not a pass over every clause."""
        index = self.field(field)
        scores = index.scores
        found = np.zeros((len(groups), len(rows)))
        for g, group in enumerate(groups):
            for alternative in group.alternatives:
                share = np.zeros(len(rows))
                for term in alternative:
                    token_id = index.vocab_dict.get(term)
                    if token_id is None:
                        continue
                    postings = scores["indices"][scores["indptr"][token_id] : scores["indptr"][token_id + 1]]
                    at = np.searchsorted(postings, rows)
                    share += (at < len(postings)) & (postings[np.minimum(at, len(postings) - 1)] == rows)
                np.maximum(found[g], share / max(len(alternative), 1), out=found[g])
        return found

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """How many clauses' bodies hold each term the index has."""
        indptr = self.body.scores["indptr"]
        vocabulary = self.body.vocab_dict
        return {t: int(indptr[vocabulary[t] + 1] - indptr[vocabulary[t]]) for t in terms if t in vocabulary}

    def unmarked_vocabulary(self) -> UnmarkedVocabulary:
        if self._unmarked is None:
            self._unmarked = UnmarkedVocabulary(self.marked_frequencies())
        return self._unmarked

    def marked_frequencies(self) -> dict[str, int]:
        """Each body term with a Vietnamese mark, with the number of clauses holding it."""
        indptr = self.body.scores["indptr"]
        return {term: int(indptr[token_id + 1] - indptr[token_id]) for term, token_id in self.body.vocab_dict.items()
                if not term.isascii()}

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


class UnmarkedVocabulary:
    """The index's marked terms by their skeleton ("ket_hon" → "kết_hôn"), most frequent first: how a query
    typed without tone marks reaches clauses written with them. Built on first use (~0.5 s on the VLC)."""

    ALTERNATIVES = 3  # marked readings kept per unmarked term; "ket" is kết, két, kẹt…

    def __init__(self, frequencies: dict[str, int]) -> None:
        readings: dict[str, list[tuple[int, str]]] = {}
        for term, frequency in frequencies.items():
            key = skeleton_term(term)
            if key and key != term:
                readings.setdefault(key, []).append((frequency, term))
        self._readings = {key: [term for _df, term in sorted(found, reverse=True)[: self.ALTERNATIVES]]
                          for key, found in readings.items()}

    def readings(self, unmarked: str) -> list[str]:
        return self._readings.get(unmarked, [])


def skeleton_term(term: str) -> str:
    """A BM25 term without marks, its word joints kept: "kết_hôn" → "ket_hon"."""
    return "_".join(skeleton(part) for part in term.split("_"))


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
        return self.search_vector(self.encoder.encode_query(query, language), k, mask)

    def search_vector(self, vector: np.ndarray, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Positions and inner products of the k stored vectors nearest `vector` (allowed by mask), best first."""
        import faiss

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
        ids, scores = ids[0][keep].astype(np.int64), scores[0][keep]
        # Equal scores (clauses with the same passage) in position order, which FAISS does not promise: the
        # order is then one a sharded index's merge of its shards' lists reproduces.
        order = np.lexsort((ids, -scores))
        return ids[order], scores[order]
