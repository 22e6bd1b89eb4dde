"""Build (or incrementally update) an index directory from a corpus directory.

Stages, each timed in the manifest: ingest (load → clean → parse, by `indexer.pipeline`), segment
(underthesea, cached by text hash), bm25 (two bm25s indexes: clause body and heading chain), encode
(sentence-transformers), faiss. Incremental: documents whose file hash is unchanged are taken from the
previous version (clauses, segmentation, vectors); only new or changed files are ingested again.

The heading chain (Chương …, Điều 5. Title, the khoản a điểm hangs from) is a separate BM25 field whose
score is added with weight `head_weight` < 1: an article title then helps find its khoản without a khoản
that merely sits under a matching title outranking one whose own text matches. A separate field rather
than repeating heading tokens in the body keeps body length normalisation and the phrase postings clean.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer import manifest as mf
from indexer.embed import (
    Encoder,
    build_faiss,
    default_model_name,
    load_faiss,
    passage_text,
    save_faiss,
    stored_vectors,
)
from indexer.model import Clause, Document, IngestProblem, IngestReport
from indexer.segment import CACHE_FILE, SegmentCache, lexical_terms

# BM25 parameters shared by the index and the rank-bm25 reference test. bm25s "atire" term frequency
# ((k1+1)·tf / (tf + k1·(1-b+b·dl/avgdl))) with "robertson" idf (log((N-df+0.5)/(df+0.5)), floored at 0) is
# exactly rank_bm25.BM25Okapi(epsilon=0).
BM25_PARAMS = {"k1": 1.2, "b": 0.75, "method": "atire", "idf_method": "robertson"}
HEAD_WEIGHT = 0.35
DOCUMENTS_FILE = "documents.jsonl"
REPORT_FILE = "ingest_report.json"
REPORT_TEXT = "ingest_report.txt"
FAISS_FILE = "dense.faiss"
BODY_DIR = "bm25_body"
HEAD_DIR = "bm25_head"


@dataclass(slots=True)
class Previous:
    """What an earlier version of the index can give the next build."""

    directory: Path | None = None
    manifest: mf.Manifest | None = None
    documents: dict[str, Document] = field(default_factory=dict)  # by source path
    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # doc_id → rows, same model only
    # source → (stored JSON line, resolved reference targets when read): unchanged documents are written
    # back byte for byte instead of being serialised again.
    raw: dict[str, tuple[str, list[str | None]]] = field(default_factory=dict)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_previous(index_dir: Path, model_name: str | None) -> Previous:
    try:
        directory = mf.version_dir(index_dir)
        manifest = mf.read_manifest(directory)
    except (mf.IndexError_, OSError, ValueError):
        return Previous()
    documents, raw = [], {}
    with (directory / DOCUMENTS_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            doc = Document.from_dict(json.loads(line))
            documents.append(doc)
            raw[doc.source] = (line, [r.resolved_doc_id for r in doc.references])
    previous = Previous(directory, manifest, {doc.source: doc for doc in documents}, raw=raw)
    built_model = (manifest.model or {}).get("name")
    if model_name is not None and built_model == model_name and (directory / FAISS_FILE).is_file():
        vectors = stored_vectors(load_faiss(directory / FAISS_FILE))
        start = 0
        for doc in documents:
            previous.vectors[doc.doc_id] = vectors[start : start + len(doc.clauses)]
            start += len(doc.clauses)
    return previous


def read_documents(directory: Path) -> Iterable[Document]:
    with (directory / DOCUMENTS_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            yield Document.from_dict(json.loads(line))


OWN_MODULES = frozenset({"build.py", "embed.py", "manifest.py", "segment.py"})


def pipeline_fingerprint() -> str:
    """Hash of the ingestion code and data: documents parsed by other code are not reused."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("*.py"), *root.glob("data/*")]):
        if path.name not in OWN_MODULES and path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _sidecar_hash(corpus_dir: Path) -> str | None:
    from indexer.metadata import SIDECAR_NAME

    sidecar = corpus_dir / SIDECAR_NAME
    return file_hash(sidecar) if sidecar.is_file() else None


def _ingest(corpus_dir: Path, previous: Previous, progress: bool) -> tuple[list[Document], IngestReport, dict[str, Any]]:
    """Documents of the corpus; unchanged files come from the previous version without re-parsing.

    Everything is ingested again when there is no previous version, or the ingestion code or the
    metadata sidecar changed since it was built.
    """
    from indexer import pipeline

    stamp = {"pipeline": pipeline_fingerprint(), "sidecar": _sidecar_hash(corpus_dir)}
    old = previous.manifest.incremental if previous.manifest else {}
    if previous.manifest is None or any(old.get(key) != value for key, value in stamp.items()):
        documents, report = pipeline.ingest_corpus(corpus_dir, progress=progress)
        return documents, report, {"mode": "full", "reprocessed": len(documents), **stamp}
    from tqdm import tqdm

    from indexer.load import LoadError

    documents: list[Document] = []
    report = IngestReport()
    reused, reprocessed = 0, 0
    sidecar = pipeline.load_sidecar(corpus_dir)
    for path in tqdm(list(pipeline.corpus_files(corpus_dir)), desc="ingest", unit="file", disable=not progress):
        source = pipeline.source_of(path, corpus_dir)
        old_doc = previous.documents.get(source)
        if old_doc is not None and old_doc.content_hash == file_hash(path):
            documents.append(old_doc)
            report.processed.append(source)
            reused += 1
            continue
        reprocessed += 1
        try:
            documents.append(pipeline.ingest_file(path, corpus_dir, sidecar))
            report.processed.append(source)
        except LoadError as error:
            report.problems.append(IngestProblem(source, error.problem, error.detail))
    pipeline.resolve_references(documents)
    removed = sorted(set(previous.documents) - {doc.source for doc in documents})
    return documents, report, {"mode": "incremental", "reused": reused, "reprocessed": reprocessed,
                               "removed": removed, **stamp}


def _heading_text(clause: Clause) -> str:
    return "\n".join(clause.headings)


def clause_terms(clauses: list[Clause], cache: SegmentCache, progress: bool) -> tuple[list[list[str]], list[list[str]]]:
    """(body terms, heading terms) for every clause; Vietnamese text is segmented through the cache."""
    from indexer.normalise import normalise

    heading_norm: dict[tuple[str, str], str] = {}
    head_texts = []
    for clause in clauses:
        key = (_heading_text(clause), clause.language)
        if key not in heading_norm:
            heading_norm[key] = normalise(key[0], clause.language) if key[0] else ""
        head_texts.append(heading_norm[key])
    vi_texts = sorted({c.norm_text for c in clauses if c.language == "vi"}
                      | {t for t, c in zip(head_texts, clauses, strict=True) if c.language == "vi" and t})
    words = dict(zip(vi_texts, cache.segment_many(vi_texts, progress=progress), strict=True))
    body = [lexical_terms(c.norm_text, words.get(c.norm_text) if c.language == "vi" else None) for c in clauses]
    # Many clauses share a heading chain: compute its terms once (this dominates incremental builds).
    head_cache: dict[tuple[str, str], list[str]] = {}
    head = []
    for text, clause in zip(head_texts, clauses, strict=True):
        key = (text, clause.language)
        if key not in head_cache:
            head_cache[key] = lexical_terms(text, words.get(text) if clause.language == "vi" else None) if text else []
        head.append(head_cache[key])
    return body, head


def build_bm25(terms: list[list[str]], progress: bool = False) -> Any:
    import bm25s

    retriever = bm25s.BM25(**BM25_PARAMS)
    retriever.index(terms, show_progress=progress)
    return retriever


def _encode(clauses_by_doc: list[tuple[Document, list[Clause]]], previous: Previous, encoder: Encoder,
            progress: bool) -> tuple[np.ndarray, int]:
    """Vectors for every clause, reusing the previous version's rows of unchanged documents."""
    parts: list[np.ndarray | None] = []
    todo: list[str] = []
    for doc, clauses in clauses_by_doc:
        old = previous.vectors.get(doc.doc_id)
        old_doc = previous.documents.get(doc.source)
        # Same file is not enough: changed ingestion code can cut the same file into other clauses.
        if old is not None and old_doc is not None and old_doc.content_hash == doc.content_hash \
                and [c.clean_text for c in old_doc.clauses] == [c.clean_text for c in clauses] \
                and [c.headings for c in old_doc.clauses] == [c.headings for c in clauses]:
            parts.append(old)
        else:
            parts.append(None)
            todo.extend(passage_text(c.headings, c.clean_text or c.text) for c in clauses)
    fresh = encoder.encode_passages(todo, progress=progress) if todo else np.zeros((0, encoder.dimension), np.float32)
    rows, cursor = [], 0
    for (_doc, clauses), part in zip(clauses_by_doc, parts, strict=True):
        if part is None:
            part = fresh[cursor : cursor + len(clauses)]
            cursor += len(clauses)
        rows.append(part)
    dimension = encoder.dimension
    matrix = np.concatenate(rows) if rows else np.zeros((0, dimension), np.float32)
    return matrix.astype(np.float32, copy=False), len(todo)


def _write_report(build_dir: Path, report: IngestReport) -> str:
    """Write the ingest report into the index (ingest's own writer/formatter when present)."""
    try:
        from indexer import pipeline
    except ImportError:  # documents ingested by a caller (tests, tools) without the pipeline module
        pipeline = None
    writer = getattr(pipeline, "write_report", None)
    formatter = getattr(pipeline, "format_report", None)
    if writer is not None:
        try:
            writer(report, build_dir / REPORT_FILE)
        except TypeError:
            writer(report, build_dir)
    else:
        (build_dir / REPORT_FILE).write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    if formatter is not None:
        text = formatter(report)
    else:
        lines = [f"{len(report.processed)} files indexed, {len(report.problems)} with problems"]
        lines += [f"  {p.source}: {p.problem} ({p.detail})" for p in report.problems]
        text = "\n".join(lines)
    (build_dir / REPORT_TEXT).write_text(text + "\n", encoding="utf-8")
    return text


def build_index(corpus_dir: Path | str, index_dir: Path | str, *, dense: bool = True, model: str | None = None,
                progress: bool = True) -> dict[str, Any]:
    """Build `index_dir` from `corpus_dir` atomically; returns the manifest as a dict.

    Unchanged documents of the live version are reused; a build killed midway leaves that version live.
    """
    corpus_dir, index_dir = Path(corpus_dir).resolve(), Path(index_dir)
    model_name = (model or default_model_name()) if dense else None
    timings: dict[str, float] = {}
    started = time.perf_counter()
    previous = _load_previous(index_dir, model_name)
    timings["load_previous"] = time.perf_counter() - started

    mark = time.perf_counter()
    documents, report, incremental = _ingest(corpus_dir, previous, progress)
    timings["parse"] = time.perf_counter() - mark

    return write_index(documents, report, index_dir, dense=dense, model_name=model_name, progress=progress,
                       previous=previous, incremental=incremental, corpus_dir=corpus_dir, timings=timings,
                       started=started)


def write_index(documents: list[Document], report: IngestReport, index_dir: Path, *, dense: bool,
                model_name: str | None, progress: bool = False, previous: Previous | None = None,
                incremental: dict[str, Any] | None = None, corpus_dir: Path | None = None,
                timings: dict[str, float] | None = None, started: float | None = None) -> dict[str, Any]:
    """Index already-ingested documents into a new version of `index_dir` and make it live atomically."""
    previous = previous or Previous()
    timings = timings if timings is not None else {}
    started = started if started is not None else time.perf_counter()
    documents = sorted(documents, key=lambda d: d.doc_id)
    build_dir = mf.new_build_dir(index_dir)
    try:
        return _build_version(documents, report, incremental or {"mode": "full"}, previous, build_dir, index_dir,
                              corpus_dir or Path("."), dense, model_name, progress, timings, started)
    except BaseException:
        import shutil

        shutil.rmtree(build_dir, ignore_errors=True)  # an error (not a kill) leaves nothing behind
        raise


def _build_version(documents: list[Document], report: IngestReport, incremental: dict[str, Any],
                   previous: Previous, build_dir: Path, index_dir: Path, corpus_dir: Path, dense: bool,
                   model_name: str | None, progress: bool, timings: dict[str, float],
                   started: float) -> dict[str, Any]:
    clauses = [clause for doc in documents for clause in doc.clauses]

    mark = time.perf_counter()
    cache = SegmentCache.load(previous.directory / CACHE_FILE if previous.directory else None)
    body_terms, head_terms = clause_terms(clauses, cache, progress)
    cache.save(build_dir / CACHE_FILE)
    timings["segment"] = time.perf_counter() - mark

    mark = time.perf_counter()
    body = build_bm25(body_terms, progress)
    body.save(str(build_dir / BODY_DIR))
    head = build_bm25(head_terms, progress)
    head.save(str(build_dir / HEAD_DIR))
    timings["bm25"] = time.perf_counter() - mark

    model_info = None
    if dense:
        mark = time.perf_counter()
        encoder = Encoder(model_name)
        vectors, encoded = _encode([(d, d.clauses) for d in documents], previous, encoder, progress)
        timings["encode"] = time.perf_counter() - mark
        mark = time.perf_counter()
        index, kind = build_faiss(vectors)
        save_faiss(index, build_dir / FAISS_FILE)
        timings["faiss"] = time.perf_counter() - mark
        model_info = {"name": encoder.name, "path": str(encoder.spec.path), "dimension": int(vectors.shape[1]),
                      "prompts": encoder.spec.prompts, "languages": list(encoder.spec.languages), "faiss": kind, "encoded": encoded}

    mark = time.perf_counter()
    with (build_dir / DOCUMENTS_FILE).open("w", encoding="utf-8") as handle:
        for doc in documents:
            stored = previous.raw.get(doc.source)
            unchanged = (stored is not None and previous.documents.get(doc.source) is doc
                         and stored[1] == [r.resolved_doc_id for r in doc.references])
            handle.write(stored[0] if unchanged else json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
    report_text = _write_report(build_dir, report)
    manifest = mf.Manifest(
        format_version=mf.FORMAT_VERSION,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        corpus_dir=str(corpus_dir),
        model=model_info,
        bm25={**BM25_PARAMS, "head_weight": HEAD_WEIGHT},
        documents={d.doc_id: mf.DocumentEntry(d.source, d.content_hash, len(d.clauses)) for d in documents},
        counts={"documents": len(documents), "clauses": len(clauses), "vocabulary": len(body.vocab_dict),
                "problems": len(report.problems), "segment_cache_hits": cache.hits,
                "segment_cache_misses": cache.misses},
        timings={},
        incremental=incremental,
    )
    timings["write"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    manifest.timings = {stage: round(seconds, 3) for stage, seconds in timings.items()}
    mf.write_manifest(build_dir, manifest)
    mf.publish(index_dir, build_dir)
    result = manifest.to_dict()
    result["report_text"] = report_text
    return result
