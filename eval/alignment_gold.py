"""The labelled alignment set (`eval/alignment/seed_plans_vs_66.jsonl`): anchors → clauses, precision and
recall of clause alignment, and the calibration of the cross-language thresholds on it.

A record names a plan (002, 003, 004: the document under review, A) and the resolution (000, 66-NQ/TW: the
reference, B) with a verbatim anchor on each side and a relation:
- `implements` / `changes`: the plan clause holding `plan_anchor` is a counterpart of the resolution clause
  holding `resolution_anchor` (a gold pair);
- `plan_only`: the plan clause has no counterpart in the resolution (any alignment of it is wrong);
- `omitted`: the resolution passage has no counterpart in the plan. When the anchor's clause is also in a
  gold pair of that plan (al146: the 0.5% floor sits in the budget bullet 004 does take up), the omission is
  of a fact, not of the clause, and the record says nothing about alignment.

An anchor resolves to every alignable clause whose text contains it (spelling-proof: skeleton words of the
clean text), so a bullet and the appendix row repeating it are both accepted, and then to its passage: a
bullet's continuation paragraphs (clauses of kind `paragraph` under it) belong to it, and a paragraph to its
bullet and the bullet's other paragraphs. The parser makes each paragraph a clause; a reader cites the bullet.

The split is by id, deterministic: odd record numbers (al001, al003, …) are the calibration half, even ones
the report half. Thresholds are chosen on the calibration half; figures are reported on the report half.

Metrics, for the pairs a calibrated `align_clauses(plan, resolution)` returns (plan → resolution):
- recall: share of gold pairs for which some accepted plan clause is aligned with some accepted resolution
  clause;
- precision: of the returned pairs that touch a labelled clause (a plan clause of a record, or a resolution
  clause marked omitted), the share that is a gold pair. A pair from a plan clause with a gold counterpart to
  another resolution clause counts as wrong: conservative where the gold is not exhaustive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.paths import ROOT
from indexer.model import Document
from indexer.normalise import skeleton_words
from search.crosscheck.align import Alignment, Similarities, alignable, clause_body, select, similarities
from search.lexicon import contains_run

GOLD = ROOT / "eval" / "alignment" / "seed_plans_vs_66.jsonl"
PAIR_RELATIONS = ("implements", "changes")


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def half_of(record: dict[str, Any]) -> str:
    """'calibration' for odd record numbers, 'report' for even ones."""
    number = int("".join(ch for ch in record["id"] if ch.isdigit()))
    return "calibration" if number % 2 else "report"


def anchor_clauses(document: Document, anchor: str | None) -> list[str]:
    """Ids of the alignable clauses of `document` containing `anchor`; the smallest ones (no clause whose
    child also contains it)."""
    if not anchor:
        return []
    needle = skeleton_words(anchor)
    found = [c for c in document.clauses if alignable(c)
             and (contains_run(skeleton_words(clause_body(c)), needle) or contains_run(skeleton_words(c.text), needle))]
    parents = {c.parent_id for c in found}
    return passage(document, [c.id for c in found if c.id not in parents])


def passage(document: Document, clause_ids: list[str]) -> list[str]:
    """The clauses plus their continuation paragraphs (and a paragraph's bullet and sibling paragraphs)."""
    by_id = {c.id: c for c in document.clauses}
    heads = {by_id[i].parent_id if by_id[i].kind == "paragraph" and by_id[i].parent_id in by_id else i
             for i in clause_ids}
    found = list(clause_ids)
    for clause in document.clauses:
        if clause.id in heads or (clause.kind == "paragraph" and clause.parent_id in heads):
            if clause.id not in found and alignable(clause):
                found.append(clause.id)
    return found


@dataclass(slots=True)
class Resolved:
    record: dict[str, Any]
    plan_clauses: list[str]
    resolution_clauses: list[str]


@dataclass(slots=True)
class GoldPlan:
    """The labelled clauses of one plan against the resolution."""

    plan: str
    resolution: str
    pairs: list[Resolved] = field(default_factory=list)
    plan_only: list[Resolved] = field(default_factory=list)
    omitted: list[Resolved] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # record ids whose anchor matched no clause

    def pair_ids(self) -> set[tuple[str, str]]:
        return {(p, r) for item in self.pairs for p in item.plan_clauses for r in item.resolution_clauses}

    def omitted_clauses(self) -> set[str]:
        paired = {r for item in self.pairs for r in item.resolution_clauses}
        return {r for item in self.omitted for r in item.resolution_clauses if r not in paired}


def resolve(searcher: Any, records: list[dict[str, Any]]) -> dict[str, GoldPlan]:
    """Records grouped by plan, anchors resolved to clause ids."""
    plans: dict[str, GoldPlan] = {}
    for record in records:
        plan = plans.setdefault(record["plan"], GoldPlan(record["plan"], record["resolution"]))
        item = Resolved(record, anchor_clauses(searcher.get_document(record["plan"]), record.get("plan_anchor")),
                        anchor_clauses(searcher.get_document(record["resolution"]), record.get("resolution_anchor")))
        relation = record["relation"]
        needs = {"plan_only": [item.plan_clauses], "omitted": [item.resolution_clauses]}.get(
            relation, [item.plan_clauses, item.resolution_clauses])
        if not all(needs):
            plan.unresolved.append(record["id"])
            continue
        {"plan_only": plan.plan_only, "omitted": plan.omitted}.get(relation, plan.pairs).append(item)
    return plans


@dataclass(slots=True)
class Scores:
    gold_pairs: int = 0
    found_pairs: int = 0  # gold pairs recovered
    judged: int = 0  # returned pairs touching a labelled clause
    correct: int = 0
    plan_only: int = 0
    plan_only_unaligned: int = 0
    omitted: int = 0
    omitted_unaligned: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.judged if self.judged else 0.0

    @property
    def recall(self) -> float:
        return self.found_pairs / self.gold_pairs if self.gold_pairs else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Scores) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data.update(precision=round(self.precision, 3), recall=round(self.recall, 3), f1=round(self.f1, 3))
        return data


