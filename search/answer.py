"""Grounded answers: the clause(s) that answer a question, the sentence that does, the numbers, durations and
dates it states and the citation — or an explicit "not found in the indexed documents", never a guess.

`answer(searcher, question, k=10, filters=None, generate=None, strict=False) -> Answer`

Extractive (always, no model):
1. The question is analysed (`analyse_question`): its language, the kind of fact it asks for (`expected`:
   percent, quantity, amount, duration, date, or none — phrases in `data/answer_terms.json`) and its
   content words (underthesea words, question words and stop words left out).
2. The searcher's hybrid ranking of the question, and of its content words alone, gives candidate clauses
   (public `Searcher.search` only).
3. Each candidate (and each point under a retrieved lead-in "… sau đây:") is scored by **coverage**: the
   share of the question's content words, weighted by their rarity in the corpus (idf from the number of
   clauses holding the word, counted by a phrase search), that occur in the clause or its headings (in its
   document's title, number or issuer: half). A word also counts as covered by one of its listed
   equivalents ("kinh phí" by "chi", "tối thiểu" by "không thấp hơn"). A word no clause holds weighs most:
   a question about "y tế dự phòng" is not answered by a clause on "kinh phí … công tác". Words next to
   each other in the question must be near each other, in the same order and sentence, in the clause, or
   the coverage is discounted (up to half): "quỹ dự phòng … bảo hiểm y tế" is not "y tế dự phòng".
4. A question that asks for a fact kind needs a sentence stating one (facts from
   `search/crosscheck/facts.py`, the cross-checker's extractor): "bao nhiêu phần trăm" wants a percentage,
   "phí … bao nhiêu" an amount; a number the question itself states does not count.
5. Confident when the best candidate's coverage is at least `MIN_COVERAGE` and, for a typed question, its
   sentence states a fact of the asked kind; then the answer is that sentence, its facts and its citation,
   with other confident clauses that state the same value. Otherwise `status == "not_found"`, with the
   words no clause covered, and no text that could be read as an answer.

`MIN_COVERAGE` was chosen on the seed corpus (see the constant): questions the seeds answer and questions
they cannot, written for that purpose and kept in `eval/dev/seed_answer_questions.jsonl`; the VLC laws
(`eval/dev/vlc_answer_questions.jsonl`) were a check afterwards. `lexvn ask --questions FILE.jsonl` prints,
per question, the coverage of the best candidates and why an answer was given or refused.

Generated (only when the caller passes `generate`, a function from chat messages to text, e.g. an
OpenAI-compatible endpoint the user configured — see api/llm.py; this module makes no HTTP call):
the confident clauses go into the prompt numbered, with their citations; the reply is then checked by
`verify_generated`: every citation marker must name a clause given, every number, percentage, amount,
duration and date must equal a fact of a cited clause (a comparator too, when it states one), every other
number, document number ("66-NQ/TW") and structural reference ("khoản 6", "Article 5") must occur in a
cited clause or its citation. A reply that fails is flagged (`status == "flagged"`, the problems listed)
or, with `strict`, refused (the extractive answer is given instead). No model is asked when retrieval is
not confident.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from indexer.model import Clause
from indexer.normalise import normalise
from indexer.segment import detect_language
from search.crosscheck.conflicts import clause_facts
from search.crosscheck.facts import DOC_NUMBER, QUANTITY_KINDS, Fact, extract_facts
from search.phrase import phrase_pattern
from search.resources import DATA_DIR

# The confidence rule, measured on the seed corpus (5 documents, 311 clauses, default encoder) with the 40
# questions of eval/dev/seed_answer_questions.jsonl (20 the seeds answer, 20 they cannot, written for this)
# and the 30 retrieval queries of ../shared/eval/seed_queries.jsonl asked as questions. Best coverage of a
# candidate that passes the typed check:
# - unanswerable: max 0.66 (u04 "Ngân sách chi cho giáo dục tối thiểu bao nhiêu phần trăm?": the 0,5% clause
#   covers "ngân sách" and "chi" but not "giáo dục"; the clause that covers all three states no percentage),
#   then 0.46; median 0.18;
# - answerable: min 0.84 (a11, "Hà Tĩnh" only in the document's title), median 1.00; two date questions
#   have no typed candidate at all (a05 "trước ngày 05/6", a day and month without a year, and a12 a
#   document's own date, which the facts extractor leaves to metadata), so they are refused;
# - seed queries: 28 of 30 at 0.84 or more; d10 states its own number ("bằng 100% mức lương"), d11 0.62.
# 0.75 sits in the gap (0.66, 0.84): 0 of 20 unanswerable questions answered, 18 of 20 answerable ones
# answered, each from a clause of the expected document. Checked afterwards, unchanged, on the 208 laws of
# ../shared/vlc (122,463 clauses; eval/dev/vlc_answer_questions.jsonl, a slow test): 0 of 10 questions the
# laws leave to decrees answered; 16 of 18 answerable ones answered, each with the value asked; v16, v17
# refused (retrieval missed the clause; the VAT rates' clause covers the words far apart).
MIN_COVERAGE = 0.75
CANDIDATES = 20  # clauses of each ranking that are considered (10 left a plan repeating the value at rank 11)
MAX_EVIDENCE = 3  # clauses cited in an extractive answer (the best one and those stating the same value)
MAX_PROMPT_CLAUSES = 5
MAX_PROMPT_CLAUSE_CHARS = 2500
NOT_FOUND = {"vi": "Không tìm thấy trong các văn bản đã được lập chỉ mục.",
             "en": "Not found in the indexed documents."}
FACT_KINDS_REPORTED = (*QUANTITY_KINDS, "date", "deadline")

Generate = Callable[[list[dict[str, str]]], str]


class GenerationError(RuntimeError):
    """The configured language model could not be asked or gave no usable reply."""


@lru_cache(maxsize=1)
def terms() -> dict[str, Any]:
    return json.loads((DATA_DIR / "answer_terms.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- types


@dataclass(slots=True)
class Evidence:
    """One clause cited by an answer, with the sentence that answers and the facts that sentence states."""

    clause_id: str
    doc_id: str
    source: str
    citation: str
    citation_en: str
    path: str
    text: str  # the clause's original text
    sentence: str  # the answering sentence, from the clause's clean text
    sentence_span: tuple[int, int]  # [start, end) in `text` of what the sentence was cleaned from
    facts: list[dict[str, Any]]  # numbers, durations, dates of the sentence; spans are offsets in `text`
    coverage: float
    rank: int  # the clause's rank in the search results
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Candidate:
    clause_id: str
    citation: str
    rank: int
    coverage: float
    typed: bool  # a sentence states a fact of the kind the question asks for (True for untyped questions)
    missing: list[str]
    apart: list[str] = field(default_factory=list)  # neighbouring question words found far apart


@dataclass(slots=True)
class Confidence:
    coverage: float  # of the best candidate
    threshold: float
    expected: str | None
    words: list[str]  # the question's content words
    missing: list[str]  # content words the best candidate does not cover
    absent: list[str]  # content words no clause of the corpus holds
    confident: bool
    reason: str
    candidates: list[Candidate] = field(default_factory=list)


@dataclass(slots=True)
class Claim:
    """One checkable statement of a generated answer."""

    kind: str  # marker | quantity | date | number | document | reference
    text: str
    supported: bool
    clause_ids: list[str] = field(default_factory=list)  # cited clauses it was found in
    note: str = ""


@dataclass(slots=True)
class Generation:
    model: str | None
    text: str | None  # the model's reply (None when it could not be asked)
    verified: bool
    refused: bool  # strict mode withheld the reply
    declined: bool  # the model said the clauses do not answer
    claims: list[Claim] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(slots=True)
class Answer:
    question: str
    language: str
    status: str  # answered | not_found | flagged | refused
    mode: str  # extractive | generated
    text: str  # what to show: the answer, or the not-found message
    evidence: list[Evidence]
    confidence: Confidence
    generation: Generation | None = None

    @property
    def found(self) -> bool:
        return self.status != "not_found"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for item in data["evidence"]:
            item["sentence_span"] = list(item["sentence_span"])
        return data


# ---------------------------------------------------------------------------------------------- question


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    language: str
    words: tuple[str, ...]  # normalised content words ("kinh phí", "xây dựng", "budget")
    expected: str | None  # percent | quantity | duration | date | None
    fact_kinds: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...] = ()  # content words next to each other in the question ("y tế", "dự phòng")
    given: frozenset[tuple[str, Any, Any]] = frozenset()  # (kind, value, unit) of the facts the question states


def _phrase_regex(phrases: list[str], language: str) -> re.Pattern[str] | None:
    forms = sorted({normalise(p, language) for p in phrases if p.strip()}, key=len, reverse=True)
    if not forms:
        return None
    body = "|".join(r"\s+".join(map(re.escape, form.split())) for form in forms)
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])")


@lru_cache(maxsize=4)
def _question_patterns(language: str) -> tuple[re.Pattern[str] | None, list[tuple[str, re.Pattern[str]]]]:
    t = terms()
    strip = _phrase_regex(t["question_words"][language], language)
    comparators = _phrase_regex(t.get("comparators", {}).get(language, []), language)
    if strip is not None and comparators is not None:
        # "tối thiểu (là) bao nhiêu" asks for a bound: the comparator goes with the question word
        strip = re.compile(rf"(?:{comparators.pattern}\s+(?:là\s+|is\s+)?)?(?:{strip.pattern})")
    expect = []
    for kind, phrases in t["expect"].items():
        pattern = _phrase_regex(phrases, language)
        if pattern is not None:
            expect.append((kind, pattern))
    return strip, expect


def _expected_kind(normalised: str, language: str) -> str | None:
    """The kind whose phrase matches longest (ties: the order of the table, most specific first), refined
    by the words of `refine` ("phí … bao nhiêu" asks for an amount, not any quantity)."""
    best: tuple[int, int, str] | None = None
    for order, (kind, pattern) in enumerate(_question_patterns(language)[1]):
        for match in pattern.finditer(normalised):
            key = (len(match.group(0)), -order, kind)
            if best is None or key > best:
                best = key
    kind = best[2] if best else None
    for refined, words in terms().get("refine", {}).get(kind or "", {}).items():
        pattern = _phrase_regex(words, language)
        if pattern is not None and pattern.search(normalised):
            return refined
    return kind


TOKEN = re.compile(r"[^\W_]+(?:[-./'][^\W_]+)*%?")


def _segment(text: str) -> list[str]:
    from underthesea import word_tokenize  # Vietnamese words, as the index segments them

    return word_tokenize(text)


def analyse_question(question: str) -> Question:
    language = detect_language(question)
    normalised = normalise(question.replace('"', " ").replace("“", " ").replace("”", " "), language)
    expected = _expected_kind(normalised, language)
    strip, _ = _question_patterns(language)
    chunks = strip.split(normalised) if strip else [normalised]
    stop = {normalise(w, language) for w in terms()["stopwords"][language]}
    words: list[str] = []
    pairs: list[tuple[str, str]] = []
    # question words, punctuation and stop words break the question into runs of content words
    runs = [part.strip() for chunk in chunks for part in re.split(r"[?!,;:()\[\]]", chunk)]
    for run in (r for r in runs if r):
        previous = None
        for token in _segment(run) if language == "vi" else TOKEN.findall(run):
            # underthesea re-places tone marks ("hoá" → "hóa"): normalise again, as the index does
            token = " ".join(normalise(token, language).split()).strip(".'")
            if (not token or not re.search(r"[^\W_]", token) or token in stop or (len(token) == 1 and token.isalpha())
                    or all(part in stop for part in token.split())):
                previous = None
                continue
            words.append(token)
            if previous is not None and previous != token:
                pairs.append((previous, token))
            previous = token
    kinds = tuple(terms()["fact_kinds"].get(expected, ())) if expected else ()
    given = frozenset((f.kind, f.value, f.unit) for f in extract_facts(question, language)
                      if f.kind in FACT_KINDS_REPORTED)
    return Question(question, language, tuple(dict.fromkeys(words)), expected, kinds, tuple(dict.fromkeys(pairs)),
                    given)


# ---------------------------------------------------------------------------------------------- matching

ENGLISH_SUFFIXES = ("ies", "es", "s", "ing", "ed", "ly")


def _english_stem(word: str) -> str:
    for suffix in ENGLISH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)
def _term_pattern(term: str, language: str) -> re.Pattern[str] | None:
    """Where a normalised term occurs in normalised text: the phrase pattern search uses (word-bounded), or
    for a longer English word its stem as a word prefix ("ministries" finds "ministry")."""
    if language == "en" and term.isalpha() and len(term) >= 5:
        return re.compile(rf"(?<![^\W_]){re.escape(_english_stem(term))}", re.IGNORECASE)
    return phrase_pattern(term)


@lru_cache(maxsize=1)
def _equivalents() -> dict[str, tuple[tuple[str, str], ...]]:
    """Each listed term → every term of its group, as (normalised term, language)."""
    table: dict[str, tuple[tuple[str, str], ...]] = {}
    for group in terms()["equivalents"]:
        members = tuple((normalise(member, detect_language(member)), detect_language(member)) for member in group)
        for member, _language in members:
            table[member] = members
    return table


def _patterns_for(word: str, language: str) -> list[re.Pattern[str]]:
    forms = _equivalents().get(word, ((word, language),))
    if (word, language) not in forms:
        forms = ((word, language), *forms)
    return [p for p in (_term_pattern(form, lang) for form, lang in forms) if p is not None]


def _covers(text: str, word: str, language: str) -> bool:
    return any(pattern.search(text) for pattern in _patterns_for(word, language))


FREQUENCY_CAP = 1000  # counted by listing hits only when the searcher does not report the count
_FREQUENCIES: weakref.WeakKeyDictionary[Any, dict[str, int]] = weakref.WeakKeyDictionary()


def document_frequency(searcher: Any, word: str) -> int:
    """Clauses of the index that hold `word`, by the searcher's own phrase search (cached per searcher)."""
    cache = _FREQUENCIES.setdefault(searcher, {})
    if word not in cache:
        _hits, info = searcher.search_explained(f'"{word}"', k=1, mode="phrase")
        if "phrase_matches" in info:  # the count of verified clauses, without building their hits
            cache[word] = int(info["phrase_matches"])
        else:
            cache[word] = len(searcher.search(f'"{word}"', k=FREQUENCY_CAP, mode="phrase"))
    return cache[word]


