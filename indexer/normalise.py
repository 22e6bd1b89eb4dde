"""Normalisation for matching: never overwrites the original, every stage keeps a map back to it.

Stages (each an offset-preserving list of `Edit`s, composed with `MappedText.then`):
NFC → lower-case → quotes/dashes/spaces → one tone-mark placement per syllable → whitespace runs →
numbers (document numbers kept whole) → abbreviations expanded from `data/abbreviations.tsv`.
The result is idempotent: normalise(normalise(x)) == normalise(x).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.textmap import Edit, MappedText, apply_edits, compose_origins

DATA_DIR = Path(__file__).resolve().parent / "data"

# --- character classes -------------------------------------------------------------------------------

# Typographic variants folded to one ASCII form (one char → one char, so offsets are untouched).
CHAR_FOLD = str.maketrans(
    {
        "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "″": '"',
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
        "–": "-", "—": "-", "‑": "-", "‒": "-", "―": "-", "−": "-", "‐": "-",
        "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ",
        "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ", "\u2008": " ", "\u3000": " ",
        "\t": " ", "\r": " ", "\f": " ", "\v": " ", "\u2028": " ", "\u2029": " ", "\u0085": " ",
    }
)

# Vietnamese vowels: base letter → the five toned NFC forms (sắc, huyền, hỏi, ngã, nặng).
_TONE_COMBINING = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_BASE_VOWELS = "aăâeêioôơuưy"
TONED: dict[str, tuple[str, int]] = {}  # toned char → (base vowel, tone index)
COMPOSE: dict[tuple[str, int], str] = {}
for _base in _BASE_VOWELS:
    for _tone, _mark in enumerate(_TONE_COMBINING):
        _char = unicodedata.normalize("NFC", _base + _mark)
        TONED[_char] = (_base, _tone)
        COMPOSE[(_base, _tone)] = _char
VOWELS = frozenset(_BASE_VOWELS) | frozenset(TONED)
MODIFIED_VOWELS = frozenset("ăâêôơư")  # a vowel with a hat, horn or breve always carries the tone

# Onsets whose vowel letter is part of the consonant: "qu" + vowel, "gi" + vowel.
ONSET_GLIDES = (re.compile(r"^(qu)(?=[aăâeêioôơuưy])"), re.compile(r"^(gi)(?=[aăâeêioôơuưy])"))
# Open two-vowel nuclei that take the tone on their second vowel in the new style (hoá, khoẻ, thuỷ).
NEW_STYLE_SECOND = frozenset({"oa", "oe", "uy"})

SYLLABLE_LETTERS = "a-zđăâêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
SYLLABLE_RE = re.compile(rf"[{SYLLABLE_LETTERS}]+")
# Only a syllable with a toned vowel and another vowel can move its tone ("hóa", "thủy"; not "tế", "có"):
# the fast path rewrites just those, each matched whole (same span as SYLLABLE_RE).
_TONED_CHARS = "".join(TONED)
_ALL_VOWELS = _BASE_VOWELS + _TONED_CHARS
TONE_CANDIDATE = re.compile(
    rf"(?<![{SYLLABLE_LETTERS}])[{SYLLABLE_LETTERS}]*?"
    rf"(?:[{_TONED_CHARS}][{SYLLABLE_LETTERS}]*?[{_ALL_VOWELS}]|[{_ALL_VOWELS}][{SYLLABLE_LETTERS}]*?[{_TONED_CHARS}])"
    rf"[{SYLLABLE_LETTERS}]*"
)

# --- numbers and document numbers ----------------------------------------------------------------------

# A document number: digits, then at least one letter part joined by - or / (66-nq/tw, 1218/qđ-ubnd,
# 45/2019/qh14, 09-kh/đuub). Kept whole: never number-normalised, never split.
DOC_NUMBER = r"\d+(?:/\d+)*(?:[-/][^\W\d_][\w&]*)(?:[-/.][\w&]+)*"
DATE = r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4}|\d{1,2}/\d{1,2}(?![/\d])"
NUMBER = r"\d+(?:[.,]\d+)*"
TOKEN_RE = re.compile(
    rf"(?<![\w./,-])(?:(?P<doc>{DOC_NUMBER})|(?P<date>{DATE})|(?P<num>{NUMBER}))(?![\w])"
)
VI_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
EN_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")

WHITESPACE_RUN = re.compile(r"\s+")
# A whitespace run that needs an edit: two or more characters, or one that is not a plain space.
RUN_TO_FIX = re.compile(r"(?<!\s)(?:\s{2,}|[^\S ])")
DIGIT = re.compile(r"\d")
TRAILING_WHITESPACE = re.compile(r"\s+$")
DIGITS = re.compile(r"\d+")
SKELETON_DROP = re.compile(r"[^a-z0-9]")
SKELETON_WORD = re.compile(r"[a-z0-9]+")


def _char_edits(old: str, new: str) -> list[Edit]:
    """Per-character edits between two equal-length strings (the positions that differ found by numpy over
    their code points: comparing in a Python loop was the costliest step of a hit's highlight map)."""
    if len(old) != len(new):
        raise ValueError(f"_char_edits needs equal lengths, not {len(old)} and {len(new)}")
    if old == new:
        return []
    codes_old = np.frombuffer(old.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codes_new = np.frombuffer(new.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return [Edit(i, i + 1, new[i]) for i in np.flatnonzero(codes_old != codes_new).tolist()]


def _nfc_edits(text: str) -> list[Edit]:
    if unicodedata.is_normalized("NFC", text):
        return []
    edits = []
    # A cluster is a base character and the combining marks after it; NFC each cluster on its own.
    for match in re.finditer(r".[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*", text, re.S):
        cluster = match.group()
        composed = unicodedata.normalize("NFC", cluster)
        if composed != cluster:
            edits.append(Edit(match.start(), match.end(), composed))
    return edits


def _lower_edits(text: str) -> list[Edit]:
    lowered = text.lower()
    if lowered == text:
        return []
    if len(lowered) == len(text):
        return _char_edits(text, lowered)
    return [Edit(i, i + 1, c.lower()) for i, c in enumerate(text) if c.lower() != c]


def _fold_edits(text: str) -> list[Edit]:
    folded = _fold_text(text)
    return _char_edits(text, folded) if folded != text else []


@lru_cache(maxsize=200_000)
def canonical_tone_syllable(syllable: str) -> str:
    """Move a syllable's tone mark to its new-style position (hoá, khoẻ, thuỷ, quý); other text unchanged."""
    toned = [(i, TONED[c]) for i, c in enumerate(syllable) if c in TONED]
    if len(toned) != 1:
        return syllable
    position, (base, tone) = toned[0]
    plain = syllable[:position] + base + syllable[position + 1 :]
    onset = 0
    for glide in ONSET_GLIDES:
        match = glide.match(plain)
        if match:
            onset = match.end()
            break
    start = onset
    while start < len(plain) and plain[start] not in VOWELS:
        start += 1
    end = start
    while end < len(plain) and plain[end] in VOWELS:
        end += 1
    nucleus = plain[start:end]
    if not nucleus:
        return syllable
    has_final = end < len(plain)
    modified = [i for i, c in enumerate(nucleus) if c in MODIFIED_VOWELS]
    if modified:
        target = modified[-1]  # ươ → ơ, uyê → ê
    elif len(nucleus) == 1:
        target = 0
    elif has_final:
        target = len(nucleus) - 1  # hoàng, toán
    elif len(nucleus) == 3 or nucleus in NEW_STYLE_SECOND:
        target = 1  # ngoài, hoá, thuỷ
    else:
        target = 0  # mùa, kìa, tài
    absolute = start + target
    if absolute == position:
        return syllable
    chars = list(plain)
    chars[absolute] = COMPOSE[(chars[absolute], tone)]
    return "".join(chars)


def _tone_edits(text: str) -> list[Edit]:
    edits = []
    for match in TONE_CANDIDATE.finditer(text):
        word = match.group()
        fixed = canonical_tone_syllable(word)
        if fixed != word:
            edits.extend(Edit(match.start() + e.start, match.start() + e.end, e.replacement)
                         for e in _char_edits(word, fixed))
    return edits


def _whitespace_edits(text: str) -> list[Edit]:
    """Runs at either end removed, other runs that are not one plain space made one."""
    if not text:
        return []
    edits = []
    leading = WHITESPACE_RUN.match(text)
    if leading:
        edits.append(Edit(0, leading.end(), ""))
    for match in RUN_TO_FIX.finditer(text, leading.end() if leading else 0):
        if match.end() < len(text):
            edits.append(Edit(match.start(), match.end(), " "))
    if not leading or leading.end() < len(text):
        trailing = TRAILING_WHITESPACE.search(text)
        if trailing:
            edits.append(Edit(trailing.start(), trailing.end(), ""))
    return edits


def _strip_leading_zeros(token: str, offset: int) -> list[Edit]:
    """Edits deleting leading zeros of each digit group of a number or date ("02" → "2", "0.5" kept)."""
    edits = []
    for group in DIGITS.finditer(token):
        digits = group.group()
        zeros = len(digits) - len(digits.lstrip("0"))
        if zeros == len(digits):
            zeros -= 1  # "00" → "0"
        if zeros > 0:
            edits.append(Edit(offset + group.start(), offset + group.start() + zeros, ""))
    return edits


def _leading_zero_digits(integer: str, offset: int) -> list[Edit]:
    """Edits deleting the leading zero digits of a grouped integer ("0.000" → "0", "01.500" → "1500"),
    group separators skipped; the last digit always stays."""
    positions = [i for i, c in enumerate(integer) if c.isdigit()]
    zeros = 0
    while zeros < len(positions) - 1 and integer[positions[zeros]] == "0":
        zeros += 1
    return [Edit(offset + i, offset + i + 1, "") for i in positions[:zeros]]


def _number_edits_vi(token: str, offset: int) -> list[Edit]:
    if VI_THOUSANDS.fullmatch(token):
        edits = [Edit(offset + i, offset + i + 1, "") for i, c in enumerate(token) if c == "."]
        comma = token.find(",")
        if comma >= 0:
            edits.append(Edit(offset + comma, offset + comma + 1, "."))
        edits += _leading_zero_digits(token.split(",")[0], offset)
        return sorted(edits, key=lambda edit: edit.start)
    if re.fullmatch(r"\d+,\d+", token):
        integer, fraction = token.split(",")
        # "1,234" would read back as thousands after "." → keep the comma where it is ambiguous.
        if len(fraction) == 3 and len(integer.lstrip("0") or "0") <= 3:  # once its leading zeros are gone
            return _strip_leading_zeros(integer, offset)
        comma = token.index(",")
        return [Edit(offset + comma, offset + comma + 1, "."), *_strip_leading_zeros(integer, offset)]
    if re.fullmatch(r"\d+", token):
        return _strip_leading_zeros(token, offset)
    if re.fullmatch(r"\d+\.\d+", token):
        integer, fraction = token.split(".")
        if len(fraction) == 3:  # "0000.000" without its zeros would read back as thousands ("0.000")
            return []
        return _strip_leading_zeros(integer, offset)
    return []


def _number_edits_en(token: str, offset: int) -> list[Edit]:
    if EN_THOUSANDS.fullmatch(token):
        edits = [Edit(offset + i, offset + i + 1, "") for i, c in enumerate(token) if c == ","]
        edits += _leading_zero_digits(token.split(".")[0], offset)
        return sorted(edits, key=lambda edit: edit.start)
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        return _strip_leading_zeros(token.split(".")[0], offset)
    return []


def _numbers_edits(text: str, language: str) -> list[Edit]:
    if not DIGIT.search(text):
        return []
    edits: list[Edit] = []
    number_rule = _number_edits_en if language == "en" else _number_edits_vi
    for match in TOKEN_RE.finditer(text):
        if match.group("doc"):
            continue
        if match.group("date"):
            edits.extend(_strip_leading_zeros(match.group(), match.start()))
        else:
            edits.extend(number_rule(match.group(), match.start()))
    return edits


@lru_cache(maxsize=1)
def abbreviation_table() -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """Abbreviation → normalised full form, and one regex matching any abbreviation as a whole token."""
    table: dict[str, str] = {}
    for line in (DATA_DIR / "abbreviations.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        abbreviation, full = line.split("\t", 1)
        table[_normalise_base(abbreviation.strip()).text] = _normalise_base(full.strip()).text
    if not table:
        return None, {}
    alternatives = "|".join(re.escape(a) for a in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![\w/&-])(?:{alternatives})(?![\w/&-])"), table


def _abbreviation_edits(text: str) -> list[Edit]:
    pattern, table = abbreviation_table()
    if pattern is None:
        return []
    return [Edit(m.start(), m.end(), table[m.group()]) for m in pattern.finditer(text)]


BASE_STAGES = (_nfc_edits, _lower_edits, _fold_edits, _tone_edits, _whitespace_edits)


def _stages(language: str) -> tuple:
    numbers = (lambda text: _numbers_edits(text, language),)
    return BASE_STAGES + numbers + (() if language == "en" else (_abbreviation_edits,))


def _apply_text(text: str, edits: list[Edit]) -> str:
    """apply_edits without the origin map (the hot path of `normalise`)."""
    pieces = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        pieces.append(text[cursor : edit.start])
        pieces.append(edit.replacement)
        cursor = edit.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _normalise_base(text: str) -> MappedText:
    mapped = MappedText.identity(text)
    for stage in BASE_STAGES:
        edits = stage(mapped.text)
        if edits:
            mapped = mapped.then(edits)
    return mapped


def normalise_mapped(text: str, language: str = "vi") -> MappedText:
    """Normalised text with, for every character, its offset in `text`."""
    mapped = MappedText.identity(text)
    for stage in _stages(language):
        edits = stage(mapped.text)
        if edits:
            mapped = mapped.then(edits)
    return mapped


def _canonical_match(match: re.Match[str]) -> str:
    return canonical_tone_syllable(match.group())


# Any character CHAR_FOLD changes; str.translate is slow on Vietnamese text, so it runs only when one occurs.
FOLDED_CHAR = re.compile("[" + re.escape("".join(chr(c) for c in CHAR_FOLD)) + "]")


def _fold_text(text: str) -> str:
    return text.translate(CHAR_FOLD) if FOLDED_CHAR.search(text) else text


def _lower_text(text: str) -> str:
    lowered = text.lower()
    # str.lower may lengthen the text ("İ"); `_lower_edits` then lowers character by character.
    return lowered if len(lowered) == len(text) else "".join(c.lower() for c in text)


def _whitespace_text(text: str) -> str:
    return WHITESPACE_RUN.sub(" ", text).removeprefix(" ").removesuffix(" ")


def normalise(text: str, language: str = "vi") -> str:
    """The same text as `normalise_mapped(text, language).text`, without building the map: whole-string passes
    for the character stages (the hot path of ingestion: every clause is normalised)."""
    if not unicodedata.is_normalized("NFC", text):
        text = _apply_text(text, _nfc_edits(text))
    text = _whitespace_text(TONE_CANDIDATE.sub(_canonical_match, _fold_text(_lower_text(text))))
    if DIGIT.search(text):
        edits = _numbers_edits(text, language)
        if edits:
            text = _apply_text(text, edits)
    if language != "en":
        edits = _abbreviation_edits(text)
        if edits:
            text = _apply_text(text, edits)
    return text


def _unmarked(text: str) -> str:
    if text.isascii():  # no marks to strip (NFC and NFD leave ASCII as it is): most English words
        return text.lower()
    lowered = unicodedata.normalize("NFC", text).lower()
    stripped = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
    return stripped.replace("đ", "d")


def skeleton(text: str) -> str:
    """The eval README's skeleton: NFC, lower, NFD without combining marks, đ → d, only [a-z0-9] kept."""
    return SKELETON_DROP.sub("", _unmarked(text))


def skeleton_words(text: str) -> list[str]:
    """The skeleton's words, kept apart: the spelling-proof form used to compare contexts."""
    return SKELETON_WORD.findall(_unmarked(text))


def clause_norm_mapped(clause) -> MappedText:
    """clause.norm_text mapped to offsets in clause.text (clause edits composed with normalisation)."""
    clean = apply_edits(clause.text, clause.edits)
    norm = normalise_mapped(clean.text, getattr(clause, "language", "vi") or "vi")
    return MappedText(norm.text, compose_origins(clean.origin, norm.origin))
