"""Citations of a clause in Vietnamese legal style and in English, innermost unit first.

`điểm b khoản 6 Mục II Kế hoạch số 12/KH-UBND ngày 3/4/2025 của UBND tỉnh X`,
`gạch đầu dòng thứ hai, điểm 7, Mục III Nghị quyết số 66-NQ/TW ngày 30/4/2025 của Bộ Chính trị`,
`second bullet, point 7, Part III of Resolution No. 66-NQ/TW dated April 30, 2025 of the Politburo`.
Missing metadata fields are left out; with none at all the document id stands for the document.
A clause of a paged source (PDF, scan) ends with its page: `… của UBND tỉnh X (trang 2)`, `… (pages 2–3)`.
"""

from __future__ import annotations

import re

from indexer.kinds import en_word, vi_word
from indexer.model import DocumentMeta, PathStep

VI_ORDINALS = ("nhất", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười")
EN_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")

EN_DOC_TYPE = {"Hiến pháp": "Constitution", "Bộ luật": "Code", "Luật": "Law", "Nghị quyết": "Resolution",
               "Nghị định": "Decree", "Quyết định": "Decision", "Thông tư": "Circular", "Kế hoạch": "Plan",
               "Chương trình hành động": "Action Programme", "Chương trình": "Programme",
               "Chỉ thị": "Directive", "Quy định": "Regulation", "Quy chế": "Rules", "Bài viết": "Article",
               "Công văn": "Official Letter", "Thông báo": "Notice", "Kết luận": "Conclusion",
               "Pháp lệnh": "Ordinance", "Đề án": "Scheme", "Hướng dẫn": "Guidance"}
# Issuing bodies in English: exact names, then patterns whose `{name}` is the place they carry.
EN_ISSUER = {"Bộ Chính trị": "the Politburo", "Ban Bí thư": "the Secretariat", "Chính phủ": "the Government",
             "Thủ tướng Chính phủ": "the Prime Minister", "Quốc hội": "the National Assembly",
             "Ủy ban thường vụ Quốc hội": "the Standing Committee of the National Assembly",
             "Ủy ban Thường vụ Quốc hội": "the Standing Committee of the National Assembly",
             "Chủ tịch nước": "the President", "UBND tỉnh": "the provincial People's Committee",
             "Ủy ban nhân dân tỉnh": "the provincial People's Committee", "Tỉnh ủy": "the Provincial Party Committee"}
EN_ISSUER_PATTERNS = (
    (re.compile(r"^Ban Thường vụ Tỉnh ủy (?P<name>.+)$"), "the Standing Board of the {name} Provincial Party Committee"),
    (re.compile(r"^Ban Thường vụ Thành ủy (?P<name>.+)$"), "the Standing Board of the {name} City Party Committee"),
    (re.compile(r"^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân) tỉnh (?P<name>.+)$"), "the People's Committee of {name} province"),
    (re.compile(r"^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân) (?:thành phố|TP\.?) (?P<name>.+)$"),
     "the People's Committee of {name} city"),
    (re.compile(r"^(?:HĐND|Hội đồng nhân dân) tỉnh (?P<name>.+)$"), "the People's Council of {name} province"),
    (re.compile(r"^Tỉnh ủy (?P<name>.+)$"), "the {name} Provincial Party Committee"),
    (re.compile(r"^Bộ (?P<name>Tư pháp|Tài chính|Nội vụ|Công an|Quốc phòng)$"), "the Ministry of {name}"),
)
# Laws are named by title and number; their date and issuer add nothing to a citation.
NAMED_TYPES = frozenset({"Hiến pháp", "Bộ luật", "Luật", "Pháp lệnh"})


def _ordinal(n: int, words: tuple[str, ...]) -> str:
    return words[n - 1] if 1 <= n <= len(words) else str(n)


def _label_number(label: str) -> int:
    digits = "".join(c for c in label if c.isdigit())
    return int(digits) if digits else 0


def _vi_step(step: PathStep, has_point_below: bool) -> str:
    if step.kind == "bullet":
        return f"{vi_word('bullet')} thứ {_ordinal(_label_number(step.label), VI_ORDINALS)}"
    # an item with points below it is cited like a khoản, a leaf item like a point ("điểm 7, Mục III")
    unit = vi_word("point" if step.kind == "item" and not has_point_below else step.kind)
    return f"{unit} {step.label}".strip() if step.label else unit


def _en_step(step: PathStep, has_point_below: bool) -> str:
    if step.kind == "bullet":
        return f"{_ordinal(_label_number(step.label), EN_ORDINALS)} {en_word('bullet')}"
    unit = en_word("point" if step.kind == "item" and not has_point_below else step.kind)
    return f"{unit} {step.label}".strip() if step.label else unit


def _vi_date(iso: str | None) -> str | None:
    if not iso or len(iso) < 10:
        return None
    year, month, day = iso[:4], iso[5:7], iso[8:10]
    return f"{int(day)}/{int(month)}/{year}" if day.isdigit() and month.isdigit() else None


def _en_date(iso: str | None) -> str | None:
    if not iso or len(iso) < 10 or not iso[5:7].isdigit() or not iso[8:10].isdigit():
        return None
    month = int(iso[5:7])
    return f"{EN_MONTHS[month - 1]} {int(iso[8:10])}, {iso[:4]}" if 1 <= month <= 12 else None


def document_designation_vi(meta: DocumentMeta, doc_id: str) -> str:
    doc_type = meta.doc_type
    name = doc_type or ""
    if doc_type in NAMED_TYPES and meta.title:
        title = meta.title.strip()
        name = title if title.lower().startswith(doc_type.lower()) else f"{doc_type} {title}"
    parts = [name] if name else []
    if meta.number:
        parts.append(f"số {meta.number}")
    if doc_type not in NAMED_TYPES:
        date = _vi_date(meta.date)
        if date:
            parts.append(f"ngày {date}")
        if meta.issuer:
            parts.append(f"của {meta.issuer}")
    if not parts or parts == [name] and not meta.number and not name:
        return meta.title or doc_id
    return " ".join(parts)


def issuer_en(issuer: str) -> str:
    """The issuing body in English from the table; a body the table does not know keeps its own name."""
    issuer = " ".join(issuer.split())
    if issuer in EN_ISSUER:
        return EN_ISSUER[issuer]
    for pattern, template in EN_ISSUER_PATTERNS:
        match = pattern.match(issuer)
        if match:
            return template.format(**match.groupdict())
    return issuer


def document_designation_en(meta: DocumentMeta, doc_id: str) -> str:
    doc_type = EN_DOC_TYPE.get(meta.doc_type or "", meta.doc_type or "")
    parts = [doc_type] if doc_type else ["Document"]
    if meta.number:
        parts.append(f"No. {meta.number}")
    elif not doc_type:
        return meta.title or doc_id
    date = _en_date(meta.date)
    if date:
        parts.append(f"dated {date}")
    if meta.issuer:
        parts.append(f"of {issuer_en(meta.issuer)}")
    return " ".join(parts)


def _points_below(path: list[PathStep]) -> list[bool]:
    return [any(s.kind == "point" for s in path[i + 1 :]) for i in range(len(path))]


def cite_vi(path: list[PathStep], meta: DocumentMeta, doc_id: str, attached: str | None = None) -> str:
    """Vietnamese citation; `attached` names an attached document ("Kế hoạch") issued with the main one."""
    below = _points_below(path)
    steps = [_vi_step(s, below[i]) for i, s in reversed(list(enumerate(path)))]
    designation = document_designation_vi(meta, doc_id)
    if attached:
        designation = f"{attached} ban hành kèm theo {designation}"
    # "gạch đầu dòng thứ hai, điểm 7, Mục III Nghị quyết số …": commas between the units of a bullet,
    # paragraph or row citation, never before the document.
    separator = ", " if path and path[-1].kind in ("bullet", "paragraph", "row") else " "
    return f"{separator.join(steps)} {designation}" if steps else designation


def cite_en(path: list[PathStep], meta: DocumentMeta, doc_id: str, attached: str | None = None) -> str:
    below = _points_below(path)
    steps = [_en_step(s, below[i]) for i, s in reversed(list(enumerate(path)))]
    designation = document_designation_en(meta, doc_id)
    if attached:
        designation = f"{EN_DOC_TYPE.get(attached, attached)} issued with {designation}"
    return f"{', '.join(steps)} of {designation}" if steps else designation


def pages_vi(pages: tuple[int, int] | None) -> str:
    """" (trang 2)" / " (trang 2–3)" for a clause of a paged source; "" otherwise."""
    if not pages:
        return ""
    first, last = pages
    return f" (trang {first})" if first == last else f" (trang {first}–{last})"


def pages_en(pages: tuple[int, int] | None) -> str:
    if not pages:
        return ""
    first, last = pages
    return f" (page {first})" if first == last else f" (pages {first}–{last})"
