"""The clause and document store of an index version: one SQLite file, `store.sqlite`.

Why a database: the searcher used to parse the whole document model (216 MB of JSON for the 208 VLC laws)
into memory at every open — 6.5 s and ~12 KB of RSS a clause. Now it keeps in memory only what ranking and
filtering read for every query (`ClauseTable`: per clause position its document, language, kind, the clause
that stands for a bare heading, its reading unit) and the documents' headers (metadata and references),
and reads text, citations and the rest for the clauses it actually touches: a query's answer-signal
candidates (text column), phrase candidates (norm_text column) and its hits (the whole clause).

SQLite (the standard library's, no server): a version is immutable once published, so readers open it
read-only with `immutable=1` (no locks, no journal look-ups), one connection per thread. A build writes a
new store inside its temporary version directory; an incremental build copies the unchanged documents' rows
from the live version's store (`ATTACH` + `INSERT … SELECT`, no decoding) and encodes only the rest.

Tables (positions are the order of documents and of clauses in the index, which BM25 rows and vectors share):
    documents(position, doc_id, source, first_clause, clause_count, header JSON, text zlib, id_prefix,
              first_chain, chain_count)
    chains(position, headings): each document's distinct heading chains, JSON compressed, document after document
    clauses(position, key, doc_position, kind, language, parent position, chain position, bare, norm, rest)
    dictionary(data): the zlib preset dictionary every clause blob (norm, rest, chains) is compressed with
A clause's `rest` is its JSON (text included) without what the columns hold, its clean text left out when
it equals its text; `norm` its normalised text, apart so that phrase verification decodes only that. Clause
blobs are a few hundred bytes, too short for zlib to find repeats within one; a preset dictionary of sample
clauses gives it the vocabulary and phrasing they share. On the VLC (122k clauses) the store is 49.0 MB
(rest 19.7, norm 11.9, heading chains 3.9 for 28k, documents' texts 3.9 and headers 2.3, keys 0.8, SQLite's
pages the rest) against 179.5 MB in format 3 (text and norm_text uncompressed, 24 MB each; rest 75.9 MB; an
index on clause ids). A document's chains as one blob took 0.65 MB, but reading a clause then decoded its
document's whole list (0.6 ms on average): 320-340 µs a clause read by position against 40-78 µs.
"""

from __future__ import annotations

import json
import mmap
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from indexer.kinds import HEADING_KINDS, READING_UNIT_KINDS, SECTION_KINDS
from indexer.model import Clause, Document, clause_from_dict, clause_to_dict

STORE_FILE = "store.sqlite"
TABLE_FILE = "clauses.npz"
# Every clause's text, UTF-8, end to end (offsets in the clause table), memory-mapped by the searcher: the
# answer signals read the text of ~400 candidates a query, 2.1 ms from SQLite (`IN` over their positions)
# against ~0.2 ms from the map (measured on the VLC).
TEXTS_FILE = "texts.bin"
SCHEMA = """
CREATE TABLE documents (position INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, source TEXT NOT NULL UNIQUE,
    first_clause INTEGER NOT NULL, clause_count INTEGER NOT NULL, header TEXT NOT NULL, text BLOB NOT NULL,
    id_prefix TEXT NOT NULL, first_chain INTEGER NOT NULL, chain_count INTEGER NOT NULL);
CREATE TABLE chains (position INTEGER PRIMARY KEY, headings BLOB NOT NULL);
CREATE TABLE clauses (position INTEGER PRIMARY KEY, key TEXT NOT NULL, doc_position INTEGER NOT NULL,
    kind TEXT NOT NULL, language TEXT NOT NULL, parent INTEGER, chain INTEGER NOT NULL, bare INTEGER NOT NULL,
    norm BLOB NOT NULL, rest BLOB NOT NULL);
CREATE TABLE dictionary (data BLOB NOT NULL);
"""
# Clause ids are unique by the build's invariants (`indexer.build.check_version`) and looked up in the
# searcher's memory, never in SQL: a UNIQUE index on them cost 7 MB of the VLC's store for no query.
# A document's header: its JSON without these (the text and clauses live in their own columns and rows).
BODY_FIELDS = ("text", "clauses")
# Clause fields the columns hold (the parent as its position), left out of the clause's `rest` JSON.
# A clause id is its document's id prefix (what its clause ids share, "Luat-…-2633:") and its key ("d5.k2"):
# the VLC's ids are 5.5 MB whole, their keys 0.8 MB. Its headings are one of its document's heading chains
# (27k distinct chains for 122k clauses; 28 MB of JSON when every clause carried its own).
COLUMN_FIELDS = ("id", "doc_id", "kind", "language", "parent_id", "norm_text", "headings")
# The columns and joins that give a clause back: its id, document id and parent id from their rows.
CLAUSE_SELECT = ("SELECT c.position, d.id_prefix || c.key, d.doc_id, c.kind, c.language, d.id_prefix || p.key, "
                 "h.headings, c.norm, c.rest FROM clauses c JOIN documents d ON d.position = c.doc_position "
                 "JOIN chains h ON h.position = c.chain LEFT JOIN clauses p ON p.position = c.parent")
