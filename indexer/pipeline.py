"""Ingestion pipeline: files -> Documents (load -> clean -> metadata + sidecar -> clauses -> references).

    documents, report = ingest_corpus(Path("corpus"))       # every file under the corpus root
    document = ingest_file(Path("corpus/seeds/003_….txt"), Path("corpus"))   # one file; raises LoadError

A file that cannot be processed is not fatal: `ingest_corpus` records an `IngestProblem` (empty, binary,
undecidable-encoding, truncated, unreadable, unsupported, parse-error, ocr-unavailable) and goes on.
Skipped silently: hidden files/folders and the metadata sidecar (`metadata.json`, see `indexer.metadata`).
Pages read by OCR are listed in the report with Tesseract's confidence (`record_ocr`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from indexer.clean import clean_text
from indexer.load import LoadError, load_file
from indexer.metadata import SIDECAR_NAME, apply_sidecar, extract_metadata, load_sidecar
from indexer.model import Document, DocumentMeta, IngestProblem, IngestReport, OcrPage
from indexer.references import attach_clauses, find_references, resolve_references

log = logging.getLogger(__name__)


def is_skipped(path: Path, corpus_root: Path) -> bool:
    relative = path.relative_to(corpus_root)
    return relative.as_posix() == SIDECAR_NAME or any(part.startswith(".") for part in relative.parts)


def corpus_files(corpus_root: Path) -> Iterator[Path]:
    """Every file the corpus holds, sorted, without hidden files and the sidecar (unsupported ones included)."""
    corpus_root = Path(corpus_root)
    for path in sorted(corpus_root.rglob("*")):
        if path.is_file() and not is_skipped(path, corpus_root):
            yield path


def source_of(path: Path, corpus_root: Path) -> str:
    return Path(path).resolve().relative_to(Path(corpus_root).resolve()).as_posix()


def document_meta(text: str, cleaned, source: str, doc_id: str, corpus_root: Path,
                  container_meta: dict, sidecar: dict | None = None) -> DocumentMeta:
    meta = extract_metadata(text, cleaned)
    # What the container says (HTML page metadata) fills gaps the text leaves.
    if not meta.title and container_meta.get("title"):
        meta.title = str(container_meta["title"])
    if not meta.source_url and container_meta.get("url"):
        meta.source_url = str(container_meta["url"])
    if sidecar is None:
        sidecar = load_sidecar(corpus_root)
    return apply_sidecar(meta, sidecar, source, doc_id)


def ingest_file(path: Path, corpus_root: Path, sidecar: dict | None = None) -> Document:
    """One file -> Document with clauses and (unresolved) references. Raises LoadError."""
    from indexer.parse import parse_clauses  # owned by the clause parser; imported here to keep the CLI light

    path, corpus_root = Path(path), Path(corpus_root)
    source = source_of(path, corpus_root)
    doc_id = path.stem
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


def ingest_corpus(corpus_root: Path, progress: bool = True) -> tuple[list[Document], IngestReport]:
    """Every supported file under `corpus_root` -> Documents; problems go into the report, never raise."""
    from tqdm import tqdm

    corpus_root = Path(corpus_root)
    report = IngestReport()
    documents: list[Document] = []
    sidecar = load_sidecar(corpus_root)
    paths = list(corpus_files(corpus_root))
    for path in tqdm(paths, desc="ingest", unit="file", disable=not progress):
        source = source_of(path, corpus_root)
        try:
            documents.append(ingest_file(path, corpus_root, sidecar))
        except LoadError as error:
            report.problems.append(IngestProblem(source, error.problem, error.detail))
            continue
        report.processed.append(source)
    resolve_references(documents)
    record_ocr(report, documents)
    return documents, report


def record_ocr(report: IngestReport, documents: list[Document]) -> IngestReport:
    """List every OCR'd page of `documents` (new or reused by an incremental build) in the report."""
    for document in documents:
        pages = [OcrPage(page.number, page.confidence or 0.0, page.words) for page in document.pages
                 if page.method == "ocr"]
        if pages:
            report.ocr[document.source] = pages
    return report


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
    """Human-readable report: counts, then one line per problem file."""
    lines = [f"Ingested {len(report.processed)} file(s); {len(report.problems)} problem(s)."]
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
        lines.append("Skipped:")
        lines.extend(
            f"  {problem.source.ljust(width)}  {problem.problem:<20} {problem.detail}" for problem in report.problems
        )
    return "\n".join(lines)
