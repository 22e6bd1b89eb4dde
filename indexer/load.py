"""Loaders: one source file -> decoded (or extracted) text, its format, encoding and content hash.

Libraries, each the maintained standard for its format:
- text encodings: charset-normalizer (statistical detection incl. UTF-16 and windows-1258);
- HTML: trafilatura (main-text extraction without menus/comments, plus page metadata);
- PDF: pypdf (pure Python, raises on truncated/corrupt files so we can report them); a page without a
  text layer (a scan) is rasterised by pypdfium2 and read by Tesseract through pytesseract;
- images (PNG, JPEG, TIFF, one page per frame): Tesseract through pytesseract;
- DOCX: python-docx (paragraphs and table cells in document order);
- legacy Word `.doc`: the system's antiword (catdoc when antiword is missing or refuses the file);
- RTF: striprtf (pure Python; `\\uN` escapes decoded).

OCR is Tesseract with the system's Vietnamese data (`tesseract-ocr`, `tesseract-ocr-vie`; `make setup`
installs them), language `$LEXVN_OCR_LANG` (default `vie`), one page at a time at `OCR_DPI`. Each page's
span and mean word confidence become `indexer.model.Page`s, which the ingest report lists.

Anything that cannot be read raises `LoadError(problem, detail)`; the pipeline turns it into an
`IngestProblem` and goes on with the next file.

Walking a corpus (`walk_corpus`) never raises either: every path it does not hand on (hidden, a link out of
the corpus, a broken link, a second path to the same file, a device or pipe, an unreadable folder) is a
`SkippedPath` with its reason, and every file name becomes text (`name_text`), whatever bytes it holds.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.model import Page, SkippedPath

SUPPORTED_SUFFIXES = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx",
                      ".doc": "doc", ".rtf": "rtf", ".png": "image", ".jpg": "image", ".jpeg": "image",
                      ".tif": "image", ".tiff": "image"}

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
    pages: list[Page] = field(default_factory=list)  # paged formats (pdf, image): each page's span of `text`


@dataclass(slots=True)
class Extracted:
    """What a format's loader returns."""

    text: str
    encoding: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    pages: list[Page] = field(default_factory=list)


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
    extracted = LOADERS[fmt](data)
    if not extracted.text.strip():
        raise LoadError("empty", f"no text could be extracted from the {fmt} file")
    return LoadedFile(text=extracted.text, format=fmt, encoding=extracted.encoding, content_hash=digest,
                      container_meta=extracted.meta, pages=extracted.pages)


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


def load_text(data: bytes) -> Extracted:
    text, encoding = decode_text(data)
    return Extracted(text, encoding)


# --- HTML -----------------------------------------------------------------------------------------------


def load_html(data: bytes) -> Extracted:
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
    return Extracted(unicodedata.normalize("NFC", text), encoding, meta)


# --- OCR ------------------------------------------------------------------------------------------------

OCR_DPI = 300  # Tesseract's recommended resolution; pages are rasterised at it
ENV_OCR_LANG = "LEXVN_OCR_LANG"
DEFAULT_OCR_LANG = "vie"
# A PDF page with fewer letters than this in its text layer is a scan (or a stamp over one): OCR it.
MIN_TEXT_LAYER_LETTERS = 20
LETTER = re.compile(r"[^\W\d_]")


def ocr_language() -> str:
    return os.environ.get(ENV_OCR_LANG) or DEFAULT_OCR_LANG


def require_tesseract(language: str) -> None:
    """Raise LoadError("ocr-unavailable") with what to install when Tesseract or its language data is missing."""
    import pytesseract

    try:
        installed = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise LoadError("ocr-unavailable", "the file needs OCR but Tesseract is not installed "
                        "(apt-get install tesseract-ocr tesseract-ocr-vie, or `make setup`)") from exc
    missing = [name for name in language.split("+") if name not in installed]
    if missing:
        raise LoadError("ocr-unavailable", f"the file needs OCR but Tesseract has no {'+'.join(missing)} data "
                        f"(apt-get install {' '.join('tesseract-ocr-' + m for m in missing)}, or `make setup`)")


