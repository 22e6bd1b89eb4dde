"""Glyph-loss repair: find a character that a PDF extraction dropped systematically, and put it back.

Some PDF fonts map one glyph to nothing; the extractor then writes a space where the letter was
(seed 003 lost every lower-case "ụ": `c  thể` for `cụ thể`, `m c tiêu` for `mục tiêu`, `nhiệm v ` for
`nhiệm vụ`). Detection, with no character hard-coded:

1. Sites: every space inside a line whose neighbouring letter runs (`left` before it, `right` after it)
   include at least one that is not a Vietnamese syllable (an empty run counts as not a syllable, but
   both may not be empty).
2. For each candidate letter X of the syllable inventory, the sites it explains are those where
   `left + X + right` is a syllable.
3. The best X is the one whose restorations most often make a word of the word list with the syllable
   next to them (`mục tiêu`, `ứng dụng`; not `mắc tiêu`), then the one explaining most sites. Text
   without the double-space signature (OCR output: a scanner reads a wide gap as one space) leaves only
   word-internal sites, which several letters explain equally often; the words around them decide.
   It is applied only on strong evidence: at least
   `MIN_SITES` sites, at least `MIN_SITES_PER_1000_WORDS` per thousand words, and the letter is itself
   rare in the text (fewer surviving occurrences than explained sites: a lost glyph is mostly missing,
   a healthy one is everywhere). Healthy text has almost no sites, so it gets no edit at all.

The syllable inventory (`indexer/data/syllables.txt`) is derived from underthesea's Viet74K word list
(`build_syllable_lexicon`) and filtered by Vietnamese phonotactics, so loan spellings and single letters
("c", "tr") are not syllables.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from indexer.textmap import Edit

DATA_DIR = Path(__file__).resolve().parent / "data"
SYLLABLES_FILE = DATA_DIR / "syllables.txt"

MIN_SITES = 8
MIN_SITES_PER_1000_WORDS = 3.0
MAX_EXAMPLES = 12

VOWELS = "aăâeêioôơuưy"
TONED_VOWELS = "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
# onset, nucleus (1-3 vowels), coda: the shape of every native Vietnamese syllable.
SYLLABLE_SHAPE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    rf"[{VOWELS}{TONED_VOWELS}]{{1,3}}"
    r"(?:ch|ng|nh|[cmnpt])?"
)


def has_one_tone(syllable: str) -> bool:
    return sum(1 for ch in syllable if ch in TONED_VOWELS) <= 1


def is_syllable_shape(token: str) -> bool:
    return bool(SYLLABLE_SHAPE.fullmatch(token)) and has_one_tone(token)


def viet74k_path() -> Path:
    """underthesea's Viet74K word list, located without importing the package (that loads its models)."""
    from importlib.util import find_spec

    spec = find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("underthesea is not installed: its Viet74K word list is the lexicon source")
    return Path(next(iter(spec.submodule_search_locations))) / "corpus" / "data" / "Viet74K.txt"


@lru_cache(maxsize=1)
def two_syllable_words() -> frozenset[str]:
    """The word list's two-syllable words, lower case ("mục tiêu"); empty when the list is not there."""
    try:
        entries = viet74k_path().read_text("utf-8").splitlines()
    except OSError:
        return frozenset()
    words = (" ".join(unicodedata.normalize("NFC", entry.strip().lower()).split()) for entry in entries)
    return frozenset(word for word in words if word.count(" ") == 1)


def build_syllable_lexicon(word_list: Path | None = None) -> list[str]:
    """Syllables of underthesea's Viet74K dictionary that have a native Vietnamese shape."""
    if word_list is None:
        word_list = viet74k_path()
    syllables: set[str] = set()
    for entry in word_list.read_text("utf-8").splitlines():
        for token in re.split(r"[\s\-]+", unicodedata.normalize("NFC", entry.strip().lower())):
            if token.isalpha() and is_syllable_shape(token):
                syllables.add(token)
    return sorted(syllables)


def write_syllable_lexicon(path: Path = SYLLABLES_FILE) -> int:
    syllables = build_syllable_lexicon()
    path.write_text("\n".join(syllables) + "\n", "utf-8")
    return len(syllables)


@lru_cache(maxsize=1)
def syllable_lexicon() -> frozenset[str]:
    return frozenset(SYLLABLES_FILE.read_text("utf-8").split())


@lru_cache(maxsize=1)
def candidate_letters() -> tuple[str, ...]:
    return tuple(sorted({ch for syllable in syllable_lexicon() for ch in syllable}))


MAX_FRAGMENT = 3  # a syllable split at its nucleus leaves at most "ngh" before it and "ng"/"ch"/"ya" after it


def is_fragment_pair(left: str, right: str, lexicon: frozenset[str]) -> bool:
    """Both runs short enough to be pieces of one syllable, at least one a non-empty non-syllable."""
    if len(left) > MAX_FRAGMENT or len(right) > MAX_FRAGMENT or not (left or right):
        return False
    return any(run and run.lower() not in lexicon for run in (left, right))


