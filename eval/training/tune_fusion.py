"""Choose lexical and fusion weights per kind of query on the development halves (`python -m
eval.training.tune_fusion`), the way the shipped defaults in `search/fuse.py` and `search/query.py` were
chosen. Never run it on a test half: those are for reporting only.

Each query's signals are computed once (BM25 score vectors per group of the plan, the dense ranking,
phrase matches), then every configuration of the grid is fused and judged in numpy, so a grid of
hundreds of settings costs seconds, not a re-run of every search. Judging is the harness's: a result
satisfies a judgement when its clause (after heading substitution, as the searcher does) holds the
anchor; article-level when it lies in the judged Điều or plan point.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.formats import LabelledQuery, read_queries_jsonl
from eval.units import ArticleUnits
from indexer.build import HEAD_WEIGHT
from indexer.normalise import skeleton
from search import Searcher
from search.fuse import DEFAULT_WEIGHTS, FusionWeights, fuse
from search.query import EXPANSION_WEIGHT, WORD_TERM_WEIGHT, QueryPlan
from search.retrieve import top_positions

DEPTH = 100
K = 10


@dataclass(slots=True)
class Prepared:
    """One query's signals, ready to be weighed and fused many times."""

    query: LabelledQuery
    plan: QueryPlan
    # BM25 of the body and of the heading field, per part of the plan: the user's syllables and compounds,
    # the user's segmented words (terms joined by "_"), the expansions at weight 1 (the grid scales them)
    parts: dict[str, tuple[np.ndarray, np.ndarray]]
    translated: np.ndarray | None
    target: np.ndarray | None  # mask of the translation's language
    dense: tuple[np.ndarray, np.ndarray] | None
    dense_blind: np.ndarray | None  # the clauses the dense ranking cannot judge (another language)
    dense_side: str  # the language side the dense ranking judges (search.fuse.fuse)
    phrase: np.ndarray | None
    satisfying: list[set[int]] = field(default_factory=list)  # per judgement, the clause positions that satisfy it
    units: list[set[int]] = field(default_factory=list)  # per judgement, the positions of its unit


def unit_positions(searcher: Searcher, units: ArticleUnits, query: LabelledQuery) -> list[set[int]]:
    found = []
    for judgement in query.judgements:
        unit = units.judgement_unit(judgement)
        document = searcher.get_document(judgement.doc)
        positions = set()
        if unit is not None and document is not None:
            positions = {searcher._position[c.id] for c in document.clauses if units.unit_of(c.id) == unit}
        found.append(positions)
    return found


def satisfying(searcher: Searcher, query: LabelledQuery) -> list[set[int]]:
    found = []
    for judgement in query.judgements:
        document = searcher.get_document(judgement.doc)
        anchor = skeleton(judgement.anchor or "")
        found.append({searcher._position[c.id] for c in (document.clauses if document else [])
                      if anchor in skeleton(c.text)})
    return found


def prepare(searcher: Searcher, queries: Iterable[LabelledQuery]) -> list[Prepared]:
    units = ArticleUnits(searcher)
    lexical = searcher.lexical
    prepared = []
    for query in queries:
        plan = searcher.analyse(query.text)
        user = plan.groups[: len(plan.groups) - len(plan.expansions)]
        groups = {
            "syllables": [g for g in user if not any("_" in t for alt in g.alternatives for t in alt)],
            "words": [replace(g, weight=1.0) for g in user if any("_" in t for alt in g.alternatives for t in alt)],
            "expansion": [replace(g, weight=g.weight / EXPANSION_WEIGHT) for g in plan.groups[len(user):]],
        }
        parts = {name: (lexical._group_scores(lexical.body, found), lexical._group_scores(lexical.head, found))
                 for name, found in groups.items()}
        translated = target = None
        if plan.translated_groups:
            target = searcher._same_language[plan.target_language]
            translated = lexical.group_scores(plan.translated_groups)
        dense = dense_blind = None
        dense_side = "both" if searcher.dense is not None and searcher.dense.encoder.cross_lingual else "source"
        if searcher.dense is not None:
            languages = (searcher._manifest.model or {}).get("languages", ["*"])
            if "*" in languages or plan.language in languages:
                same = None if searcher.dense.encoder.cross_lingual else searcher._same_language[plan.language]
                dense = searcher.dense.search(plan.dense_text, DEPTH, same, plan.language)
                dense_blind = None if same is None else ~same
            elif plan.translated_text and plan.target_language in languages:
                dense = searcher.dense.search(plan.translated_text, DEPTH, target, plan.target_language)
                dense_blind, dense_side = (None if target is None else ~target), "target"
        phrase = None
        if len(plan.normalised.split()) >= 2:
            hits = searcher._verify([plan.text], plan.language, None)
            phrase = np.array(sorted(hits), dtype=np.int64) if hits else None
        prepared.append(Prepared(query, plan, parts, translated, target, dense, dense_blind, dense_side, phrase,
                                 satisfying(searcher, query), unit_positions(searcher, units, query)))
    return prepared