def ocr_image(image: Any, language: str) -> tuple[str, float, int]:
    """One page image -> (text, mean word confidence 0-100, word count), lines as Tesseract found them.

    Lines are joined by a newline and Tesseract's paragraphs and blocks by a blank line, the layout a
    text PDF's extraction gives, so cleaning and clause parsing treat OCR text like any other text.
    """
    import pytesseract

    # Tesseract's OpenMP threads fight over a small machine's cores (4x slower on 2 shared cores);
    # one thread per page is its documented setting for batch work.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    data = pytesseract.image_to_data(image.convert("L"), lang=language, output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for word, conf, block, par, line in zip(data["text"], data["conf"], data["block_num"], data["par_num"],
                                            data["line_num"], strict=True):
        word = word.strip()
        if not word or float(conf) < 0:
            continue
        lines.setdefault((block, par, line), []).append(word)
        confidences.append(float(conf))
    parts: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, par, _line), words in lines.items():  # dicts keep Tesseract's reading order
        if previous is not None:
            parts.append("\n\n" if (block, par) != previous else "\n")
        parts.append(" ".join(words))
        previous = (block, par)
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    return unicodedata.normalize("NFC", "".join(parts)), round(confidence, 2), len(confidences)


def join_pages(texts: list[tuple[str, str, float | None, int]]) -> Extracted:
    """(text, method, confidence, words) per page -> one text, pages separated by a form feed line."""
    parts: list[str] = []
    pages: list[Page] = []
    position = 0
    for number, (text, method, confidence, words) in enumerate(texts, start=1):
        if parts:
            parts.append("\n\f")
            position += 2
        parts.append(text)
        pages.append(Page(number, position, position + len(text), method, confidence, words))
        position += len(text)
    return Extracted("".join(parts), None, {}, pages)


# --- images ---------------------------------------------------------------------------------------------


def load_image(data: bytes) -> Extracted:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        problem = "truncated" if "truncated" in str(exc).lower() else "unreadable"
        raise LoadError(problem, f"Pillow: {exc}") from exc
    language = ocr_language()
    require_tesseract(language)
    pages = []
    for frame in ImageSequence.Iterator(image):  # a multi-page TIFF is one scan per frame
        text, confidence, words = ocr_image(frame.copy(), language)
        pages.append((text, "ocr", confidence, words))
    return join_pages(pages)


# --- PDF ------------------------------------------------------------------------------------------------

TRUNCATION_HINTS = ("eof", "startxref", "trailer", "xref", "truncat", "stream ended", "unexpected end")


def load_pdf(data: bytes) -> Extracted:
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
    texts: list[tuple[str, str, float | None, int]] = [(unicodedata.normalize("NFC", page), "text", None, 0)
                                                       for page in pages]
    scanned = [i for i, page in enumerate(pages) if len(LETTER.findall(page)) < MIN_TEXT_LAYER_LETTERS]
    if scanned:
        texts = ocr_pdf_pages(data, texts, scanned)
    # Form feed between pages keeps page boundaries visible to cleaning (page-number lines).
    extracted = join_pages(texts)
    extracted.meta = meta
    return extracted


def ocr_pdf_pages(data: bytes, texts: list[tuple[str, str, float | None, int]],
                  scanned: list[int]) -> list[tuple[str, str, float | None, int]]:
    """The pages without a text layer rasterised (pypdfium2) and read by Tesseract; the others kept."""
    import pypdfium2 as pdfium

    language = ocr_language()
    require_tesseract(language)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise LoadError("unreadable", f"pdfium cannot rasterise the scanned pages: {exc}") from exc
    texts = list(texts)
    try:
        for index in scanned:
            page = document[index]
            image = page.render(scale=OCR_DPI / 72, grayscale=True).to_pil()
            text, confidence, words = ocr_image(image, language)
            page.close()
            if words or not texts[index][0].strip():
                texts[index] = (text, "ocr", confidence, words)
    finally:
        document.close()
    return texts


# --- DOCX -----------------------------------------------------------------------------------------------


def load_docx(data: bytes) -> Extracted:
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
    return Extracted(unicodedata.normalize("NFC", "\n".join(lines)), None, meta)


# --- legacy Word (.doc) -----------------------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file header every Word 97-2003 file starts with
CONVERTER_TIMEOUT_S = 120
# antiword draws a table row as "|cell   |cell   |"; it becomes "cell | cell" as in the DOCX loader.
TABLE_ROW = re.compile(r"^\|(?P<cells>.*)\|\s*$")


