"""The index directory: versioned sub-directories, a manifest, and an atomic switch between versions.

Layout of `INDEX_DIR`:

    INDEX_DIR/CURRENT          name of the live version directory (one line)
    INDEX_DIR/v-<time>-<pid>/  one complete index: manifest.json, documents.jsonl, documents.index.jsonl
                               (per-document offsets and metadata), bm25_body/, bm25_head/, terms.npz
                               (per-clause term counts), dense.faiss (unless --no-dense), segcache.tsv,
                               ingest_report.json

A build writes a new version into `INDEX_DIR/.tmp-v-…`, renames it to `v-…` when complete, then replaces
`CURRENT` with `os.replace` (atomic on POSIX). Until that last step readers see the previous version,
untouched; a build killed at any point leaves at worst a stale `.tmp-*` directory, removed by the next
build. Old versions are deleted only after the switch.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
POINTER = "CURRENT"
MANIFEST = "manifest.json"
TMP_PREFIX = ".tmp-"


class IndexError_(Exception):
    """Base class of index-directory problems (named with a trailing _ to avoid shadowing IndexError)."""


class IndexNotFound(IndexError_):
    pass


class IndexFormatError(IndexError_):
    pass


class IndexModelMismatch(IndexError_):
    pass


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        documents = {doc_id: DocumentEntry(**entry) for doc_id, entry in data.get("documents", {}).items()}
        return cls(**{**data, "documents": documents})


def version_dir(index_dir: Path) -> Path:
    """The live version of an index; raises IndexNotFound with a hint when there is none."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexNotFound(f"no index at {index_dir} (missing {POINTER}); build one with `lexvn index`")
    live = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not (live / MANIFEST).is_file():
        raise IndexNotFound(f"index at {index_dir} points at {live.name}, which has no {MANIFEST}")
    return live


def read_manifest(directory: Path) -> Manifest:
    """Manifest of a version directory, refusing other format versions with a clear message."""
    data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    found = data.get("format_version")
    if found != FORMAT_VERSION:
        raise IndexFormatError(
            f"index {directory} has format version {found}, this lexvn reads version {FORMAT_VERSION}; "
            "rebuild it with `lexvn index`"
        )
    return Manifest.from_dict(data)


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
        if child.name == keep or child.name == POINTER:
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
