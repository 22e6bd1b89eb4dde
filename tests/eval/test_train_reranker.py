"""Training the reranker (eval/training/train_reranker.py) on real candidates of the seed index."""

from __future__ import annotations

import numpy as np

from eval.formats import Judgement, LabelledQuery
from eval.training.train_reranker import Collected, Setting, collect, cross_validated, fit, judge, pairs
from search.rerank import FEATURES

# Questions over the seed corpus with the clause that answers each (anchors from corpus/ texts).
QUESTIONS = [
    ("Chi cho xây dựng pháp luật phải chiếm tối thiểu bao nhiêu phần trăm ngân sách?", "0,5% tổng chi ngân sách"),
    ("Ngân sách dành cho công tác pháp luật hằng năm ít nhất là bao nhiêu?", "0,5% tổng chi ngân sách"),
    ("Bao nhiêu phần trăm tổng chi ngân sách cho xây dựng pháp luật?", "0,5% tổng chi ngân sách"),
]


def seed_questions(searcher) -> list[LabelledQuery]:
    found = []
    for number, (text, anchor) in enumerate(QUESTIONS):
        docs = sorted({h.doc_id for h in searcher.search(f'"{anchor}"', k=50, mode="phrase")})
        found.append(LabelledQuery(f"q{number}", text, "question", [Judgement(f"j{i}", d, anchor)
                                                                  for i, d in enumerate(docs)]))
    return found


def test_pairs_hold_both_orders_of_every_graded_pair():
    item = Collected(LabelledQuery("q", "x", "question"), "question", np.arange(3),
                     np.eye(3, len(FEATURES)), np.array([0, 2, 1], dtype=np.int8), [], [])
    x, y = pairs([item], np.random.default_rng(0))
    assert len(x) == 6 and y.tolist() == [1, 0] * 3
    assert np.allclose(x[0::2], -x[1::2])


def test_collect_grades_the_candidates_and_a_fitted_model_ranks_its_answers_no_worse(searcher):
    searcher.reranker, shipped = None, searcher.reranker
    try:
        collected = collect(searcher, seed_questions(searcher))
    finally:
        searcher.reranker = shipped
    assert len(collected) == len(QUESTIONS)
    for item in collected:
        assert item.features.shape == (len(item.positions), len(FEATURES))
        assert (item.grades == 2).any(), item.query.text  # the answer is among the candidates
        assert set(np.flatnonzero(item.grades == 2).tolist()) <= set(np.flatnonzero(item.grades >= 1).tolist())
    model = fit(collected * 3, 1.0, 30, ("question",))
    fused, reranked = judge(searcher, collected, None), judge(searcher, collected, model)
    assert reranked["mrr@10"] >= fused["mrr@10"] - 1e-9 and reranked["recall@10"] == 1.0
    before, after = cross_validated(searcher, collected, collected, Setting(30, 1.0, 1), ("question",), folds=3)
    assert before["judgements"] == after["judgements"] == fused["judgements"] * 1