def doc_converters() -> list[list[str]]:
    """The system converters present, best first: antiword (paragraphs unwrapped, tables), catdoc."""
    found = []
    if shutil.which("antiword"):
        found.append(["antiword", "-w", "0", "-m", "UTF-8.txt"])
    if shutil.which("catdoc"):
        found.append(["catdoc", "-d", "utf-8", "-w"])
    return found


def load_doc(data: bytes) -> Extracted:
    if not data.startswith(OLE_MAGIC):
        raise LoadError("unreadable", "not a Word 97-2003 document (no OLE compound-file header)")
    converters = doc_converters()
    if not converters:
        raise LoadError("unreadable", "a .doc file needs antiword or catdoc (apt-get install antiword catdoc, "
                        "or `make setup`)")
    errors = []
    with tempfile.TemporaryDirectory(prefix="lexvn-doc-") as folder:
        path = Path(folder) / "document.doc"
        path.write_bytes(data)
        for command in converters:
            try:
                done = subprocess.run([*command, str(path)], capture_output=True, timeout=CONVERTER_TIMEOUT_S,
                                      check=False)
            except subprocess.TimeoutExpired:
                errors.append(f"{command[0]}: no answer in {CONVERTER_TIMEOUT_S} s")
                continue
            text = done.stdout.decode("utf-8", errors="replace")
            if done.returncode == 0 and text.strip():
                return Extracted(unicodedata.normalize("NFC", doc_text(text)), None, {"converter": command[0]})
            errors.append(f"{command[0]}: {done.stderr.decode('utf-8', errors='replace').strip() or 'no text'}")
    # A compound file is a whole number of sectors after its 512-byte header: one cut short is truncated.
    sector = 1 << int.from_bytes(data[30:32], "little") if len(data) >= 32 else 512
    problem = "truncated" if len(data) < 512 or (len(data) - 512) % max(512, sector) else "unreadable"
    raise LoadError(problem, "; ".join(errors))


def doc_text(text: str) -> str:
    """A converter's output with table rows as "a | b | c" lines and no trailing spaces."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        row = TABLE_ROW.match(line)
        if row:
            line = " | ".join(cell.strip() for cell in row.group("cells").split("|"))
        lines.append(line.rstrip())
    return "\n".join(lines).strip("\n") + "\n"


# --- RTF ------------------------------------------------------------------------------------------------


def load_rtf(data: bytes) -> Extracted:
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip().startswith(b"{\\rtf"):
        raise LoadError("unreadable", "no {\\rtf header")
    if data.count(b"{") > data.count(b"}"):
        raise LoadError("truncated", "unbalanced braces: the RTF file ends before its groups close")
    # RTF is 7-bit: non-ASCII text comes as \uN escapes or as \'hh bytes of the declared code page.
    raw = data.decode("latin-1")
    codepage = re.search(r"\\ansicpg(\d+)", raw)
    encoding = f"cp{codepage.group(1)}" if codepage else "cp1252"
    try:
        text = rtf_to_text(raw, encoding=encoding, errors="replace")
    except (LookupError, ValueError, IndexError) as exc:
        raise LoadError("unreadable", f"striprtf: {exc}") from exc
    return Extracted(unicodedata.normalize("NFC", text), encoding)


LOADERS = {"txt": load_text, "md": load_text, "html": load_html, "pdf": load_pdf, "docx": load_docx,
           "doc": load_doc, "rtf": load_rtf, "image": load_image}


# --- corpus walking --------------------------------------------------------------------------------------

# Why a path under the corpus root is not ingested (the ingest report prints the explanation).
SKIP_REASONS = {
    "hidden": "hidden files and folders are not part of the corpus",
    "link-outside": "a symbolic link to a path outside the corpus is not followed",
    "broken-link": "a symbolic link whose target does not exist",
    "link-loop": "a symbolic link back to one of its own folders",
    "duplicate": "the same file is already indexed under another path",
    "name-clash": "another file has the same name once Unicode is normalised",
    "not-a-file": "not a regular file (a device, socket or pipe would block or mislead reading)",
    "unreadable": "the path cannot be listed or inspected",
}
# C0 controls and DEL: legal in POSIX file names, but they would break report lines and terminals.
CONTROL_IN_NAME = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CorpusFile:
    path: Path  # where to read it: under the root as walked (possibly through a link inside the corpus)
    source: str  # its name in the index: relative to the root, "/"-separated, see name_text


@dataclass(slots=True)
class CorpusListing:
    files: list[CorpusFile]
    skipped: list[SkippedPath]


def name_text(name: str) -> str:
    """A file name as printable, storable text: NFC (an NFD name from macOS gives the usual id), bytes that
    are not UTF-8 (which Python keeps as surrogate escapes) and control characters as `\\xNN`."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    text = CONTROL_IN_NAME.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
    return unicodedata.normalize("NFC", text)


