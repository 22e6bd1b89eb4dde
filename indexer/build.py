"""Build (or incrementally update) an index directory from a corpus directory.

Stages, each timed in the manifest: ingest (load → clean → parse, by `indexer.pipeline`), segment
(underthesea, cached by text hash), bm25 (two bm25s indexes: clause body and heading chain), encode
(sentence-transformers), faiss. Incremental: documents whose file hash is unchanged are taken from the
previous version and only new or changed files are ingested again. What an unchanged document costs is
kept small: it is read as a "light" document (metadata and references from documents.index.jsonl, not
its text and clauses), its line of documents.jsonl is copied byte for byte, its BM25 term-count rows come
from terms.npz (the score matrices are recomputed from counts, vectorised, bit-identical to bm25s), and its
vectors stay in the HNSW graph, which is renumbered with the changed documents' old rows as tombstones.

The heading chain (Chương …, Điều 5. Title, the khoản a điểm hangs from) is a separate BM25 field whose
score is added with weight `head_weight` < 1: an article title then helps find its khoản without a khoản
that merely sits under a matching title outranking one whose own text matches. A separate field rather
than repeating heading tokens in the body keeps body length normalisation and the phrase postings clean.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from indexer import manifest as mf
from indexer.bm25 import BM25_PARAMS, bm25_from_counts
from indexer.embed import (
    Encoder,
    ModelNotFound,
    build_faiss,
    default_model_name,
    graph_parameters,
    load_faiss,
    model_fingerprint,
    passage_text,
    save_faiss,
    stored_vectors,
)
from indexer.model import Clause, Document, IngestProblem, IngestReport
from indexer.segment import CACHE_FILE, SegmentCache, lexical_terms

HEAD_WEIGHT = 0.35
DOCUMENTS_FILE = "documents.jsonl"
REPORT_FILE = "ingest_report.json"
REPORT_TEXT = "ingest_report.txt"
FAISS_FILE = "dense.faiss"
# Per document: where its line lies in documents.jsonl, its clause count and its JSON without text and
# clauses. An incremental build reads this instead of parsing every document (most of documents.jsonl).
DOC_INDEX_FILE = "documents.index.jsonl"
LIGHT_OMITS = ("text", "clauses")
BODY_DIR = "bm25_body"
HEAD_DIR = "bm25_head"
# Per-clause term counts of both BM25 fields, by document: an incremental build recomputes only the
# changed documents' rows, then derives the BM25 score matrices from counts (a vectorised, exact copy of
# bm25s's scoring) instead of tokenising and counting all clauses again.
TERMS_FILE = "terms.npz"
FIELDS = ("body", "head")


@dataclass(slots=True)
class Previous:
    """What an earlier version of the index can give the next build."""

    directory: Path | None = None
    manifest: mf.Manifest | None = None
    # by source path; "light" documents (no text, no clauses) when the version has a DOC_INDEX_FILE
    documents: dict[str, Document] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # doc_id → rows, same model only
    faiss: Any = None  # the loaded FAISS index when vectors are (an HNSW one is updated, not rebuilt)
    vector_starts: dict[str, int] = field(default_factory=dict)  # doc_id → first clause position
    # source → (offset, length) of its line in documents.jsonl, clause count, resolved reference targets
    # when read: unchanged documents are written back byte for byte instead of being serialised again.
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    clause_counts: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, list[str | None]] = field(default_factory=dict)

    def reused(self, doc: Document) -> bool:
        """Whether `doc` is this version's document object, taken over unchanged."""
        return self.documents.get(doc.source) is doc

    def clause_count(self, doc: Document) -> int:
        return self.clause_counts[doc.source] if self.reused(doc) else len(doc.clauses)

    def raw_line(self, doc: Document) -> bytes:
        offset, length = self.spans[doc.source]
        with (self.directory / DOCUMENTS_FILE).open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    def full_document(self, doc: Document) -> Document:
        """The complete document (text, clauses) of a light one, with `doc`'s current reference targets."""
        if not self.reused(doc) or doc.clauses or doc.text:
            return doc
        full = Document.from_dict(json.loads(self.raw_line(doc)))
        for reference, current in zip(full.references, doc.references, strict=True):
            reference.resolved_doc_id = current.resolved_doc_id
        return full


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_previous(index_dir: Path, model_name: str | None) -> Previous:
    try:
        directory = mf.version_dir(index_dir)
        manifest = mf.read_manifest(directory)
    except (mf.IndexError_, OSError, ValueError):
        return Previous()
    documents, spans, counts = [], {}, {}
    if (directory / DOC_INDEX_FILE).is_file():
        with (directory / DOC_INDEX_FILE).open(encoding="utf-8") as handle:
            for line in handle:
                entry = json.loads(line)
                doc = Document.from_dict({**entry["document"], "text": "", "clauses": []})
                documents.append(doc)
                spans[doc.source] = (entry["offset"], entry["length"])
                counts[doc.source] = entry["clauses"]
    else:  # a version written before DOC_INDEX_FILE existed
        offset = 0
        with (directory / DOCUMENTS_FILE).open("rb") as handle:
            for line in handle:
                doc = Document.from_dict(json.loads(line))
                documents.append(doc)
                spans[doc.source] = (offset, len(line))
                counts[doc.source] = len(doc.clauses)
                offset += len(line)
    previous = Previous(directory, manifest, {doc.source: doc for doc in documents}, spans=spans,
                        clause_counts=counts,
                        resolved={d.source: [r.resolved_doc_id for r in d.references] for d in documents})
    built_model = (manifest.model or {}).get("name")
    if model_name is not None and built_model == model_name and (directory / FAISS_FILE).is_file() \
            and not model_changed(manifest.model):
        previous.faiss = load_faiss(directory / FAISS_FILE)
        vectors = stored_vectors(previous.faiss)
        start = 0
        for doc in documents:
            previous.vector_starts[doc.doc_id] = start
            previous.vectors[doc.doc_id] = vectors[start : start + counts[doc.source]]
            start += counts[doc.source]
        if graph_outdated(manifest.model):  # vectors are reused, the graph is built anew
            previous.faiss = None
    return previous


