"""Cleaning: find what in a document's text is not content, without changing the text.

Produces `indexer.model.CleanedText` in `document.text` coordinates:
- `excluded`: whole lines that must never become clause text, each with a reason: web boilerplate
  (site banner, byline/date line, photo captions, "Comment (0)", the trailing `Source: URL` line and
  the navigation/related-article footer after it), PDF artefacts (page numbers, table headers repeated
  after a page break, signature timestamps, a stray file-name line), rule lines.
- `repairs` / `repair_summary`: glyph-loss repair (see `indexer.repair`).
- `language`: "vi" or "en".

The patterns live in `indexer/data/boilerplate.json` (data, not code). Joining hard-wrapped lines is
the clause parser's job; cleaning only marks lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from indexer.model import CleanedText
from indexer.repair import find_glyph_loss

Region = tuple[int, int, str]
DATA_DIR = Path(__file__).resolve().parent / "data"
LINE_END = re.compile(r"\n|\f")


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based
    start: int  # offset of the first character in the document text
    end: int  # offset just past the last character (the newline excluded)
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()


@dataclass(frozen=True, slots=True)
class BoilerplateRules:
    line_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    footer_start: tuple[re.Pattern[str], ...]
    footer_max_line_chars: int
    footer_max_lines: int
    menu_lines: frozenset[str]
    table_header_start: re.Pattern[str]
    table_row_number: re.Pattern[str]
    table_header_max_lines: int
    page_number: re.Pattern[str]
    recipients_start: re.Pattern[str]
    list_item: re.Pattern[str]
    closing_formula: re.Pattern[str]
    signature_head: re.Pattern[str]
    signature_title: re.Pattern[str]
    signature_note: re.Pattern[str]


@lru_cache(maxsize=1)
def boilerplate_rules() -> BoilerplateRules:
    raw: dict[str, Any] = json.loads((DATA_DIR / "boilerplate.json").read_text("utf-8"))
    return BoilerplateRules(
        line_patterns=tuple((p["why"], re.compile(p["pattern"])) for p in raw["line_patterns"]),
        footer_start=tuple(re.compile(p) for p in raw["footer_start_patterns"]),
        footer_max_line_chars=raw["footer_max_line_chars"],
        footer_max_lines=raw["footer_max_lines"],
        menu_lines=frozenset(raw["menu_lines"]),
        table_header_start=re.compile(raw["table_header_start"]),
        table_row_number=re.compile(raw["table_row_number"]),
        table_header_max_lines=raw["table_header_max_lines"],
        page_number=re.compile(raw["page_number"]),
        recipients_start=re.compile(raw["recipients_start"]),
        list_item=re.compile(raw["list_item"]),
        closing_formula=re.compile(raw["closing_formula"]),
        signature_head=re.compile(raw["signature_head"]),
        signature_title=re.compile(raw["signature_title"]),
        signature_note=re.compile(raw["signature_note"]),
    )


def split_lines(text: str) -> list[Line]:
    """Lines with their offsets; a form feed (PDF page break) also ends a line."""
    lines: list[Line] = []
    position = 0
    for number, body in enumerate(LINE_END.split(text), start=1):
        stripped = body.rstrip("\r")
        lines.append(Line(number, position, position + len(stripped), stripped))
        position += len(body) + 1
    return lines


# --- individual detectors: each returns {line index in `lines`: why} ------------------------------------


def match_line_patterns(lines: list[Line], rules: BoilerplateRules) -> dict[int, str]:
    found: dict[int, str] = {}
    for index, line in enumerate(lines):
        for why, pattern in rules.line_patterns:
            if line.stripped and pattern.fullmatch(line.stripped):
                found[index] = why
                break
    return found


def find_web_footer(lines: list[Line], rules: BoilerplateRules) -> dict[int, str]:
    """From a trailing `Source: URL` (or `Comment (n)`) line to the end, when what follows is all short lines."""
    nonblank = [i for i, line in enumerate(lines) if line.stripped]
    for position, index in enumerate(nonblank):
        if not any(p.fullmatch(lines[index].stripped) for p in rules.footer_start):
            continue
        rest = nonblank[position + 1 :]
        if len(rest) > rules.footer_max_lines:
            continue
        if any(len(lines[i].stripped) > rules.footer_max_line_chars for i in rest):
            continue
        footer = {index: "source-url" if "://" in lines[index].stripped else "comments"}
        for i in rest:
            footer[i] = "site-menu" if lines[i].stripped in rules.menu_lines else "related-articles"
        return footer
    return {}


def find_repeated_title(lines: list[Line], already: dict[int, str]) -> dict[int, str]:
    """A web page repeats its headline as a photo caption; the later copies are boilerplate."""
    content = [i for i, line in enumerate(lines) if line.stripped and i not in already]
    if not content or not already:  # only pages that have web boilerplate at all
        return {}
    title = lines[content[0]].stripped
    if len(title.split()) < 4:
        return {}
    return {i: "repeated-title" for i in content[1:] if lines[i].stripped == title}


def table_header_block(lines: list[Line], start: int, rules: BoilerplateRules) -> list[int]:
    """Indices of the header lines beginning at `start`: up to (not including) the first row-number line."""
    block: list[int] = []
    for index in range(start, len(lines)):
        line = lines[index].stripped
        if not line:
            continue
        if block and rules.table_row_number.fullmatch(line):
            return block
        block.append(index)
        if len(block) > rules.table_header_max_lines:
            return []
    return []


def find_repeated_table_headers(lines: list[Line], rules: BoilerplateRules) -> dict[int, str]:
    """Table headers repeated after page breaks, and the page-number line just before each repeat."""
    found: dict[int, str] = {}
    starts = [i for i, line in enumerate(lines) if line.stripped and rules.table_header_start.fullmatch(line.stripped)]
    seen: dict[tuple[str, ...], int] = {}
    for start in starts:
        # A repeat may run straight into a row's continuation (page split inside a row), so compare with
        # the headers already seen before delimiting a new one by its first row number.
        block = match_known_header(lines, start, seen) or table_header_block(lines, start, rules)
        if not block:
            continue
        key = tuple(lines[i].stripped for i in block)
        if key in seen:
            found.update({i: "repeated-table-header" for i in block})
            previous = previous_nonblank(lines, start)
            if previous is not None and rules.page_number.fullmatch(lines[previous].stripped):
                found[previous] = "page-number"
        else:
            seen[key] = start
    return found


def match_known_header(lines: list[Line], start: int, seen: dict[tuple[str, ...], int]) -> list[int]:
    for key in seen:
        block: list[int] = []
        index = start
        while index < len(lines) and len(block) < len(key):
            if lines[index].stripped:
                if lines[index].stripped != key[len(block)]:
                    break
                block.append(index)
            index += 1
        if len(block) == len(key):
            return block
    return []


def previous_nonblank(lines: list[Line], index: int) -> int | None:
    for i in range(index - 1, -1, -1):
        if lines[i].stripped:
            return i
    return None


def find_page_numbers_at_breaks(text: str, lines: list[Line], rules: BoilerplateRules) -> dict[int, str]:
    """Page-number lines right before or after a form feed (PDF page break)."""
    found: dict[int, str] = {}
    for index, line in enumerate(lines):
        if not (line.stripped and rules.page_number.fullmatch(line.stripped)):
            continue
        before = text[max(0, line.start - 3) : line.start]
        after = text[line.end : line.end + 3]
        is_last = all(not other.stripped for other in lines[index + 1 :])
        if "\f" in before or "\f" in after or (is_last and "\f" in text):
            found[index] = "page-number"
    return found


# --- closing blocks: recipient list ("Nơi nhận:") and signature -----------------------------------------

SIGNED = re.compile(r"\((?:Đã|đã) ký\)")  # "(Đã ký)" under a name marks it as a signer even without a formula


def is_person_name(line: str) -> bool:
    """A signer's name: 2-5 capitalised words and nothing else ("Nguyễn Thị Kim Ngân")."""
    words = line.split()
    return 2 <= len(words) <= 5 and all(len(w) > 1 and w.isalpha() and w[0].isupper() and w[1:].islower() for w in words)