# SQLite's default limit of host parameters in one statement is 32,766; batches stay well under it.
BATCH = 900
# zlib level, measured on the VLC's 122k clause blobs with a 32 KB dictionary: level 1 38.0 MB in 2.7 s,
# level 6 28.9 MB in 5.0 s, level 9 28.3 MB in 7.0 s (decompression ~15 µs a clause at every level).
COMPRESSION = 6
# zlib reads at most its window (32 KB) of a preset dictionary, the end of it first. Samples spread over the
# corpus (measured on the VLC: 11.0 MB for the clauses' rest with 32 KB of ~100 sample clauses, 39.6 MB
# without a dictionary).
DICTIONARY_BYTES = 32 * 1024
DICTIONARY_SAMPLES = 256
# The normalised texts are compressed with the dictionary's last 8 KB: phrase verification decodes every
# candidate's, and priming zlib with 32 KB costs most of a decode (VLC norm blobs: 32 KB 10.1 MB at 13.6 µs
# a blob, 8 KB 11.9 MB at 5.6 µs, 2 KB 14.0 MB at 3.5 µs; without a dictionary 16.9 MB at 2.0 µs).
NORM_DICTIONARY_BYTES = 8 * 1024


class StoreError(Exception):
    """A store that cannot be read (missing, damaged, or rows that disagree)."""


def header(document: Document) -> Document:
    """The document without its text and clauses (what listings, filters and reference lookups need)."""
    return replace(document, text="", clauses=[])


def is_bare(clause: Clause) -> bool:
    """A heading-only clause ("Điều 20. Chữa bệnh động vật", a Chương line): no content of its own."""
    return clause.kind in HEADING_KINDS and "\n" not in clause.text.strip()


class Codec:
    """zlib with a preset dictionary: one blob in, one out."""

    def __init__(self, dictionary: bytes) -> None:
        self.dictionary = dictionary
        # Copying a primed compressor is cheaper than priming one for every blob.
        self._primed = zlib.compressobj(COMPRESSION, zdict=dictionary)

    def pack(self, data: bytes) -> bytes:
        compressor = self._primed.copy()
        return compressor.compress(data) + compressor.flush()

    def unpack(self, blob: bytes) -> bytes:
        return zlib.decompressobj(zdict=self.dictionary).decompress(blob)


class ClauseCodec(Codec):
    """The store's codecs: the whole dictionary for clauses' rest and heading chains, its tail for norms."""

    def __init__(self, dictionary: bytes) -> None:
        super().__init__(dictionary)
        self.norm = Codec(dictionary[-NORM_DICTIONARY_BYTES:])


def rest_json(clause: Clause) -> bytes:
    """A clause's JSON without what the columns hold, its clean text left out when it is its text
    (111.7k of the VLC's 122.5k clauses)."""
    data = clause_to_dict(clause)
    rest = {key: value for key, value in data.items() if key not in COLUMN_FIELDS}
    if rest["clean_text"] == rest["text"]:
        del rest["clean_text"]
    return json.dumps(rest, ensure_ascii=False).encode("utf-8")


