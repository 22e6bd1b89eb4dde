"""Lexical terms for BM25: syllables, number/code compounds and underthesea words, with an on-disk cache.

A clause's terms come from its *normalised* text (`clause.norm_text`), so `0,5%`/`0.5%` and `hoá`/`hóa`
give the same terms. Terms are, for every text:
- syllables: each alphanumeric run, lower-cased (`ngân`, `sách`, `0`, `5`) — so a query matches whether
  or not word segmentation agrees between the query and the clause;
- compounds: number and code tokens kept whole (`0.5%`, `178-qđ/tw`, `05/6`, `law-making`);
- words (Vietnamese only): multi-syllable words from underthesea's `word_tokenize`, joined by `_`
  (`ngân_sách`), which reward clauses whose segmentation agrees with the query's.

Segmentation is the slow stage (~90k characters/s per core), so results are cached by the sha1 of the
text in a tab-separated file carried from one index version to the next, and uncached texts are
segmented in worker processes when there are many.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from indexer.imports import import_hiding

# Term patterns, applied to lower-cased normalised text. Rules as data: (name, pattern).
SYLLABLE = re.compile(r"[^\W_]+")
COMPOUND_PATTERNS = (
    ("number_percent", re.compile(r"(?<![\w.,/])\d+(?:[.,]\d+)*\s?%")),
    ("code_or_date", re.compile(r"(?<![\w/])[^\W_]+(?:[./\-–][^\W_]+)+")),
)
# Vietnamese letters outside plain ASCII: their presence decides a text's language for tokenising.
VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)

# Segment in worker processes only when the uncached work is large enough to pay for the start-up
# (each worker imports underthesea, ~3 s).
PARALLEL_MIN_TEXTS = 3000
# gzip: the VLC's cache is 36.1 MB as text, 10.9 MB at level 6 (4.9 s to write, 1 s to read), 14.0 MB at
# level 1 (1.2 s); appended to as gzip members, which a reader reads as one stream.
CACHE_FILE = "segcache.tsv.gz"
CACHE_LEVEL = 6


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# A word that can be a Vietnamese syllable typed without its marks ("cho", "vay", "nguoi"): onset, one to
# three vowels, coda. English words rarely fit ("public", "law", "budget", "state" do not).
UNMARKED_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?")
# Upper-case abbreviations and codes ("NQ", "TW", "UBND") say nothing about the language around them.
ABBREVIATION = re.compile(r"[A-Z]{1,5}")


def detect_language(text: str) -> str:
    """'vi' when the text carries Vietnamese letters, or when every word could be a Vietnamese syllable typed
    without marks ("Cho vay", "bao ve moi truong"); else 'en' (used for queries only)."""
    if VIETNAMESE_LETTERS.search(text):
        return "vi"
    words = [word for word in SYLLABLE.findall(text) if not ABBREVIATION.fullmatch(word)
             and not any(ch.isdigit() for ch in word)]
    return "vi" if words and all(UNMARKED_SYLLABLE.fullmatch(word.lower()) for word in words) else "en"


def syllables(text: str) -> list[str]:
    return SYLLABLE.findall(text.lower())


def compounds(text: str) -> list[str]:
    lowered = text.lower()
    found: list[str] = []
    for _name, pattern in COMPOUND_PATTERNS:
        found.extend(match.group(0).replace(" ", "") for match in pattern.finditer(lowered))
    return found


# A multi-syllable, purely alphabetic word (lower-cased): syllables separated by white space. One match
# instead of a split and a match per syllable: the VLC's 1.57M cached words tested in 0.85 s, not 2.15 s.
TERM_WORD = re.compile(r"\s*[^\W_]+(?:\s+[^\W_]+)+\s*")


def is_term_word(word: str) -> bool:
    """A multi-syllable, purely alphabetic word: the only segmented words that become terms."""
    return TERM_WORD.fullmatch(word.lower()) is not None


def word_terms(words: Iterable[str]) -> list[str]:
    """Multi-syllable, purely alphabetic words from segmentation, as `ngân_sách` terms."""
    terms = []
    for word in words:
        lowered = word.lower()
        if TERM_WORD.fullmatch(lowered):
            terms.append("_".join(lowered.split()))
    return terms


def lexical_terms(text: str, words: Sequence[str] | None) -> list[str]:
    """All BM25 terms of a normalised text given its segmented words (None for English)."""
    terms = syllables(text) + compounds(text)
    if words:
        terms += word_terms(words)
    return terms


# underthesea's package __init__ imports every optional pipeline it has, whether or not it is used:
# translation alone pulls in transformers and torch (21 of the 24 s `import underthesea` took in a cold
# `lexvn search` on this busy 2-core machine). lexvn needs word segmentation only.
UNDERTHESEA_OPTIONAL = (
    "underthesea.pipeline.classification", "underthesea.pipeline.sentiment", "underthesea.pipeline.lang_detect",
    "underthesea.pipeline.dependency_parse", "underthesea.pipeline.translate", "underthesea.agent",
    "underthesea.address",
)


def import_underthesea() -> Any:
    """underthesea without its optional pipelines: its own `get_optional_import` answers the hidden ones with
    None (`underthesea.translate` and the like), and a later explicit `import underthesea.pipeline.translate`
    still works."""
    if "underthesea" in sys.modules:
        return sys.modules["underthesea"]
    module = import_hiding("underthesea", UNDERTHESEA_OPTIONAL)
    _preload_word_model()
    return module


WORD_MODEL_FILES = ("models.bin", "features.bin", "dictionary.bin")


def _preload_word_model() -> None:
    """Load underthesea's word-segmentation model the way its `FastCRFSequenceTagger.load` does, but read
    its two pickles with the C unpickler: joblib's unpickler is pure Python, and the dictionary (72k words)
    took 3 of the 9 s of a profiled cold `lexvn search`. Anything unexpected (another underthesea layout)
    leaves the model to underthesea's own lazy loading; `tests/indexer/test_segment.py` compares the two."""
    import pickle

    try:
        from underthesea.models.fast_crf_sequence_tagger import FastCRFSequenceTagger
        from underthesea.pipeline import word_tokenize as module
        from underthesea_core import CRFFeaturizer, CRFTagger

        if getattr(module, "word_tokenize_model", "missing") is not None:
            return  # loaded already, or a layout this function does not know
        directories = sorted((Path(module.__file__).parent / "models").glob("ws_crf_*"))
        if len(directories) != 1 or not all((directories[0] / name).is_file() for name in WORD_MODEL_FILES):
            return
        base = directories[0]
        tagger = FastCRFSequenceTagger()
        estimator = CRFTagger()
        estimator.load(str(base / "models.bin"))
        with open(base / "features.bin", "rb") as handle:
            features = pickle.load(handle)
        with open(base / "dictionary.bin", "rb") as handle:
            dictionary = pickle.load(handle)
        tagger.featurizer, tagger.estimator = CRFFeaturizer(features, dictionary), estimator
        module.word_tokenize_model = tagger
    except (ImportError, AttributeError, OSError, pickle.UnpicklingError, TypeError, ValueError):
        return