def _weights(searcher: Any, question: Question) -> dict[str, float]:
    """idf of each content word; a word with listed equivalents is as rare as its most common equivalent
    (what covers "tối thiểu" is usually "không thấp hơn")."""
    total = max(1, searcher.clause_count)
    weights = {}
    for word in question.words:
        forms = {form for form, _language in _equivalents().get(word, ())} | {word}
        frequency = max(document_frequency(searcher, form) for form in forms)
        weights[word] = math.log((total + 1) / (frequency + 0.5))
    return weights


CONTEXT_WEIGHT = 0.5  # a word found only in the document's title, number or issuer counts this much


# Two words next to each other in the question are "near" in a clause with at most PAIR_GAP syllables
# between them; the credit then falls linearly to nothing at PAIR_GAP + PAIR_FADE syllables, and is halved
# when they come in the other order: inside a Vietnamese noun phrase the order is the meaning ("y tế dự
# phòng" is preventive medicine, "quỹ dự phòng … bảo hiểm y tế" a health-insurance reserve fund).
PAIR_GAP = 6
PAIR_FADE = 10
REVERSED_CREDIT = 0.5
PROXIMITY_WEIGHT = 0.5  # how much of a clause's coverage depends on those words being near each other
MAX_OCCURRENCES = 40


def _spans(text: str, word: str, language: str) -> list[tuple[int, int]]:
    spans = []
    for pattern in _patterns_for(word, language):
        for match in pattern.finditer(text):
            spans.append(match.span())
            if len(spans) >= MAX_OCCURRENCES:
                return spans
    return spans


