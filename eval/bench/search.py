"""`bench_search(vlc_dir, work_dir)`: index build and query figures on ../shared/vlc for `make bench`.

Measured in one run, on a copy of the corpus under `work_dir` (so one file can be changed):
- full build per stage (parse, segment, bm25) of a lexical index, from a cold segmentation cache;
- dense encoding on a fixed subset (every n-th clause), extrapolated to all clauses, labelled so;
  FAISS build and search on vectors of the full size made by tiling the subset's real vectors (labelled);
- BM25 query latency: bm25s (memory-mapped) vs rank_bm25.BM25Okapi.get_scores, same clauses and terms;
- bm25-mode and hybrid-mode end-to-end query latency (hybrid includes encoding the query);
- index size on disk, peak memory (this process and its segmentation workers);
- re-indexing after changing one file, as a percentage of the full build.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

ENCODE_SUBSET = 1500
BENCH_QUERIES = 60
REFERENCE_QUERIES = 15  # rank_bm25 scores every clause in Python: ~1 s per query at this size


def _p50_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def _peak_memory_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"process_mb": round(own, 1), "largest_child_mb": round(children, 1)}


def _queries(vlc_dir: Path, limit: int) -> list[str]:
    path = vlc_dir.parent / "eval" / "vlc_title_queries.jsonl"
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        step = max(1, len(lines) // limit)
        return [json.loads(line)["query"] for line in lines[::step][:limit]]
    return ["hợp đồng lao động", "quyền và nghĩa vụ của doanh nghiệp", "xử phạt vi phạm hành chính"][:limit]


def _attach_synthetic_dense(directory: Path, vectors: np.ndarray, clause_ids: list[str], model: dict[str, Any]) -> str:
    """Give a lexical index a full-size FAISS index of tiled real subset vectors (latency only), keyed to its
    clauses and recorded in the manifest's file table, so the version still opens as a whole one."""
    from indexer import manifest as mf
    from indexer.build import FAISS_FILE
    from indexer.embed import build_faiss, save_faiss
    from indexer.vectors import VECTOR_KEYS_FILE, VectorKeys

    clauses = len(clause_ids)
    rng = np.random.default_rng(0)
    tiled = np.resize(vectors, (clauses, vectors.shape[1])) + rng.normal(0, 0.01, (clauses, vectors.shape[1]))
    tiled /= np.linalg.norm(tiled, axis=1, keepdims=True)
    index, kind = build_faiss(tiled.astype(np.float32))
    save_faiss(index, directory / FAISS_FILE)
    VectorKeys(list(clause_ids), ["synthetic"] * clauses).save(directory / VECTOR_KEYS_FILE)
    manifest = mf.read_manifest(directory)
    manifest.model = {**model, "faiss": kind}
    manifest.files = mf.file_table(directory)
    mf.write_manifest(directory, manifest)
    return kind


def _change_one_file(corpus: Path, nth: int) -> None:
    changed = sorted(corpus.glob("*.txt"))[nth]
    changed.write_text(changed.read_text(encoding="utf-8") + f"\nĐiều bổ sung. Nội dung sửa đổi để đo {nth}.\n",
                       encoding="utf-8")


