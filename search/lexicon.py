"""Phrase tables the query side reads: the bilingual legal glossary, the thesauri, the question forms and a
user's own synonym file. Each is data under `search/data/` (or the user's file), reviewed like code.

A table maps a phrase (a sequence of normalised words) to target phrases with weights. Lookup is
longest-match-first, left to right, over the words of a normalised query, so "người sử dụng lao động"
matches as one phrase before "lao động" does. Vietnamese phrases are keyed twice: by their marked words
(as normalised: NFC, new-style tone placement) and by their skeleton (no marks, đ → d), so a query typed
without tone marks ("bao nhieu tuoi thi duoc ket hon") still finds "bao nhiêu" and "kết hôn".
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.normalise import normalise, skeleton
from search.resources import DATA_DIR

WORD = re.compile(r"[^\W_]+(?:[.,/%-][^\W_]+)*%?")
GLOSSARY_DIR = DATA_DIR / "glossary"
THESAURUS_VI = DATA_DIR / "thesaurus_vi.tsv"
THESAURUS_EN = DATA_DIR / "thesaurus_en.tsv"
QUESTION_FORMS = DATA_DIR / "question_forms.tsv"
ANSWER_TYPES = DATA_DIR / "answer_types.tsv"
ENV_SYNONYMS = "LEXVN_SYNONYMS"  # a user's synonym file, Elasticsearch/Solr format (see load_user_synonyms)
MAX_PHRASE_WORDS = 8


@dataclass(frozen=True, slots=True)
class Target:
    text: str  # the target phrase as written in the table (normalised when used)
    weight: float = 1.0
    source: str = ""  # the file (or "mined:000~002") the entry comes from


@dataclass(frozen=True, slots=True)
class Match:
    start: int  # word positions in the query, end exclusive
    end: int
    phrase: str  # the query's own words that matched
    targets: tuple[Target, ...]


def words_of(text: str, language: str) -> list[str]:
    """The words of a text as every table and the query analysis see them: normalised, lower case."""
    return WORD.findall(normalise(text, language))


def contains_run(words: Sequence[str], part: Sequence[str]) -> bool:
    """Whether `part` occurs in `words` as a contiguous run."""
    n = len(part)
    return n > 0 and any(tuple(words[i:i + n]) == tuple(part) for i in range(len(words) - n + 1))


@lru_cache(maxsize=1 << 16)
def _skeleton_word(word: str) -> str:
    return skeleton(word) or word


def _skeleton_words(words: Sequence[str]) -> tuple[str, ...]:
    # cached by word: loading the thesauri and glossary asks for ~62k skeletons of ~10k distinct words
    return tuple(_skeleton_word(word) for word in words)


@lru_cache(maxsize=1)
def _english_stemmer():
    import snowballstemmer  # Snowball's English (Porter 2) stemmer: what Lucene and Elasticsearch use

    return snowballstemmer.stemmer("english")


def stems(words: Sequence[str]) -> tuple[str, ...]:
    """English words' Snowball stems ("notarized", "notarization" → "notar"; "selling" → "sell")."""
    return tuple(_english_stemmer().stemWords(list(words)))


class PhraseTable:
    """Phrase → targets, looked up longest match first; `marked=False` lookups use the skeleton keys."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._marked: dict[tuple[str, ...], list[Target]] = {}
        self._unmarked: dict[tuple[str, ...], list[Target]] = {}
        self._stemmed: dict[tuple[str, ...], list[Target]] = {}  # English only: keys by stem
        self.longest = 1

    def __len__(self) -> int:
        return len(self._marked)

    def add(self, phrase: str, targets: Iterable[Target]) -> None:
        key = tuple(words_of(phrase, self.language))
        if not key or len(key) > MAX_PHRASE_WORDS:
            return
        entries = self._marked.setdefault(key, [])
        for target in targets:
            if target.text and all(t.text != target.text for t in entries):
                entries.append(target)
        self._unmarked.setdefault(_skeleton_words(key), entries)
        if self.language == "en":
            self._stemmed.setdefault(stems(key), entries)
        self.longest = max(self.longest, len(key))

    def get(self, phrase: str) -> tuple[Target, ...]:
        return tuple(self._marked.get(tuple(words_of(phrase, self.language)), ()))

    def phrases(self) -> list[tuple[str, ...]]:
        return list(self._marked)

    def find(self, words: Sequence[str], marked: bool = True, skip: Iterable[int] = (),
             min_words: int = 1, bound: Iterable[int] = (), stemmed: bool = False) -> list[Match]:
        """Non-overlapping matches, longest first at each position, left to right; `skip`: word positions
        already taken by another table (a match never covers one); `min_words`: shorter phrases are not
        looked up (a lone unmarked syllable such as "bao" is báo, bào or bảo); `bound`: positions inside
        a word of several syllables, where a one-syllable phrase is not matched ("kiện" in "điều kiện");
        `stemmed`: English words matched by their stems."""
        inside = set(bound)
        if stemmed:
            table, keys = self._stemmed, stems(words)
        else:
            table = self._marked if marked else self._unmarked
            keys = tuple(words) if marked else _skeleton_words(words)
        taken = set(skip)
        found: list[Match] = []
        position = 0
        while position < len(keys):
            for length in range(min(self.longest, len(keys) - position), min_words - 1, -1):
                span = range(position, position + length)
                if taken.intersection(span) or (length == 1 and position in inside):
                    continue
                entries = table.get(keys[position : position + length])
                if entries:
                    found.append(Match(position, position + length, " ".join(words[position : position + length]),
                                       tuple(entries)))
                    position += length
                    break
            else:
                position += 1
        return found


def data_rows(path: Path) -> Iterable[list[str]]:
    """The rows of a tab-separated data file: blank lines and `#` comments skipped, cells stripped."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield [cell.strip() for cell in line.split("\t")]


