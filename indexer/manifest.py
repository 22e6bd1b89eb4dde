"""The index directory: versioned sub-directories, a manifest, and an atomic switch between versions.

Layout of `INDEX_DIR`:

    INDEX_DIR/CURRENT          name of the live version directory (one line)
    INDEX_DIR/v-<time>-<pid>/  one complete index: manifest.json, store.sqlite (documents and clauses,
                               `indexer.store`), clauses.npz (the clause table), bm25_body/, bm25_head/, terms.npz
                               (per-clause term counts), texts.bin, dense.faiss and dense.keys.json.gz (unless
                               --no-dense), segcache.tsv.gz, ingest_report.json

    INDEX_DIR/.lock            held (flock) by the one process writing the index; readers never take it

A build writes a new version into `INDEX_DIR/.tmp-v-…`, renames it to `v-…` when complete, then replaces
`CURRENT` with `os.replace` (atomic on POSIX). Until that last step readers see the previous version,
untouched; a build killed at any point leaves at worst a stale `.tmp-*` directory, removed by the next
build. Old versions are deleted only after the switch. Writers hold `writer_lock`, so two builds never
interleave (one waits or fails at once, saying who holds the lock).

Integrity: the manifest lists every other file of its version with its size and sha256. Opening a version
(`open_version`) checks sizes, which is cheap and catches truncated or missing files; `verify_checksums`
reads everything (`lexvn index --verify`). A damaged version raises `IndexDamaged` with one line that says
what is wrong and how to rebuild.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# 2: document ids unique per corpus, vectors keyed by clause (dense.keys.json), checksums of every file.
# 3: documents and clauses in an SQLite store (store.sqlite) instead of documents.jsonl.
# 4: a smaller index (issue 15): clause blobs compressed with a preset dictionary, 8-bit HNSW vectors, one
#    heading-field row per heading chain, gzip segmentation cache and vector keys, compressed clause table.
FORMAT_VERSION = 4
POINTER = "CURRENT"
MANIFEST = "manifest.json"
TMP_PREFIX = ".tmp-"
LOCK = ".lock"
REBUILD_HINT = "run `lexvn index CORPUS --index {index_dir} --rebuild`"


class IndexError_(Exception):
    """Base class of index-directory problems (named with a trailing _ to avoid shadowing IndexError)."""


class IndexNotFound(IndexError_):
    pass


class IndexFormatError(IndexError_):
    pass


class IndexModelMismatch(IndexError_):
    pass


class IndexDamaged(IndexError_):
    """A version whose files are missing, truncated, unreadable or not what its manifest says."""


class IndexLocked(IndexError_):
    """Another process is writing the index."""


@dataclass(slots=True)
class DocumentEntry:
    source: str
    content_hash: str
    clauses: int


@dataclass(slots=True)
class Manifest:
    format_version: int
    built_at: str
    corpus_dir: str
    model: dict[str, Any] | None  # {"name": "minilm", "path": …, "dimension": 384, "faiss": "flat"} or None
    bm25: dict[str, Any]  # {"k1", "b", "method", "idf_method", "head_weight"}
    documents: dict[str, DocumentEntry] = field(default_factory=dict)  # doc_id → entry
    counts: dict[str, int] = field(default_factory=dict)  # documents, clauses, vocabulary, problems
    timings: dict[str, float] = field(default_factory=dict)  # seconds per build stage
    incremental: dict[str, Any] = field(default_factory=dict)  # reused / reprocessed / removed doc ids
    # Corpus files the build could not index (source → sha256 or None when unreadable) and the paths walking
    # skipped ([path, reason]): a no-op build must notice when either changes.
    rejected: dict[str, str | None] = field(default_factory=dict)
    skipped: list[list[str]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # relative path → {"bytes", "sha256"}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        documents = {doc_id: DocumentEntry(**entry) for doc_id, entry in data.get("documents", {}).items()}
        return cls(**{**data, "documents": documents})


def read_pointer(index_dir: Path) -> str | None:
    """The name of the live version (what `CURRENT` says), or None when there is no readable pointer."""
    try:
        return (Path(index_dir) / POINTER).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def damaged(directory: Path, what: str) -> IndexDamaged:
    """The one-line message of a damaged version."""
    return IndexDamaged(f"index version {directory.name} is damaged: {what}; "
                        + REBUILD_HINT.format(index_dir=directory.parent))


def version_dir(index_dir: Path) -> Path:
    """The live version of an index; raises IndexNotFound with a hint when there is none."""
    index_dir = Path(index_dir)
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexNotFound(f"no index at {index_dir} (missing {POINTER}); build one with `lexvn index`")
    name = read_pointer(index_dir)
    if name is None or "/" in name or name.startswith("."):
        raise IndexDamaged(f"index at {index_dir} is damaged: {POINTER} does not name a version; "
                           + REBUILD_HINT.format(index_dir=index_dir))
    live = index_dir / name
    if not (live / MANIFEST).is_file():
        raise damaged(live, f"{MANIFEST} is missing")
    return live


def read_manifest(directory: Path) -> Manifest:
    """Manifest of a version directory, refusing other format versions with a clear message."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise damaged(directory, f"{MANIFEST} cannot be read ({type(error).__name__}: {error})") from error
    found = data.get("format_version") if isinstance(data, dict) else None
    if found != FORMAT_VERSION:
        raise IndexFormatError(
            f"index {directory} has format version {found}, this lexvn reads version {FORMAT_VERSION}; "
            "rebuild it with `lexvn index`"
        )
    try:
        return Manifest.from_dict(data)
    except (TypeError, ValueError, AttributeError) as error:
        raise damaged(directory, f"{MANIFEST} lacks fields this format has ({error})") from error


