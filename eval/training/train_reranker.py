"""Train the reranker (search/rerank.py) and choose its setting (`lexvn train-reranker`).

Training data: the written questions of the training articles (eval/training/questions.py; never the
written development eighth, never a test half) and the development halves given with --dev. Each question
is searched as the searcher searches it (hybrid, unreranked); its fused candidates are graded 2 (the clause
holds the answer), 1 (it lies in the answering Điều) or 0. The model is a pairwise logistic regression
(RankNet's loss with a linear scorer, as in RankSVM): for pairs of one question's candidates of different
grades, the difference of their standardised features predicts which is better.

The written questions alone do not transfer to people's questions (their writers read the clause): fitted
on them, the Vietnamese development half moved 0.718 / 0.829 → 0.684-0.718 / 0.786-0.795 (recall@10 /
article recall@10) while the written development eighth rose 0.611 → 0.66-0.68. So the development
questions are fitted on too, each counting `dev_weight` times, and a setting is judged by cross-validation
on them: each fold by a model fitted without it. Judging is tune_fusion's (recall@10 as defined and article
recall@10, pooled by judgements, after heading substitution). Test halves are for reporting only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.articles import articles_of
from eval.formats import Judgement, LabelledQuery, anchor_judgement_id, read_queries_jsonl
from eval.training.questions import WrittenQuestion, anchored_queries, load_questions
from eval.training.tune_fusion import K, satisfying, unit_positions
from eval.units import ArticleUnits
from search import Searcher
from search.rerank import FEATURES, Reranker

PAIRS_PER_QUERY = 200
SERVED_KINDS = ("question", "crosslingual")


@dataclass(slots=True)
class Collected:
    """One query's fused candidates (fused order), their features and grades, and its judgements'
    satisfying and unit positions."""

    query: LabelledQuery
    kind: str
    positions: np.ndarray
    features: np.ndarray
    grades: np.ndarray
    satisfying: list[set[int]]
    units: list[set[int]]
    movable: np.ndarray | None = None  # the candidates the searcher lets the model move (None: all)


def training_queries(searcher: Searcher, questions: Sequence[WrittenQuestion]) -> list[LabelledQuery]:
    """The training articles' questions in the shared anchor format, their articles read from the index."""
    articles = {}
    for doc_id in sorted({q.doc for q in questions}):
        document = searcher.get_document(doc_id)
        if document is not None:
            articles.update({a.key: a for a in articles_of(document)})
    rows = anchored_queries(questions, articles, dev=False)
    return [LabelledQuery(row["id"], row["query"], row["kind"],
                          [Judgement(anchor_judgement_id(i, item["doc"]), item["doc"], item["anchor"])
                           for i, item in enumerate(row["relevant"])]) for row in rows]


def collect(searcher: Searcher, queries: Sequence[LabelledQuery]) -> list[Collected]:
    """Each query's fused candidates (as deep as fusion's depth), unreranked, with features and grades."""
    units = ArticleUnits(searcher)
    found = []
    for query in queries:
        _hits, info = searcher.search_explained(query.text, k=K, mode="hybrid", rerank=False, candidates=True)
        candidates = info.get("candidates")
        if candidates is None:
            continue
        wanted = satisfying(searcher, query)
        unit = unit_positions(searcher, units, query)
        positions = candidates["positions"]
        grades = np.array([2 if any(p in w for w in wanted) else 1 if any(p in u for u in unit) else 0
                           for p in positions.tolist()], dtype=np.int8)
        found.append(Collected(query, info["kind"], positions, candidates["features"], grades, wanted, unit,
                               candidates["movable"]))
    return found


