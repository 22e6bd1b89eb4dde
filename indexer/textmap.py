"""Offset-preserving text transforms.

Every derived text in lexvn (cleaned, glyph-repaired, normalised) is produced from the original by a
list of `Edit`s, so any position in the derived text maps back to a position in the original. That is
what lets a highlight found in normalised text be drawn on the original clause.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from operator import itemgetter


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace original[start:end] by `replacement` (start == end inserts, replacement == '' deletes)."""

    start: int
    end: int
    replacement: str = ""


@dataclass(frozen=True, slots=True)
class MappedText:
    """A derived text and, for each of its characters, the original offset it came from.

    `origin` has len(text) + 1 entries; origin[i] is the original offset of text[i] and the last entry
    is the original length, so a derived span [a, b) maps to original [origin[a], origin_end(b)).
    """

    text: str
    origin: tuple[int, ...]

    @classmethod
    def identity(cls, text: str) -> MappedText:
        return cls(text, tuple(range(len(text) + 1)))

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a derived half-open span back to the smallest original span covering it."""
        if start >= end:
            position = self.origin[start]
            return position, position
        return self.origin[start], self.origin[end - 1] + 1 if end - 1 < len(self.text) else self.origin[-1]

    def from_original(self, start: int, end: int) -> tuple[int, int]:
        """An original half-open span in this text's coordinates: the derived characters that came from it
        (a replacement standing for a run the span covers included), so a highlight stays one span."""
        first = bisect_left(self.origin, start, 0, len(self.text))
        last = bisect_left(self.origin, end, first, len(self.text))
        return first, max(first, last)

    def then(self, edits: list[Edit]) -> MappedText:
        """Apply edits expressed in *this* text's coordinates, keeping the map to the original."""
        if all(edit.end - edit.start == 1 == len(edit.replacement) for edit in edits) \
                and len({edit.start for edit in edits}) == len(edits):  # overlaps go on to apply_edits' error
            # One character for one (lower case, folding): every character keeps its origin, so no map of
            # the whole text is built and composed (with compose_origins: highlight maps 25% cheaper).
            characters = list(self.text)
            for edit in edits:
                characters[edit.start] = edit.replacement
            return MappedText("".join(characters), self.origin)
        derived = apply_edits(self.text, edits)
        return MappedText(derived.text, compose_origins(self.origin, derived.origin))


def compose_origins(origin: tuple[int, ...], positions: tuple[int, ...]) -> tuple[int, ...]:
    """`origin[i]` for every i of `positions`, in one C call (a generator over every character cost a
    third of a hit's highlight map)."""
    if len(positions) == 1:  # itemgetter of one index gives the item, not a tuple
        return (origin[positions[0]],)
    return itemgetter(*positions)(origin)


def apply_edits(text: str, edits: list[Edit]) -> MappedText:
    """Apply non-overlapping edits to `text`; inserted characters map to the edit's start."""
    pieces: list[str] = []
    origin: list[int] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor or edit.end < edit.start or edit.end > len(text):
            raise ValueError(f"overlapping or out-of-range edit {edit!r} at cursor {cursor}")
        pieces.append(text[cursor : edit.start])
        origin.extend(range(cursor, edit.start))
        pieces.append(edit.replacement)
        # Replacement characters all point at the replaced region's start (or the gap for inserts).
        origin.extend([edit.start] * len(edit.replacement))
        cursor = edit.end
    pieces.append(text[cursor:])
    origin.extend(range(cursor, len(text)))
    origin.append(len(text))
    return MappedText("".join(pieces), tuple(origin))


def shift_edits(edits: list[Edit], offset: int, start: int, end: int) -> list[Edit]:
    """Edits that fall inside [start, end), re-expressed relative to `offset` (e.g. a clause's start)."""
    return [
        Edit(e.start - offset, e.end - offset, e.replacement)
        for e in edits
        if e.start >= start and e.end <= end
    ]


def line_starts(text: str) -> list[int]:
    """Offsets at which each line of `text` starts (line 1 starts at 0)."""
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return starts


def line_of(starts: list[int], offset: int) -> int:
    """1-based line number of `offset` given `line_starts`."""
    return bisect_right(starts, offset)
