"""Query understanding: one plan per query (numbers whole, question words out, expansions beside the user's
words, translations as a structured query, unmarked Vietnamese restored), and the tables it reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search.fuse import FusionWeights, fuse, merge_sides
from search.lexicon import Glossary, load_lexicon, load_question_forms, load_user_synonyms, words_of
from search.query import analyse


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


@pytest.mark.parametrize(("query", "whole"), [
    ("0,5% tổng chi ngân sách", "0.5%"),
    ("phạt từ 1.000.000 đồng", "1000000"),
    ("Nghị quyết 66-NQ/TW về xây dựng pháp luật", "66-nq/tw"),
    ("trước ngày 30/4/2025", "30/4/2025"),
])
def test_a_number_percentage_amount_date_or_document_number_is_one_term(lexicon, query: str, whole: str) -> None:
    plan = analyse(query, lexicon)
    assert whole in plan.terms
    pieces = [t for t in plan.terms if t != whole and t in whole.replace("-", " ").replace("/", " ").replace(".", " ").split()]
    assert pieces == [], plan.terms  # never also "0", "5", "66", "nq", "tw"…
    for group in plan.groups:
        for alternative in group.alternatives:
            assert not any(t in ("0", "5") for t in alternative)


def test_question_words_are_left_out_and_say_what_is_asked(lexicon) -> None:
    plan = analyse("Người lao động được nghỉ phép bao nhiêu ngày một năm?", lexicon)
    assert plan.kind == "question" and plan.answer_type == "number"
    assert "bao" in plan.dropped and "nhiêu" in plan.dropped
    assert "bao" not in plan.terms and "nghỉ" in plan.terms
    plan = analyse("Quảng cáo sữa cho trẻ nhỏ có bị cấm không?", lexicon)
    assert plan.dropped == ("không",) and plan.answer_type == "condition"  # only the final particle
    assert "cấm" in plan.terms
    plan = analyse("không được làm gì", lexicon)
    assert "không" in plan.terms  # "không" inside the question is content, not a particle


def test_a_query_of_question_words_only_keeps_them(lexicon) -> None:
    plan = analyse("bao nhiêu", lexicon)
    assert plan.dropped == () and {"bao", "nhiêu"} <= set(plan.terms)


def test_thesaurus_expansions_stand_beside_the_users_words(lexicon) -> None:
    plan = analyse("Mua phải hàng nhái thì người bán phải chịu trách nhiệm gì?", lexicon)
    expansion = next(e for e in plan.expansions if e.source == "hàng nhái")
    assert "hàng giả" in expansion.targets and expansion.table == "thesaurus_vi.tsv"
    assert "nhái" in plan.terms  # the user's word is kept
    user_groups = [g for g in plan.groups if g.alternatives == (("nhái",),)]
    expansion_groups = [g for g in plan.groups if ("hàng", "giả", "hàng_giả") in g.alternatives
                        or any("giả" in alt for alt in g.alternatives)]
    assert user_groups and expansion_groups and expansion_groups[0].weight < user_groups[0].weight
    assert plan.explain()["expansions"][0]["source"] == "hàng nhái"


def test_quoted_phrases_are_not_expanded(lexicon) -> None:
    plan = analyse('"hàng nhái"', lexicon)
    assert plan.kind == "phrase" and plan.expansions == () and plan.translations == ()


def test_a_one_syllable_entry_never_matches_inside_a_longer_word(lexicon) -> None:
    # "kiện" → "khởi kiện" is a thesaurus entry; in "điều kiện" it is part of another word
    plan = analyse("Điều kiện để được hưởng trợ cấp thất nghiệp", lexicon)
    assert not any(e.source == "kiện" for e in plan.expansions)
    plan = analyse("kiện đòi nợ", lexicon)
    assert any(e.source == "kiện" and "khởi kiện" in e.targets for e in plan.expansions)


def test_unmarked_vietnamese_is_recognised_and_restored_from_the_index(lexicon, searcher) -> None:
    plan = searcher.analyse("ngan sach cho xay dung phap luat bao nhieu")
    assert plan.language == "vi" and plan.unmarked and plan.answer_type == "number"
    alternatives = {t for g in plan.groups for alt in g.alternatives for t in alt}
    assert {"ngân", "sách", "pháp", "luật"} <= alternatives and "ngân_sách" in alternatives
    hits = searcher.search("ngan sach cho xay dung phap luat", k=10, mode="bm25")
    assert any("ngân sách" in h.text and "xây dựng pháp luật" in h.text for h in hits)


def test_an_english_question_is_translated_term_by_term(lexicon) -> None:
    plan = analyse("Who may take part in a property auction?", lexicon, frozenset({"vi"}))
    assert plan.kind == "crosslingual" and plan.target_language == "vi"
    sources = {t.source: t.targets for t in plan.translations}
    assert any("đấu giá" in target for targets in sources.values() for target in targets)
    assert "tham gia" in sources.get("take part", ())
    # each source term's translations are one group (Pirkola): its alternatives share one score
    assert all(len(group.alternatives) >= 1 for group in plan.translated_groups)
    assert plan.translated_text  # what a Vietnamese-only encoder is given


def test_english_word_forms_the_glossary_does_not_list_are_found_by_their_stem(lexicon) -> None:
    """"notarized" is not in the glossary, "notarization" is (công chứng); "employees" by "employee"."""
    plan = analyse("Do I need my contract notarized?", lexicon, frozenset({"vi"}))
    assert "công chứng" in {t for e in plan.translations if e.source == "notarized" for t in e.targets}
    plan = analyse("Are employees entitled to severance allowances?", lexicon, frozenset({"vi"}))
    assert "người lao động" in plan.translated_text and "trợ cấp thôi việc" in plan.translated_text


def test_a_vietnamese_query_is_translated_only_when_the_corpus_holds_english(lexicon) -> None:
    assert analyse("xây dựng pháp luật", lexicon, frozenset({"vi"})).translations == ()
    plan = analyse("xây dựng pháp luật", lexicon, frozenset({"vi", "en"}))
    assert plan.target_language == "en" and any("law" in t for e in plan.translations for t in e.targets)


def test_user_synonym_file_in_elasticsearch_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "synonyms.txt"
    rules.write_text("# ours\nvợ chồng, hôn nhân\nsổ hồng => giấy chứng nhận quyền sở hữu nhà ở\n", encoding="utf-8")
    table = load_user_synonyms(rules)
    assert [t.text for t in table.get("sổ hồng")] == ["giấy chứng nhận quyền sở hữu nhà ở"]
    assert [t.text for t in table.get("hôn nhân")] == ["vợ chồng"] and table.get("giấy chứng nhận") == ()
    lexicon = load_lexicon(str(rules))
    plan = analyse("thủ tục cấp sổ hồng", lexicon)
    assert any(e.table == "synonyms" and e.source == "sổ hồng" for e in plan.expansions)
    (tmp_path / "bad.txt").write_text("a, b =>\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.txt:1"):
        load_user_synonyms(tmp_path / "bad.txt")


def test_the_tables_are_well_formed() -> None:
    glossary = Glossary.load()
    assert glossary.entries >= 3000 and len(glossary.en_to_vi) >= 3000 and len(glossary.vi_to_en) >= 2000
    for phrase in glossary.en_to_vi.phrases()[:: 50]:
        assert all(target.text for target in glossary.en_to_vi.get(" ".join(phrase)))
    forms = load_question_forms()
    for table in forms.values():
        for phrase in table.phrases():
            action = table.get(" ".join(phrase))[0].text.split(":")[0]
            assert action in ("drop", "drop_last", "drop_first"), phrase
    assert words_of("Hoá đơn 0,5%", "vi") == words_of("hóa đơn 0.5%", "vi") == ["hoá", "đơn", "0.5%"]


def test_two_languages_are_interleaved_and_exact_phrases_come_first() -> None:
    target = np.array([False, False, False, True, True, True])
    rankings = {"bm25": np.array([0, 1, 2]), "phrase": np.array([2]), "translated": np.array([3, 4, 5])}
    order = [p for p, _ in fuse(rankings, FusionWeights(translated_trust=1.0), 1.0, {}, target)]
    assert order[0] == 2  # the user's phrase first
    assert order[1:] == [0, 3, 1, 4, 5]
    # with trust 0.5 the translated side gets one place in three
    assert [p for p, _ in merge_sides([([(0, 1.0), (1, 0.5)], 1.0), ([(3, 1.0), (4, 0.5)], 0.5)])] == [0, 1, 3, 4]
