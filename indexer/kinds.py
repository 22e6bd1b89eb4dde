"""The table of clause kinds (`data/clause_kinds.tsv`): what each kind is called and what role it plays.

One source for every stage that asks "what is a Điều / khoản / Mục called" or "is this clause a heading":
the parser, citations, the result path shown to readers, search and cross-document alignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KINDS_FILE = Path(__file__).resolve().parent / "data" / "clause_kinds.tsv"


@dataclass(frozen=True, slots=True)
class ClauseKind:
    kind: str
    vi: str  # "khoản"
    en: str  # "clause"
    role: str  # "section" | "article" | "content"
    under_article: bool  # kept in the citation of a clause inside an Điều
    reading_unit: bool  # an Điều or a plan's point: what article-level recall counts in


def _read(path: Path) -> tuple[ClauseKind, ...]:
    kinds = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, vi, en, role, under_article, reading_unit = line.split("\t")
        if role not in ("section", "article", "content"):
            raise ValueError(f"{path}: unknown role {role!r} for {kind}")
        kinds.append(ClauseKind(kind, vi, en, role, under_article == "yes", reading_unit == "yes"))
    return tuple(kinds)


TABLE = _read(KINDS_FILE)
KINDS = {entry.kind: entry for entry in TABLE}
CLAUSE_KINDS = tuple(entry.kind for entry in TABLE)  # outermost first
SECTION_KINDS = frozenset(entry.kind for entry in TABLE if entry.role == "section")
ARTICLE_KINDS = frozenset(entry.kind for entry in TABLE if entry.role == "article")
# Kinds whose clause may be a bare title over its children (sections and articles).
HEADING_KINDS = SECTION_KINDS | ARTICLE_KINDS
DROPPED_UNDER_ARTICLE = frozenset(entry.kind for entry in TABLE if not entry.under_article)
READING_UNIT_KINDS = frozenset(entry.kind for entry in TABLE if entry.reading_unit)


def vi_word(kind: str) -> str:
    entry = KINDS.get(kind)
    return entry.vi if entry else kind


def en_word(kind: str) -> str:
    entry = KINDS.get(kind)
    return entry.en if entry else kind
