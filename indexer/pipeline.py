"""Ingestion pipeline: files -> Documents (load -> clean -> metadata + sidecar -> clauses -> references).

    documents, report = ingest_corpus(Path("corpus"))       # every file under the corpus root
    document = ingest_file(Path("corpus/seeds/003_….txt"), Path("corpus"))   # one file; raises LoadError

A file that cannot be processed is not fatal: `ingest_corpus` records an `IngestProblem` (empty, binary,
undecidable-encoding, truncated, unreadable, unsupported, parse-error, ocr-unavailable) and goes on. Paths that walking
does not hand on (hidden, links out of the corpus, duplicates, …; `indexer.load.walk_corpus`) are listed in
the report's `skipped`; the metadata sidecar (`metadata.json`, see `indexer.metadata`) is read, not indexed.

Document identity (`assign_doc_ids`): a document's id is its file name without the extension where that
is unique in the corpus (so ids stay short and the shared evaluation files keep working), else its
relative path without the extension, else its relative path; ids are NFC and unique even in the URL-safe
form that prefixes clause ids, and the same files always get the same ids.
Pages read by OCR are listed in the report with Tesseract's confidence (`record_ocr`).
"""

from __future__ import annotations

import json
import logging
import os
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from indexer.clean import clean_text
from indexer.load import CorpusListing, LoadError, load_file, name_text, printable, walk_corpus
from indexer.metadata import SIDECAR_NAME, apply_sidecar, extract_metadata, load_sidecar
from indexer.model import Document, DocumentMeta, IngestProblem, IngestReport, OcrPage
from indexer.references import attach_clauses, find_references, resolve_references
from indexer.structure import UNSAFE_IN_ID

log = logging.getLogger(__name__)


def corpus_listing(corpus_root: Path) -> CorpusListing:
    """The files of a corpus (each once, sorted by source) and the paths skipped, with reasons."""
    return walk_corpus(Path(corpus_root), reserved=frozenset({SIDECAR_NAME}))


def corpus_files(corpus_root: Path) -> list[Path]:
    """Every file the corpus holds (unsupported ones included), in source order."""
    return [file.path for file in corpus_listing(corpus_root).files]


def source_of(path: Path, corpus_root: Path) -> str:
    """The source name of a file given by path: relative to the corpus root as given (not resolved, so a
    file reached through a link keeps the link's path), in the form `walk_corpus` writes."""
    path, root = Path(os.path.abspath(path)), Path(os.path.abspath(corpus_root))
    try:
        relative = path.relative_to(root)
    except ValueError:
        try:
            relative = path.resolve().relative_to(root.resolve())
        except ValueError:
            relative = Path(path.name)
    return "/".join(name_text(part) for part in relative.parts)


# --- document identity ---------------------------------------------------------------------------------


# The ids a document may get, in order of preference; the first that no other file of the corpus shares wins.
ID_LEVELS = ("file name without its extension", "relative path without the extension", "relative path")


def id_candidates(source: str) -> tuple[str, str, str]:
    """The document's candidate ids, one per ID_LEVELS entry."""
    path = PurePosixPath(source)
    return path.stem, str(path.with_suffix("")) if path.suffix else source, source


def url_form(doc_id: str) -> str:
    """The id as clause ids and URLs carry it (parse.py prefixes clause ids with this form)."""
    return UNSAFE_IN_ID.sub("-", doc_id)


