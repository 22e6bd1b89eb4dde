"""Query understanding: one analysis per query (`analyse` → `QueryPlan`) that every later stage reads,
and result filters.

The plan holds the quoted phrases, the language (and whether Vietnamese was typed without marks), the
question words and particles dropped from the lexical query (`data/question_forms.tsv`) and the answer
type they signal, thesaurus and user-synonym expansions weighed *beside* the user's words (never instead
of them), and the glossary translation into the corpus's other language as a structured query: each
source term's translations count as one BM25 term (Pirkola), its own ranking in fusion. Quoted phrases
are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from indexer.normalise import DOC_NUMBER, normalise
from indexer.segment import VIETNAMESE_LETTERS, detect_language, query_terms, segment_query
from search.lexicon import WORD, Lexicon, PhraseTable, question_form, words_of

MODES = ("hybrid", "bm25", "dense", "phrase")
# Straight and typographic double quotes delimit phrases.
QUOTED = re.compile(r"[\"“”„]([^\"“”„]+)[\"“”„]")
# Weight of a thesaurus or user-synonym expansion beside the user's own words (times the entry's weight).
# Chosen on the dev halves (eval/training/tune_fusion.py): Vietnamese questions recall@10 0.556 at 0.25,
# 0.547 at 0.5; the seed set and the cross-language sets the same at both.
EXPANSION_WEIGHT = 0.25
# Weight of a segmented word term ("trách_nhiệm") beside the syllables it is made of.
WORD_TERM_WEIGHT = 1.0
# Query kinds fusion weighs differently (search.fuse.KIND_WEIGHTS).
KINDS = ("phrase", "docref", "question", "crosslingual", "keywords")


@dataclass(frozen=True, slots=True)
class Expansion:
    """A phrase of the query and the phrases a table adds beside it."""

    source: str
    targets: tuple[str, ...]
    weight: float
    table: str  # thesaurus_vi.tsv, thesaurus_en.tsv, the user's file, glossary/…
    span: tuple[int, int] = (0, 0)  # word positions of `source` in the query


@dataclass(frozen=True, slots=True)
class TermGroup:
    """One unit of a BM25 query: its alternatives count as one term (Pirkola's structured query, by the max
    of their scores), each alternative a list of terms whose scores add up."""

    weight: float
    alternatives: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A query analysed once; every later stage reads this, nothing normalises the query again."""

    raw: str
    text: str  # the query without its quote marks
    phrases: tuple[str, ...]  # quoted phrases: results must contain every one of them
    language: str  # "vi" | "en"
    normalised: str
    unmarked: bool  # Vietnamese typed without tone marks
    kind: str  # one of KINDS
    dropped: tuple[str, ...] = ()  # question words and particles left out of the lexical query
    answer_type: str = ""  # what the question asks for: number, duration, date, definition, …
    terms: tuple[str, ...] = ()  # BM25 terms of the user's own words
    expansions: tuple[Expansion, ...] = ()
    translations: tuple[Expansion, ...] = ()  # glossary translations into `target_language`
    target_language: str = ""
    groups: tuple[TermGroup, ...] = ()  # the lexical query: the user's terms, then expansions
    translated_groups: tuple[TermGroup, ...] = ()  # the translated query (its own ranking in fusion)
    dense_text: str = ""  # what the encoder sees (question particles dropped)
    translated_text: str = ""  # the translation as text, for an encoder of the target language

    @property
    def quoted(self) -> bool:
        return bool(self.phrases)

    def explain(self) -> dict[str, Any]:
        return {"language": self.language, "kind": self.kind, "unmarked": self.unmarked,
                "normalised": self.normalised, "dropped": list(self.dropped), "answer_type": self.answer_type,
                "terms": list(self.terms),
                "expansions": [_expansion_json(e) for e in self.expansions],
                "translations": [_expansion_json(e) for e in self.translations],
                "target_language": self.target_language, "dense_text": self.dense_text,
                "translated_text": self.translated_text}


def _expansion_json(expansion: Expansion) -> dict[str, Any]:
    return {"source": expansion.source, "targets": list(expansion.targets), "weight": round(expansion.weight, 3),
            "table": expansion.table}


def split_quotes(query: str) -> tuple[str, tuple[str, ...]]:
    phrases = tuple(p.strip() for p in QUOTED.findall(query) if p.strip())
    return " ".join(QUOTED.sub(lambda m: f" {m.group(1)} ", query).split()), phrases


@lru_cache(maxsize=20_000)
def phrase_terms(phrase: str, language: str) -> tuple[str, ...]:
    """BM25 terms of a table phrase, as a query's own words would give them (cached: tables repeat)."""
    return tuple(dict.fromkeys(query_terms(normalise(phrase, language), language)))


def segmented_positions(words: list[str], segmented: list[str]) -> list[list[int]]:
    """For each word of a segmentation (underthesea's "điều kiện"), the positions of its syllables among
    `words` (the query's WORD tokens); a syllable the two disagree on is skipped."""
    spans: list[list[int]] = []
    cursor = 0
    for word in segmented:
        positions = []
        for part in WORD.findall(word):
            found = next((i for i in range(cursor, min(cursor + 3, len(words))) if words[i] == part), None)
            if found is not None:
                positions.append(found)
                cursor = found + 1
        spans.append(positions)
    return spans


