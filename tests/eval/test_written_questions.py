"""The written training questions (eval/training/questions.py): the file, the dev split, the pairs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from eval.articles import Article
from eval.formats import read_queries_jsonl
from eval.training.questions import (
    WRITTEN_QUESTIONS,
    WrittenQuestion,
    dev_queries,
    is_dev_article,
    load_questions,
    question_pairs,
)
from tests.conftest import ROOT

EVAL_FILES = ("vlc_vi.dev", "vlc_vi.test", "vlc_en.dev", "vlc_en.test")


def test_every_article_has_two_vietnamese_and_one_english_question():
    questions = load_questions()
    per_article = Counter((q.article, q.language) for q in questions)
    articles = {q.article for q in questions}
    assert len(articles) == 840
    assert all(per_article[(a, "vi")] == 2 and per_article[(a, "en")] == 1 for a in articles)
    assert all(q.clause >= 0 and 3 <= len(q.text.split()) <= 30 for q in questions)


def test_no_written_question_repeats_an_evaluation_question():
    written = {q.text.casefold() for q in load_questions()}
    for name in EVAL_FILES:
        for query in read_queries_jsonl(ROOT / "eval" / "questions" / f"{name}.jsonl"):
            assert query.text.casefold() not in written


def _article(key: str, clauses: tuple[str, ...]) -> Article:
    return Article(key=key, doc_id="law", title="t", heading="Điều 1. t", chapter=None, body=" ".join(clauses),
                   clauses=clauses)


def test_pairs_leave_out_dev_articles_and_repeat_the_rest():
    keys = [f"law:d{i}" for i in range(64)]
    dev = [k for k in keys if is_dev_article(k)]
    train = [k for k in keys if not is_dev_article(k)]
    assert dev and train  # an eighth, by hash
    articles = {k: _article(k, ("khoản một", "khoản hai")) for k in keys}
    questions = [WrittenQuestion(k, "law", "vi", 1, f"hỏi {k}") for k in keys]
    questions.append(WrittenQuestion(train[0], "law", "vi", 5, "khoản không có"))  # no such clause: skipped
    pairs = question_pairs(questions, articles, str.upper, repeat=3)
    assert len(pairs) == 3 * len(train)
    assert {p.article for p in pairs} == set(train)
    assert all(p.positive == "khoản hai" and p.anchor == p.anchor.upper() and p.kind == "question-vi" for p in pairs)
    queries = dev_queries(questions, articles)
    assert {q["query"] for q in queries} == {f"hỏi {k}" for k in dev}
    assert all(q["relevant"] == [{"doc": "law", "anchor": "khoản hai"}] for q in queries)


def test_the_committed_dev_set_is_the_dev_articles_questions():
    dev = [json.loads(line) for line in (ROOT / "eval" / "questions" / "vlc_written.dev.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    written = {q.text for q in load_questions() if is_dev_article(q.article)}
    assert {q["query"] for q in dev} == written
    assert Path(WRITTEN_QUESTIONS).is_file()