def printable(message: str) -> str:
    """An error message that may quote a non-UTF-8 file name, safe to write as UTF-8."""
    return message.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _link_problem(path: Path, real_root: Path) -> tuple[str, str] | None:
    """Why a symbolic link is not followed, or None when it points inside the corpus."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return "broken-link", f"points to {name_text(os.readlink(path))}"
    except RuntimeError:  # Python 3.11 reports a loop of links this way
        return "link-loop", "the link resolves to itself"
    except OSError as exc:
        return ("link-loop", "the link resolves to itself") if exc.errno == errno.ELOOP else ("unreadable", printable(str(exc)))
    if not target.is_relative_to(real_root):
        return "link-outside", f"points to {name_text(str(target))}"
    return None


def walk_corpus(root: Path, reserved: frozenset[str] = frozenset()) -> CorpusListing:
    """Every regular file under `root`, each once, sorted by source; the rest as skipped paths.

    Symbolic links are followed when their target lies inside the corpus; a file reached by several paths
    (a link, a linked folder, a hard link) is kept under a path that is not a link where it has one.
    `reserved`: names at the top level that are the corpus's own files (the metadata sidecar), not documents.
    """
    root = Path(root)
    real_root = root.resolve()
    found: list[tuple[CorpusFile, tuple[int, int], bool]] = []  # file, (device, inode), reached through a link
    skipped: list[SkippedPath] = []

    def visit(directory: Path, prefix: str, ancestors: frozenset[Path], through_link: bool) -> None:
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: os.fsencode(entry.name))
        except OSError as exc:
            skipped.append(SkippedPath(prefix.rstrip("/") or ".", "unreadable", printable(str(exc))))
            return
        for entry in entries:
            source = prefix + name_text(entry.name)
            if entry.name.startswith("."):
                skipped.append(SkippedPath(source, "hidden"))
                continue
            if not prefix and entry.name in reserved:
                continue
            path = Path(entry.path)
            is_link = entry.is_symlink()
            problem = _link_problem(path, real_root) if is_link else None
            if problem is not None:
                skipped.append(SkippedPath(source, *problem))
                continue
            try:
                info = entry.stat()  # of the link's target
            except OSError as exc:
                skipped.append(SkippedPath(source, "unreadable", printable(str(exc))))
                continue
            if stat.S_ISDIR(info.st_mode):
                real = path.resolve()
                if real in ancestors:
                    skipped.append(SkippedPath(source, "link-loop", "the link points to one of its own folders"))
                    continue
                visit(path, source + "/", ancestors | {real}, through_link or is_link)
            elif stat.S_ISREG(info.st_mode):
                found.append((CorpusFile(path, source), (info.st_dev, info.st_ino), through_link or is_link))
            else:
                skipped.append(SkippedPath(source, "not-a-file"))

    visit(root, "", frozenset({real_root}), False)
    files: list[CorpusFile] = []
    first_path: dict[tuple[int, int], str] = {}
    sources: set[str] = set()
    for file, identity, _through_link in sorted(found, key=lambda item: item[2]):  # stable: plain paths first
        if identity in first_path:
            skipped.append(SkippedPath(file.source, "duplicate", f"same file as {first_path[identity]}"))
        elif file.source in sources:
            skipped.append(SkippedPath(file.source, "name-clash", "another file shows the same name"))
        else:
            first_path[identity] = file.source
            sources.add(file.source)
            files.append(file)
    return CorpusListing(sorted(files, key=lambda f: f.source), sorted(skipped, key=lambda s: s.path))