def _nearness(text: str, left: list[tuple[int, int]], right: list[tuple[int, int]]) -> float:
    """1.0 when some occurrences of the two words are at most PAIR_GAP syllables apart, fading to 0."""
    best = 0.0
    for a_start, a_end in left:
        for b_start, b_end in right:
            if a_end <= b_start:
                start, end, order = a_end, b_start, 1.0
            elif b_end <= a_start:
                start, end, order = b_end, a_start, REVERSED_CREDIT
            else:  # overlapping matches ("law-making" inside "law-making work")
                start, end, order = a_end, a_end, 1.0
            gap = text[start:end]
            if SENTENCE_END.search(text, start, end + 1):  # (+1: the stop is known by the letter after it)
                continue  # the words of one phrase do not straddle a full stop
            syllables = len(WORD.findall(gap))
            best = max(best, order * (1.0 - max(0, syllables - PAIR_GAP) / PAIR_FADE))
            if best >= 1.0:
                return 1.0
    return max(0.0, best)


def _proximity(text: str, question: Question, weights: dict[str, float]) -> tuple[float, list[str]]:
    """Share (by weight) of the question's neighbouring word pairs, among those both found in `text`, that
    are found near each other: "y tế dự phòng" is not answered by "quỹ dự phòng … bảo hiểm y tế"."""
    total = near = 0.0
    apart: list[str] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    for left, right in question.pairs:
        for word in (left, right):
            if word not in spans:
                spans[word] = _spans(text, word, question.language)
        if not spans[left] or not spans[right]:
            continue
        weight = weights[left] + weights[right]
        total += weight
        nearness = _nearness(text, spans[left], spans[right])
        near += weight * nearness
        if nearness < 1.0:
            apart.append(f"{left} … {right}")
    return (near / total if total > 0 else 1.0), apart


