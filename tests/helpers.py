"""Real test inputs for the ingest tests (a small text PDF, windows-1258 bytes, a DOCX) and a loopback server."""

from __future__ import annotations

import contextlib
import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

# Tone marks are combining characters in windows-1258; the other diacritics are in precomposed letters.
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def encode_cp1258(text: str) -> bytes:
    """Vietnamese text in windows-1258: base letter (â, ơ, đ …) precomposed, tone mark as a combining byte."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
        out += (base + "".join(c for c in decomposed if c in TONE_MARKS)).encode("cp1258")
    return bytes(out)


def make_pdf(text: str) -> bytes:
    """A one-page PDF whose content stream draws `text` (ASCII) in Helvetica, written by pypdf."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(400, 200)
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 20 150 Td ({text}) Tj ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_app(app, timeout: float = 60.0) -> Iterator[str]:
    """Run an ASGI app under uvicorn (its lifespan included) on a free loopback port in a thread; yields
    the base URL and stops the server afterwards."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- scans and legacy files -----------------------------------------------------------------------------

SERIF = "DejaVu Serif"  # fonts-dejavu-core (make setup): full Vietnamese coverage


def system_font(family: str = SERIF) -> str:
    """The file of a system font, asked of fontconfig (the family Debian's fonts-dejavu-core installs)."""
    import shutil
    import subprocess

    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.endswith((".ttf", ".otf")):
            return found.stdout
    return "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def render_page(lines: list[str], dpi: int = 200, point_size: float = 10.5):
    """One A4 page image (grayscale) with `lines` typeset left-aligned, as a scanner would deliver it."""
    from PIL import Image, ImageDraw, ImageFont

    def px(points: float) -> int:
        return round(points * dpi / 72)

    font = ImageFont.truetype(system_font(), px(point_size))
    width, height = px(595), px(842)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    left, top, leading = px(42), px(60), px(point_size * 1.8)
    for number, line in enumerate(lines):
        text = line.strip()
        if draw.textlength(text, font=font) > width - 2 * left:
            raise ValueError(f"line too long for the page: {text!r}")
        draw.text((left, top + number * leading), text, font=font, fill=0)
    return image


def make_scanned_pdf(pages: list[list[str]], dpi: int = 200) -> bytes:
    """An image-only PDF (no text layer, like a scanner's), one page per list of lines, written by Pillow."""
    images = [render_page(lines, dpi) for lines in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


def make_png(lines: list[str], dpi: int = 200) -> bytes:
    buffer = io.BytesIO()
    render_page(lines, dpi).save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def rtf_escape(text: str) -> str:
    """Text as RTF: ASCII as is, every other character a \\uN escape (signed 16-bit) with '?' fallback."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\par\n")
        elif ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\u{code - 65536 if code > 32767 else code}?")
    return "".join(out)


def make_rtf(text: str) -> bytes:
    return ("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\uc1\n"
            + rtf_escape(text) + "\n}").encode("ascii")


def one_file_searcher(tmp_path: Path, name: str, text: str):
    """A lexical-only index of one text file, opened: for ranking tests on a few hand-written clauses."""
    from indexer.build import build_index
    from search import Searcher

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "index", dense=False, progress=False)
    return Searcher.open(tmp_path / "index")
