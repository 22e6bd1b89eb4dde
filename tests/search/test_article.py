"""The article signals (issue 19e): clauses ranked by the BM25 score of their reading unit (the Điều with all
its clauses, indexer.build's bm25_unit field), then by their own; crosslingual queries only."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer import manifest as mf
from indexer.bm25 import BM25_PARAMS
from indexer.build import UNIT_B, load_terms, unit_rows
from indexer.store import TABLE_FILE, ClauseTable
from search.fuse import weights_for

ENGLISH = "spending on law-making as a share of the state budget"


def clause_units(searcher) -> np.ndarray:
    """Each clause's reading unit, from the version's clause table."""
    return ClauseTable.load(searcher.directory / TABLE_FILE).unit


def test_the_unit_field_scores_each_unit_as_bm25s_scores_its_clauses_concatenated(seed_index: Path, searcher):
    import bm25s

    stored = load_terms(mf.version_dir(seed_index))
    assert stored is not None
    rows, units = stored.fields["body"], clause_units(searcher)
    counts = rows.counts.tocsr()
    members = unit_rows(units)
    assert searcher.lexical.unit is not None
    assert int(searcher.lexical.unit.scores["num_docs"]) == len(np.unique(units)) == members.max() + 1 < len(units)
    # each unit's text: the body terms of its clauses, in clause order
    texts: list[list[str]] = [[] for _ in range(members.max() + 1)]
    for clause in range(counts.shape[0]):
        start, end = counts.indptr[clause], counts.indptr[clause + 1]
        for term, n in zip(counts.indices[start:end], counts.data[start:end], strict=True):
            texts[members[clause]].extend([rows.vocab[term]] * int(n))
    reference = bm25s.BM25(**{**BM25_PARAMS, "b": UNIT_B})
    reference.index(texts, show_progress=False)
    ours = searcher.lexical.unit
    for term in rows.vocab[:: max(1, len(rows.vocab) // 200)]:
        expected = reference.get_scores_from_ids(reference.get_tokens_ids([term]))
        got = ours.get_scores_from_ids(ours.get_tokens_ids([term]))
        # float16 impacts (indexer.bm25.compact_impacts): within half a unit of their last place, 2^-11
        np.testing.assert_allclose(got, expected, rtol=2**-11, err_msg=term)


def test_crosslingual_queries_get_the_article_signals_and_questions_do_not(searcher):
    assert weights_for("crosslingual").article > 0 and weights_for("question").article == 0
    plan = searcher.analyse(ENGLISH)
    assert plan.kind == "crosslingual"
    hits = searcher.search(ENGLISH, k=10)
    assert any("article_translated_rank" in h.scores for h in hits)
    plan = searcher.analyse("Công ty phải chi bao nhiêu cho xây dựng pháp luật?")
    assert plan.kind == "question"
    assert not any(n.startswith("article") for h in searcher.search(plan.raw, k=10) for n in h.scores)


def test_the_article_ranking_orders_clauses_by_their_unit_then_their_own_score(searcher):
    plan = searcher.analyse(ENGLISH)
    translated = searcher.lexical.group_scores(plan.translated_groups)
    target = searcher._same_language[plan.target_language]
    found = searcher.article_signals(plan, searcher.lexical.group_scores(plan.groups), translated, None, target, 100)
    ranking = found["article_translated"]
    unit = searcher.lexical.unit_group_scores(plan.translated_groups)[searcher._unit_row[ranking]]
    own = translated[ranking]
    assert len(ranking) > 10 and (own > 0).all() and target[ranking].all()
    assert (np.diff(unit) <= 1e-6).all()  # units best first
    same = np.flatnonzero(np.diff(clause_units(searcher)[ranking]) == 0)
    assert len(same) and (own[same] >= own[same + 1]).all()  # within a unit, its clauses by their own score
    # a unit's clauses all rank with it, whichever of them holds the query's words: not BM25's order
    assert not np.array_equal(ranking[:10], np.argsort(-np.where(target, translated, 0), kind="stable")[:10])