@dataclass(frozen=True, slots=True)
class Setting:
    expansion: float = EXPANSION_WEIGHT
    words: float = WORD_TERM_WEIGHT
    head: float = HEAD_WEIGHT
    weights: FusionWeights = DEFAULT_WEIGHTS
    article: float | None = None  # weight of the article signals (Searcher.article_signals); None: the weights' own

    def lexical(self, item: Prepared) -> np.ndarray:
        factors = {"syllables": 1.0, "words": self.words, "expansion": self.expansion}
        return sum(factor * (item.parts[name][0] + self.head * item.parts[name][1])
                   for name, factor in factors.items())


def ranking(searcher: Searcher, item: Prepared, setting: Setting, mode: str = "hybrid") -> list[int]:
    """The top K positions under `setting`, fused as the searcher fuses (search.fuse.fuse), heading
    substitution included."""
    lexical = setting.lexical(item)
    rankings: dict[str, np.ndarray] = {"bm25": top_positions(lexical, DEPTH, None)[0]}
    blind: dict[str, np.ndarray] = {}
    if searcher._same_language[item.plan.language] is not None:
        blind["phrase"] = searcher._other_language[item.plan.language]
    if item.translated is not None:
        rankings["translated"] = top_positions(item.translated, DEPTH, item.target)[0]
    if mode == "hybrid" and item.dense is not None:
        rankings["dense"] = item.dense[0]
        if item.dense_blind is not None:
            blind["dense"] = item.dense_blind
    if mode == "hybrid" and item.phrase is not None:
        rankings["phrase"] = np.array(sorted(item.phrase.tolist(), key=lambda p: (-float(lexical[p]), p)), np.int64)
    weights = setting.weights if setting.article is None else replace(setting.weights, article=setting.article)
    if mode == "hybrid" and weights.article:
        rankings.update(searcher.article_signals(item.plan, lexical, item.translated, None, item.target, DEPTH))
    if mode == "hybrid":
        pool = top_positions(lexical, max(setting.weights.answer_depth, DEPTH), None)[0]
        rankings.update(searcher.answer_signals(item.plan, pool, rankings, setting.weights))
    if mode == "bm25" and "translated" not in rankings:
        order = [(p, 0.0) for p in rankings["bm25"].tolist()]
    else:
        signals = rankings if mode == "hybrid" else {s: rankings[s] for s in ("bm25", "translated")}
        order = fuse(signals, weights, weights.dense, blind, item.target, item.dense_side)
    return [p for p, _ in searcher._substitute_leads(order)[:K]]


def score(searcher: Searcher, prepared: Sequence[Prepared], setting: Setting, mode: str = "hybrid") -> dict[str, float]:
    """Recall@10 as defined, article recall@10 and MRR@10 of a setting over prepared queries."""
    satisfied = articles = total = 0
    reciprocal = 0.0
    for item in prepared:
        top = ranking(searcher, item, setting, mode)
        total += len(item.satisfying)
        satisfied += sum(1 for wanted in item.satisfying if wanted.intersection(top))
        articles += sum(1 for wanted in item.units if wanted.intersection(top))
        first = next((rank for rank, p in enumerate(top, 1) if any(p in w for w in item.satisfying)), None)
        reciprocal += 1.0 / first if first else 0.0
    return {"recall@10": satisfied / total, "article_recall@10": articles / total, "mrr@10": reciprocal / len(prepared)}


