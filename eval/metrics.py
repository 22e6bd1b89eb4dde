"""Metrics with ranx (recall@k, MRR@10, nDCG@10) and paired significance tests between runs (numpy/scipy).

ranx (maintained, numba-compiled, TREC-compatible definitions) computes every number; this module only
turns judged rankings into ranx runs. Recall@k is computed on a run cut at k *results* (see
`eval.anchors.ranked_items`), MRR@10 and nDCG@10 on the run of the top 10 results.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from eval.anchors import JudgedResult, ranked_items

DEFAULT_KS = (1, 5, 10, 20)
TOP = 10  # MRR@10 and nDCG@10
SIGNIFICANCE_METRICS = ("recall@10", "mrr@10", "ndcg@10")
STAT_TESTS = ("fisher", "student")  # paired randomization (sign-flip) test, paired Student's t-test

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
    if not any(complete_run.values()):  # nothing returned for any query (ranx cannot build such a run)
        return {metric: {str(qid): 0.0 for qid in query_ids} for metric in metrics}
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
    multi = any(len(r.satisfied) > 1 for results in judged.values() for r in results)
    if not multi:
        # One item per result: ranx's own cut-offs on the full run are exact, one call does all.
        return _per_query(qrels, judged_run(judged, None), metric_names(ks))
    per_query: PerQuery = {}
    for k in ks:
        per_query.update({f"recall@{k}": _per_query(qrels, judged_run(judged, k), ["recall"])["recall"]})
    top = _per_query(qrels, judged_run(judged, TOP), [f"mrr@{TOP}", f"ndcg@{TOP}"])
    per_query.update(top)
    return per_query


def evaluate_run(qrels: Qrels, run: RunDict, ks: Sequence[int] = DEFAULT_KS) -> PerQuery:
    """Per-query metrics of a plain run (TREC input): items are judged directly against the qrels."""
    return _per_query(qrels, run, metric_names(ks))


QUERY_MEAN = " (query mean)"  # suffix of a recall figure averaged per query (ranx's mean) instead of defined


def is_recall(metric: str) -> bool:
    return metric.startswith(("recall@", "article_recall@"))


def means(per_query: PerQuery, weights: Mapping[str, int] | None = None,
          queries: Iterable[str] | None = None) -> dict[str, float]:
    """The figures ../shared/eval/README.md defines, over `queries` (default: all).

    Recall@k is judgements satisfied by a top-k result ÷ all judgements: each query's recall weighted by
    its number of judgements (`weights`; 1 each when None). MRR@10 and nDCG@10 are means over queries.
    Every recall is also reported as the plain per-query mean, under `<metric> (query mean)`; the two
    differ when queries have several judgements (seed hybrid recall@10 0.955 defined, 0.978 per query).
    """
    figures: dict[str, float] = {}
    for metric, values in per_query.items():
        ids = list(values) if queries is None else [q for q in queries if q in values]
        plain = fmean(values[q] for q in ids) if ids else 0.0
        if not is_recall(metric):
            figures[metric] = plain
            continue
        counts = {q: (weights or {}).get(q, 1) for q in ids}
        total = sum(counts.values())
        figures[metric] = sum(values[q] * counts[q] for q in ids) / total if total else 0.0
        figures[metric + QUERY_MEAN] = plain
    return figures


@dataclass(slots=True)
class Comparison:
    """A paired test of run `a` against run `b` on the same queries."""

    a: str
    b: str
    test: str
    metrics: dict[str, dict[str, Any]]  # metric → {a, b, p_value, wins, ties, losses} (wins = queries where a > b)

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "test": self.test, "metrics": self.metrics}


EXACT_UP_TO = 16  # non-zero differences: up to 2^16 sign patterns are enumerated, beyond that sampled
FLOAT_SLACK = 1e-9


def randomization_p_value(a: Sequence[float], b: Sequence[float], permutations: int = 100_000,
                          seed: int = 42) -> float:
    """Two-sided paired randomization (sign-flip) test of mean(a) − mean(b), Smucker et al. (CIKM 2007).

    Exact over all sign patterns when few queries differ, else `permutations` random patterns. Written
    here rather than taken from ranx.compare: ranx compares permuted and observed means without any float
    slack, so ties that differ only in summation order (recall values like 2/3) never count and its p-value
    collapses to 0 (four queries all lost gives p = 0.0 instead of the exact 2/16 = 0.125).
    """
    import numpy as np

    differences = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    differences = differences[np.abs(differences) > FLOAT_SLACK]
    if differences.size == 0:
        return 1.0
    observed = abs(differences.sum()) - FLOAT_SLACK
    if differences.size <= EXACT_UP_TO:
        patterns = np.array(np.meshgrid(*[[-1.0, 1.0]] * differences.size)).reshape(differences.size, -1).T
        return float(np.mean(np.abs(patterns @ differences) >= observed))
    rng = np.random.default_rng(seed)
    extreme = 0
    for start in range(0, permutations, 10_000):
        size = min(10_000, permutations - start)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(size, differences.size))
        extreme += int(np.sum(np.abs(signs @ differences) >= observed))
    return (extreme + 1) / (permutations + 1)  # the observed pattern is one of the permutations


def student_p_value(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided paired Student's t-test (scipy); identical runs give p = 1."""
    from scipy.stats import ttest_rel

    if all(abs(x - y) <= FLOAT_SLACK for x, y in zip(a, b, strict=True)):
        return 1.0
    p_value = float(ttest_rel(a, b).pvalue)
    return 1.0 if p_value != p_value else p_value  # NaN when every difference is the same constant 0


