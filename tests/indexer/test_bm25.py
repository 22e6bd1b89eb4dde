"""bm25s (the index) ranks exactly like rank-bm25 (the reference) on the seed corpus.

Variant equality: rank_bm25.BM25Okapi scores idf·tf·(k1+1)/(tf + k1·(1-b+b·dl/avgdl)) with
idf = log((N-df+0.5)/(df+0.5)), and replaces negative idfs by epsilon·mean(idf). bm25s with
method="atire" (that same tf part) and idf_method="robertson" (that same idf, floored at 0) is identical
when epsilon = 0. Same clauses, same terms (the index's own), same k1 and b.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from indexer.bm25 import BM25_PARAMS
from indexer.build import CACHE_FILE, clause_terms
from indexer.normalise import normalise
from indexer.segment import SegmentCache, detect_language, query_terms
from tests.conftest import SEED_QUERIES


def top10(scores: np.ndarray) -> list[int]:
    # Ties (equal to 4 decimals: float32 vs float64) are broken by clause position in both lists.
    rounded = np.round(scores.astype(np.float64), 4)
    order = sorted(range(len(scores)), key=lambda i: (-rounded[i], i))
    return [i for i in order[:10] if rounded[i] > 0]


@pytest.fixture(scope="module")
def reference(searcher):
    clauses = [searcher.clause_at(position) for position in range(searcher.clause_count)]
    cache = SegmentCache.load(searcher.directory / CACHE_FILE)
    body_terms, _ = clause_terms(clauses, cache, progress=False)
    assert cache.misses == 0, "the index's segmentation cache covers every clause"
    return BM25Okapi(body_terms, k1=BM25_PARAMS["k1"], b=BM25_PARAMS["b"], epsilon=0.0)


def seed_queries() -> list[str]:
    return [json.loads(line)["query"] for line in SEED_QUERIES.read_text(encoding="utf-8").splitlines() if line]


def test_same_parameters_and_variant():
    assert BM25_PARAMS["method"] == "atire" and BM25_PARAMS["idf_method"] == "robertson"


def test_bm25s_and_rank_bm25_give_the_same_top10(searcher, reference):
    compared = 0
    for query in seed_queries():
        language = detect_language(query)
        terms = list(dict.fromkeys(query_terms(normalise(query, language), language)))
        ours = searcher.lexical.body_scores(terms)
        theirs = reference.get_scores(terms)
        assert np.allclose(ours, theirs, rtol=1e-4, atol=1e-4), query
        assert top10(ours) == top10(theirs), query
        compared += 1
    assert compared == 30