GRID = {
    "expansion": (0.25, 0.5),
    "words": (1.0,),
    "head": (0.35,),
    "dense": (0.25, 0.5, 1.0),
    "translated": (1.0,),
    "trust": (0.25, 0.5, 0.8),
    "definition": (0.0, 1.0),
    "statement": (0.0, 0.5, 1.0),
    "phrase": (1.5,),
    "article": (0.0,),
}


def pooled(sets: Sequence[tuple[Searcher, Sequence[Prepared]]], setting: Setting, mode: str = "hybrid") -> dict[str, float]:
    """Scores over several (index, queries) sets, each set weighing as much as its judgements."""
    totals = {"recall@10": 0.0, "article_recall@10": 0.0, "mrr@10": 0.0}
    judgements = sum(len(i.satisfying) for _, items in sets for i in items)
    queries = sum(len(items) for _, items in sets)
    for searcher, items in sets:
        if not items:
            continue
        found = score(searcher, items, setting, mode)
        n = sum(len(i.satisfying) for i in items)
        totals["recall@10"] += found["recall@10"] * n / judgements
        totals["article_recall@10"] += found["article_recall@10"] * n / judgements
        totals["mrr@10"] += found["mrr@10"] * len(items) / queries
    return totals


def grid(sets: Sequence[tuple[Searcher, Sequence[Prepared]]]) -> list[dict[str, Any]]:
    rows = []
    for values in itertools.product(*GRID.values()):
        chosen = dict(zip(GRID, values, strict=True))
        setting = Setting(chosen["expansion"], chosen["words"], chosen["head"],
                          FusionWeights(dense=chosen["dense"], translated=chosen["translated"], phrase=chosen["phrase"],
                                        translated_trust=chosen["trust"], definition=chosen["definition"],
                                        statement=chosen["statement"]),
                          chosen["article"])
        rows.append({**chosen, **pooled(sets, setting)})
    return sorted(rows, key=lambda r: (-(r["recall@10"] + r["article_recall@10"]), -r["mrr@10"]))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", nargs=2, action="append", metavar=("INDEX", "QUERIES"), required=True,
                        help="an index and a development half of queries over it (repeat)")
    parser.add_argument("--kind", action="append", help="only queries the analysis gives these kinds")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    searchers: dict[str, Searcher] = {}
    sets = []
    for index, queries in args.set:
        searcher = searchers.setdefault(index, Searcher.open(index))
        prepared = prepare(searcher, read_queries_jsonl(Path(queries)))
        sets.append((searcher, [p for p in prepared if not args.kind or p.plan.kind in args.kind]))
        kinds: dict[str, int] = {}
        for item in prepared:
            kinds[item.plan.kind] = kinds.get(item.plan.kind, 0) + 1
        print(queries, kinds)
    for mode in ("bm25", "hybrid"):
        print(mode, json.dumps({k: round(v, 4) for k, v in pooled(sets, Setting(), mode).items()}))
    rows = grid(sets)
    for row in rows[: args.top]:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}))
    for (searcher, items), (_index, queries) in zip(sets, args.set, strict=True):
        best = rows[0]
        setting = Setting(best["expansion"], best["words"], best["head"],
                          FusionWeights(dense=best["dense"], translated=best["translated"], phrase=best["phrase"],
                                        translated_trust=best["trust"], definition=best["definition"],
                                        statement=best["statement"]))
        for mode in ("bm25", "hybrid"):
            print(f"  best on {queries} {mode}:",
                  json.dumps({k: round(v, 4) for k, v in score(searcher, items, setting, mode).items()}))


if __name__ == "__main__":
    main()