def _segment_one(text: str) -> list[str]:
    return import_underthesea().word_tokenize(text)


def _segment_chunk(texts: list[str]) -> list[list[str]]:
    return [_segment_one(text) for text in texts]


class SegmentCache:
    """sha1(text) → underthesea's words that become terms (`is_term_word`: single syllables are terms
    anyway), persisted as `key<TAB>word|word|…` lines. Keeping only those: the VLC's cache 36.1 → 25.6 MB as
    text, 10.9 → 7.8 MB compressed."""

    def __init__(self, entries: dict[str, list[str]] | None = None) -> None:
        self.entries: dict[str, list[str]] = entries or {}
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0

    @classmethod
    def load(cls, path: Path | None) -> SegmentCache:
        entries: dict[str, list[str]] = {}
        if path is not None and path.is_file():
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    key, _, joined = line.rstrip("\n").partition("\t")
                    entries[key] = joined.split("|") if joined else []
        return cls(entries)

    def save(self, path: Path, only_used: bool = True) -> None:
        self._write(path, "wt", sorted(self.used if only_used else self.entries.keys()))

    def append_new(self, path: Path, known: set[str]) -> None:
        """Append the entries used since loading that were not `known` to a cache file (a new gzip member)."""
        self._write(path, "at", sorted(key for key in self.used if key not in known))

    def _write(self, path: Path, mode: str, keys: list[str]) -> None:
        with gzip.open(path, mode, encoding="utf-8", compresslevel=CACHE_LEVEL) as handle:
            handle.writelines(f"{key}\t{'|'.join(self.entries[key])}\n" for key in keys)

    def segment_many(self, texts: Sequence[str], progress: bool = False, workers: int | None = None) -> list[list[str]]:
        """Words of every text, segmenting only the texts not in the cache."""
        keys = [text_key(text) for text in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self.entries and key not in missing:
                missing[key] = text
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        if missing:
            segmented = segment_texts(list(missing.values()), progress=progress, workers=workers)
            # '|' separates words on disk; a word never contains one after normalisation, but be safe.
            for key, words in zip(missing, segmented, strict=True):
                self.entries[key] = [word for word in (w.replace("|", " ") for w in words) if is_term_word(word)]
        self.used.update(keys)
        return [self.entries[key] for key in keys]


def segment_texts(texts: list[str], progress: bool = False, workers: int | None = None) -> list[list[str]]:
    """underthesea word segmentation of many texts, in worker processes when there are many."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(texts) >= PARALLEL_MIN_TEXTS else 1
    if workers <= 1:
        from tqdm import tqdm

        return [_segment_one(text) for text in tqdm(texts, desc="segment", unit="text", disable=not progress)]
    chunk = max(200, len(texts) // (workers * 8))
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    from tqdm import tqdm

    results: list[list[str]] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for part in tqdm(pool.map(_segment_chunk, chunks), total=len(chunks), desc="segment", unit="chunk",
                         disable=not progress):
            results.extend(part)
    return results


def compound_spans(text: str) -> list[tuple[int, int, str]]:
    """The maximal number and code tokens of a lower-cased text (start, end, term): where two patterns
    overlap ("0.5" inside "0.5%") only the longest is kept."""
    lowered = text.lower()
    found = sorted(((m.start(), m.end(), m.group(0).replace(" ", "")) for _name, pattern in COMPOUND_PATTERNS
                    for m in pattern.finditer(lowered)), key=lambda span: (span[0], -span[1]))
    kept: list[tuple[int, int, str]] = []
    for start, end, term in found:
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, term))
    return kept


def segment_query(normalised_query: str) -> list[str]:
    """underthesea's words of a (Vietnamese) query."""
    return _segment_one(normalised_query)


def query_terms(normalised_query: str, language: str, words: Sequence[str] | None = None) -> list[str]:
    """BM25 terms of a normalised query (segmented with underthesea when Vietnamese).

    A number, percentage, amount, date or document number is one term, as written ("0.5%", "66-nq/tw"),
    never also its pieces: "0" and "5" of "0,5%" would match every clause numbered 5 (measured: results
    5-10 of `0,5% tổng chi ngân sách` were English clauses whose only match was a list number "5.").
    Clauses keep both forms, so the whole token finds them. `words`: the query's segmentation when the
    caller has it already."""
    spans = compound_spans(normalised_query)
    terms: list[str] = []
    cursor = 0
    for start, end, term in spans:
        terms += syllables(normalised_query[cursor:start])
        terms.append(term)
        cursor = end
    terms += syllables(normalised_query[cursor:])
    if language == "vi":
        terms += word_terms(words if words is not None else _segment_one(normalised_query))
    return terms
