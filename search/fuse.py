"""Weighted reciprocal-rank fusion of the signals' rankings.

score(c) = Σ_signal weight_signal / (RRF_K + rank_signal(c)), ranks from 1. Rank fusion needs no score
calibration between BM25 (unbounded) and cosine similarity. The phrase signal ranks the clauses that
contain the whole query as a phrase (by their BM25 order); its weight makes them rise without pushing
every other clause out, so a paraphrase or translation found by the encoder can still make the top k.
Defaults were chosen on the development sets (seed_queries and vlc_title_queries), by kind of query. For
Vietnamese questions a learnt model then reorders the first fused candidates (search/rerank.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RRF_K = 60
# Signals ranking the lexical candidates by what the question asks for (Searcher.answer_signals): they judge
# a clause in either language.
ANSWER_SIGNALS = ("definition", "statement")
# Clauses ranked by the reading-unit field's score of their unit, then by their own (Searcher.article_signals):
# `article` from the query's own terms judges the query's language, `article_translated` from its
# translation the translation's.
ARTICLE_SIGNALS = ("article", "article_translated")


@dataclass(frozen=True, slots=True)
class FusionWeights:
    bm25: float = 1.0
    dense: float = 1.0
    # dense weight when the query's language is not one the encoder was trained on (minilm: English only);
    # on the seed set its Vietnamese neighbours only displaced good BM25 hits (hybrid MRR@10 0.928 at 0.1,
    # 0.948 at 0), and at 0 the query is not encoded at all, which also takes it off the hot path.
    dense_other_language: float = 0.0
    phrase: float = 1.5
    # the glossary translation of the query into the corpus's other language, ranked by BM25 (its own
    # ranking: it judges only clauses of that language, see weighted_rrf's `blind`)
    translated: float = 1.0
    # With a translation over a corpus of both languages, each language's clauses are fused by the signals
    # that judge that language, then interleaved: the translated side's n-th clause stands at n / this.
    # On the seed set (dev): 0.5 → hybrid recall@10 0.977, MRR@10 0.950; 0.65 → 0.977 / 0.944; 0.8 → 0.977 /
    # 0.944; the seed cross-language dev half 0.879 at each.
    translated_trust: float = 0.5
    # the clauses defining a term a definition question names (search/definitions.py)
    definition: float = 1.0
    # the clauses stating a quantity of the kind a question asks for (search/statements.py)
    statement: float = 0.5
    rrf_k: int = RRF_K
    depth: int = 100  # how many candidates each signal contributes
    # how many of BM25's best the answer signals (definition, statement) look through: on the Vietnamese
    # questions' dev half 100 → 0.675 / 0.786, 200 → 0.684 / 0.795, 400 → 0.701 / 0.812, 800 → the same
    answer_depth: int = 400
    # the article signals (ARTICLE_SIGNALS; 0: not computed), see KIND_WEIGHTS
    article: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)  # weights of experimental signals (tuning only)

    def as_map(self, dense: float) -> dict[str, float]:
        return {"bm25": self.bm25, "dense": dense, "phrase": self.phrase, "translated": self.translated,
                "definition": self.definition, "statement": self.statement, "article": self.article,
                "article_translated": self.article, **self.extra}


DEFAULT_WEIGHTS = FusionWeights()
# Weights per kind of query (search.query.KINDS); a kind not listed uses DEFAULT_WEIGHTS. Chosen on the dev
# halves with eval/training/tune_fusion.py (recall@10 and article recall@10 as defined, pooled by judgements):
# - question: the static encoder knows titles, not questions, and its ranking disagrees with BM25's on them:
#   Vietnamese questions recall@10 / article recall@10 0.462 / 0.675 at dense 1.0, 0.556 / 0.701 at 0.25,
#   0.556 / 0.684 at 0 (BM25 alone 0.521 / 0.650);
# - crosslingual (an English query, translated into Vietnamese): pooled over the English questions and the
#   English seed queries' dev halves, 0.476 / 0.619 at dense 1.0 and trust 0.8, 0.556 / 0.683 at dense 0.25,
#   0.619 / 0.746 at dense 0.25 and trust 3 (three Vietnamese clauses for each English one: the seed
#   English queries' answers are in the Vietnamese plans; hybrid then equals BM25 there, 0.81);
# - keywords, phrase, docref (titles, the seed set): the defaults are best (seed set 0.976 / 0.951, MRR 0.75).
# - article (issue 19e), clauses ranked by the reading-unit field (its b: indexer/build.py's UNIT_B), for
#   crosslingual queries: English questions' dev half 0.486 / 0.600 (MRR 0.275) at 0, 0.571 / 0.629 at 0.4
#   and 0.5 (MRR 0.304), 0.600 / 0.629 at 0.6 and 1.0 (0.629 / 0.657); the seed cross-language dev half
#   0.909 / 0.939 at 0, 0.939 / 0.939 at 0.5, 0.970 at 1.0; but from 0.6 up the seed set's MRR@10 falls
#   0.950 → 0.933 (its eight English queries), so 0.5. For Vietnamese questions it is noise, not adopted:
#   dev 0.718 / 0.829 at 0; 0.709 / 0.821 at 0.05; 0.726 / 0.838 at 0.1; 0.718 / 0.829 at 0.15; 0.726 /
#   0.829 at 0.25; 0.701 / 0.786 at 0.5. Evidence aggregated per unit from the clause scores at query time
#   (their sum, max, or best 1-3) was worse at every weight (sum at 0.25: 0.718 / 0.829, at 1.0: 0.650 /
#   0.752; max at 0.25: 0.701 / 0.778; English at 0.25: 0.457 / 0.600 and 0.486 / 0.571), and so were a
#   context score (own + λ × unit, λ 0.25-1: at best 0.718 / 0.821) and one clause per unit (0.547-0.650
#   / 0.812-0.846).
# - pseudo-relevance feedback (issue 19), not adopted: nothing gained +0.02 on the Vietnamese dev half
#   (0.718 / 0.829) without a loss elsewhere. Dense Rocchio (query vector + beta × the mean vector of BM25's
#   or the first fusion's top 1-10, beta 0.5-4) as its own signal at 0.1-1: 0.564-0.726 / 0.650-0.821; in
#   place of the dense ranking at best 0.735 / 0.821 (the English dev half 0.571-0.600 / 0.629, seed
#   cross-language 0.939); for crosslingual queries only the English questions gained one or two
#   judgements while the seed cross-language half fell 0.939 → 0.879-0.909. RM3 (10-60 expansion terms of
#   the top 1-20, weight 0.1-1, interpolated or not): 0.504-0.709 / 0.692-0.812 as a signal, 0.556-0.692
#   in place of BM25. BM25's best clauses for a plainly worded question are often off topic, so the
#   expansion drifts (a question on the notice an employee gives before quitting took công_ty, rút,
#   thành_viên, vốn: members withdrawing capital from a company).
KIND_WEIGHTS: dict[str, FusionWeights] = {
    "question": FusionWeights(dense=0.25),
    "crosslingual": FusionWeights(dense=0.25, translated_trust=3.0, article=0.5),
}


def weights_for(kind: str) -> FusionWeights:
    return KIND_WEIGHTS.get(kind, DEFAULT_WEIGHTS)


def weighted_rrf(rankings: dict[str, np.ndarray], weights: dict[str, float], rrf_k: int = RRF_K,
                 blind: dict[str, np.ndarray] | None = None) -> list[tuple[int, float]]:
    """Fuse rankings (signal → clause positions, best first) into (position, fused score), best first.

    `blind[signal]` marks the clauses a signal cannot judge (a clause in another language than the query,
    for a monolingual encoder or a phrase in the query's language). Such a clause, unless the signal ranked
    it anyway, scores the weighted mean of the signals that could judge it, scaled to the full weight:
    being out of a signal's reach neither rewards nor penalises a clause that BM25 found.
    """
    fused: dict[int, float] = {}
    present = {signal: weights[signal] for signal, positions in rankings.items()
               if len(positions) and weights.get(signal, 0.0)}
    for signal, weight in present.items():
        for rank, position in enumerate(rankings[signal].tolist(), start=1):
            fused[position] = fused.get(position, 0.0) + weight / (rrf_k + rank)
    total = sum(present.values())
    abstaining = [(weight, blind[signal], set(rankings[signal].tolist()))
                  for signal, weight in present.items() if blind and signal in blind]
    if abstaining:
        for position in fused:
            missing = sum(weight for weight, unjudged, ranked in abstaining
                          if unjudged[position] and position not in ranked)
            if 0 < missing < total:
                fused[position] *= total / (total - missing)
    # Equal fused scores are common (two signals with swapped ranks); the lexical evidence breaks the tie.
    lexical = {position: rank for rank, position in enumerate(rankings.get("bm25", np.zeros(0)).tolist())}
    unranked = len(lexical)
    return sorted(fused.items(), key=lambda item: (-round(item[1], 12), lexical.get(item[0], unranked), item[0]))


def merge_sides(sides: list[tuple[list[tuple[int, float]], float]]) -> list[tuple[int, float]]:
    """Rankings of disjoint sets of clauses (one per language) interleaved by rank: a side's n-th clause
    stands at n / factor, so with factors 1 and 0.5 the second side gets one place in three; the first
    side's best clause (the query's own language) always leads. Fused
    scores of two sides are not comparable (a side judged by one signal decays slower than one whose
    two signals disagree: measured, the translated side never reached the top 10 when merged by
    normalised score). `sides`: (fused ranking, factor); the merged score is 1 / position."""
    keyed = [(0.0 if side == 0 and rank == 1 else rank / factor, side, position)
             for side, (ranking, factor) in enumerate(sides) if factor > 0
             for rank, (position, _score) in enumerate(ranking, start=1)]
    keyed.sort()
    return [(position, 1.0 / (1.0 + key)) for key, _side, position in keyed]


def fuse(rankings: dict[str, np.ndarray], weights: FusionWeights, dense_weight: float,
         blind: dict[str, np.ndarray], target: np.ndarray | None = None,
         dense_side: str = "source") -> list[tuple[int, float]]:
    """The fused order of a query's rankings. `target`: the clauses in the translation's language when a
    translated ranking exists over a corpus of both languages; each language is then fused apart by the
    signals that judge it and the two interleaved (`merge_sides`). `dense_side`: which language the dense
    ranking judges: "source" (the query's), "target" (it ranked the translation) or "both" (one space)."""
    weight_map = weights.as_map(dense_weight)
    if target is None or "translated" not in rankings:
        return weighted_rrf(rankings, weight_map, weights.rrf_k, blind)
    sides = []
    for in_target, factor in ((False, 1.0), (True, weights.translated_trust)):
        judges = ({"translated", "article_translated", *ANSWER_SIGNALS} if in_target
                  else {"bm25", "phrase", "article", *ANSWER_SIGNALS})
        if dense_side == "both" or (dense_side == "target") == in_target:
            judges.add("dense")
        side = {name: positions[target[positions] == in_target] for name, positions in rankings.items()
                if name in judges}
        sides.append((weighted_rrf({n: p for n, p in side.items() if len(p)}, weight_map, weights.rrf_k), factor))
    # Clauses holding the user's words as a phrase come first, before any translation is interleaved.
    exact = set(rankings["phrase"].tolist()) if "phrase" in rankings else set()
    first = [(p, s) for p, s in sides[0][0] if p in exact]
    sides[0] = ([(p, s) for p, s in sides[0][0] if p not in exact], sides[0][1])
    merged = merge_sides(sides)
    top = merged[0][1] if merged else 1.0
    return [(p, top + len(first) - i) for i, (p, _s) in enumerate(first)] + merged