def score(gold: GoldPlan, alignments: list[Alignment], half: str | None = None) -> Scores:
    """Scores of one plan's alignments against the records of `half` (both halves when None)."""
    def keep(items: list[Resolved]) -> list[Resolved]:
        return [i for i in items if half is None or half_of(i.record) == half]

    returned = {(a.source.id, a.target.id) for a in alignments}
    aligned_plan = {p for p, _ in returned}
    aligned_resolution = {r for _, r in returned}
    all_pairs = gold.pair_ids()
    result = Scores()
    for item in keep(gold.pairs):
        result.gold_pairs += 1
        result.found_pairs += any((p, r) in returned for p in item.plan_clauses for r in item.resolution_clauses)
    labelled_plan: dict[str, str] = {}  # plan clause → 'pair' | 'plan_only'
    for item in keep(gold.pairs):
        for p in item.plan_clauses:
            labelled_plan[p] = "pair"
    for item in keep(gold.plan_only):
        result.plan_only += 1
        result.plan_only_unaligned += not any(p in aligned_plan for p in item.plan_clauses)
        for p in item.plan_clauses:
            labelled_plan.setdefault(p, "plan_only")
    omitted = gold.omitted_clauses()
    kept_omitted = [i for i in keep(gold.omitted) if all(r in omitted for r in i.resolution_clauses)]
    for item in kept_omitted:
        result.omitted += 1
        result.omitted_unaligned += not any(r in aligned_resolution for r in item.resolution_clauses)
    omitted_here = {r for i in kept_omitted for r in i.resolution_clauses}
    for pair in returned:
        plan_clause, resolution_clause = pair
        label = labelled_plan.get(plan_clause)
        if label is None and resolution_clause not in omitted_here:
            continue  # neither side labelled in this half: not judged
        result.judged += 1
        result.correct += label == "pair" and pair in all_pairs
    return result


def plan_similarities(searcher: Any, gold: GoldPlan) -> Similarities | None:
    plan, resolution = searcher.get_document(gold.plan), searcher.get_document(gold.resolution)
    return similarities(plan.clauses, resolution.clauses, searcher.clause_vectors(plan.doc_id),
                        searcher.clause_vectors(resolution.doc_id), with_sentences=True)


def evaluate(searcher: Any, half: str | None = "report", records: list[dict[str, Any]] | None = None,
             **settings: Any) -> dict[str, Any]:
    """Scores per plan and in total on one half (None: all records), with the current calibration unless
    `settings` (threshold, margin, top_k, weights) override it."""
    plans = resolve(searcher, load_gold() if records is None else records)
    total = Scores()
    per_plan: dict[str, Any] = {}
    for plan_id, gold in sorted(plans.items()):
        scores = score(gold, select(plan_similarities(searcher, gold), **settings), half)
        total.add(scores)
        per_plan[plan_id] = scores.to_json()
    unresolved = sorted(r for g in plans.values() for r in g.unresolved)
    return {"half": half or "all", "total": total.to_json(), "plans": per_plan, "unresolved": unresolved}


