"""The evaluation harness itself: skeleton matching, judgement counting, metrics computed by hand on tiny
BEIR and TREC fixtures, a random retriever near zero and an oracle at 1.0 on the seed set, the CLI."""

from __future__ import annotations

import json
import math
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eval.anchors import Matcher, qrels_for, ranked_items
from eval.formats import (
    Judgement,
    LabelledQuery,
    read_beir,
    read_queries_jsonl,
    read_trec_qrels,
    read_trec_run,
)
from eval.metrics import compare_runs, evaluate_judged, randomization_p_value
from eval.runner import evaluate_retrievers, evaluate_trec
from tests.conftest import ROOT, SEED_QUERIES

FIXTURES = ROOT / "tests" / "fixtures"


@dataclass
class Result:
    clause_id: str
    doc_id: str
    text: str
    citation: str = ""
    score: float = 0.0


def readme_skeleton(text: str) -> str:
    """The eval README's definition, written out step by step as the reference."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = text.replace("đ", "d")
    return "".join(c for c in text if "a" <= c <= "z" or "0" <= c <= "9")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
       | st.text(alphabet="aăâđeêioôơuưyAĂÂĐÊÔƠƯáàảãạốồổỗộ0123456789 ,.-\n\u0301\u0300", max_size=40))
def test_skeleton_is_the_readme_definition(text: str):
    from indexer.normalise import skeleton

    assert skeleton(text) == readme_skeleton(text)


def test_skeleton_ignores_tone_placement_case_punctuation_and_line_breaks():
    matcher = Matcher()
    query = LabelledQuery("q", "", "tone", [Judgement("j0", "doc", "Hoá đơn điện tử, 0,5%")])
    clause = Result("doc:1", "doc", "… các loại HÓA ĐƠN\nđiện-tử 0.5 % …")
    other_doc = Result("other:1", "other", clause.text)
    assert [r.satisfied for r in matcher.judge(query, [other_doc, clause])] == [(), ("j0",)]


def test_each_judgement_counts_once_and_one_clause_can_satisfy_two():
    query = LabelledQuery("q", "", "phrase", [Judgement("j0", "d", "alpha"), Judgement("j1", "d", "beta"),
                                              Judgement("j2", "e", "gamma")])
    results = [Result("d:1", "d", "alpha"), Result("d:1.a", "d", "alpha"),  # the same judgement twice
               Result("d:2", "d", "alpha beta"), Result("x:1", "x", "gamma")]
    judged = Matcher().judge(query, results)
    assert [r.satisfied for r in judged] == [("j0",), (), ("j1",), ()]
    both = Matcher().judge(query, [Result("d:3", "d", "beta … alpha"), Result("e:1", "e", "gamma")])
    assert both[0].satisfied == ("j0", "j1")
    per_query = evaluate_judged(qrels_for([query]), {"q": both}, ks=(1, 2))
    # recall@1 is cut on results: the first result alone satisfies 2 of the 3 judgements.
    assert per_query["recall@1"]["q"] == pytest.approx(2 / 3)
    assert per_query["recall@2"]["q"] == pytest.approx(1.0)
    assert ranked_items(both, 1) == ["j0", "j1"]


def test_empty_anchor_is_refused():
    with pytest.raises(ValueError, match="no letters or digits"):
        Matcher().judge(LabelledQuery("q", "", "", [Judgement("j", "d", " … ")]), [Result("d:1", "d", "x")])


# BEIR fixture (tests/fixtures/beir_tiny), test split: q1 → d1 (grade 2), d3 (1) [d5 graded 0: not a
# judgement]; q2 → d2; q3 → d4, d6; q4 has no qrels and is skipped. A fixed ranking of clauses:
BEIR_RANKING = {
    "q1": ["d2:c1", "d1:c1", "d1:c2", "d5:c1", "d3:c1"],
    "q2": ["d2:c1"],
    "q3": ["d1:c1", "d3:c1", "d5:c1", "d2:c1", "d1:c2", "d3:c2", "d5:c2", "d2:c2", "d3:c3", "d5:c3", "d6:c1"],
    "q4": ["d1:c1"],
}
# By hand, each document counted once (d1:c2 is a second clause of an already found document):
# q1 items: miss, d1, miss, miss, d3 → recall@1 0, recall@5 2/2 = 1, recall@10 1, recall@20 1, RR 1/2;
#    DCG = 2/log2(3) + 1/log2(6) = 1.261860 + 0.386853 = 1.648713; IDCG = 2/log2(2) + 1/log2(3) = 2.630930;
#    nDCG@10 = 0.626665.
# q2: d2 at rank 1 → every recall 1, RR 1, nDCG 1.
# q3: d6 at rank 11, d4 absent → recall@1/5/10 0, recall@20 1/2, RR@10 0, nDCG@10 0.
# Recall as defined, judgements satisfied ÷ all 5 judgements: recall@1 1/5 (q2's), recall@5 and @10 3/5,
# recall@20 4/5; per-query means ("(query mean)"): recall@1 1/3, recall@5 2/3, recall@10 2/3,
# recall@20 (1+1+0.5)/3 = 0.833333; MRR@10 (0.5+1+0)/3 = 0.5, nDCG@10 (0.626665+1+0)/3 = 0.542222.
BEIR_EXPECTED = {"recall@1": 1 / 5, "recall@5": 3 / 5, "recall@10": 3 / 5, "recall@20": 4 / 5,
                 "recall@1 (query mean)": 1 / 3, "recall@5 (query mean)": 2 / 3, "recall@10 (query mean)": 2 / 3,
                 "recall@20 (query mean)": 2.5 / 3, "mrr@10": 0.5, "ndcg@10": 0.542222}


def test_beir_fixture_metrics_match_the_hand_computation():
    beir = read_beir(FIXTURES / "beir_tiny")

    def fixed(query_text: str, k: int) -> list[Result]:
        query_id = next(q.id for q in beir.queries if q.text == query_text)
        return [Result(cid, cid.split(":")[0], beir.corpus[cid.split(":")[0]][1]) for cid in BEIR_RANKING[query_id]][:k]

    result = evaluate_retrievers("beir_tiny", beir.queries, {"fixed": fixed}, ks=(1, 5, 10, 20))
    got = result.modes["fixed"].means
    for metric, value in BEIR_EXPECTED.items():
        assert got[metric] == pytest.approx(value, abs=1e-6), metric
    assert result.modes["fixed"].per_query["ndcg@10"]["q1"] == pytest.approx(0.626665, abs=1e-6)
    assert result.by_kind("fixed")["english"]["recall@20"] == pytest.approx(0.5)


# TREC fixture (tests/fixtures/trec_tiny): qrels t1 → A, B (C judged 0); t2 → D (grade 2), E; t3 → F.
# run A by score: t1 X, A, B; t2 E, D; t3 nothing.
#   t1: recall@1 0, recall@5 1, RR 1/2; DCG = 1/log2(3) + 1/log2(4) = 0.630930 + 0.5; IDCG = 1 + 0.630930;
#       nDCG = 1.130930 / 1.630930 = 0.693426.
#   t2: recall@1 1/2, recall@5 1, RR 1; DCG = 1 + 2/log2(3) = 2.261860; IDCG = 2 + 1/log2(3) = 2.630930;
#       nDCG = 0.859721.
#   t3: all 0.
#   defined recall over the 5 judgements: recall@1 1/5, recall@5/10/20 4/5; per-query means: recall@1
#   (0 + 0.5 + 0)/3 = 0.166667, recall@5/10/20 2/3; MRR@10 0.5, nDCG@10 0.517716.
# run B: t1 A, B → RR 1, nDCG 1; t2 Z → 0; t3 F → RR 1, nDCG 1; MRR@10 2/3.
TREC_EXPECTED_A = {"recall@1": 1 / 5, "recall@5": 4 / 5, "recall@10": 4 / 5, "recall@20": 4 / 5,
                   "recall@1 (query mean)": 0.5 / 3, "recall@5 (query mean)": 2 / 3, "mrr@10": 0.5,
                   "ndcg@10": 0.517716}


def test_trec_fixture_metrics_match_the_hand_computation():
    qrels = read_trec_qrels(FIXTURES / "trec_tiny" / "qrels.txt")
    runs = {"A": read_trec_run(FIXTURES / "trec_tiny" / "run_a.txt"),
            "B": read_trec_run(FIXTURES / "trec_tiny" / "run_b.txt")}
    result = evaluate_trec(qrels, runs, ks=(1, 5, 10, 20), test="student")
    for metric, value in TREC_EXPECTED_A.items():
        assert result.modes["A"].means[metric] == pytest.approx(value, abs=1e-6), metric
    assert result.modes["B"].means["mrr@10"] == pytest.approx(2 / 3)
    assert result.modes["B"].per_query["ndcg@10"] == pytest.approx({"t1": 1.0, "t2": 0.0, "t3": 1.0})
    # Paired t-test on MRR@10: differences A − B = (−0.5, 1, −1): mean −1/6, sd 1.040833, t = −0.27735,
    # 2 degrees of freedom → two-sided p = 0.8075 (scipy gives the same figure).
    (comparison,) = result.comparisons
    assert comparison.test == "student"
    assert comparison.metrics["mrr@10"]["p_value"] == pytest.approx(0.8075, abs=1e-3)
    assert (comparison.metrics["mrr@10"]["wins"], comparison.metrics["mrr@10"]["losses"]) == (1, 2)


def test_randomization_test_is_exact_on_few_differences_and_robust_to_float_sums():
    # Four queries lost, 26 tied: of the 2^4 sign patterns only "all lost" and "all won" are as extreme,
    # p = 2/16 = 0.125 exactly — with recall values like 2/3 whose sums differ in the last bit by order.
    a = [2 / 3, 2 / 3, 0.5, 0.0] + [1.0] * 26
    b = [1.0] * 30
    assert randomization_p_value(a, b) == pytest.approx(0.125)
    # MRR differences of the TREC fixture (−0.5, 1, −1): every one of the 8 patterns has |sum| >= 0.5.
    assert randomization_p_value([0.5, 1.0, 0.0], [1.0, 0.0, 1.0]) == pytest.approx(1.0)
    assert randomization_p_value([0.3] * 5, [0.3] * 5) == 1.0


def test_randomization_test_separates_a_clearly_better_run():
    qrels = {f"q{i}": {"rel": 1} for i in range(30)}
    good = {f"q{i}": {"rel": 2.0, "x": 1.0} for i in range(30)}
    bad = {f"q{i}": ({"x": 2.0, "y": 1.0} if i % 3 else {"rel": 2.0}) for i in range(30)}
    comparison = compare_runs(qrels, good, bad, ("good", "bad"), ["mrr@10"], test="fisher")
    # 20 queries differ, all one way: sampled, p = (0 + 1) / (100000 + 1).
    assert comparison.metrics["mrr@10"]["p_value"] < 1e-4
    assert (comparison.metrics["mrr@10"]["wins"], comparison.metrics["mrr@10"]["ties"]) == (20, 10)


# ------------------------------------------------------------------------------------------ on the seed index


def _all_clauses(searcher) -> list:
    return [clause for info in searcher.documents() for clause in searcher.get_document(info.doc_id).clauses]


def test_random_retriever_scores_near_zero(searcher):
    clauses = _all_clauses(searcher)
    queries = read_queries_jsonl(SEED_QUERIES)
    matcher = Matcher()
    # Chance level, exactly: a judgement satisfied by m of N clauses is in a random top 10 with probability
    # 1 − C(N−m, 10) / C(N, 10).
    n = len(clauses)
    chance = []
    for query in queries:
        hit_probability = []
        for judgement in query.judgements:
            m = sum(matcher.satisfies(judgement, Result(c.id, c.doc_id, c.text)) for c in clauses)
            hit_probability.append(1 - math.comb(n - m, 10) / math.comb(n, 10))
        chance.append(sum(hit_probability) / len(hit_probability))
    expected_recall = sum(chance) / len(chance)
    assert expected_recall < 0.1

    rng = random.Random(7)

    def random_clauses(_query: str, k: int) -> list[Result]:
        return [Result(c.id, c.doc_id, c.text) for c in rng.sample(clauses, k)]

    runs = [evaluate_retrievers("seed", queries, {"random": random_clauses}, ks=(10,), comparisons=[])
            for _ in range(3)]
    recall = sum(r.modes["random"].means["recall@10"] for r in runs) / len(runs)
    mrr = sum(r.modes["random"].means["mrr@10"] for r in runs) / len(runs)
    assert recall == pytest.approx(expected_recall, abs=0.05) and recall < 0.12, (recall, expected_recall)
    assert mrr < 0.1


def test_oracle_retriever_scores_one(searcher):
    """The smallest clause containing each anchor, in judgement order: everything is found, first — which
    also proves every seed judgement is satisfiable by some parsed clause."""
    matcher = Matcher()
    queries = read_queries_jsonl(SEED_QUERIES)
    by_text = {q.text: q for q in queries}

    def oracle(query_text: str, k: int) -> list[Result]:
        query = by_text[query_text]
        found = []
        for judgement in query.judgements:
            document = searcher.get_document(judgement.doc)
            candidates = [Result(c.id, c.doc_id, c.text) for c in (document.clauses if document else [])]
            fitting = [r for r in candidates if matcher.satisfies(judgement, r)]
            assert fitting, f"{query.id}: no clause of {judgement.doc} contains {judgement.anchor!r}"
            found.append(min(fitting, key=lambda r: len(r.text)))
        return found[:k]

    result = evaluate_retrievers("seed", queries, {"oracle": oracle})
    got = result.modes["oracle"].means
    most = max(len(q.judgements) for q in queries)
    assert most <= 5
    for metric in ("recall@5", "recall@10", "recall@20", "mrr@10", "ndcg@10"):
        assert got[metric] == pytest.approx(1.0), (metric, got)
    # One result cannot hold several judgements unless one clause contains several anchors: recall@1 is at
    # least one judgement per query of all judgements (per query: the mean of 1/|judgements|), and below 1
    # exactly when some query has more than one.
    floor = len(queries) / sum(len(q.judgements) for q in queries)
    assert floor - 1e-9 <= got["recall@1"] < 1.0
    query_floor = sum(1 / len(q.judgements) for q in queries) / len(queries)
    assert query_floor - 1e-9 <= got["recall@1 (query mean)"] < 1.0
    assert got["recall@1"] < got["recall@1 (query mean)"]  # seed queries with more judgements are harder


def test_cli_beir_folder_without_corpus_indexes_the_beir_documents(tmp_path: Path):
    import typer
    from typer.testing import CliRunner

    from eval.cli import register

    # Only this module's command: the test does not depend on the other stages' commands importing.
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)

    out = tmp_path / "report"
    outcome = CliRunner().invoke(app, ["eval", str(FIXTURES / "beir_tiny"), "--mode", "bm25", "--no-dense",
                                       "--index", str(tmp_path / "index"), "--report", str(out), "-q"])
    assert outcome.exit_code == 0, outcome.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["info"]["queries"] == 3
    bm25 = summary["modes"]["bm25"]["means"]
    # Six short documents; every query shares words with its judged documents: BM25 finds them all.
    assert bm25["recall@20"] == pytest.approx(1.0), summary["modes"]["bm25"]["per_query"]
    run_lines = (out / "run.bm25.trec").read_text(encoding="utf-8").splitlines()
    assert run_lines and all(len(line.split()) == 6 for line in run_lines)
    assert {line.split()[2].split(":")[0] for line in run_lines} <= {"d1", "d2", "d3", "d4", "d5", "d6"}
    for name in ("report.md", "recall_at_k.png", "qrels.judgements.trec", "run.bm25.judged.trec"):
        assert (out / name).stat().st_size > 0, name

    # The judged run re-scored through the TREC path gives the same MRR@10 and nDCG@10.
    again = tmp_path / "again"
    outcome = CliRunner().invoke(app, ["eval", "--qrels", str(out / "qrels.judgements.trec"),
                                       "--run", str(out / "run.bm25.judged.trec"), "--report", str(again)])
    assert outcome.exit_code == 0, outcome.output
    rescored = json.loads((again / "summary.json").read_text(encoding="utf-8"))["modes"]["lexvn-bm25"]["means"]
    for metric in ("mrr@10", "ndcg@10", "recall@10"):
        assert rescored[metric] == pytest.approx(bm25[metric]), metric


def test_article_recall_counts_a_hit_in_the_judged_point_and_clause_recall_does_not(searcher):
    """Recall as defined (judgements ÷ all) beside the per-query mean, and article-level recall: a hit in
    another point of the judged plan item (002's 6.a beside the judged 6.b) satisfies the latter only."""
    from eval.formats import Judgement, LabelledQuery
    from eval.units import ArticleUnits

    units = ArticleUnits(searcher)
    judged = Judgement("j1", "002_7aca7bcc376b2da4", "không thấp hơn 0,5% tổng chi ngân sách hàng năm")
    other = Judgement("j2", "000_4c6edb8a98047afa", "not less than 0.5% of the total annual budget expenditure")
    single = Judgement("j3", "003_9f40a26defcbfd25", "bảo đảm chi cho công tác xây dựng pháp luật không thấp hơn 0,5%")
    assert units.judgement_unit(judged) == "002_7aca7bcc376b2da4:6"
    sibling = searcher.get_clause("002_7aca7bcc376b2da4:6.a")
    queries = [LabelledQuery("two", "q two", "x", [judged, other]), LabelledQuery("one", "q one", "x", [single])]

    def fixed(text: str, k: int) -> list[Result]:
        return [Result(sibling.id, sibling.doc_id, sibling.text)] if text == "q two" else []

    result = evaluate_retrievers("units", queries, {"fixed": fixed}, ks=(10,), comparisons=[], units=units)
    figures = result.modes["fixed"].means
    assert figures["recall@10"] == 0.0 and figures["article_recall@10"] == pytest.approx(1 / 3)
    assert figures["article_recall@10 (query mean)"] == pytest.approx(0.25)  # (1/2 + 0) / 2 queries