def _question_words(words: list[str], table: PhraseTable, marked: bool, bound: set[int]) -> tuple[set[int], str]:
    """Positions of question words and particles to drop, and the answer type they signal."""
    drop: set[int] = set()
    answer = ""
    for match in table.find(words, marked=marked, bound=bound):
        form = question_form(match.targets[0])
        if form.action == "drop_last" and match.end != len(words):
            continue
        if form.action == "drop_first" and match.start != 0:
            continue
        if len(drop) + (match.end - match.start) >= len(words):
            continue  # a query of nothing but question words keeps them
        drop.update(range(match.start, match.end))
        answer = answer or form.answer
    return drop, answer


def _lookup(words: list[str], tables: list[tuple[str, PhraseTable]], marked: bool,
            skip: set[int] = frozenset(), bound: set[int] = frozenset(),
            stemmed: bool = False) -> tuple[list[Expansion], set[int], set[int]]:
    """Matches of the tables, in order (a later table never overlaps an earlier one's match), the word
    positions they cover, and those that matches of several words cover (such a term keeps its function
    words)."""
    found: list[Expansion] = []
    covered, protected = set(skip), set()
    for name, table in tables:
        for match in table.find(words, marked=marked, skip=covered, min_words=1 if marked else 2, bound=bound,
                                stemmed=stemmed):
            found.append(Expansion(match.phrase, tuple(t.text for t in match.targets),
                                   max(t.weight for t in match.targets), name, (match.start, match.end)))
            covered.update(range(match.start, match.end))
            if match.end - match.start > 1:
                protected.update(range(match.start, match.end))
    return found, covered - set(skip), protected


def query_kind(text: str, phrases: tuple[str, ...], question: bool, crosslingual: bool) -> str:
    if phrases:
        return "phrase"
    if DOC_NUMBER_IN_QUERY.search(text):
        return "docref"
    if crosslingual:
        return "crosslingual"
    return "question" if question else "keywords"


# A document number in the (normalised) query: the normaliser's own definition, which keeps them whole.
DOC_NUMBER_IN_QUERY = re.compile(rf"(?<![\w./,-]){DOC_NUMBER}(?![\w])")


class Readings(Protocol):
    def readings(self, unmarked: str) -> list[str]: ...


def restored_groups(kept_words: list[str], terms: tuple[str, ...], vocabulary: Readings) -> list[TermGroup]:
    """A query typed without marks, as groups whose alternatives are the index's marked readings: each
    syllable with its most frequent readings ("ket" → kết | két | kẹt), each pair of words with the
    segmented words it can be ("ket hon" → kết_hôn), the unmarked form kept too."""
    groups = [TermGroup(1.0, ((term,), *((r,) for r in vocabulary.readings(term)))) for term in terms]
    for first, second in zip(kept_words, kept_words[1:], strict=False):
        readings = vocabulary.readings(f"{first}_{second}")
        if readings:
            groups.append(TermGroup(1.0, tuple((r,) for r in readings)))
    return groups


