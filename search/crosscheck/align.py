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


def clause_tokens(clause: Clause, to_vietnamese: bool) -> list[str]:
    """Lexical tokens of a clause; an English clause checked against Vietnamese goes through the table.

    Same language: words only, digits dropped, so a clause whose number changed still finds its old
    version (comparing numbers is the facts' job). Across languages the words barely meet, so the
    language-independent anchors (numbers by value, document numbers) are added, counted double."""
    text = clause_body(clause)
    if to_vietnamese and clause.language == "en":
        return translated_words(text) + 2 * anchor_tokens(text, clause.language)
    words = [w for w in skeleton_words(text) if not w.isdigit()]
    tokens = _syllable_tokens(words) + heading_tokens(clause)
    if to_vietnamese:
        tokens += 2 * anchor_tokens(text, clause.language)
    return tokens


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


def combine(lexical: np.ndarray, dense: np.ndarray | None, pair: str) -> np.ndarray:
    weights = calibration()["weights"][pair]
    if dense is None:
        return lexical
    return weights["lexical"] * lexical + weights["dense"] * dense


def align_clauses(
    source: list[Clause],
    target: list[Clause],
    source_vectors: np.ndarray | None = None,
    target_vectors: np.ndarray | None = None,
    *,
    encode: Callable[[list[Clause]], np.ndarray] | None = None,
    threshold: float | None = None,
    top_k: int = 3,
    margin: float | None = None,
) -> list[Alignment]:
    """Counterparts in `target` of every alignable clause of `source`, best first per source clause.

    Vectors, when given, are rows parallel to `source` / `target`; without them `encode` (if given) makes
    them. `threshold` defaults to the calibrated one for the language pair (same / cross)."""
    keep_s = [i for i, c in enumerate(source) if alignable(c)]
    keep_t = [i for i, c in enumerate(target) if alignable(c)]
    src, tgt = [source[i] for i in keep_s], [target[i] for i in keep_t]
    if not src or not tgt:
        return []
    pair = language_pair(src, tgt)
    lexical = lexical_similarity(src, tgt)
    dense = None
    if source_vectors is None and target_vectors is None and encode is not None:
        source_vectors, target_vectors = encode(source), encode(target)
    if source_vectors is not None and target_vectors is not None:
        dense = rescaled_dense(np.asarray(source_vectors)[keep_s], np.asarray(target_vectors)[keep_t])
    combined = combine(lexical, dense, pair)
    settings = calibration()["thresholds"][pair if dense is not None else f"{pair}_lexical_only"]
    threshold = settings["threshold"] if threshold is None else threshold
    margin = settings["margin"] if margin is None else margin
    column_best = combined.max(axis=0)
    alignments: list[Alignment] = []
    for row, clause in enumerate(src):
        scores = combined[row]
        order = np.argsort(-scores, kind="stable")[:top_k]
        best = float(scores[order[0]])
        for rank, column in enumerate(order, start=1):
            score = float(scores[column])
            if score < threshold or score < best - margin:
                break
            alignments.append(Alignment(clause, tgt[column], round(score, 4), round(float(lexical[row, column]), 4),
                                        None if dense is None else round(float(dense[row, column]), 4), rank,
                                        score >= float(column_best[column]) - settings["mutual_tolerance"]))
    return alignments