def train_dictionary(clauses: Sequence[Clause]) -> bytes:
    """The preset dictionary for a store of these clauses: evenly spaced samples of what is compressed."""
    if not clauses:
        return b""
    picks = sorted(set(np.linspace(0, len(clauses) - 1, min(DICTIONARY_SAMPLES, len(clauses))).astype(int).tolist()))
    sample = b"".join(rest_json(clauses[i]) + clauses[i].norm_text.encode("utf-8") for i in picks)
    return sample[-DICTIONARY_BYTES:]


def clause_from_row(codec: ClauseCodec, headings: bytes, clause_id: str, doc_id: str, kind: str, language: str,
                    parent_id: str | None, norm: bytes, rest: bytes) -> Clause:
    data = json.loads(codec.unpack(rest))
    data.setdefault("clean_text", data["text"])
    return clause_from_dict({**data, "id": clause_id, "doc_id": doc_id, "kind": kind, "language": language,
                             "parent_id": parent_id, "norm_text": codec.norm.unpack(norm).decode("utf-8"),
                             "headings": json.loads(codec.unpack(headings))})


def id_prefix(clause_ids: Sequence[str]) -> str:
    """What a document's clause ids share, up to and with its last ':' ("" when they share none)."""
    common = os.path.commonprefix(list(clause_ids)) if clause_ids else ""
    return common[: common.rfind(":") + 1]


@dataclass(frozen=True, slots=True)
class DocumentLayout:
    """How a document's clauses are written: their shared id prefix, their distinct heading chains, and per
    clause its key, its parent's position and its chain's position."""

    id_prefix: str
    chains: list[list[str]]
    rows: list[tuple[str, int | None, int]]


def document_layout(document: Document, first: int, first_chain: int) -> DocumentLayout:
    prefix = id_prefix([clause.id for clause in document.clauses])
    positions = {clause.id: first + i for i, clause in enumerate(document.clauses)}
    chain_of: dict[tuple[str, ...], int] = {}
    rows = []
    for clause in document.clauses:
        if clause.parent_id is not None and clause.parent_id not in positions:
            raise StoreError(f"the parent {clause.parent_id} of {clause.id} is not in {document.doc_id}")
        chain = first_chain + chain_of.setdefault(tuple(clause.headings), len(chain_of))
        rows.append((clause.id[len(prefix) :], positions.get(clause.parent_id) if clause.parent_id else None, chain))
    return DocumentLayout(prefix, [list(chain) for chain in chain_of], rows)


# ------------------------------------------------------------------------------------------------ writing

def write_store(path: Path, documents: Sequence[Document], reused: dict[str, int], previous: Path | None) -> None:
    """The store of `documents`, in their order. `reused` maps a doc_id to its position in the `previous`
    store: that document's rows (and its stored text) are copied, only its position and header change
    (an unchanged document's references may resolve to other documents now). Copied rows keep the previous
    store's dictionary, so the new rows are compressed with it too."""
    connection = sqlite3.connect(path.resolve().as_uri(), uri=True)
    try:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        copying = bool(reused) and previous is not None
        if copying:
            connection.execute("ATTACH DATABASE ? AS old", (read_only_uri(previous),))
            dictionary = _dictionary(connection, "old.")
        else:
            dictionary = train_dictionary([clause for document in documents for clause in document.clauses])
        connection.execute("INSERT INTO dictionary VALUES (?)", (dictionary,))
        codec = ClauseCodec(dictionary)
        clause_position = chain_position = 0
        for doc_position, document in enumerate(documents):
            old_position = reused.get(document.doc_id)
            if old_position is not None:
                count, chains = _copy_rows(connection, doc_position, clause_position, chain_position, old_position,
                                           document)
            else:
                count, chains = _write_rows(connection, doc_position, clause_position, chain_position, document, codec)
            clause_position += count
            chain_position += chains
        connection.commit()
        if copying:
            connection.execute("DETACH DATABASE old")
    finally:
        connection.close()


def _dictionary(connection: sqlite3.Connection, schema: str = "") -> bytes:
    row = connection.execute(f"SELECT data FROM {schema}dictionary").fetchone()
    if row is None:
        raise StoreError("the store has no compression dictionary")
    return bytes(row[0])


