"""The one place lexvn touches bm25s internals, behind a pinned version range (pyproject: bm25s <0.4).

An incremental build derives BM25 score matrices from stored term counts instead of re-tokenising every
clause; to give exactly the scores `bm25s.BM25.index` gives, it uses bm25s's own idf function, which bm25s
does not export. `tests/indexer/test_bm25_adapter.py` fails if bm25s changes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.imports import import_hiding

# BM25 parameters shared by the index and the rank-bm25 reference test. bm25s "atire" term frequency
# ((k1+1)·tf / (tf + k1·(1-b+b·dl/avgdl))) with "robertson" idf (log((N-df+0.5)/(df+0.5)), floored at 0) is
# exactly rank_bm25.BM25Okapi(epsilon=0).
BM25_PARAMS = {"k1": 1.2, "b": 0.75, "method": "atire", "idf_method": "robertson"}


# What bm25s imports at its own import only for options lexvn never selects: numba for its numba retrieval
# backend (lexvn scores with `get_scores_from_ids`, numpy), scipy for `csc_backend="scipy"` (lexvn keeps
# the default numpy one). Together they are most of the cost of `import bm25s` (see `make bench`'s
# cold-start section), which a one-off bm25 search would otherwise pay.
BM25S_OPTIONAL = ("numba", "scipy")


def import_bm25s() -> Any:
    """bm25s, imported with numba and scipy hidden from it when they are not loaded yet: it then takes them
    as absent (its NUMBA_AVAILABLE and SCIPY_AVAILABLE flags), while ranx, scikit-learn and lexvn's own builds
    still import them as usual. `tests/indexer/test_bm25_adapter.py` checks both."""
    return import_hiding("bm25s", BM25S_OPTIONAL)


def idf_array(document_frequencies: np.ndarray, n_docs: int) -> np.ndarray:
    """bm25s's idf (BM25_PARAMS' method) of every term, float32, from per-term document frequencies."""
    import_bm25s()
    from bm25s.scoring import _build_idf_array, _select_idf_scorer

    return _build_idf_array({i: int(df) for i, df in enumerate(document_frequencies)}, n_docs,
                            _select_idf_scorer(BM25_PARAMS["idf_method"]), dtype="float32")


@dataclass(frozen=True, slots=True)
class CollectionStatistics:
    """What BM25 scores take from the whole collection rather than the clause: the number of clauses, their
    average length in terms and each term's document frequency. A shard of a sharded index scores its own
    clauses with the statistics of all shards, so that its scores are the ones one index would give."""

    n_docs: int
    avg_doc_len: float
    document_frequencies: dict[str, int]

    @classmethod
    def of(cls, lengths: np.ndarray, document_frequencies: dict[str, int]) -> CollectionStatistics:
        """From every clause's length (in index order: the mean is summed as one index sums it) and the
        document frequencies summed over the shards."""
        lengths = np.asarray(lengths, dtype=np.int64)
        return cls(len(lengths), float(lengths.mean()) if len(lengths) else 0.0, dict(document_frequencies))

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """As arrays named `prefix_…`, for one .npz holding several fields' statistics."""
        terms = sorted(self.document_frequencies)
        return {f"{prefix}_terms": np.array(terms, dtype=str),
                f"{prefix}_frequencies": np.array([self.document_frequencies[t] for t in terms], dtype=np.int64),
                f"{prefix}_clauses": np.array(self.n_docs), f"{prefix}_average_length": np.array(self.avg_doc_len)}

    @classmethod
    def from_arrays(cls, stored: Any, prefix: str) -> CollectionStatistics:
        frequencies = dict(zip(stored[f"{prefix}_terms"].tolist(), stored[f"{prefix}_frequencies"].tolist(), strict=True))
        return cls(int(stored[f"{prefix}_clauses"]), float(stored[f"{prefix}_average_length"]), frequencies)


def distinct_rows(counts: Any) -> tuple[np.ndarray, np.ndarray]:
    """(the first clause of each distinct term-count row, each clause's distinct row): clauses with the same
    counts have the same BM25 scores. The heading field's 122k VLC rows are 27k distinct heading chains."""
    counts = counts.tocsr()
    counts.sort_indices()
    first: dict[bytes, int] = {}
    rows = np.empty(counts.shape[0], dtype=np.int32)
    kept: list[int] = []
    for clause in range(counts.shape[0]):
        start, end = counts.indptr[clause], counts.indptr[clause + 1]
        key = counts.indices[start:end].tobytes() + b"|" + counts.data[start:end].tobytes()
        row = first.setdefault(key, len(kept))
        if row == len(kept):
            kept.append(clause)
        rows[clause] = row
    return np.asarray(kept, dtype=np.int64), rows