def assign_doc_ids(sources: Iterable[str]) -> dict[str, str]:
    """source -> doc_id for a whole corpus: unique, NFC, and the same for the same set of files."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    pending = sorted({unicodedata.normalize("NFC", source) for source in sources})
    for level in range(len(ID_LEVELS)):
        names = {source: id_candidates(source)[level] for source in pending}
        counts = Counter(url_form(name) for name in names.values())
        left = []
        for source in pending:
            key = url_form(names[source])
            if counts[key] == 1 and key not in taken:
                ids[source] = names[source]
                taken.add(key)
            else:
                left.append(source)
        pending = left
    for source in pending:  # equal even as paths once URL-safe: "a b.txt" beside "a-b.txt"
        doc_id, number = source, 1
        while url_form(doc_id) in taken:
            number += 1
            doc_id = f"{source}~{number}"
        ids[source] = doc_id
        taken.add(url_form(doc_id))
    return ids


def sidecar_of(corpus_root: Path) -> dict[str, dict[str, Any]]:
    """The metadata sidecar with NFC keys, so an entry matches whatever normalisation the file name has."""
    return {unicodedata.normalize("NFC", key): value for key, value in load_sidecar(Path(corpus_root)).items()}


def document_meta(text: str, cleaned, source: str, doc_id: str, corpus_root: Path,
                  container_meta: dict, sidecar: dict | None = None) -> DocumentMeta:
    meta = extract_metadata(text, cleaned)
    # What the container says (HTML page metadata) fills gaps the text leaves.
    if not meta.title and container_meta.get("title"):
        meta.title = str(container_meta["title"])
    if not meta.source_url and container_meta.get("url"):
        meta.source_url = str(container_meta["url"])
    if sidecar is None:
        sidecar = sidecar_of(corpus_root)
    return apply_sidecar(meta, sidecar, source, doc_id)


def ingest_file(path: Path, corpus_root: Path, sidecar: dict | None = None, *, doc_id: str | None = None,
                source: str | None = None) -> Document:
    """One file -> Document with clauses and (unresolved) references. Raises LoadError.

    `doc_id` and `source` are what the corpus gives the file (`assign_doc_ids`, `walk_corpus`); alone, a
    file is known by its (NFC) stem and its path relative to `corpus_root`.
    """
    from indexer.parse import parse_clauses  # owned by the clause parser; imported here to keep the CLI light

    path, corpus_root = Path(path), Path(corpus_root)
    source = source if source is not None else source_of(path, corpus_root)
    doc_id = doc_id if doc_id is not None else id_candidates(source)[0]
    loaded = load_file(path)
    cleaned = clean_text(loaded.text)
    meta = document_meta(loaded.text, cleaned, source, doc_id, corpus_root, loaded.container_meta, sidecar)
    if meta.language != cleaned.language:
        cleaned = clean_text(loaded.text, language=meta.language)
    try:
        clauses = parse_clauses(doc_id, loaded.text, cleaned, meta, loaded.pages)
    except Exception as exc:  # a parser bug on one file must not stop a corpus build
        log.exception("parse failed for %s", source)
        raise LoadError("parse-error", f"{type(exc).__name__}: {exc}") from exc
    references = find_references(loaded.text, cleaned)
    attach_clauses(references, clauses)
    return Document(
        doc_id=doc_id,
        source=source,
        content_hash=loaded.content_hash,
        format=loaded.format,
        encoding=loaded.encoding,
        text=loaded.text,
        meta=meta,
        clauses=clauses,
        references=references,
        repair=cleaned.repair_summary,
        excluded=cleaned.excluded,
        pages=loaded.pages,
    )


def ingest_corpus(corpus_root: Path, progress: bool = True,
                  listing: CorpusListing | None = None) -> tuple[list[Document], IngestReport]:
    """Every supported file under `corpus_root` -> Documents; problems go into the report, never raise.

    `listing`: the corpus as already walked (a build walks it once to see what changed)."""
    from tqdm import tqdm

    corpus_root = Path(corpus_root)
    listing = listing if listing is not None else corpus_listing(corpus_root)
    ids = assign_doc_ids(file.source for file in listing.files)
    report = IngestReport(skipped=list(listing.skipped))
    documents: list[Document] = []
    jobs = [(file.path, file.source, ids[file.source]) for file in listing.files]
    for source, result in tqdm(ingest_files(jobs, corpus_root, sidecar_of(corpus_root)), total=len(jobs),
                               desc="ingest", unit="file", disable=not progress):
        if isinstance(result, IngestProblem):
            report.problems.append(result)
            continue
        documents.append(result)
        report.processed.append(source)
    resolve_references(documents)
    record_ocr(report, documents)
    return documents, report


# Files from which ingestion runs in worker processes (one per core, at most 4, as segmentation does): below
# it, starting them costs more than they save. The VLC's 208 laws take 26 s in one process.
PARALLEL_MIN_FILES = 16


def ingest_job(job: tuple[Path, str, str], corpus_root: Path, sidecar: dict) -> Document | IngestProblem:
    """One (path, source, doc_id): its Document, or the IngestProblem a file that cannot be read gives."""
    path, source, doc_id = job
    try:
        return ingest_file(path, corpus_root, sidecar, doc_id=doc_id, source=source)
    except LoadError as error:  # an IngestProblem pickles; a LoadError (two-argument init) would not
        return problem_of(source, error)


def ingest_files(jobs: list[tuple[Path, str, str]], corpus_root: Path,
                 sidecar: dict) -> Iterable[tuple[str, Document | IngestProblem]]:
    """(source, its Document or IngestProblem) for each (path, source, doc_id), in order; in worker
    processes when there are many files."""
    from functools import partial

    work = partial(ingest_job, corpus_root=Path(corpus_root), sidecar=sidecar)
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_MIN_FILES or workers <= 1:
        yield from ((job[1], work(job)) for job in jobs)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from zip((job[1] for job in jobs), pool.map(work, jobs, chunksize=2), strict=True)


def record_ocr(report: IngestReport, documents: list[Document]) -> IngestReport:
    """List every OCR'd page of `documents` (new or reused by an incremental build) in the report."""
    for document in documents:
        pages = [OcrPage(page.number, page.confidence or 0.0, page.words) for page in document.pages
                 if page.method == "ocr"]
        if pages:
            report.ocr[document.source] = pages
    return report