def _write_rows(connection: sqlite3.Connection, doc_position: int, first: int, first_chain: int,
                document: Document, codec: ClauseCodec) -> tuple[int, int]:
    """Rows of a document: (its clause count, its chain count)."""
    layout = document_layout(document, first, first_chain)
    connection.execute("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (doc_position, document.doc_id, document.source, first, len(document.clauses),
                        _header_json(document), zlib.compress(document.text.encode("utf-8"), COMPRESSION),
                        layout.id_prefix, first_chain, len(layout.chains)))
    connection.executemany("INSERT INTO chains VALUES (?, ?)",
                           ((first_chain + i, codec.pack(json.dumps(chain, ensure_ascii=False).encode("utf-8")))
                            for i, chain in enumerate(layout.chains)))
    connection.executemany("INSERT INTO clauses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           ((first + i, key, doc_position, clause.kind, clause.language, parent, chain,
                             int(is_bare(clause)), codec.norm.pack(clause.norm_text.encode("utf-8")),
                             codec.pack(rest_json(clause)))
                            for i, (clause, (key, parent, chain)) in enumerate(zip(document.clauses, layout.rows,
                                                                                   strict=True))))
    return len(document.clauses), len(layout.chains)


def _copy_rows(connection: sqlite3.Connection, doc_position: int, first: int, first_chain: int, old_position: int,
               document: Document) -> tuple[int, int]:
    row = connection.execute("SELECT first_clause, clause_count, first_chain, chain_count FROM old.documents "
                             "WHERE position = ?", (old_position,)).fetchone()
    if row is None:
        raise StoreError(f"the previous store has no document at position {old_position} ({document.doc_id})")
    old_first, count, old_chain, chains = row
    connection.execute("INSERT INTO documents SELECT ?, doc_id, source, ?, clause_count, ?, text, id_prefix, ?, "
                       "chain_count FROM old.documents WHERE position = ?",
                       (doc_position, first, _header_json(document), first_chain, old_position))
    connection.execute("INSERT INTO chains SELECT position - ? + ?, headings FROM old.chains "
                       "WHERE position >= ? AND position < ?", (old_chain, first_chain, old_chain, old_chain + chains))
    connection.execute("INSERT INTO clauses SELECT position - ? + ?, key, ?, kind, language, parent - ? + ?, "
                       "chain - ? + ?, bare, norm, rest FROM old.clauses WHERE position >= ? AND position < ?",
                       (old_first, first, doc_position, old_first, first, old_chain, first_chain, old_first,
                        old_first + count))
    return int(count), int(chains)


def _header_json(document: Document) -> str:
    data = header(document).to_dict()
    return json.dumps({key: value for key, value in data.items() if key not in BODY_FIELDS}, ensure_ascii=False)


# ------------------------------------------------------------------------------------------ the clause table

@dataclass(frozen=True, slots=True)
class ClauseTable:
    """Per clause position, what ranking and filtering read for every query (numpy arrays)."""

    doc: np.ndarray  # int32: the document's position
    language: np.ndarray  # object: "vi", "en"
    kind: np.ndarray  # object: a kind of indexer/data/clause_kinds.tsv
    lead: np.ndarray  # int64: the clause that stands for it in results (see lead_clauses)
    unit: np.ndarray  # int64: the reading unit it lies in (see reading_units)
    bare_section: np.ndarray  # bool: a bare section heading over content
    text_offsets: np.ndarray  # int64, one more than clauses: where each clause's text lies in TEXTS_FILE

    def __len__(self) -> int:
        return len(self.doc)

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:  # compressed: 8.9 MB → see README on the VLC (kinds and languages repeat)
            np.savez_compressed(handle, doc=self.doc, language=self.language.astype(str), kind=self.kind.astype(str),
                     lead=self.lead, unit=self.unit, bare_section=self.bare_section, text_offsets=self.text_offsets)

    @classmethod
    def load(cls, path: Path) -> ClauseTable:
        with np.load(path) as stored:
            return cls(stored["doc"], stored["language"].astype(object), stored["kind"].astype(object),
                       stored["lead"], stored["unit"], stored["bare_section"], stored["text_offsets"])


def first_children(parent: np.ndarray) -> np.ndarray:
    """For each position, its first child's position (-1: none); children follow their parent."""
    child = np.full(len(parent), -1, dtype=np.int64)
    has_parent = np.flatnonzero(parent >= 0)
    parents, first = np.unique(parent[has_parent], return_index=True)
    child[parents] = has_parent[first]
    return child