def read_documents(directory: Path) -> Iterable[Document]:
    with (directory / DOCUMENTS_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            yield Document.from_dict(json.loads(line))


# The modules and data that decide how a file becomes a Document (its text, clauses, metadata, references):
# documents ingested by other versions of these are parsed again. Training, evaluation and the CLI are
# not among them, so editing them never makes an index stale (tests/indexer/test_fingerprint.py).
INGEST_MODULES = ("textmap.py", "normalise.py", "model.py", "kinds.py", "citation.py", "structure.py", "load.py",
                  "clean.py", "repair.py", "metadata.py", "references.py", "parse.py", "pipeline.py")
# The index-side modules: they shape terms and vectors, which carry stamps of their own (terms_stamp, the
# model fingerprint), not the documents.
INDEX_MODULES = ("bm25.py", "build.py", "embed.py", "manifest.py", "segment.py", "static_encoder.py")


def pipeline_fingerprint(root: Path | None = None) -> str:
    """Hash of the ingestion code and data (`INGEST_MODULES`, `data/*`) of the indexer package at `root`."""
    root = root or Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*(root / name for name in INGEST_MODULES), *root.glob("data/*")]):
        if path.is_file():
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


@dataclass(slots=True)
class TermRows:
    """One BM25 field as a clauses × vocabulary matrix of term frequencies (scipy CSR, int32)."""

    vocab: list[str]
    counts: Any


