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
    """A typed finding of the document under review (A) against its reference (B), on one pair of clauses.

    `source` is A's clause and `target` B's, whichever order the user named the documents in; either is
    None when that side has no counterpart (an obligation of B that A drops entirely, or one A adds)."""

    kind: str  # value_changed | comparator_changed | deadline_changed | modality_changed | obligation_dropped | obligation_added | agency_changed | consistent
    source: ClauseRef | None
    target: ClauseRef | None
    similarity: float
    confidence: float
    facts_source: list[dict[str, Any]] = field(default_factory=list)
    facts_target: list[dict[str, Any]] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)  # terse: "100% → trên 50% (vốn điều lệ)"
    # per difference: its kind and the fact as A ("reviewed") and as B ("reference") state it (None: not stated)
    changes: list[dict[str, Any]] = field(default_factory=list)
    message_en: str = ""  # who does what: "Hà Tĩnh's programme omits the floor of ≥ 0.5% … set by …"
    message_vi: str = ""
    reviewed_doc: str = ""  # A's doc_id
    reference_doc: str = ""  # B's doc_id
    counterpart: str = "aligned"  # aligned | nearest (the closest clause, not an aligned one) | none

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
