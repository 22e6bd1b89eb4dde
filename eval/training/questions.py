"""Written training questions: question ↔ clause pairs for the encoder (issue 19, item 4).

The structural pairs teach the encoder that a title belongs with its body; a question differs from a
title in its words and its form. `eval/training/data/vlc_written_questions.jsonl` holds 2,520 questions
(two Vietnamese, one English for each of 840 VLC articles), written by LLM assistants reading each
article (the way InPars and Promptagator make training queries): everyday words, concrete situations,
one Vietnamese question in eight typed without tone marks. Each names the khoản that answers it.

The articles were drawn at random (at most eight a law) from those that no evaluation set touches: no
title query of either title set, no clause holding an anchor of the question sets' dev or test halves.
The writers saw only the article's text, never an evaluation file.

An eighth of the articles (by the sha1 of their key) is kept out of training: their questions are a
development set of their own (`eval/questions/vlc_written.dev.jsonl`, made by `dev_queries`), easier than
people's questions (the writer read the clause), but a second view beside the hand-written dev halves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.articles import Article
from eval.training.pairs import TrainingPair

WRITTEN_QUESTIONS = Path(__file__).resolve().parent / "data" / "vlc_written_questions.jsonl"
DEV_EIGHTHS = 1  # of every eight articles (by the sha1 of the key), this many are kept for development
ANCHOR_CHARS = 160  # how much of the answering clause the dev set's anchor quotes


@dataclass(frozen=True, slots=True)
class WrittenQuestion:
    article: str  # Article.key
    doc: str
    language: str  # "vi" | "en"
    clause: int  # index into Article.clauses (or 0: the body, for an article without khoản)
    text: str


def load_questions(path: Path = WRITTEN_QUESTIONS) -> list[WrittenQuestion]:
    found = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            found.extend(WrittenQuestion(record["key"], record["doc"], q["lang"], int(q["clause"]), q["q"].strip())
                         for q in record["questions"])
    return found


def is_dev_article(key: str) -> bool:
    return hashlib.sha1(key.encode("utf-8")).digest()[0] % 8 < DEV_EIGHTHS


def answer_text(question: WrittenQuestion, articles: Mapping[str, Article]) -> str | None:
    """The clause that answers the question (None when its article or clause is not in `articles`)."""
    article = articles.get(question.article)
    if article is None:
        return None
    parts = article.clauses or (article.body,)
    return parts[question.clause] if 0 <= question.clause < len(parts) else None


def question_pairs(questions: Iterable[WrittenQuestion], articles: Mapping[str, Article],
                   encoder_text: Callable[[str], str], repeat: int = 1) -> list[TrainingPair]:
    """(what the encoder sees of the question at query time, its answering clause) for the training
    articles' questions, each `repeat` times (2,200 pairs among ~124k structural ones would be a rounding
    error otherwise; a repeat lands in another batch, so it is never its own in-batch negative)."""
    pairs = []
    for question in questions:
        answer = answer_text(question, articles)
        if answer is None or is_dev_article(question.article):
            continue
        anchor = encoder_text(question.text)
        if anchor.strip():
            kind = f"question-{question.language}"
            pairs.extend(TrainingPair(anchor, answer, kind, question.article) for _ in range(repeat))
    return pairs


def dev_queries(questions: Sequence[WrittenQuestion], articles: Mapping[str, Article]) -> list[dict]:
    """The development articles' questions in the shared anchor format (the answering clause's head as
    the anchor), Vietnamese and English apart by `kind`."""
    return anchored_queries(questions, articles, dev=True)


def anchored_queries(questions: Sequence[WrittenQuestion], articles: Mapping[str, Article], dev: bool) -> list[dict]:
    """The development (`dev`) or the training articles' questions in the shared anchor format."""
    queries = []
    for number, question in enumerate(questions):
        answer = answer_text(question, articles)
        if answer is None or is_dev_article(question.article) != dev:
            continue
        anchor = answer[:ANCHOR_CHARS].rsplit(" ", 1)[0] if len(answer) > ANCHOR_CHARS else answer
        queries.append({"id": f"w{number:04d}", "query": question.text,
                        "kind": "written" if question.language == "vi" else "english",
                        "relevant": [{"doc": question.doc, "anchor": anchor}]})
    return queries