def lead_clauses(parent: np.ndarray, bare: np.ndarray) -> np.ndarray:
    """For each clause position, the clause that stands for it in results.

    A heading-only clause ("Điều 20. Chữa bệnh động vật", a Chương or Mục line) has no content of its own;
    when it is retrieved, the reader wants what it heads, so it is represented by its first child (down
    to the first clause with content). Its title still counts for that child through the heading field.
    """
    child = first_children(parent)
    lead = np.arange(len(parent))
    heads = bare & (child >= 0)
    lead[heads] = child[heads]
    for _ in range(8):  # Chương → Mục → Điều → khoản 1: follow chains of bare headings to their end
        followed = lead[lead]
        if np.array_equal(followed, lead):
            break
        lead = followed
    return lead


def reading_units(parent: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """For each clause position, the position of the unit it lies in (its Điều, or a plan's numbered point;
    itself when it lies in neither), as the table of clause kinds defines reading units."""
    units = np.arange(len(parent))
    inside = np.isin(kind, list(READING_UNIT_KINDS))
    for position in range(len(parent)):  # parents precede their children
        above = parent[position]
        if not inside[position] and above >= 0 and inside[above]:
            units[position] = units[above]
            inside[position] = True
    return units


def document_units(clauses: Sequence[Clause]) -> np.ndarray:
    """`reading_units` of one document's clauses, as positions within the document."""
    index = {clause.id: position for position, clause in enumerate(clauses)}
    parent = np.array([index.get(clause.parent_id, -1) if clause.parent_id else -1 for clause in clauses],
                      dtype=np.int64)
    return reading_units(parent, np.array([clause.kind for clause in clauses], dtype=object))


def clause_table(doc: np.ndarray, language: np.ndarray, kind: np.ndarray, parent: np.ndarray,
                 bare: np.ndarray, text_offsets: np.ndarray) -> ClauseTable:
    lead = lead_clauses(parent, bare)
    section = np.isin(kind, list(SECTION_KINDS)) & (lead != np.arange(len(lead)))
    return ClauseTable(doc.astype(np.int32), language.astype(object), kind.astype(object), lead,
                       reading_units(parent, kind), section, text_offsets.astype(np.int64))


def table_of_store(path: Path, texts_path: Path) -> ClauseTable:
    """The clause table derived from a store's columns, writing the clause texts end to end to `texts_path`
    (a build saves both beside the store)."""
    connection = _connect(path)
    try:
        codec = ClauseCodec(_dictionary(connection))
        rows = connection.execute("SELECT doc_position, language, kind, COALESCE(parent, -1), bare, rest "
                                  "FROM clauses ORDER BY position").fetchall()
    finally:
        connection.close()
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), (), ()]
    encoded = [json.loads(codec.unpack(rest))["text"].encode("utf-8") for rest in columns[5]]
    texts_path.write_bytes(b"".join(encoded))
    offsets = np.concatenate([[0], np.cumsum([len(text) for text in encoded], dtype=np.int64)])
    return clause_table(np.array(columns[0], dtype=np.int32), np.array(columns[1], dtype=object),
                        np.array(columns[2], dtype=object), np.array(columns[3], dtype=np.int64),
                        np.array(columns[4], dtype=bool), offsets)


class ClauseTexts:
    """Clause texts by position from TEXTS_FILE, memory-mapped (a deleted version's map stays readable)."""

    def __init__(self, path: Path, offsets: np.ndarray) -> None:
        self._offsets = offsets.tolist()  # Python ints: slicing the map with numpy scalars costs 10x
        size = path.stat().st_size
        if size != (self._offsets[-1] if self._offsets else 0):
            raise StoreError(f"{path.name} holds {size} bytes, the clause table says {self._offsets[-1]}")
        self._map: Any = b""
        if size:
            with path.open("rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)

    def get(self, positions: Iterable[int]) -> dict[int, str]:
        offsets, data = self._offsets, self._map
        return {p: data[offsets[p] : offsets[p + 1]].decode("utf-8") for p in positions}


# ------------------------------------------------------------------------------------------------ reading

def read_only_uri(path: Path) -> str:
    """A published version never changes: `immutable` spares every read SQLite's locks and journal checks."""
    return path.resolve().as_uri() + "?mode=ro&immutable=1"


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise StoreError(f"{path.name} is missing")
    return sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)


