"""Build (or incrementally update) an index directory from a corpus directory.

Stages, each timed in the manifest: ingest (load → clean → parse, by `indexer.pipeline`), segment
(underthesea, cached by text hash), bm25 (bm25s indexes: clause body, heading chain, reading unit), encode
(sentence-transformers), faiss. Incremental: documents whose file hash is unchanged are taken from the
previous version and only new or changed files are ingested again. What an unchanged document costs is
kept small: it is read as a "light" document (its header in the store: metadata and references, not its
text and clauses), its rows of the store are copied as they are (`indexer.store`), its BM25 term-count rows come
from terms.npz (the score matrices are recomputed from counts, vectorised, bit-identical to bm25s), and its
vectors stay in the HNSW graph, which is renumbered with the changed documents' old rows as tombstones.
Vectors are keyed by clause and passage (`indexer.vectors`), never by position alone.

Every build holds the index's writer lock (`manifest.writer_lock`); it first compares the live version with
the corpus and code (`indexer.state.changes`) and writes nothing when nothing changed. Before a version is
published its invariants are checked (`check_version`: unique document and clause ids, one BM25 row and one
vector of its own per clause, counts that agree); a failure stops the build and leaves the live version.

The heading chain (Chương …, Điều 5. Title, the khoản a điểm hangs from) is a separate BM25 field whose
score is added with weight `head_weight` < 1: an article title then helps find its khoản without a khoản
that merely sits under a matching title outranking one whose own text matches. A separate field rather
than repeating heading tokens in the body keeps body length normalisation and the phrase postings clean.

The reading-unit field (bm25_unit) has one row per reading unit (a Điều with all its khoản and điểm, or a
plan's numbered point; rows in the order of the units' positions): its term counts are the sums of its
clauses' body counts, so an article is found by words spread over its clauses, which a question or a
translated query often has while the answering khoản alone does not (`search.searcher` ranks clauses by it).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from indexer import manifest as mf
from indexer.bm25 import BM25_PARAMS, CollectionStatistics, bm25_from_counts, compact_impacts, distinct_rows
from indexer.embed import (
    Encoder,
    build_faiss,
    default_model_name,
    graph_parameters,
    load_faiss,
    model_fingerprint,
    save_faiss,
    stored_vectors,
)
from indexer.model import Clause, Document, IngestProblem, IngestReport
from indexer.segment import CACHE_FILE, SegmentCache, lexical_terms
from indexer.state import (  # re-exported: the build's public names before indexer.state existed
    INDEX_MODULES,
    INGEST_MODULES,
    CorpusState,
    changes,
    corpus_state,
    file_hash,
    graph_outdated,
    model_changed,
    pipeline_fingerprint,
    terms_stamp,
)
from indexer.store import (
    STORE_FILE,
    TABLE_FILE,
    TEXTS_FILE,
    ClauseTable,
    Store,
    StoreError,
    table_of_store,
    write_store,
)
from indexer.vectors import (
    VECTOR_KEYS_FILE,
    DenseRows,
    OldVectors,
    VectorKeyError,
    VectorKeys,
    assemble,
    check_rows,
    hnsw_renumbering,
    passage_key,
)

__all__ = ["INDEX_MODULES", "INGEST_MODULES", "IndexInvariantError", "build_index", "ensure_index", "file_hash",
           "graph_outdated", "index_staleness", "model_changed", "pipeline_fingerprint", "terms_stamp",
           "write_index"]

log = logging.getLogger(__name__)

HEAD_WEIGHT = 0.35
REPORT_FILE = "ingest_report.json"
REPORT_TEXT = "ingest_report.txt"
FAISS_FILE = "dense.faiss"
BODY_DIR = "bm25_body"
HEAD_DIR = "bm25_head"
UNIT_DIR = "bm25_unit"
# Length normalisation of the reading-unit field: units run from one line to 681 clauses (VLC median 3),
# and BM25's b = 0.75 buries long articles. Chosen with its fusion weight (search/fuse.py, crosslingual) on
# the English questions' dev half (recall@10 / article recall@10 at weight 0.5, hybrid 0.486 / 0.600
# without the signal): b 0.75 → 0.486 / 0.543, 0.5 → 0.514 / 0.600, 0.4 → 0.571 / 0.629, 0.3 → 0.571 /
# 0.629, 0.2 → 0.600 / 0.629, 0.15 → 0.543 / 0.571, 0 → 0.543 / 0.600; 0.3 is the middle of the plateau.
UNIT_B = 0.3
UNIT_FIELD = "unit"  # the reading-unit field's name where BM25 statistics are kept by field (indexer.shards)
# The heading field stores one row per distinct heading chain (27k of the VLC's 122k clauses: 30.6 MB of score
# matrices → see README) and, beside them, each clause's row.
HEAD_ROWS_FILE = "rows.npy"
# Per-clause term counts of both BM25 fields, by document: an incremental build recomputes only the
# changed documents' rows, then derives the BM25 score matrices from counts (a vectorised, exact copy of
# bm25s's scoring) instead of tokenising and counting all clauses again.
TERMS_FILE = "terms.npz"
FIELDS = ("body", "head")


@dataclass(slots=True)
class Prepared:
    """Work done for a build before it runs (by a sharded build's Ray tasks, `indexer.shards`): underthesea
    segmentations by text key, vectors by passage key, and the BM25 statistics of the whole collection the
    documents are a shard of (by field). The build takes what it finds here and computes the rest."""

    segments: dict[str, list[str]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    statistics: dict[str, CollectionStatistics] = field(default_factory=dict)


@dataclass(slots=True)
class Previous:
    """What an earlier version of the index can give the next build."""

    directory: Path | None = None
    manifest: mf.Manifest | None = None
    # by source path; "light" documents (headers: no text, no clauses)
    documents: dict[str, Document] = field(default_factory=dict)
    vectors: OldVectors | None = None  # same model (and weights) only
    faiss: Any = None  # the loaded FAISS index when vectors are (an HNSW one is updated, not rebuilt)
    store: Store | None = None
    # source → its document position and first clause position in the store, and its clause count: an
    # unchanged document's rows are copied from the store instead of being encoded again.
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    clause_counts: dict[str, int] = field(default_factory=dict)

    def reused(self, doc: Document) -> bool:
        """Whether `doc` is this version's document object, taken over unchanged."""
        return self.documents.get(doc.source) is doc

    def clause_count(self, doc: Document) -> int:
        return self.clause_counts[doc.source] if self.reused(doc) else len(doc.clauses)

    def full_document(self, doc: Document) -> Document:
        """The complete document (text, clauses) of a light one, with `doc`'s current reference targets."""
        if not self.reused(doc) or doc.clauses or doc.text or self.store is None:
            return doc
        doc_position, first = self.positions[doc.source]
        return replace(doc, text=self.store.document_text(doc_position),
                       clauses=self.store.clauses(first, first + self.clause_counts[doc.source]))


class IndexInvariantError(mf.IndexError_):
    """A build that would publish a wrong index; it is stopped and the live version stays."""


def _load_previous(index_dir: Path, model_name: str | None) -> Previous:
    """What the live version can give this build; nothing when it is missing or damaged (said in the log)."""
    try:
        return _read_previous(index_dir, model_name)
    except mf.IndexNotFound:
        return Previous()
    except (mf.IndexError_, OSError, ValueError, KeyError, TypeError, RuntimeError, VectorKeyError, StoreError,
            sqlite3.Error) as error:
        log.warning("the live version of %s cannot be reused, building from scratch: %s", index_dir, error)
        return Previous()


def _read_previous(index_dir: Path, model_name: str | None) -> Previous:
    directory, manifest = mf.open_version(index_dir)
    store = Store(directory / STORE_FILE)
    documents, positions, counts = [], {}, {}
    for doc_position, (doc, first, count) in enumerate(store.headers()):
        documents.append(doc)
        positions[doc.source] = (doc_position, first)
        counts[doc.source] = count
    previous = Previous(directory, manifest, {doc.source: doc for doc in documents}, store=store,
                        positions=positions, clause_counts=counts)
    built_model = (manifest.model or {}).get("name")
    if model_name is not None and built_model == model_name and (directory / FAISS_FILE).is_file() \
            and not model_changed(manifest.model):
        previous.faiss = load_faiss(directory / FAISS_FILE)
        starts, start = {}, 0
        for doc in documents:  # rows follow the documents' order in the version
            starts[doc.source] = start
            start += counts[doc.source]
        previous.vectors = OldVectors(VectorKeys.load(directory / VECTOR_KEYS_FILE), stored_vectors(previous.faiss),
                                      starts, counts)
        if graph_outdated(manifest.model):  # vectors are reused, the graph is built anew
            previous.faiss = None
    return previous


def _ingest(corpus_dir: Path, state: CorpusState, previous: Previous,
            progress: bool) -> tuple[list[Document], IngestReport, dict[str, Any]]:
    """Documents of the corpus; unchanged files (same bytes, same doc_id) come from the previous version
    without re-parsing.

    Everything is ingested again when there is no previous version, or the ingestion code or the
    metadata sidecar changed since it was built.
    """
    from indexer import pipeline

    stamp = state.stamp
    old = previous.manifest.incremental if previous.manifest else {}
    if previous.manifest is None or any(old.get(key) != stamp[key] for key in ("pipeline", "sidecar")):
        documents, report = pipeline.ingest_corpus(corpus_dir, progress=progress, listing=state.listing)
        return documents, report, {"mode": "full", "reprocessed": len(documents), **stamp}
    from tqdm import tqdm

    documents: list[Document] = []
    report = IngestReport(skipped=list(state.listing.skipped))
    reused = 0
    results: dict[str, Document | IngestProblem] = {}
    jobs = []
    for file in state.listing.files:
        source, doc_id = file.source, state.ids[file.source]
        old_doc = previous.documents.get(source)
        if old_doc is not None and old_doc.content_hash == state.hashes[source] and old_doc.doc_id == doc_id:
            results[source] = old_doc
            reused += 1
        else:
            jobs.append((file.path, source, doc_id))
    reprocessed = len(jobs)
    results.update(tqdm(pipeline.ingest_files(jobs, corpus_dir, pipeline.sidecar_of(corpus_dir)), total=len(jobs),
                        desc="ingest", unit="file", disable=not progress))
    for file in state.listing.files:  # the listing's order, reused and re-ingested documents alike
        result = results[file.source]
        if isinstance(result, IngestProblem):
            report.problems.append(result)
        else:
            documents.append(result)
            report.processed.append(file.source)
    pipeline.resolve_references(documents)
    pipeline.record_ocr(report, documents)  # reused documents keep their OCR pages in the report
    removed = sorted(set(previous.documents) - {doc.source for doc in documents})
    return documents, report, {"mode": "incremental", "reused": reused, "reprocessed": reprocessed,
                               "removed": removed, **stamp}


def _heading_text(clause: Clause) -> str:
    return "\n".join(clause.headings)


def clause_terms(clauses: list[Clause], cache: SegmentCache, progress: bool,
                 workers: int | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """(body terms, heading terms) for every clause; Vietnamese text is segmented through the cache (in
    `workers` processes; None: by the number of texts)."""
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
    words = dict(zip(vi_texts, cache.segment_many(vi_texts, progress=progress, workers=workers), strict=True))
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


def count_rows(terms: list[list[str]], vocab: list[str], index: dict[str, int]) -> Any:
    """CSR term-frequency rows of tokenised clauses; unseen terms are appended to `vocab`/`index` in the order
    they first occur. Counted in numpy (one id per term occurrence, duplicates summed by scipy) rather than
    a Counter per clause: the VLC's two fields in 2.2 s instead of 3.7 s."""
    from itertools import chain

    from scipy import sparse

    flat = list(chain.from_iterable(terms))
    for term in dict.fromkeys(flat):
        if term not in index:
            index[term] = len(vocab)
            vocab.append(term)
    ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int32, count=len(flat))
    rows = np.repeat(np.arange(len(terms), dtype=np.int32), np.fromiter(map(len, terms), dtype=np.int64,
                                                                          count=len(terms)))
    counts = sparse.csr_matrix((np.ones(len(flat), dtype=np.int32), (rows, ids)), shape=(len(terms), len(vocab)))
    counts.sum_duplicates()  # sorts each row's terms too
    return sparse.csr_matrix((counts.data.astype(np.int32), counts.indices.astype(np.int32),
                              counts.indptr.astype(np.int64)), shape=counts.shape)


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
    # Compressed: 67 MB → 6.5 MB on the VLC (term counts and indices repeat), 1.6 s to write, 0.18 s to read.
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)


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


