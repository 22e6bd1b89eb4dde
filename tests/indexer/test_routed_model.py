"""The language-routed encoder (lexvn-vi-en) and fusion across languages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search.fuse import weighted_rrf

ENGLISH_DOC = "000_4c6edb8a98047afa"


def test_a_signal_that_cannot_judge_a_clause_abstains_instead_of_voting_against_it():
    bm25 = np.array([10, 11, 12, 13])
    dense = np.array([11, 10, 12])  # clause 13 is in another language: the encoder cannot see it
    blind = np.zeros(14, dtype=bool)
    blind[13] = True
    weights = {"bm25": 1.0, "dense": 1.0}
    plain = dict(weighted_rrf({"bm25": bm25, "dense": dense}, weights, rrf_k=0))
    fair = dict(weighted_rrf({"bm25": bm25, "dense": dense}, weights, rrf_k=0, blind={"dense": blind}))
    assert plain[13] == pytest.approx(1 / 4)
    assert fair[13] == pytest.approx(2 * (1 / 4))  # BM25's vote counted at the full weight
    assert fair[10] == plain[10] and fair[12] == plain[12]  # judged clauses are untouched
    # A blind signal that ranked the clause anyway (a language-neutral phrase such as "57-NQ/TW") counts.
    ranked = dict(weighted_rrf({"bm25": bm25, "dense": np.array([13])}, weights, rrf_k=0, blind={"dense": blind}))
    assert ranked[13] == pytest.approx(1 / 4 + 1 / 1)


def test_equal_fused_scores_are_ordered_by_bm25_rank():
    # (bm25 2, dense 1) and (bm25 1, dense 2) tie exactly; the lexical evidence decides, not the position.
    fused = weighted_rrf({"bm25": np.array([7, 3]), "dense": np.array([3, 7])}, {"bm25": 1.0, "dense": 1.0})
    assert [position for position, _ in fused] == [7, 3]


def test_routed_encoder_encodes_each_language_with_its_model_in_one_padded_space():
    from indexer.embed import Encoder

    routed, static, minilm = Encoder("lexvn-vi-en"), Encoder("lexvn-static-vi"), Encoder("minilm")
    assert routed.spec.languages == ("vi", "en") and not routed.cross_lingual
    assert routed.dimension == max(static.dimension, minilm.dimension) == 384
    texts = ["Bảo đảm chi cho công tác xây dựng pháp luật", "spending on law-making"]
    vectors = routed.encode_passages(texts, languages=["vi", "en"])
    assert vectors.shape == (2, 384)
    vi = static.encode_passages(texts[:1])[0]
    assert np.allclose(vectors[0, : len(vi)], vi, atol=1e-6) and not vectors[0, len(vi):].any()
    assert np.allclose(vectors[1], minilm.encode_passages(texts[1:])[0], atol=1e-5)
    assert np.allclose(routed.encode_query("pháp luật", "vi")[0, : len(vi)], static.encode_query("pháp luật")[0])
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


@pytest.fixture(scope="module")
def routed_searcher(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    from indexer.build import build_index
    from search import Searcher

    index_dir = tmp_path_factory.mktemp("routed") / "index"
    build_index(corpus_dir, index_dir, dense=True, model="lexvn-vi-en", progress=False)
    return Searcher.open(index_dir)


def test_dense_search_compares_a_query_only_with_clauses_of_its_language(routed_searcher):
    vietnamese = routed_searcher.search("kinh phí cho công tác xây dựng pháp luật", k=30, mode="dense")
    english = routed_searcher.search("spending on law-making as a share of the state budget", k=30, mode="dense")
    assert vietnamese and all(hit.document["language"] == "vi" for hit in vietnamese)
    assert english and all(hit.document["language"] == "en" for hit in english)
    assert any(hit.doc_id == ENGLISH_DOC and "0.5%" in hit.text for hit in english[:10])


def test_hybrid_keeps_the_other_language_clause_that_bm25_found(routed_searcher):
    # "0,5%" matches the English resolution's "0.5%" lexically; the Vietnamese encoder and the Vietnamese
    # phrase cannot judge that clause, so they must not push it out of the top 10.
    hits = routed_searcher.search("0,5% tổng chi ngân sách", k=10, mode="hybrid")
    assert any(hit.doc_id == ENGLISH_DOC and "0.5%" in hit.text for hit in hits)
    assert hits[0].doc_id != ENGLISH_DOC and "dense" in hits[0].scores  # Vietnamese queries get a dense signal


def test_bare_section_headings_are_not_ranked_results_but_phrase_search_finds_them(routed_searcher):
    ranked = routed_searcher.search("nhiệm vụ và giải pháp", k=20, mode="hybrid")
    assert ranked and all(hit.text.strip().upper() != "III. NHIỆM VỤ VÀ GIẢI PHÁP" for hit in ranked)
    exact = routed_searcher.search('"nhiệm vụ và giải pháp"', k=50, mode="hybrid")
    assert any(hit.text.strip().upper() == "III. NHIỆM VỤ VÀ GIẢI PHÁP" for hit in exact)
