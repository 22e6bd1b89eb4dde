"""Clause alignment between two documents: for each clause of A, its counterparts in B.

Signals (clause numbers are never used: the same definition is khoản 8 in one version, khoản 11 in the next):
- lexical: TF-IDF cosine (scikit-learn) over diacritic-free syllables and syllable bigrams (a Vietnamese
  word is mostly one or two syllables, so bigrams stand in for words without segmenting). Fitted on the
  two documents' clauses only, so IDF says what is distinctive *in this pair*. An English clause is first
  mapped through the bilingual glossary (`data/glossary/`, the one the query side translates with) so it shares
  tokens with its Vietnamese counterpart: the MiniLM encoder knows little Vietnamese and cannot do this.
- anchors: language-independent tokens added to the same vectors: percentages, amounts, durations,
  deadline years and document numbers (`#pct:0.5`, `#doc:66-nq/tw`). They survive translation.
- dense: cosine of the index's stored vectors (encoded on the fly when the index has none), rescaled
  against the pair's own noise floor: the median cosine of all clause pairs of A×B, almost all unrelated.
  MiniLM puts any two Vietnamese clauses at a high cosine, so the raw value would mean little.

The combined similarity is a weighted sum; pairs are kept above a threshold calibrated on data
(`data/align_calibration.json` says how), at most `top_k` per clause and within `margin` of its best.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from indexer.kinds import SECTION_KINDS
from indexer.model import Clause
from indexer.normalise import skeleton_words
from search.crosscheck.facts import DOC_NUMBER, extract_facts
from search.lexicon import load_lexicon, words_of
from search.resources import DATA_DIR

MIN_WORDS = 4


@dataclass(slots=True)
class Alignment:
    source: Clause
    target: Clause
    similarity: float  # combined, in [0, 1]
    lexical: float
    dense: float | None  # rescaled dense cosine, None when no vectors
    rank: int  # 1 = the source clause's best counterpart
    mutual: bool = True  # the source is also (within 0.02 of) the target's best counterpart in A


@lru_cache(maxsize=1)
def calibration() -> dict:
    return json.loads((DATA_DIR / "align_calibration.json").read_text(encoding="utf-8"))


def _syllable_tokens(words: list[str]) -> list[str]:
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


def translated_words(text: str) -> list[str]:
    """An English text as the Vietnamese skeleton syllables of the legal terms it contains, in text order:
    the bilingual glossary the query side translates with (`search.lexicon.Glossary`), longest term first."""
    table = load_lexicon().glossary.en_to_vi
    tokens: list[str] = []
    for match in table.find(words_of(text, "en")):
        for target in match.targets:
            tokens.extend(_syllable_tokens(skeleton_words(target.text)))
    return tokens


def anchor_tokens(text: str, language: str) -> list[str]:
    """Language-independent tokens: quantities by value and unit, deadlines by year, document numbers."""
    tokens = []
    for fact in extract_facts(text, language):
        if fact.kind in ("percent", "amount", "duration"):
            tokens.append(f"#{fact.kind}:{fact.value:g}:{fact.unit}")
        elif fact.kind == "deadline":
            tokens.append(f"#year:{str(fact.value)[:4]}")
    tokens += [f"#doc:{m.group(0).lower()}" for m in DOC_NUMBER.finditer(text)]
    return tokens


def clause_body(clause: Clause) -> str:
    return clause.clean_text or clause.text


def heading_tokens(clause: Clause) -> list[str]:
    """The nearest heading's title words ("Giải thích từ ngữ"), its label ("Điều 4.") dropped, kept apart
    from body words: two versions of a definition sit under the same article title, not the same number."""
    if not clause.headings:
        return []
    title = re.sub(r"^\s*(?:Điều|Chương|Mục|Phần|Article|Chapter)\s+\S+\s*[.:-]?\s*", "", clause.headings[-1])
    return [f"h:{t}" for t in _syllable_tokens([w for w in skeleton_words(title) if not w.isdigit()])]


def text_tokens(text: str, language: str, to_vietnamese: bool) -> list[str]:
    """Lexical tokens of a text; an English text checked against Vietnamese goes through the glossary.

    Same language: words only, digits dropped, so a clause whose number changed still finds its old
    version (comparing numbers is the facts' job). Across languages the words barely meet, so the
    language-independent anchors (numbers by value, document numbers) are added, counted double."""
    if to_vietnamese and language == "en":
        return translated_words(text) + 2 * anchor_tokens(text, language)
    tokens = _syllable_tokens([w for w in skeleton_words(text) if not w.isdigit()])
    if to_vietnamese:
        tokens += 2 * anchor_tokens(text, language)
    return tokens


def clause_tokens(clause: Clause, to_vietnamese: bool) -> list[str]:
    """A clause's text tokens, plus its heading's title words in the same language."""
    tokens = text_tokens(clause_body(clause), clause.language, to_vietnamese)
    if not (to_vietnamese and clause.language == "en"):
        tokens += heading_tokens(clause)
    return tokens


# A sentence ends at . ; ! ? before a capital (or an opening quote or bracket); list-like ";" runs stay one.
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"“(]?[A-ZĐÀ-Ỹ])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of a clause body's sentences; pieces under MIN_WORDS words join the sentence before them."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in [*SENTENCE_END.finditer(text), None]:
        end = match.start() if match is not None else len(text)
        piece = text[start:end]
        if spans and len(piece.split()) < MIN_WORDS:
            spans[-1] = (spans[-1][0], end)
        elif piece.strip():
            spans.append((start, end))
        if match is not None:
            start = match.end()
    return spans or [(0, len(text))]


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


class SentenceSpace:
    """TF-IDF over the sentences of both sides (fitted on the pair, like the clause signal): the best
    sentence-pair cosine of every clause pair, and the closest sentence of the other side to one sentence."""

    def __init__(self, source: list[Clause], target: list[Clause]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        cross_language = {c.language for c in source} != {c.language for c in target}
        rows: list[list[str]] = []
        owners: list[int] = []
        self.spans: list[tuple[int, int]] = []
        for number, clause in enumerate(source + target):
            body = clause_body(clause)
            for start, end in sentence_spans(body):
                rows.append(text_tokens(body[start:end], clause.language, cross_language))
                owners.append(number)
                self.spans.append((start, end))
        self.cross_language = cross_language
        self.vectorizer = TfidfVectorizer(analyzer=lambda tokens: tokens, sublinear_tf=True, norm="l2")
        self.matrix = self.vectorizer.fit_transform(rows)
        self.owner = np.asarray(owners)
        self.sources = len(source)
        self.split = int(np.searchsorted(self.owner, len(source)))

    def clause_max(self) -> np.ndarray:
        """source × target: the best cosine between a sentence of one and a sentence of the other."""
        cosine = (self.matrix[:self.split] @ self.matrix[self.split:].T).toarray().astype(np.float32)
        owner = self.owner
        row_starts = np.flatnonzero(np.r_[True, owner[1:self.split] != owner[:self.split - 1]])
        column_owner = owner[self.split:]
        column_starts = np.flatnonzero(np.r_[True, column_owner[1:] != column_owner[:-1]])
        return np.maximum.reduceat(np.maximum.reduceat(cosine, row_starts, axis=0), column_starts, axis=1)

    def nearest(self, side: str, text: str, language: str, k: int = 3) -> list[tuple[int, float]]:
        """The clauses of the other side closest to `text` (a passage of a clause on `side`, "source" or
        "target"): up to `k` (clause index on the other side, best sentence cosine), best first."""
        vector = self.vectorizer.transform([text_tokens(text, language, self.cross_language)])
        other = self.matrix[self.split:] if side == "source" else self.matrix[:self.split]
        cosine = (vector @ other.T).toarray().ravel()
        owners = self.owner[self.split:] - self.sources if side == "source" else self.owner[:self.split]
        best: dict[int, float] = {}
        for row in np.argsort(-cosine)[: 8 * k]:
            owner = int(owners[row])
            if owner not in best:
                best[owner] = float(cosine[row])
        return sorted(best.items(), key=lambda item: -item[1])[:k]


def sentence_similarity(source: list[Clause], target: list[Clause]) -> np.ndarray:
    """For each clause pair, the best TF-IDF cosine between a sentence of one and a sentence of the other:
    a plan bullet that merges two bullets of its source meets each of them in one of its sentences."""
    return SentenceSpace(source, target).clause_max()


def alignable(clause: Clause) -> bool:
    """Clauses worth aligning: not bare structural headings, with some text of their own."""
    return clause.kind not in SECTION_KINDS and len(clause_body(clause).split()) >= MIN_WORDS


def lexical_similarity(source: list[Clause], target: list[Clause]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    cross_language = {c.language for c in source} != {c.language for c in target}
    docs = [clause_tokens(c, cross_language) for c in source + target]
    vectorizer = TfidfVectorizer(analyzer=lambda tokens: tokens, sublinear_tf=True, norm="l2")
    matrix = vectorizer.fit_transform(docs)
    return (matrix[: len(source)] @ matrix[len(source):].T).toarray().astype(np.float32)


def rescaled_dense(source_vectors: np.ndarray, target_vectors: np.ndarray) -> np.ndarray:
    """Cosine above the pair's median (its noise floor), stretched back to [0, 1]."""
    cosine = source_vectors @ target_vectors.T
    floor = float(np.median(cosine))
    return np.clip((cosine - floor) / max(1e-6, 1.0 - floor), 0.0, 1.0).astype(np.float32)


def language_pair(source: list[Clause], target: list[Clause]) -> str:
    languages = {c.language for c in source} | {c.language for c in target}
    return "cross" if len(languages) > 1 else "same"


def weights_for(pair: str, with_dense: bool) -> dict[str, float]:
    table = calibration()["weights"]
    return table.get(pair if with_dense else f"{pair}_lexical_only") or table[pair]


def combine(lexical: np.ndarray, dense: np.ndarray | None, pair: str, weights: dict[str, float] | None = None,
            sentence: np.ndarray | None = None) -> np.ndarray:
    """Weighted sum of the signals. Without dense vectors the lexical signal takes the rest."""
    weights = weights or weights_for(pair, dense is not None)
    sentence_weight = weights.get("sentence", 0.0) if sentence is not None else 0.0
    combined = sentence_weight * sentence if sentence_weight else np.zeros_like(lexical)
    if dense is None:
        return combined + (1.0 - sentence_weight) * lexical
    return combined + weights["lexical"] * lexical + weights["dense"] * dense


@dataclass(slots=True)
class Similarities:
    """The pair's similarity matrices over its alignable clauses (rows: source, columns: target)."""

    source: list[Clause]
    target: list[Clause]
    lexical: np.ndarray
    dense: np.ndarray | None
    pair: str  # "same" | "cross"
    sentence: np.ndarray | None = None  # best sentence-pair cosine, where the pair's weights use it
    space: SentenceSpace | None = None

    def sentence_space(self) -> SentenceSpace:
        if self.space is None:
            self.space = SentenceSpace(self.source, self.target)
        return self.space


def similarities(
    source: list[Clause],
    target: list[Clause],
    source_vectors: np.ndarray | None = None,
    target_vectors: np.ndarray | None = None,
    *,
    encode: Callable[[list[Clause]], np.ndarray] | None = None,
    with_sentences: bool = False,
) -> Similarities | None:
    """Lexical and (when vectors are given or `encode` makes them) rescaled dense similarity of every
    alignable clause pair; None when either side has no alignable clause."""
    keep_s = [i for i, c in enumerate(source) if alignable(c)]
    keep_t = [i for i, c in enumerate(target) if alignable(c)]
    src, tgt = [source[i] for i in keep_s], [target[i] for i in keep_t]
    if not src or not tgt:
        return None
    lexical = lexical_similarity(src, tgt)
    pair = language_pair(src, tgt)
    dense = None
    if source_vectors is None and target_vectors is None and encode is not None:
        source_vectors, target_vectors = encode(source), encode(target)
    if source_vectors is not None and target_vectors is not None:
        dense = rescaled_dense(np.asarray(source_vectors)[keep_s], np.asarray(target_vectors)[keep_t])
    wanted = with_sentences or weights_for(pair, dense is not None).get("sentence")
    space = SentenceSpace(src, tgt) if wanted else None
    return Similarities(src, tgt, lexical, dense, pair, None if space is None else space.clause_max(), space)


def settings_for(sims: Similarities) -> dict:
    """The calibrated selection settings of this pair's kind (same / cross language, with or without dense)."""
    return calibration()["thresholds"][sims.pair if sims.dense is not None else f"{sims.pair}_lexical_only"]


def select(
    sims: Similarities | None,
    *,
    threshold: float | None = None,
    top_k: int | None = None,
    margin: float | None = None,
    weights: dict[str, float] | None = None,
) -> list[Alignment]:
    """Counterparts in the target of every source clause: at most `top_k`, at least `threshold`, within
    `margin` of the clause's best; unset arguments take the calibrated values."""
    if sims is None:
        return []
    combined = combine(sims.lexical, sims.dense, sims.pair, weights, sims.sentence)
    settings = settings_for(sims)
    threshold = settings["threshold"] if threshold is None else threshold
    margin = settings["margin"] if margin is None else margin
    top_k = int(settings.get("top_k", 3)) if top_k is None else top_k
    column_best = combined.max(axis=0)
    alignments: list[Alignment] = []
    for row, clause in enumerate(sims.source):
        scores = combined[row]
        order = np.argsort(-scores, kind="stable")[:top_k]
        best = float(scores[order[0]])
        for rank, column in enumerate(order, start=1):
            score = float(scores[column])
            if score < threshold or score < best - margin:
                break
            alignments.append(Alignment(clause, sims.target[column], round(score, 4), round(float(sims.lexical[row, column]), 4),
                                        None if sims.dense is None else round(float(sims.dense[row, column]), 4), rank,
                                        score >= float(column_best[column]) - settings["mutual_tolerance"]))
    return alignments


def align_clauses(
    source: list[Clause],
    target: list[Clause],
    source_vectors: np.ndarray | None = None,
    target_vectors: np.ndarray | None = None,
    *,
    encode: Callable[[list[Clause]], np.ndarray] | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    margin: float | None = None,
    weights: dict[str, float] | None = None,
) -> list[Alignment]:
    """Counterparts in `target` of every alignable clause of `source`, best first per source clause.

    Vectors, when given, are rows parallel to `source` / `target`; without them `encode` (if given) makes
    them. Settings default to the calibrated ones for the language pair (same / cross)."""
    return select(similarities(source, target, source_vectors, target_vectors, encode=encode),
                  threshold=threshold, top_k=top_k, margin=margin, weights=weights)
