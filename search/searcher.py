"""The query side: open an index directory once, answer searches from any number of threads.

Pipeline per query: parse (quoted phrases, language) → normalise → terms → retrieve (BM25, dense) →
answer signals (BM25's candidates that define the term, or state the quantity, a question asks for) →
verify phrases (exhaustive: every clause holding all the phrase's words, then the pattern) → fuse
(weighted RRF) → highlight (mapped back to original text) → Hit with citation and document metadata.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from indexer import manifest as mf
from indexer.build import unit_rows
from indexer.kinds import vi_word
from indexer.model import Clause, Document, DocumentMeta
from indexer.shards import SHARDS_FILE
from indexer.store import STORE_FILE, TABLE_FILE, TEXTS_FILE, ClauseTable, ClauseTexts, Store, StoreError
from search.definitions import QUANTITY_ANSWERS, definition_ranking
from search.fuse import DEFAULT_WEIGHTS, FusionWeights, fuse, weights_for
from search.highlight import term_spans, to_original
from search.lexicon import load_lexicon
from search.model import Hit
from search.phrase import find_phrase, phrase_pattern, phrase_words
from search.query import MODES, Filters, QueryPlan, TermGroup, analyse
from search.rerank import Candidates, Coverage, Reranker, candidate_features
from search.retrieve import DenseRetriever, LexicalRetriever, top_positions
from search.statements import statement_ranking


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A document's metadata without its text and clauses (what listings need)."""

    doc_id: str
    source: str
    format: str
    content_hash: str
    meta: DocumentMeta
    clause_count: int


# A build may publish and delete the version a reader is opening; the reader then opens the new one.
OPEN_ATTEMPTS = 3
# What reading damaged files raises from json, numpy/bm25s (mmap, npz), SQLite and FAISS (RuntimeError).
READ_ERRORS = (OSError, ValueError, KeyError, IndexError, TypeError, RuntimeError, EOFError, zipfile.BadZipFile,
               sqlite3.Error, StoreError)


def clause_path(clause: Clause) -> str:
    """The clause's position with the words its citation uses: "Điều 5 > khoản 2 > điểm a", "Mục III > khoản 7"."""
    return " > ".join(f"{vi_word(step.kind)} {step.label}".strip() for step in clause.path)


HIGHLIGHT_CACHE = 20_000  # clauses whose highlight mapping is kept (a few KB each)
CLAUSE_CACHE = 4_096  # clauses read from the store kept as objects (hits and lookups repeat)
# Whole documents kept for cross-checks and document views: reading one costs ~40 µs a clause (measured on
# the VLC: 100-170 ms for its three largest laws, 2,700-4,800 clauses).
DOCUMENT_CACHE = 16


def document_summary(meta: DocumentMeta) -> dict[str, Any]:
    return {"type": meta.doc_type, "number": meta.number, "issuer": meta.issuer, "date": meta.date,
            "title": meta.title, "language": meta.language}