# ---------------------------------------------------------------------------------------------- calibration

THRESHOLDS = tuple(round(0.05 + 0.01 * i, 2) for i in range(41))
MARGINS = (0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 1.0)
DENSE_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4)
SENTENCE_WEIGHTS = (0.0, 0.2, 0.4, 0.6, 0.8)
TOP_KS = (1, 2, 3)


def calibrate(searcher: Any, min_precision: float = 0.8,
              dense_weights: tuple[float, ...] = DENSE_WEIGHTS) -> dict[str, Any]:
    """Grid search on the calibration half over dense weight × top_k × margin × threshold: the setting with
    the best F1 among those whose precision is at least `min_precision` (the best F1 overall when none
    reaches it); ties go to the higher threshold, then the smaller dense weight and top_k."""
    plans = resolve(searcher, load_gold())
    matrices = [(gold, plan_similarities(searcher, gold)) for gold in plans.values()]
    candidates: list[dict[str, Any]] = []
    for weight, sentence_weight in ((w, sw) for w in dense_weights for sw in SENTENCE_WEIGHTS if w + sw < 1):
        weights = {"lexical": round(1.0 - weight - sentence_weight, 2), "dense": weight, "sentence": sentence_weight}
        for top_k in TOP_KS:
            for margin in MARGINS:
                for threshold in THRESHOLDS:
                    total = Scores()
                    for gold, sims in matrices:
                        total.add(score(gold, select(sims, threshold=threshold, margin=margin, top_k=top_k,
                                                     weights=weights), "calibration"))
                    candidates.append({"dense_weight": weight, "sentence_weight": sentence_weight, "top_k": top_k, "margin": margin,
                                       "threshold": threshold, **total.to_json()})
    eligible = [c for c in candidates if c["precision"] >= min_precision] or candidates
    best = max(eligible, key=lambda c: (c["f1"], c["threshold"], -c["dense_weight"] - c["sentence_weight"], -c["top_k"]))
    return {"best": best, "min_precision": min_precision, "grid_size": len(candidates)}


def calibrated_settings(searcher: Any, min_precision: float = 0.8) -> dict[str, Any]:
    """Both cross-language settings: with dense vectors (weight searched) and lexical only (weight 0)."""
    with_dense = calibrate(searcher, min_precision)
    lexical_only = calibrate(searcher, min_precision, dense_weights=(0.0,))
    return {"cross": with_dense, "cross_lexical_only": lexical_only}


def write_calibration(found: dict[str, Any], path: Path | None = None) -> dict[str, Any]:
    """Store the calibrated cross-language settings in `search/data/align_calibration.json`, with how they
    were found; the same-language settings are left as they are."""
    from search.resources import DATA_DIR

    path = path or DATA_DIR / "align_calibration.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    best = found["cross"]["best"]
    lexical = found["cross_lexical_only"]["best"]
    data["weights"]["cross"] = {"lexical": round(1.0 - best["dense_weight"] - best["sentence_weight"], 2),
                                "dense": best["dense_weight"], "sentence": best["sentence_weight"]}
    data["weights"]["cross_lexical_only"] = {"lexical": round(1.0 - lexical["sentence_weight"], 2), "dense": 0.0,
                                             "sentence": lexical["sentence_weight"]}
    for key, chosen in (("cross", best), ("cross_lexical_only", lexical)):
        previous = data["thresholds"].get(key, {})
        data["thresholds"][key] = {"threshold": chosen["threshold"], "margin": chosen["margin"],
                                   "top_k": chosen["top_k"],
                                   "mutual_tolerance": previous.get("mutual_tolerance", 0.05)}
    data["_method"] = {
        "cross": (f"`lexvn crosscheck-eval --calibrate --write` on the calibration half (odd ids) of "
                  f"{GOLD.relative_to(ROOT)}: grid over dense weight {list(DENSE_WEIGHTS)}, sentence weight {list(SENTENCE_WEIGHTS)}, top_k {list(TOP_KS)}, "
                  f"margin {list(MARGINS)}, threshold 0.05..0.45; best F1 with precision >= "
                  f"{found['cross']['min_precision']}. Calibration half: precision {best['precision']}, "
                  f"recall {best['recall']} (lexical only: {lexical['precision']} / {lexical['recall']})."),
        "same": "set on Luật Doanh nghiệp 2014 / 2020 by hand before the gold set existed (no same-language gold)",
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return data


def calibration_changed() -> None:
    """Forget the loaded calibration, so this process uses the one just written."""
    from search.crosscheck.align import calibration

    calibration.cache_clear()
