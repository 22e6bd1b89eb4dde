"""Property tests: the parser never crashes, spans are faithful, clause maps cover the clause text."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.model import CleanedText, DocumentMeta
from indexer.normalise import clause_norm_mapped, normalise
from indexer.parse import parse_clauses
from indexer.textmap import Edit, apply_edits

# Lines built from the markers the parser reacts to, so random text exercises every branch.
LINE_PIECES = [
    "Điều 5. Tên điều", "Chương II", "NHỮNG QUY ĐỊNH CHUNG", "Mục 1", "1. Khoản", "a) điểm", "đ) điểm",
    "- gạch", "+ cộng", "I. MỤC ĐÍCH", "II - OBJECTIVES", "Phụ lục", "STT Nội dung", "Cơ quan", "chủ trì",
    "Thời gian", "phối hợp", "14", "3", "Quý III/2025", "Nơi nhận:", "KẾ HOẠCH", "“Điều 7. trích”", "-----",
    "văn bản c  thể", "text wrapped", "Tiếp theo.", "  ", "", "\t", "0,5%", "a1) tiết", "26 Nội dung Các sở, ban, Các cơ quan, Thực hiện",
]
# Headings whose labels are words, not numbers: "Phần thứ hai", "PHẦN THỨ BA", "Phụ lục số 2", odd symbols.
ID_PIECES = [*LINE_PIECES, "Phần thứ hai", "PHẦN THỨ HAI", "Phần thứ mười một", "Phần thứ a/b#c?", "Phụ lục số 2",
             "Phần thứ hai", "Phụ lục số 2", "Chương XIV", "Mục 2", "Điều 3. Tên", "Phần thứ x\u00a0y"]
documents = st.lists(st.one_of(st.sampled_from(LINE_PIECES), st.text(max_size=30)), max_size=40).map("\n".join)


@st.composite
def document_and_cleaning(draw):
    text = draw(st.one_of(documents, st.text(max_size=300)))
    # Excluded regions are whole lines; repairs replace one space or insert a letter inside a line.
    lines = []
    position = 0
    for line in text.split("\n"):
        lines.append((position, position + len(line)))
        position += len(line) + 1
    excluded = [(s, e, "test") for s, e in lines if e > s and draw(st.booleans()) and draw(st.booleans())]
    taken = set()
    for s, e, _ in excluded:
        taken.update(range(s, e + 1))
    repairs = []
    for s, e in lines:
        for i in range(s, e):
            if i in taken:
                continue
            if text[i] == " " and draw(st.integers(0, 7)) == 0:
                repairs.append(Edit(i, i + 1, "ụ"))
                taken.add(i)
            elif text[i].isalpha() and draw(st.integers(0, 15)) == 0:
                repairs.append(Edit(i, i, "ụ"))
                taken.add(i)
    return text, CleanedText(excluded=excluded, repairs=repairs)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document_and_cleaning(), st.sampled_from(["vi", "en"]))
def test_arbitrary_text_parses_into_faithful_clauses(case, language: str) -> None:
    text, cleaned = case
    clauses = parse_clauses("doc", text, cleaned, DocumentMeta(language=language))
    ids = [c.id for c in clauses]
    assert len(ids) == len(set(ids))
    known = set(ids)
    for clause in clauses:
        assert text[clause.span[0] : clause.span[1]] == clause.text
        assert clause.text and clause.text == clause.text.strip()
        assert 1 <= clause.lines[0] <= clause.lines[1]
        assert clause.clean_text == apply_edits(clause.text, clause.edits).text
        assert clause.norm_text == normalise(clause.clean_text, language)
        assert clause.parent_id is None or clause.parent_id in known
        assert clause.citation and clause.citation_en
        mapped = clause_norm_mapped(clause)
        assert mapped.text == clause.norm_text
        assert len(mapped.origin) == len(mapped.text) + 1
        # Every normalised character maps inside the clause text.
        assert all(0 <= o <= len(clause.text) for o in mapped.origin)
        assert all(o < len(clause.text) for o in mapped.origin[:-1])


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_unicode_noise_never_crashes(text: str) -> None:
    for clause in parse_clauses("noise", text, CleanedText(), DocumentMeta()):
        assert text[clause.span[0] : clause.span[1]] == clause.text


CLAUSE_ID = re.compile(r"^[^\s/#?]+$")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(ID_PIECES), st.text(max_size=20)), max_size=30).map("\n".join))
def test_clause_ids_are_url_path_safe_and_unique(text: str) -> None:
    ids = [c.id for c in parse_clauses("doc", text, CleanedText(), DocumentMeta())]
    assert len(ids) == len(set(ids))
    assert all(CLAUSE_ID.match(clause_id) for clause_id in ids), ids
