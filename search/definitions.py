"""Definition questions: the clause that defines the term a question names.

Laws define their terms in clauses that begin with the term and a connective ("3. Không gian mạng là mạng
lưới …", "Hàng thừa kế thứ nhất gồm: …"); a question asking what something is, or whether something counts
as it ("khong gian mang la gi", "Giảm giá … có phải là khuyến mại không?"), is answered by such a clause.
Cues and connectives are data (`search/data/definition_forms.tsv`), compared by skeleton so tone marks and
unmarked typing do not matter. Among the lexical candidates, the clauses defining a term the question
contains are ranked by that term's length (the longest named term is the most specific definition), then
by their lexical rank. On the Vietnamese questions' dev half, definitions had recall@10 0.35 (article 0.53),
the weakest kind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from indexer.normalise import skeleton_words
from search.lexicon import contains_run, data_rows
from search.resources import DATA_DIR

DEFINITION_FORMS = DATA_DIR / "definition_forms.tsv"
# A clause's own label ("3.", "a)", "-") before its text.
LABEL = re.compile(r"^\s*(?:\d+(?:\.\d+)*\s*[.)]|[a-zđ]\s*\)|[-–•+])\s*", re.IGNORECASE)
# A question asking for a quantity ("What is the maximum fine …?") is answered by the clause stating it, not
# by a definition, whatever its cue words (search.query's answer types).
QUANTITY_ANSWERS = frozenset({"number", "duration", "date"})
MAX_TERM_WORDS = 12  # "Doanh nghiệp nhỏ và vừa do phụ nữ làm chủ" is 10
HEAD_CHARS = 160  # the defined term and its connective open the clause


@dataclass(frozen=True, slots=True)
class DefinitionForms:
    cues: tuple[tuple[str, ...], ...]  # skeleton words of each cue (questions may be typed unmarked)
    connectives: frozenset[str]  # as written, lower case ("là", not "lá" of "thuốc lá")
    pattern: re.Pattern[str]  # any connective, as a whole word


@lru_cache(maxsize=1)
def load_forms() -> DefinitionForms:
    cues, connectives = [], set()
    for role, phrase in data_rows(DEFINITION_FORMS):
        if role == "cue":
            cues.append(tuple(skeleton_words(phrase)))
        elif role == "connective":
            connectives.add(unicodedata.normalize("NFC", phrase.lower()))
        else:
            raise ValueError(f"{DEFINITION_FORMS.name}: unknown role {role!r} of {phrase!r}")
    return DefinitionForms(tuple(cues), frozenset(connectives), _connective_pattern(frozenset(connectives)))


def asks_definition(query_words: Sequence[str], forms: DefinitionForms) -> bool:
    """Whether the question (its skeleton words) holds a definition cue."""
    return any(contains_run(query_words, cue) for cue in forms.cues)


def _connective_pattern(connectives: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(c) for c in sorted(connectives, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def defined_term(text: str, forms: DefinitionForms) -> tuple[str, ...] | None:
    """The skeleton words of the term a clause defines ("Không gian mạng là …" → khong gian mang), or None.
    The term is what precedes the first connective, with no punctuation inside it."""
    head = LABEL.sub("", unicodedata.normalize("NFC", text[:HEAD_CHARS]), count=1)
    stop = re.search(r"[,;:()\"“”]", head)
    found = forms.pattern.search(head, 0, stop.start() if stop else len(head))
    if found is None and stop and head[stop.start()] == ":":  # "Hàng thừa kế thứ nhất gồm: …"
        found = forms.pattern.search(head[: stop.start()].rstrip() + " ", 0)
        found = found if found and found.end() >= len(head[: stop.start()].rstrip()) else None
    if found is None:
        return None
    words = skeleton_words(head[: found.start()])
    return tuple(words) if 0 < len(words) <= MAX_TERM_WORDS else None


def definition_ranking(candidates: Iterable[tuple[int, str]], query_texts: Sequence[str],
                       forms: DefinitionForms | None = None) -> list[int]:
    """The candidates ((position, clause text), in lexical order) that define a term named in one of
    `query_texts` (the question, its translation), longest term first, then lexical order; [] when the
    question asks no definition."""
    forms = forms or load_forms()
    queries = [skeleton_words(text) for text in query_texts if text]
    if not queries or not asks_definition(queries[0], forms):
        return []
    found = []
    for order, (position, text) in enumerate(candidates):
        term = defined_term(text, forms)
        if term and any(contains_run(words, term) for words in queries):
            found.append((-len(term), order, position))
    return [position for _, _, position in sorted(found)]