def _coverage(own: str, context: str, question: Question, weights: dict[str, float]) -> tuple[float, list[str]]:
    """Share of the question's word weight that `own` text covers, words only in `context` counting
    `CONTEXT_WEIGHT`; and the words neither covers."""
    if not question.words:
        return 0.0, []
    total = sum(weights.values())
    covered, missing = 0.0, []
    for word in question.words:
        if _covers(own, word, question.language):
            covered += weights[word]
        elif context and _covers(context, word, question.language):
            covered += CONTEXT_WEIGHT * weights[word]
        else:
            missing.append(word)
    return (covered / total if total > 0 else 0.0), missing


# ---------------------------------------------------------------------------------------------- sentences

WORD = re.compile(r"[^\W_]+")
# A full stop before a letter (not "No. 66", not "1.000"), a semicolon, ! or ?, or a line break.
SENTENCE_END = re.compile(r"[;!?](?:\s|$)|\.(?=\s+[^\W\d_])|\n")
SENTENCE_BREAK = re.compile(r"(?<=[.;!?])\s+(?=\S)|\n+")
LONE_MARKER = re.compile(r"\s*\(?(?:[0-9]{1,3}|[a-zđ]|[IVXLC]{1,6})[.)]\s*")
LIST_MARKER = re.compile(r"\s*(?:[-–—•+*]|\(?(?:[0-9]{1,3}|[a-zđ]|[IVXLC]{1,6})[.)])\s+")


@dataclass(slots=True)
class _Sentence:
    text: str
    span: tuple[int, int]  # in clause.text
    facts: list[Fact]  # spans in clause.text (field facts: (0, 0))
    coverage: float  # of the question's words by the sentence alone
    typed: bool


def _headings(clause: Clause) -> str:
    return normalise(" ".join(clause.headings), clause.language or "vi")


def _document_context(clause: Clause, document: dict[str, Any]) -> str:
    """What a clause is read with besides its headings: its document's type, number, issuer and title."""
    parts = [str(document.get(key) or "") for key in ("type", "number", "issuer", "title")]
    return normalise(" ".join(p for p in parts if p), clause.language or "vi")


