"""`bench_peers(...)`: lexvn beside the engines a user would pick instead, on the same clauses, in one run.

The peers are tantivy (the `tantivy` Python bindings) and Lucene (Apache Lucene 9 inside the Anserini jar
that pyserini ships, driven through pyserini's `LuceneIndexer` and Anserini's `SimpleSearcher`). Each peer
indexes exactly the clauses of a lexvn index (its live version's store), one document per
clause, with the text lexvn embeds for it (`indexer.embed.passage_text`: the article heading, then the
clean clause text), Unicode NFC and lower-cased, tokenised the way a user of that engine would: tantivy's
`default` tokenizer (split on non-alphanumerics, lower case), Lucene's standard tokenizer with lower case
and neither stemming nor stop words (Anserini's `-stemmer none -keepStopwords`; Lucene has no Vietnamese
analyzer). Each keeps its own BM25 defaults (tantivy k1 1.2 b 0.75, Anserini k1 0.9 b 0.4). A query is
the same text made the same way, an OR of its terms.

Reported side by side: build time (a peer indexes the prepared clause texts; lexvn's build starts from
the raw files, with its stages), index size on disk, p50/p99 latency of a top-10 query (a peer's includes
fetching the stored id and text of its hits; lexvn's is `Searcher.search` in bm25 and hybrid mode), and
recall@10 / MRR@10 on each labelled query file, judged by the project's own harness (`eval.anchors`,
`eval.metrics`): a peer's hit is a clause, so it is judged exactly like a lexvn hit. Latencies are
sampled interleaved (every engine answers a query before the next query) over several rounds, so
machine noise falls on all engines alike.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.formats import read_queries_jsonl
from eval.paths import VLC_DIR, WORK_DIR

K = 10
TIMED_PER_FILE = 200  # queries of each file in the latency sample
ROUNDS = 3  # the latency sample is asked this many times, interleaved across engines
TANTIVY_HEAP = 256 * 2**20
LUCENE_BATCH = 5000
TARGETS = {"bm25_p50_vs_tantivy_at_most": 1.0, "hybrid_p50_vs_tantivy_at_most": 3.0}


@dataclass(slots=True)
class PeerClause:
    clause_id: str
    doc_id: str
    text: str  # the clause's original text: what judging reads, as it reads a lexvn Hit's text
    contents: str  # what the peer indexes


@dataclass(slots=True)
class PeerHit:
    """What the harness judges (`eval.anchors.ResultLike`), plus the peer's score."""

    clause_id: str
    doc_id: str
    text: str
    score: float


def peer_text(text: str) -> str:
    """The form every peer gets: NFC and lower case (each engine's tokenizer does the rest)."""
    return unicodedata.normalize("NFC", text).lower()


def load_clauses(index_dir: Path) -> list[PeerClause]:
    """Every clause of the lexvn index's live version, in index order."""
    from indexer import manifest as mf
    from indexer.embed import passage_text
    from indexer.store import read_documents

    return [PeerClause(clause.id, clause.doc_id, clause.text,
                       peer_text(passage_text(clause.headings, clause.clean_text or clause.text)))
            for document in read_documents(mf.version_dir(Path(index_dir))) for clause in document.clauses]


class Peer:
    """A peer engine over one directory: `build` the clauses, then `search(query, k)` → `PeerHit`s."""

    name = "peer"
    settings: dict[str, Any] = {}

    def __init__(self, directory: Path, clauses: Sequence[PeerClause]) -> None:
        self.directory = Path(directory)
        self.by_id = {clause.clause_id: clause for clause in clauses}

    def hit(self, clause_id: str, score: float) -> PeerHit:
        clause = self.by_id[clause_id]
        return PeerHit(clause.clause_id, clause.doc_id, clause.text, float(score))

    def size_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.directory.rglob("*") if path.is_file())