@functools.cache
def terms_stamp() -> str:
    """Stored term rows are reused only when the code that makes terms (and these parameters) is unchanged.

    Computed once per process: it describes the code this process runs, even if the files change meanwhile.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(json.dumps(BM25_PARAMS, sort_keys=True).encode())
    for name in ("segment.py", "build.py", "normalise.py"):
        path = root / name
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def count_rows(terms: list[list[str]], vocab: list[str], index: dict[str, int]) -> Any:
    """CSR term-frequency rows of tokenised clauses; unseen terms are appended to `vocab`/`index`."""
    from collections import Counter

    from scipy import sparse

    indptr, indices, data = [0], [], []
    for clause_terms_ in terms:
        for term, count in Counter(clause_terms_).items():
            position = index.get(term)
            if position is None:
                position = index[term] = len(vocab)
                vocab.append(term)
            indices.append(position)
            data.append(count)
        indptr.append(len(indices))
    return sparse.csr_matrix((np.asarray(data, np.int32), np.asarray(indices, np.int32), np.asarray(indptr, np.int64)),
                             shape=(len(terms), len(vocab)))


def stack_rows(blocks: list[Any], width: int) -> Any:
    """Row blocks (CSR matrices of at most `width` columns) stacked into one CSR matrix."""
    from scipy import sparse

    lengths = [np.diff(block.indptr) for block in blocks]
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(lengths))]) if blocks else np.zeros(1, np.int64)
    indices = np.concatenate([b.indices[b.indptr[0] : b.indptr[-1]] for b in blocks]) if blocks else np.zeros(0, np.int32)
    data = np.concatenate([b.data[b.indptr[0] : b.indptr[-1]] for b in blocks]) if blocks else np.zeros(0, np.int32)
    rows = int(sum(b.shape[0] for b in blocks))
    return sparse.csr_matrix((data.astype(np.int32), indices.astype(np.int32), indptr.astype(np.int64)), shape=(rows, width))


def compact(rows: TermRows) -> TermRows:
    """Drop terms no clause holds any more (documents removed or changed): a full build never has them."""
    used = np.flatnonzero(np.bincount(rows.counts.indices, minlength=len(rows.vocab)))
    if len(used) == len(rows.vocab):
        return rows
    return TermRows([rows.vocab[i] for i in used], rows.counts[:, used].tocsr())


@dataclass(slots=True)
class StoredTerms:
    doc_rows: dict[str, tuple[int, int]]  # doc_id → clause row range
    fields: dict[str, TermRows]


def save_terms(path: Path, doc_ids: list[str], doc_clauses: list[int], fields: dict[str, TermRows]) -> None:
    arrays: dict[str, np.ndarray] = {"stamp": np.array(terms_stamp()), "doc_ids": np.array(doc_ids, dtype=str),
                                     "doc_offsets": np.concatenate([[0], np.cumsum(doc_clauses)]).astype(np.int64)}
    for name, rows in fields.items():
        arrays[f"{name}_vocab"] = np.array(rows.vocab, dtype=str)
        arrays[f"{name}_indptr"] = rows.counts.indptr
        arrays[f"{name}_indices"] = rows.counts.indices
        arrays[f"{name}_data"] = rows.counts.data
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


def load_terms(directory: Path | None) -> StoredTerms | None:
    """Term rows of a previous version, or None when absent or made by other term code."""
    if directory is None or not (directory / TERMS_FILE).is_file():
        return None
    from scipy import sparse

    with np.load(directory / TERMS_FILE) as stored:
        if str(stored["stamp"]) != terms_stamp():
            return None
        offsets = stored["doc_offsets"]
        doc_rows = {str(d): (int(offsets[i]), int(offsets[i + 1])) for i, d in enumerate(stored["doc_ids"])}
        fields = {}
        for name in FIELDS:
            vocab = stored[f"{name}_vocab"].tolist()
            counts = sparse.csr_matrix((stored[f"{name}_data"], stored[f"{name}_indices"], stored[f"{name}_indptr"]),
                                       shape=(int(offsets[-1]), len(vocab)))
            fields[name] = TermRows(vocab, counts)
    return StoredTerms(doc_rows, fields)


def _encode(documents: list[Document], previous: Previous, encoder: Encoder,
            progress: bool) -> tuple[np.ndarray, int, list[bool]]:
    """(vectors for every clause, how many encoded, per document whether its previous rows were reused)."""
    parts: list[np.ndarray | None] = []
    todo: list[str] = []
    todo_languages: list[str] = []  # a routed model encodes each clause with the model of its language
    clauses_by_doc: list[tuple[Document, list[Clause]]] = []
    for doc in documents:
        old = previous.vectors.get(doc.doc_id)
        if old is not None and previous.reused(doc):  # taken over unchanged (same code, same file)
            clauses_by_doc.append((doc, []))
            parts.append(old)
            continue
        doc = previous.full_document(doc)
        clauses = doc.clauses
        clauses_by_doc.append((doc, clauses))
        old_doc = previous.documents.get(doc.source)
        if old is not None and old_doc is not None and old_doc.content_hash == doc.content_hash:
            old_doc = previous.full_document(old_doc)  # its clauses, to compare with the new cut
        # Same file is not enough: changed ingestion code can cut the same file into other clauses.
        if old is not None and old_doc is not None and old_doc.content_hash == doc.content_hash \
                and [c.clean_text for c in old_doc.clauses] == [c.clean_text for c in clauses] \
                and [c.headings for c in old_doc.clauses] == [c.headings for c in clauses]:
            parts.append(old)
        else:
            parts.append(None)
            todo.extend(passage_text(c.headings, c.clean_text or c.text) for c in clauses)
            todo_languages.extend(c.language for c in clauses)
    fresh = (encoder.encode_passages(todo, progress=progress, languages=todo_languages) if todo
             else np.zeros((0, encoder.dimension), np.float32))
    rows, cursor = [], 0
    for (_doc, clauses), part in zip(clauses_by_doc, parts, strict=True):
        if part is None:
            part = fresh[cursor : cursor + len(clauses)]
            cursor += len(clauses)
        rows.append(part)
    dimension = encoder.dimension
    matrix = np.concatenate(rows) if rows else np.zeros((0, dimension), np.float32)
    return matrix.astype(np.float32, copy=False), len(todo), [part is not None for part in parts]


def _dense_index(documents: list[Document], previous: Previous, vectors: np.ndarray,
                 reused: list[bool]) -> tuple[Any, str]:
    """The previous HNSW index renumbered with the changed documents' vectors added, else a fresh index."""
    from indexer import embed

    if previous.faiss is not None and len(vectors) > embed.HNSW_THRESHOLD:
        old_total = sum(previous.clause_counts.values())
        position_map = np.full(old_total, -1, dtype=np.int64)
        fresh: list[np.ndarray] = []
        start = 0
        for doc, kept in zip(documents, reused, strict=True):
            size = previous.clause_count(doc)
            if kept:
                old_start = previous.vector_starts[doc.doc_id]
                position_map[old_start : old_start + size] = np.arange(start, start + size)
            else:
                fresh.append(np.arange(start, start + size))
            start += size
        positions = np.concatenate(fresh) if fresh else np.zeros(0, dtype=np.int64)
        index = embed.update_hnsw(previous.faiss, position_map, vectors[positions], positions)
        if index is not None:
            return index, "hnsw"
    return build_faiss(vectors)