def _encode(documents: list[Document], previous: Previous, encoder: Encoder, progress: bool,
            encoded: dict[str, np.ndarray]) -> DenseRows:
    """One vector per clause, keyed by clause and passage: reused where the previous version has the same
    passage, taken from `encoded` (by passage key) or encoded (the model is loaded only when something
    needs encoding)."""
    def encode(texts: list[str], languages: list[str]) -> np.ndarray:
        keys = [passage_key(text, language) for text, language in zip(texts, languages, strict=True)]
        missing = [row for row, key in enumerate(keys) if key not in encoded]
        if len(missing) == len(texts):
            return encoder.encode_passages(texts, progress=progress, languages=languages)
        rows = np.zeros((len(texts), len(next(iter(encoded.values())))), dtype=np.float32)
        for row, key in enumerate(keys):
            if key in encoded:
                rows[row] = encoded[key]
        if missing:
            rows[missing] = encoder.encode_passages([texts[row] for row in missing], progress=progress,
                                                    languages=[languages[row] for row in missing])
        return rows

    return assemble(documents, previous.vectors, previous.full_document, encode, lambda: encoder.dimension)


def _dense_index(rows: DenseRows, previous: Previous) -> tuple[Any, str]:
    """The previous HNSW index renumbered with the new vectors added, else a fresh index."""
    from indexer import embed

    if previous.faiss is not None and previous.vectors is not None and len(rows.matrix) > embed.HNSW_THRESHOLD:
        position_map, added = hnsw_renumbering(rows.origin, len(previous.vectors.keys))
        index = embed.update_hnsw(previous.faiss, position_map, rows.matrix[added], added)
        if index is not None:
            return index, "hnsw"
    return build_faiss(rows.matrix)


