"""Readers and writers of eval inputs/outputs: shared anchor JSONL, BEIR folders, TREC qrels and runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.formats import (
    FormatError,
    is_beir_folder,
    read_beir,
    read_queries_jsonl,
    read_trec_qrels,
    read_trec_run,
    trec_run_tag,
    write_trec_qrels,
    write_trec_run,
)
from tests.conftest import ROOT, SEED_QUERIES, SHARED

FIXTURES = ROOT / "tests" / "fixtures"
BEIR = FIXTURES / "beir_tiny"
TREC = FIXTURES / "trec_tiny"


def test_shared_seed_queries_read_with_every_judgement():
    queries = read_queries_jsonl(SEED_QUERIES)
    raw = [json.loads(line) for line in SEED_QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [q.id for q in queries] == [r["id"] for r in raw]
    assert sum(len(q.judgements) for q in queries) == sum(len(r["relevant"]) for r in raw)
    first = queries[0]
    assert first.kind == raw[0]["kind"] and first.text == raw[0]["query"]
    assert [(j.doc, j.anchor) for j in first.judgements] == [(r["doc"], r["anchor"]) for r in raw[0]["relevant"]]
    # judgement ids are unique within a query even when two anchors share a document
    for q in queries:
        assert len({j.id for j in q.judgements}) == len(q.judgements)


def test_vlc_title_queries_are_title_kind():
    queries = read_queries_jsonl(SHARED / "eval" / "vlc_title_queries.jsonl")
    assert len(queries) == 600
    assert {q.kind for q in queries} == {"title"}


def test_two_anchors_in_one_document_are_two_judgements(tmp_path: Path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "a", "query": "x", "kind": "phrase", "relevant": [
        {"doc": "d", "anchor": "one"}, {"doc": "d", "anchor": "two"}]}) + "\n", encoding="utf-8")
    (query,) = read_queries_jsonl(path)
    assert [j.doc for j in query.judgements] == ["d", "d"]
    assert query.judgements[0].id != query.judgements[1].id


@pytest.mark.parametrize("content, problem", [
    ('{"id": "a", "query": "x", "relevant": []}\n{"id": "a", "query": "y", "relevant": []}\n', "duplicate"),
    ('{"id": "a"}\n', "not a labelled query"),
    ("not json\n", "not a labelled query"),
])
def test_bad_query_files_are_refused_with_line_numbers(tmp_path: Path, content: str, problem: str):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=problem):
        read_queries_jsonl(path)


def test_beir_folder_reads_test_split_positive_qrels_only():
    assert is_beir_folder(BEIR) and not is_beir_folder(TREC)
    beir = read_beir(BEIR)
    assert beir.split == "test"
    assert set(beir.corpus) == {"d1", "d2", "d3", "d4", "d5", "d6"}
    assert beir.corpus["d4"][0] == "Law on Cybersecurity"
    by_id = {q.id: q for q in beir.queries}
    assert set(by_id) == {"q1", "q2", "q3"}  # q4 has no qrels
    assert {(j.doc, j.grade) for j in by_id["q1"].judgements} == {("d1", 2), ("d3", 1)}  # d5 scored 0
    assert all(j.anchor is None and j.id == j.doc for q in beir.queries for j in q.judgements)
    assert by_id["q3"].kind == "english"
    assert [q.id for q in read_beir(BEIR, split="dev").queries] == ["q2"]
    with pytest.raises(FormatError, match="splits here"):
        read_beir(BEIR, split="train")


def test_beir_qrels_naming_unknown_documents_are_refused(tmp_path: Path):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "title": "", "text": "x"}\n', encoding="utf-8")
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n', encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tnope\t1\n", encoding="utf-8")
    with pytest.raises(FormatError, match="nope"):
        read_beir(folder)


def test_trec_files_read_and_round_trip(tmp_path: Path):
    qrels = read_trec_qrels(TREC / "qrels.txt")
    assert qrels == {"t1": {"A": 1, "B": 1, "C": 0}, "t2": {"D": 2, "E": 1}, "t3": {"F": 1}}
    run = read_trec_run(TREC / "run_a.txt")
    assert run == {"t1": {"B": 1.0, "X": 3.0, "A": 2.0}, "t2": {"E": 5.0, "D": 4.0}}
    assert trec_run_tag(TREC / "run_a.txt") == "runA"

    ranked = {"q1": [("c:1", 2.0), ("c:2", 1.0)], "q2": [("c:3", 0.5)]}
    path = write_trec_run(tmp_path / "run.trec", ranked, "lexvn-bm25")
    assert path.read_text().splitlines()[0] == "q1 Q0 c:1 1 2.000000 lexvn-bm25"
    assert read_trec_run(path) == {"q1": {"c:1": 2.0, "c:2": 1.0}, "q2": {"c:3": 0.5}}
    assert read_trec_qrels(write_trec_qrels(tmp_path / "q.trec", qrels)) == qrels


def test_trec_writer_encodes_whitespace_in_ids_and_refuses_empty_ones(tmp_path: Path):
    path = write_trec_run(tmp_path / "r.trec", {"q1": [("law:pTHỨ HAI.ch1", 1.0)]}, "tag")
    assert read_trec_run(path) == {"q1": {"law:pTHỨ%20HAI.ch1": 1.0}}
    with pytest.raises(FormatError):
        write_trec_run(tmp_path / "r.trec", {"": [("d", 1.0)]}, "tag")


def test_malformed_trec_lines_are_refused(tmp_path: Path):
    path = tmp_path / "run.txt"
    path.write_text("q1 Q0 d1 1\n", encoding="utf-8")
    with pytest.raises(FormatError, match="qid Q0 docid rank score tag"):
        read_trec_run(path)