def _write_report(build_dir: Path, report: IngestReport) -> str:
    """The ingest report, as JSON and as text, inside the new version; returns the text."""
    from indexer import pipeline

    pipeline.write_report(report, build_dir / REPORT_FILE)
    text = pipeline.format_report(report)
    (build_dir / REPORT_TEXT).write_text(text + "\n", encoding="utf-8")
    return text


def model_changed(built: dict[str, Any] | None) -> bool:
    """Whether the model an index was built with has other weights now than then (same name, new files).
    Indexes written before fingerprints were recorded are trusted."""
    if not built or not built.get("fingerprint"):
        return False
    try:
        return model_fingerprint(built["name"]) != built["fingerprint"]
    except ModelNotFound:
        return True


def graph_outdated(built: dict[str, Any] | None) -> bool:
    """Whether an index's HNSW graph was built with other parameters than the current ones."""
    return bool(built) and built.get("faiss") == "hnsw" and built.get("graph") != graph_parameters()


def index_staleness(corpus_dir: Path | str, index_dir: Path | str, *, need_dense: bool = False,
                    model: str | None = None) -> str | None:
    """Why the live index at `index_dir` does not reflect `corpus_dir` (None when it does).

    Compares the corpus files' sha256 with the manifest; files the last build rejected (listed in its
    ingest report) are not counted as new, so an empty or binary file does not force endless rebuilds.
    """
    from indexer import pipeline

    try:
        directory = mf.version_dir(Path(index_dir))
        manifest = mf.read_manifest(directory)
    except (mf.IndexError_, OSError, ValueError, TypeError, KeyError) as error:
        return f"no index at {index_dir}" if not (Path(index_dir) / "CURRENT").exists() else \
            f"no usable index at {index_dir} ({error})"
    if need_dense and not manifest.model:
        return "index has no dense vectors"
    if need_dense and model is not None and manifest.model.get("name") != model:
        return f"index was built with model {manifest.model.get('name')}, not {model}"
    if need_dense and model_changed(manifest.model):
        return f"model {manifest.model.get('name')} has other weights than when the index was built"
    if need_dense and graph_outdated(manifest.model):
        return "its HNSW graph was built with older parameters (vectors are kept, the graph is rebuilt)"
    indexed = {entry.source: entry.content_hash for entry in manifest.documents.values()}
    current = {pipeline.source_of(path, Path(corpus_dir)): file_hash(path)
               for path in pipeline.corpus_files(Path(corpus_dir))}
    try:
        report = json.loads((directory / "ingest_report.json").read_text(encoding="utf-8"))
        rejected = {p.get("source", "") for p in report.get("problems", []) if isinstance(p, dict)}
    except (OSError, ValueError):
        rejected = set()
    added = current.keys() - indexed.keys() - rejected
    removed = indexed.keys() - current.keys()
    changed = [source for source in current.keys() & indexed.keys() if current[source] != indexed[source]]
    if added or removed or changed:
        return f"corpus changed: {len(added)} new, {len(changed)} modified, {len(removed)} removed files"
    return None