def row_lengths(counts: Any) -> np.ndarray:
    """Each clause's length in terms (int64) from its term-count row."""
    return np.asarray(counts.tocsr().sum(axis=1, dtype=np.int64)).ravel()


def document_frequencies(counts: Any, vocab: list[str]) -> dict[str, int]:
    """How many clauses (rows) hold each term of `vocab` (the columns)."""
    held = np.bincount(counts.tocsr().indices, minlength=len(vocab))
    return {term: int(df) for term, df in zip(vocab, held.tolist(), strict=True) if df}


def bm25_from_counts(counts: Any, vocab: list[str], statistics: CollectionStatistics | None = None,
                     b: float | None = None, keep: np.ndarray | None = None) -> Any:
    """A bm25s index with exactly the scores `bm25s.BM25(**BM25_PARAMS).index(terms)` computes (with `b`,
    another length normalisation than BM25_PARAMS' b: the reading-unit field's, see indexer.build).

    Same operations in the same dtypes as bm25s.scoring (atire tfc, robertson idf from bm25s itself),
    vectorised over all (clause, term) pairs instead of a Python loop per clause. With `statistics` (those of
    a larger collection these clauses are a shard of), idf and the average length are the collection's.
    `keep`: only these clauses' rows are stored (the statistics stay those of every clause), in this order.
    """
    bm25s = import_bm25s()
    k1 = BM25_PARAMS["k1"]
    b = BM25_PARAMS["b"] if b is None else b
    counts = counts.tocsr()
    n_docs = counts.shape[0]
    lengths = row_lengths(counts)
    avg_doc_len = lengths.mean() if n_docs else np.float64(0.0)
    csc = counts.tocsc()
    csc.sort_indices()
    frequencies = np.diff(csc.indptr)
    if statistics is None:
        idf = idf_array(frequencies, n_docs)
    else:
        idf = idf_array(np.array([statistics.document_frequencies.get(term, 0) for term in vocab], dtype=np.int64),
                        statistics.n_docs)
        avg_doc_len = np.float64(statistics.avg_doc_len)
    tf = csc.data.astype(np.float32)
    l_d = lengths[csc.indices].astype(np.float64)
    tfc = (tf * (k1 + 1)) / (tf + k1 * (1 - b + b * l_d / avg_doc_len))
    columns = np.repeat(np.arange(len(vocab)), frequencies)
    data = (idf[columns] * tfc).astype(np.float32)
    indices, indptr = csc.indices, csc.indptr
    if keep is not None:
        from scipy import sparse

        kept = sparse.csc_matrix((data, indices, indptr), shape=counts.shape).tocsr()[keep].tocsc()
        kept.sort_indices()
        data, indices, indptr, n_docs = kept.data, kept.indices, kept.indptr, len(keep)
    retriever = bm25s.BM25(**{**BM25_PARAMS, "b": b})
    retriever.scores = {"data": data.astype(np.float32), "indices": indices.astype(np.int32),
                        "indptr": indptr.astype(np.int64), "num_docs": n_docs}
    vocab_dict = {term: i for i, term in enumerate(vocab)}
    if "" not in vocab_dict:  # as bm25s.index does
        vocab_dict[""] = len(vocab)
    retriever.vocab_dict = vocab_dict
    retriever.unique_token_ids_set = set(vocab_dict.values())
    retriever.nonoccurrence_array = None  # atire needs none (bm25l and bm25+ would)
    return retriever


# The heading and reading-unit fields are secondary signals (a heading score weighed by the manifest's
# head_weight; units rank articles for translated queries): their impacts are stored at half precision
# (float16: three significant digits, finer than Lucene's one-byte length norms) and their row ids in
# uint16 when the field has at most 65,536 rows. On the VLC: 12.8 MB of the 214 MB index (heading field
# 7.6 → 3.8 MB, 27k rows; unit field 17.9 → 9.0 MB, 25k rows). The body field, which BM25 mode ranks by,
# keeps float32 scores equal to rank-bm25's (tests/indexer/test_bm25.py).
COMPACT_IMPACTS = np.float16


def compact_impacts(retriever: Any) -> Any:
    """The retriever with its score matrix stored small: COMPACT_IMPACTS impacts, row ids in the smallest
    unsigned type that holds the row count (a secondary field's, before saving)."""
    scores = retriever.scores
    rows = int(scores["num_docs"])
    index_type = np.uint16 if rows <= 2**16 else np.int32
    retriever.scores = {**scores, "data": np.asarray(scores["data"]).astype(COMPACT_IMPACTS),
                        "indices": np.asarray(scores["indices"]).astype(index_type)}
    return retriever


def build_bm25(terms: list[list[str]], progress: bool = False) -> Any:
    bm25s = import_bm25s()
    retriever = bm25s.BM25(**BM25_PARAMS)
    retriever.index(terms, show_progress=progress)
    return retriever
