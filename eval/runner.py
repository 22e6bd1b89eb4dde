"""Run labelled queries through retrievers (search modes), judge the results, score them, guard baselines.

A retriever is any `(query, k) -> ranked results` callable whose results have `clause_id`, `doc_id` and
`text` (`search.model.Hit` has them): the harness tests plug in random and oracle retrievers, `lexvn
eval` plugs in `Searcher.search` once per mode.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eval.anchors import JudgedResult, Matcher, ResultLike, first_satisfying_rank, qrels_for
from eval.formats import BeirSet, LabelledQuery
from eval.metrics import (
    DEFAULT_KS,
    TOP,
    Comparison,
    PerQuery,
    compare_judged,
    evaluate_judged,
    judged_run,
    means,
)
from eval.units import ArticleUnits

Retriever = Callable[[str, int], Sequence[ResultLike]]
SEARCH_MODES = ("hybrid", "bm25", "dense", "phrase")
PRIMARY_MODE = "hybrid"
KIND_ORDER = ("phrase", "number", "paraphrase", "english", "docref", "tone", "table", "title")
GUARD_METRICS = ("recall@10", "mrr@10")
SNIPPET_CHARS = 180


@dataclass(slots=True)
class ShownResult:
    """What the report shows of one returned clause."""

    rank: int
    clause_id: str
    doc_id: str
    citation: str
    score: float
    snippet: str
    satisfied: tuple[str, ...]


@dataclass(slots=True)
class ModeResult:
    mode: str
    per_query: PerQuery  # metric → query id → value
    judged: dict[str, list[JudgedResult]] = field(default_factory=dict)
    shown: dict[str, list[ShownResult]] = field(default_factory=dict)
    curve: dict[int, float] = field(default_factory=dict)  # k → recall@k as defined, k = 1..max k
    seconds: float = 0.0
    weights: dict[str, int] = field(default_factory=dict)  # query id → its number of judgements

    @property
    def means(self) -> dict[str, float]:
        """Recall as defined (judgements satisfied ÷ all judgements) and per query; MRR, nDCG per query."""
        return means(self.per_query, self.weights)


@dataclass(slots=True)
class EvalResult:
    name: str
    queries: list[LabelledQuery]
    qrels: dict[str, dict[str, int]]
    ks: tuple[int, ...]
    modes: dict[str, ModeResult]
    comparisons: list[Comparison] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # index, corpus, counts, skipped queries

    def kinds(self) -> list[str]:
        present = {q.kind for q in self.queries}
        return [k for k in KIND_ORDER if k in present] + sorted(present - set(KIND_ORDER))

    def by_kind(self, mode: str) -> dict[str, dict[str, float]]:
        """Every metric per query kind, as `ModeResult.means` defines it (`n` = number of queries of that kind)."""
        result = self.modes[mode]
        table: dict[str, dict[str, float]] = {}
        for kind in self.kinds():
            ids = [q.id for q in self.queries if q.kind == kind]
            table[kind] = {"n": len(ids), **means(result.per_query, result.weights, ids)}
        return table


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def article_recall(query: LabelledQuery, results: Sequence[ResultLike], units: ArticleUnits,
                   ks: Sequence[int]) -> dict[int, float]:
    """Per k, the share of the query's judgements whose unit (Điều, or a plan's point) holds a top-k result."""
    wanted = [(j.doc, units.judgement_unit(j)) for j in query.judgements]
    found: dict[int, float] = {}
    for k in ks:
        reached = {(r.doc_id, units.unit_of(r.clause_id)) for r in results[:k]}
        found[k] = sum(1 for doc, unit in wanted if unit is not None and (doc, unit) in reached) / len(wanted)
    return found


def evaluate_mode(queries: Sequence[LabelledQuery], qrels: Mapping[str, Mapping[str, int]], mode: str,
                  retriever: Retriever, ks: Sequence[int], matcher: Matcher | None = None,
                  units: ArticleUnits | None = None) -> ModeResult:
    """Ask `retriever` every query for max(ks) results, judge them, score them (with `units`, also
    article-level recall: `article_recall@k`)."""
    matcher = matcher or Matcher()
    depth = max(max(ks), TOP)
    judged: dict[str, list[JudgedResult]] = {}
    shown: dict[str, list[ShownResult]] = {}
    articles: dict[int, dict[str, float]] = {k: {} for k in ks}
    started = time.perf_counter()
    for query in queries:
        results = list(retriever(query.text, depth))[:depth]
        judged[query.id] = matcher.judge(query, results)
        if units is not None:
            for k, value in article_recall(query, results, units, ks).items():
                articles[k][query.id] = value
        shown[query.id] = [
            ShownResult(j.rank, j.clause_id, j.doc_id, getattr(r, "citation", "") or j.clause_id,
                        float(getattr(r, "score", 0.0)), snippet(r.text), j.satisfied)
            for j, r in zip(judged[query.id], results, strict=True)
        ]
    seconds = time.perf_counter() - started
    per_query = evaluate_judged(qrels, judged, ks)
    if units is not None:
        per_query.update({f"article_recall@{k}": values for k, values in articles.items()})
    weights = {qid: len(judgements) for qid, judgements in qrels.items()}
    curve_ks = list(range(1, max(ks) + 1))
    curve_values = evaluate_judged(qrels, judged, curve_ks)
    curve = {k: means({"r": curve_values[f"recall@{k}"]}, weights)["r"] for k in curve_ks}
    return ModeResult(mode, per_query, judged, shown, curve, seconds, weights)


def default_comparisons(modes: Sequence[str]) -> list[tuple[str, str]]:
    """The primary mode against every other mode evaluated."""
    primary = PRIMARY_MODE if PRIMARY_MODE in modes else modes[0]
    return [(primary, other) for other in modes if other != primary]


def evaluate_retrievers(name: str, queries: Sequence[LabelledQuery], retrievers: Mapping[str, Retriever],
                        ks: Sequence[int] = DEFAULT_KS, comparisons: Sequence[tuple[str, str]] | None = None,
                        test: str = "fisher", info: dict[str, Any] | None = None,
                        units: ArticleUnits | None = None) -> EvalResult:
    judged_queries = [q for q in queries if q.judgements]
    skipped = [q.id for q in queries if not q.judgements]
    qrels = qrels_for(judged_queries)
    matcher = Matcher()
    modes = {mode: evaluate_mode(judged_queries, qrels, mode, retriever, ks, matcher, units)
             for mode, retriever in retrievers.items()}
    pairs = default_comparisons(list(modes)) if comparisons is None else comparisons
    compared = [compare_judged(qrels, modes[a].judged, modes[b].judged, (a, b), test) for a, b in pairs]
    details = {"queries": len(judged_queries), "skipped_without_judgements": skipped, **(info or {})}
    return EvalResult(name, judged_queries, qrels, tuple(ks), modes, compared, details)


def searcher_retrievers(searcher: Any, modes: Sequence[str]) -> dict[str, Retriever]:
    """One retriever per search mode of a `search.Searcher`."""
    def make(mode: str) -> Retriever:
        return lambda text, k: searcher.search(text, k=k, mode=mode)

    return {mode: make(mode) for mode in modes}


def judged_items_by_mode(result: EvalResult, k: int | None = None) -> dict[str, dict[str, dict[str, float]]]:
    return {mode: judged_run(m.judged, k) for mode, m in result.modes.items()}


def first_ranks(mode: ModeResult) -> dict[str, int | None]:
    return {qid: first_satisfying_rank(results) for qid, results in mode.judged.items()}


# ------------------------------------------------------------------------------------------ index


SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def beir_file_stem(doc_id: str) -> str:
    """A file name for a BEIR document; ids that are not safe file names get a readable, unique stem."""
    if SAFE_NAME.match(doc_id) and len(doc_id) <= 120:
        return doc_id
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", doc_id)[:80].strip("._-") or "doc"
    return f"{readable}-{hashlib.sha1(doc_id.encode('utf-8')).hexdigest()[:10]}"


def write_beir_corpus(beir: BeirSet, corpus_dir: Path) -> dict[str, str]:
    """Write each BEIR document as `<stem>.txt` (title, blank line, text); returns BEIR id → lexvn doc_id."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    doc_ids: dict[str, str] = {}
    for beir_id, (title, text) in beir.corpus.items():
        stem = beir_file_stem(beir_id)
        doc_ids[beir_id] = stem
        body = f"{title.strip()}\n\n{text.strip()}\n" if title.strip() else f"{text.strip()}\n"
        (corpus_dir / f"{stem}.txt").write_text(body, encoding="utf-8")
    return doc_ids