def file_table(directory: Path) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every file of a version but its manifest (which records this table)."""
    table = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            table[path.relative_to(directory).as_posix()] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return table


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sizes(directory: Path, manifest: Manifest) -> None:
    """Every file the manifest lists exists with its size (a stat each: cheap enough for every open)."""
    for name, info in manifest.files.items():
        try:
            size = (directory / name).stat().st_size
        except OSError:
            raise damaged(directory, f"{name} is missing") from None
        if size != info["bytes"]:
            raise damaged(directory, f"{name} is {size} bytes, its manifest says {info['bytes']}")


def verify_checksums(directory: Path, manifest: Manifest,
                     progress: Callable[[str], None] | None = None) -> int:
    """Sizes, then the sha256 of every file; returns the bytes read. Raises IndexDamaged."""
    verify_sizes(directory, manifest)
    total = 0
    for name, info in manifest.files.items():
        if progress is not None:
            progress(name)
        if sha256_file(directory / name) != info["sha256"]:
            raise damaged(directory, f"{name} has other contents than when it was written (sha256 differs)")
        total += info["bytes"]
    return total


def open_version(index_dir: Path) -> tuple[Path, Manifest]:
    """The live version directory and its manifest, with every file present at its recorded size."""
    directory = version_dir(Path(index_dir))
    manifest = read_manifest(directory)
    verify_sizes(directory, manifest)
    return directory, manifest


def check_model(manifest: Manifest, expected_model: str | None, where: Path) -> None:
    """Fail clearly when an index was built with another embedding model than the one asked for."""
    if expected_model is None:
        return
    built = (manifest.model or {}).get("name")
    if built is None:
        raise IndexModelMismatch(f"index {where} has no dense vectors (built with --no-dense); "
                                 f"rebuild it with --model {expected_model}")
    if built != expected_model:
        raise IndexModelMismatch(
            f"index {where} was built with embedding model {built!r}, not {expected_model!r}: query vectors "
            f"would not be comparable; rebuild with `lexvn index --model {expected_model}` or open it "
            f"with model {built!r}"
        )


def write_manifest(directory: Path, manifest: Manifest) -> None:
    (directory / MANIFEST).write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")


def new_build_dir(index_dir: Path) -> Path:
    """A fresh temporary directory inside the index directory for the next version."""
    index_dir.mkdir(parents=True, exist_ok=True)
    # Unique even for builds in the same second; the pid stays last (see _owned_by_live_process).
    name = f"{TMP_PREFIX}v-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}-{os.getpid()}"
    build_dir = index_dir / name
    build_dir.mkdir()
    return build_dir


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, build_dir: Path) -> Path:
    """Make a finished build the live version atomically, then delete older versions and stale temps."""
    final = index_dir / build_dir.name.removeprefix(TMP_PREFIX)
    os.rename(build_dir, final)
    tmp_pointer = index_dir / f"{TMP_PREFIX}{POINTER}-{os.getpid()}"
    tmp_pointer.write_text(final.name + "\n", encoding="utf-8")
    with tmp_pointer.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp_pointer, index_dir / POINTER)
    _fsync_dir(index_dir)
    remove_stale(index_dir, keep=final.name)
    return final


def remove_stale(index_dir: Path, keep: str | None) -> None:
    """Delete version and temporary directories other than `keep` (the live one)."""
    if not index_dir.is_dir():
        return
    for child in index_dir.iterdir():
        if child.name in (keep, POINTER, LOCK):
            continue
        stale_temp = child.name.startswith(TMP_PREFIX) and not _owned_by_live_process(child.name)
        if child.name.startswith("v-") or stale_temp:
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def _owned_by_live_process(name: str) -> bool:
    """A temp directory whose building process (pid suffix) still runs belongs to a concurrent build."""
    pid_text = name.rsplit("-", 1)[-1]
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def directory_size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


# --- the writer lock -------------------------------------------------------------------------------------

# Locks this process holds, by index directory, with how many nested `writer_lock`s hold each: build_index
# and write_index both lock, and flock would refuse a second descriptor of the same process.
_held: dict[Path, list[Any]] = {}
_held_guard = threading.Lock()


def lock_holder(index_dir: Path) -> str:
    """Who holds the lock, as its holder wrote it ("pid 123 since 2026-…, lexvn index …")."""
    try:
        return (Path(index_dir) / LOCK).read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextlib.contextmanager
def writer_lock(index_dir: Path, wait: bool | float = False,
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index directory's writer lock (an flock, released by the kernel if the process dies).

    `wait`: False fails at once with IndexLocked; True waits as long as it takes; a number waits that many
    seconds. `on_wait` is told once, with the holder, when the lock is busy and we wait.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    key = index_dir.resolve()
    with _held_guard:
        held = _held.get(key)
        if held is not None and held[2] == threading.get_ident():
            held[1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key][1] -= 1
        return
    handle = open(index_dir / LOCK, "a+", encoding="utf-8")  # held for the whole block
    try:
        _acquire(handle, index_dir, wait, on_wait)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        with _held_guard:
            _held[key] = [handle, 1, threading.get_ident()]
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _acquire(handle: Any, index_dir: Path, wait: bool | float, on_wait: Callable[[str], None] | None) -> None:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        holder = lock_holder(index_dir)
    if wait is False:
        raise IndexLocked(f"index {index_dir} is being written by {holder}; wait for it to finish "
                          "(or pass --wait to queue behind it)")
    if on_wait is not None:
        on_wait(f"index {index_dir} is being written by {holder}; waiting for it to finish")
    deadline = None if wait is True else time.monotonic() + float(wait)
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                raise IndexLocked(f"index {index_dir} is still being written by {lock_holder(index_dir)} "
                                  f"after {float(wait):.0f} s") from None
            time.sleep(0.1)