class TantivyPeer(Peer):
    name = "tantivy"

    def __init__(self, directory: Path, clauses: Sequence[PeerClause]) -> None:
        super().__init__(directory, clauses)
        import tantivy

        self.settings = {"version": getattr(tantivy, "__version__", "?"), "tokenizer": "default",
                         "bm25": {"k1": 1.2, "b": 0.75}, "stored": ["id", "contents"]}
        self._tantivy = tantivy
        self.index: Any = None
        self.searcher: Any = None

    def build(self, clauses: Sequence[PeerClause]) -> None:
        tantivy = self._tantivy
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("contents", stored=True, tokenizer_name="default")
        self.index = tantivy.Index(builder.build(), path=str(self.directory))
        writer = self.index.writer(TANTIVY_HEAP, os.cpu_count() or 1)
        for clause in clauses:
            writer.add_document(tantivy.Document(id=clause.clause_id, contents=clause.contents))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, query: str, k: int) -> list[PeerHit]:
        # Query-language characters become spaces: the default tokenizer splits on them anyway, and a user
        # typing a title is asking for its words, not for tantivy's syntax. Any Unicode space (titles hold
        # no-break spaces, which tantivy's query grammar does not take for spaces) becomes a plain one.
        words = " ".join(re.sub(r"[^\w\s]", " ", peer_text(query)).split())
        if not words:
            return []
        parsed = self.index.parse_query(words, ["contents"])
        hits = []
        for score, address in self.searcher.search(parsed, k).hits:
            document = self.searcher.doc(address)
            document.get_first("contents")  # fetched like a user showing the hit would
            hits.append(self.hit(document.get_first("id"), score))
        return hits


class LucenePeer(Peer):
    name = "lucene"

    def __init__(self, directory: Path, clauses: Sequence[PeerClause]) -> None:
        super().__init__(directory, clauses)
        started = time.perf_counter()
        from pyserini.analysis import get_lucene_analyzer  # starts the JVM with the Anserini jar
        from pyserini.pyclass import autoclass

        self.jvm_start_s = round(time.perf_counter() - started, 2)
        self._autoclass = autoclass
        self.analyzer = get_lucene_analyzer(language="en", stemming=False, stopwords=False)
        version = autoclass("org.apache.lucene.util.Version").LATEST.toString()
        self.settings = {"lucene": version, "via": "pyserini 0.22.1 (Anserini 0.22.1)",
                         "analyzer": "standard tokenizer + lower case, no stemming, no stop words",
                         "bm25": {"k1": 0.9, "b": 0.4}, "stored": ["id", "contents"],
                         "jvm_start_s": self.jvm_start_s}
        self.searcher: Any = None

    def build(self, clauses: Sequence[PeerClause]) -> None:
        from pyserini.index.lucene import LuceneIndexer

        shutil.rmtree(self.directory, ignore_errors=True)
        threads = os.cpu_count() or 1
        indexer = LuceneIndexer(args=["-index", str(self.directory), "-stemmer", "none", "-keepStopwords",
                                      "-storeContents"], threads=threads)
        for start in range(0, len(clauses), LUCENE_BATCH):
            batch = clauses[start:start + LUCENE_BATCH]
            indexer.add_batch_raw([json.dumps({"id": c.clause_id, "contents": c.contents}, ensure_ascii=False)
                                   for c in batch])
        indexer.close()
        searcher = self._autoclass("io.anserini.search.SimpleSearcher")(str(self.directory), self.analyzer)
        self.searcher = searcher

    def search(self, query: str, k: int) -> list[PeerHit]:
        # SimpleSearcher's default query is a bag of words analysed like the documents: no query syntax.
        return [self.hit(result.docid, result.score) for result in self.searcher.search(peer_text(query), k)
                if result.contents is not None]


PEERS: dict[str, type[Peer]] = {"tantivy": TantivyPeer, "lucene": LucenePeer}


def _ms(samples: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(samples) * 1000, q)), 3)


def latency(engines: dict[str, Callable[[str, int], Any]], queries: Sequence[str], rounds: int = ROUNDS,
            k: int = K) -> dict[str, dict[str, float]]:
    """p50/p99 ms per engine over `rounds` × `queries`, asked interleaved (each query by every engine)."""
    samples: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(rounds):
        for query in queries:
            for name, search in engines.items():
                started = time.perf_counter()
                search(query, k)
                samples[name].append(time.perf_counter() - started)
    return {name: {"p50_ms": _ms(values, 50), "p99_ms": _ms(values, 99), "samples": len(values)}
            for name, values in samples.items()}