def compare_per_query(per_query_a: PerQuery, per_query_b: PerQuery, names: tuple[str, str],
                      metrics: Sequence[str] = SIGNIFICANCE_METRICS, test: str = "fisher") -> Comparison:
    """Paired test of two runs' per-query values (as ranx computed them) on the same queries."""
    if test not in STAT_TESTS:
        raise ValueError(f"unknown test {test!r}; one of {STAT_TESTS}")
    if names[0] == names[1]:
        raise ValueError("the two runs need different names")
    results: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        query_ids = sorted(per_query_a[metric])
        a = [per_query_a[metric][q] for q in query_ids]
        b = [per_query_b[metric].get(q, 0.0) for q in query_ids]
        p_value = randomization_p_value(a, b) if test == "fisher" else student_p_value(a, b)
        results[metric] = {
            "a": fmean(a) if a else 0.0, "b": fmean(b) if b else 0.0, "p_value": p_value,
            "wins": sum(x > y + FLOAT_SLACK for x, y in zip(a, b, strict=True)),
            "ties": sum(abs(x - y) <= FLOAT_SLACK for x, y in zip(a, b, strict=True)),
            "losses": sum(y > x + FLOAT_SLACK for x, y in zip(a, b, strict=True)),
        }
    return Comparison(names[0], names[1], test, results)


def compare_runs(qrels: Qrels, run_a: RunDict, run_b: RunDict, names: tuple[str, str],
                 metrics: Sequence[str] = SIGNIFICANCE_METRICS, test: str = "fisher") -> Comparison:
    """Two plain runs (TREC input) scored by ranx, then tested pairwise."""
    return compare_per_query(_per_query(qrels, run_a, metrics), _per_query(qrels, run_b, metrics), names,
                             metrics, test)


def compare_judged(qrels: Qrels, judged_a: Mapping[str, Sequence[JudgedResult]],
                   judged_b: Mapping[str, Sequence[JudgedResult]], names: tuple[str, str],
                   test: str = "fisher", ks: Sequence[int] = (TOP,)) -> Comparison:
    """Two modes on the same queries: recall@10, MRR@10 and nDCG@10 as `evaluate_judged` computes them."""
    return compare_per_query(evaluate_judged(qrels, judged_a, ks), evaluate_judged(qrels, judged_b, ks), names,
                             SIGNIFICANCE_METRICS, test)
