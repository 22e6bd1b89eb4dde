"""`bench_dense_cost(...)`: exact inner-product search cost against the number of clauses, on this machine.

Exact search (FAISS `IndexFlatIP`) reads every vector for every query, so its latency grows with the
clause count; an approximate graph (HNSW) costs a long build (and memory) to stay near constant. Where
exact search stops being cheap decides `indexer.embed.HNSW_THRESHOLD`. Measured here: p50/p99 of one
query (top 10, one FAISS thread, as each serving thread searches) over an exact index of N vectors, for N
from 10k up to 4× the VLC. The vectors are the VLC index's own (real clause vectors), tiled with a little
noise beyond their count; the queries are title queries encoded by the index's model. Beside it, the VLC
index's own HNSW graph at its size: p50 and its recall of the exact top 10.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.paths import VLC_TITLE_QUERIES, WORK_DIR

COUNTS = (10_000, 25_000, 50_000, 75_000, 100_000, 150_000, 200_000, 300_000, 500_000)
QUERIES = 200
BUDGET_MS = 5.0


def _query_vectors(index_dir: Path, model: str, n: int) -> np.ndarray:
    from eval.formats import read_queries_jsonl
    from indexer.embed import Encoder

    texts = [q.text for q in read_queries_jsonl(VLC_TITLE_QUERIES)]
    texts = texts[:: max(1, len(texts) // n)][:n]
    encoder = Encoder(model)
    return np.vstack([encoder.encode_query(text, "vi") for text in texts]).astype(np.float32)


def _timed_search(index: Any, queries: np.ndarray, k: int = 10) -> tuple[list[float], np.ndarray]:
    index.search(queries[:5], k)  # warm caches
    samples, found = [], []
    for row in range(len(queries)):
        started = time.perf_counter()
        _, ids = index.search(queries[row : row + 1], k)
        samples.append(time.perf_counter() - started)
        found.append(ids[0])
    return samples, np.vstack(found)


def _ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(samples, q)) * 1000, 3)


def bench_dense_cost(index_dir: Path = WORK_DIR / "bench" / "peers" / "index", counts: tuple[int, ...] = COUNTS,
                     queries: int = QUERIES, threads: int = 1) -> dict[str, Any]:
    """The table described in the module docstring; `index_dir` is a VLC index with dense vectors."""
    import faiss

    from indexer import manifest as mf
    from indexer.build import FAISS_FILE
    from indexer.embed import HNSW_THRESHOLD, load_faiss, stored_vectors

    directory = mf.version_dir(Path(index_dir))
    manifest = mf.read_manifest(directory)
    stored = load_faiss(directory / FAISS_FILE)
    vectors = stored_vectors(stored)
    query_vectors = _query_vectors(index_dir, manifest.model["name"], queries)
    previous_threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    rng = np.random.default_rng(0)
    rows = []
    load_before = os.getloadavg()
    try:
        for count in counts:
            if count <= len(vectors):
                data = vectors[:count]
            else:
                data = np.resize(vectors, (count, vectors.shape[1]))
                data[len(vectors):] += rng.normal(0, 0.01, (count - len(vectors), vectors.shape[1])).astype(np.float32)
                data /= np.linalg.norm(data, axis=1, keepdims=True)
            flat = faiss.IndexFlatIP(vectors.shape[1])
            flat.add(np.ascontiguousarray(data, dtype=np.float32))
            samples, _ = _timed_search(flat, query_vectors)
            rows.append({"clauses": count, "p50_ms": _ms(samples, 50), "p99_ms": _ms(samples, 99),
                         "vectors": "real" if count <= len(vectors) else "real, tiled + noise"})
            del flat, data
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        _, truth = exact.search(query_vectors, 10)
        graph_samples, graph_ids = _timed_search(stored, query_vectors)
    finally:
        faiss.omp_set_num_threads(previous_threads)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(graph_ids, truth, strict=True)])
    within = [row["clauses"] for row in rows if row["p50_ms"] <= BUDGET_MS]
    crossing = next((row["clauses"] for row in rows if row["p50_ms"] > BUDGET_MS), None)
    result = {
        "dimension": int(vectors.shape[1]), "queries": len(query_vectors), "faiss_threads": threads,
        "budget_p50_ms": BUDGET_MS, "exact": rows,
        "largest_within_budget": max(within) if within else None, "first_over_budget": crossing,
        "hnsw_threshold_now": HNSW_THRESHOLD,
        "vlc_graph": {"kind": manifest.model.get("faiss"), "clauses": len(vectors), "p50_ms": _ms(graph_samples, 50),
                      "p99_ms": _ms(graph_samples, 99), "recall_of_exact_top10": round(float(overlap), 4)},
        "load_average": {"before": load_before, "after": os.getloadavg(), "cores": os.cpu_count()},
    }
    lines = ["| clauses | exact p50 ms | exact p99 ms |", "|---|---|---|"]
    lines += [f"| {row['clauses']:,} | {row['p50_ms']} | {row['p99_ms']} |" for row in rows]
    graph = result["vlc_graph"]
    lines.append(f"| {graph['clauses']:,} ({graph['kind']}, the VLC index) | {graph['p50_ms']} | {graph['p99_ms']} |")
    result["markdown"] = "\n".join(lines)
    return result
