"""A learned second stage over the fused candidates: a linear model of the evidence every signal already
computed, plus the evidence fusion throws away (how much of the question a clause and its article cover,
what kind of clause it is, how many candidates share its article).

Rank fusion weighs a signal by its rank alone; a clause that covers four of a question's five content words
and one that matches a single frequent word at the same BM25 rank count the same. The model's weights are
learnt from question → answering-clause pairs (eval/training/train_reranker.py: the written training
questions, never an evaluation set) as a pairwise logistic regression, and stored as data
(`search/data/reranker.json`): features, their standardisation, one weight each, the kinds of query it
serves and how deep it looks. Scoring is a dot product per candidate: no library at query time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RERANKER_FILE = Path(__file__).resolve().parent / "data" / "reranker.json"

# The signals whose reciprocal rank is a feature (search.fuse's names; absent → 0).
RANKED_SIGNALS = ("bm25", "dense", "translated", "phrase", "definition", "statement", "article",
                  "article_translated")
# Clause kinds with a feature of their own (indexer/data/clause_kinds.tsv); any other kind is the baseline.
KIND_FEATURES = ("dieu", "khoan", "diem", "item", "point")
FEATURES = (
    "fused_relative", "fused_rank_log",
    *(f"rr_{signal}" for signal in RANKED_SIGNALS),
    "bm25_relative", "translated_relative", "dense_gap", "dense_judged",
    "cover_body", "cover_head", "cover_unit", "cover_body_count", "cover_expansion",
    "cover_translated_body", "cover_translated_unit",
    "length_log", *(f"kind_{kind}" for kind in KIND_FEATURES),
    "unit_candidates_log", "unit_best_rr", "unit_rank_in_unit_log",
)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which of a query's term groups occur in each candidate (rows: groups; columns: candidates), per
    field, with each group's weight (its plan weight × its idf)."""

    body: np.ndarray
    head: np.ndarray
    unit: np.ndarray | None
    weights: np.ndarray
    user: int  # the first `user` groups are the user's own words; the rest are expansions


@dataclass(frozen=True, slots=True)
class Candidates:
    """What the searcher knows of a query's fused candidates, best first (all arrays by candidate)."""

    positions: np.ndarray
    fused: np.ndarray  # fused score
    ranks: dict[str, np.ndarray]  # signal → the candidate's rank in it, from 1 (0: not ranked)
    bm25: np.ndarray  # the query's lexical score
    translated: np.ndarray | None  # the translation's lexical score
    dense: np.ndarray | None  # inner product with the query vector (NaN: not judged by the encoder)
    coverage: Coverage
    translated_coverage: Coverage | None
    lengths: np.ndarray  # characters
    kinds: np.ndarray  # clause kind ids
    units: np.ndarray  # reading unit ids