def beir_queries_for_index(beir: BeirSet, doc_ids: Mapping[str, str]) -> list[LabelledQuery]:
    """BEIR judgements pointed at the lexvn doc_ids of the written corpus (judgement ids stay BEIR ids)."""
    return [replace(q, judgements=[replace(j, doc=doc_ids[j.doc]) for j in q.judgements]) for q in beir.queries]


# ------------------------------------------------------------------------------------------ regression guard


@dataclass(slots=True)
class QueryDiff:
    query_id: str
    metric: str
    baseline: float
    current: float

    @property
    def delta(self) -> float:
        return self.current - self.baseline


@dataclass(slots=True)
class GuardReport:
    ok: bool
    failures: list[str]  # one line per metric whose mean fell below its baseline
    drops: list[QueryDiff]  # per-query values that fell
    gains: list[QueryDiff]

    def explain(self) -> str:
        lines = list(self.failures)
        if self.drops:
            lines.append("queries that fell:")
            lines += [f"  {d.query_id} {d.metric}: {d.baseline:.4f} → {d.current:.4f} ({d.delta:+.4f})"
                      for d in self.drops]
        if self.gains:
            lines.append("queries that rose:")
            lines += [f"  {d.query_id} {d.metric}: {d.baseline:.4f} → {d.current:.4f} ({d.delta:+.4f})"
                      for d in self.gains]
        return "\n".join(lines) if lines else "no change"


