"""Findings in words, Vietnamese and English, saying which document does what: "Hà Tĩnh's programme omits the
floor of ≥ 0.5% “of the total annual budget expenditure” set by second bullet, point 7, Part III of
Resolution No. 66-NQ/TW …".

Words and templates are data (`search/data/crosscheck_messages.json`); this module names documents, writes
facts in each language (`0,5%` / `0.5%`, `1.000.000 đồng` / `1,000,000 dong`) and fills the templates.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from indexer.model import Clause, Document
from search.crosscheck.facts import COMPARATOR_SYMBOL, QUANTITY_KINDS, Fact
from search.resources import DATA_DIR

LANGUAGES = ("vi", "en")


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    return json.loads((DATA_DIR / "crosscheck_messages.json").read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class DocumentName:
    vi: str
    en: str

    def get(self, language: str) -> str:
        return self.vi if language == "vi" else self.en


def _place(issuer: str | None) -> str | None:
    """The place an issuer is named after: "Ban Thường vụ Tỉnh ủy Hà Tĩnh" → "Hà Tĩnh"."""
    if not issuer:
        return None
    heads = "|".join(re.escape(w) for w in sorted(words()["place_before"], key=len, reverse=True))
    match = re.search(rf"(?:{heads})\s+((?:[A-ZĐÀ-Ỹ][^\s,;]*)(?:\s+[A-ZĐÀ-Ỹ][^\s,;]*)*)\s*$", issuer)
    return match.group(1) if match else None


def document_name(document: Document) -> DocumentName:
    """A short name in each language: "Chương trình hành động của Ban Thường vụ Tỉnh ủy Hà Tĩnh" / "Hà Tĩnh's
    programme"; "Luật Doanh nghiệp 59/2020/QH14" / "Law 59/2020/QH14"; "Nghị quyết 66-NQ/TW" / "Resolution 66-NQ/TW"."""
    meta = document.meta
    doc_type = meta.doc_type or ""
    type_en = words()["doc_types"].get(doc_type, "document")
    place = _place(meta.issuer)
    title = meta.title or ""
    if meta.number:
        vi_head = title if meta.language == "vi" and title.startswith(doc_type) and doc_type and len(title) <= 60 else doc_type
        vi = f"{vi_head or 'Văn bản'} {meta.number}"
        en = f"{place}'s {type_en} {meta.number}" if place else f"{type_en.capitalize()} {meta.number}"
    elif doc_type:
        vi = f"{doc_type} của {meta.issuer}" if meta.issuer else doc_type
        en = f"{place}'s {type_en}" if place else (f"the {type_en} of {meta.issuer}" if meta.issuer else f"the {type_en}")
    else:
        vi = en = document.doc_id
    return DocumentName(vi, en)


def _number(value: float, language: str) -> str:
    if float(value).is_integer():
        whole = f"{int(value):,}"
        return whole.replace(",", ".") if language == "vi" else whole
    text = f"{value:g}"
    return text.replace(".", ",") if language == "vi" else text


def fact_value(fact: Fact | None, language: str) -> str:
    """A fact as a reader writes it: "≥ 0,5%", "không quá 30 ngày" (in symbols), "năm 2025", "nghĩa vụ"."""
    if fact is None:
        return "—"
    if fact.kind in QUANTITY_KINDS:
        symbol = "" if fact.comparator == "eq" else COMPARATOR_SYMBOL[fact.comparator] + " "
        unit_words = words()["units"].get(fact.unit or "", {})
        unit = unit_words.get(language, fact.unit or "")
        number = _number(float(fact.value), language)
        return f"{symbol}{number}{unit}" if unit == "%" else f"{symbol}{number} {unit}".strip()
    if fact.kind == "modality":
        return words()["modality"].get(fact.value, {}).get(language, str(fact.value))
    return fact.text


def bound(fact: Fact | None, language: str) -> str:
    comparator = fact.comparator if fact is not None else "eq"
    return words()["bound"][comparator][language]


def fact_kind(kind: str, language: str) -> str:
    return words()["fact_kind"].get(kind, {}).get(language, kind)


def measure(clause: Clause | None, fact: Fact | None, body: str | None = None) -> str:
    """What a quantity measures, quoted from its clause: the words right after it up to a stop
    ("of the total annual budget expenditure"), at most eight; empty when nothing follows."""
    if clause is None or fact is None or fact.span == (0, 0) or body is None:
        return ""
    tail = re.split(r"[,;:.()\n]", body[fact.span[1]:fact.span[1] + 160])[0]
    stops = set(words()["measure_stops"])
    kept: list[str] = []
    for word in tail.split():
        if word.lower() in stops and kept:
            break
        kept.append(word)
    phrase = " ".join(kept[:8]).strip(" “”\"'")
    return f"“{phrase}”" if phrase else ""


def citation(clause: Clause | None, language: str) -> str:
    if clause is None:
        return "—"
    if language == "en":
        return clause.citation_en or clause.citation
    return clause.citation or clause.citation_en


def render(kind: str, language: str, **fields: str) -> str:
    """The template of `kind` in `language`, filled; the first letter capitalised."""
    template = words()["templates"][language][kind]
    text = template.format_map(_Blank(fields))
    text = re.sub(r"\s+", " ", text).replace(" ,", ",").replace(" .", ".").replace("( ", "(")
    return text[:1].upper() + text[1:]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""
