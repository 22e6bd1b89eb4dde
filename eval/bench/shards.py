"""A sharded VLC index on a local Ray beside the single one: build time, and what each returns on the shared
and dev query sets, query by query (`make bench`; the sharded = single test on a two-node cluster is in
`make test`, over the seed corpus)."""

from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from eval.paths import ROOT, SHARED, VLC_DIR, WORK_DIR

MODEL = "lexvn-static-vi"
MODES = ("bm25", "phrase", "hybrid", "dense")
QUERY_FILES = (SHARED / "eval" / "vlc_title_queries.jsonl", ROOT / "eval" / "questions" / "vlc_vi.dev.jsonl",
               ROOT / "eval" / "questions" / "vlc_en.dev.jsonl")


def _queries(path: Path) -> list[str]:
    return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def compare(single: Any, sharded: Any, queries: list[str], mode: str) -> dict[str, Any]:
    """How often the two return the same top 10 (ids and scores), their mean overlap, and p50 latency."""
    same = overlap = 0
    took: dict[str, list[float]] = {"single": [], "sharded": []}
    for query in queries:
        started = time.perf_counter()
        one = single.search(query, k=10, mode=mode)
        took["single"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        many = sharded.search(query, k=10, mode=mode)
        took["sharded"].append((time.perf_counter() - started) * 1000)
        same += [(h.clause_id, h.score) for h in one] == [(h.clause_id, h.score) for h in many]
        ids, other = {h.clause_id for h in one}, {h.clause_id for h in many}
        overlap += len(ids & other) / len(ids) if ids else float(not other)  # two empty lists agree
    return {"queries": len(queries), "identical_top10": round(same / max(len(queries), 1), 4),
            "mean_overlap": round(overlap / max(len(queries), 1), 4),
            "p50_ms_single": round(statistics.median(took["single"]), 2),
            "p50_ms_sharded": round(statistics.median(took["sharded"]), 2)}


def bench_shards(vlc_dir: Path = VLC_DIR, work_dir: Path = WORK_DIR / "bench" / "shards",
                 single_index: Path = WORK_DIR / "bench" / "peers" / "index", shards: int = 4) -> dict[str, Any]:
    import ray

    from indexer import manifest as mf
    from indexer.shards import build_sharded
    from search.sharded import open_index

    if not (single_index / "CURRENT").is_file():
        raise FileNotFoundError(f"{single_index}: the peer section's VLC index is needed (run it first)")
    index_dir = work_dir / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        started = time.perf_counter()
        built = build_sharded(vlc_dir, index_dir, shards, model=MODEL)
        seconds = time.perf_counter() - started
        single = open_index(single_index)
        sharded = open_index(index_dir)
        single_manifest = mf.read_manifest(mf.version_dir(single_index))
        results = {path.name: {mode: compare(single, sharded, _queries(path), mode) for mode in MODES}
                   for path in QUERY_FILES if path.is_file()}
        sharded.close()
    finally:
        ray.shutdown()
    return {"shards": built["shards"], "clauses": built["counts"]["clauses"], "build_seconds": round(seconds, 1),
            "build_timings": built["timings"], "single_build_seconds": single_manifest.timings.get("total"),
            "single_dense_index": (single_manifest.model or {}).get("faiss"), "sets": results}
