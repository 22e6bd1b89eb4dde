"""Metrics with ranx (recall@k, MRR@10, nDCG@10) and paired significance tests between runs.

ranx (maintained, numba-compiled, TREC-compatible definitions) computes every number; this module only
turns judged rankings into ranx runs. Recall@k is computed on a run cut at k *results* (see
`eval.anchors.ranked_items`), MRR@10 and nDCG@10 on the run of the top 10 results.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from eval.anchors import JudgedResult, ranked_items

DEFAULT_KS = (1, 5, 10, 20)
TOP = 10  # MRR@10 and nDCG@10
SIGNIFICANCE_METRICS = ("recall@10", "mrr@10", "ndcg@10")
STAT_TESTS = ("fisher", "student")  # Fisher randomization (permutation) test, paired Student's t-test

Qrels = Mapping[str, Mapping[str, int]]
RunDict = Mapping[str, Mapping[str, float]]
PerQuery = dict[str, dict[str, float]]  # metric → query id → value


def _ranx():
    # ranx imports numba (seconds); keep `lexvn --help` fast and silence numba's cast warnings.
    os.environ.setdefault("NUMBA_DISABLE_PERFORMANCE_WARNINGS", "1")
    warnings.filterwarnings("ignore", module="ranx")
    warnings.filterwarnings("ignore", message=".*unsafe cast.*")
    import ranx

    return ranx


def metric_names(ks: Sequence[int]) -> list[str]:
    return [f"recall@{k}" for k in ks] + [f"mrr@{TOP}", f"ndcg@{TOP}"]


def items_run(items_by_query: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """Ranked item lists → a run dict with strictly decreasing scores (ranx orders by score)."""
    return {qid: {item: float(len(items) - i) for i, item in enumerate(items)} for qid, items in items_by_query.items()}


def judged_run(judged: Mapping[str, Sequence[JudgedResult]], k: int | None) -> dict[str, dict[str, float]]:
    return items_run({qid: ranked_items(results, k) for qid, results in judged.items()})


def _per_query(qrels: Qrels, run: RunDict, metrics: Sequence[str]) -> PerQuery:
    """Per-query values of `metrics`; a query missing from the run scores 0."""
    ranx = _ranx()
    query_ids = list(qrels)
    complete_run = {qid: dict(run.get(qid, {})) for qid in query_ids}
    ranx_qrels = ranx.Qrels({q: dict(qrels[q]) for q in query_ids})
    values = ranx.evaluate(ranx_qrels, ranx.Run(complete_run), list(metrics), return_mean=False,
                           make_comparable=True)
    if len(metrics) == 1:
        values = {metrics[0]: values}
    # ranx returns one value per query of the qrels, in the order of its (sorted) keys.
    ordered = [str(qid) for qid in ranx_qrels.keys()]
    return {metric: {qid: float(v) for qid, v in zip(ordered, values[metric], strict=True)} for metric in metrics}


def evaluate_judged(qrels: Qrels, judged: Mapping[str, Sequence[JudgedResult]],
                    ks: Sequence[int] = DEFAULT_KS) -> PerQuery:
    """Per-query recall@k (each k on its own cut), MRR@10 and nDCG@10 of judged rankings."""
    per_query: PerQuery = {}
    for k in ks:
        per_query.update({f"recall@{k}": _per_query(qrels, judged_run(judged, k), ["recall"])["recall"]})
    top = _per_query(qrels, judged_run(judged, TOP), [f"mrr@{TOP}", f"ndcg@{TOP}"])
    per_query.update(top)
    return per_query


def evaluate_run(qrels: Qrels, run: RunDict, ks: Sequence[int] = DEFAULT_KS) -> PerQuery:
    """Per-query metrics of a plain run (TREC input): items are judged directly against the qrels."""
    return _per_query(qrels, run, metric_names(ks))


def means(per_query: PerQuery) -> dict[str, float]:
    return {metric: (fmean(values.values()) if values else 0.0) for metric, values in per_query.items()}


@dataclass(slots=True)
class Comparison:
    """A paired test of run `a` against run `b` on the same queries."""

    a: str
    b: str
    test: str
    metrics: dict[str, dict[str, Any]]  # metric → {a, b, p_value, wins, ties, losses} (wins = queries where a > b)

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "test": self.test, "metrics": self.metrics}


def compare_runs(qrels: Qrels, run_a: RunDict, run_b: RunDict, names: tuple[str, str],
                 metrics: Sequence[str] = SIGNIFICANCE_METRICS, test: str = "fisher",
                 permutations: int = 10_000) -> Comparison:
    """p-values from ranx.compare (paired, two-sided); fixed seed so reports are reproducible."""
    if test not in STAT_TESTS:
        raise ValueError(f"unknown test {test!r}; one of {STAT_TESTS}")
    if names[0] == names[1]:
        raise ValueError("the two runs need different names")
    ranx = _ranx()
    query_ids = list(qrels)
    runs = []
    for name, run in zip(names, (run_a, run_b), strict=True):
        ranx_run = ranx.Run({qid: dict(run.get(qid, {})) for qid in query_ids}, name=name)
        runs.append(ranx_run)
    report = ranx.compare(ranx.Qrels({q: dict(qrels[q]) for q in query_ids}), runs, list(metrics),
                          stat_test=test, n_permutations=permutations, random_seed=42, make_comparable=True,
                          rounding_digits=6)
    data = report.to_dict()
    a, b = names
    results: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        wtl = data[a]["win_tie_loss"][b][metric]
        results[metric] = {
            "a": float(data[a]["scores"][metric]),
            "b": float(data[b]["scores"][metric]),
            "p_value": float(data[a]["comparisons"][b][metric]),
            "wins": int(wtl["W"]), "ties": int(wtl["T"]), "losses": int(wtl["L"]),
        }
    return Comparison(a, b, test, results)


def compare_judged(qrels: Qrels, judged_a: Mapping[str, Sequence[JudgedResult]],
                   judged_b: Mapping[str, Sequence[JudgedResult]], names: tuple[str, str],
                   test: str = "fisher") -> Comparison:
    """Two modes on the same queries, on their top-10 runs (recall@10 = recall of that cut)."""
    metrics = ("recall", f"mrr@{TOP}", f"ndcg@{TOP}")
    comparison = compare_runs(qrels, judged_run(judged_a, TOP), judged_run(judged_b, TOP), names, metrics, test)
    comparison.metrics = {("recall@10" if m == "recall" else m): v for m, v in comparison.metrics.items()}
    return comparison
