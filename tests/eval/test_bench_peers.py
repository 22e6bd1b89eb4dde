"""The peer adapters of `make bench` (eval/bench/peers.py): same clauses as lexvn, hits judged by the harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.formats import read_queries_jsonl
from tests.conftest import SEED_QUERIES


def test_peers_index_every_clause_of_the_lexvn_index_in_nfc_lower_case(searcher, seed_index: Path) -> None:
    from eval.bench.peers import load_clauses

    clauses = load_clauses(seed_index)
    assert [c.clause_id for c in clauses] == searcher.clause_ids()
    first = next(c for c in clauses if c.doc_id.startswith("002_"))
    clause = searcher.get_clause(first.clause_id)
    assert first.text == clause.text and first.doc_id == clause.doc_id
    assert first.contents == first.contents.lower() and (clause.clean_text or clause.text).lower() in first.contents


def test_latency_asks_every_engine_each_query_interleaved() -> None:
    from eval.bench.peers import latency, markdown_table

    calls: list[tuple[str, str]] = []
    engines = {name: (lambda query, k, name=name: calls.append((name, query))) for name in ("a", "b")}
    figures = latency(engines, ["q1", "q2"], rounds=2)
    assert calls == [("a", "q1"), ("b", "q1"), ("a", "q2"), ("b", "q2")] * 2
    assert figures["a"]["samples"] == 4 and figures["a"]["p50_ms"] <= figures["a"]["p99_ms"]
    assert markdown_table([{"engine": "a", "p50_ms": 1.0}]).splitlines()[2] == "| a | 1.0 |"


def _judged_recall(seed_index: Path, tmp_path: Path, name: str) -> float:
    from eval.bench.peers import PEERS, load_clauses
    from eval.runner import evaluate_retrievers

    clauses = load_clauses(seed_index)
    peer = PEERS[name](tmp_path / name, clauses)
    peer.build(clauses)
    hits = peer.search("Kế hoạch triển khai Nghị quyết", 5)
    assert 0 < len(hits) <= 5 and all(hit.clause_id in peer.by_id and hit.text for hit in hits)
    assert peer.search("!!! ?", 5) == [] and peer.size_bytes() > 0
    result = evaluate_retrievers("seed", read_queries_jsonl(SEED_QUERIES), {name: peer.search}, ks=(10,),
                                 comparisons=[])
    return result.modes[name].means["recall@10"]


def test_tantivy_peer_answers_with_clauses_the_harness_judges(seed_index: Path, tmp_path: Path) -> None:
    pytest.importorskip("tantivy")
    assert _judged_recall(seed_index, tmp_path, "tantivy") > 0.5


def test_lucene_peer_answers_with_clauses_the_harness_judges(seed_index: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyserini", reason="make bench installs pyserini (Lucene); make test does not")
    assert _judged_recall(seed_index, tmp_path, "lucene") > 0.5