class Searcher:
    """Read-only access to one index version; safe to share between threads.

    - `Searcher.open(index_dir, model=None)`: opens the live version (`model`, when given, must be the one
      the index was built with, else `IndexModelMismatch`; another format version → `IndexFormatError`).
    - `search(query, k=10, mode="hybrid", filters=None) -> list[Hit]`; modes: hybrid, bm25, dense, phrase.
      A quoted part (`"0,5% tổng chi ngân sách"`) must occur in every result (under normalisation); in
      phrase mode an unquoted query is taken whole as the phrase. `filters`: a dict or `search.query.Filters`
      with doc_type, issuer, language, number, year_from, year_to, doc_ids, kind.
    - `documents() -> list[DocumentInfo]` (doc_id, source, format, content_hash, meta, clause_count).
    - `get_document(doc_id) -> Document | None` (clauses and references included).
    - `get_clause(clause_id) -> Clause | None`; `clause_at(position)`; `clause_ids()` (by position).
    - `document_header(doc_id) -> Document | None`: metadata and references only, no store read.
    - `manifest`: the manifest as a dict, plus `dense` = {"model", "dimension", "faiss"} or None.
    - `index_dir`, `directory` (the live version directory), `clause_count`, `has_dense`.
    - `warm_up()`: loads underthesea, the encoder and caches (the first query otherwise pays seconds);
      a server should call it once at start-up.
    """

    def __init__(self, index_dir: Path, directory: Path, manifest: mf.Manifest, store: Store, table: ClauseTable,
                 texts: ClauseTexts, lexical: LexicalRetriever, dense: DenseRetriever | None,
                 weights: FusionWeights = DEFAULT_WEIGHTS) -> None:
        """The parts of one index version (`open` reads them from its directory; a sharded index gives
        stand-ins that answer from its shards, `search.sharded`)."""
        self.index_dir = index_dir
        self.directory = directory
        self._manifest = manifest
        self.weights = weights
        # In memory: the documents' headers, clause ids and the clause table; clause texts memory-mapped;
        # the rest stays in the store until a query touches it (opening the VLC: 6.5 s and 559 MB before).
        self._store = store
        self._texts = texts
        headers = store.headers()
        self._headers = {doc.doc_id: doc for doc, _first, _count in headers}
        self._doc_order = [doc.doc_id for doc, _first, _count in headers]
        self._doc_rows = {doc.doc_id: (first, first + count) for doc, first, count in headers}
        self._doc_position = {doc_id: position for position, doc_id in enumerate(self._doc_order)}
        self._ids = store.clause_ids()
        self._position = {clause_id: i for i, clause_id in enumerate(self._ids)}
        if len(table) != len(self._ids) or sum(count for *_, count in headers) != len(self._ids):
            raise mf.IndexFormatError(f"index {directory}: the clause table has {len(table)} rows for "
                                      f"{len(self._ids)} clauses; rebuild it with `lexvn index`")
        self._lead = table.lead
        # each clause's row in the reading-unit field (None: the index has no such field, the signal is off)
        self._unit_row: np.ndarray | None = None
        self._bare_section = table.bare_section
        self._clause_doc = table.doc
        self._kinds = table.kind
        self._units = table.unit
        self._lengths = np.diff(table.text_offsets)
        # the learnt second stage over the fused candidates (search/rerank.py; None: fusion's order stands)
        self.reranker: Reranker | None = Reranker.load()
        self._clause_cache: OrderedDict[int, Clause] = OrderedDict()  # least recently used first
        self._cache_lock = threading.Lock()
        self._document = functools.lru_cache(maxsize=DOCUMENT_CACHE)(self._read_document)
        # A hit's normalised text mapped back to its original, for highlights: ~1.5 ms a clause to compute,
        # most of a query's time when recomputed for every hit (measured on the VLC); popular clauses repeat.
        self._norm_mapped = functools.lru_cache(maxsize=HIGHLIGHT_CACHE)(self._compute_norm_mapped)
        self.lexical = lexical
        if self.lexical.size != len(self._ids):
            raise mf.IndexFormatError(f"index {directory}: BM25 has {self.lexical.size} rows for "
                                      f"{len(self._ids)} clauses; rebuild it with `lexvn index`")
        if self.lexical.unit_count is not None:
            self._unit_row = unit_rows(table.unit)
            units = self.lexical.unit_count
            if len(self._unit_row) and units != int(self._unit_row.max()) + 1:
                raise mf.IndexFormatError(f"index {directory}: the reading-unit field has {units} rows for "
                                          f"{int(self._unit_row.max()) + 1} units; rebuild it with `lexvn index`")
        self.dense = dense
        # Per query language (detect_language gives "vi" or "en"), the clauses in it and the others: a dense
        # signal that is not cross-lingual compares a query only with the former (None: every clause is).
        self._same_language: dict[str, np.ndarray | None] = {}
        self._other_language: dict[str, np.ndarray] = {}
        clause_languages = table.language
        self._languages = frozenset(np.unique(clause_languages.astype(str)).tolist())
        for language in self._languages | {"vi", "en"}:
            same = clause_languages == language
            self._same_language[language] = None if same.all() else same
            if not same.all():
                self._other_language[language] = ~same

    # ------------------------------------------------------------------------------------------ opening

    @classmethod
    def open(cls, index_dir: Path | str, model: str | None = None, weights: FusionWeights = DEFAULT_WEIGHTS) -> Searcher:
        """Open the live version. Readers take no lock: when a build replaces the version while it is being
        read, the new one is opened instead. A damaged version raises `IndexDamaged` with one line."""
        index_dir = Path(index_dir)
        for attempt in range(OPEN_ATTEMPTS):
            pointer = mf.read_pointer(index_dir)
            try:
                return cls._open_version(index_dir, model, weights)
            except mf.IndexDamaged:
                if attempt + 1 == OPEN_ATTEMPTS or mf.read_pointer(index_dir) == pointer:
                    raise  # damaged, not replaced while we read it
        raise AssertionError("unreachable")

    @classmethod
    def _open_version(cls, index_dir: Path, model: str | None, weights: FusionWeights) -> Searcher:
        from indexer.vectors import VECTOR_KEYS_FILE, VectorKeys, keys_mismatch

        directory, manifest = mf.open_version(index_dir)
        if (directory / SHARDS_FILE).is_file():
            raise mf.IndexFormatError(f"{index_dir} is a sharded index: open it with `search.sharded.open_index` "
                                      "(as `lexvn search` and `lexvn serve` do)")
        mf.check_model(manifest, model, index_dir)
        try:
            table = ClauseTable.load(directory / TABLE_FILE)
            searcher = cls(index_dir, directory, manifest, Store(directory / STORE_FILE), table,
                           ClauseTexts(directory / TEXTS_FILE, table.text_offsets),
                           LexicalRetriever(directory, float(manifest.bm25.get("head_weight", 0.0))),
                           DenseRetriever(directory, manifest.model) if manifest.model else None, weights)
            if manifest.model:
                problem = keys_mismatch(VectorKeys.load(directory / VECTOR_KEYS_FILE), searcher._ids)
                if problem:
                    raise mf.damaged(directory, f"its vectors do not match its clauses ({problem})")
        except mf.IndexFormatError as error:  # counts that disagree: the files are not one version
            raise mf.damaged(directory, str(error)) from error
        except READ_ERRORS as error:  # sizes matched, contents did not: bytes changed after the build
            raise mf.damaged(directory, f"a file cannot be read ({type(error).__name__}: {error})") from error
        return searcher

    # ------------------------------------------------------------------------------------------ lookups

    @property
    def manifest(self) -> dict[str, Any]:
        data = self._manifest.to_dict()
        model = self._manifest.model
        data["dense"] = ({"model": model["name"], "dimension": model["dimension"], "faiss": model.get("faiss")}
                         if model else None)
        return data

    @property
    def store(self) -> Store:
        """The version's clause and document store (what a shard replica serves, `search.sharded`)."""
        return self._store

    @property
    def texts(self) -> ClauseTexts:
        return self._texts

    @property
    def has_dense(self) -> bool:
        return self.dense is not None

    @property
    def clause_count(self) -> int:
        return len(self._ids)

    def documents(self) -> list[DocumentInfo]:
        return [DocumentInfo(d.doc_id, d.source, d.format, d.content_hash, d.meta,
                             self._doc_rows[d.doc_id][1] - self._doc_rows[d.doc_id][0])
                for d in self._headers.values()]

    def document_header(self, doc_id: str) -> Document | None:
        """A document's metadata and references, without its text and clauses (no store read)."""
        return self._headers.get(doc_id)

    def get_document(self, doc_id: str) -> Document | None:
        return self._document(doc_id) if doc_id in self._headers else None

    def _read_document(self, doc_id: str) -> Document:
        start, end = self._doc_rows[doc_id]
        return replace(self._headers[doc_id], text=self._store.document_text(self._doc_position[doc_id]),
                       clauses=self._store.clauses(start, end))

    def get_clause(self, clause_id: str) -> Clause | None:
        position = self._position.get(clause_id)
        return None if position is None else self._clauses([position])[position]

    def clause_at(self, position: int) -> Clause:
        """The clause at a position of the index (BM25 rows, vectors and the store share positions)."""
        return self._clauses([position])[position]

    def _clauses(self, positions: list[int]) -> dict[int, Clause]:
        """Clauses by position: the cached ones, the others read from the store in one query (a hit list's
        ten cost one round trip, not ten: 48 µs a clause read alone, measured on the VLC)."""
        with self._cache_lock:
            found = {p: self._clause_cache[p] for p in positions if p in self._clause_cache}
            for position in found:
                self._clause_cache.move_to_end(position)
        missing = [p for p in positions if p not in found]
        if missing:
            read = self._store.clauses_at(missing)
            if len(read) != len(set(missing)):
                raise IndexError(f"the store has no clause at {sorted(set(missing) - set(read))[:3]}")
            found.update(read)
            with self._cache_lock:
                self._clause_cache.update(read)
                while len(self._clause_cache) > CLAUSE_CACHE:
                    self._clause_cache.popitem(last=False)
        return found

    def clause_ids(self) -> list[str]:
        """Every clause id, by position."""
        return list(self._ids)

    def clause_vectors(self, doc_id: str) -> np.ndarray | None:
        """The stored dense vectors of a document's clauses, in clause order (None without dense vectors or
        for an unknown document). Works on every index kind, an incrementally updated HNSW one included."""
        rows = self._doc_rows.get(doc_id)
        if self.dense is None or rows is None or rows[0] == rows[1]:
            return None
        return self.dense.vectors(np.arange(*rows))

    # ------------------------------------------------------------------------------------------ search

    def warm_up(self) -> None:
        """Load underthesea and the query encoder now, so no user request pays for their lazy loading."""
        self.search("khởi động hệ thống", k=1, mode="hybrid")
        if self.dense is not None:  # a Vietnamese query skips an English-only (or -routed) encoder: load it too
            self.dense.search("system start-up", 1, None, "en")

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None:
            return None
        allowed_docs = np.array([filters.accepts_document(self._headers[d].meta, d) for d in self._doc_order],
                                dtype=bool)
        mask = allowed_docs[self._clause_doc] if len(self._clause_doc) else np.zeros(0, dtype=bool)
        if filters.kind:
            mask &= self._kinds == filters.kind
        return mask

    def _verify(self, phrases: list[str], language: str, mask: np.ndarray | None) -> dict[int, list[tuple[int, int]]]:
        """Every allowed clause containing all phrases → phrase spans in its normalised text."""
        from indexer.normalise import normalise

        patterns, words = [], []
        for phrase in phrases:
            normalised = normalise(phrase, language)
            pattern = phrase_pattern(normalised)
            if pattern is None:
                continue
            patterns.append(pattern)
            words.extend(phrase_words(normalised))
        if not patterns:
            return {}
        found: dict[int, list[tuple[int, int]]] = {}
        candidates = self.lexical.containing_all(words)
        if mask is not None:
            candidates = candidates[mask[candidates]]
        for position, text in sorted(self._store.norm_texts(candidates.tolist()).items()):
            spans: list[tuple[int, int]] = []
            for pattern in patterns:
                matches = find_phrase(pattern, text)
                if not matches:
                    break
                spans.extend(matches)
            else:
                found[position] = spans
        return found

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | dict[str, Any] | None = None,
               weights: FusionWeights | None = None, rerank: bool = True) -> list[Hit]:
        return self.search_explained(query, k, mode, filters, weights, rerank)[0]

    def analyse(self, query: str) -> QueryPlan:
        """The query's plan against this index (its languages, its vocabulary for unmarked input)."""
        return analyse(query, load_lexicon(), self._languages, self.lexical.unmarked_vocabulary())

    def search_explained(self, query: str, k: int = 10, mode: str = "hybrid",
                         filters: Filters | dict[str, Any] | None = None,
                         weights: FusionWeights | None = None, rerank: bool = True,
                         candidates: bool = False) -> tuple[list[Hit], dict[str, Any]]:
        """Hits plus timing and the query's analysis (terms, expansions, translations) for --explain and
        the API. `rerank`: let the reranker reorder the fused candidates where it serves the query's kind;
        `candidates`: also return the fused candidates (positions, fused order) and their reranking
        features as info["candidates"] (for training the reranker)."""
        started = time.perf_counter()
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if mode == "dense" and self.dense is None:
            raise ValueError("this index has no dense vectors (built with --no-dense); use --mode bm25 or rebuild")
        plan = self.analyse(query)
        weights = weights or (self.weights if self.weights is not DEFAULT_WEIGHTS else weights_for(plan.kind))
        filters = Filters.from_value(filters)
        mask = self._mask(filters)

        required = list(plan.phrases) or ([plan.text] if mode == "phrase" else [])
        verified = self._verify(required, plan.language, mask) if required else None
        if verified is not None:
            allowed = np.zeros(len(self._ids), dtype=bool)
            allowed[list(verified)] = True
            mask = allowed if mask is None else (mask & allowed)

        lexical = self.lexical.group_scores(plan.groups)
        source = self._same_language[plan.language]
        if plan.translated_groups and mode in ("hybrid", "bm25") and source is not None:
            # A translated query judges the other language; the user's own words judge only clauses of
            # theirs. Over Vietnamese text English words match unmarked syllables: "can" ranked "bị can"
            # (defendant) first for a question on counterfeit goods (EN dev: measured in the closing note).
            lexical = np.where(source, lexical, np.float32(0.0))
        rankings: dict[str, np.ndarray] = {}
        signal_scores: dict[str, dict[int, float]] = {}
        depth = max(weights.depth, k)

        def rank(signal: str, positions: np.ndarray, values: np.ndarray) -> None:
            rankings[signal] = positions
            signal_scores[signal] = dict(zip(positions.tolist(), values.tolist(), strict=True))

        if mode in ("hybrid", "bm25", "phrase"):
            rank("bm25", *top_positions(lexical, depth if mode != "phrase" else len(lexical), mask))
        same = self._same_language[plan.language]
        # Signals that cannot judge clauses of another language than the query's (see weighted_rrf).
        blind: dict[str, np.ndarray] = {} if same is None else {"phrase": self._other_language[plan.language]}
        translated_mask = target = translated_scores = None
        if plan.translated_groups and mode in ("hybrid", "bm25"):
            target = self._same_language[plan.target_language]  # None: every clause is in that language
            translated_mask = target if mask is None or target is None else (mask & target)
            translated_scores = self.lexical.group_scores(plan.translated_groups)
            rank("translated", *top_positions(translated_scores, depth, translated_mask))
        dense_weight, dense_side, query_vector, dense_mask = self._dense_signal(plan, mode, weights, mask, depth,
                                                                                translated_mask, blind, rank)
        if mode == "hybrid" and weights.article:
            for signal, positions in self.article_signals(plan, lexical, translated_scores, mask, translated_mask,
                                                          depth).items():
                rank(signal, positions, np.arange(len(positions), 0, -1, dtype=float))
        if mode == "hybrid":
            pool = top_positions(lexical, max(weights.answer_depth, depth), mask)[0]
            for signal, positions in self.answer_signals(plan, pool, rankings, weights).items():
                rank(signal, positions, np.arange(len(positions), 0, -1, dtype=float))

        phrase_hits = verified
        if phrase_hits is None and mode == "hybrid" and len(phrase_words(plan.normalised)) >= 2:
            phrase_hits = self._verify([plan.text], plan.language, mask)
        if phrase_hits:
            ordered = sorted(phrase_hits, key=lambda p: (-float(lexical[p]), p))
            rankings["phrase"] = np.array(ordered, dtype=np.int64)
            signal_scores["phrase"] = {p: float(len(phrase_hits[p])) for p in ordered}

        if mode == "phrase":
            order = [(p, float(lexical[p])) for p in (rankings.get("phrase", np.zeros(0, np.int64))).tolist()]
        elif mode == "dense":
            order = list(signal_scores.get("dense", {}).items())
        elif mode == "bm25" and "translated" not in rankings:
            order = list(signal_scores["bm25"].items())
        else:  # hybrid, or bm25 with a translated query: both lexical rankings fused
            signals = rankings if mode == "hybrid" else {s: rankings[s] for s in ("bm25", "translated")}
            order = fuse(signals, weights, dense_weight, blind, target, dense_side)
            if verified is not None:  # quoted phrases: only verified clauses, even if no signal ranked them
                seen = {p for p, _ in order}
                order += [(p, 0.0) for p in rankings.get("phrase", np.zeros(0, np.int64)).tolist() if p not in seen]
        reranker = self.reranker
        candidates_info: dict[str, np.ndarray] | None = None
        reranked = False
        wanted = mode == "hybrid" and verified is None and (candidates or (
            rerank and reranker is not None and plan.kind in reranker.kinds))
        if wanted:
            depth_reranked = reranker.depth if reranker is not None else weights.depth
            pool = np.array([p for p, _s in order[:depth_reranked]], dtype=np.int64)
            evidence = self.candidate_evidence(plan, pool, order, rankings, lexical, translated_scores,
                                               query_vector, dense_mask)
            features = candidate_features(evidence)
            # the query's own language only, and never a clause holding the whole query as a phrase: those
            # keep the places fusion gave them (search.rerank.Reranker.reorder)
            same = self._same_language[plan.language]
            movable = np.ones(len(pool), dtype=bool) if same is None else same[pool].copy()
            if phrase_hits:
                movable &= ~np.isin(pool, np.fromiter(phrase_hits, dtype=np.int64))
            if candidates:
                candidates_info = {"positions": pool, "features": features, "movable": movable}
            if rerank and reranker is not None and plan.kind in reranker.kinds:
                order = reranker.reorder(order, features, movable)
                reranked = True

        if verified is None and mode != "phrase" and not (filters and filters.kind):
            order = self._substitute_leads(order)
        query_words = set(phrase_words(plan.normalised)) | {w for e in plan.expansions + plan.translations
                                                             for t in e.targets for w in phrase_words(t)}
        hits = []
        self._clauses([position for position, _score in order[:k]])  # the hits' clauses, read in one query
        for position_rank, (position, score) in enumerate(order[:k], start=1):
            scores = {name: values[position] for name, values in signal_scores.items() if position in values}
            for name, positions in rankings.items():
                where = np.flatnonzero(positions == position)
                if len(where):
                    scores[f"{name}_rank"] = float(where[0] + 1)
            if mode == "hybrid":
                scores["rrf"] = score
            spans = (phrase_hits or {}).get(position)
            hits.append(self._hit(position_rank, position, score, scores, spans, query_words))
        info = {"query": query, "mode": mode, "took_ms": round((time.perf_counter() - started) * 1000, 2),
                **plan.explain(), "phrases": required, "phrase_matches": len(phrase_hits or {}),
                "signals": sorted(rankings), "reranked": reranked}
        if candidates:
            info["candidates"] = candidates_info if wanted else None
        return hits, info

    def candidate_evidence(self, plan: QueryPlan, pool: np.ndarray, order: list[tuple[int, float]],
                           rankings: dict[str, np.ndarray], lexical: np.ndarray,
                           translated: np.ndarray | None, query_vector: np.ndarray | None,
                           dense_mask: np.ndarray | None) -> Candidates:
        """What the reranker reads of the fused candidates `pool` (the first of `order`)."""
        ranks = {}
        for signal, positions in rankings.items():
            where = {p: r for r, p in enumerate(positions.tolist(), start=1)}
            ranks[signal] = np.array([where.get(p, 0) for p in pool.tolist()], dtype=float)
        dense = None
        if query_vector is not None and len(pool):
            dense = (self.dense.vectors(pool) @ query_vector.reshape(-1)).astype(float)
            if dense_mask is not None:
                dense = np.where(dense_mask[pool], dense, np.nan)
        user = len(plan.groups) - len(plan.expansions)
        return Candidates(
            positions=pool, fused=np.array([s for _p, s in order[: len(pool)]], dtype=float), ranks=ranks,
            bm25=lexical[pool].astype(float), translated=None if translated is None else translated[pool].astype(float),
            dense=dense, coverage=self._coverage(plan.groups, pool, user),
            translated_coverage=self._coverage(plan.translated_groups, pool) if plan.translated_groups else None,
            lengths=self._lengths[pool], kinds=self._kinds[pool], units=self._units[pool])

    def _coverage(self, groups: tuple[TermGroup, ...], pool: np.ndarray, user: int | None = None) -> Coverage:
        body, head, unit = self.clause_presence(groups, pool)
        return Coverage(body, head, unit, self.group_idf(groups), len(groups) if user is None else user)

    def clause_presence(self, groups: tuple[TermGroup, ...] | list[TermGroup],
                        positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """groups × positions: how much of each group the clause body, its heading chain and its reading
        unit hold (LexicalRetriever.group_presence; unit None without a unit field)."""
        lexical = self.lexical
        body = lexical.group_presence("body", groups, positions)
        head = lexical.group_presence("head", groups, lexical.head_rows[positions])
        unit = None if self._unit_row is None else lexical.group_presence("unit", groups, self._unit_row[positions])
        return body, head, unit

    def group_idf(self, groups: tuple[TermGroup, ...]) -> np.ndarray:
        """Per group, its weight × the highest body idf among its terms (0 for terms the index lacks)."""
        terms = [t for group in groups for alternative in group.alternatives for t in alternative]
        frequencies = self.lexical.document_frequencies(list(dict.fromkeys(terms)))
        size = self.lexical.size
        idf = np.zeros(len(groups))
        for g, group in enumerate(groups):
            found = [frequencies[t] for alternative in group.alternatives for t in alternative if t in frequencies]
            if found:
                df = min(found)
                idf[g] = group.weight * np.log(1 + (size - df + 0.5) / (df + 0.5))
        return idf

    def answer_signals(self, plan: QueryPlan, pool: np.ndarray, rankings: dict[str, np.ndarray],
                       weights: FusionWeights) -> dict[str, np.ndarray]:
        """Rankings of the lexical candidates (`pool`, BM25's best, then the translation's ranking) by what
        the question asks for: `definition`, the clauses defining a term it names, in its words, its
        translation or an expansion's (search/definitions.py); `statement`, the clauses stating a quantity
        of the kind it asks for (search/statements.py). A signal weighted 0 is skipped."""
        positions = list(dict.fromkeys(np.concatenate([pool, rankings.get("translated", np.zeros(0, np.int64))]).tolist()))
        texts = self._texts.get(positions)
        candidates = [(p, texts[p]) for p in positions]
        found = {}
        if weights.definition and plan.answer_type not in QUANTITY_ANSWERS:
            named = [plan.text, plan.translated_text, *(t for e in plan.expansions for t in e.targets)]
            found["definition"] = definition_ranking(candidates, named)
        if weights.statement:
            found["statement"] = statement_ranking(candidates, plan.text)
        return {signal: np.array(positions, dtype=np.int64) for signal, positions in found.items() if positions}

    def article_signals(self, plan: QueryPlan, lexical: np.ndarray, translated: np.ndarray | None,
                        mask: np.ndarray | None, translated_mask: np.ndarray | None,
                        depth: int) -> dict[str, np.ndarray]:
        """Clauses ranked by their reading unit's score in the unit field (the Điều with all its clauses),
        then by their own lexical score; only clauses with a lexical score of their own are ranked (a unit
        found by its other clauses lends them its rank, it does not bring in clauses without the query's
        words). `article` from the query's terms (`lexical`: their clause scores), `article_translated` from
        its translation's (`translated`: None without one). Nothing when the index has no unit field."""
        if self._unit_row is None:
            return {}
        found = {}
        for signal, groups, scores, allowed in (("article", plan.groups, lexical, mask),
                                                ("article_translated", plan.translated_groups, translated,
                                                 translated_mask)):
            if scores is None or not groups:
                continue
            unit = self.lexical.unit_group_scores(groups)[self._unit_row].astype(np.float64)
            key = np.where(scores > 0, unit + 1e-6 * scores, 0.0)
            positions = top_positions(key, depth, allowed)[0]
            if len(positions):
                found[signal] = positions
        return found

    def _dense_signal(self, plan: QueryPlan, mode: str, weights: FusionWeights, mask: np.ndarray | None,
                      depth: int, translated_mask: np.ndarray | None, blind: dict[str, np.ndarray],
                      rank: Any) -> tuple[float, str, np.ndarray | None, np.ndarray | None]:
        """Rank by dense similarity when the encoder knows the query's language, or else the language its
        translation is in (an English question, translated, reaches a Vietnamese-only encoder); returns the
        weight the dense signal gets in fusion (0: not used), the language side it judges (fuse.fuse), the
        query vector and the mask of the clauses it compared (None: all)."""
        if self.dense is None or mode not in ("dense", "hybrid"):
            return 0.0, "source", None, None
        languages = (self._manifest.model or {}).get("languages", ["*"])
        side = "both" if self.dense.encoder.cross_lingual else "source"
        if "*" in languages or plan.language in languages:
            text, language, dense_mask = plan.dense_text, plan.language, mask
            same = self._same_language[plan.language]
            if same is not None and not self.dense.encoder.cross_lingual:
                dense_mask = same if mask is None else (mask & same)
                blind["dense"] = blind["phrase"]
            weight = weights.dense
        elif plan.translated_text and plan.target_language in languages:
            text, language, dense_mask = plan.translated_text, plan.target_language, translated_mask
            weight, side = weights.dense, "target"
        else:
            weight = weights.dense_other_language
            if not weight and mode != "dense":
                return 0.0, "source", None, None
            text, language, dense_mask = plan.dense_text, plan.language, mask
        vector = self.dense.encoder.encode_query(text, language)
        rank("dense", *self.dense.search_vector(vector, depth, dense_mask))
        return weight, side, vector, dense_mask

    def _substitute_leads(self, order: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Bare article headings replaced by the clause that leads their content, first occurrence kept;
        bare section headings left out (ranked retrieval only: phrase search still returns them)."""
        seen: set[int] = set()
        result = []
        for position, score in order:
            if self._bare_section[position]:
                continue
            lead = int(self._lead[position])
            if lead not in seen:
                seen.add(lead)
                result.append((lead, score))
        return result

    def _compute_norm_mapped(self, position: int) -> Any:
        from indexer.normalise import clause_norm_mapped

        return clause_norm_mapped(self._clauses([position])[position])

    def _hit(self, rank: int, position: int, score: float, scores: dict[str, float],
             phrase_spans: list[tuple[int, int]] | None, query_words: set[str]) -> Hit:
        clause = self._clauses([position])[position]
        document = self._headers[clause.doc_id]
        mapped = self._norm_mapped(position)
        spans = phrase_spans if phrase_spans else term_spans(mapped.text, query_words)
        return Hit(
            rank=rank,
            clause_id=clause.id,
            doc_id=clause.doc_id,
            source=document.source,
            text=clause.text,
            citation=clause.citation,
            citation_en=clause.citation_en,
            path=clause_path(clause),
            score=float(score),
            scores={name: round(float(value), 6) for name, value in scores.items()},
            highlights=to_original(mapped, spans),
            document=document_summary(document.meta),
            headings=list(clause.headings),
            kind=clause.kind,
        )


def group_by_document(hits: list[Hit]) -> list[dict[str, Any]]:
    """Hits grouped by document, groups in the order of their best hit."""
    groups: dict[str, dict[str, Any]] = {}
    for hit in hits:
        group = groups.setdefault(hit.doc_id, {"doc_id": hit.doc_id, "source": hit.source,
                                               "document": hit.document, "best_rank": hit.rank, "hits": []})
        group["hits"].append(hit)
    return list(groups.values())