def baseline_record(result: EvalResult, mode: str = PRIMARY_MODE, metrics: Sequence[str] = GUARD_METRICS,
                    note: str = "") -> dict[str, Any]:
    """The content of eval/baselines.json for one measured run: the defined means, per-query values and each
    query's number of judgements (recall's weight)."""
    mode_result = result.modes[mode]
    return {
        "dataset": result.name,
        "mode": mode,
        "note": note,
        "metrics": {m: round(mode_result.means[m], 6) for m in metrics},
        "per_query": {qid: {m: round(mode_result.per_query[m][qid], 6) for m in metrics}
                      for qid in sorted(result.qrels)},
        "judgements": {qid: len(result.qrels[qid]) for qid in sorted(result.qrels)},
    }


def check_regression(per_query: PerQuery, baseline: Mapping[str, Any], metrics: Sequence[str] = GUARD_METRICS,
                     tolerance: float = 1e-6) -> GuardReport:
    """Fail when a metric, as defined (recall: judgements satisfied ÷ all judgements, weighted by the
    baseline's judgement counts), falls below the baseline; list every query whose value moved.

    `tolerance` only absorbs float rounding of the stored values (6 digits), not real drops.
    """
    failures: list[str] = []
    drops: list[QueryDiff] = []
    gains: list[QueryDiff] = []
    stored = baseline["per_query"]
    missing = sorted(set(stored) - set(per_query[metrics[0]]))
    if missing:
        failures.append(f"queries of the baseline not evaluated: {', '.join(missing)}")
    for metric in metrics:
        values = per_query[metric]
        current_mean = means({metric: values}, baseline.get("judgements"), stored)[metric]
        expected = float(baseline["metrics"][metric])
        if current_mean < expected - tolerance:
            failures.append(f"{metric} fell: {current_mean:.4f} < baseline {expected:.4f} "
                            f"({current_mean - expected:+.4f})")
        for query_id, old in stored.items():
            if query_id not in values:
                continue
            diff = QueryDiff(query_id, metric, float(old[metric]), float(values[query_id]))
            if diff.delta < -tolerance:
                drops.append(diff)
            elif diff.delta > tolerance:
                gains.append(diff)
    drops.sort(key=lambda d: (d.delta, d.query_id))
    gains.sort(key=lambda d: (-d.delta, d.query_id))
    return GuardReport(not failures, failures, drops, gains)


def load_baseline(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------ TREC input


def evaluate_trec(qrels: Mapping[str, Mapping[str, int]], runs: Mapping[str, Mapping[str, Mapping[str, float]]],
                  ks: Sequence[int] = DEFAULT_KS, test: str = "fisher", name: str = "trec") -> EvalResult:
    """Metrics of existing runs against TREC qrels (document ids judged directly, positives only)."""
    from eval.formats import Judgement
    from eval.metrics import compare_runs, evaluate_run

    positives = {qid: {doc: grade for doc, grade in judged.items() if grade > 0} for qid, judged in qrels.items()}
    positives = {qid: judged for qid, judged in positives.items() if judged}
    queries = [LabelledQuery(qid, "", "trec", [Judgement(doc, doc, None, grade) for doc, grade in judged.items()])
               for qid, judged in positives.items()]
    curve_ks = list(range(1, max(ks) + 1))
    modes: dict[str, ModeResult] = {}
    for run_name, run in runs.items():
        per_query = evaluate_run(positives, run, ks)
        curve_values = evaluate_run(positives, run, curve_ks)
        weights = {qid: len(judged) for qid, judged in positives.items()}
        curve = {k: means({"r": curve_values[f"recall@{k}"]}, weights)["r"] for k in curve_ks}
        modes[run_name] = ModeResult(run_name, per_query, curve=curve, weights=weights)
    names = list(runs)
    metrics = [f"recall@{TOP}", f"mrr@{TOP}", f"ndcg@{TOP}"]
    compared = [compare_runs(positives, runs[names[0]], runs[other], (names[0], other), metrics, test)
                for other in names[1:]]
    return EvalResult(name, queries, positives, tuple(ks), modes, compared,
                      {"queries": len(queries), "runs": names})