def timed_queries(files: Sequence[Path], per_file: int = TIMED_PER_FILE) -> list[str]:
    """An even sample of each file's queries (every n-th line), all files together."""
    queries: list[str] = []
    for path in files:
        texts = [q.text for q in read_queries_jsonl(path)]
        step = max(1, len(texts) // per_file)
        queries.extend(texts[::step][:per_file])
    return queries


def _lexvn_sizes(index_dir: Path) -> dict[str, float]:
    from eval.bench.scale import index_bytes

    sizes = index_bytes(index_dir)
    total, dense, mb = sizes["total"], sizes["dense_faiss"], 2**20
    return {"size_mb": round(total / mb, 1), "lexical_mb": round((total - dense) / mb, 1),
            "dense_mb": round(dense / mb, 1), "store_mb": round(sizes["store"] / mb, 1)}


def _lexvn_build(vlc_dir: Path, index_dir: Path, model: str | None) -> dict[str, Any]:
    """Build lexvn's index when it is missing or stale (timed here), else the build its manifest records."""
    from indexer import manifest as mf
    from indexer.build import ensure_index

    done = ensure_index(vlc_dir, index_dir, dense=True, model=model)
    manifest = mf.read_manifest(mf.version_dir(Path(index_dir)))
    timings = {key: round(value, 1) for key, value in manifest.timings.items()}
    if done["built"]:
        return {"build_s": done["seconds"], "stages_s": timings, "measured": "in this run",
                "incremental": manifest.incremental.get("mode", "full")}
    return {"build_s": timings.get("total"), "stages_s": timings,
            "measured": f"by the build of {manifest.built_at} (index reused; delete it to re-time)",
            "incremental": manifest.incremental.get("mode", "full")}


FLOOR_SAMPLE = 1500  # clause texts segmented to measure underthesea's throughput


def segmentation_floor(index_dir: Path, build_s: float | None, sample: int = FLOOR_SAMPLE) -> dict[str, Any]:
    """underthesea's own throughput, and the build as a multiple of it: every n-th distinct Vietnamese clause
    text of the index segmented in this process (after a warm-up), extrapolated to all of them and divided
    by the cores the build's segmentation workers use. The build can be no faster than this floor."""
    from indexer import manifest as mf
    from indexer.segment import segment_query, segment_texts
    from indexer.store import STORE_FILE, Store

    store = Store(mf.version_dir(Path(index_dir)) / STORE_FILE)
    try:
        texts = store.distinct_norm_texts("vi")
    finally:
        store.close()
    if not texts:
        return {}
    picked = texts[:: max(1, len(texts) // sample)][:sample]
    segment_query("khởi động bộ tách từ")  # model load is not throughput
    started = time.perf_counter()
    segment_texts(picked, workers=1)
    seconds = time.perf_counter() - started
    rate = sum(map(len, picked)) / seconds
    total = sum(map(len, texts))
    workers = min(os.cpu_count() or 1, 4)
    floor = total / rate / workers
    return {"distinct_vi_texts": len(texts), "vi_chars": total, "sample_texts": len(picked),
            "chars_per_s_one_process": round(rate), "workers": workers, "floor_s": round(floor, 1),
            "build_over_floor": round(build_s / floor, 2) if build_s else None,
            "note": "clause texts only (heading chains, a few thousand, are segmented too)"}


def default_query_files() -> list[Path]:
    """The shared VLC title set, the development title split, and any question set under eval/questions/."""
    from eval.paths import DEV_TITLE_QUERIES, ROOT, VLC_TITLE_QUERIES

    files = [path for path in (VLC_TITLE_QUERIES, DEV_TITLE_QUERIES) if path.is_file()]
    return files + sorted((ROOT / "eval" / "questions").glob("*.jsonl"))


def bench_peers(vlc_dir: Path = VLC_DIR, work_dir: Path = WORK_DIR / "bench" / "peers",
                query_files: Sequence[Path] | None = None, index_dir: Path | None = None,
                model: str | None = None, peers: Sequence[str] = tuple(PEERS),
                timed_per_file: int = TIMED_PER_FILE, rounds: int = ROUNDS) -> dict[str, Any]:
    """The peer table (module docstring). `index_dir` is lexvn's index of `vlc_dir` (built when missing or
    stale, default `work_dir/index`); `query_files` default to `default_query_files()`."""
    from eval.runner import evaluate_retrievers, searcher_retrievers
    from search.searcher import Searcher

    vlc_dir, work_dir = Path(vlc_dir), Path(work_dir)
    index_dir = Path(index_dir) if index_dir is not None else work_dir / "index"
    files = [Path(path) for path in (query_files if query_files is not None else default_query_files())]
    result: dict[str, Any] = {"corpus": str(vlc_dir), "query_files": [str(path) for path in files], "k": K}

    lexvn = {**_lexvn_build(vlc_dir, index_dir, model), **_lexvn_sizes(index_dir)}
    lexvn["segmentation_floor"] = segmentation_floor(index_dir, lexvn.get("build_s"))
    started = time.perf_counter()
    clauses = load_clauses(index_dir)
    result["clauses"] = len(clauses)
    result["prepare_clause_texts_s"] = round(time.perf_counter() - started, 2)

    engines: dict[str, dict[str, Any]] = {}
    searchers: dict[str, Callable[[str, int], Any]] = {}
    for name in peers:
        peer = PEERS[name](work_dir / name, clauses)
        started = time.perf_counter()
        peer.build(clauses)
        engines[name] = {"build_s": round(time.perf_counter() - started, 2),
                         "size_mb": round(peer.size_bytes() / 2**20, 1), "settings": peer.settings}
        searchers[name] = peer.search
    del clauses

    searcher = Searcher.open(index_dir, model=model)
    searcher.warm_up()
    engines["lexvn"] = lexvn
    for mode, search in searcher_retrievers(searcher, ("bm25", "hybrid")).items():
        searchers[f"lexvn {mode}"] = search

    # Recall first: it also warms every engine (JIT, caches, page cache) before anything is timed.
    recall: dict[str, dict[str, Any]] = {}
    for path in files:
        queries = read_queries_jsonl(path)
        evaluated = evaluate_retrievers(path.stem, queries, searchers, ks=(K,), comparisons=[])
        recall[path.stem] = {"queries": len(evaluated.queries),
                             **{name: {"recall@10": round(mode.means["recall@10"], 3),
                                       "mrr@10": round(mode.means["mrr@10"], 3)}
                                for name, mode in evaluated.modes.items()}}
    timed = timed_queries(files, timed_per_file)
    load_before = os.getloadavg()
    latencies = latency(searchers, timed, rounds)
    result["load_average"] = {"before_timing": load_before, "after_timing": os.getloadavg(),
                              "cores": os.cpu_count()}

    table = []
    for name in searchers:
        engine = engines[name.split()[0]]
        build_s, size_mb = engine.get("build_s"), engine.get("size_mb")
        if name == "lexvn bm25":  # what a lexical-only index costs: no encoding, no FAISS file
            stages = engine.get("stages_s", {})
            build_s = round(build_s - stages.get("encode", 0) - stages.get("faiss", 0), 1) if build_s else build_s
            size_mb = engine.get("lexical_mb")
        table.append({"engine": name, "build_s": build_s, "size_mb": size_mb,
                      **{key: latencies[name][key] for key in ("p50_ms", "p99_ms")},
                      **{f"recall@10 {stem}": figures[name]["recall@10"] for stem, figures in recall.items()}})
    result["table"] = table
    result["engines"] = engines
    result["recall"] = recall
    result["latency"] = {"queries": len(timed), "rounds": rounds, "per_engine": latencies,
                         "note": "top-10 per query, sampled interleaved across engines, one thread"}
    if "tantivy" in latencies:
        tantivy_p50 = latencies["tantivy"]["p50_ms"]
        ratios = {f"{mode}_p50_vs_tantivy": round(latencies[f"lexvn {mode}"]["p50_ms"] / tantivy_p50, 2)
                  for mode in ("bm25", "hybrid")}
        result["vs_tantivy"] = {**ratios, "targets": TARGETS,
                                "bm25_met": ratios["bm25_p50_vs_tantivy"] <= TARGETS["bm25_p50_vs_tantivy_at_most"],
                                "hybrid_met": ratios["hybrid_p50_vs_tantivy"] <= TARGETS["hybrid_p50_vs_tantivy_at_most"]}
    result["markdown"] = markdown_table(table)
    return result


def markdown_table(table: Sequence[dict[str, Any]]) -> str:
    if not table:
        return ""
    columns = list(table[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if row.get(c) is None else str(row.get(c)) for c in columns) + " |" for row in table]
    return "\n".join(lines)