def _sentences(clause: Clause, question: Question, weights: dict[str, float], headings: str,
               context: str) -> list[_Sentence]:
    mapped = clause.clean_mapped()
    text = mapped.text
    bounds, start = [], 0
    for match in SENTENCE_BREAK.finditer(text):
        if LONE_MARKER.fullmatch(text[start:match.start()]):
            continue  # "1." / "b)" before the break labels what follows: not a sentence of its own
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    language = clause.language or "vi"
    found: list[_Sentence] = []
    for begin, end in bounds:
        piece = text[begin:end]
        marker = LIST_MARKER.match(piece)  # "b) ", "- ", "3. " open the clause, they are not the sentence
        lead = marker.end() if marker else len(piece) - len(piece.lstrip())
        piece = piece[lead:].rstrip()
        if not piece:
            continue
        begin += lead
        facts = [f for f in extract_facts(piece, language, clause.fields) if f.kind in FACT_KINDS_REPORTED]
        placed = []
        for fact in facts:
            if fact.span == (0, 0):  # a table field's fact: no place in the text
                placed.append(fact)
                continue
            span = mapped.to_original(begin + fact.span[0], begin + fact.span[1])
            placed.append(Fact(fact.kind, fact.value, fact.text, span, fact.unit, fact.comparator, fact.context))
        coverage, _ = _coverage(normalise(piece, language), "", question, weights)
        # a number the question itself states ("hai thành viên trở lên … bao nhiêu thành viên?") answers nothing
        typed = not question.fact_kinds or any(
            f.kind in question.fact_kinds and (f.kind, f.value, f.unit) not in question.given for f in placed)
        found.append(_Sentence(piece, mapped.to_original(begin, begin + len(piece)), placed, coverage, typed))
    return found


def _fact_json(fact: Fact) -> dict[str, Any]:
    data = fact.to_json()
    data["describe"] = fact.describe()
    if data["span"] == [0, 0]:
        data["span"] = None
    data.pop("context", None)
    return data


# ---------------------------------------------------------------------------------------------- extractive


@dataclass(slots=True)
class _Scored:
    hit: Any
    clause: Clause
    coverage: float
    missing: list[str]
    sentence: _Sentence | None
    apart: list[str] = field(default_factory=list)


MAX_LEAD_IN_CHILDREN = 12


def _lead_in_children(searcher: Any, clause: Clause, hit: Any) -> list[tuple[Any, Clause]]:
    """The points under a retrieved lead-in ("… phải tuân theo các điều kiện sau đây:"), as hits of the same
    rank: the answer is in one of them, and the lead-in is what they are read with."""
    if not clause.text.rstrip().endswith(":"):
        return []
    from search.model import Hit
    from search.searcher import clause_path, document_summary

    document = searcher.get_document(clause.doc_id)
    if document is None:
        return []
    children = [c for c in document.clauses if c.parent_id == clause.id][:MAX_LEAD_IN_CHILDREN]
    return [(Hit(rank=hit.rank, clause_id=child.id, doc_id=child.doc_id, source=document.source, text=child.text,
                 citation=child.citation, citation_en=child.citation_en, path=clause_path(child), score=hit.score,
                 document=document_summary(document.meta), headings=list(child.headings), kind=child.kind), child)
            for child in children]


def _score_candidates(searcher: Any, question: Question, hits: list[Any], weights: dict[str, float]) -> list[_Scored]:
    scored, seen = [], set()
    for hit in hits:
        clause = searcher.get_clause(hit.clause_id)
        if clause is None or clause.id in seen:
            continue
        seen.add(clause.id)
        scored.append(_score(question, weights, hit, clause))
        for child_hit, child in _lead_in_children(searcher, clause, hit):
            if child.id not in seen:
                seen.add(child.id)
                scored.append(_score(question, weights, child_hit, child, lead_in=clause.norm_text))
    return scored


def _score(question: Question, weights: dict[str, float], hit: Any, clause: Clause, lead_in: str = "") -> _Scored:
    headings = _headings(clause)
    # a lead-in is read with its points, at the weight of the document's title: it is not what they say
    context = _document_context(clause, hit.document) + ("\n" + lead_in if lead_in else "")
    coverage, missing = _coverage(clause.norm_text + "\n" + headings, context, question, weights)
    proximity, apart = _proximity(clause.norm_text, question, weights)
    coverage *= 1.0 - PROXIMITY_WEIGHT * (1.0 - proximity)
    sentences = _sentences(clause, question, weights, headings, context)
    typed = [s for s in sentences if s.typed]
    best = max(typed or sentences, key=lambda s: s.coverage, default=None)
    return _Scored(hit, clause, coverage, missing, best if typed or not question.fact_kinds else None, apart)


def _is_typed(item: _Scored) -> bool:
    return item.sentence is not None


