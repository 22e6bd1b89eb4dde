"""Facts a clause states, in Vietnamese or English: quantities with their comparator, dates and deadlines,
modality and the lead agency. The cross-checker compares these between aligned clauses.

Every phrase list lives in `search/data/fact_terms.json`; this module only turns the tables into regexes
and the matches into typed `Fact`s. Numbers compare by value: `1%` = `01%`, `0,5%` = `0.5%`,
`1.000.000 đồng` = `1 triệu đồng`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from indexer import metadata
from indexer.normalise import skeleton_words
from search.resources import DATA_DIR

QUANTITY_KINDS = ("percent", "amount", "duration", "count")
COMPARATOR_SYMBOL = {"ge": "≥", "le": "≤", "gt": ">", "lt": "<", "eq": "="}

# A number as written: digits with optional thousand groups and decimal part. Never glued to letters,
# slashes or hyphens, so "66-NQ/TW", "59/2020/QH14", "30/4/2025" and "QH14" are not quantities.
NUMBER = r"(?<![\w/.,-])(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?![\w/-]|[.,]\d)"
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
MONTHS_EN = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
# A document number such as 66-NQ/TW, 1218/QĐ-UBND, 59/2020/QH14: a date right after one is its date.
DOC_NUMBER = re.compile(metadata.DOC_NUMBER)


@dataclass(slots=True)
class Fact:
    """One thing a clause states. `value` is comparable across languages and spellings:
    a float for quantities (percent points, đồng, count), an ISO interval "start..end" for dates,
    a category for modality, a skeleton name for an agency."""

    kind: str  # percent | amount | duration | count | date | deadline | modality | agency
    value: Any
    text: str  # as written in the clause
    span: tuple[int, int]  # offsets in the text the facts were extracted from
    unit: str | None = None  # "%", "đồng", "day", "month", "thành viên", …
    comparator: str = "eq"  # ge | le | gt | lt | eq (quantities only)
    context: list[str] = field(default_factory=list)  # skeleton words around a quantity: what it measures
    implied: bool = False  # read from words that imply it ("người chưa thành niên" = under 18), not a number

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["span"] = list(self.span)
        return data

    def describe(self) -> str:
        if self.kind in QUANTITY_KINDS:
            symbol = "" if self.comparator == "eq" else COMPARATOR_SYMBOL[self.comparator] + " "
            return f"{symbol}{_format_number(self.value)} {self.unit}".strip()
        return f"{self.value}"


@lru_cache(maxsize=1)
def terms() -> dict[str, Any]:
    return json.loads((DATA_DIR / "fact_terms.json").read_text(encoding="utf-8"))


def _alternation(phrases: list[str]) -> str:
    """Regex alternation of phrases, longest first, spaces matching any run of whitespace."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(word) for word in p.split()) for p in ordered)


def parse_number(raw: str, language: str = "vi") -> float:
    """Value of a written number. The last separator is decimal when both kinds occur; a single kind
    repeated, or '.' (vi) / ',' (en) before exactly three digits, groups thousands."""
    dots, commas = raw.count("."), raw.count(",")
    if dots and commas:
        decimal = "." if raw.rfind(".") > raw.rfind(",") else ","
        grouping = "," if decimal == "." else "."
        return float(raw.replace(grouping, "").replace(decimal, "."))
    separator = "." if dots else "," if commas else None
    if separator is None:
        return float(raw)
    groups = raw.split(separator)
    thousands_sep = "." if language == "vi" else ","
    if len(groups) > 2 or (separator == thousands_sep and all(len(g) == 3 for g in groups[1:])):
        return float("".join(groups))
    return float(raw.replace(",", "."))


def _format_number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else f"{value:.0f}"


