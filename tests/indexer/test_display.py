"""The reading text of a clause: hard wraps reflowed, paragraph breaks kept, offsets mapped to the original."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.pipeline import ingest_file
from indexer.textmap import Edit, apply_edits
from tests.conftest import CORPUS

SEED_003 = CORPUS / "seeds" / "003_9f40a26defcbfd25.txt"


@pytest.fixture(scope="module")
def seed_003():
    return ingest_file(SEED_003, CORPUS)


def test_display_is_clean_text_with_paragraph_breaks_kept(seed_003) -> None:
    for clause in seed_003.clauses:
        display = clause.display_mapped()
        assert display.text.replace("\n", " ") == clause.clean_text
        assert display.text.count("\n") == len(clause.breaks)
        for offset in clause.breaks:  # each kept break starts a line of the source
            assert clause.text[offset - 1] in " \n\f" and not clause.text[offset].isspace()


def test_pdf_hard_wraps_are_reflowed(seed_003) -> None:
    wrapped = [c for c in seed_003.clauses if c.kind != "row" and c.text.count("\n") >= 4]
    assert len(wrapped) > 40
    for clause in wrapped:
        # seed 003 writes each PDF line as a paragraph ("…tình \n\nhình của…"): none survives inside a sentence
        assert not re.search(r"[^.;:!?…]\n[a-zà-ỹđ]", clause.display_mapped().text), clause.id


def test_article_with_two_paragraphs_keeps_its_break(seed_003) -> None:
    article = next(c for c in seed_003.clauses if c.text.startswith("Điều 3."))
    first, second = article.display_mapped().text.split("\n")
    assert first.endswith("thi hành Quyết định này.")
    assert second == "Quyết định có hiệu lực thi hành kể từ ngày ký./."


def test_highlight_across_a_reflowed_break_is_one_span(seed_003) -> None:
    clause = next(c for c in seed_003.clauses if "c  thể hóa các m c tiêu" in c.text)
    start = clause.text.index("các m c tiêu")
    end = clause.text.index("giải pháp") + len("giải pháp")
    assert "\n" in clause.text[start:end]  # the phrase spans a PDF line break
    display = clause.display_mapped()
    a, b = display.from_original(start, end)
    assert display.text[a:b] == "các mục tiêu, nhiệm vụ và giải pháp"
    assert display.to_original(a, b) == (start, end)


@given(st.text(alphabet="ab \n", min_size=1, max_size=40), st.data())
def test_from_original_inverts_to_original(text: str, data) -> None:
    runs = [(m.start(), m.end()) for m in re.finditer(r"\s+", text)]
    mapped = apply_edits(text, [Edit(s, e, " ") for s, e in runs])
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    a, b = mapped.from_original(start, end)
    assert 0 <= a <= b <= len(mapped.text)
    if text[start:end].strip():
        # the derived span covers exactly the derived characters that came from [start, end)
        assert " ".join(mapped.text[a:b].split()) == " ".join(text[start:end].split())


def test_document_round_trip_keeps_pages_and_breaks(seed_003) -> None:
    from dataclasses import replace

    from indexer.model import Document, Page

    paged = replace(seed_003, pages=[Page(1, 0, 10, "ocr", 91.5, 3)])
    clone = Document.from_dict(paged.to_dict())
    assert clone.pages == paged.pages
    assert [c.breaks for c in clone.clauses] == [c.breaks for c in seed_003.clauses]
    assert all(c.pages is None for c in clone.clauses)
