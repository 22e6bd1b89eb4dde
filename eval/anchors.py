"""Judgements → per-query qrels, and ranked results → judged rankings that ranx can score.

A result *satisfies* a judgement when it comes from the judged document and, for an anchor judgement,
its clause text contains the anchor, both compared as skeletons (`indexer.normalise.skeleton`, the eval
README's definition). Each judgement counts once: the qrels of a query are its judgement ids, and a ranked
list of results becomes, per result, the ids of the judgements it satisfies *first* (earlier results
took the others) or, when it satisfies nothing new, one non-relevant item of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from eval.formats import Judgement, LabelledQuery
from indexer.normalise import skeleton

MISS_PREFIX = "~"  # items that satisfy no judgement; judgement ids never start with it


class ResultLike(Protocol):
    """What matching needs of a result: `search.model.Hit` has these fields."""

    clause_id: str
    doc_id: str
    text: str


@dataclass(slots=True, frozen=True)
class JudgedResult:
    rank: int  # 1-based position in the engine's ranking
    clause_id: str
    doc_id: str
    satisfied: tuple[str, ...]  # judgement ids this result satisfies first; () = not relevant


def qrels_for(queries: Iterable[LabelledQuery]) -> dict[str, dict[str, int]]:
    """Per query, one relevant item per judgement (graded: BEIR grades carry over to nDCG)."""
    return {q.id: {j.id: j.grade for j in q.judgements} for q in queries}


def miss_item(rank: int, clause_id: str) -> str:
    # The rank keeps the item unique even if an engine returned the same clause twice.
    return f"{MISS_PREFIX}{rank}{MISS_PREFIX}{clause_id}"


class Matcher:
    """Decides which judgements a result satisfies; caches skeletons by clause id (results repeat across
    modes and queries, and a skeleton of a long article is worth computing once)."""

    def __init__(self) -> None:
        self._skeletons: dict[str, str] = {}
        self._anchor_skeletons: dict[str, str] = {}

    def anchor_skeleton(self, anchor: str) -> str:
        found = self._anchor_skeletons.get(anchor)
        if found is None:
            found = skeleton(anchor)
            if not found:
                raise ValueError(f"anchor {anchor!r} has no letters or digits: it would match every clause")
            self._anchor_skeletons[anchor] = found
        return found

    def text_skeleton(self, clause_id: str, text: str) -> str:
        found = self._skeletons.get(clause_id)
        if found is None:
            found = self._skeletons[clause_id] = skeleton(text)
        return found

    def satisfies(self, judgement: Judgement, result: ResultLike) -> bool:
        if result.doc_id != judgement.doc:
            return False
        if judgement.anchor is None:
            return True
        return self.anchor_skeleton(judgement.anchor) in self.text_skeleton(result.clause_id, result.text)

    def judge(self, query: LabelledQuery, results: Sequence[ResultLike]) -> list[JudgedResult]:
        """The results in rank order, each with the judgements it is the first to satisfy."""
        open_judgements = list(query.judgements)
        judged: list[JudgedResult] = []
        for rank, result in enumerate(results, start=1):
            newly = [j for j in open_judgements if self.satisfies(j, result)]
            if newly:
                open_judgements = [j for j in open_judgements if j not in newly]
            judged.append(JudgedResult(rank, result.clause_id, result.doc_id, tuple(j.id for j in newly)))
        return judged


def ranked_items(judged: Sequence[JudgedResult], k: int | None = None) -> list[str]:
    """Item ids in rank order for the top `k` results (all when None).

    A result that satisfies two judgements at once yields both ids, consecutively: recall over the top k
    *results* stays exact because the cut is made on results here, before ranx sees the items.
    """
    items: list[str] = []
    for result in judged[:k] if k is not None else judged:
        items.extend(result.satisfied or (miss_item(result.rank, result.clause_id),))
    return items


def first_satisfying_rank(judged: Sequence[JudgedResult]) -> int | None:
    return next((r.rank for r in judged if r.satisfied), None)
