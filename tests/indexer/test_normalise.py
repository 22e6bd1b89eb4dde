"""Normalisation for matching: tone marks, numbers, document numbers, abbreviations, offsets, skeleton."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.normalise import canonical_tone_syllable, normalise, normalise_mapped, skeleton


@pytest.mark.parametrize(
    ("old", "new"),
    [("hóa", "hoá"), ("thủy", "thuỷ"), ("khỏe", "khoẻ"), ("qúy", "quý"), ("hòa", "hoà"), ("tùy", "tuỳ")],
)
def test_tone_placements_meet(old: str, new: str) -> None:
    assert normalise(old) == normalise(new)


@pytest.mark.parametrize("word", ["hoàng", "người", "nguyễn", "giá", "gìn", "ngoài", "thuyết", "mùa", "quốc"])
def test_tone_rule_keeps_correct_syllables(word: str) -> None:
    assert canonical_tone_syllable(word) == word


def test_case_quotes_dashes_spaces() -> None:
    assert normalise("“Xin – Cho”\u00a0\u00a0 ‘A’") == "\"xin - cho\" 'a'"
    assert normalise("  a \n\t b  ") == "a b"
    assert normalise("Ho\u0301a") == normalise("Hóa")  # decomposed input → NFC


@pytest.mark.parametrize(
    ("a", "b"),
    [("0,5%", "0.5%"), ("1.000.000 đồng", "1000000 đồng"), ("02 cấp", "2 cấp"), ("ngày 02/05/2025", "ngày 2/5/2025"),
     ("1.000,5", "1000.5")],
)
def test_vietnamese_numbers(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


def test_dates_keep_structure_and_document_numbers_stay_whole() -> None:
    assert normalise("ngày 02/05/2025") == "ngày 2/5/2025"
    for number in ("66-NQ/TW", "1218/QĐ-UBND", "45/2019/QH14", "09-KH/ĐUUB", "140/NQ-CP"):
        assert normalise(f"số {number} ngày") == f"số {number.lower()} ngày"


def test_english_numbers() -> None:
    assert normalise("1,000 and 0.5% on 02", "en") == "1000 and 0.5% on 2"
    assert normalise("QPPL", "en") == "qppl"  # abbreviations are Vietnamese


def test_abbreviations_expand_only_standalone() -> None:
    assert normalise("văn bản QPPL") == normalise("văn bản quy phạm pháp luật")
    assert normalise("UBND tỉnh") == normalise("Ủy ban nhân dân tỉnh") == "uỷ ban nhân dân tỉnh"
    assert normalise("phát triển KT-XH") == normalise("phát triển kinh tế - xã hội")
    assert normalise("Ban Chấp hành TW") == "ban chấp hành trung ương"
    assert "trung ương" not in normalise("Nghị quyết số 66-NQ/TW")


def test_mapped_offsets_point_into_the_original() -> None:
    text = "Chi  0,5% của UBND"
    mapped = normalise_mapped(text)
    assert mapped.text == "chi 0.5% của uỷ ban nhân dân"
    start = mapped.text.index("0.5%")
    assert mapped.to_original(start, start + 4) == (5, 9)
    assert len(mapped.origin) == len(mapped.text) + 1


def test_skeleton_matches_eval_readme() -> None:
    assert skeleton("Hoá đơn, 0,5%!") == skeleton("hóa  ĐƠN 05") == "hoadon05"


PIECES = [*"aăâeêioôơuưyđqghnkt AĂÂĐQÝ0123456789.,/-%“”–\u00a0\n", "hóa", "hoá", "thủy", "QPPL", "UBND", "TW",
          "66-NQ/TW", "0,5", "1.000", "02", "1,234", "ngày 02/05/2025", "KT-XH"]
vietnamese_text = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), vietnamese_text), st.sampled_from(["vi", "en"]))
def test_normalise_is_idempotent(text: str, language: str) -> None:
    once = normalise(text, language)
    assert normalise(once, language) == once


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), vietnamese_text))
def test_mapped_origin_is_monotone_and_in_range(text: str) -> None:
    mapped = normalise_mapped(text)
    assert len(mapped.origin) == len(mapped.text) + 1
    assert all(0 <= o <= len(text) for o in mapped.origin)
    assert list(mapped.origin) == sorted(mapped.origin)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), vietnamese_text), st.sampled_from(["vi", "en"]))
def test_fast_path_equals_mapped_path(text: str, language: str) -> None:
    assert normalise(text, language) == normalise_mapped(text, language).text


def test_issuer_table_for_english_citations() -> None:
    from indexer.citation import issuer_en

    assert issuer_en("Chính phủ") == "the Government"
    assert issuer_en("Quốc hội") == "the National Assembly"
    assert issuer_en("UBND tỉnh  Vĩnh Long") == "the People's Committee of Vĩnh Long province"
    assert issuer_en("Ban Thường vụ Tỉnh ủy Hà Tĩnh") == "the Standing Board of the Hà Tĩnh Provincial Party Committee"
    assert issuer_en("Báo Đại biểu Nhân dân") == "Báo Đại biểu Nhân dân"  # unknown bodies keep their name


VIETNAMESE_NOISE = st.lists(
    st.sampled_from([*"aăâeêioôơuưyđqgAĐQ hoáàòóỏõọúùủũụýỳỷỹỵèéẻẽẹ0123456789.,/-%\n\t\u00a0“”ΣΚ",
                     "Ho\u0301a", "QPPL", "UBND", "  ", "banán", "gía", "quý", "thuỷ", "1.000,5", "02"]),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), VIETNAMESE_NOISE), st.sampled_from(["vi", "en"]))
def test_fast_normalise_equals_the_mapped_text(text: str, language: str) -> None:
    """`normalise` takes fast paths (whole-string passes, no edit lists); it must give the mapped text."""
    assert normalise(text, language) == normalise_mapped(text, language).text