def weighted_cover(present: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per candidate, the weighted share of groups present (0 for a query with no groups)."""
    total = float(weights.sum())
    if present.size == 0 or total <= 0:
        return np.zeros(present.shape[1] if present.ndim == 2 else 0)
    return (weights[:, None] * present).sum(axis=0) / total


def relative(values: np.ndarray | None, count: int) -> np.ndarray:
    """Scores as a share of the best candidate's (0 when absent or all zero)."""
    if values is None or not len(values):
        return np.zeros(count)
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    return np.nan_to_num(values / top) if top > 0 else np.zeros(count)


def unit_features(units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate: how many candidates share its unit, the reciprocal of the best candidate rank in it,
    and its own rank among them (from 1), candidates being in fused order."""
    count = np.zeros(len(units))
    best = np.zeros(len(units))
    within = np.zeros(len(units))
    seen: dict[int, list[int]] = {}
    for index, unit in enumerate(units.tolist()):
        seen.setdefault(unit, []).append(index)
    for members in seen.values():
        for order, index in enumerate(members, start=1):
            count[index] = len(members)
            best[index] = 1.0 / (members[0] + 1)
            within[index] = order
    return count, best, within


def candidate_features(candidates: Candidates) -> np.ndarray:
    """The feature matrix (candidates × FEATURES)."""
    n = len(candidates.positions)
    columns: list[np.ndarray] = [relative(candidates.fused, n), np.log1p(np.arange(n, dtype=float))]
    for signal in RANKED_SIGNALS:
        rank = candidates.ranks.get(signal)
        columns.append(np.zeros(n) if rank is None else np.where(rank > 0, 1.0 / np.maximum(rank, 1), 0.0))
    columns += [relative(candidates.bm25, n), relative(candidates.translated, n)]
    if candidates.dense is None or not np.isfinite(candidates.dense).any():
        columns += [np.zeros(n), np.zeros(n)]
    else:
        judged = np.isfinite(candidates.dense)
        top = float(np.nanmax(candidates.dense))
        columns += [np.where(judged, np.nan_to_num(candidates.dense) - top, 0.0), judged.astype(float)]
    cover = candidates.coverage
    user = slice(0, cover.user)
    expansion = slice(cover.user, None)
    columns += [weighted_cover(cover.body[user], cover.weights[user]),
                weighted_cover(cover.head[user], cover.weights[user]),
                np.zeros(n) if cover.unit is None else weighted_cover(cover.unit[user], cover.weights[user]),
                weighted_cover(cover.body[user], np.ones(cover.user)),
                weighted_cover(cover.body[expansion], cover.weights[expansion])]
    translated = candidates.translated_coverage
    if translated is None:
        columns += [np.zeros(n), np.zeros(n)]
    else:
        columns += [weighted_cover(translated.body, translated.weights),
                    np.zeros(n) if translated.unit is None else weighted_cover(translated.unit, translated.weights)]
    columns.append(np.log1p(candidates.lengths.astype(float)))
    columns += [(candidates.kinds == kind).astype(float) for kind in KIND_FEATURES]
    count, best, within = unit_features(candidates.units)
    columns += [np.log1p(count), best, np.log(within)]
    return np.stack(columns, axis=1) if n else np.zeros((0, len(FEATURES)))


@dataclass(frozen=True, slots=True)
class Reranker:
    """A linear model over FEATURES: score = ((x − mean) / scale) · weights. `depth`: how many of the fused
    candidates it reorders (the rest keep their place below them); `kinds`: the kinds of query it serves."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    depth: int
    kinds: frozenset[str]

    def __post_init__(self) -> None:
        if self.features != FEATURES:
            missing = sorted(set(FEATURES) ^ set(self.features))
            raise ValueError(f"reranker features differ from this version's ({', '.join(missing) or 'order'}); "
                             "retrain it with `lexvn train-reranker`")
        if not (len(self.mean) == len(self.scale) == len(self.weights) == len(FEATURES)):
            raise ValueError("reranker arrays do not match its feature list")

    def scores(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights

    def reorder(self, order: Sequence[tuple[int, float]], features: np.ndarray,
                movable: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The first len(features) of `order` by the model's score (ties keep the fused order), scored so
        that they stay above the rest. `movable` (by candidate; None: all): only these are reordered, among
        the places they hold; the others keep theirs. The searcher moves only the query's own language
        (fusion interleaved the translation's clauses by a trust measured on the dev halves, and the model
        never learnt to weigh two languages: with every candidate movable the seed set's hybrid recall@10
        fell 0.977 → 0.932) and never a clause holding the whole query as a phrase (the written questions
        have none, so the model gives the phrase signal no weight: a seed query whose words are the
        resolution's fell from first to fifth)."""
        head = len(features)
        if head == 0:
            return list(order)
        scores = self.scores(features)
        slots = list(range(head)) if movable is None else np.flatnonzero(movable[:head]).tolist()
        placed = list(range(head))
        for slot, chosen in zip(slots, sorted(slots, key=lambda i: (-scores[i], i)), strict=True):
            placed[slot] = chosen
        floor = max((score for _p, score in order[head:]), default=0.0)
        return [(order[i][0], floor + head - r) for r, i in enumerate(placed)] + list(order[head:])

    def to_json(self, **about: object) -> dict[str, object]:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "weights": self.weights.round(6).tolist(),
                "depth": self.depth, "kinds": sorted(self.kinds), **about}

    @classmethod
    def from_json(cls, record: dict[str, object]) -> Reranker:
        return cls(tuple(record["features"]), np.asarray(record["mean"], dtype=float),  # type: ignore[arg-type]
                   np.asarray(record["scale"], dtype=float), np.asarray(record["weights"], dtype=float),  # type: ignore[arg-type]
                   int(record["depth"]), frozenset(record["kinds"]))  # type: ignore[arg-type, call-overload]

    @classmethod
    def load(cls, path: Path = RERANKER_FILE) -> Reranker | None:
        """The shipped model (None: none shipped)."""
        if not path.is_file():
            return None
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
