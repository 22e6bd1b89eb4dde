"""Query parsing: quoted phrases, free text, language, and result filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from indexer.segment import detect_language

MODES = ("hybrid", "bm25", "dense", "phrase")
# Straight and typographic double quotes delimit phrases.
QUOTED = re.compile(r"[\"“”„]([^\"“”„]+)[\"“”„]")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    text: str  # the query without its quote marks (what BM25 and the encoder see)
    phrases: tuple[str, ...]  # quoted phrases: results must contain every one of them
    language: str  # "vi" | "en"

    @property
    def quoted(self) -> bool:
        return bool(self.phrases)


def parse_query(query: str) -> ParsedQuery:
    phrases = tuple(p.strip() for p in QUOTED.findall(query) if p.strip())
    text = " ".join(QUOTED.sub(lambda m: f" {m.group(1)} ", query).split())
    return ParsedQuery(text=text, phrases=phrases, language=detect_language(text))


@dataclass(slots=True)
class Filters:
    """Restrictions on results, combined with AND. Strings compare case-insensitively.

    doc_type: exact document type ("Luật", "Kế hoạch"); issuer: substring of the issuer; language: "vi"/"en";
    number: document number, ignoring case and spaces ("1218/QĐ-UBND"); year_from / year_to: inclusive
    range on the document date's year; doc_ids: only these documents; kind: clause kind ("khoan", "row").
    """

    doc_type: str | None = None
    issuer: str | None = None
    language: str | None = None
    number: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    doc_ids: tuple[str, ...] | None = None
    kind: str | None = None

    @classmethod
    def from_value(cls, value: Filters | dict[str, Any] | None) -> Filters | None:
        if value is None or isinstance(value, Filters):
            return value
        known = {name: value[name] for name in cls.__slots__ if value.get(name) not in (None, "", [])}
        unknown = set(value) - set(cls.__slots__)
        if unknown:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}; known: {', '.join(cls.__slots__)}")
        if "doc_ids" in known:
            known["doc_ids"] = tuple(known["doc_ids"])
        for year in ("year_from", "year_to"):
            if year in known:
                known[year] = int(known[year])
        return cls(**known) if known else None

    def accepts_document(self, meta: Any, doc_id: str) -> bool:
        if self.doc_ids is not None and doc_id not in self.doc_ids:
            return False
        if self.doc_type and (meta.doc_type or "").casefold() != self.doc_type.casefold():
            return False
        if self.issuer and self.issuer.casefold() not in (meta.issuer or "").casefold():
            return False
        if self.language and meta.language != self.language:
            return False
        if self.number and _compact(meta.number) != _compact(self.number):
            return False
        year = int(meta.date[:4]) if meta.date and meta.date[:4].isdigit() else None
        if (self.year_from is not None or self.year_to is not None) and year is None:
            return False
        if self.year_from is not None and year < self.year_from:
            return False
        return not (self.year_to is not None and year > self.year_to)


def _compact(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").casefold()
