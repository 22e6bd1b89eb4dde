"""References: mentions of other documents (and of articles of the same document) inside a document.

    Nghị quyết số 66-NQ/TW ngày 30/4/2025 của Bộ Chính trị  -> key 66-NQ/TW, date 2025-04-30, issuer Bộ Chính trị
    Luật Doanh nghiệp số 59/2020/QH14                        -> key 59/2020/QH14, doc_type Luật
    Resolution No. 66-NQ/TW                                  -> key 66-NQ/TW, doc_type Nghị quyết
    Điều 35 của Bộ luật này                                  -> key dieu:35 (in-document)

Matching runs on the cleaned view of the text (excluded lines blanked, glyph repairs applied, line
breaks and space runs collapsed to one space), so a mention hard-wrapped over lines is still found;
spans are mapped back to `document.text`. The relation comes from the words just before the mention
in the same sentence (`Căn cứ` -> can_cu, `Thực hiện` -> thuc_hien, …). Tables below are data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.metadata import DOC_NUMBER  # one definition of a document number as printed
from indexer.model import Clause, CleanedText, Document, Reference
from indexer.textmap import Edit, MappedText, apply_edits

# Document types as written -> canonical Vietnamese type. English names of the translations included.
DOC_TYPES = {
    "Hiến pháp": "Hiến pháp", "Bộ luật": "Bộ luật", "Luật": "Luật", "Pháp lệnh": "Pháp lệnh",
    "Nghị quyết": "Nghị quyết", "Nghị định": "Nghị định", "Quyết định": "Quyết định", "Quy định": "Quy định",
    "Thông tư": "Thông tư", "Chỉ thị": "Chỉ thị", "Kết luận": "Kết luận", "Kế hoạch": "Kế hoạch",
    "Chương trình hành động": "Chương trình hành động", "Chương trình": "Chương trình", "Hướng dẫn": "Hướng dẫn",
    "Công văn": "Công văn", "Thông báo": "Thông báo",
    "Constitution": "Hiến pháp", "Code": "Bộ luật", "Law": "Luật", "Ordinance": "Pháp lệnh",
    "Resolution": "Nghị quyết", "Decree": "Nghị định", "Decision": "Quyết định", "Regulation": "Quy định",
    "Circular": "Thông tư", "Directive": "Chỉ thị", "Conclusion": "Kết luận", "Plan": "Kế hoạch",
    "Action Program": "Chương trình hành động", "Program": "Chương trình",
}
# Issuing bodies named after "của" / "of the" (longest first so the regex prefers the full name).
ISSUERS = sorted(
    (
        "Bộ Chính trị", "Ban Chấp hành Trung ương", "Ban Bí thư", "Chính phủ", "Thủ tướng Chính phủ", "Quốc hội",
        "Ủy ban Thường vụ Quốc hội", "Chủ tịch nước", "Tỉnh ủy", "Ban Thường vụ Tỉnh ủy", "Thành ủy",
        "Đảng ủy Ủy ban nhân dân tỉnh", "Ủy ban nhân dân tỉnh", "UBND tỉnh", "Hội đồng nhân dân tỉnh",
        "HĐND tỉnh", "Ban Thường vụ Thành ủy", "Bộ Tư pháp", "Bộ Tài chính", "Bộ Nội vụ",
        "Politburo", "Party Central Committee", "Secretariat", "Government", "National Assembly",
        "Prime Minister", "Party Delegation of the National Assembly", "National Assembly Standing Committee",
    ),
    key=len,
    reverse=True,
)
# Signal words before a mention -> relation. The closest one in the same sentence wins.
RELATIONS = (
    (r"căn cứ|pursuant to|based on", "can_cu"),
    (r"thực hiện|triển khai|to implement|implementing|implementation of", "thuc_hien"),
    (r"sửa đổi,? bổ sung|sửa đổi|amending|amend(?:s|ed)?", "sua_doi_bo_sung"),
    (r"thay thế|replac(?:es|ing|ed)", "thay_the"),
    (r"bãi bỏ|repeal(?:s|ing|ed)?|annul(?:s|ling|led)?", "bai_bo"),
)
RELATION_WINDOW = 80  # characters before a mention in which a signal word counts
ENGLISH_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}

TYPE_ALTERNATION = "|".join(re.escape(name) for name in sorted(DOC_TYPES, key=len, reverse=True))
ISSUER_ALTERNATION = "|".join(re.escape(name) for name in ISSUERS)
DATE = (
    r"(?:ngày\s+(?P<d1>\d{1,2})/(?P<m1>\d{1,2})/(?P<y1>\d{4})"
    r"|ngày\s+(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s+năm\s+(?P<y2>\d{4})"
    r"|dated\s+(?P<mon3>[A-Z][a-z]+)\s+(?P<d3>\d{1,2}),\s*(?P<y3>\d{4}))"
)
DOCUMENT_MENTION = re.compile(
    rf"(?P<type>\b(?:{TYPE_ALTERNATION}))"
    # the document's name between type and number, without crossing another type or a sentence break
    rf"(?P<name>(?:(?!\b(?:{TYPE_ALTERNATION})\b)[^.;:,()\n]){{0,120}}?)"
    rf"\s*(?:\bsố|\bNo\.?)?\s*(?P<number>{DOC_NUMBER})"
    rf"(?:\s*,?\s*{DATE})?"
    rf"(?:\s+(?:của|of(?: the)?)\s+(?P<issuer>{ISSUER_ALTERNATION}))?"
)
ARTICLE_MENTION = re.compile(r"\bĐiều\s+(?P<article>\d+[a-zđ]?)\b")
# After "Điều N": "của Bộ luật này" / "Luật này" keeps it in the document; another named act takes it out.
OTHER_ACT_AFTER = re.compile(
    r"\s+(?:của\s+)?(?:Hiến pháp|Bộ luật|Luật|Pháp lệnh|Nghị định|Nghị quyết|Quyết định|Thông tư)\b(?!\s+này\b)"
)


@dataclass(frozen=True, slots=True)
class CleanView:
    """The text as reference matching sees it, with the map back to document offsets."""

    mapped: MappedText

    @property
    def text(self) -> str:
        return self.mapped.text


NON_SPACE = re.compile(r"\S")
COLLAPSIBLE = re.compile(r"\s{2,}|[\n\f\t\r]")


def clean_view(text: str, cleaned: CleanedText | None) -> CleanView:
    """Repairs applied, excluded lines blanked, whitespace runs collapsed to one space."""
    excluded = sorted((s, e) for s, e, _ in cleaned.excluded) if cleaned else []
    # Blank excluded lines in the original first: same length, so offsets stay those of `text`.
    pieces, cursor = [], 0
    for start, end in excluded:
        start = max(start, cursor)
        pieces += [text[cursor:start], NON_SPACE.sub(" ", text[start:end])]
        cursor = max(cursor, end)
    blanked = "".join([*pieces, text[cursor:]]) if excluded else text
    repairs = [r for r in (cleaned.repairs if cleaned else []) if not any(s <= r.start < e for s, e in excluded)]
    if not repairs:  # the common case: one pass, no intermediate character map
        collapse = [Edit(m.start(), m.end(), " ") for m in COLLAPSIBLE.finditer(blanked)]
        return CleanView(apply_edits(blanked, collapse))
    mapped = apply_edits(blanked, repairs)
    collapse = [Edit(m.start(), m.end(), " ") for m in COLLAPSIBLE.finditer(mapped.text)]
    return CleanView(mapped.then(collapse))


def normalise_key(number: str) -> str:
    return re.sub(r"\s+", "", number).upper()


def iso(day: str | None, month: str | None, year: str | None) -> str | None:
    if not (day and month and year):
        return None
    month_number = int(month) if month.isdigit() else ENGLISH_MONTHS.get(month.lower())
    if not month_number or not (1 <= int(day) <= 31 and 1 <= month_number <= 12):
        return None
    return f"{int(year):04d}-{month_number:02d}-{int(day):02d}"


def match_date(match: re.Match[str]) -> str | None:
    for suffix in ("1", "2"):
        found = iso(match.group(f"d{suffix}"), match.group(f"m{suffix}"), match.group(f"y{suffix}"))
        if found:
            return found
    return iso(match.group("d3"), match.group("mon3"), match.group("y3"))


def relation_before(text: str, start: int) -> str | None:
    """The closest relation signal between the sentence start and `start`."""
    window_start = max(text.rfind(".", 0, start), text.rfind(";", 0, start), start - RELATION_WINDOW, 0)
    window = text[window_start:start].lower()
    best: tuple[int, str] | None = None
    for pattern, relation in RELATIONS:
        for found in re.finditer(rf"\b(?:{pattern})\b", window):
            if best is None or found.end() > best[0]:
                best = (found.end(), relation)
    return best[1] if best else None


def document_references(view: CleanView) -> list[Reference]:
    references: list[Reference] = []
    for match in DOCUMENT_MENTION.finditer(view.text):
        written = match.group(0).strip()
        start, end = view.mapped.to_original(match.start(), match.end())
        references.append(
            Reference(
                text=written,
                key=normalise_key(match.group("number")),
                doc_type=DOC_TYPES[match.group("type")],
                number=match.group("number"),
                date=match_date(match),
                issuer=match.group("issuer"),
                relation=relation_before(view.text, match.start()),
                span=(start, end),
            )
        )
    return references


def article_references(view: CleanView, original: str) -> list[Reference]:
    """`Điều 35 của Bộ luật này`, `tại Điều 12` -> dieu:N; skips article headings and other documents' articles."""
    references: list[Reference] = []
    for match in ARTICLE_MENTION.finditer(view.text):
        start, end = view.mapped.to_original(match.start(), match.end())
        line_start = original.rfind("\n", 0, start) + 1
        if not original[line_start:start].strip():
            continue  # "Điều 35." at the start of a line is the article's own heading
        if OTHER_ACT_AFTER.match(view.text, match.end()):
            continue  # "Điều 5 của Luật Doanh nghiệp": an article of another, unnumbered document
        references.append(
            Reference(
                text=match.group(0).strip(),
                key=f"dieu:{match.group('article')}",
                relation=relation_before(view.text, match.start()),
                span=(start, end),
            )
        )
    return references


def find_references(text: str, cleaned: CleanedText | None = None) -> list[Reference]:
    view = clean_view(text, cleaned)
    references = document_references(view) + article_references(view, text)
    return sorted(references, key=lambda r: r.span)


def attach_clauses(references: Iterable[Reference], clauses: list[Clause]) -> None:
    """clause_id = the innermost (shortest) clause whose span contains the mention's start."""
    for reference in references:
        position = reference.span[0]
        containing = [c for c in clauses if c.span[0] <= position < c.span[1]]
        if containing:
            reference.clause_id = min(containing, key=lambda c: c.span[1] - c.span[0]).id


def resolve_references(documents: list[Document]) -> None:
    """resolved_doc_id for mentions of a number some corpus document has; in-document refs -> own doc."""
    by_number = {normalise_key(d.meta.number): d.doc_id for d in documents if d.meta.number}
    for document in documents:
        for reference in document.references:
            if reference.key.startswith("dieu:"):
                reference.resolved_doc_id = document.doc_id
            else:
                target = by_number.get(reference.key)
                reference.resolved_doc_id = target if target != document.doc_id else None