def ensure_index(corpus_dir: Path | str, index_dir: Path | str, *, dense: bool = True, model: str | None = None,
                 progress: bool = False, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build (incrementally) the index of `corpus_dir` at `index_dir` unless it is current.

    Returns `{"built": False}`, or what the build did: its reason, seconds, counts and stage timings.
    """
    reason = index_staleness(corpus_dir, index_dir, need_dense=dense, model=model)
    if reason is None:
        return {"built": False}
    if log is not None:
        log(f"building {index_dir} from {corpus_dir}: {reason}")
    started = time.perf_counter()
    manifest = build_index(corpus_dir, index_dir, dense=dense, model=model, progress=progress)
    return {"built": True, "reason": reason, "seconds": round(time.perf_counter() - started, 1),
            "counts": manifest.get("counts", {}), "timings": manifest.get("timings", {})}


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


def _term_rows(documents: list[Document], previous: Previous, build_dir: Path,
               progress: bool) -> tuple[dict[str, TermRows], SegmentCache]:
    """Term-frequency rows of every clause: stored rows for unchanged documents, tokenised ones for the rest.

    Saves the rows and the segmentation cache into `build_dir`. When rows are reused the old cache file is
    copied and only new segmentations appended (the unchanged documents' entries stay for later builds).
    """
    import shutil

    stored = load_terms(previous.directory)
    old_cache = previous.directory / CACHE_FILE if previous.directory else None

    def reusable(doc: Document) -> bool:
        rows = stored.doc_rows.get(doc.doc_id) if stored else None
        return rows is not None and previous.reused(doc) and rows[1] - rows[0] == previous.clause_count(doc)

    reuse = [reusable(doc) for doc in documents]
    fresh_docs = [previous.full_document(doc) for doc, ok in zip(documents, reuse, strict=True) if not ok]
    fresh_clauses = [c for doc in fresh_docs for c in doc.clauses]
    incremental = stored is not None and any(reuse)
    if incremental and not fresh_clauses:
        cache, known = SegmentCache(), set()
        fresh: tuple[list[list[str]], list[list[str]]] = ([], [])
    else:
        cache = SegmentCache.load(old_cache)
        known = set(cache.entries) if incremental else set()
        fresh = clause_terms(fresh_clauses, cache, progress)
    fields: dict[str, TermRows] = {}
    for name, fresh_terms in zip(FIELDS, fresh, strict=True):
        old = stored.fields[name] if stored else TermRows([], None)
        vocab = list(old.vocab)
        new_rows = count_rows(fresh_terms, vocab, {term: i for i, term in enumerate(vocab)})
        blocks, cursor = [], 0
        for doc, ok in zip(documents, reuse, strict=True):
            if ok:
                start, end = stored.doc_rows[doc.doc_id]
                blocks.append(old.counts[start:end])
            else:
                size = previous.clause_count(doc)
                blocks.append(new_rows[cursor : cursor + size])
                cursor += size
        fields[name] = compact(TermRows(vocab, stack_rows(blocks, len(vocab))))
    save_terms(build_dir / TERMS_FILE, [d.doc_id for d in documents], [previous.clause_count(d) for d in documents],
               fields)
    if incremental and old_cache is not None and old_cache.is_file():
        shutil.copyfile(old_cache, build_dir / CACHE_FILE)
        added = sorted(key for key in cache.used if key not in known)
        with (build_dir / CACHE_FILE).open("a", encoding="utf-8") as handle:
            handle.writelines(f"{key}\t{'|'.join(cache.entries[key])}\n" for key in added)
    else:
        cache.save(build_dir / CACHE_FILE)
    return fields, cache


def _light(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in LIGHT_OMITS}


def _write_documents(build_dir: Path, documents: list[Document], previous: Previous) -> None:
    """documents.jsonl (unchanged documents' lines copied byte for byte) and its DOC_INDEX_FILE."""
    old_file = (previous.directory / DOCUMENTS_FILE).open("rb") if previous.spans else None
    offset = 0
    try:
        with (build_dir / DOCUMENTS_FILE).open("wb") as out, \
                (build_dir / DOC_INDEX_FILE).open("w", encoding="utf-8") as index:
            for doc in documents:
                unchanged = (old_file is not None and previous.reused(doc)
                             and previous.resolved.get(doc.source) == [r.resolved_doc_id for r in doc.references])
                if unchanged:
                    start, length = previous.spans[doc.source]
                    old_file.seek(start)
                    line = old_file.read(length)
                    light = _light(replace(doc, text="", clauses=[]).to_dict())
                    count = previous.clause_count(doc)
                else:
                    full = previous.full_document(doc)
                    data = full.to_dict()
                    line = (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
                    light, count = _light(data), len(full.clauses)
                out.write(line)
                index.write(json.dumps({"offset": offset, "length": len(line), "clauses": count, "document": light},
                                       ensure_ascii=False) + "\n")
                offset += len(line)
    finally:
        if old_file is not None:
            old_file.close()


def _build_version(documents: list[Document], report: IngestReport, incremental: dict[str, Any],
                   previous: Previous, build_dir: Path, index_dir: Path, corpus_dir: Path, dense: bool,
                   model_name: str | None, progress: bool, timings: dict[str, float],
                   started: float) -> dict[str, Any]:
    clause_total = sum(previous.clause_count(doc) for doc in documents)

    mark = time.perf_counter()
    fields, cache = _term_rows(documents, previous, build_dir, progress)
    timings["segment"] = time.perf_counter() - mark

    mark = time.perf_counter()
    body = bm25_from_counts(fields["body"].counts, fields["body"].vocab)
    body.save(str(build_dir / BODY_DIR))
    head = bm25_from_counts(fields["head"].counts, fields["head"].vocab)
    head.save(str(build_dir / HEAD_DIR))
    timings["bm25"] = time.perf_counter() - mark

    model_info = None
    if dense:
        mark = time.perf_counter()
        encoder = Encoder(model_name)
        vectors, encoded, reused = _encode(documents, previous, encoder, progress)
        timings["encode"] = time.perf_counter() - mark
        mark = time.perf_counter()
        index, kind = _dense_index(documents, previous, vectors, reused)
        save_faiss(index, build_dir / FAISS_FILE)
        timings["faiss"] = time.perf_counter() - mark
        model_info = {"name": encoder.name, "path": str(encoder.spec.path), "dimension": int(vectors.shape[1]),
                      "fingerprint": model_fingerprint(encoder.name), "prompts": encoder.spec.prompts,
                      "languages": list(encoder.spec.languages), "faiss": kind, "encoded": encoded,
                      **({"graph": graph_parameters()} if kind == "hnsw" else {})}

    mark = time.perf_counter()
    _write_documents(build_dir, documents, previous)
    report_text = _write_report(build_dir, report)
    manifest = mf.Manifest(
        format_version=mf.FORMAT_VERSION,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        corpus_dir=str(corpus_dir),
        model=model_info,
        bm25={**BM25_PARAMS, "head_weight": HEAD_WEIGHT},
        documents={d.doc_id: mf.DocumentEntry(d.source, d.content_hash, previous.clause_count(d)) for d in documents},
        counts={"documents": len(documents), "clauses": clause_total, "vocabulary": len(body.vocab_dict),
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