def _write_report(build_dir: Path, report: IngestReport) -> str:
    """The ingest report, as JSON and as text, inside the new version; returns the text."""
    from indexer import pipeline

    pipeline.write_report(report, build_dir / REPORT_FILE)
    text = pipeline.format_report(report)
    (build_dir / REPORT_TEXT).write_text(text + "\n", encoding="utf-8")
    return text


def _live(index_dir: Path) -> tuple[Path, mf.Manifest]:
    """The live version and its manifest, files at their recorded sizes (raises an IndexError_)."""
    return mf.open_version(index_dir)


def index_staleness(corpus_dir: Path | str, index_dir: Path | str, *, need_dense: bool = False,
                    model: str | None = None) -> str | None:
    """Why the live index at `index_dir` does not reflect `corpus_dir` (None when it does).

    The reasons are `indexer.state.changes`: files (by sha256 and doc_id; files the last build rejected
    count as changed only when their bytes change, so an empty file does not force endless rebuilds),
    skipped paths, ingestion code and metadata, and with `need_dense` the model. A damaged live version
    is stale too, so `serve --corpus` rebuilds it.
    """
    try:
        _directory, manifest = _live(Path(index_dir))
    except mf.IndexNotFound:
        return f"no index at {index_dir}"
    except mf.IndexError_ as error:
        return f"no usable index at {index_dir} ({error})"
    reasons = changes(corpus_state(Path(corpus_dir).resolve()), manifest, dense=True if need_dense else None,
                      model=model)
    return "; ".join(reasons) or None