def find_closing_blocks(lines: list[Line], rules: BoilerplateRules) -> dict[int, str]:
    """"Nơi nhận:" through the end of its list, and the signature run after the closing formula."""
    found: dict[int, str] = {}
    nonblank = [i for i, line in enumerate(lines) if line.stripped]
    in_recipients = False
    in_signature = False
    after_formula = False
    texts = [re.sub(r"\s+", " ", lines[i].stripped) for i in nonblank]
    for position, index in enumerate(nonblank):
        line = texts[position]
        following = texts[position + 1] if position + 1 < len(texts) else ""
        if rules.recipients_start.fullmatch(line):
            found[index], in_recipients, in_signature = "recipients", True, False
            continue
        if in_recipients and (rules.list_item.fullmatch(line) or not line[0].isupper()):
            found[index] = "recipients"
            continue
        ends_list = in_recipients
        in_recipients = False
        upper = line.isupper()
        signature_line = (
            (upper and rules.signature_head.fullmatch(line))
            or (upper and (in_signature or after_formula or ends_list) and rules.signature_title.fullmatch(line))
            or (in_signature and rules.signature_note.fullmatch(line))
            or ((in_signature or after_formula or bool(SIGNED.fullmatch(following))) and is_person_name(line))
        )
        if signature_line:
            found[index], in_signature, after_formula = "signature", True, False
            continue
        in_signature = False
        after_formula = bool(rules.closing_formula.fullmatch(line))
    return found


# --- language ---------------------------------------------------------------------------------------------

VIETNAMESE_LETTERS = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I)
ENGLISH_FUNCTION_WORDS = frozenset("the of and to in is that for on with are by as be this from".split())


def detect_language(text: str) -> str:
    """"vi" when a noticeable share of words carry Vietnamese letters, else "en" if English function words abound."""
    words = re.findall(r"\w+", text.lower())
    if not words:
        return "vi"
    vietnamese = sum(1 for w in words if VIETNAMESE_LETTERS.search(w)) / len(words)
    english = sum(1 for w in words if w in ENGLISH_FUNCTION_WORDS) / len(words)
    return "en" if english > 0.08 and vietnamese < 0.15 else "vi"


# --- entry point ------------------------------------------------------------------------------------------


def find_boilerplate(text: str) -> list[Region]:
    rules = boilerplate_rules()
    lines = split_lines(text)
    found: dict[int, str] = {}
    found.update(find_page_numbers_at_breaks(text, lines, rules))
    found.update(find_repeated_table_headers(lines, rules))
    found.update(find_web_footer(lines, rules))
    found.update(find_closing_blocks(lines, rules))
    found.update(match_line_patterns(lines, rules))
    found.update(find_repeated_title(lines, found))
    return [(lines[i].start, lines[i].end, why) for i, why in sorted(found.items())]


def kept_text(text: str, excluded: list[Region]) -> str:
    """The text with excluded regions blanked (same length), for statistics over content only."""
    chars = list(text)
    for start, end, _ in excluded:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def clean_text(text: str, language: str | None = None) -> CleanedText:
    excluded = find_boilerplate(text)
    content = kept_text(text, excluded)
    language = language or detect_language(content)
    repairs, summary = find_glyph_loss(text, excluded, language)
    return CleanedText(language=language, excluded=excluded, repairs=repairs, repair_summary=summary)
