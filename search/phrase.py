"""Exact-phrase verification on normalised clause text.

Both the phrase and the clause are normalised by `indexer.normalise` (number formats, tone-mark placement,
glyph repair happened in cleaning), so matching compares like with like. What normalisation leaves
different is tolerated by the pattern, as data:
- any run of whitespace (line breaks included) or quotes/brackets/dashes between two words of the phrase
  matches any other such run (`tư duy “không quản được thì cấm”` contains `tư duy không quản được thì cấm`);
- other punctuation inside the phrase (`,` `/` `%` `.` `:`) must be present, with optional spaces around;
- letters compare case-insensitively; the phrase starts and ends on word boundaries.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Characters that separate words without carrying meaning for a phrase match.
SOFT_SEPARATORS = "\\s\"'“”‘’«»()\\[\\]{}\\-–—…"
SOFT_RUN = f"[{SOFT_SEPARATORS}]+"
UNIT = re.compile(rf"[^\W_]+|[{SOFT_SEPARATORS}]+|.", re.S)
WORD = re.compile(r"[^\W_]+")
SOFT = re.compile(SOFT_RUN)


@lru_cache(maxsize=1024)
def phrase_pattern(normalised_phrase: str) -> re.Pattern[str] | None:
    """A regex matching the phrase in normalised text; None when the phrase has no word."""
    units = UNIT.findall(normalised_phrase.strip())
    # Leading/trailing soft separators (quotes, spaces) do not belong to the phrase.
    while units and SOFT.fullmatch(units[0]):
        units.pop(0)
    while units and SOFT.fullmatch(units[-1]):
        units.pop()
    if not any(WORD.fullmatch(unit) for unit in units):
        return None
    parts: list[str] = []
    for unit in units:
        if WORD.fullmatch(unit):
            parts.append(re.escape(unit))
        elif SOFT.fullmatch(unit):
            parts.append(SOFT_RUN)
        else:
            parts.append(rf"\s*{re.escape(unit)}\s*")
    body = "".join(parts)
    # Hard punctuation already allows spaces around it; collapse "soft run + optional spaces" pairs.
    start = r"(?<![^\W_])" if WORD.fullmatch(units[0]) else ""
    end = r"(?![^\W_])" if WORD.fullmatch(units[-1]) else ""
    return re.compile(start + body + end, re.IGNORECASE)


def phrase_words(normalised_phrase: str) -> list[str]:
    """Lower-cased words of a phrase: every one must be a term of any clause containing it."""
    return [word.lower() for word in WORD.findall(normalised_phrase)]


def find_phrase(pattern: re.Pattern[str], normalised_text: str) -> list[tuple[int, int]]:
    """Every (non-overlapping) occurrence of the phrase, as spans in the normalised text."""
    return [match.span() for match in pattern.finditer(normalised_text)]
