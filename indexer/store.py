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
    documents(position, doc_id, source, first_clause, clause_count, header JSON, text zlib)
    clauses(position, id, doc_position, kind, language, parent_id, bare, text, norm_text, rest zlib JSON)
A clause's `rest` is its JSON without text and norm_text, zlib-compressed. On the VLC the store is 176 MB
(text 24 MB, norm_text 24 MB, rest 75 MB, document texts 4 MB, SQLite's b-trees and id index the rest)
against 218 MB for the JSON lines it replaced.
"""

from __future__ import annotations

import json
import mmap
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
    first_clause INTEGER NOT NULL, clause_count INTEGER NOT NULL, header TEXT NOT NULL, text BLOB NOT NULL);
CREATE TABLE clauses (position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, doc_position INTEGER NOT NULL,
    kind TEXT NOT NULL, language TEXT NOT NULL, parent_id TEXT, bare INTEGER NOT NULL, text TEXT NOT NULL,
    norm_text TEXT NOT NULL, rest BLOB NOT NULL);
"""
# A document's header: its JSON without these (the text and clauses live in their own columns and rows).
BODY_FIELDS = ("text", "clauses")
CLAUSE_COLUMNS = ("text", "norm_text")
# SQLite's default limit of host parameters in one statement is 32,766; batches stay well under it.
BATCH = 900
# zlib level, measured on 21.6k VLC clauses' rest JSON (25.9 MB): level 1 14.12 MB at 77 µs a clause,
# level 6 13.87 MB at 98 µs, level 9 13.84 MB at 95 µs. 1.8% more bytes for a fifth less build time.
COMPRESSION = 1


class StoreError(Exception):
    """A store that cannot be read (missing, damaged, or rows that disagree)."""


def header(document: Document) -> Document:
    """The document without its text and clauses (what listings, filters and reference lookups need)."""
    return replace(document, text="", clauses=[])


def is_bare(clause: Clause) -> bool:
    """A heading-only clause ("Điều 20. Chữa bệnh động vật", a Chương line): no content of its own."""
    return clause.kind in HEADING_KINDS and "\n" not in clause.text.strip()


def _pack(data: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), COMPRESSION)


def _unpack(blob: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(blob))


def clause_row(position: int, doc_position: int, clause: Clause) -> tuple[Any, ...]:
    data = clause_to_dict(clause)
    rest = {key: value for key, value in data.items() if key not in CLAUSE_COLUMNS}
    return (position, clause.id, doc_position, clause.kind, clause.language, clause.parent_id, int(is_bare(clause)),
            clause.text, clause.norm_text, _pack(rest))


def clause_from_row(text: str, norm_text: str, rest: bytes) -> Clause:
    return clause_from_dict({**_unpack(rest), "text": text, "norm_text": norm_text})


# ------------------------------------------------------------------------------------------------ writing

def write_store(path: Path, documents: Sequence[Document], reused: dict[str, int], previous: Path | None) -> None:
    """The store of `documents`, in their order. `reused` maps a doc_id to its position in the `previous`
    store: that document's rows (and its stored text) are copied, only its position and header change
    (an unchanged document's references may resolve to other documents now)."""
    connection = sqlite3.connect(path.resolve().as_uri(), uri=True)
    try:
        connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        if reused and previous is not None:
            connection.execute("ATTACH DATABASE ? AS old", (read_only_uri(previous),))
        clause_position = 0
        for doc_position, document in enumerate(documents):
            old_position = reused.get(document.doc_id)
            if old_position is not None:
                count = _copy_rows(connection, doc_position, clause_position, old_position, document)
            else:
                count = _write_rows(connection, doc_position, clause_position, document)
            clause_position += count
        connection.commit()
        if reused and previous is not None:
            connection.execute("DETACH DATABASE old")
    finally:
        connection.close()


def _write_rows(connection: sqlite3.Connection, doc_position: int, first: int, document: Document) -> int:
    connection.execute("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (doc_position, document.doc_id, document.source, first, len(document.clauses),
                        _header_json(document), zlib.compress(document.text.encode("utf-8"), COMPRESSION)))
    connection.executemany("INSERT INTO clauses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (clause_row(first + i, doc_position, clause) for i, clause in enumerate(document.clauses)))
    return len(document.clauses)


def _copy_rows(connection: sqlite3.Connection, doc_position: int, first: int, old_position: int,
               document: Document) -> int:
    row = connection.execute("SELECT first_clause, clause_count FROM old.documents WHERE position = ?",
                             (old_position,)).fetchone()
    if row is None:
        raise StoreError(f"the previous store has no document at position {old_position} ({document.doc_id})")
    old_first, count = row
    connection.execute("INSERT INTO documents SELECT ?, doc_id, source, ?, clause_count, ?, text "
                       "FROM old.documents WHERE position = ?", (doc_position, first, _header_json(document),
                                                                 old_position))
    connection.execute("INSERT INTO clauses SELECT position - ? + ?, id, ?, kind, language, parent_id, bare, text, "
                       "norm_text, rest FROM old.clauses WHERE position >= ? AND position < ?",
                       (old_first, first, doc_position, old_first, old_first + count))
    return int(count)


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
        with path.open("wb") as handle:
            np.savez(handle, doc=self.doc, language=self.language.astype(str), kind=self.kind.astype(str),
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
        rows = connection.execute("SELECT c.doc_position, c.language, c.kind, COALESCE(p.position, -1), c.bare, "
                                  "c.text FROM clauses c LEFT JOIN clauses p ON p.id = c.parent_id "
                                  "ORDER BY c.position").fetchall()
    finally:
        connection.close()
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), (), ()]
    encoded = [text.encode("utf-8") for text in columns[5]]
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
        return [row[0] for row in self._rows("SELECT id FROM clauses ORDER BY position")]

    def _at_positions(self, columns: str, positions: Iterable[int]) -> list[tuple[Any, ...]]:
        """(position, *columns) of the clauses at these positions, each once, in batches SQLite accepts."""
        wanted = list(dict.fromkeys(int(p) for p in positions))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            rows += self._rows(f"SELECT position, {columns} FROM clauses WHERE position IN "
                               f"({','.join('?' * len(batch))})", batch)
        return rows

    def norm_texts(self, positions: Iterable[int]) -> dict[int, str]:
        return dict(self._at_positions("norm_text", positions))

    def distinct_norm_texts(self, language: str) -> list[str]:
        """Every distinct normalised clause text in a language, sorted (what a build segments)."""
        return [row[0] for row in self._rows(
            "SELECT DISTINCT norm_text FROM clauses WHERE language = ? ORDER BY norm_text", (language,))]

    def clauses(self, start: int, end: int) -> list[Clause]:
        """The clauses at positions start … end - 1, in order."""
        return [clause_from_row(*row) for row in self._rows(
            "SELECT text, norm_text, rest FROM clauses WHERE position >= ? AND position < ? ORDER BY position",
            (start, end))]

    def clauses_at(self, positions: Iterable[int]) -> dict[int, Clause]:
        """The clauses at these positions (one query for all), by position."""
        return {position: clause_from_row(*row) for position, *row in
                self._at_positions("text, norm_text, rest", positions)}

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
