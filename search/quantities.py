"""Questions asking for a quantity ("phải báo trước mấy ngày?", "bao nhiêu tuổi thì được kết hôn?", "how
long …?"): the clauses that state a quantity of that kind.

A clause answering "mấy ngày" states a number of days ("Ít nhất 30 ngày …", "không quá 07 ngày làm việc");
one answering "bao nhiêu tuổi" states an age ("đủ 20 tuổi trở lên", "đủ mười tám tuổi"). Which quantity a
question asks for and how a clause writes it are data (`search/data/quantity_units.tsv`): cues are
compared by skeleton (unmarked questions), units as written. Among the lexical candidates, those stating a
quantity of the asked kind keep their lexical order and form one more fused signal, so the candidate that
both matches the question's words and states the asked quantity rises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from indexer.normalise import skeleton_words
from search.resources import DATA_DIR

QUANTITY_UNITS = DATA_DIR / "quantity_units.tsv"
# A number as laws write it: digits with separators ("1,6", "1.000.000", "05") or spelled out ("mười tám",
# "hai mươi mốt"), then an optional multiplier ("triệu", "tỷ").
SPELLED = ("một|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi|mốt|trăm|nghìn|ngàn|"
           "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|sixty|ninety")
NUMBER = rf"(?:\d+(?:[.,]\d+)*|(?:{SPELLED})(?:\s+(?:{SPELLED}))*)(?:\s*\(\d+\))?"
MULTIPLIER = r"(?:\s+(?:triệu|tỷ|nghìn|ngàn|trăm|million|billion|thousand))?"


NUMBER_BEFORE = re.compile(rf"(?<![\w.,]){NUMBER}{MULTIPLIER}\s*$")  # on lower-case text
LOOK_BACK = 40  # characters before a unit where its number must end ("hai mươi mốt tuổi", "1,6 triệu đồng")


@dataclass(frozen=True, slots=True)
class Quantity:
    name: str
    cues: tuple[tuple[str, ...], ...]  # skeleton words of each cue
    units: re.Pattern[str]  # one of the units, as a whole word

    def stated_in(self, text: str) -> bool:
        """Whether the text states a number of this unit (the unit found first: most clauses have none)."""
        lower = text.lower()
        return any(NUMBER_BEFORE.search(lower, max(0, unit.start() - LOOK_BACK), unit.start())
                   for unit in self.units.finditer(lower))


@lru_cache(maxsize=1)
def load_quantities() -> tuple[Quantity, ...]:
    found = []
    for line in QUANTITY_UNITS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, cues, units = line.split("\t")
        written = sorted((u.strip().lower() for u in units.split("|") if u.strip()), key=len, reverse=True)
        # a unit that is a word stands alone ("tháng", not inside "thắng lợi"); a sign ("%") need not. One
        # look-around around the words' alternation: one per word made the scan six times slower.
        words = "|".join(re.escape(u) for u in written if u[0].isalnum())
        signs = [re.escape(u) for u in written if not u[0].isalnum()]
        units_pattern = re.compile("|".join([rf"(?<!\w)(?:{words})(?!\w)"] * bool(words) + signs))
        found.append(Quantity(name, tuple(tuple(skeleton_words(c)) for c in cues.split("|") if c.strip()),
                              units_pattern))
    return tuple(found)


def _contains(words: Sequence[str], part: Sequence[str]) -> bool:
    n = len(part)
    return n > 0 and any(tuple(words[i:i + n]) == tuple(part) for i in range(len(words) - n + 1))


def asked_quantity(question: str, quantities: Sequence[Quantity] | None = None) -> Quantity | None:
    """The kind of quantity a question asks for (the first row whose cue it holds), or None."""
    words = skeleton_words(question)
    return next((q for q in quantities or load_quantities() if any(_contains(words, cue) for cue in q.cues)), None)


def quantity_ranking(candidates: Iterable[tuple[int, str]], question: str,
                     quantities: Sequence[Quantity] | None = None) -> list[int]:
    """The candidates ((position, clause text), in lexical order) stating a quantity of the kind the question
    asks for, in that order; [] when it asks for none."""
    asked = asked_quantity(question, quantities)
    if asked is None:
        return []
    return [position for position, text in candidates if asked.stated_in(text)]
