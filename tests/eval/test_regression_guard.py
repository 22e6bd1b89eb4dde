"""Regression guard: the seed dev set's hybrid recall@10 and MRR@10 may not fall below eval/baselines.json.

Raising the baseline is a deliberate, reviewed change: `lexvn eval ../shared/eval/seed_queries.jsonl
--corpus corpus --index .lexvn/seed-index --mode hybrid --save-baseline eval/baselines.json`.
"""

from __future__ import annotations

import pytest

from eval.formats import read_queries_jsonl
from eval.runner import GUARD_METRICS, check_regression, evaluate_retrievers, load_baseline
from tests.conftest import ROOT, SEED_QUERIES

BASELINE = ROOT / "eval" / "baselines.json"


@pytest.fixture(scope="module")
def baseline() -> dict:
    return load_baseline(BASELINE)


@pytest.fixture(scope="module")
def seed_queries():
    return read_queries_jsonl(SEED_QUERIES)


@pytest.fixture(scope="module")
def hybrid_top20(searcher, seed_queries) -> dict:
    """Hybrid's top 20 per query text, asked once: the broken rankings below are built from it."""
    return {q.text: searcher.search(q.text, k=20, mode="hybrid") for q in seed_queries}


def _hybrid_per_query(seed_queries, retriever):
    result = evaluate_retrievers("seed", seed_queries, {"hybrid": retriever}, ks=(10,), comparisons=[])
    return result.modes["hybrid"].per_query


def test_baseline_file_covers_every_seed_query(baseline, seed_queries):
    assert baseline["mode"] == "hybrid"
    assert set(baseline["metrics"]) == set(GUARD_METRICS)
    assert set(baseline["per_query"]) == {q.id for q in seed_queries}


def test_seed_hybrid_does_not_fall_below_baseline(hybrid_top20, baseline, seed_queries):
    per_query = _hybrid_per_query(seed_queries, lambda text, k: hybrid_top20[text][:k])
    report = check_regression(per_query, baseline)
    assert report.ok, "hybrid fell below eval/baselines.json:\n" + report.explain()


def test_guard_fails_with_per_query_diffs_when_the_ranking_is_reversed(hybrid_top20, baseline, seed_queries):
    # The same top 10, upside down: recall@10 cannot move, MRR@10 must fall.
    def reversed_ranking(text: str, k: int):
        return list(reversed(hybrid_top20[text][:10]))

    report = check_regression(_hybrid_per_query(seed_queries, reversed_ranking), baseline)
    assert not report.ok
    assert any(line.startswith("mrr@10 fell") for line in report.failures), report.explain()
    assert report.drops and all(d.metric == "mrr@10" and d.current < d.baseline for d in report.drops)
    assert report.drops[0].query_id in baseline["per_query"]
    assert f"{report.drops[0].query_id} mrr@10:" in report.explain()


def test_guard_fails_when_the_top_results_are_dropped(hybrid_top20, baseline, seed_queries):
    # Results 11–20 served as the top 10: what hybrid found in its top 10 is gone.
    def deeper_ranking(text: str, k: int):
        return hybrid_top20[text][10:]

    report = check_regression(_hybrid_per_query(seed_queries, deeper_ranking), baseline)
    assert not report.ok
    assert any(line.startswith("recall@10 fell") for line in report.failures), report.explain()
    assert any(d.metric == "recall@10" for d in report.drops)


def test_guard_logic_on_given_values():
    baseline = {"metrics": {"recall@10": 0.75, "mrr@10": 0.5},
                "per_query": {"a": {"recall@10": 1.0, "mrr@10": 1.0}, "b": {"recall@10": 0.5, "mrr@10": 0.0}}}
    same = {"recall@10": {"a": 1.0, "b": 0.5}, "mrr@10": {"a": 1.0, "b": 0.0}}
    assert check_regression(same, baseline).ok
    # a falls, b rises by the same amount: the mean holds, so the guard passes but shows both moves.
    swapped = {"recall@10": {"a": 0.5, "b": 1.0}, "mrr@10": {"a": 1.0, "b": 0.0}}
    report = check_regression(swapped, baseline)
    assert report.ok and [d.query_id for d in report.drops] == ["a"] and [d.query_id for d in report.gains] == ["b"]
    worse = {"recall@10": {"a": 1.0, "b": 0.5}, "mrr@10": {"a": 0.5, "b": 0.0}}
    report = check_regression(worse, baseline)
    assert not report.ok and report.failures == ["mrr@10 fell: 0.2500 < baseline 0.5000 (-0.2500)"]
    assert "a mrr@10: 1.0000 → 0.5000 (-0.5000)" in report.explain()
    missing = {"recall@10": {"a": 1.0}, "mrr@10": {"a": 1.0}}
    assert not check_regression(missing, baseline).ok
