"""The reranker over fused candidates (search/rerank.py): its features, its model file, its place in search."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from search.rerank import FEATURES, RERANKER_FILE, Reranker, unit_features, weighted_cover

QUESTION = "Tổng chi ngân sách cho khoa học và công nghệ là bao nhiêu?"


def model(**weights: float) -> Reranker:
    vector = np.array([weights.get(name, 0.0) for name in FEATURES])
    return Reranker(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), vector, 20,
                    frozenset({"question"}))


def test_coverage_weighs_groups_and_a_query_without_groups_covers_nothing():
    present = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    assert weighted_cover(present, np.array([3.0, 1.0])).tolist() == [0.75, 0.0, 1.0]
    assert weighted_cover(np.zeros((0, 3)), np.zeros(0)).tolist() == [0.0, 0.0, 0.0]


def test_unit_features_count_the_candidates_of_each_unit_in_fused_order():
    count, best, within = unit_features(np.array([7, 3, 7, 9, 7]))
    assert count.tolist() == [3, 1, 3, 1, 3]
    assert best.tolist() == [1.0, 0.5, 1.0, 0.25, 1.0]
    assert within.tolist() == [1, 1, 2, 1, 3]


def test_reorder_ranks_the_head_by_the_model_and_keeps_the_rest_below():
    order = [(10, 0.9), (11, 0.8), (12, 0.7), (13, 0.6)]
    features = np.zeros((3, len(FEATURES)))
    features[:, FEATURES.index("length_log")] = [1.0, 5.0, 3.0]
    reordered = model(length_log=1.0).reorder(order, features)
    assert [p for p, _ in reordered] == [11, 12, 10, 13]
    assert [s for _, s in reordered] == sorted((s for _, s in reordered), reverse=True)


def test_a_model_of_other_features_is_refused_with_the_command_that_fixes_it():
    record = model().to_json()
    record["features"] = list(FEATURES[:-1]) + ["something_new"]
    with pytest.raises(ValueError, match="retrain it with `lexvn train-reranker`"):
        Reranker.from_json(record)


def test_the_shipped_model_loads_and_round_trips_through_json():
    shipped = Reranker.load()
    if shipped is None:
        pytest.skip(f"no reranker shipped at {RERANKER_FILE}")
    again = Reranker.from_json(json.loads(json.dumps(shipped.to_json())))
    assert again.features == FEATURES and np.allclose(again.weights, shipped.weights)
    assert again.kinds == shipped.kinds and again.depth == shipped.depth


def test_features_describe_the_fused_candidates(searcher):
    _hits, info = searcher.search_explained(QUESTION, k=10, mode="hybrid", rerank=False, candidates=True)
    positions, features = info["candidates"]["positions"], info["candidates"]["features"]
    assert features.shape == (len(positions), len(FEATURES)) and len(positions) >= 20
    column = {name: features[:, i] for i, name in enumerate(FEATURES)}
    assert column["fused_relative"][0] == 1.0 and np.all(np.diff(column["fused_rank_log"]) > 0)
    assert np.all((column["cover_body"] >= 0) & (column["cover_body"] <= 1))
    # a clause's reading unit holds at least what the clause holds
    assert np.all(column["cover_unit"] >= column["cover_body"] - 1e-9)
    # presence is what BM25 says: a group is in a clause's body exactly when its term scores there
    plan = searcher.analyse(QUESTION)
    body, _head, _unit = searcher.clause_presence(plan.groups, positions)
    for g, group in enumerate(plan.groups[: len(plan.groups) - len(plan.expansions)]):
        (term,), = group.alternatives
        assert np.array_equal(body[g] > 0, searcher.lexical.body_scores([term])[positions] > 0), term
    # the BM25 rank feature is the reciprocal of the rank BM25 gave
    assert column["rr_bm25"].max() == 1.0


def test_quoted_phrases_and_other_modes_have_no_candidates(searcher):
    assert searcher.search_explained(f'"{QUESTION}"', candidates=True)[1]["candidates"] is None
    assert searcher.search_explained(QUESTION, mode="bm25", candidates=True)[1]["candidates"] is None


def test_the_searcher_returns_the_order_the_model_gives(searcher):
    shipped = searcher.reranker
    try:
        longest = replace(model(length_log=1.0), depth=40)
        searcher.reranker = longest
        _hits, info = searcher.search_explained(QUESTION, k=10, mode="hybrid", rerank=False, candidates=True)
        found = info["candidates"]
        positions, movable = found["positions"], found["movable"]
        # the seed corpus has both languages: only the query's own moves
        assert movable.any() and not movable.all()
        assert all(searcher.clause_at(int(p)).language == "vi" for p in positions[movable])
        fused = [(int(p), float(len(positions) - i)) for i, p in enumerate(positions.tolist())]
        expected = searcher._substitute_leads(longest.reorder(fused, found["features"][:40], movable))[:10]
        hits = searcher.search(QUESTION, k=10, mode="hybrid")
        assert [searcher._position[h.clause_id] for h in hits] == [p for p, _ in expected]
        unmoved = [p for p, m in zip(positions.tolist()[:40], movable[:40].tolist(), strict=True) if not m]
        reordered = [p for p, _ in longest.reorder(fused, found["features"][:40], movable)]
        assert [p for p in reordered[:40] if p in set(unmoved)] == unmoved
        assert [i for i, p in enumerate(reordered[:40]) if p in set(unmoved)] == \
            [i for i, m in enumerate(movable[:40].tolist()) if not m]
        # a kind it does not serve keeps fusion's order
        searcher.reranker = replace(longest, kinds=frozenset({"docref"}))
        assert [h.clause_id for h in searcher.search(QUESTION, k=10)] == \
            [h.clause_id for h in searcher.search_explained(QUESTION, k=10, rerank=False)[0]]
    finally:
        searcher.reranker = shipped