def ensure_index(corpus_dir: Path | str, index_dir: Path | str, *, dense: bool = True, model: str | None = None,
                 progress: bool = False, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build (incrementally) the index of `corpus_dir` at `index_dir` unless it is current.

    Waits for another process writing the same index, then looks again. Returns `{"built": False}`, or
    what the build did: its reason, seconds, counts and stage timings.
    """
    reason = index_staleness(corpus_dir, index_dir, need_dense=dense, model=model)
    if reason is None:
        return {"built": False}
    if log is not None:
        log(f"building {index_dir} from {corpus_dir}: {reason}")
    started = time.perf_counter()
    result = build_index(corpus_dir, index_dir, dense=dense, model=model, progress=progress, wait=True, on_wait=log)
    if not result["published"]:
        return {"built": False}
    return {"built": True, "reason": reason, "seconds": round(time.perf_counter() - started, 1),
            "counts": result.get("counts", {}), "timings": result.get("timings", {})}


def build_index(corpus_dir: Path | str, index_dir: Path | str, *, dense: bool = True, model: str | None = None,
                progress: bool = True, rebuild: bool = False, wait: bool | float = False,
                on_wait: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build `index_dir` from `corpus_dir` atomically; returns the manifest as a dict, with `published`
    (False: nothing changed, no version written), `changes` (why it was built) and `report_text`.

    Unchanged documents of the live version are reused (`rebuild`: nothing is, the live version may be
    damaged); a build killed midway leaves that version live. Holds the writer lock: another writer makes
    it fail at once with IndexLocked, or wait (`wait` True or seconds).
    """
    corpus_dir, index_dir = Path(corpus_dir).resolve(), Path(index_dir)
    model_name = (model or default_model_name()) if dense else None
    with mf.writer_lock(index_dir, wait=wait, on_wait=on_wait):
        timings: dict[str, float] = {}
        started = time.perf_counter()
        state = corpus_state(corpus_dir)
        reasons, reusable = (["--rebuild"], False) if rebuild else _build_reasons(index_dir, state, dense, model_name)
        if not reasons:
            return _unchanged(index_dir, started)
        previous = _load_previous(index_dir, model_name) if reusable else Previous()
        timings["load_previous"] = time.perf_counter() - started

        mark = time.perf_counter()
        documents, report, incremental = _ingest(corpus_dir, state, previous, progress)
        timings["parse"] = time.perf_counter() - mark

        result = write_index(documents, report, index_dir, dense=dense, model_name=model_name, progress=progress,
                             previous=previous, incremental=incremental, corpus_dir=corpus_dir, timings=timings,
                             started=started, state=state)
        result["changes"] = reasons
        return result


def _build_reasons(index_dir: Path, state: CorpusState, dense: bool,
                   model_name: str | None) -> tuple[list[str], bool]:
    """Why to build (empty: nothing to do), and whether the live version can give the build anything."""
    try:
        _directory, manifest = _live(index_dir)
    except mf.IndexNotFound:
        return ["no index yet"], False
    except mf.IndexError_ as error:  # damaged, or another format: built from scratch
        return [f"the live version is unusable ({error})"], False
    return changes(state, manifest, dense=dense, model=model_name), True


def _unchanged(index_dir: Path, started: float) -> dict[str, Any]:
    """What a build that found nothing to do returns: the live manifest, unpublished."""
    directory, manifest = _live(index_dir)
    result = manifest.to_dict()
    try:
        result["report_text"] = (directory / REPORT_TEXT).read_text(encoding="utf-8").rstrip("\n")
    except OSError:
        result["report_text"] = ""
    result.update(published=False, changes=[], version=directory.name,
                  seconds=round(time.perf_counter() - started, 3))
    return result


def write_index(documents: list[Document], report: IngestReport, index_dir: Path, *, dense: bool,
                model_name: str | None, progress: bool = False, previous: Previous | None = None,
                incremental: dict[str, Any] | None = None, corpus_dir: Path | None = None,
                timings: dict[str, float] | None = None, started: float | None = None,
                state: CorpusState | None = None, prepared: Prepared | None = None) -> dict[str, Any]:
    """Index already-ingested documents into a new version of `index_dir` and make it live atomically
    (under the writer lock, which the caller may already hold); `prepared`: work done for it beforehand."""
    previous = previous or Previous()
    timings = timings if timings is not None else {}
    started = started if started is not None else time.perf_counter()
    documents = sorted(documents, key=lambda d: d.doc_id)
    with mf.writer_lock(index_dir):
        build_dir = mf.new_build_dir(index_dir)
        try:
            return _build_version(documents, report, incremental or {"mode": "full"}, previous, build_dir,
                                  index_dir, corpus_dir or Path("."), dense, model_name, progress, timings, started,
                                  state, prepared or Prepared())
        except BaseException:
            import shutil

            shutil.rmtree(build_dir, ignore_errors=True)  # an error (not a kill) leaves nothing behind
            raise


def _term_rows(documents: list[Document], previous: Previous, build_dir: Path, progress: bool,
               segments: dict[str, list[str]]) -> tuple[dict[str, TermRows], SegmentCache]:
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
        for key, words in segments.items():
            cache.entries.setdefault(key, words)
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
        cache.append_new(build_dir / CACHE_FILE, known)
    else:
        cache.save(build_dir / CACHE_FILE)
    return fields, cache


def _write_documents(build_dir: Path, documents: list[Document], previous: Previous) -> ClauseTable:
    """The store (unchanged documents' rows copied from the previous one), the clause table and the clause
    texts beside it; returns the table."""
    reused = {doc.doc_id: previous.positions[doc.source][0] for doc in documents
              if previous.store is not None and previous.reused(doc)}
    write_store(build_dir / STORE_FILE, documents, reused, previous.store.path if previous.store else None)
    table = table_of_store(build_dir / STORE_FILE, build_dir / TEXTS_FILE)
    table.save(build_dir / TABLE_FILE)
    return table


def unit_rows(units: np.ndarray) -> np.ndarray:
    """Each clause's row in the reading-unit field: units numbered in the order of their positions."""
    return np.unique(units, return_inverse=True)[1].astype(np.int64)


def unit_counts(counts: Any, units: np.ndarray) -> Any:
    """Term counts per reading unit (`units`: each clause's unit, the clause table's): its clauses' rows summed."""
    from scipy import sparse

    rows = unit_rows(units)
    size = int(rows.max()) + 1 if len(rows) else 0
    member = sparse.csr_matrix((np.ones(len(rows), dtype=counts.dtype), (rows, np.arange(len(rows)))),
                               shape=(size, len(rows)))
    return (member @ counts.tocsr()).tocsr()


def check_version(documents: list[Document], counts: list[int], entries: dict[str, mf.DocumentEntry],
                  fields: dict[str, TermRows], bm25_rows: list[int]) -> None:
    """The lexical side's invariants: one id per document and per clause, one BM25 row per clause."""
    from indexer.pipeline import url_form

    def first_repeat(values: list[str]) -> str | None:
        seen: set[str] = set()
        return next((value for value in values if value in seen or seen.add(value)), None)

    ids = [doc.doc_id for doc in documents]
    for what, values in (("document id", ids), ("source", [doc.source for doc in documents]),
                         ("clause id prefix", [url_form(doc_id) for doc_id in ids])):
        repeated = first_repeat(values)
        if repeated is not None:
            raise IndexInvariantError(f"two documents share the {what} {repeated!r}")
    if len(entries) != len(documents):
        raise IndexInvariantError(f"the manifest lists {len(entries)} documents for {len(documents)}")
    total = sum(counts)
    for name, rows in (*((f"{n} term rows", r.counts.shape[0]) for n, r in fields.items()),
                       *((f"BM25 field {i}", n) for i, n in enumerate(bm25_rows))):
        if rows != total:
            raise IndexInvariantError(f"{name}: {rows} rows for {total} clauses")
    for doc, count in zip(documents, counts, strict=True):
        if not doc.clauses:
            continue  # a light document: its clauses were checked when its version was built
        prefix = url_form(doc.doc_id) + ":"
        clause_ids = [clause.id for clause in doc.clauses]
        if len(clause_ids) != count or first_repeat(clause_ids) is not None \
                or not all(c.id.startswith(prefix) and c.doc_id == doc.doc_id for c in doc.clauses):
            raise IndexInvariantError(f"the clauses of {doc.doc_id} do not have ids of their own")


def _build_version(documents: list[Document], report: IngestReport, incremental: dict[str, Any],
                   previous: Previous, build_dir: Path, index_dir: Path, corpus_dir: Path, dense: bool,
                   model_name: str | None, progress: bool, timings: dict[str, float],
                   started: float, state: CorpusState | None, prepared: Prepared) -> dict[str, Any]:
    counts = [previous.clause_count(doc) for doc in documents]
    clause_total = sum(counts)
    entries = {d.doc_id: mf.DocumentEntry(d.source, d.content_hash, count) for d, count in zip(documents, counts,
                                                                                              strict=True)}

    mark = time.perf_counter()
    fields, cache = _term_rows(documents, previous, build_dir, progress, prepared.segments)
    timings["segment"] = time.perf_counter() - mark

    mark = time.perf_counter()
    body = bm25_from_counts(fields["body"].counts, fields["body"].vocab, prepared.statistics.get("body"))
    body.save(str(build_dir / BODY_DIR))
    head_kept, head_rows = distinct_rows(fields["head"].counts)
    head = bm25_from_counts(fields["head"].counts, fields["head"].vocab, prepared.statistics.get("head"),
                            keep=head_kept)
    compact_impacts(head).save(str(build_dir / HEAD_DIR))
    np.save(build_dir / HEAD_DIR / HEAD_ROWS_FILE, head_rows)
    timings["bm25"] = time.perf_counter() - mark
    check_version(documents, counts, entries, fields, [int(body.scores["num_docs"]), len(head_rows)])
    if len(head_rows) and int(head_rows.max()) >= int(head.scores["num_docs"]):
        raise IndexInvariantError("a clause's heading row is beyond the heading field's rows")

    model_info = None
    if dense:
        mark = time.perf_counter()
        encoder = Encoder(model_name)
        rows = _encode(documents, previous, encoder, progress, prepared.vectors)
        timings["encode"] = time.perf_counter() - mark
        mark = time.perf_counter()
        index, kind = _dense_index(rows, previous)
        timings["faiss"] = time.perf_counter() - mark
        mark = time.perf_counter()
        try:
            # the sample re-encoding loads the model if nothing else did: a vector reused for a changed
            # document is checked against its text, whatever it costs
            check_rows(rows, documents, counts, index, previous.full_document,
                       lambda texts, languages: encoder.encode_passages(texts, languages=languages))
        except VectorKeyError as error:
            raise IndexInvariantError(f"build stopped, the live version is unchanged: {error}") from error
        timings["check"] = time.perf_counter() - mark
        save_faiss(index, build_dir / FAISS_FILE)
        rows.keys.save(build_dir / VECTOR_KEYS_FILE)
        model_info = {"name": encoder.name, "path": str(encoder.spec.path), "dimension": int(rows.matrix.shape[1]),
                      "fingerprint": model_fingerprint(encoder.name), "prompts": encoder.spec.prompts,
                      "languages": list(encoder.spec.languages), "faiss": kind, "encoded": rows.encoded,
                      **({"graph": graph_parameters()} if kind == "hnsw" else {})}

    mark = time.perf_counter()
    table = _write_documents(build_dir, documents, previous)
    units = bm25_from_counts(unit_counts(fields["body"].counts, table.unit), fields["body"].vocab,
                             prepared.statistics.get(UNIT_FIELD), b=UNIT_B)
    compact_impacts(units).save(str(build_dir / UNIT_DIR))
    report_text = _write_report(build_dir, report)
    hashes = state.hashes if state is not None else {}
    manifest = mf.Manifest(
        format_version=mf.FORMAT_VERSION,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        corpus_dir=str(corpus_dir),
        model=model_info,
        bm25={**BM25_PARAMS, "head_weight": HEAD_WEIGHT, "unit_b": UNIT_B,
              **({"collection_clauses": prepared.statistics["body"].n_docs} if prepared.statistics else {})},
        documents=entries,
        counts={"documents": len(documents), "clauses": clause_total, "vocabulary": len(body.vocab_dict),
                "problems": len(report.problems), "skipped": len(report.skipped),
                "segment_cache_hits": cache.hits, "segment_cache_misses": cache.misses},
        timings={},
        incremental=incremental,
        rejected={problem.source: hashes.get(problem.source) for problem in report.problems},
        skipped=[[skipped.path, skipped.reason] for skipped in report.skipped],
    )
    manifest.files = mf.file_table(build_dir)
    timings["write"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    manifest.timings = {stage: round(seconds, 3) for stage, seconds in timings.items()}
    mf.write_manifest(build_dir, manifest)
    final = mf.publish(index_dir, build_dir)
    result = manifest.to_dict()
    result.update(report_text=report_text, published=True, version=final.name)
    return result