def _evidence(item: _Scored) -> Evidence:
    hit, sentence = item.hit, item.sentence
    assert sentence is not None
    return Evidence(
        clause_id=hit.clause_id, doc_id=hit.doc_id, source=hit.source, citation=hit.citation,
        citation_en=hit.citation_en, path=hit.path, text=hit.text, sentence=sentence.text,
        sentence_span=sentence.span, facts=[_fact_json(f) for f in sentence.facts],
        coverage=round(item.coverage, 4), rank=hit.rank, document=dict(hit.document))


def _values(item: _Scored) -> set[tuple[str, Any]]:
    return {(f.kind, f.value) for f in (item.sentence.facts if item.sentence else [])}


def _confidence(question: Question, scored: list[_Scored], best: _Scored | None, absent: list[str]) -> Confidence:
    candidates = [Candidate(s.hit.clause_id, s.hit.citation, s.hit.rank, round(s.coverage, 4), _is_typed(s),
                            s.missing, s.apart) for s in sorted(scored, key=lambda s: (-s.coverage, s.hit.rank))[:5]]
    if not question.words:
        return Confidence(0.0, MIN_COVERAGE, question.expected, [], [], [], False,
                          "the question names nothing to look for", candidates)
    if best is None:
        return Confidence(0.0, MIN_COVERAGE, question.expected, list(question.words), list(question.words), absent,
                          False, "no clause was retrieved", candidates)
    coverage = round(best.coverage, 4)
    if best.coverage < MIN_COVERAGE:
        reason = f"the best clause covers {coverage:.2f} of the question's words (needs {MIN_COVERAGE})"
        if best.missing:
            reason += f"; not covered: {', '.join(best.missing)}"
        if best.apart:
            reason += f"; found apart: {', '.join(best.apart)}"
        confident = False
    elif not _is_typed(best):
        reason = f"no retrieved clause that covers the question states {_kind_words(question.expected)}"
        confident = False
    else:
        reason = f"the clause covers {coverage:.2f} of the question's words"
        if question.expected:
            reason += f" and states {_kind_words(question.expected)}"
        confident = True
    return Confidence(coverage, MIN_COVERAGE, question.expected, list(question.words), best.missing, absent,
                      confident, reason, candidates)


KIND_WORDS_VI = {"percent": "tỷ lệ phần trăm", "quantity": "con số", "amount": "số tiền hay tỷ lệ",
                 "duration": "thời hạn", "date": "ngày tháng"}
KIND_WORDS = {"percent": "a percentage", "quantity": "a number", "amount": "an amount or a percentage",
              "duration": "a duration", "date": "a date"}


def _kind_words(kind: str | None) -> str:
    return KIND_WORDS.get(kind or "", f"a {kind}")


def _pick(question: Question, scored: list[_Scored]) -> _Scored | None:
    """The best candidate: typed and confident first, then coverage, then how much of the question its
    sentence alone covers, then rank."""
    if not scored:
        return None
    def key(item: _Scored) -> tuple:
        sentence = item.sentence
        return (_is_typed(item) and item.coverage >= MIN_COVERAGE, round(item.coverage, 2), _is_typed(item),
                round(sentence.coverage, 2) if sentence else 0.0,  # the sentence itself covers the question
                -item.hit.rank)

    return max(scored, key=key)


def _retrieve(searcher: Any, question: Question, k: int, filters: Any) -> list[Any]:
    """The question as asked, then its content words alone (question words only add noise to the
    ranking): the union of both rankings, first appearance kept. Fusion's order, not the reranker's: the
    confidence rule was set on it, and on the VLC answer questions the reranked hits answered 18 of 18
    with one wrong value (a state enterprise's 100% where the definition says over 50%) against 16 of 18
    right and two refused."""
    if not question.words:
        return []
    hits = searcher.search(question.text, k=k, mode="hybrid", filters=filters, rerank=False)
    keywords = " ".join(question.words)
    if keywords.casefold() != question.text.casefold():
        seen = {hit.clause_id for hit in hits}
        hits += [hit for hit in searcher.search(keywords, k=k, mode="hybrid", filters=filters, rerank=False)
                 if hit.clause_id not in seen]
    return hits


def extractive(searcher: Any, question: Question, k: int = CANDIDATES,
               filters: Any = None) -> tuple[list[Evidence], Confidence, list[_Scored]]:
    hits = _retrieve(searcher, question, k, filters)
    weights = _weights(searcher, question)
    absent = [w for w in question.words if document_frequency(searcher, w) == 0]
    scored = _score_candidates(searcher, question, hits, weights)
    best = _pick(question, scored)
    confidence = _confidence(question, scored, best, absent)
    if not confidence.confident or best is None:
        return [], confidence, scored
    evidence = [_evidence(best)]
    values = _values(best)
    for item in sorted(scored, key=lambda s: (-s.coverage, s.hit.rank)):
        if len(evidence) >= MAX_EVIDENCE:
            break
        if item is best or item.coverage < MIN_COVERAGE or not _is_typed(item):
            continue
        if values and values & _values(item):  # another clause stating the same value
            evidence.append(_evidence(item))
    return evidence, confidence, scored