def analyse(query: str, lexicon: Lexicon, corpus_languages: frozenset[str] = frozenset({"vi"}),
            vocabulary: Readings | None = None) -> QueryPlan:
    """The plan of one query: phrases, language, question words dropped, expansions and translations.

    `corpus_languages`: the languages of the indexed clauses; a translation is made only into a language
    the corpus holds other than the query's. `vocabulary`: the index's marked readings of unmarked terms,
    used when Vietnamese is typed without tone marks.
    """
    text, phrases = split_quotes(query)
    language = detect_language(text)
    normalised = normalise(text, language)
    words = WORD.findall(normalised)
    unmarked = language == "vi" and not VIETNAMESE_LETTERS.search(text)
    marked = not unmarked
    segmented = segment_query(normalised) if language == "vi" else []
    spans = segmented_positions(words, segmented)
    bound = {i for positions in spans if len(positions) > 1 for i in positions}
    drop, answer = _question_words(words, lexicon.questions[language], marked, bound)
    question = bool(drop) or text.rstrip().endswith("?")

    # Expansions and translations are looked up over every word: a term such as "statute of limitations"
    # or "có thẩm quyền" keeps the function words a question form would otherwise drop.
    tables = ([("synonyms", lexicon.user)] if lexicon.user is not None else []) + (
        [(f"thesaurus_{language}.tsv", lexicon.thesaurus[language])] if language in lexicon.thesaurus else [])
    expansions, _, expanded = _lookup(words, tables, marked, bound=bound) if not phrases else ([], set(), set())
    other = sorted(corpus_languages - {language})
    target = other[0] if other else ""
    translations: list[Expansion] = []
    translated: set[int] = set()
    if target and not phrases:
        table = lexicon.glossary.en_to_vi if language == "en" else lexicon.glossary.vi_to_en
        translations, covered, translated = _lookup(words, [("glossary", table)], marked, bound=bound)
        if language == "en":  # then forms the table does not list, by their stems ("employees", "notarized")
            more, more_covered, more_protected = _lookup(words, [("glossary", table)], marked, covered,
                                                         stemmed=True)
            translations, covered, translated = translations + more, covered | more_covered, translated | more_protected
        # an everyday English phrase ("fired") reaches the glossary through its legal term ("dismissal"),
        # unless the glossary translated those words already
        for expansion in (e for e in expansions if e.table == "thesaurus_en.tsv"
                          and not covered.intersection(range(*e.span))):
            for legal in expansion.targets:
                found, _, _ = _lookup(words_of(legal, language), [("glossary", table)], True, stemmed=True)
                translations += [Expansion(expansion.source, f.targets, expansion.weight, "thesaurus_en.tsv+glossary",
                                           expansion.span) for f in found]
    drop -= expanded | translated
    kept = [word for i, word in enumerate(words) if i not in drop]
    kept_text = " ".join(kept)
    kept_words = [word for word, positions in zip(segmented, spans, strict=True) if not drop.intersection(positions)]
    terms = tuple(dict.fromkeys(query_terms(kept_text, language, kept_words if language == "vi" else None))) \
        if kept_text else ()
    if unmarked and vocabulary is not None:
        groups = restored_groups(kept, terms, vocabulary)
    else:
        groups = [TermGroup(WORD_TERM_WEIGHT if "_" in term else 1.0, ((term,),)) for term in terms]
    hints = lexicon.answers.get(answer, ()) if language == "vi" and not phrases else ()
    if hints:  # what an answering clause says ("giải thích từ ngữ" for "… là gì?"), weaker than a synonym
        expansions.append(Expansion(f"({answer})", tuple(t.text for t in hints), hints[0].weight, "answer_types.tsv"))
    groups += [TermGroup(EXPANSION_WEIGHT * e.weight, tuple(phrase_terms(t, language) for t in e.targets))
               for e in expansions]
    translated_groups = [TermGroup(e.weight, tuple(phrase_terms(t, target) for t in e.targets)) for e in translations]
    translated_groups += [TermGroup(1.0, ((term,),)) for term in terms if any(ch.isdigit() for ch in term)]
    crosslingual = language == "en" and target == "vi" and bool(translations)
    return QueryPlan(
        raw=query, text=text, phrases=phrases, language=language, normalised=normalised, unmarked=unmarked,
        kind=query_kind(normalised, phrases, question, crosslingual), dropped=tuple(words[i] for i in sorted(drop)),
        answer_type=answer, terms=terms, expansions=tuple(expansions), translations=tuple(translations),
        target_language=target if translations else "", groups=tuple(groups),
        translated_groups=tuple(translated_groups) if translations else (),
        # the encoder sees the query as typed (passages are encoded from their cleaned, not normalised, text:
        # "QPPL" stays "QPPL"), less its question words when it has some
        dense_text=(kept_text if drop else text) or text,
        translated_text=" ".join(e.targets[0] for e in translations),
    )


@dataclass(slots=True)
class Filters:
    """Restrictions on results, combined with AND. Strings compare case-insensitively.

    doc_type: exact document type ("Luật", "Kế hoạch"); issuer: substring of the issuer; language: "vi"/"en";
    number: document number, ignoring case and spaces ("1218/QĐ-UBND"); year_from / year_to: inclusive
    range on the document date's year; doc_ids: only these documents; kind: clause kind ("khoan", "row").
    """

    doc_type: str | None = None
    issuer: str | None = None
    language: str | None = None
    number: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    doc_ids: tuple[str, ...] | None = None
    kind: str | None = None

    @classmethod
    def from_value(cls, value: Filters | dict[str, Any] | None) -> Filters | None:
        if value is None or isinstance(value, Filters):
            return value
        known = {name: value[name] for name in cls.__slots__ if value.get(name) not in (None, "", [])}
        unknown = set(value) - set(cls.__slots__)
        if unknown:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}; known: {', '.join(cls.__slots__)}")
        if "doc_ids" in known:
            known["doc_ids"] = tuple(known["doc_ids"])
        for year in ("year_from", "year_to"):
            if year in known:
                known[year] = int(known[year])
        return cls(**known) if known else None

    def accepts_document(self, meta: Any, doc_id: str) -> bool:
        if self.doc_ids is not None and doc_id not in self.doc_ids:
            return False
        if self.doc_type and (meta.doc_type or "").casefold() != self.doc_type.casefold():
            return False
        if self.issuer and self.issuer.casefold() not in (meta.issuer or "").casefold():
            return False
        if self.language and meta.language != self.language:
            return False
        if self.number and _compact(meta.number) != _compact(self.number):
            return False
        year = int(meta.date[:4]) if meta.date and meta.date[:4].isdigit() else None
        if (self.year_from is not None or self.year_to is not None) and year is None:
            return False
        if self.year_from is not None and year < self.year_from:
            return False
        return not (self.year_to is not None and year > self.year_to)


def _compact(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").casefold()
