"""Sharded builds on Ray: `lexvn index CORPUS --shards N [--ray ADDRESS]`.

Ingestion, segmentation and encoding run as one Ray task per file, anywhere in the cluster (a task lost with
its node runs again on another, up to `retries` times, and the build reports the nodes it lost). The driver
then sums the collection's BM25 statistics (row count, average length and document frequencies of the body,
heading and reading-unit fields; written to `bm25_statistics.npz`) and writes N shard indexes,
each an ordinary index of a contiguous run of the documents (in doc_id order, balanced by clause count)
whose BM25 scores use the whole collection's statistics and whose segmentations and vectors are the tasks'.
A clause's score, vector and position are therefore those one index over the corpus gives it, and a
sharded search (`search.sharded`) returns exactly what that index returns.

Layout: the sharded index directory is an index directory like any other (writer lock, `CURRENT`,
versions published atomically); its version holds a manifest of all documents, `shards.json` (the shards
in position order, with their first document and clause) and `shard-00/`, `shard-01/`, … (each an index
directory). A build that fails, or whose tasks exhaust their retries, leaves the live version as it was.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer import manifest as mf
from indexer.bm25 import BM25_PARAMS, CollectionStatistics, document_frequencies, row_lengths
from indexer.build import (
    FIELDS,
    HEAD_WEIGHT,
    UNIT_B,
    UNIT_FIELD,
    Prepared,
    clause_terms,
    count_rows,
    unit_counts,
    write_index,
)
from indexer.embed import Encoder, default_model_name
from indexer.model import Document, IngestProblem, IngestReport
from indexer.segment import SegmentCache
from indexer.state import corpus_state
from indexer.store import document_units

SHARDS_FILE = "shards.json"
# The collection's BM25 statistics the shards were scored with (per field: terms and their document
# frequencies, clause count, average length): what a shard added later would be scored with.
STATISTICS_FILE = "bm25_statistics.npz"
SHARD_PREFIX = "shard-"
# How often a file's task runs again after its worker or node died.
DEFAULT_RETRIES = 2


class ShardBuildError(mf.IndexError_):
    """A sharded build that could not finish (a task failed beyond its retries); nothing was published."""


@dataclass(slots=True)
class PreparedFile:
    """What one file's task gives the driver."""

    source: str
    node: str  # the Ray node the task ran on
    document: Document | None = None
    problem: IngestProblem | None = None
    segments: dict[str, list[str]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    # BM25 field (body, head, unit) → each row's length in terms, and how many rows hold each term
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    frequencies: dict[str, dict[str, int]] = field(default_factory=dict)


_ENCODERS: dict[str, Encoder] = {}  # per worker process: a model is loaded once, whatever the tasks


def prepare_file(path: str, corpus_root: str, source: str, doc_id: str, sidecar: dict[str, Any],
                 model_name: str | None) -> PreparedFile:
    """Ingest, segment and (with a model) encode one file: the body of a sharded build's Ray task."""
    import ray

    from indexer import pipeline
    from indexer.vectors import clause_passage, passage_key

    node = ray.get_runtime_context().get_node_id()
    document = pipeline.ingest_job((Path(path), source, doc_id), Path(corpus_root), sidecar)
    if isinstance(document, IngestProblem):
        return PreparedFile(source, node, problem=document)
    cache = SegmentCache()
    # Term counts as the build counts them, the reading-unit field's summed from the body's as it sums them.
    fields = {}
    for name, terms in zip(FIELDS, clause_terms(document.clauses, cache, progress=False, workers=1), strict=True):
        vocab: list[str] = []
        fields[name] = (count_rows(terms, vocab, {}), vocab)
    fields[UNIT_FIELD] = (unit_counts(fields["body"][0], document_units(document.clauses)), fields["body"][1])
    prepared = PreparedFile(source, node, document=document, segments=cache.entries,
                            lengths={name: row_lengths(counts) for name, (counts, _) in fields.items()},
                            frequencies={name: document_frequencies(counts, vocab)
                                         for name, (counts, vocab) in fields.items()})
    if model_name and document.clauses:
        encoder = _ENCODERS.setdefault(model_name, Encoder(model_name))
        passages = [clause_passage(clause) for clause in document.clauses]
        languages = [clause.language for clause in document.clauses]
        matrix = encoder.encode_passages(passages, languages=languages)
        prepared.vectors = {passage_key(text, language): row
                            for text, language, row in zip(passages, languages, matrix, strict=True)}
    return prepared


def shard_ranges(clause_counts: list[int], shards: int) -> list[tuple[int, int]]:
    """Contiguous document ranges [start, end), one per shard, each as near a 1/shards share of the clauses
    as document boundaries allow, none empty."""
    if shards < 1:
        raise ValueError("a sharded index needs at least one shard")
    if shards > len(clause_counts):
        raise ShardBuildError(f"{shards} shards for {len(clause_counts)} documents: a shard holds whole "
                              "documents, so ask for at most as many shards as documents")
    cumulative = np.cumsum(clause_counts)
    total = int(cumulative[-1]) if len(cumulative) else 0
    cuts = [0]
    for shard in range(1, shards):
        cut = int(np.searchsorted(cumulative, total * shard / shards)) + 1
        cut = min(max(cut, cuts[-1] + 1), len(clause_counts) - (shards - shard))
        cuts.append(cut)
    cuts.append(len(clause_counts))
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def collection_statistics(prepared: list[PreparedFile]) -> dict[str, CollectionStatistics]:
    """Per BM25 field, the statistics of all clauses of `prepared` (documents in index order)."""
    statistics = {}
    for name in (*FIELDS, UNIT_FIELD):
        frequencies: Counter[str] = Counter()
        for item in prepared:
            frequencies.update(item.frequencies[name])
        lengths = [item.lengths[name] for item in prepared]
        statistics[name] = CollectionStatistics.of(np.concatenate(lengths) if lengths else np.zeros(0, np.int64),
                                                   frequencies)
    return statistics


def connect(address: str | None) -> bool:
    """Join the Ray cluster at `address` (None: a local one), unless this process already has; returns
    whether it connected (and so should disconnect)."""
    import ray

    if ray.is_initialized():
        return False
    ray.init(address=address, log_to_driver=False, include_dashboard=False if address is None else None,
             configure_logging=False)
    return True


# A Ray error naming the node a task ran on ("... node ID: 0cb8…"): how a lost node is named in the report.
NODE_ID = re.compile(r"node ID: ([0-9a-f]{16,})")


def run_tasks(state: Any, corpus_dir: Path, model_name: str | None, retries: int,
              on_progress: Callable[[int, int, str], None] | None) -> tuple[list[PreparedFile], list[str]]:
    """Every file's task, results in the listing's order, and the nodes that died under a task.

    A task whose worker or node died runs again (on the nodes still alive) up to `retries` times. These
    retries are submitted here rather than by Ray's own `max_retries`, which retries silently: the build
    must say which nodes it lost (the GCS itself takes ~30 s to mark a killed node dead)."""
    import ray

    from indexer import pipeline

    task = ray.remote(max_retries=0)(prepare_file)
    sidecar = ray.put(pipeline.sidecar_of(corpus_dir))
    files = {file.source: file for file in state.listing.files}

    def submit(source: str) -> Any:
        file = files[source]
        return task.remote(str(file.path), str(corpus_dir), source, state.ids[source], sidecar, model_name)

    sources = {submit(source): source for source in files}
    attempts = dict.fromkeys(files, 0)
    lost: set[str] = set()
    results: dict[str, PreparedFile] = {}
    while sources:
        done, _ = ray.wait(list(sources), num_returns=1)
        ref = done[0]
        source = sources.pop(ref)
        try:
            result = ray.get(ref)
        except (ray.exceptions.NodeDiedError, ray.exceptions.WorkerCrashedError) as error:
            lost.update(NODE_ID.findall(str(error)))
            if attempts[source] < retries:
                attempts[source] += 1
                sources[submit(source)] = source
                continue
            _cancel(sources)
            raise ShardBuildError(f"sharded build stopped, nothing was published: the task of {source} was lost "
                                  f"{attempts[source] + 1} time(s) ({type(error).__name__}: "
                                  f"{str(error).splitlines()[0]})") from error
        except ray.exceptions.RayError as error:
            _cancel(sources)
            raise ShardBuildError(f"sharded build stopped, nothing was published: the task of {source} failed "
                                  f"({type(error).__name__}: {str(error).splitlines()[0]})") from error
        results[source] = result
        if on_progress is not None:
            on_progress(len(results), len(files), result.node)
    return [results[file.source] for file in state.listing.files], sorted(lost)


def _cancel(pending: dict[Any, str]) -> None:
    import ray

    for ref in pending:
        ray.cancel(ref, force=True)


def build_sharded(corpus_dir: Path | str, index_dir: Path | str, shards: int, *, dense: bool = True,
                  model: str | None = None, address: str | None = None, retries: int = DEFAULT_RETRIES,
                  on_progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Build a sharded index of `corpus_dir` at `index_dir` on the Ray cluster at `address` (None: a local
    one) and publish it atomically; returns its manifest as a dict with `shards`, `lost_nodes` (nodes that
    died during the build, whose tasks ran again elsewhere), `report_text` and `published`."""
    from indexer import pipeline

    corpus_dir, index_dir = Path(corpus_dir).resolve(), Path(index_dir)
    model_name = (model or default_model_name()) if dense else None
    with mf.writer_lock(index_dir):
        started = time.perf_counter()
        state = corpus_state(corpus_dir)
        connected = connect(address)
        try:
            prepared, lost = run_tasks(state, corpus_dir, model_name, retries, on_progress)
        finally:
            if connected:
                import ray

                ray.shutdown()
        timings = {"tasks": time.perf_counter() - started}
        report = IngestReport(skipped=list(state.listing.skipped))
        report.problems = [item.problem for item in prepared if item.problem is not None]
        ready = sorted((item for item in prepared if item.document is not None), key=lambda item: item.document.doc_id)
        documents = [item.document for item in ready]
        pipeline.resolve_references(documents)
        pipeline.record_ocr(report, documents)
        statistics = collection_statistics(ready)
        ranges = shard_ranges([len(doc.clauses) for doc in documents], shards)
        build_dir = mf.new_build_dir(index_dir)
        try:
            result = _write_shards(build_dir, ready, ranges, statistics, report, state, corpus_dir, dense,
                                   model_name, timings, started, lost)
            final = mf.publish(index_dir, build_dir)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
    result.update(published=True, version=final.name)
    return result


def _write_shards(build_dir: Path, ready: list[PreparedFile], ranges: list[tuple[int, int]],
                  statistics: dict[str, CollectionStatistics], report: IngestReport, state: Any, corpus_dir: Path,
                  dense: bool, model_name: str | None, timings: dict[str, float], started: float,
                  lost: list[str]) -> dict[str, Any]:
    from indexer import pipeline

    shards, model_info, first_clause = [], None, 0
    mark = time.perf_counter()
    for number, (start, end) in enumerate(ranges):
        group = ready[start:end]
        name = f"{SHARD_PREFIX}{number:02d}"
        work = Prepared(statistics=statistics)
        for item in group:
            work.segments.update(item.segments)
            work.vectors.update(item.vectors)
        shard_report = IngestReport(processed=[item.source for item in group])
        pipeline.record_ocr(shard_report, [item.document for item in group])
        built = write_index([item.document for item in group], shard_report, build_dir / name, dense=dense,
                            model_name=model_name, corpus_dir=corpus_dir, prepared=work)
        model_info = built["model"]
        clauses = sum(len(item.document.clauses) for item in group)
        shards.append({"name": name, "first_document": start, "documents": end - start,
                       "first_clause": first_clause, "clauses": clauses})
        first_clause += clauses
    timings["write"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    documents = [item.document for item in ready]
    (build_dir / SHARDS_FILE).write_text(json.dumps(
        {"shards": shards, "lost_nodes": lost,
         "statistics": {name: {"clauses": stats.n_docs, "average_length": stats.avg_doc_len,
                               "terms": len(stats.document_frequencies)} for name, stats in statistics.items()}},
        ensure_ascii=False, indent=1), encoding="utf-8")
    with (build_dir / STATISTICS_FILE).open("wb") as handle:
        np.savez_compressed(handle, **{key: value for name, stats in statistics.items()
                                       for key, value in stats.arrays(name).items()})
    report_text = pipeline.format_report(report)
    manifest = mf.Manifest(
        format_version=mf.FORMAT_VERSION, built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), corpus_dir=str(corpus_dir),
        model=model_info, bm25={**BM25_PARAMS, "head_weight": HEAD_WEIGHT, "unit_b": UNIT_B},
        documents={doc.doc_id: mf.DocumentEntry(doc.source, doc.content_hash, len(doc.clauses)) for doc in documents},
        counts={"documents": len(documents), "clauses": first_clause, "shards": len(shards),
                "problems": len(report.problems), "skipped": len(report.skipped)},
        timings={stage: round(seconds, 3) for stage, seconds in timings.items()},
        incremental={"mode": "sharded", **state.stamp},
        rejected={problem.source: state.hashes.get(problem.source) for problem in report.problems},
        skipped=[[skipped.path, skipped.reason] for skipped in report.skipped],
    )
    manifest.files = mf.file_table(build_dir)
    mf.write_manifest(build_dir, manifest)
    return {**manifest.to_dict(), "shards": shards, "lost_nodes": lost, "report_text": report_text}


@dataclass(frozen=True, slots=True)
class Shard:
    name: str
    directory: Path  # the shard's index directory
    first_document: int
    documents: int
    first_clause: int
    clauses: int


def read_shards(version: Path) -> list[Shard] | None:
    """The shards of an index version, in position order (None: the version is not sharded)."""
    path = version / SHARDS_FILE
    if not path.is_file():
        return None
    try:
        listed = json.loads(path.read_text(encoding="utf-8"))["shards"]
        return [Shard(item["name"], version / item["name"], int(item["first_document"]), int(item["documents"]),
                      int(item["first_clause"]), int(item["clauses"])) for item in listed]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise mf.damaged(version, f"{SHARDS_FILE} cannot be read ({type(error).__name__}: {error})") from error


def read_statistics(version: Path) -> dict[str, CollectionStatistics]:
    """The BM25 statistics a sharded version's shards were scored with, by field."""
    with np.load(version / STATISTICS_FILE) as stored:
        return {name: CollectionStatistics.from_arrays(stored, name) for name in (*FIELDS, UNIT_FIELD)}


def is_sharded(index_dir: Path | str) -> bool:
    """Whether the live version of `index_dir` is a sharded index (False when there is none)."""
    name = mf.read_pointer(Path(index_dir))
    return name is not None and (Path(index_dir) / name / SHARDS_FILE).is_file()
