"""Loaders on real files: encodings (UTF-8, UTF-16 BOM, windows-1258), PDF, DOCX, HTML, and every failure kind."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from indexer.load import LoadError, load_file
from tests.helpers import encode_cp1258, make_docx, make_pdf

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
