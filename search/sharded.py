"""Searching a sharded index (`indexer.shards`) through Ray actors: one or more replicas per shard.

A `ShardedSearcher` is a `Searcher` whose parts answer from the shards: the same query analysis, fusion, lead
substitution and hit rendering run once, in the coordinating process, over the whole collection's
positions, while each shard's replica (a Ray actor that opened the shard's index) computes its BM25 score
rows, its nearest vectors, phrase candidates, texts and clauses. Positions are document-contiguous by
shard, so a shard's rows are a slice of the collection's; its BM25 scores were computed with the
collection's statistics at build time, so the concatenated rows are the ones one index gives, and what the
searcher derives from them (rankings, answer signals, fusion) is the same. Dense top-k lists are merged
by score (exact for flat shards; an HNSW shard is as approximate as an HNSW index over all clauses).

The coordinator keeps what a Searcher keeps in memory (document headers, clause ids, the clause table),
which the replicas send once when it opens. Replicas read their shard from the same path on every node: a
shared file system, or the sharded directory copied to each machine at the same path (README).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer import manifest as mf
from indexer.embed import Encoder
from indexer.model import Clause, Document
from indexer.shards import Shard, connect, is_sharded, read_shards
from indexer.store import TABLE_FILE, ClauseTable
from search.fuse import DEFAULT_WEIGHTS, FusionWeights
from search.query import TermGroup
from search.retrieve import UnmarkedVocabulary
from search.searcher import Searcher

REPLICA_RESTARTS = 3


def locate(starts: np.ndarray, position: int) -> tuple[int, int]:
    """(the shard, the position within it) of a collection position, given where the shards start."""
    shard = int(np.searchsorted(starts, position, side="right")) - 1
    return shard, int(position) - int(starts[shard])


def kill(groups: list[list[Any]]) -> None:
    """End every replica of every shard."""
    import ray

    for group in groups:
        for actor in group:
            ray.kill(actor)


class ShardReplica:
    """One shard, opened by a Ray actor (`ray.remote(ShardReplica)`); positions are the shard's own."""

    def __init__(self, shard_dir: str) -> None:
        self.searcher = Searcher.open(shard_dir)

    def light(self) -> dict[str, Any]:
        """What the coordinator keeps in memory: headers (with first clause and count), ids, clause table."""
        store = self.searcher.store
        return {"headers": store.headers(), "ids": store.clause_ids(),
                "table": ClauseTable.load(self.searcher.directory / TABLE_FILE),
                "marked": self.searcher.lexical.marked_frequencies(), "units": self.searcher.lexical.unit_count}

    def group_scores(self, groups: Sequence[TermGroup]) -> np.ndarray:
        return self.searcher.lexical.group_scores(groups)

    def body_scores(self, terms: list[str]) -> np.ndarray:
        return self.searcher.lexical.body_scores(terms)

    def unit_group_scores(self, groups: Sequence[TermGroup]) -> np.ndarray:
        return self.searcher.lexical.unit_group_scores(groups)

    def containing_all(self, terms: list[str]) -> np.ndarray:
        return self.searcher.lexical.containing_all(terms)

    def document_frequencies(self, terms: list[str]) -> dict[str, int]:
        return self.searcher.lexical.document_frequencies(terms)

    def clause_presence(self, groups: list[TermGroup], positions: np.ndarray) -> tuple[np.ndarray, ...]:
        return self.searcher.clause_presence(groups, positions)

    def norm_texts(self, positions: list[int]) -> dict[int, str]:
        return self.searcher.store.norm_texts(positions)

    def texts(self, positions: list[int]) -> dict[int, str]:
        return self.searcher.texts.get(positions)

    def clauses_at(self, positions: list[int]) -> dict[int, Clause]:
        return self.searcher.store.clauses_at(positions)

    def clauses(self, start: int, end: int) -> list[Clause]:
        return self.searcher.store.clauses(start, end)

    def document_text(self, doc_position: int) -> str:
        return self.searcher.store.document_text(doc_position)

    def search_vector(self, vector: np.ndarray, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        return self.searcher.dense.search_vector(vector, k, mask)

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        return self.searcher.dense.vectors(positions)


class Shards:
    """The replicas of every shard and where each shard's positions begin; calls go to one replica of each
    shard concerned, in parallel, round robin over a shard's replicas."""

    def __init__(self, shards: list[Shard], replicas: list[list[Any]]) -> None:
        self.shards = shards
        self.starts = np.array([shard.first_clause for shard in shards], dtype=np.int64)
        self.document_starts = np.array([shard.first_document for shard in shards], dtype=np.int64)
        self._cycles = [itertools.cycle(group) for group in replicas]
        self._lock = threading.Lock()

    def replica(self, shard: int) -> Any:
        with self._lock:
            return next(self._cycles[shard])

    def call_all(self, method: str, *args: Any) -> list[Any]:
        import ray

        return ray.get([getattr(self.replica(i), method).remote(*args) for i in range(len(self.shards))])

    def split(self, positions: Iterable[int]) -> dict[int, list[int]]:
        """Collection positions by shard, as the shard's own positions."""
        by_shard: dict[int, list[int]] = {}
        for position in positions:
            shard, local = locate(self.starts, position)
            by_shard.setdefault(shard, []).append(local)
        return by_shard

    def call_split(self, method: str, positions: Iterable[int]) -> dict[int, Any]:
        """`method(local positions)` on each shard holding some of `positions`; a dict result keyed by local
        positions comes back keyed by collection positions."""
        import ray

        by_shard = self.split(positions)
        refs = {shard: getattr(self.replica(shard), method).remote(local) for shard, local in by_shard.items()}
        merged: dict[int, Any] = {}
        for shard, found in zip(refs, ray.get(list(refs.values())), strict=True):
            start = int(self.starts[shard])
            merged.update({start + local: value for local, value in found.items()})
        return merged

    def slices(self, mask: np.ndarray | None) -> list[np.ndarray | None]:
        ends = [*self.starts[1:].tolist(), None]
        return [None if mask is None else mask[start:end] for start, end in zip(self.starts.tolist(), ends, strict=True)]


class ShardedStore:
    """The store's reads a Searcher makes, answered by the shards."""

    def __init__(self, shards: Shards, headers: list[tuple[Document, int, int]], ids: list[str]) -> None:
        self._shards = shards
        self._headers = headers
        self._ids = ids

    def headers(self) -> list[tuple[Document, int, int]]:
        return self._headers

    def clause_ids(self) -> list[str]:
        return self._ids

    def norm_texts(self, positions: Iterable[int]) -> dict[int, str]:
        return self._shards.call_split("norm_texts", positions)

    def clauses_at(self, positions: Iterable[int]) -> dict[int, Clause]:
        return self._shards.call_split("clauses_at", positions)

    def document_text(self, doc_position: int) -> str:
        import ray

        shard, local = locate(self._shards.document_starts, doc_position)
        return ray.get(self._shards.replica(shard).document_text.remote(local))

    def clauses(self, start: int, end: int) -> list[Clause]:
        """A document's clauses [start, end): a document lies in one shard."""
        import ray

        if start == end:
            return []
        shard, local = locate(self._shards.starts, start)
        return ray.get(self._shards.replica(shard).clauses.remote(local, local + end - start))


class ShardedTexts:
    def __init__(self, shards: Shards) -> None:
        self._shards = shards

    def get(self, positions: Iterable[int]) -> dict[int, str]:
        return self._shards.call_split("texts", positions)


class ShardedLexical:
    """BM25 over the shards: a shard's score rows are the collection's, concatenated in position order."""

    def __init__(self, shards: Shards, size: int, head_weight: float, marked: dict[str, int],
                 unit_count: int | None) -> None:
        self._shards = shards
        self.size = size
        self.head_weight = head_weight
        self.unit_count = unit_count  # the reading-unit field's rows, shard after shard (None: not built)
        self._unmarked = UnmarkedVocabulary(marked)

    def group_scores(self, groups: Sequence[TermGroup]) -> np.ndarray:
        return np.concatenate(self._shards.call_all("group_scores", list(groups)))

    def body_scores(self, terms: list[str]) -> np.ndarray:
        return np.concatenate(self._shards.call_all("body_scores", terms))

    def unit_group_scores(self, groups: Sequence[TermGroup]) -> np.ndarray:
        """Units never span documents, so each shard holds whole units, numbered in position order as well."""
        return np.concatenate(self._shards.call_all("unit_group_scores", list(groups)))

    def containing_all(self, terms: list[str]) -> np.ndarray:
        found = self._shards.call_all("containing_all", terms)
        return np.concatenate([np.asarray(local, np.int64) + start
                               for local, start in zip(found, self._shards.starts.tolist(), strict=True)])

    def document_frequencies(self, terms: list[str]) -> dict[str, int]:
        """The collection's document frequencies: the sum of the shards'."""
        total: dict[str, int] = {}
        for found in self._shards.call_all("document_frequencies", list(terms)):
            for term, frequency in found.items():
                total[term] = total.get(term, 0) + frequency
        return total

    def unmarked_vocabulary(self) -> UnmarkedVocabulary:
        return self._unmarked


class ShardedDense:
    """Dense search over the shards: the query is encoded here once; each shard's best k are merged."""

    def __init__(self, shards: Shards, model: dict[str, Any]) -> None:
        self._shards = shards
        self.model = model
        self.encoder = Encoder(model["name"])

    def search(self, query: str, k: int, mask: np.ndarray | None,
               language: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.search_vector(self.encoder.encode_query(query, language), k, mask)

    def search_vector(self, vector: np.ndarray, k: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        import ray

        refs = [self._shards.replica(i).search_vector.remote(vector, k, part)
                for i, part in enumerate(self._shards.slices(mask))]
        found = ray.get(refs)
        positions = np.concatenate([ids + start for (ids, _), start in zip(found, self._shards.starts.tolist(),
                                                                         strict=True)])
        scores = np.concatenate([values for _, values in found]).astype(np.float32)
        order = np.lexsort((positions, -scores))[:k]  # by score, ties by position
        return positions[order], scores[order]

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        """The stored vectors of these collection positions, in their order."""
        import ray

        by_shard = self._shards.split(positions.tolist())
        refs = {shard: self._shards.replica(shard).vectors.remote(np.array(local, dtype=np.int64))
                for shard, local in by_shard.items()}
        found = dict(zip(refs, ray.get(list(refs.values())), strict=True))
        if not found:
            return np.zeros((0, 0), np.float32)
        # rows come back shard by shard; put each where its position stood in `positions`
        shard_of = np.searchsorted(self._shards.starts, positions, side="right") - 1
        rows = np.empty((len(positions), next(iter(found.values())).shape[1]), dtype=np.float32)
        for shard, block in found.items():
            rows[shard_of == shard] = block
        return rows


def concatenated_table(tables: list[ClauseTable], shards: list[Shard]) -> ClauseTable:
    """The shards' clause tables as one over collection positions."""
    text_ends = np.cumsum([0] + [int(table.text_offsets[-1]) for table in tables])
    return ClauseTable(
        np.concatenate([table.doc + shard.first_document for table, shard in zip(tables, shards, strict=True)]).astype(np.int32),
        np.concatenate([table.language for table in tables]),
        np.concatenate([table.kind for table in tables]),
        np.concatenate([table.lead + shard.first_clause for table, shard in zip(tables, shards, strict=True)]),
        np.concatenate([table.unit + shard.first_clause for table, shard in zip(tables, shards, strict=True)]),
        np.concatenate([table.bare_section for table in tables]),
        np.concatenate([[0]] + [table.text_offsets[1:] + end for table, end in zip(tables, text_ends, strict=False)]),
    )


class ShardedSearcher(Searcher):
    """A Searcher over a sharded index (see the module); `close()` ends its replicas."""

    replicas: list[list[Any]]
    shards: Shards

    def close(self) -> None:
        kill(self.replicas)

    def clause_presence(self, groups: tuple[TermGroup, ...] | list[TermGroup],
                        positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Each shard's clauses answered by its replica, the columns put back in `positions`' order."""
        import ray

        shards = self.shards
        by_shard = shards.split(positions.tolist())
        refs = {shard: shards.replica(shard).clause_presence.remote(list(groups), np.array(local, dtype=np.int64))
                for shard, local in by_shard.items()}
        found = dict(zip(refs, ray.get(list(refs.values())), strict=True))
        shard_of = np.searchsorted(shards.starts, positions, side="right") - 1
        fields: list[np.ndarray | None] = []
        for field in range(3):
            if any(block[field] is None for block in found.values()) or not found:
                fields.append(None if found else np.zeros((len(groups), 0)))
                continue
            merged = np.zeros((len(groups), len(positions)))
            for shard, block in found.items():
                merged[:, shard_of == shard] = block[field]
            fields.append(merged)
        body, head, unit = fields
        assert body is not None and head is not None
        return body, head, unit


def open_sharded(index_dir: Path | str, address: str | None = None, replicas: int = 1,
                 weights: FusionWeights = DEFAULT_WEIGHTS, model: str | None = None) -> ShardedSearcher:
    """Open the live version of a sharded index with `replicas` Ray actors per shard, on the cluster at
    `address` (None: the one this process is connected to, or a new local one)."""
    import ray

    if replicas < 1:
        raise ValueError("each shard needs at least one replica")
    index_dir = Path(index_dir)
    directory, manifest = mf.open_version(index_dir)
    shards = read_shards(directory)
    if shards is None:
        raise mf.IndexFormatError(f"{index_dir} is not a sharded index; open it with Searcher.open")
    mf.check_model(manifest, model, index_dir)
    connect(address)
    # num_cpus=0: a replica serves requests and holds memory, it never occupies a core the build's tasks need.
    # A replica whose node dies starts again on another, and its calls (all read-only) are sent again.
    actor = ray.remote(num_cpus=0, max_restarts=REPLICA_RESTARTS, max_task_retries=REPLICA_RESTARTS)(ShardReplica)
    groups = [[actor.remote(str(shard.directory)) for _ in range(replicas)] for shard in shards]
    try:
        lights = ray.get([group[0].light.remote() for group in groups])
    except ray.exceptions.RayActorError as error:
        kill(groups)
        raise mf.damaged(directory, f"a shard cannot be opened ({str(error).splitlines()[0]})") from error
    federation = Shards(shards, groups)
    headers = [(doc, first + shard.first_clause, count)
               for light, shard in zip(lights, shards, strict=True) for doc, first, count in light["headers"]]
    ids = [clause_id for light in lights for clause_id in light["ids"]]
    marked: dict[str, int] = {}
    for light in lights:
        for term, frequency in light["marked"].items():
            marked[term] = marked.get(term, 0) + frequency
    units = [light["units"] for light in lights]
    lexical = ShardedLexical(federation, len(ids), float(manifest.bm25.get("head_weight", 0.0)), marked,
                             None if None in units else sum(units))
    dense = ShardedDense(federation, manifest.model) if manifest.model else None
    table = concatenated_table([light["table"] for light in lights], shards)
    searcher = ShardedSearcher(index_dir, directory, manifest, ShardedStore(federation, headers, ids), table,
                               ShardedTexts(federation), lexical, dense, weights)  # type: ignore[arg-type]
    searcher.replicas = groups
    searcher.shards = federation
    return searcher


def open_index(index_dir: Path | str, model: str | None = None, address: str | None = None,
               replicas: int = 1) -> Searcher:
    """A searcher over `index_dir`: sharded (through Ray) when its live version is, else `Searcher.open`."""
    if is_sharded(index_dir):
        return open_sharded(index_dir, address, replicas, model=model)
    return Searcher.open(index_dir, model=model)