@dataclass(frozen=True, slots=True)
class _Patterns:
    quantity: re.Pattern[str]
    before: list[tuple[str, re.Pattern[str]]]
    after: list[tuple[str, re.Pattern[str]]]
    range_start: re.Pattern[str]
    range_end: re.Pattern[str]
    reference_before: re.Pattern[str]
    dates: list[tuple[str, re.Pattern[str]]]
    deadline_before: re.Pattern[str]
    modality: re.Pattern[str]
    modality_of: dict[str, str]
    agency: re.Pattern[str]
    lead_marker: re.Pattern[str]
    range_end_of: dict[str, re.Pattern[str]]
    around: list[tuple[str, re.Pattern[str], re.Pattern[str]]]  # (comparator, before, after)
    phrase_quantity: re.Pattern[str] | None
    phrase_quantities: dict[str, dict[str, Any]]
    not_quantity: re.Pattern[str] | None
    range_join: re.Pattern[str]
    preposition: re.Pattern[str]


@lru_cache(maxsize=1)
def patterns() -> _Patterns:
    t = terms()
    word_units = list(t["money_units"]) + list(t["duration_units"]) + t["percent_units"][1:]
    number_words = _alternation(list(t["number_words"]))
    quantity = re.compile(
        rf"(?:{NUMBER}|(?<!\w)({number_words})(?=\s+(?:{_alternation(word_units)}|[^\W\d_]+)))"
        rf"\s*(%|(?:{_alternation(word_units)})(?!\w)|[^\W\d_]+(?:\s+[^\W\d_]+)?)?",
        re.IGNORECASE,
    )
    before = [(op, re.compile(rf"(?<!\w)(?:{_alternation(ph)})\s*(?:là|bằng|mức|of)?\s*$", re.IGNORECASE))
              for op, ph in t["comparators_before"].items()]
    after = [(op, re.compile(rf"^\s*(?:{_alternation(ph)})(?!\w)", re.IGNORECASE))
             for op, ph in t["comparators_after"].items()]
    # a reference word, possibly followed by a list of earlier numbers: "các Điều 38, 39, 40 và <42>"
    reference_before = re.compile(
        rf"(?<!\w)(?:{_alternation(t['reference_words_before_number'])})\s*[:.]?\s*"
        r"(?:\d+[a-zđ]?\s*(?:,|và|hoặc|and|or|,\s*and)\s*)*$", re.IGNORECASE)
    roman = r"(I{1,3}|IV|[1-4])"
    month_en = "|".join(MONTHS_EN)
    dates = [  # (granularity, pattern); earlier entries win over later ones on overlap
        ("day", re.compile(r"(?<![\w/])(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})(?![\w/])")),
        ("day", re.compile(r"(?<!\w)ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)),
        ("day_en", re.compile(rf"(?<!\w)({month_en})\s+(\d{{1,2}}),?\s+(\d{{4}})", re.IGNORECASE)),
        ("day_en2", re.compile(rf"(?<!\w)(\d{{1,2}})\s+({month_en}),?\s+(\d{{4}})", re.IGNORECASE)),
        ("quarter", re.compile(rf"(?<!\w)(?:quý|quarter)\s+{roman}\s*(?:/|năm|of|,)?\s*(\d{{4}})", re.IGNORECASE)),
        ("quarter_en", re.compile(rf"(?<!\w)(?:the\s+)?{roman.lower()}(?:st|nd|rd|th)?\s+quarter\s+(?:of\s+)?(\d{{4}})",
                                  re.IGNORECASE)),
        ("month", re.compile(r"(?<!\w)tháng\s+(\d{1,2})\s*(?:/|năm)\s*(\d{4})(?!\d)", re.IGNORECASE)),
        ("month_en", re.compile(rf"(?<!\w)({month_en})\s+(?:of\s+)?(\d{{4}})", re.IGNORECASE)),
        ("year", re.compile(r"(?<!\w)(?:năm|year)\s+(\d{4})(?![\w/-])", re.IGNORECASE)),
        ("year_en", re.compile(r"(?<!\w)(by|in|until|before|from|to|after|since|end of|đến|trước)\s+(\d{4})(?![\w/-])",
                               re.IGNORECASE)),
    ]
    deadline_before = re.compile(rf"(?<!\w)(?:{_alternation(t['deadline_markers'])})\s*(?:hết|cuối|the end of|end of)?\s*$",
                                 re.IGNORECASE)
    modality_of = {p.lower(): kind for kind, ph in t["modality"].items() for p in ph}
    modality = re.compile(rf"(?<!\w)(?:{_alternation(list(modality_of))})(?!\w)", re.IGNORECASE)
    # Agency heads are capitalised ("Sở", "Ministry of"): case-sensitive so "sở, ngành" is not a name.
    agency = re.compile(rf"(?<!\w)(?:{_alternation(t['agency_heads'])})(?=\s+[A-ZĐÀ-Ỹa-zđà-ỹ])")
    markers = t["agency_lead_markers"]
    lead_marker = re.compile(rf"(?<!\w)(?:{_alternation(markers['after'] + markers['en_after'])})(?!\w)", re.IGNORECASE)
    range_start = re.compile(rf"(?<!\w)(?:{_alternation(t['range_start']['ge'])})\s*$", re.IGNORECASE)
    range_end = re.compile(rf"(?<!\w)(?:{_alternation(t['range_end_after']['ge'] + t['range_end_after']['le'])})(?!\w)",
                           re.IGNORECASE)
    range_end_of = {op: re.compile(rf"(?<!\w)(?:{_alternation(ph)})(?!\w)", re.IGNORECASE)
                    for op, ph in t["range_end_after"].items()}
    around = [(rule["comparator"], re.compile(rf"(?<!\w)(?:{_alternation(rule['before'])})\s*$", re.IGNORECASE),
               re.compile(rf"^[^;.\d]{{0,16}}?(?<!\w)(?:{_alternation(rule['after'])})(?!\w)", re.IGNORECASE))
              for rule in t.get("comparators_around", [])]
    phrase_quantities = {q["phrase"].lower(): q for q in t.get("phrase_quantities", [])}
    phrase_quantity = re.compile(rf"(?<!\w)(?:{_alternation(list(phrase_quantities))})(?!\w)", re.IGNORECASE) \
        if phrase_quantities else None
    not_quantity = re.compile(rf"(?<!\w)(?:{_alternation(t['not_quantities'])})(?!\w)", re.IGNORECASE) \
        if t.get("not_quantities") else None
    # "từ 02 đến 50 thành viên": the lower bound of a range, its upper bound right after
    range_join = re.compile(r"^\s*(?:đến|tới|to|-|–)\s*(?=\d)", re.IGNORECASE)
    preposition = re.compile(rf"(?<!\w)(?:{_alternation(t['preposition_comparators']['words'])})\s*$", re.IGNORECASE)
    return _Patterns(quantity, before, after, range_start, range_end, reference_before, dates, deadline_before, modality, modality_of,
                     agency, lead_marker, range_end_of, around, phrase_quantity, phrase_quantities, not_quantity, range_join,
                     preposition)


def _unit_of(raw_unit: str | None) -> tuple[str, str | None, float]:
    """(kind, unit, multiplier) for the word(s) after a number."""
    t = terms()
    unit = re.sub(r"\s+", " ", (raw_unit or "").strip().lower())
    if unit in ("%",) or unit in t["percent_units"]:
        return "percent", "%", 1.0
    if unit in t["money_units"]:
        return "amount", "đồng", float(t["money_units"][unit])
    if unit in t["duration_units"]:
        return "duration", t["duration_units"][unit], 1.0
    if unit:
        return "count", " ".join(unit.split()[:2]), 1.0
    return "count", None, 1.0


def _context(text: str, start: int, end: int, width: int = 5) -> list[str]:
    """Skeleton words just after a quantity (what it measures), then a few just before it; words that
    bound or date any quantity ("trở lên", "kể từ ngày", "of", "at least") say nothing of what it measures."""
    stop = set(terms().get("context_stopwords", ()))
    tail = re.split(r"[;.](?!\d)", text[end:end + 60])[0]  # what follows, within its phrase
    after = [w for w in skeleton_words(tail) if not w.isdigit() and w not in stop][:width]
    before = [w for w in skeleton_words(text[max(0, start - 50):start]) if not w.isdigit() and w not in stop][-4:]
    return after + before


def _blocked_spans(text: str) -> list[tuple[int, int]]:
    """Spans that hold no quantity of their own: names such as "công ty trách nhiệm hữu hạn hai thành viên
    trở lên" and the phrases `phrase_quantities` reads as a whole ("một nửa" is 50%, not a count of one)."""
    p = patterns()
    spans = [m.span() for m in p.not_quantity.finditer(text)] if p.not_quantity else []
    if p.phrase_quantity:
        spans += [m.span() for m in p.phrase_quantity.finditer(text)]
    return spans


def _comparator(text: str, start: int, end: int) -> str:
    """The comparator bounding the quantity at text[start:end]: a phrase around it ("chậm nhất … trước"),
    before it ("không quá"), right after it ("trở lên", "liên tục"), or closing its phrase ("từ 35% tổng giá
    trị tài sản trở lên", "chiếm 10% số vốn điều lệ trở lên")."""
    p = patterns()
    head = text[max(0, start - 40):start]
    tail = text[end:end + 40]
    for op, before, after in p.around:
        if before.search(head) and after.search(tail):
            return op
    for op, pattern in p.before:
        if pattern.search(head):
            return op
    for op, pattern in p.after:
        if pattern.search(tail):
            return op
    if p.range_start.search(text[max(0, start - 12):start]) and re.match(r"^\s*(?:đến|tới|to)(?!\w)", tail, re.IGNORECASE):
        return "ge"  # "từ 15 năm đến dưới 20 năm"
    # the rest of the phrase, up to punctuation or the next number
    phrase_tail = re.split(r"[,;:.]\s|[,;:]|\d", text[end:end + 90])[0]
    for op, pattern in p.range_end_of.items():
        if pattern.search(phrase_tail):
            return op
    return "eq"


def extract_quantities(text: str, language: str = "vi") -> list[Fact]:
    p, t = patterns(), terms()
    blocked = _blocked_spans(text)
    facts: list[Fact] = []
    for match in p.quantity.finditer(text):
        digits, word_number, raw_unit = match.group(1), match.group(2), match.group(3)
        start, end = match.start(), match.end()
        if any(s < end and start < e for s, e in blocked):
            continue
        head = text[max(0, start - 40):start]
        if p.reference_before.search(head):
            continue  # "Điều 88", "khoản 1", "số 59": a reference, not a quantity
        if digits and start > 0 and text[start - 1] in "/-":
            continue
        if digits and re.match(r"^\s*[.)]\s*(?:\n|$)|^[.)]\s", text[end:end + 3]) and _line_start(text, start):
            continue  # list numbering "1." / "2)"
        kind, unit, multiplier = _unit_of(raw_unit)
        if word_number and kind == "count" and unit is None:
            continue
        if kind == "count" and digits and len(digits) == 4 and 1900 <= int(digits.replace(".", "").replace(",", "") or 0) <= 2100:
            continue  # a bare year belongs to dates
        lower_bound = kind == "count" and unit is not None and unit.split()[0] in ("đến", "tới") and \
            p.range_start.search(text[max(0, start - 12):start]) is not None
        if kind == "count" and unit is not None and unit.split()[0] in t["count_unit_stopwords"] and not lower_bound:
            continue  # "5 và", "3 đến": a list member or a range bound, not a counted noun
        if kind == "count" and unit is not None:
            end = match.start(3)  # keep the measured noun as context, not as part of the quantity text
            unit_words = unit.split()
            unit = unit_words[0] if language == "en" else " ".join(unit_words[:2])
        value = parse_number(digits, language) if digits else float(t["number_words"][word_number.lower()])
        if lower_bound:
            facts.append(_range_lower(text, start, end, value, language))
            continue
        comparator = _comparator(text, start, match.end())
        if comparator in ("gt", "lt") and kind == "count" and value in t["preposition_comparators"]["values"] \
                and p.preposition.search(head):
            comparator = "eq"  # "trên một hợp đồng": on one contract
        facts.append(Fact(kind=kind, value=value * multiplier, text=text[start:match.end()].strip(), span=(start, match.end()),
                          unit=unit, comparator=comparator, context=_context(text, start, match.end())))
    facts = _close_ranges(text, facts)
    facts += _phrase_quantities(text)
    return sorted(facts, key=lambda f: f.span)


def _range_lower(text: str, start: int, end: int, value: float, language: str) -> Fact:
    """The lower bound of "từ 02 đến 50 thành viên": its unit and scale are the upper bound's (filled in by
    `_close_ranges`); placeholder kind count until then."""
    fact = Fact(kind="count", value=value, text=text[start:end].strip(), span=(start, end), unit=None, comparator="ge",
                context=[])
    fact.context = ["__range_lower__"]
    return fact


def _close_ranges(text: str, facts: list[Fact]) -> list[Fact]:
    """Give each range's lower bound the unit of its upper bound, and the upper bound the comparator ≤."""
    p = patterns()
    ordered = sorted(facts, key=lambda f: f.span)
    kept: list[Fact] = []
    for index, fact in enumerate(ordered):
        if fact.context != ["__range_lower__"]:
            kept.append(fact)
            continue
        upper = ordered[index + 1] if index + 1 < len(ordered) else None
        if upper is None or not p.range_join.match(text[fact.span[1]:upper.span[0] + 1]):
            continue
        number_upper = float(re.sub(r"[^\d]", "", upper.text.split()[0]) or 0) or 1.0
        scale = upper.value / number_upper if upper.kind == "amount" else 1.0
        if upper.comparator == "eq":
            upper.comparator = "le"
        kept.append(Fact(kind=upper.kind, value=fact.value * scale, text=fact.text, span=fact.span, unit=upper.unit,
                         comparator="ge", context=upper.context))
    return kept


def _phrase_quantities(text: str) -> list[Fact]:
    """Quantities written as words: "hơn một nửa" (> 50%), "ba phần tư" (75%), "người chưa thành niên"."""
    p = patterns()
    if p.phrase_quantity is None:
        return []
    facts = []
    for match in p.phrase_quantity.finditer(text):
        entry = p.phrase_quantities[re.sub(r"\s+", " ", match.group(0).lower())]
        comparator = entry["comparator"]
        if comparator == "eq":
            comparator = _comparator(text, match.start(), match.end())
        facts.append(Fact(kind=entry["kind"], value=float(entry["value"]), text=match.group(0), span=match.span(),
                          unit=entry["unit"], comparator=comparator, context=_context(text, match.start(), match.end()),
                          implied=bool(entry.get("implied", False))))
    return facts


def _line_start(text: str, start: int) -> bool:
    line_head = text[text.rfind("\n", 0, start) + 1:start]
    return not line_head.strip()


def _interval(granularity: str, groups: tuple[str, ...]) -> tuple[date, date] | None:
    """The calendar interval a date expression names, so `năm 2025` contains `tháng 6 năm 2025`."""
    try:
        if granularity == "day":
            d = date(int(groups[2]), int(groups[1]), int(groups[0]))
            return d, d
        if granularity == "day_en":
            d = date(int(groups[2]), MONTHS_EN[groups[0].lower()], int(groups[1]))
            return d, d
        if granularity == "day_en2":
            d = date(int(groups[2]), MONTHS_EN[groups[1].lower()], int(groups[0]))
            return d, d
        if granularity in ("quarter", "quarter_en"):
            q, year = ROMAN[groups[0].lower()], int(groups[1])
            return date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
        if granularity in ("month", "month_en"):
            month = int(groups[0]) if granularity == "month" else MONTHS_EN[groups[0].lower()]
            year = int(groups[1])
            return date(year, month, 1), _month_end(year, month)
        year = int(groups[-1])
        return date(year, 1, 1), date(year, 12, 31)
    except (ValueError, KeyError):
        return None


def _month_end(year: int, month: int) -> date:
    return date.fromordinal(date(year + month // 12, month % 12 + 1, 1).toordinal() - 1)


def _date_matches(text: str) -> list[tuple[str, re.Match[str]]]:
    """Every date expression, earlier patterns winning on overlap."""
    found: list[tuple[str, re.Match[str]]] = []
    for granularity, pattern in patterns().dates:
        for match in pattern.finditer(text):
            if not any(m.start() < match.end() and match.start() < m.end() for _, m in found):
                found.append((granularity, match))
    return sorted(found, key=lambda gm: gm[1].start())


def extract_dates(text: str) -> list[Fact]:
    """Dates and deadlines. A date right after a document number ("66-NQ/TW ngày 30/4/2025") is that
    document's date and not extracted; one after a deadline marker ("trước", "By") is a deadline."""
    p = patterns()
    facts: list[Fact] = []
    for granularity, match in _date_matches(text):
        start, end = match.span()
        head = text[max(0, start - 45):start]
        if DOC_NUMBER.search(head.split(";")[-1].split(".")[-1]) or re.search(r"(?:ban hành|ký|dated)\s*$", head, re.I):
            continue
        interval = _interval(granularity, match.groups())
        if interval is None:
            continue
        # year_en carries its marker inside the match ("By 2027")
        marker_head = head + (match.group(1) + " " if granularity == "year_en" else "")
        kind = "deadline" if p.deadline_before.search(marker_head) else "date"
        facts.append(Fact(kind=kind, value=f"{interval[0].isoformat()}..{interval[1].isoformat()}",
                          text=match.group(0), span=(start, end)))
    return sorted(facts, key=lambda f: f.span)


def extract_modality(text: str) -> list[Fact]:
    """Obligation / permission / prohibition markers; table entries in category "none" (e.g. "có quyền
    biểu quyết", a noun) win by being longer and are dropped."""
    p = patterns()
    facts = [Fact(kind="modality", value=p.modality_of[re.sub(r"\s+", " ", m.group(0).lower())], text=m.group(0),
                  span=m.span()) for m in p.modality.finditer(text)]
    return [f for f in facts if f.value != "none"]


def _field_key(key: str) -> str:
    return " ".join(skeleton_words(key.replace("_", " ")))


def extract_agencies(text: str, fields: dict[str, str] | None = None) -> list[Fact]:
    """The lead agency: the named body just before "chủ trì" in the same phrase ("Sở Tư pháp chủ trì",
    "giao Sở Tài chính chủ trì"), or a table row's lead-agency column."""
    p = patterns()
    lead_keys = {_field_key(f) for f in terms()["agency_fields"]}
    facts = [Fact(kind="agency", value=" ".join(skeleton_words(value)), text=value.strip(), span=(0, 0))
             for key, value in (fields or {}).items() if _field_key(key) in lead_keys and value.strip()]
    for marker in p.lead_marker.finditer(text):
        phrase_start = max(text.rfind(c, 0, marker.start()) for c in ".;:\n(") + 1
        phrase = text[phrase_start:marker.start()]
        head = p.agency.search(phrase)
        if head is None:
            continue
        name = re.sub(r"\s+", " ", phrase[head.start():]).strip(" ,")
        if 1 < len(name.split()) <= 12:
            start = phrase_start + head.start()
            facts.append(Fact(kind="agency", value=" ".join(skeleton_words(name)), text=name, span=(start, start + len(name))))
    return facts


def extract_field_deadlines(fields: dict[str, str] | None) -> list[Fact]:
    """Dates in a table row's time column ("Thời gian thực hiện: Quý III/2025") are deadlines."""
    deadline_keys = {_field_key(f) for f in terms()["deadline_fields"]}
    facts: list[Fact] = []
    for key, value in (fields or {}).items():
        if _field_key(key) in deadline_keys:
            for granularity, match in _date_matches(value):
                interval = _interval(granularity, match.groups())
                if interval:
                    facts.append(Fact(kind="deadline", value=f"{interval[0].isoformat()}..{interval[1].isoformat()}",
                                      text=match.group(0), span=(0, 0)))
    return facts


def extract_facts(text: str, language: str = "vi", fields: dict[str, str] | None = None) -> list[Fact]:
    """All facts of one clause's text, in text order."""
    dates = extract_dates(text)
    date_spans = [m.span() for _, m in _date_matches(text)]
    quantities = [q for q in extract_quantities(text, language)
                  if not any(s < q.span[1] and q.span[0] < e for s, e in date_spans)]
    field_deadlines = extract_field_deadlines(fields)
    if field_deadlines:  # the row's time column states its deadline; the same date in the text is no extra fact
        dates = [d for d in dates if d.value not in {f.value for f in field_deadlines}]
    facts = quantities + dates + field_deadlines + extract_modality(text) + extract_agencies(text, fields)
    return sorted(facts, key=lambda f: (f.span, f.kind))
