"""Pattern tables for document structure: which line starts which kind of clause, at which depth.

The parser (`indexer.parse`) is generic; the Vietnamese and English conventions live here as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROMAN = r"[IVXLC]+"
LETTER = r"[a-zđ]"


# Ordinal words of "Phần thứ hai", "PHẦN THỨ MƯỜI MỘT": units, then tens ("mười", "hai mươi") + unit.
ORDINAL_UNITS = {"nhất": 1, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "lăm": 5,
                 "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9}
ORDINAL_TENS = {"mười": 10, "hai mươi": 20, "ba mươi": 30}
ORDINAL_WORDS = "|".join(sorted({*ORDINAL_UNITS, "mười", "mươi"}, key=len, reverse=True))


def ordinal_number(words: str) -> int | None:
    """"thứ hai" -> 2, "THỨ MƯỜI MỘT" -> 11, "thứ hai mươi" -> 20; None when the words are no ordinal."""
    words = " ".join(words.lower().split())
    words = words.removeprefix("thứ ").strip()
    for tens_word, tens in sorted(ORDINAL_TENS.items(), key=lambda item: -len(item[0])):
        if words == tens_word:
            return tens
        if words.startswith(tens_word + " ") and words[len(tens_word) + 1 :] in ORDINAL_UNITS:
            return tens + ORDINAL_UNITS[words[len(tens_word) + 1 :]]
    return ORDINAL_UNITS.get(words)


# A clause id is URL-path-safe apart from ':' and '.': no whitespace, '/', '#', '?', '%' or '\\' in a label.
UNSAFE_IN_ID = re.compile(r"[\s/#?%\\]+")


def id_label(label: str) -> str:
    """A path label as it goes into a clause id: ordinal words as a number, anything else slugged."""
    number = ordinal_number(label) if label[:3].lower() == "thứ" else None
    if number is not None:
        return str(number)
    label = label.removeprefix("số ").removeprefix("Số ").strip()  # "Phụ lục số 2" -> "2"
    return UNSAFE_IN_ID.sub("-", label).strip("-")


@dataclass(frozen=True, slots=True)
class Marker:
    """A line-start marker: `family` names the convention, `level` orders nesting (smaller = outer)."""

    family: str
    level: int
    pattern: re.Pattern[str]


# Order matters: the first matching marker wins. Every pattern captures `label` and optional `rest`.
MARKERS: tuple[Marker, ...] = (
    Marker("phan", 0, re.compile(
        rf"^(?:Phần|PHẦN)\s+(?P<label>(?:thứ|THỨ)\s+(?:(?i:{ORDINAL_WORDS})(?!\w)(?:\s+(?i:{ORDINAL_WORDS})(?!\w))*|\S+)"
        rf"|{ROMAN}|\d+)\b\.?\s*(?P<rest>.*)$")),
    Marker("chuong", 1, re.compile(rf"^(?:Chương|CHƯƠNG)\s+(?P<label>{ROMAN}|\d+)\b\.?\s*(?P<rest>.*)$")),
    Marker("muc", 2, re.compile(rf"^(?:Mục|MỤC)\s+(?P<label>\d+|{ROMAN})\b\.?\s*(?P<rest>.*)$")),
    Marker("appendix", 0, re.compile(r"^(?:Phụ lục|PHỤ LỤC)(?:\s+(?P<label>[IVXLC\d]+|số\s+\d+))?\s*[.:]?\s*(?P<rest>.{0,80})$")),
    # "Điều 5. Tên", and the bare "Điều 5" line of older laws whose title (if any) follows below.
    Marker("dieu", 3, re.compile(r"^Điều\s+(?P<label>\d+[a-zđ]?)\s*(?:[.:]\s*(?P<rest>.*))?$")),
    # "I. MỤC ĐÍCH", "II - OBJECTIVES", "V. TỔ CHỨC THỰC HIỆN" (a policy document's or translation's part)
    Marker("roman", 2, re.compile(rf"^(?P<label>{ROMAN})\s*[.\-–—]\s*(?P<rest>\S.*)$")),
    Marker("number", 4, re.compile(r"^(?P<label>\d{1,3})\s*\.(?!\d)\s*(?P<rest>.*)$")),
    Marker("tiet", 6, re.compile(rf"^(?P<label>{LETTER}\.?\d{{1,2}})\s*[).]\s+(?P<rest>\S.*)$")),
    Marker("letter", 5, re.compile(rf"^(?P<label>{LETTER})\s*\)\s*(?P<rest>.*)$")),
    Marker("dash", 7, re.compile(r"^(?P<label>[-–•])(?![-–])\s*(?P<rest>\S.*)$")),
    Marker("plus", 8, re.compile(r"^(?P<label>\+)\s*(?P<rest>\S.*)$")),
)

# Kinds by family; "number" and "letter" read as khoản / điểm inside an Điều, as item / point elsewhere.
NORMATIVE_KIND = {"phan": "phan", "chuong": "chuong", "muc": "muc", "dieu": "dieu", "number": "khoan",
                  "letter": "diem", "tiet": "tiet", "dash": "bullet", "plus": "bullet",
                  "appendix": "appendix", "roman": "part"}
POLICY_KIND = {**NORMATIVE_KIND, "number": "item", "letter": "point", "tiet": "tiet"}

# Heading-only markers whose title may sit alone on the next line ("Chương I" / "NHỮNG QUY ĐỊNH CHUNG").
TITLED_FAMILIES = frozenset({"phan", "chuong", "muc", "appendix", "roman"})
# Unnumbered paragraphs after these merge into them (an article holds its lead text; a khoản its text).
MERGING_KINDS = frozenset({"dieu", "khoan", "diem", "tiet", "phan", "chuong", "muc"})

# A line that closes the body: signature and distribution blocks.
CLOSING = re.compile(r"^(?:Nơi nhận\s*:|(?:TM|KT|TL|TUQ|Q)\.\s+\S|T/M\s|Recipients\s*:)")
# A closing paragraph of a policy document addresses the document as a whole, so it belongs to no point
# above it: an opening formula, or the document naming itself ("… Kế hoạch này …").
CLOSING_PARAGRAPH = re.compile(
    r"^(?:Trong quá trình (?:tổ chức )?(?:triển khai|thực hiện)|Trên đây là|Yêu cầu (?:các|Thủ trưởng|Giám đốc|Chủ tịch)|"
    r"Đề nghị các|Trên cơ sở (?:nội dung )?(?:Nghị quyết|Kế hoạch|Chương trình|Quyết định|Chỉ thị)|"
    r"Căn cứ (?:nội dung )?(?:Kế hoạch|Chương trình hành động) này)"
    r"|\b(?:Kế hoạch|Chương trình(?: hành động)?|Quyết định|Chỉ thị|Đề án|Nghị quyết) này\b"
)
# An attached document starts after the main one: "KẾ HOẠCH", "QUY CHẾ", "QUY ĐỊNH" alone on a line.
ATTACHED = re.compile(r"^(?P<type>KẾ HOẠCH|QUY CHẾ|QUY ĐỊNH|CHƯƠNG TRÌNH(?: HÀNH ĐỘNG)?|ĐỀ ÁN|ĐIỀU LỆ|HƯỚNG DẪN)$")
ATTACHED_TYPE = {"KẾ HOẠCH": "Kế hoạch", "QUY CHẾ": "Quy chế", "QUY ĐỊNH": "Quy định",
                 "CHƯƠNG TRÌNH": "Chương trình", "CHƯƠNG TRÌNH HÀNH ĐỘNG": "Chương trình hành động",
                 "ĐỀ ÁN": "Đề án", "ĐIỀU LỆ": "Điều lệ", "HƯỚNG DẪN": "Hướng dẫn"}
# A line quoting text (amending laws: “Điều 5. …”) is content, never structure.
QUOTED = re.compile(r'^[“"‘\'«]')
# A line without any letter or digit ("-----", ".") separates blocks and is no text of its own.
SEPARATOR = re.compile(r"^[\W_]*$")
# Sentence-final punctuation: a line ending so closes its paragraph (hard-wrap joining rule).
SENTENCE_END = re.compile(r"(?:[.;:!?…]|\./\.|[.;:!?…][\"”’)\]]+)\s*$")
OPENING_PUNCTUATION = "\"“‘'«([-–• "


def starts_upper(text: str) -> bool:
    """Does the line start (after opening quotes or brackets) with a capital letter or a digit?"""
    core = text.lstrip(OPENING_PUNCTUATION)
    return bool(core) and (core[0].isupper() or core[0].isdigit())

# --- appendix tables -----------------------------------------------------------------------------------

TABLE_HEADER = re.compile(r"^(?:STT|TT)\s+(?:Nội dung|Nhiệm vụ|Tên|Content)", re.I)
# Header words of the five-column task table and the field each becomes.
TASK_TABLE_FIELDS = ("stt", "noi_dung", "co_quan_chu_tri", "co_quan_phoi_hop", "thoi_gian")
TASK_TABLE_HEADER_WORDS = ("chủ trì", "phối", "thời gian")
ROW_START = re.compile(r"^(?P<stt>\d{1,3})(?:\s+(?P<rest>\S.*))?$")
BARE_NUMBER = re.compile(r"^\d{1,4}$")
ARTEFACT_LINE = re.compile(r"^(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:?\d{2}|Z)?|Trang \d+(?:/\d+)?)$")
# How a narrow cell (agency, time frame) usually begins: a cell boundary is likelier before these.
CELL_START = re.compile(
    r"^(?:Các |Sở |Ủy ban|UBND|Ban |Công an|Bộ |Văn phòng|Thực hiện|Theo |Khi |Bắt đầu|Quý |Trong |Hàng |Hằng |"
    r"Thường|Tháng |Năm |Trước |Từ |Định kỳ|Giai đoạn|\d|- )"
)
# How a wrapped cell line ends when the cell goes on (a boundary is unlikely after these).
CELL_CONTINUES = re.compile(r"(?:[,(&/-]|\b(?:Sở|Ủy|và|của|từ|được|có|cấp|các|về|tại|với|theo|hoặc))\s*$")
TIME_CELL = re.compile(r"^(?:Thực hiện|Theo |Khi |Bắt đầu|Quý |Trong |Hàng |Hằng |Thường|Tháng |Năm |Trước |"
                       r"Định kỳ|Giai đoạn|\d|- )")
