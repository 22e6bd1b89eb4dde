"""Loaders: one source file -> decoded (or extracted) text, its format, encoding and content hash.

Libraries, each the maintained standard for its format:
- text encodings: charset-normalizer (statistical detection incl. UTF-16 and windows-1258);
- HTML: trafilatura (main-text extraction without menus/comments, plus page metadata);
- PDF: pypdf (pure Python, raises on truncated/corrupt files so we can report them);
- DOCX: python-docx (paragraphs and table cells in document order).

Anything that cannot be read raises `LoadError(problem, detail)`; the pipeline turns it into an
`IngestProblem` and goes on with the next file.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPPORTED_SUFFIXES = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}

# Share of control characters (other than tab/newline/CR/form feed) above which decoded text is binary.
MAX_CONTROL_RATIO = 0.02
# Share of undecodable/unprintable characters above which a "text" decoding is rejected as garbage.
MAX_REPLACEMENT_RATIO = 0.01
# charset-normalizer "chaos" (mess ratio) above which we call the encoding undecidable.
MAX_CHAOS = 0.25
ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}
# Unicode category Cc (C0, DEL, C1) less the allowed ones, as one character class: no per-character loop.
CONTROL_CHARS = re.compile("[" + "".join(
    re.escape(chr(c)) for c in [*range(32), *range(127, 160)] if chr(c) not in ALLOWED_CONTROLS) + "]")
CONTROL_BYTES = bytes(b for b in range(32) if chr(b) not in ALLOWED_CONTROLS)


class LoadError(Exception):
    """A file that cannot be turned into text: `problem` is one of IngestProblem.problem's values."""

    def __init__(self, problem: str, detail: str) -> None:
        super().__init__(f"{problem}: {detail}")
        self.problem = problem
        self.detail = detail


@dataclass(slots=True)
class LoadedFile:
    text: str
    format: str
    encoding: str | None
    content_hash: str
    # Metadata the container itself carries (HTML <title>/date/url, PDF /Title, DOCX core properties).
    container_meta: dict[str, Any] = field(default_factory=dict)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_format(path: Path) -> str | None:
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


def load_file(path: Path) -> LoadedFile:
    """Read and decode/extract one file. Raises LoadError for empty/binary/corrupt/unsupported files."""
    fmt = file_format(path)
    if fmt is None:
        raise LoadError("unsupported", f"extension {path.suffix or '(none)'!r} is not one of {sorted(SUPPORTED_SUFFIXES)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError("unreadable", str(exc)) from exc
    if not data.strip():
        raise LoadError("empty", "file has no content" if not data else "file holds only whitespace")
    digest = content_hash(data)
    loader = LOADERS[fmt]
    text, encoding, meta = loader(data)
    if not text.strip():
        raise LoadError("empty", f"no text could be extracted from the {fmt} file")
    return LoadedFile(text=text, format=fmt, encoding=encoding, content_hash=digest, container_meta=meta)


# --- plain text -----------------------------------------------------------------------------------------

BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def control_ratio(text: str) -> float:
    if not text:
        return 0.0
    return len(CONTROL_CHARS.findall(text)) / len(text)


def looks_binary(data: bytes) -> bool:
    """NUL bytes outside a UTF-16 BOM'd file, or many control bytes, mean binary."""
    if any(data.startswith(bom) for bom, name in BOMS if name == "utf-16"):
        return False
    sample = data[:65536]
    if b"\x00" in sample:
        # UTF-16 without BOM has NULs in every other byte of ASCII text; let detection try it.
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = max(1, len(sample) // 2)
        return not (max(even_nuls, odd_nuls) > 0.3 * half and min(even_nuls, odd_nuls) < 0.05 * half)
    controls = len(sample) - len(sample.translate(None, CONTROL_BYTES))
    return controls / max(1, len(sample)) > MAX_CONTROL_RATIO


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes to NFC text; returns (text, encoding name). Raises LoadError."""
    for bom, name in BOMS:
        if data.startswith(bom):
            try:
                return reject_binary(data.decode(name)), name
            except UnicodeDecodeError as exc:
                raise LoadError("undecidable-encoding", f"{name} BOM but invalid {name}: {exc}") from exc
    if looks_binary(data):
        raise LoadError("binary", "NUL or control bytes: not a text file")
    try:
        return reject_binary(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # lazy: only legacy encodings need it

    best = from_bytes(data).best()
    if best is None or best.chaos > MAX_CHAOS:
        detail = "no candidate encoding" if best is None else f"best guess {best.encoding} too messy ({best.chaos:.2f})"
        raise LoadError("undecidable-encoding", detail)
    # windows-1258 writes tone marks as combining characters; NFC composes them into the usual letters,
    # so the decoded text reads like any UTF-8 Vietnamese file.
    return reject_binary(unicodedata.normalize("NFC", str(best))), best.encoding


def reject_binary(text: str) -> str:
    """UTF-8/UTF-16 text is kept exactly as decoded (offsets stay those of the file)."""
    if control_ratio(text) > MAX_CONTROL_RATIO:
        raise LoadError("binary", "decoded text is mostly control characters")
    return text


def load_text(data: bytes) -> tuple[str, str | None, dict[str, Any]]:
    text, encoding = decode_text(data)
    return text, encoding, {}


# --- HTML -----------------------------------------------------------------------------------------------


def load_html(data: bytes) -> tuple[str, str | None, dict[str, Any]]:
    import trafilatura

    html, encoding = decode_text(data)
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if not text:
        raise LoadError("empty", "trafilatura found no main text in the HTML page")
    meta: dict[str, Any] = {}
    page = trafilatura.extract_metadata(html)
    if page is not None:
        for key in ("title", "date", "url", "sitename", "author"):
            value = getattr(page, key, None)
            if value:
                meta[key] = value
    return unicodedata.normalize("NFC", text), encoding, meta


# --- PDF ------------------------------------------------------------------------------------------------

TRUNCATION_HINTS = ("eof", "startxref", "trailer", "xref", "truncat", "stream ended", "unexpected end")


def load_pdf(data: bytes) -> tuple[str, str | None, dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip().startswith(b"%PDF"):
        raise LoadError("unreadable", "no %PDF header")
    if b"%%EOF" not in data[-2048:]:
        raise LoadError("truncated", "no %%EOF marker at the end of the PDF")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        message = str(exc)
        problem = "truncated" if any(h in message.lower() for h in TRUNCATION_HINTS) else "unreadable"
        raise LoadError(problem, f"pypdf: {message}") from exc
    meta = {key.lstrip("/").lower(): str(value) for key, value in dict(info).items() if value}
    # Form feed between pages keeps page boundaries visible to cleaning (page-number lines).
    return unicodedata.normalize("NFC", "\n\f".join(pages)), None, meta


# --- DOCX -----------------------------------------------------------------------------------------------


def load_docx(data: bytes) -> tuple[str, str | None, dict[str, Any]]:
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        problem = "truncated" if isinstance(exc, zipfile.BadZipFile) else "unreadable"
        raise LoadError(problem, f"python-docx: {exc}") from exc
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    # Body order: paragraphs and tables interleaved as in the document; a table row is one line.
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                lines.append(" | ".join(cell.text.replace("\n", " ") for cell in row.cells))
    props = document.core_properties
    meta = {k: str(v) for k, v in {"title": props.title, "author": props.author, "date": props.created}.items() if v}
    return unicodedata.normalize("NFC", "\n".join(lines)), None, meta


LOADERS = {"txt": load_text, "md": load_text, "html": load_html, "pdf": load_pdf, "docx": load_docx}