def alternatives(cell: str) -> list[str]:
    """The \" | \"-separated alternatives of a data cell."""
    return [part.strip() for part in cell.split("|") if part.strip()]


@dataclass(frozen=True, slots=True)
class Glossary:
    """The bilingual EN↔VI legal glossary (`data/glossary/*.tsv`: english, vietnamese | …, domain, source)."""

    en_to_vi: PhraseTable
    vi_to_en: PhraseTable
    entries: int

    @classmethod
    def load(cls, directory: Path = GLOSSARY_DIR) -> Glossary:
        en_to_vi, vi_to_en = PhraseTable("en"), PhraseTable("vi")
        entries = 0
        for path in sorted(directory.glob("*.tsv")):
            for row in data_rows(path):
                english, vietnamese = row[0], alternatives(row[1])
                source = row[3] if len(row) > 3 and row[3] else path.stem
                entries += 1
                en_to_vi.add(english, [Target(v, 1.0, source) for v in vietnamese])
                for v in vietnamese:
                    vi_to_en.add(v, [Target(english, 1.0, source)])
        return cls(en_to_vi, vi_to_en, entries)


def load_thesaurus(path: Path, language: str) -> PhraseTable:
    """A thesaurus file: everyday <TAB> statutory | … <TAB> weight (0.3 loose … 1.0 a true synonym)."""
    table = PhraseTable(language)
    for row in data_rows(path):
        weight = float(row[2]) if len(row) > 2 and row[2] else 1.0
        table.add(row[0], [Target(target, weight, path.name) for target in alternatives(row[1])])
    return table


def load_user_synonyms(path: Path, language: str = "vi") -> PhraseTable:
    """A synonym file as Elasticsearch and Solr write them, one rule a line (`#` comments):
    `a, b, c` — equivalent phrases, each expands to the others; `a, b => c, d` — a or b expands to c and d.
    Expansions weigh 1.0; the user's words are always kept beside them."""
    table = PhraseTable(language)
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, _, right = line.partition("=>")
            sources, targets = _comma_list(left), _comma_list(right)
        else:
            sources = targets = _comma_list(line)
        if not sources or not targets:
            raise ValueError(f"{path}:{number}: a rule needs phrases on both sides: {line!r}")
        for source in sources:
            table.add(source, [Target(t, 1.0, Path(path).name) for t in targets if t != source])
    return table


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@dataclass(frozen=True, slots=True)
class QuestionForm:
    action: str  # drop | drop_last (only as the query's last word) | drop_first (only as its first word)
    answer: str  # the expected answer type it signals ("" when none): number, duration, date, definition, …


def load_question_forms(path: Path = QUESTION_FORMS) -> dict[str, PhraseTable]:
    """Question words and particles per language (`data/question_forms.tsv`: language, phrase, action,
    answer type): the table's targets carry "action:answer" so the analysis can read both."""
    tables = {"vi": PhraseTable("vi"), "en": PhraseTable("en")}
    for row in data_rows(path):
        language, phrase, action = row[0], row[1], row[2]
        answer = row[3] if len(row) > 3 else ""
        tables[language].add(phrase, [Target(f"{action}:{answer}", 1.0, path.name)])
    return tables


def load_answer_types(path: Path = ANSWER_TYPES) -> dict[str, tuple[Target, ...]]:
    """Answer type → what a clause giving that kind of answer says (`data/answer_types.tsv`)."""
    return {row[0]: tuple(Target(phrase, float(row[2]), path.name) for phrase in alternatives(row[1]))
            for row in data_rows(path)}


def question_form(target: Target) -> QuestionForm:
    action, _, answer = target.text.partition(":")
    return QuestionForm(action, answer)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything query analysis looks phrases up in, loaded once per process."""

    glossary: Glossary
    thesaurus: dict[str, PhraseTable]  # language → everyday → statutory
    questions: dict[str, PhraseTable]  # language → question words and particles
    answers: dict[str, tuple[Target, ...]]  # answer type → what an answering clause says (Vietnamese)
    user: PhraseTable | None  # the user's synonym file, when $LEXVN_SYNONYMS names one


@lru_cache(maxsize=4)
def load_lexicon(user_synonyms: str | None = None) -> Lexicon:
    user_file = user_synonyms or os.environ.get(ENV_SYNONYMS)
    user = load_user_synonyms(Path(user_file)) if user_file else None
    thesaurus = {"vi": load_thesaurus(THESAURUS_VI, "vi")}
    if THESAURUS_EN.is_file():
        thesaurus["en"] = load_thesaurus(THESAURUS_EN, "en")
    return Lexicon(Glossary.load(), thesaurus, load_question_forms(), load_answer_types(), user)
