"""Questions asking for a quantity ("phải báo trước mấy ngày?", "bao nhiêu tuổi thì được kết hôn?", "how
long …?"): the clauses that state one of that kind.

A clause answering "mấy ngày" states a number of days ("Ít nhất 30 ngày …", "không quá 07 ngày làm việc");
one answering "bao nhiêu tuổi" states an age ("đủ 20 tuổi trở lên", "đủ mười tám tuổi"). Which kind a
question asks for and how a clause states it are data (`search/data/answer_statements.tsv`): cues are
compared by skeleton (unmarked questions), units as written. Among the lexical candidates, those stating the
asked kind keep their lexical order and form one more fused signal, so the candidate that both matches the
question's words and states what it asks for rises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from indexer.normalise import skeleton_words
from search.lexicon import alternatives, contains_run, data_rows
from search.resources import DATA_DIR

ANSWER_STATEMENTS = DATA_DIR / "answer_statements.tsv"
# A number as laws write it: digits with separators ("1,6", "1.000.000", "05") or spelled out ("mười tám",
# "hai mươi mốt"), then an optional multiplier ("triệu", "tỷ").
SPELLED = ("một|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi|mốt|trăm|nghìn|ngàn|"
           "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|sixty|ninety")
NUMBER = rf"(?:\d+(?:[.,]\d+)*|(?:{SPELLED})(?:\s+(?:{SPELLED}))*)(?:\s*\(\d+\))?"
MULTIPLIER = r"(?:\s+(?:triệu|tỷ|nghìn|ngàn|trăm|million|billion|thousand))?"


NUMBER_BEFORE = re.compile(rf"(?<![\w.,]){NUMBER}{MULTIPLIER}\s*$")  # on lower-case text
LOOK_BACK = 40  # characters before a unit where its number must end ("hai mươi mốt tuổi", "1,6 triệu đồng")


@dataclass(frozen=True, slots=True)
class AnswerKind:
    name: str
    cues: tuple[tuple[str, ...], ...]  # skeleton words of each cue
    units: re.Pattern[str]  # one of the units a stating clause writes after a number, as a whole word

    def stated_in(self, text: str) -> bool:
        """Whether the text states a number of one of the units (the unit found first: most clauses have none)."""
        lower = text.lower()
        return any(NUMBER_BEFORE.search(lower, max(0, unit.start() - LOOK_BACK), unit.start())
                   for unit in self.units.finditer(lower))


@lru_cache(maxsize=1)
def load_answer_kinds() -> tuple[AnswerKind, ...]:
    found = []
    for name, cues, units in data_rows(ANSWER_STATEMENTS):
        written = sorted((u.lower() for u in alternatives(units)), key=len, reverse=True)
        # a unit that is a word stands alone ("tháng", not inside "thắng lợi"); a sign ("%") need not. One
        # look-around around the words' alternation: one per word made the scan six times slower.
        words = "|".join(re.escape(u) for u in written if u[0].isalnum())
        signs = [re.escape(u) for u in written if not u[0].isalnum()]
        units_pattern = re.compile("|".join([rf"(?<!\w)(?:{words})(?!\w)"] * bool(words) + signs))
        found.append(AnswerKind(name, tuple(tuple(skeleton_words(c)) for c in alternatives(cues)), units_pattern))
    return tuple(found)


def asked_kind(question: str, kinds: Sequence[AnswerKind] | None = None) -> AnswerKind | None:
    """What a question asks for (the first row whose cue it holds), or None."""
    words = skeleton_words(question)
    return next((k for k in kinds or load_answer_kinds() if any(contains_run(words, cue) for cue in k.cues)), None)


def statement_ranking(candidates: Iterable[tuple[int, str]], question: str,
                      kinds: Sequence[AnswerKind] | None = None) -> list[int]:
    """The candidates ((position, clause text), in lexical order) stating what the question asks for, in that
    order; [] when it asks for nothing the table knows."""
    asked = asked_kind(question, kinds)
    if asked is None:
        return []
    return [position for position, text in candidates if asked.stated_in(text)]
