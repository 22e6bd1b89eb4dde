"""Weighted reciprocal-rank fusion of the signals' rankings.

score(c) = Σ_signal weight_signal / (RRF_K + rank_signal(c)), ranks from 1. Rank fusion needs no score
calibration between BM25 (unbounded) and cosine similarity. The phrase signal ranks the clauses that
contain the whole query as a phrase (by their BM25 order); its weight makes them rise without pushing
every other clause out, so a paraphrase or translation found by the encoder can still make the top k.
Defaults were chosen on the development sets (seed_queries and vlc_title_queries), by kind of query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RRF_K = 60


@dataclass(frozen=True, slots=True)
class FusionWeights:
    bm25: float = 1.0
    dense: float = 1.0
    # dense weight when the query's language is not one the encoder was trained on (minilm: English only);
    # on the seed set its Vietnamese neighbours only displaced good BM25 hits (hybrid MRR@10 0.928 at 0.1,
    # 0.948 at 0), and at 0 the query is not encoded at all, which also takes it off the hot path.
    dense_other_language: float = 0.0
    phrase: float = 1.5
    rrf_k: int = RRF_K
    depth: int = 100  # how many candidates each signal contributes


DEFAULT_WEIGHTS = FusionWeights()


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
