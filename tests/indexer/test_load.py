"""Loaders on real files: encodings (UTF-8, UTF-16 BOM, windows-1258), PDF (text layer and scanned pages,
OCR'd by the system's Tesseract), images, DOCX, legacy .doc (antiword), RTF, HTML, and every failure kind."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from indexer.load import ENV_OCR_LANG, LoadError, load_file
from tests.conftest import ROOT
from tests.helpers import encode_cp1258, make_docx, make_pdf, make_png, make_rtf, make_scanned_pdf

LEGACY_DOC = ROOT / "tests" / "fixtures" / "legacy" / "ke_hoach_2003.doc"
SCANNED_LINES = [
    "Điều 2. Trách nhiệm thi hành",
    "Sở Tư pháp chủ trì, phối hợp với các cơ quan, đơn vị có liên quan",
    "triển khai thực hiện nội dung Kế hoạch này.",
]

VIETNAMESE = (
    "Điều 1. Phạm vi điều chỉnh\n"
    "Luật này quy định về quyền, nghĩa vụ của công dân; cụ thể hóa nhiệm vụ của Ủy ban nhân dân tỉnh.\n"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_utf8_is_kept_exactly_and_hashed(tmp_path: Path) -> None:
    data = VIETNAMESE.encode("utf-8")
    loaded = load_file(write(tmp_path, "a.txt", data))
    assert loaded.text == VIETNAMESE
    assert loaded.encoding == "utf-8"
    assert loaded.format == "txt"
    assert loaded.content_hash == hashlib.sha256(data).hexdigest()


def test_utf16_with_bom(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "a.md", VIETNAMESE.encode("utf-16")))
    assert loaded.text == VIETNAMESE
    assert loaded.format == "md"
    assert loaded.encoding.startswith("utf-16")


def test_windows_1258_is_detected_and_composed(tmp_path: Path) -> None:
    data = encode_cp1258(VIETNAMESE * 3)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\xcc" in data or b"\xec" in data  # combining tone-mark bytes are really there
    loaded = load_file(write(tmp_path, "legacy.txt", data))
    assert loaded.encoding == "cp1258"
    assert loaded.text == VIETNAMESE * 3  # NFC: "ề" is one code point again


@pytest.mark.parametrize("data", [b"", b"   \n\n  \t"])
def test_empty(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "empty.txt", data))
    assert error.value.problem == "empty"


def test_binary(tmp_path: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8 + os.urandom(512)
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "image.txt", data))
    assert error.value.problem == "binary"


def test_pdf_text_and_truncated_pdf(tmp_path: Path) -> None:
    data = make_pdf("Article 1. Scope of this law")
    loaded = load_file(write(tmp_path, "law.pdf", data))
    assert loaded.format == "pdf"
    assert "Article 1. Scope of this law" in loaded.text
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "cut.pdf", data[: len(data) // 2]))
    assert error.value.problem == "truncated"


def test_corrupt_pdf_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "bad.pdf", b"this is not a pdf at all %%EOF"))
    assert error.value.problem == "unreadable"


def test_docx_paragraphs_and_table_in_order(tmp_path: Path) -> None:
    data = make_docx(["KẾ HOẠCH", "1. Mục đích"], table=[["STT", "Nội dung"], ["1", "Rà soát văn bản"]])
    loaded = load_file(write(tmp_path, "plan.docx", data))
    assert loaded.format == "docx"
    lines = loaded.text.splitlines()
    assert lines[:2] == ["KẾ HOẠCH", "1. Mục đích"]
    assert "1 | Rà soát văn bản" in lines


def test_truncated_docx(tmp_path: Path) -> None:
    data = make_docx(["Điều 1. Phạm vi"])
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "cut.docx", data[: len(data) // 3]))
    assert error.value.problem in {"truncated", "unreadable"}


def test_html_main_text_without_navigation(tmp_path: Path) -> None:
    body = " ".join(["Luật này quy định về quyền và nghĩa vụ của công dân trong lĩnh vực cư trú."] * 6)
    html = (
        "<html><head><title>Luật Cư trú</title></head><body>"
        "<nav><ul><li>Trang chủ</li><li>Tin tức</li><li>Liên hệ</li></ul></nav>"
        f"<article><h1>Luật Cư trú</h1><p>{body}</p><p>Điều 2. Giải thích từ ngữ trong Luật này.</p></article>"
        "<footer>Bản quyền thuộc về trang web</footer></body></html>"
    )
    loaded = load_file(write(tmp_path, "page.html", html.encode("utf-8")))
    assert loaded.format == "html"
    assert "quyền và nghĩa vụ của công dân" in loaded.text
    assert "Trang chủ" not in loaded.text
    assert loaded.container_meta.get("title") == "Luật Cư trú"


def test_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "data.csv", b"a,b\n1,2\n"))
    assert error.value.problem == "unsupported"


def test_pdf_with_a_scanned_page_is_ocrd_on_that_page_only(tmp_path: Path) -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (make_pdf("Article 1. Scope of this law and the subjects it applies to"),
                 make_scanned_pdf([SCANNED_LINES])):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    loaded = load_file(write(tmp_path, "mixed.pdf", buffer.getvalue()))
    assert [page.method for page in loaded.pages] == ["text", "ocr"]
    first, second = loaded.pages
    assert "Article 1. Scope of this law" in loaded.text[first.start : first.end]
    scanned = " ".join(loaded.text[second.start : second.end].split())
    assert scanned == " ".join(" ".join(SCANNED_LINES).split())
    assert first.confidence is None and second.confidence > 80
    assert second.words == len(" ".join(SCANNED_LINES).split())
    assert loaded.text[first.end : second.start] == "\n\f"


def test_png_scan_is_ocrd(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "scan.png", make_png(SCANNED_LINES)))
    assert loaded.format == "image"
    assert len(loaded.pages) == 1 and loaded.pages[0].method == "ocr"
    assert loaded.text.splitlines()[0] == SCANNED_LINES[0]
    assert "Sở Tư pháp chủ trì" in loaded.text


def test_ocr_without_the_language_data_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_OCR_LANG, "vie+xyz")  # a language Tesseract has no data for
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "scan.png", make_png(SCANNED_LINES[:1])))
    assert error.value.problem == "ocr-unavailable"
    assert "tesseract-ocr-xyz" in error.value.detail and "make setup" in error.value.detail


def test_legacy_doc_through_antiword(tmp_path: Path) -> None:
    loaded = load_file(LEGACY_DOC)
    assert loaded.format == "doc" and loaded.container_meta["converter"] == "antiword"
    lines = [line for line in loaded.text.splitlines() if line]
    assert lines[:3] == ["ỦY BAN NHÂN DÂN TỈNH BẾN TRE", "Số: 45/KH-UBND", "KẾ HOẠCH"]
    # antiword -w 0: a paragraph is one line, not wrapped at 80 columns
    assert "2. Bảo đảm kinh phí cho công tác phổ biến pháp luật không thấp hơn 0,3% tổng chi thường xuyên." in lines
    assert "1 | Rà soát văn bản quy phạm pháp luật | Sở Tư pháp" in lines


def test_truncated_and_fake_doc(tmp_path: Path) -> None:
    data = LEGACY_DOC.read_bytes()
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "cut.doc", data[: len(data) // 2 + 100]))
    assert error.value.problem == "truncated"
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "fake.doc", b"just some text, not a Word file"))
    assert error.value.problem == "unreadable"


def test_rtf_with_unicode_escapes(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "plan.rtf", make_rtf(VIETNAMESE)))
    assert loaded.format == "rtf"
    assert loaded.text.strip().splitlines() == VIETNAMESE.strip().splitlines()
    with pytest.raises(LoadError) as error:
        load_file(write(tmp_path, "cut.rtf", make_rtf(VIETNAMESE)[:-3]))
    assert error.value.problem == "truncated"