def _extractive_text(evidence: list[Evidence], language: str) -> str:
    best = evidence[0]
    citation = best.citation if language == "vi" or not best.citation_en else best.citation_en
    text = f"{best.sentence} ({citation})"
    if len(evidence) > 1:
        also = "; ".join(e.citation if language == "vi" else (e.citation_en or e.citation) for e in evidence[1:])
        text += (" Cũng được nêu tại: " if language == "vi" else " Also stated in: ") + also + "."
    return text


def _not_found_text(language: str, confidence: Confidence) -> str:
    text = NOT_FOUND.get(language, NOT_FOUND["en"])
    if confidence.absent:
        label = "Không văn bản nào nhắc đến" if language == "vi" else "No indexed clause mentions"
        text += f" {label}: {', '.join(confidence.absent)}."
    elif confidence.missing and confidence.candidates:
        label = "Điều khoản gần nhất không đề cập" if language == "vi" else "The nearest clause does not cover"
        text += f" {label}: {', '.join(confidence.missing)}."
    elif confidence.expected and confidence.words:
        if language == "vi":
            text += f" Không điều khoản liên quan nào nêu {KIND_WORDS_VI.get(confidence.expected, confidence.expected)}."
        else:
            text += f" No relevant clause states {_kind_words(confidence.expected)}."
    return text


# ---------------------------------------------------------------------------------------------- generated


def build_messages(question: str, evidence: list[Evidence], language: str) -> list[dict[str, str]]:
    """Chat messages for an OpenAI-compatible model: the numbered clauses with their citations."""
    system = (
        "You answer questions about Vietnamese and English legal texts using only the numbered clauses given. "
        "Answer in the language of the question, in one to three sentences. After each statement, cite the "
        "clause it comes from by its number in square brackets, like [1]. Copy every number, percentage, "
        "amount, duration and date exactly as the clause writes it, with its comparator (not less than, "
        "không thấp hơn, …). Do not add facts that are not in the clauses. If the clauses do not answer the "
        "question, reply exactly: NOT FOUND"
    )
    blocks = []
    for number, item in enumerate(evidence, start=1):
        citation = item.citation if language == "vi" or not item.citation_en else f"{item.citation_en} ({item.citation})"
        body = " ".join(item.text.split())
        if len(body) > MAX_PROMPT_CLAUSE_CHARS:
            body = body[:MAX_PROMPT_CLAUSE_CHARS] + " …"
        blocks.append(f"[{number}] {citation}\n{body}")
    user = f"Question: {question}\n\nClauses:\n\n" + "\n\n".join(blocks)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


MARKER = re.compile(r"\[(\d{1,3})\]")
DECLINED = re.compile(r"^\W*(?:not\s+found|không\s+tìm\s+thấy)\b", re.IGNORECASE)
STRUCTURE = re.compile(
    r"(?<![^\W_])(phần|chương|mục|điều|khoản|điểm|part|chapter|section|article|clause|point|item)\s+"
    r"([0-9]+[a-zđ]?|[IVXLC]+|[a-zđ])(?![^\W_])", re.IGNORECASE)
NUMBER_TOKEN = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*")
DOCUMENT_NUMBER = re.compile(DOC_NUMBER)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _interval(value: str) -> tuple[str, str] | None:
    parts = str(value).split("..")
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _fact_supported(claim: Fact, fact: Fact) -> bool:
    if claim.kind in ("date", "deadline"):
        if fact.kind not in ("date", "deadline"):
            return False
        a, b = _interval(claim.value), _interval(fact.value)
        return a is not None and b is not None and a[0] <= b[0] and b[1] <= a[1]  # the claim may be coarser
    if fact.kind not in QUANTITY_KINDS:
        return False
    if claim.kind != fact.kind and "count" not in (claim.kind, fact.kind):
        return False
    if not math.isclose(float(claim.value), float(fact.value), rel_tol=1e-9, abs_tol=1e-12):
        return False
    return claim.comparator == "eq" or claim.comparator == fact.comparator


def _folded(text: str) -> str:
    return re.sub(r"\s+", "", normalise(text, "vi")).casefold()


