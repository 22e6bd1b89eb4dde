"""Grounded answers on the seed index: the extractive answer, the confidence rule on the question set it was
set on, and the verifier of generated answers (a pure function of the text and the cited clauses)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval.paths import SEED_ANSWER_QUESTIONS
from indexer.normalise import skeleton
from search.answer import MIN_COVERAGE, NOT_FOUND, analyse_question, answer, verify_generated

SEED_002 = "002_7aca7bcc376b2da4"
BUDGET_QUESTION = "Kinh phí cho công tác xây dựng pháp luật tối thiểu bao nhiêu?"


@pytest.fixture(scope="module")
def budget_answer(searcher):
    return answer(searcher, BUDGET_QUESTION)


def test_budget_question_is_answered_with_the_half_percent_clause(budget_answer) -> None:
    result = budget_answer
    assert result.status == "answered" and result.mode == "extractive" and result.found
    best = result.evidence[0]
    assert best.doc_id == SEED_002 and best.clause_id == f"{SEED_002}:6.b"
    assert "không thấp hơn 0,5% tổng chi ngân sách" in best.sentence
    start, end = best.sentence_span
    assert best.text[start:end] == best.sentence  # the sentence is a span of the original clause text
    percent = [f for f in best.facts if f["kind"] == "percent"]
    assert percent and percent[0]["value"] == pytest.approx(0.5) and percent[0]["comparator"] == "ge"
    assert best.text[percent[0]["span"][0]:percent[0]["span"][1]] == "0,5%"
    assert best.citation == "điểm b khoản 6 Kế hoạch của UBND tỉnh" and best.citation_en
    assert best.sentence in result.text and best.citation in result.text
    assert result.confidence.confident and result.confidence.coverage >= MIN_COVERAGE
    assert result.confidence.expected == "amount"  # "kinh phí … bao nhiêu": money, or a share of it


def test_other_clauses_stating_the_same_value_are_cited_too(budget_answer) -> None:
    others = budget_answer.evidence[1:]
    assert others, "seed 003 repeats the 0,5% floor"
    for item in others:
        assert any(f["kind"] == "percent" and f["value"] == pytest.approx(0.5) for f in item.facts)
    assert "003_9f40a26defcbfd25" in {item.doc_id for item in others}


def test_english_question_is_answered_from_the_english_resolution(searcher) -> None:
    result = answer(searcher, "What is the minimum share of the budget for law-making?")
    assert result.status == "answered"
    assert result.evidence[0].doc_id == "000_4c6edb8a98047afa"
    assert "not less than 0.5%" in result.evidence[0].sentence
    assert result.evidence[0].citation_en in result.text  # an English question gets the English citation


def test_question_the_corpus_cannot_answer_is_not_found(searcher) -> None:
    result = answer(searcher, "Kinh phí cho công tác y tế dự phòng tối thiểu bao nhiêu?")
    assert result.status == "not_found" and not result.found
    assert result.evidence == []
    assert result.text.startswith(NOT_FOUND["vi"])
    assert {"y tế", "dự phòng"} <= set(result.confidence.absent)  # words no clause holds, named
    assert "y tế" in result.text


def test_a_question_asking_for_a_number_needs_a_clause_that_states_one(searcher) -> None:
    # One clause covers every word ("ngân sách", "chi", "giáo dục pháp luật") but states no percentage; the
    # clause with 0,5% is about law-making, not education. Answering either would be a guess.
    result = answer(searcher, "Ngân sách chi cho giáo dục tối thiểu bao nhiêu phần trăm?")
    assert result.status == "not_found"
    assert result.confidence.expected == "percent"
    assert result.confidence.coverage == pytest.approx(1.0)
    assert "percentage" in result.confidence.reason
    typed = [c for c in result.confidence.candidates if c.typed]
    assert all(c.coverage < MIN_COVERAGE for c in typed)


def test_analysis_strips_question_words_and_keeps_the_index_spelling() -> None:
    analysed = analyse_question("Đến năm nào hoàn thiện hệ thống hoá văn bản quy phạm pháp luật?")
    assert analysed.expected == "date" and analysed.language == "vi"
    assert "năm nào" not in " ".join(analysed.words) and "đến" not in analysed.words
    # underthesea rewrites "hoá" as "hóa"; the words are normalised back to the index's spelling
    assert all("hóa" not in word for word in analysed.words)
    assert "quy phạm pháp luật" in analysed.words
    assert analyse_question("How long is the reporting period?").expected == "duration"
    assert analyse_question("Tỷ lệ chi tối thiểu là bao nhiêu phần trăm?").expected == "percent"
    assert analyse_question("Ai chủ trì việc triển khai?").expected is None


def test_comparators_pairs_money_and_the_question_s_own_numbers() -> None:
    bound = analyse_question("Kinh phí cho công tác y tế dự phòng tối thiểu bao nhiêu?")
    assert "tối thiểu" not in bound.words  # "tối thiểu bao nhiêu" asks for a bound
    assert ("y tế", "dự phòng") in bound.pairs and ("kinh phí", "công tác") not in bound.pairs  # "cho" breaks
    assert bound.expected == "amount"  # "kinh phí": money, or a share of it
    term = analyse_question("Mức lương tối thiểu vùng I năm 2024 là bao nhiêu?")
    assert "tối thiểu" in term.words and term.expected == "amount"  # part of the term "lương tối thiểu vùng"
    own = analyse_question("Công ty hai thành viên trở lên có tối đa bao nhiêu thành viên?")
    assert ("count", 2.0, "thành viên") in own.given and own.expected == "quantity"


def test_neighbouring_words_must_stay_together_in_order() -> None:
    from search.answer import _proximity

    question = analyse_question("Kinh phí cho công tác y tế dự phòng tối thiểu bao nhiêu?")
    weights = dict.fromkeys(question.words, 1.0)
    assert _proximity("bảo đảm kinh phí cho y tế dự phòng hằng năm", question, weights)[0] == 1.0
    reversed_order, apart = _proximity("lập quỹ dự phòng khám bệnh, chữa bệnh bảo hiểm y tế", question, weights)
    assert reversed_order == pytest.approx(0.5) and apart == ["y tế … dự phòng"]
    across, _ = _proximity("chi cho y tế. dự phòng rủi ro thiên tai", question, weights)
    assert across == 0.0  # the words of one phrase do not straddle a full stop


def load_questions() -> list[dict]:
    return [json.loads(line) for line in SEED_ANSWER_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_confidence_rule_on_the_question_set_it_was_set_on(searcher) -> None:
    """The measurements in search/answer.py: no unanswerable question answered, every answerable one (but
    the two documented misses) answered with a clause of the expected document holding the anchor."""
    questions = load_questions()
    assert sum(q["answerable"] for q in questions) == 20 and len(questions) == 40
    wrong: list[str] = []
    answered = 0
    for item in questions:
        result = answer(searcher, item["question"])
        right = any(e.doc_id == item.get("doc") and skeleton(item.get("anchor", "")) in skeleton(e.text)
                    for e in result.evidence)
        if not item["answerable"]:
            if result.found:
                wrong.append(f"{item['id']} answered: {result.text[:80]}")
        elif result.found:
            answered += 1
            if not right:
                wrong.append(f"{item['id']} answered from the wrong clause: {result.evidence[0].clause_id}")
        elif "known_miss" not in item:
            wrong.append(f"{item['id']} not found: {result.confidence.reason}")
    assert not wrong, "\n".join(wrong)
    assert answered >= 18


# ---------------------------------------------------------------------------------------------- verifier


def claims_by_kind(claims, kind: str):
    return [c for c in claims if c.kind == kind]


def test_faithful_generated_text_passes(searcher, budget_answer) -> None:
    text = ("Chi cho công tác xây dựng pháp luật phải không thấp hơn 0,5% tổng chi ngân sách hằng năm, "
            "theo điểm b khoản 6 Kế hoạch của UBND tỉnh [1].")
    claims, problems = verify_generated(text, budget_answer.evidence, searcher)
    assert problems == []
    assert claims_by_kind(claims, "quantity")[0].clause_ids == [f"{SEED_002}:6.b"]
    assert {c.text for c in claims_by_kind(claims, "reference")} == {"điểm b", "khoản 6"}


def test_a_number_absent_from_the_cited_clauses_is_flagged(searcher, budget_answer) -> None:
    claims, problems = verify_generated("Không thấp hơn 1,5% tổng chi ngân sách [1].", budget_answer.evidence, searcher)
    unsupported = [c for c in claims if not c.supported]
    assert [c.kind for c in unsupported] == ["quantity"] and unsupported[0].text.startswith("1,5%")
    assert problems and "1,5%" in problems[0]


def test_a_flipped_comparator_is_flagged(searcher, budget_answer) -> None:
    _claims, problems = verify_generated("Tối đa 0,5% tổng chi ngân sách [1].", budget_answer.evidence, searcher)
    assert problems and "quantity" in problems[0]
    _claims, problems = verify_generated("Là 0,5% tổng chi ngân sách [1].", budget_answer.evidence, searcher)
    assert problems == []  # no comparator stated: less precise, not false


def test_citations_must_name_given_clauses_and_their_places(searcher, budget_answer) -> None:
    evidence = budget_answer.evidence
    _claims, problems = verify_generated("Không thấp hơn 0,5% tổng chi ngân sách.", evidence, searcher)
    assert any("cites no clause" in p for p in problems)
    _claims, problems = verify_generated(f"Không thấp hơn 0,5% [{len(evidence) + 4}].", evidence, searcher)
    assert any(f"no clause [{len(evidence) + 4}]" in p for p in problems)
    _claims, problems = verify_generated("Theo khoản 9, không thấp hơn 0,5% [1].", evidence, searcher)
    assert any("khoản 9" in p for p in problems)
    _claims, problems = verify_generated("Theo Nghị quyết 99-NQ/TW, không thấp hơn 0,5% [1].", evidence, searcher)
    assert any("99-NQ/TW" in p for p in problems)
    # the plan's title names Resolution 66-NQ/TW: a true document number passes
    _claims, problems = verify_generated("Thực hiện Nghị quyết 66-NQ/TW, không thấp hơn 0,5% [1].", evidence, searcher)
    assert problems == []


def test_dates_are_checked_against_the_cited_clause(searcher) -> None:
    result = answer(searcher, "By when must the bottlenecks caused by legal regulations be removed?")
    assert result.status == "answered" and "By 2025" in result.evidence[0].sentence
    _claims, problems = verify_generated("By 2025 the bottlenecks are removed [1].", result.evidence, searcher)
    assert problems == []
    _claims, problems = verify_generated("By 2026 the bottlenecks are removed [1].", result.evidence, searcher)
    assert problems and "2026" in problems[0]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=120) | st.sampled_from(["?", "bao nhiêu?", '"', "khi nào", "0,5%", "Điều 5 khoản 2?"]))
def test_any_text_gets_an_answer_or_not_found(searcher, question: str) -> None:
    result = answer(searcher, question)
    assert result.status in ("answered", "not_found")
    assert result.found == bool(result.evidence)
    for item in result.evidence:
        # the sentence is from the clause's clean text (joined lines, repaired glyphs); its span is where that
        # clean text comes from in the original
        mapped = searcher.get_clause(item.clause_id).clean_mapped()
        at = mapped.text.find(item.sentence)
        assert at >= 0 and mapped.to_original(at, at + len(item.sentence)) == tuple(item.sentence_span)


def test_document_frequency_counts_the_clauses_holding_a_word(searcher) -> None:
    import re

    from indexer.normalise import normalise
    from search.answer import document_frequency

    clauses = [c for info in searcher.documents() for c in searcher.get_document(info.doc_id).clauses]
    for word in ("kinh phí", "pháp chế viên", "budget", "không có từ này"):
        pattern = re.compile(rf"(?<![^\W_]){re.escape(normalise(word))}(?![^\W_])")
        expected = sum(1 for c in clauses if pattern.search(c.norm_text))
        assert document_frequency(searcher, word) == expected, word


@pytest.mark.slow
def test_confidence_rule_on_the_vlc_laws() -> None:
    """The same rule on 208 laws (122k clauses), with the index `make eval` builds: questions about topics
    the laws leave to decrees are refused; questions the laws answer are answered with the value, or refused."""
    from eval.paths import VLC_ANSWER_QUESTIONS, WORK_DIR
    from search import Searcher

    index = WORK_DIR / "vlc-index"
    if not (index / "CURRENT").exists():
        pytest.skip(f"no VLC index at {index} (make eval builds it)")
    searcher = Searcher.open(index)
    questions = [json.loads(line) for line in VLC_ANSWER_QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    answered = right = 0
    for item in questions:
        result = answer(searcher, item["question"])
        if not item["answerable"]:
            assert not result.found, (item["id"], result.text)
            continue
        answered += result.found
        right += any(e.doc_id.startswith(item["doc"]) and skeleton(item["anchor"]) in skeleton(e.sentence)
                     for e in result.evidence)
    assert answered >= 16 and right == answered, (answered, right)  # measured: 16 of 18, each with the value