def pairs(collected: Sequence[Collected], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Feature differences of candidate pairs of different grades (both orders), at most PAIRS_PER_QUERY
    a query, so that every question weighs about the same."""
    rows, labels = [], []
    for item in collected:
        better = [(i, j) for i in range(len(item.grades)) for j in range(len(item.grades))
                  if item.grades[i] > item.grades[j]]
        if not better:
            continue
        chosen = rng.permutation(len(better))[:PAIRS_PER_QUERY]
        for index in chosen.tolist():
            i, j = better[index]
            difference = item.features[i] - item.features[j]
            rows += [difference, -difference]
            labels += [1, 0]
    return np.array(rows), np.array(labels)


def fit(collected: Sequence[Collected], regularisation: float, depth: int, kinds: Sequence[str] = SERVED_KINDS,
        seed: int = 13) -> Reranker:
    """A reranker fitted on these queries' first `depth` candidates (a query listed twice weighs twice)."""
    from sklearn.linear_model import LogisticRegression

    features = np.concatenate([c.features[:depth] for c in collected])
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    standardised = [Collected(c.query, c.kind, c.positions[:depth], (c.features[:depth] - mean) / scale,
                              c.grades[:depth], c.satisfying, c.units) for c in collected]
    x, y = pairs(standardised, np.random.default_rng(seed))
    model = LogisticRegression(C=regularisation, fit_intercept=False, max_iter=2000).fit(x, y)
    return Reranker(FEATURES, mean, scale, model.coef_[0], depth, frozenset(kinds))


def top(searcher: Searcher, item: Collected, reranker: Reranker | None) -> list[int]:
    """The top K positions the searcher returns with `reranker` (None: fusion's order), leads substituted."""
    order = [(int(p), float(len(item.positions) - i)) for i, p in enumerate(item.positions.tolist())]
    if reranker is not None and item.kind in reranker.kinds:
        order = reranker.reorder(order, item.features[: reranker.depth], item.movable)
    return [p for p, _ in searcher._substitute_leads(order)[:K]]


@dataclass
class Tally:
    """Judgements satisfied at clause and article level, reciprocal ranks, over any number of queries."""

    satisfied: int = 0
    articles: int = 0
    judgements: int = 0
    reciprocal: float = 0.0
    queries: int = 0

    def add(self, searcher: Searcher, item: Collected, reranker: Reranker | None) -> None:
        found = top(searcher, item, reranker)
        self.judgements += len(item.satisfying)
        self.satisfied += sum(1 for wanted in item.satisfying if wanted.intersection(found))
        self.articles += sum(1 for unit in item.units if unit.intersection(found))
        first = next((r for r, p in enumerate(found, 1) if any(p in w for w in item.satisfying)), None)
        self.reciprocal += 1.0 / first if first else 0.0
        self.queries += 1

    def scores(self) -> dict[str, float]:
        """Recall@10 as defined (judgements satisfied ÷ judgements), article recall@10, MRR@10."""
        return {"recall@10": round(self.satisfied / max(self.judgements, 1), 4),
                "article_recall@10": round(self.articles / max(self.judgements, 1), 4),
                "mrr@10": round(self.reciprocal / max(self.queries, 1), 4), "judgements": self.judgements}


def judge(searcher: Searcher, collected: Sequence[Collected], reranker: Reranker | None) -> dict[str, float]:
    tally = Tally()
    for item in collected:
        tally.add(searcher, item, reranker)
    return tally.scores()


@dataclass(frozen=True, slots=True)
class Setting:
    depth: int  # candidates reordered
    regularisation: float  # logistic regression's C
    dev_weight: int  # how many times a development question counts beside a written one


SETTINGS = tuple(Setting(d, c, w) for d in (30, 50) for c in (0.1, 1.0) for w in (5, 20))
FOLDS = 5


def cross_validated(searcher: Searcher, training: Sequence[Collected], dev: Sequence[Collected], setting: Setting,
                    kinds: Sequence[str], folds: int = FOLDS) -> tuple[dict[str, float], dict[str, float]]:
    """(fusion's, the reranker's) scores on the development questions, each fold judged by a model fitted on
    the written questions and the other folds: what the reranker does on questions it was not fitted on."""
    fold = np.random.default_rng(0).permutation(len(dev)) % folds
    fused, reranked = Tally(), Tally()
    for f in range(folds):
        fitted = [item for item, k in zip(dev, fold.tolist(), strict=True) if k != f]
        model = fit(list(training) + fitted * setting.dev_weight, setting.regularisation, setting.depth, kinds)
        for item, k in zip(dev, fold.tolist(), strict=True):
            if k == f:
                fused.add(searcher, item, None)
                reranked.add(searcher, item, model)
    return fused.scores(), reranked.scores()


def train(index: Path, dev_files: Sequence[Path], out: Path, kinds: Sequence[str] = ("question",),
          questions: Path | None = None, checks: Sequence[Path] = ()) -> dict:
    """Collect the written training questions and the development halves over `index` (queries of `kinds`
    only), choose the setting by cross-validation on the development questions, fit it on all of them, save
    it to `out` and return the report (`checks`: development files judged with the final model too)."""
    searcher = Searcher.open(index)
    searcher.reranker = None
    written = load_questions(questions) if questions else load_questions()
    training = [c for c in collect(searcher, training_queries(searcher, written)) if c.kind in kinds]
    dev = [c for path in dev_files for c in collect(searcher, read_queries_jsonl(path)) if c.kind in kinds]
    rows = []
    for setting in SETTINGS:
        fused, reranked = cross_validated(searcher, training, dev, setting, kinds)
        rows.append({"depth": setting.depth, "C": setting.regularisation, "dev_weight": setting.dev_weight,
                     "fusion": fused, "reranked": reranked})
    best = max(rows, key=lambda r: (r["reranked"]["recall@10"] + r["reranked"]["article_recall@10"],
                                    r["reranked"]["mrr@10"]))
    chosen = Setting(best["depth"], best["C"], best["dev_weight"])
    model = fit(training + dev * chosen.dev_weight, chosen.regularisation, chosen.depth, kinds)
    report = {"training_questions": len(training), "development_questions": len(dev),
              "development_files": [str(p) for p in dev_files], "cross_validation": rows,
              "chosen": {"depth": chosen.depth, "C": chosen.regularisation, "dev_weight": chosen.dev_weight},
              "checks": {}}
    for path in checks:
        items = [c for c in collect(searcher, read_queries_jsonl(path)) if c.kind in kinds]
        report["checks"][str(path)] = {"fusion": judge(searcher, items, None), "reranked": judge(searcher, items, model)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model.to_json(trained_on=f"{len(training)} written training questions and "
                                            f"{len(dev)} development questions × {chosen.dev_weight}",
                                            report=report), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return report