def verify_generated(text: str, evidence: list[Evidence], searcher: Any) -> tuple[list[Claim], list[str]]:
    """Check a generated answer against the clauses it cites: markers, facts, numbers, document numbers and
    structural references. Returns the claims (each supported or not) and the problems, in words."""
    claims: list[Claim] = []
    markers = [(m.span(), int(m.group(1))) for m in MARKER.finditer(text)]
    cited: dict[int, Evidence] = {}
    for _span, number in markers:
        if 1 <= number <= len(evidence):
            cited[number] = evidence[number - 1]
            claims.append(Claim("marker", f"[{number}]", True, [evidence[number - 1].clause_id]))
        else:
            claims.append(Claim("marker", f"[{number}]", False, note=f"no clause [{number}] was given"))
    if not markers:
        claims.append(Claim("marker", "", False, note="the answer cites no clause"))
    clauses = [c for c in (searcher.get_clause(e.clause_id) for e in cited.values()) if c is not None]
    facts = {clause.id: clause_facts(clause) for clause in clauses}
    haystacks = {}
    for item in cited.values():
        meta = " ".join(str(item.document.get(key) or "") for key in ("number", "title", "issuer"))
        haystacks[item.clause_id] = " \n ".join((item.text, item.citation, item.citation_en, item.path, meta))
    folded = {clause_id: _folded(hay) for clause_id, hay in haystacks.items()}
    normalised = {clause_id: normalise(hay, "vi") for clause_id, hay in haystacks.items()}
    language = detect_language(text)
    plain = _blank(text, [span for span, _ in markers])
    taken: list[tuple[int, int]] = []

    for match in DOCUMENT_NUMBER.finditer(plain):
        where = [cid for cid, hay in folded.items() if _folded(match.group(0)) in hay]
        claims.append(Claim("document", match.group(0), bool(where), where,
                            "" if where else "no cited clause names this document"))
        taken.append(match.span())
    for match in STRUCTURE.finditer(plain):
        wanted = re.compile(rf"(?<![^\W_]){re.escape(normalise(match.group(0), language))}(?![^\W_])")
        where = [cid for cid, hay in normalised.items() if wanted.search(hay)]
        claims.append(Claim("reference", match.group(0), bool(where), where,
                            "" if where else "no cited clause or citation has this reference"))
        taken.append(match.span())
    rest = _blank(plain, taken)
    for fact in extract_facts(rest, language):
        if fact.kind not in FACT_KINDS_REPORTED:
            continue
        where = [cid for cid, found in facts.items() if any(_fact_supported(fact, other) for other in found)]
        kind = "date" if fact.kind in ("date", "deadline") else "quantity"
        note = "" if where else f"no cited clause states {fact.describe() if kind == 'quantity' else fact.text}"
        claims.append(Claim(kind, fact.text, bool(where), where, note))
        taken.append(fact.span)
    rest = _blank(plain, taken)
    for match in NUMBER_TOKEN.finditer(rest):
        number = normalise(match.group(0), language)
        wanted = re.compile(rf"(?<![\d.,]){re.escape(number)}(?![\d]|[.,]\d)")
        where = [cid for cid, hay in normalised.items() if wanted.search(hay)]
        claims.append(Claim("number", match.group(0), bool(where), where,
                            "" if where else "this number is in no cited clause"))
    problems = [f"{c.kind} {c.text!r}: {c.note}" if c.text else f"{c.kind}: {c.note}" for c in claims if not c.supported]
    return claims, problems


def _generate(generate: Generate, model: str | None, question: str, evidence: list[Evidence], language: str,
              searcher: Any) -> Generation:
    try:
        reply = generate(build_messages(question, evidence, language))
    except GenerationError as error:
        return Generation(model, None, False, False, False, error=str(error))
    reply = (reply or "").strip()
    if not reply:
        return Generation(model, reply, False, False, False, error="the model gave an empty reply")
    if DECLINED.match(reply):
        return Generation(model, reply, True, False, True)
    claims, problems = verify_generated(reply, evidence, searcher)
    return Generation(model, reply, not problems, False, False, claims, problems)


# ---------------------------------------------------------------------------------------------- answer


def answer(searcher: Any, question: str, *, k: int = CANDIDATES, filters: Any = None,
           generate: Generate | None = None, model: str | None = None, strict: bool = False) -> Answer:
    """Answer `question` from the index: extractive always; generated too when `generate` is given."""
    analysed = analyse_question(question)
    language = analysed.language
    model = model if model is not None else getattr(generate, "model", None)
    evidence, confidence, scored = extractive(searcher, analysed, k=k, filters=filters)
    if not evidence:
        return Answer(question, language, "not_found", "extractive", _not_found_text(language, confidence), [],
                      confidence)
    extractive_text = _extractive_text(evidence, language)
    if generate is None:
        return Answer(question, language, "answered", "extractive", extractive_text, evidence, confidence)

    # The model sees the confident clauses: the evidence first, then other candidates above the threshold.
    shown = list(evidence)
    for item in sorted(scored, key=lambda s: (-s.coverage, s.hit.rank)):
        if len(shown) >= MAX_PROMPT_CLAUSES:
            break
        if item.coverage >= MIN_COVERAGE and item.sentence is not None and item.hit.clause_id not in {
                e.clause_id for e in shown}:
            shown.append(_evidence(item))
    generation = _generate(generate, model, question, shown, language, searcher)
    if generation.text is None:  # the model could not be asked: the extractive answer stands
        return Answer(question, language, "answered", "extractive", extractive_text, evidence, confidence, generation)
    if generation.declined:
        return Answer(question, language, "not_found", "generated", _not_found_text(language, confidence), shown,
                      confidence, generation)
    if generation.verified:
        return Answer(question, language, "answered", "generated", generation.text, shown, confidence, generation)
    if strict:
        generation.refused = True
        return Answer(question, language, "refused", "extractive", extractive_text, evidence, confidence, generation)
    return Answer(question, language, "flagged", "generated", generation.text, shown, confidence, generation)