def problem_of(source: str, error: LoadError) -> IngestProblem:
    return IngestProblem(source, error.problem, printable(error.detail))


# --- report -------------------------------------------------------------------------------------------

LOW_OCR_CONFIDENCE = 70.0  # below this mean word confidence a page's OCR text deserves a look


def write_report(report: IngestReport, path: Path) -> Path:
    """Write the ingest report as JSON (`path` may be a directory: then `ingest_report.json` inside it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "ingest_report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    return path


def format_report(report: IngestReport) -> str:
    """Human-readable report: counts, then the pages read by OCR, one line per problem file and per
    skipped path."""
    from indexer.load import SKIP_REASONS

    lines = [f"Ingested {len(report.processed)} file(s); {len(report.problems)} problem(s); "
             f"{len(report.skipped)} path(s) skipped."]
    if report.ocr:
        lines.append("Read by OCR (Tesseract's mean word confidence per page, 0-100):")
        width = max(len(source) for source in report.ocr)
        for source, pages in sorted(report.ocr.items()):
            shown = ", ".join(f"p. {page.page}: {page.confidence:.1f}" for page in pages)
            low = [page.page for page in pages if page.confidence < LOW_OCR_CONFIDENCE]
            warning = f"  check pages {', '.join(map(str, low))}: low confidence" if low else ""
            lines.append(f"  {source.ljust(width)}  {shown}{warning}")
    if report.problems:
        width = max(len(problem.source) for problem in report.problems)
        lines.append("Problems (not indexed):")
        lines.extend(
            f"  {problem.source.ljust(width)}  {problem.problem:<20} {problem.detail}" for problem in report.problems
        )
    if report.skipped:
        width = max(len(skipped.path) for skipped in report.skipped)
        lines.append("Skipped paths:")
        lines.extend(f"  {skipped.path.ljust(width)}  {skipped.reason:<20} {skipped.detail or SKIP_REASONS[skipped.reason]}"
                     for skipped in report.skipped)
    return "\n".join(lines)
