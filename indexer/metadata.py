"""Document metadata: type, number, issuing body, place, date, title, language, source URL.

Extraction reads the header of a Vietnamese normative document (`QUỐC HỘI` / `Số: 45/2019/QH14` /
`Hà Nội, ngày 20 tháng 11 năm 2019` / `BỘ LUẬT` + `LAO ĐỘNG`), a policy document's own words when it has
no header (`Ban Thường vụ Tỉnh ủy ban hành Chương trình hành động`), or a web article's byline and
trailing `Source: URL`. The rules are tables below.

Sidecar `metadata.json` at the corpus root completes or overrides extraction. Format: one JSON object
whose keys are either a path relative to the corpus root (posix, e.g. `"seeds/002_7aca7bcc376b2da4.txt"`)
or a doc_id (the file stem, e.g. `"002_7aca7bcc376b2da4"`), and whose values are objects with any of the
DocumentMeta fields (`doc_type`, `number`, `issuer`, `place`, `date` as yyyy-mm-dd, `title`, `language`,
`source_url`). A field given there replaces the extracted value; fields not given keep it. Keys starting
with "_" are comments.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from indexer.model import CleanedText, DocumentMeta

SIDECAR_NAME = "metadata.json"
HEADER_LINES = 40  # the header of a normative document sits in its first lines

# Upper-case heading line -> document type. Longest first so "BỘ LUẬT" wins over "LUẬT".
TYPE_HEADINGS = (
    ("CHƯƠNG TRÌNH HÀNH ĐỘNG", "Chương trình hành động"),
    ("HIẾN PHÁP", "Hiến pháp"),
    ("BỘ LUẬT", "Bộ luật"),
    ("LUẬT", "Luật"),
    ("NGHỊ QUYẾT", "Nghị quyết"),
    ("NGHỊ ĐỊNH", "Nghị định"),
    ("QUYẾT ĐỊNH", "Quyết định"),
    ("THÔNG TƯ", "Thông tư"),
    ("KẾ HOẠCH", "Kế hoạch"),
    ("CHỈ THỊ", "Chỉ thị"),
    ("PHÁP LỆNH", "Pháp lệnh"),
)
# A headerless document names itself: "… ban hành Chương trình hành động …" (strongest), "… Kế hoạch này …".
SELF_TYPES = ("Chương trình hành động", "Kế hoạch", "Quyết định", "Nghị quyết", "Nghị định", "Thông tư",
              "Bộ luật", "Luật", "Chỉ thị")
ISSUING_ITSELF = tuple((re.compile(rf"\bban hành {re.escape(name)}\b"), name) for name in SELF_TYPES)
THIS_DOCUMENT = tuple((re.compile(rf"\b{re.escape(name)} này\b"), name) for name in SELF_TYPES)
# Type from the number's symbol when nothing else says it.
NUMBER_SYMBOL_TYPES = (
    (re.compile(r"/(?:\d{4}/)?QH\d+$"), "Luật"),
    (re.compile(r"QĐ"), "Quyết định"),
    (re.compile(r"NQ"), "Nghị quyết"),
    (re.compile(r"NĐ"), "Nghị định"),
    (re.compile(r"TT"), "Thông tư"),
    (re.compile(r"KH"), "Kế hoạch"),
    (re.compile(r"CTr|CTHĐ"), "Chương trình hành động"),
)
ARTICLE_TYPE = "Bài viết"  # web article / translation

DOC_NUMBER = r"\d{1,5}(?:/\d{4})?[/-][A-ZĐ][A-ZĐa-z0-9]*(?:[/-][A-ZĐ0-9][A-ZĐa-z0-9]*)*"
# "Số: 1218/QĐ-UBND", "Luật số: 68/2020/QH14", "Bộ luật số: 45/2019/QH14" at the start of a header line.
# A typist's space inside the symbol ("75/2006/QH 11") is part of the number.
NUMBER_LINE = re.compile(
    rf"^\s*(?:(?:Bộ luật|Luật|Pháp lệnh|Nghị quyết|Nghị định)\s+)?[Ss]ố\s*:?\s*({DOC_NUMBER}(?: \d{{1,2}}\b)?)"
)
PLACE_DATE = re.compile(r"([^\n,]{0,80}),\s*(?i:ngày)\s+(\d{1,2})\s+(?i:tháng)\s+(\d{1,2})\s+(?i:năm)\s+(\d{4})")
NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
SOURCE_URL = re.compile(r"(?im)^\s*(?:source|nguồn)\s*:\s*(https?://\S+)\s*$")

# Upper-case issuer lines of a header, and how the issuer is usually written.
ISSUER_ABBREVIATIONS = (
    ("ỦY BAN NHÂN DÂN", "UBND"),
    ("UỶ BAN NHÂN DÂN", "UBND"),
    ("HỘI ĐỒNG NHÂN DÂN", "HĐND"),
)
ISSUER_HEADINGS = re.compile(
    r"(QUỐC HỘI|ỦY BAN THƯỜNG VỤ QUỐC HỘI|CHÍNH PHỦ|THỦ TƯỚNG CHÍNH PHỦ|CHỦ TỊCH NƯỚC|BỘ (?!LUẬT)[A-ZĐÀ-Ỹ ,]+|"
    r"(?:ỦY|UỶ) BAN NHÂN DÂN (?:TỈNH|THÀNH PHỐ|HUYỆN|XÃ|PHƯỜNG) [A-ZĐÀ-Ỹ ]+|"
    r"HỘI ĐỒNG NHÂN DÂN (?:TỈNH|THÀNH PHỐ|HUYỆN|XÃ|PHƯỜNG) [A-ZĐÀ-Ỹ ]+|BAN CHẤP HÀNH TRUNG ƯƠNG|BỘ CHÍNH TRỊ|"
    r"TỈNH ỦY [A-ZĐÀ-Ỹ ]+|BAN THƯỜNG VỤ TỈNH ỦY(?: [A-ZĐÀ-Ỹ]+)*)"
)
ADMIN_UNITS = ("TỈNH", "THÀNH PHỐ", "HUYỆN", "XÃ", "PHƯỜNG", "TỈNH ỦY")
# A headerless document names its issuer as the subject of "ban hành" / "đề nghị".
ISSUER_IN_TEXT = re.compile(
    r"(Ban Thường vụ Tỉnh ủy|Ban Thường vụ Thành ủy|Ban Chấp hành Đảng bộ tỉnh|Ủy ban nhân dân tỉnh|UBND tỉnh|"
    r"Hội đồng nhân dân tỉnh|HĐND tỉnh|Tỉnh ủy|Chính phủ|Bộ Chính trị) (?:ban hành|đề nghị|quyết định)\b"
)
PROVINCE_MENTION = re.compile(r"\btỉnh ((?:\w+)(?: \w+){0,2})")

META_FIELDS = {f.name for f in fields(DocumentMeta)}


def iso_date(day: str, month: str, year: str) -> str | None:
    d, m, y = int(day), int(month), int(year)
    if not (1 <= d <= 31 and 1 <= m <= 12 and 1900 <= y <= 2100):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def header_lines(text: str, cleaned: CleanedText | None) -> list[str]:
    lines: list[str] = []
    offset = 0
    excluded = [(s, e) for s, e, _ in cleaned.excluded] if cleaned else []
    for raw in text.split("\n"):
        start = offset
        offset += len(raw) + 1
        if any(s <= start < e or (s == start and e == start + len(raw)) for s, e in excluded):
            continue
        if raw.strip():
            lines.append(squash(raw))
        if len(lines) >= HEADER_LINES:
            break
    return lines


def find_number(lines: list[str]) -> str | None:
    for line in lines:
        match = NUMBER_LINE.search(line)
        if match:
            return match.group(1).replace(" ", "")
    return None


def titlecase_run_before(prefix: str) -> str | None:
    """The place name: trailing Titlecase words before ", ngày" (`Số: 1218/QĐ-UBND Vĩnh Long` -> `Vĩnh Long`)."""
    words = prefix.split()
    place: list[str] = []
    for word in reversed(words):
        if word[:1].isupper() and (len(word) == 1 or word[1:].islower()) and word.isalpha():
            place.insert(0, word)
        else:
            break
    return " ".join(place[-4:]) or None


def find_place_date(lines: list[str]) -> tuple[str | None, str | None]:
    for line in lines:
        match = PLACE_DATE.search(line)
        if match:
            return titlecase_run_before(match.group(1)), iso_date(*match.group(2, 3, 4))
    return None, None


def find_type_heading(lines: list[str]) -> tuple[str | None, int]:
    for index, line in enumerate(lines):
        upper = line.strip(" .:").upper()
        if line.strip(" .:") != upper:
            continue
        for heading, doc_type in TYPE_HEADINGS:
            if upper == heading or upper.startswith(heading + " "):
                return doc_type, index
    return None, -1


TOKEN_PUNCTUATION = "()[]{},;:.!?\"“”‘’'«»"


def is_acronym(token: str) -> bool:
    """An all-caps token that stays upper-case in sentence case: Latin letters without Vietnamese diacritics,
    at most 6 and not a Vietnamese syllable (HIV, WTO, but not KINH, AN), or any caps token with digits or
    slashes (HIV/AIDS, 23/2004/QH11)."""
    core = token.strip(TOKEN_PUNCTUATION)
    if not core or not core.isupper():
        return False
    if any(c.isdigit() or c == "/" for c in core):
        return True
    from indexer.repair import syllable_lexicon  # the lexicon is read once, only when a title needs it

    return core.isascii() and core.isalpha() and len(core) <= 6 and core.lower() not in syllable_lexicon()


def sentence_case(caps: str) -> str:
    """"LUẬT PHÒNG, CHỐNG … (HIV/AIDS)" -> "Luật phòng, chống … (HIV/AIDS)"; mixed-case text is left alone."""
    if not caps.isupper():
        return caps
    words = [word if is_acronym(word) else word.lower() for word in re.split(r"(\s+)", caps)]
    text = "".join(words)
    return text[:1].upper() + text[1:]


# Laws are named by their title; the rules below read it from the enacting sentence or the header.
LAW_TYPES = ("Luật", "Bộ luật", "Hiến pháp", "Pháp lệnh")
# An old header designates the law before naming it: "CỦA QUỐC HỘI NƯỚC … SỐ 23/2004/QH11 NGÀY 15 THÁNG 6
# NĂM 2004 VỀ GIAO THÔNG …", "SỐ 18-L/CTN NGÀY 06/07/1993 CỦA QUỐC HỘI VỀ DẦU KHÍ", "THUẾ … SỐ 23-L/CTN … CỦA QUỐC HỘI".
DESIGNATION = re.compile(
    r"(?:\bCỦA\s+QUỐC\s+HỘI(?:\s+NƯỚC\s+CỘNG\s+H[OÒ][AÀ]\s+XÃ\s+HỘI\s+CHỦ\s+NGHĨA\s+VIỆT\s+NAM)?\s*)?"
    r"\bSỐ\s*:?\s*[\w./-]+(?:\s+NGÀY\s+(?:\d{1,2}[/-]\d{1,2}[/-]\d{4}|\d{1,2}\s+THÁNG\s+\d{1,2}\s+NĂM\s+\d{4}))?"
    r"(?:\s+CỦA\s+QUỐC\s+HỘI)?(?:\s+VỀ\b)?"
    r"|^CỦA\s+QUỐC\s+HỘI\b.*?\bVỀ\b",
    re.IGNORECASE,
)
# Where the upper-case title run under the type word ends: the preamble, the number or date line, the body,
# an issuer line; a line that is not upper-case (a sentence) ends it too.
TITLE_RUN_STOP = re.compile(
    r"^(?:căn cứ|số\s*:|chương\b|phần\b|điều\b|mục\b|nơi nhận|(?:ủy|uỷ) ban\b|quốc hội\b|chủ tịch\b|chính phủ\b)"
    r"|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}",
    re.IGNORECASE,
)
TITLE_RUN_LINES = 4
TITLE_MAX = 200
TITLE_FAULT = re.compile(r"căn cứ|số \d", re.IGNORECASE)  # a title that ran into the preamble or a designation


def enacted_title(doc_type: str, text: str) -> str | None:
    """"Quốc hội ban hành Luật phòng, chống thiên tai." -> "Luật phòng, chống thiên tai" (commas belong to it)."""
    match = re.search(rf"ban hành ({re.escape(doc_type)} (?!này\b)[^.;\n]+)", text[:6000])
    title = squash(match.group(1)).rstrip(" ,") if match else ""  # "ban hành Luật đất đai," (a typist's comma)
    return title if title and len(title) < TITLE_MAX and not TITLE_FAULT.search(title) else None


def title_run(lines: list[str], type_index: int, doc_type: str) -> str:
    """The upper-case lines after the type word (its own line's rest first), designations removed."""
    heading = lines[type_index].strip(" .:")
    run = [heading[len(doc_type) :]] if len(heading) > len(doc_type) else []
    for line in lines[type_index + 1 : type_index + 1 + TITLE_RUN_LINES]:
        core = DESIGNATION.sub(" ", line).strip(" .:")
        if not core:
            continue
        if TITLE_RUN_STOP.search(core) or not core.isupper():
            break
        run.append(core)
    title = squash(DESIGNATION.sub(" ", " ".join(run)))
    return title[: TITLE_MAX - 40].rsplit(" ", 1)[0] if len(title) > TITLE_MAX - 40 else title


def body_casing(phrase: str, text: str) -> str:
    """The phrase as the body writes it ("sĩ quan Quân đội nhân dân Việt Nam"), else as given."""
    window = text[:60000]
    lowered = window.lower()
    if len(lowered) != len(window) or not phrase:
        return phrase
    for match in re.finditer(re.escape(phrase.lower()), lowered):
        found = window[match.start() : match.end()]
        if not found.isupper():
            return found
    return phrase


def self_described_title(doc_type: str, text: str) -> str | None:
    """A law without header: "Luật này quy định về biên giới quốc gia." -> "Luật biên giới quốc gia"."""
    match = re.search(rf"\b{re.escape(doc_type)} này quy định (?:về )?([^.;:\n]+)", text[:20000])
    subject = squash(match.group(1)) if match else ""
    return f"{doc_type} {subject}" if subject and len(subject) < TITLE_MAX - 40 else None


def law_title(lines: list[str], doc_type: str, type_index: int, text: str) -> str | None:
    """Enacting sentence first (it has the law's own casing), else the header's title run, else what the law
    says it regulates."""
    enacted = enacted_title(doc_type, text)
    if enacted:
        return enacted
    run = title_run(lines, type_index, doc_type) if type_index >= 0 else ""
    if run:
        subject = body_casing(sentence_case(run) if run.isupper() else run, text)
        return f"{doc_type} {subject[:1].lower() + subject[1:]}"
    return self_described_title(doc_type, text)


def find_title(lines: list[str], doc_type: str, type_index: int, text: str) -> str | None:
    """Laws: see `law_title`; other documents: the lines under the type heading up to the next caps line."""
    if doc_type in LAW_TYPES:
        return law_title(lines, doc_type, type_index, text)
    heading = lines[type_index].strip(" .:")
    rest = heading[len(doc_type) :].strip() if len(heading) > len(doc_type) else ""
    parts = [sentence_case(rest)] if rest else []
    for line in lines[type_index + 1 : type_index + 8]:
        if line.startswith(("Căn cứ", "Thực hiện Nghị", "Chương ", "Điều ", "Số")) or (
            line.isupper() and parts and not parts[-1].isupper()
        ):
            break
        parts.append(sentence_case(line) if not parts else line)
    title = squash(" ".join(parts))
    return title or None


def issuer_from_heading(line: str) -> str:
    issuer = line
    for caps, short in ISSUER_ABBREVIATIONS:
        if issuer.startswith(caps):
            issuer = short + issuer[len(caps) :]
    words = issuer.split()
    # "UBND TỈNH VĨNH LONG" -> "UBND tỉnh Vĩnh Long"; "QUỐC HỘI" -> "Quốc hội".
    for unit in ADMIN_UNITS:
        pattern = f" {unit} "
        if pattern in f" {issuer} ":
            head, _, place = f" {issuer} ".partition(pattern)
            head = head.strip()
            head = head if head in ("UBND", "HĐND") else sentence_case(head)
            return squash(f"{head} {unit.lower()} {place.strip().title()}")
    return sentence_case(" ".join(words))


def find_issuer(lines: list[str], text: str) -> str | None:
    for line in lines[:16]:
        if line.startswith(("Căn cứ", "Điều ", "Chương ")):
            break
        for match in ISSUER_HEADINGS.finditer(line):
            found = match.group(1).strip()
            if found not in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",):
                return issuer_from_heading(found)
    match = ISSUER_IN_TEXT.search(squash(text[:5000]))
    if not match:
        return None
    issuer = match.group(1)
    if issuer.endswith(("Tỉnh ủy", "tỉnh", "Thành ủy")):
        provinces = Counter(filter(None, (titlecase_words(m.group(1)) for m in PROVINCE_MENTION.finditer(text))))
        if provinces:
            issuer = f"{issuer} {provinces.most_common(1)[0][0]}"
    return issuer


def titlecase_words(words: str) -> str | None:
    """Leading Titlecase words (`Hà Tĩnh đảm bảo` -> `Hà Tĩnh`): a proper name after "tỉnh"."""
    name: list[str] = []
    for word in words.split():
        if not (word[:1].isupper() and word[1:].islower()):
            break
        name.append(word)
    return " ".join(name) or None


def lead_title(text: str) -> str | None:
    """A headerless document's title: the short block before a rule line (`-----`) in its first lines."""
    lines = [squash(line) for line in text.splitlines()[:8] if line.strip()]
    for index, line in enumerate(lines[:6]):
        if re.fullmatch(r"[-_=*~]{3,}", line):
            return squash(" ".join(lines[:index])) or None
    return None


def self_reference(text: str) -> str | None:
    """The type a headerless document calls itself by: "ban hành X" first, else the most (then last) "X này"."""
    issuing = [(m.start(), name) for pattern, name in ISSUING_ITSELF if (m := pattern.search(text))]
    if issuing:
        return min(issuing)[1]
    this = [(len(found), found[-1].start(), name) for pattern, name in THIS_DOCUMENT
            if (found := list(pattern.finditer(text)))]
    return max(this)[2] if this else None


def extract_metadata(text: str, cleaned: CleanedText | None = None) -> DocumentMeta:
    language = cleaned.language if cleaned else "vi"
    meta = DocumentMeta(language=language)
    url = SOURCE_URL.search(text)
    if url:
        meta.source_url = url.group(1)
    lines = header_lines(text, cleaned)
    if language == "en":
        return english_article_meta(text, lines, meta)
    meta.number = find_number(lines[:12])
    meta.place, meta.date = find_place_date(lines[:12])
    doc_type, type_index = find_type_heading(lines)
    if doc_type is None:
        doc_type = self_reference(squash(text))
    if doc_type is None and meta.number:
        doc_type = next((name for pattern, name in NUMBER_SYMBOL_TYPES if pattern.search(meta.number)), None)
    meta.doc_type = doc_type
    if doc_type and (type_index >= 0 or doc_type in LAW_TYPES):
        meta.title = find_title(lines, doc_type, type_index, text)
    elif doc_type:
        lead = lead_title(text)
        if lead:
            meta.title = f"{doc_type} {lead[:1].lower() + lead[1:]}"
    meta.issuer = find_issuer(lines, text)
    return meta


def english_article_meta(text: str, lines: list[str], meta: DocumentMeta) -> DocumentMeta:
    meta.doc_type = ARTICLE_TYPE
    meta.title = lines[0] if lines else None
    byline = NUMERIC_DATE.search(text[:3000])  # web bylines print dd/mm/yyyy
    if byline:
        meta.date = iso_date(*byline.groups())
    return meta


# --- sidecar ------------------------------------------------------------------------------------------


def load_sidecar(corpus_root: Path) -> dict[str, dict[str, Any]]:
    path = corpus_root / SIDECAR_NAME
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the sidecar must be a JSON object keyed by path or doc_id")
    return {key: value for key, value in data.items() if not key.startswith("_") and isinstance(value, dict)}


def apply_sidecar(meta: DocumentMeta, sidecar: dict[str, dict[str, Any]], source: str, doc_id: str) -> DocumentMeta:
    """Fields given for the document's path (or, failing that, its doc_id) replace the extracted ones."""
    override = {**sidecar.get(doc_id, {}), **sidecar.get(source, {})}
    unknown = set(override) - META_FIELDS
    if unknown:
        raise ValueError(f"sidecar entry for {source}: unknown fields {sorted(unknown)}")
    return replace(meta, **override) if override else meta