# A space with at most MAX_FRAGMENT letters on each side (whole letter runs: no letter beyond them).
SITE = re.compile(r"(?<![^\W\d_])(?P<left>[^\W\d_]{0,3}) (?=(?P<right>[^\W\d_]{0,3})(?![^\W\d_]))")


def find_sites(text: str, excluded: list[tuple[int, int, str]]) -> list[tuple[int, str, str]]:
    """(offset of the space, left run, right run) for spaces next to a non-syllable fragment."""
    lexicon = syllable_lexicon()
    blocked = bytearray(len(text) + 1)
    for start, end, _ in excluded:
        blocked[start:end] = b"\x01" * (end - start)
    sites: list[tuple[int, str, str]] = []
    for match in SITE.finditer(text):
        offset = match.end() - 1
        left, right = match.group("left"), match.group("right")
        if blocked[offset] or not is_fragment_pair(left, right, lexicon):
            continue
        if has_gap_signature(text, offset, left, right):
            sites.append((offset, left, right))
    return sites


def has_gap_signature(text: str, index: int, left: str, right: str) -> bool:
    """A lost letter at a word's edge leaves a double space: `c␣␣thể` (word-final), `,␣␣c` (word-initial).

    A word-final loss may also sit before punctuation or the line end (`nhiệm v , hoạt`); a single
    space after punctuation (`tỉnh, c`) is an ordinary word boundary, not a site.
    """
    if not left:
        return index == 0 or text[index - 1] in " \t\n\f"
    if not right:
        following = text[index + 1 : index + 2]
        return not following or following.isspace() or not following.isalnum()
    return True


def explained_by(letter: str, left: str, right: str) -> bool:
    return f"{left}{letter}{right}".lower() in syllable_lexicon()


def letter_in_case(letter: str, left: str, right: str) -> str:
    """Upper-case the restored letter when the fragments around it are upper case (`NHIỆM V `)."""
    letters = left + right
    return letter.upper() if len(letters) >= 2 and letters.isupper() else letter


def count_words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def find_glyph_loss(
    text: str, excluded: list[tuple[int, int, str]], language: str = "vi"
) -> tuple[list[Edit], dict[str, Any]]:
    """Repairs (each replaces one space by the lost letter) and a summary; ([], {}) on weak evidence."""
    if language != "vi":
        return [], {}
    sites = find_sites(text, excluded)
    if len(sites) < MIN_SITES:
        return [], {}
    explained = Counter()
    for _, left, right in sites:
        for letter in candidate_letters():
            if explained_by(letter, left, right):
                explained[letter] += 1
    if not explained:
        return [], {}
    strong = [letter for letter, count in explained.items() if count >= MIN_SITES]
    support = {letter: word_support(text, letter, sites) for letter in strong}
    ranked = sorted(explained.items(), key=lambda pair: (-support.get(pair[0], 0), -pair[1], pair[0]))
    lowered = text.lower()
    for letter, count in ranked:
        if count < MIN_SITES or count * 1000 / max(1, count_words(text)) < MIN_SITES_PER_1000_WORDS:
            return [], {}
        if lowered.count(letter) < count:
            return repairs_for(letter, sites)
    return [], {}


NEIGHBOUR_BEFORE = re.compile(r"([^\W\d_]+)[ \t]+$")
NEIGHBOUR_AFTER = re.compile(r"^[ \t]+([^\W\d_]+)")


def word_support(text: str, letter: str, sites: list[tuple[int, str, str]]) -> int:
    """How many of the sites `letter` explains become, restored, a word of the list with a neighbour."""
    words = two_syllable_words()
    if not words:
        return 0
    supported = 0
    for offset, left, right in sites:
        if not explained_by(letter, left, right):
            continue
        syllable = f"{left}{letter}{right}".lower()
        before = NEIGHBOUR_BEFORE.search(text, max(0, offset - len(left) - 24), offset - len(left))
        after = NEIGHBOUR_AFTER.match(text, offset + 1 + len(right), offset + 1 + len(right) + 24)
        if (before and f"{before.group(1).lower()} {syllable}" in words) or \
                (after and f"{syllable} {after.group(1).lower()}" in words):
            supported += 1
    return supported


def repairs_for(letter: str, sites: list[tuple[int, str, str]]) -> tuple[list[Edit], dict[str, Any]]:
    edits: list[Edit] = []
    examples: list[str] = []
    consumed_until = -1  # a fragment restores at most one syllable: skip a site reusing the last one's right run
    for offset, left, right in sites:
        if explained_by(letter, left, right) and offset - len(left) > consumed_until:
            consumed_until = offset + len(right)
            restored = letter_in_case(letter, left, right)
            edits.append(Edit(offset, offset + 1, restored))
            if len(examples) < MAX_EXAMPLES:
                examples.append(f"{left} {right} -> {left}{restored}{right}")
    summary = {"char": letter, "words_repaired": len(edits), "examples": examples}
    return edits, summary