def bench_search(vlc_dir: Path, work_dir: Path, dense_model: str | None = None) -> dict[str, Any]:
    """Figures listed in the module docstring; with `dense_model` also a one-file update of a dense index.

    The dense figure compares against the cold full lexical build plus that model's encoding and FAISS
    stages over every clause (measured in the same run), i.e. what a full dense build from scratch costs.
    """
    from indexer.build import build_index

    vlc_dir, work_dir = Path(vlc_dir), Path(work_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    corpus, index_dir = work_dir / "corpus", work_dir / "index"
    shutil.copytree(vlc_dir, corpus)
    result: dict[str, Any] = {"corpus": str(vlc_dir)}

    # 1. full lexical build from a cold cache
    full = build_index(corpus, index_dir, dense=False, progress=False)
    result["full_build_s"] = full["timings"]
    result["counts"] = full["counts"]

    # 2. re-index after changing one file
    _change_one_file(corpus, 0)
    update = build_index(corpus, index_dir, dense=False, progress=False)
    result["reindex_one_file"] = {
        "seconds": update["timings"]["total"], "timings": update["timings"],
        "percent_of_full_build": round(100 * update["timings"]["total"] / full["timings"]["total"], 2),
        "reprocessed": update["incremental"].get("reprocessed"), "target_percent": 5,
    }
    if dense_model is not None:
        dense = build_index(corpus, index_dir, dense=True, model=dense_model, progress=False)  # encodes all
        full_dense = full["timings"]["total"] + dense["timings"]["encode"] + dense["timings"]["faiss"]
        _change_one_file(corpus, 1)
        update = build_index(corpus, index_dir, dense=True, model=dense_model, progress=False)
        result["reindex_one_file_dense"] = {
            "model": dense_model, "seconds": update["timings"]["total"], "timings": update["timings"],
            "full_build_s": round(full_dense, 2), "dense_stages_s": dense["timings"],
            "percent_of_full_build": round(100 * update["timings"]["total"] / full_dense, 2),
            "reprocessed": update["incremental"].get("reprocessed"), "target_percent": 5,
            "note": "full build = cold lexical build + encode + faiss of every clause, same run",
        }
        # bench_queries attaches its own synthetic FAISS index; start it from a lexical version again
        build_index(corpus, index_dir, dense=False, progress=False)

    result.update(bench_queries(index_dir, vlc_dir))
    return result


def bench_queries(index_dir: Path, vlc_dir: Path) -> dict[str, Any]:
    """Encoding, FAISS, BM25-vs-reference and end-to-end latency figures on an existing lexical index.

    Attaches a synthetic full-size FAISS index to the index's live version (only use a bench index).
    """
    from rank_bm25 import BM25Okapi

    from indexer import manifest as mf
    from indexer.bm25 import BM25_PARAMS
    from indexer.build import CACHE_FILE, clause_terms
    from indexer.embed import Encoder, passage_text
    from indexer.normalise import normalise
    from indexer.segment import SegmentCache, detect_language, query_terms
    from indexer.store import read_documents
    from search.retrieve import top_positions
    from search.searcher import Searcher

    result: dict[str, Any] = {}
    # 3. dense encoding on a fixed subset, extrapolated
    searcher = Searcher.open(index_dir)
    clauses_total = searcher.clause_count
    step = max(1, clauses_total // ENCODE_SUBSET)
    subset = [searcher.clause_at(position) for position in range(0, clauses_total, step)][:ENCODE_SUBSET]
    encoder = Encoder(None)
    encoder.encode_passages(["khởi động"])  # model load is not encoding
    started = time.perf_counter()
    vectors = encoder.encode_passages([passage_text(c.headings, c.clean_text or c.text) for c in subset])
    seconds = time.perf_counter() - started
    rate = len(subset) / seconds
    result["encode"] = {"model": encoder.name, "subset_clauses": len(subset), "subset_s": round(seconds, 2),
                        "clauses_per_s": round(rate, 1),
                        "full_corpus_s_extrapolated": round(clauses_total / rate, 1),
                        "note": "measured on every n-th clause, extrapolated to all clauses"}

    # 4. FAISS on full-size tiled vectors (latency and build time only; not a relevance figure)
    directory = mf.version_dir(index_dir)
    model = {"name": encoder.name, "path": str(encoder.spec.path), "dimension": int(vectors.shape[1]),
             "prompts": encoder.spec.prompts, "languages": list(encoder.spec.languages), "encoded": 0}
    started = time.perf_counter()
    kind = _attach_synthetic_dense(directory, vectors, searcher.clause_ids(), model)
    result["faiss"] = {"kind": kind, "vectors": clauses_total, "build_s": round(time.perf_counter() - started, 2),
                       "note": "subset vectors tiled to the full clause count"}

    # 5. BM25: bm25s vs rank_bm25 on the same clauses and terms
    searcher = Searcher.open(index_dir)
    cache = SegmentCache.load(directory / CACHE_FILE)
    started = time.perf_counter()
    body_terms, _ = clause_terms([c for d in read_documents(directory) for c in d.clauses], cache, progress=False)
    reference = BM25Okapi(body_terms, k1=BM25_PARAMS["k1"], b=BM25_PARAMS["b"], epsilon=0.0)
    result["rank_bm25_build_s"] = round(time.perf_counter() - started, 2)
    queries = _queries(vlc_dir, BENCH_QUERIES)
    term_lists = []
    for query in queries:
        language = detect_language(query)
        term_lists.append(list(dict.fromkeys(query_terms(normalise(query, language), language))))
    ours, theirs = [], []
    for terms in term_lists:
        started = time.perf_counter()
        top_positions(searcher.lexical.body_scores(terms), 10, None)
        ours.append(time.perf_counter() - started)
    for terms in term_lists[:REFERENCE_QUERIES]:
        started = time.perf_counter()
        scores = reference.get_scores(terms)
        np.argpartition(-scores, 10)[:10]
        theirs.append(time.perf_counter() - started)
    result["bm25_query"] = {"bm25s_p50_ms": _p50_ms(ours), "rank_bm25_p50_ms": _p50_ms(theirs),
                            "speedup": round(statistics.median(theirs) / statistics.median(ours), 1),
                            "target_speedup": 50, "queries": len(ours), "reference_queries": len(theirs)}
    del reference

    # 6. end-to-end latency (normalise, segment the query, retrieve, fuse, phrase check, highlight)
    for mode in ("bm25", "hybrid"):
        searcher.search(queries[0], k=10, mode=mode)  # warm-up: model load, numba, caches
        samples = []
        for query in queries:
            started = time.perf_counter()
            searcher.search(query, k=10, mode=mode)
            samples.append(time.perf_counter() - started)
        result[f"{mode}_search"] = {"p50_ms": _p50_ms(samples), "p95_ms": round(float(np.percentile(samples, 95)) * 1000, 2)}
    result["hybrid_search"]["target_p50_ms"] = 30
    result["hybrid_search"]["note"] = "includes query encoding; FAISS holds tiled subset vectors of full size"
    result["index_size_mb"] = round(mf.directory_size(directory) / 2**20, 1)
    result["peak_memory"] = _peak_memory_mb()
    return result
