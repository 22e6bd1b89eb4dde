"""The question sets under eval/questions/: sizes and kinds the issue asks for, disjoint dev and test halves,
and every judgement's anchor inside a clause of its parsed document."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.formats import read_queries_jsonl
from indexer.normalise import skeleton
from indexer.pipeline import ingest_file
from tests.conftest import CORPUS, ROOT, VLC

QUESTIONS = ROOT / "eval" / "questions"
SETS = {"vlc_vi": 150, "vlc_en": 40, "seed_crosslingual": 30}  # the least number of queries of each set


def halves(name: str) -> tuple[list, list]:
    return read_queries_jsonl(QUESTIONS / f"{name}.dev.jsonl"), read_queries_jsonl(QUESTIONS / f"{name}.test.jsonl")


@pytest.mark.parametrize("name", sorted(SETS))
def test_sets_are_large_enough_and_their_halves_disjoint(name: str) -> None:
    dev, test = halves(name)
    assert len(dev) + len(test) >= SETS[name]
    assert not {q.id for q in dev} & {q.id for q in test}
    assert not {q.text for q in dev} & {q.text for q in test}
    rows = [json.loads(line) for half in ("dev", "test")
            for line in (QUESTIONS / f"{name}.{half}.jsonl").read_text(encoding="utf-8").splitlines()]
    kinds = {row.get("subkind") or row.get("direction") or row["kind"] for row in rows}
    assert abs(len(dev) - len(test)) <= len(kinds)  # dealt alternately within each kind


def test_vietnamese_questions_cover_every_kind_in_both_halves() -> None:
    for half in halves("vlc_vi"):
        kinds = Counter(q.kind for q in half)
        assert set(kinds) == {"howmany", "condition", "definition", "procedure", "penalty", "deadline"}
        assert min(kinds.values()) >= 6


def _anchors_land_in_clauses(queries: list, root: Path) -> list[str]:
    missing, clauses = [], {}
    for query in queries:
        for judgement in query.judgements:
            if judgement.doc not in clauses:
                path = next(root.rglob(f"{judgement.doc}.*"))
                clauses[judgement.doc] = [skeleton(c.text) for c in ingest_file(path, root).clauses]
            anchor = skeleton(judgement.anchor)
            if not any(anchor in text for text in clauses[judgement.doc]):
                missing.append(f"{query.id}: {judgement.anchor}")
    return missing


def test_crosslingual_anchors_lie_in_parsed_seed_clauses() -> None:
    dev, test = halves("seed_crosslingual")
    assert {q.kind for q in dev + test} == {"crosslingual"}
    assert _anchors_land_in_clauses(dev + test, CORPUS) == []


@pytest.mark.slow
@pytest.mark.skipif(not VLC.is_dir(), reason="needs ../shared/vlc")
def test_law_question_anchors_lie_in_parsed_clauses() -> None:
    queries = [q for name in ("vlc_vi", "vlc_en") for half in halves(name) for q in half]
    assert _anchors_land_in_clauses(queries, VLC) == []
