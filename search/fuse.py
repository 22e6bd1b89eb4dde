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


def weighted_rrf(rankings: dict[str, np.ndarray], weights: dict[str, float], rrf_k: int = RRF_K) -> list[tuple[int, float]]:
    """Fuse rankings (signal → clause positions, best first) into (position, fused score), best first."""
    fused: dict[int, float] = {}
    for signal, positions in rankings.items():
        weight = weights.get(signal, 0.0)
        if not weight:
            continue
        for rank, position in enumerate(positions.tolist(), start=1):
            fused[position] = fused.get(position, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
