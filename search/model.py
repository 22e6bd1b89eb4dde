"""Typed results of the query side: Hit (one ranked clause) and Conflict (one cross-check finding)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Hit:
    rank: int
    clause_id: str
    doc_id: str
    source: str  # path of the document relative to the corpus root
    text: str  # the clause's original text
    citation: str
    citation_en: str
    path: str  # human path, e.g. "III.7.-2" / "Điều 5 > khoản 2 > điểm a"
    score: float
    scores: dict[str, float] = field(default_factory=dict)  # per signal: bm25, dense, phrase, rrf, …
    highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets into `text`
    document: dict[str, Any] = field(default_factory=dict)  # type, number, issuer, date, title, language
    headings: list[str] = field(default_factory=list)
    kind: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["highlights"] = [list(h) for h in self.highlights]
        return data


@dataclass(slots=True)
class ClauseRef:
    clause_id: str
    doc_id: str
    citation: str
    text: str


@dataclass(slots=True)
class Conflict:
    """A typed finding on one aligned pair of clauses (source document vs the one it is checked against)."""

    kind: str  # value_changed | comparator_changed | deadline_changed | modality_changed | obligation_dropped | agency_changed | consistent
    source: ClauseRef
    target: ClauseRef
    similarity: float
    confidence: float
    facts_source: list[dict[str, Any]] = field(default_factory=list)
    facts_target: list[dict[str, Any]] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)  # human explanations: "100% → trên 50% (vốn điều lệ)"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