class Store:
    """Read-only access to one version's store, from any number of threads (a connection each).

    A thread's first query opens its connection; should the version have been deleted meanwhile (a build
    published another and the server has not switched yet), it shares the connection opened with the store,
    which keeps the deleted file readable."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._first = _connect(path)
        self._first_lock = threading.Lock()
        self._local = threading.local()
        self._codec = ClauseCodec(_dictionary(self._first))

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = self._local.connection = _connect(self.path)
            except (StoreError, sqlite3.Error):
                with self._first_lock:
                    return self._first.execute(sql, parameters).fetchall()
        return connection.execute(sql, parameters).fetchall()

    def headers(self) -> list[tuple[Document, int, int]]:
        """Every document's header with its first clause position and clause count, in order."""
        return [(Document.from_dict({**json.loads(data), "text": "", "clauses": []}), first, count)
                for data, first, count in self._rows(
                    "SELECT header, first_clause, clause_count FROM documents ORDER BY position")]

    def clause_ids(self) -> list[str]:
        return [row[0] for row in self._rows("SELECT d.id_prefix || c.key FROM clauses c JOIN documents d "
                                             "ON d.position = c.doc_position ORDER BY c.position")]

    def _clause(self, row: Sequence[Any]) -> Clause:
        """A clause from a CLAUSE_SELECT row without its position."""
        clause_id, doc_id, kind, language, parent_id, headings, norm, rest = row
        return clause_from_row(self._codec, headings, clause_id, doc_id, kind, language, parent_id, norm, rest)

    def _at_positions(self, columns: str, positions: Iterable[int]) -> list[tuple[Any, ...]]:
        """(position, *columns) of the clauses (`c`) at these positions, each once, in batches SQLite accepts."""
        wanted = list(dict.fromkeys(int(p) for p in positions))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            rows += self._rows(f"{columns} WHERE c.position IN ({','.join('?' * len(batch))})", batch)
        return rows

    def norm_texts(self, positions: Iterable[int]) -> dict[int, str]:
        unpack = self._codec.norm.unpack
        return {position: unpack(norm).decode("utf-8")
                for position, norm in self._at_positions("SELECT c.position, c.norm FROM clauses c", positions)}

    def distinct_norm_texts(self, language: str) -> list[str]:
        """Every distinct normalised clause text in a language, sorted (what a build segments)."""
        return sorted({self._codec.norm.unpack(row[0]).decode("utf-8") for row in self._rows(
            "SELECT DISTINCT norm FROM clauses WHERE language = ?", (language,))})

    def clauses(self, start: int, end: int) -> list[Clause]:
        """The clauses at positions start … end - 1, in order."""
        return [self._clause(row[1:]) for row in self._rows(
            f"{CLAUSE_SELECT} WHERE c.position >= ? AND c.position < ? ORDER BY c.position", (start, end))]

    def clauses_at(self, positions: Iterable[int]) -> dict[int, Clause]:
        """The clauses at these positions (one query for all), by position."""
        return {position: self._clause(row) for position, *row in
                self._at_positions(CLAUSE_SELECT, positions)}

    def document_text(self, doc_position: int) -> str:
        rows = self._rows("SELECT text FROM documents WHERE position = ?", (doc_position,))
        if not rows:
            raise StoreError(f"no document at position {doc_position}")
        return zlib.decompress(rows[0][0]).decode("utf-8")

    def documents(self) -> Iterable[Document]:
        """Every document whole (text and clauses), in order: for tools that read the entire model."""
        for position, (document, first, count) in enumerate(self.headers()):
            yield replace(document, text=self.document_text(position), clauses=self.clauses(first, first + count))

    def close(self) -> None:
        self._first.close()


def read_documents(directory: Path) -> Iterable[Document]:
    """Every document of a version directory, whole."""
    store = Store(directory / STORE_FILE)
    try:
        yield from store.documents()
    finally:
        store.close()
