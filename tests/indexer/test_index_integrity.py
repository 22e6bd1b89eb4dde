"""The index directory does not go silently wrong: one writer at a time (readers never wait), damaged
versions named in one line and rebuilt, invariants that stop a wrong build, and no-op builds that write
nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer import manifest as mf
from indexer.build import FAISS_FILE, IndexInvariantError, build_index, check_version, index_staleness
from tests.conftest import CORPUS, ROOT

SEEDS = ("001_90ab88f17380d917.txt", "002_7aca7bcc376b2da4.txt")
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index) of two seeds, with dense vectors, built once; tests tamper with copies."""
    base = tmp_path_factory.mktemp("integrity")
    corpus = base / "corpus"
    corpus.mkdir()
    for name in SEEDS:
        shutil.copy(CORPUS / "seeds" / name, corpus / name)
    build_index(corpus, base / "index", dense=True, progress=False)
    return corpus, base / "index"


@pytest.fixture()
def copy(built: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    corpus, index = built
    shutil.copytree(corpus, tmp_path / "corpus")
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


def tree(directory: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(directory).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(directory.rglob("*")) if p.is_file() and p.name != mf.LOCK}


# ---------------------------------------------------------------------------------------------- no-op


def test_noop_build_writes_nothing_and_encodes_nothing(copy: tuple[Path, Path]) -> None:
    corpus, index = copy
    before = tree(index)
    (corpus / SEEDS[0]).touch()  # a new mtime, the same bytes: nothing changed
    result = build_index(corpus, index, dense=True, progress=False)
    assert result["published"] is False and result["changes"] == []
    assert result["seconds"] < 2.0
    assert tree(index) == before
    # in a fresh process: the check loads neither the encoder nor the segmenter
    probe = ("import sys; from indexer.build import build_index; "
             f"r = build_index({str(corpus)!r}, {str(index)!r}, dense=True, progress=False); "
             "print(r['published'], 'torch' in sys.modules, 'underthesea' in sys.modules, r['seconds'])")
    out = subprocess.run([sys.executable, "-c", probe], env=ENV, cwd=ROOT, capture_output=True, text=True, check=True)
    published, torch_loaded, segmenter_loaded, seconds = out.stdout.split()
    assert (published, torch_loaded, segmenter_loaded) == ("False", "False", "False"), out.stdout
    assert float(seconds) < 2.0


def test_any_change_is_a_reason_to_build(copy: tuple[Path, Path]) -> None:
    corpus, index = copy
    (corpus / "empty.txt").write_bytes(b"")
    first = build_index(corpus, index, dense=True, progress=False)
    assert first["published"] and "1 new" in first["changes"][0]
    assert build_index(corpus, index, dense=True, progress=False)["published"] is False  # still rejected: no-op
    (corpus / "empty.txt").write_text("Điều 1. Nay đã có nội dung.\n", encoding="utf-8")
    fixed = build_index(corpus, index, dense=True, progress=False)
    assert fixed["published"] and "could not index changed" in fixed["changes"][0]
    assert "empty" in fixed["documents"]
    (corpus / "link.txt").symlink_to("/nonexistent/file.txt")
    linked = build_index(corpus, index, dense=True, progress=False)
    assert linked["published"] and linked["changes"] == ["the paths skipped while walking the corpus changed"]
    assert linked["skipped"] == [["link.txt", "broken-link"]]
    assert index_staleness(corpus, index, need_dense=True) is None
    assert build_index(corpus, index, dense=False, progress=False)["changes"] == [
        "the index has dense vectors and a lexical-only index is asked for"]


# ---------------------------------------------------------------------------------------------- the lock

HOLD = """
import sys, time
from indexer.manifest import writer_lock
with writer_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(index: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(index), str(seconds)], env=ENV, cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_writer_fails_at_once_or_waits_and_readers_never_block(copy: tuple[Path, Path]) -> None:
    from search import Searcher

    corpus, index = copy
    (corpus / "new.txt").write_text("Điều 1. Văn bản mới.\n", encoding="utf-8")
    holder = hold_lock(index, 3.0)
    try:
        started = time.monotonic()
        with pytest.raises(mf.IndexLocked, match=rf"being written by pid {holder.pid} since .*--wait"):
            build_index(corpus, index, dense=True, progress=False)
        assert time.monotonic() - started < 1.0
        reader = Searcher.open(index)  # a reader takes no lock
        assert reader.search("ngân sách", k=3, mode="bm25")
        assert time.monotonic() - started < 2.5, "readers do not wait for the writer"
        told: list[str] = []
        result = build_index(corpus, index, dense=True, progress=False, wait=True, on_wait=told.append)
        assert result["published"] and "new" in result["documents"]
        assert told and f"pid {holder.pid}" in told[0]
        assert holder.poll() is not None, "the waiting build ran only after the holder let go"
    finally:
        holder.kill()
        holder.wait()


def test_two_concurrent_cli_builds_never_break_the_index(copy: tuple[Path, Path]) -> None:
    """The probe: two `lexvn index` on one index at once. The second fails with a clear line; with --wait
    it queues and then finds nothing to do."""
    from search import Searcher

    corpus, index = copy
    (corpus / "new.txt").write_text("Điều 1. Văn bản mới cho hai lần dựng chỉ mục.\n", encoding="utf-8")
    # lexical-only builds: the same locking, without each process loading the encoder
    command = [sys.executable, "-m", "api.cli", "index", str(corpus), "--index", str(index), "-q", "--no-dense"]
    first = subprocess.Popen(command, env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not mf.lock_holder(index).startswith("pid") and time.monotonic() < deadline:
        time.sleep(0.02)
    failing = subprocess.run(command, env=ENV, cwd=ROOT, capture_output=True, text=True)
    waiting = subprocess.run([*command, "--wait"], env=ENV, cwd=ROOT, capture_output=True, text=True)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    if failing.returncode:  # it ran while the first held the lock
        assert failing.returncode == 2
        assert failing.stderr.strip().splitlines() == [
            f"error: index {index} is being written by pid {first.pid} since "
            + failing.stderr.split(" since ")[1].split(";")[0]
            + "; wait for it to finish (or pass --wait to queue behind it)"]
    assert waiting.returncode == 0, waiting.stderr
    assert "up to date" in waiting.stdout and "Traceback" not in waiting.stderr + failing.stderr
    assert len(Searcher.open(index).documents()) == 3


# ---------------------------------------------------------------------------------------------- damage


def damage_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("name", "how"), [
    (FAISS_FILE, "truncate"), ("store.sqlite", "truncate"), ("bm25_body/vocab.index.json", "halve"),
    ("terms.npz", "delete"), ("manifest.json", "truncate")])
def test_a_damaged_version_is_one_clear_line(copy: tuple[Path, Path], name: str, how: str) -> None:
    from search import Searcher

    _corpus, index = copy
    live = mf.version_dir(index)
    target = live / name
    data = target.read_bytes()
    if how == "delete":
        target.unlink()
    else:
        target.write_bytes(data[: len(data) // 2])
    with pytest.raises(mf.IndexDamaged) as error:
        Searcher.open(index)
    message = damage_line(error.value)
    assert message.startswith(f"index version {live.name} is damaged: ")
    assert message.endswith(f"run `lexvn index CORPUS --index {index} --rebuild`")
    if name != "manifest.json":
        assert target.name in message and ("bytes" in message or "missing" in message)


def test_same_size_corruption_is_caught_by_open_or_verify(copy: tuple[Path, Path]) -> None:
    from search import Searcher

    _corpus, index = copy
    live = mf.version_dir(index)
    manifest = mf.read_manifest(live)
    mf.verify_checksums(live, manifest)
    documents = live / "store.sqlite"
    documents.write_bytes(b"x" * documents.stat().st_size)  # same size, other bytes
    with pytest.raises(mf.IndexDamaged, match="sha256 differs"):
        mf.verify_checksums(live, manifest)
    with pytest.raises(mf.IndexDamaged, match=r"a file cannot be read \(DatabaseError"):
        Searcher.open(index)


def test_vectors_that_do_not_match_their_clauses_are_damage(copy: tuple[Path, Path]) -> None:
    from indexer.vectors import VECTOR_KEYS_FILE, VectorKeys
    from search import Searcher

    _corpus, index = copy
    live = mf.version_dir(index)
    keys = VectorKeys.load(live / VECTOR_KEYS_FILE)
    keys.clause_ids.reverse()  # the ids in another order, the manifest updated: the files look whole
    keys.save(live / VECTOR_KEYS_FILE)
    manifest = mf.read_manifest(live)
    manifest.files = mf.file_table(live)
    mf.write_manifest(live, manifest)
    with pytest.raises(mf.IndexDamaged, match="its vectors do not match its clauses"):
        Searcher.open(index)


def test_a_damaged_live_version_is_rebuilt_by_the_next_build(copy: tuple[Path, Path]) -> None:
    from search import Searcher

    corpus, index = copy
    damaged = mf.version_dir(index)
    (damaged / FAISS_FILE).write_bytes(b"")
    assert "no usable index" in index_staleness(corpus, index)  # serve --corpus rebuilds it
    result = build_index(corpus, index, dense=True, progress=False)
    assert result["published"] and result["incremental"]["mode"] == "full"
    assert result["changes"][0].startswith("the live version is unusable (index version")
    assert mf.version_dir(index).name != damaged.name and not damaged.exists()
    assert Searcher.open(index).search("ngân sách", k=3)
    again = build_index(corpus, index, dense=True, progress=False, rebuild=True)
    assert again["published"] and again["changes"] == ["--rebuild"] and again["model"]["encoded"] > 0


# ---------------------------------------------------------------------------------------------- invariants


def test_a_build_reusing_wrong_vectors_is_stopped_and_the_live_version_stays(copy: tuple[Path, Path]) -> None:
    """A previous version whose vectors were swapped (its checksums updated, so it looks whole): the next
    build re-encodes a sample of the vectors it reuses, finds one that is not its clause's, and refuses."""
    import faiss

    corpus, index = copy
    live = mf.version_dir(index)
    stored = faiss.read_index(str(live / FAISS_FILE))
    rows = stored.reconstruct_n(0, stored.ntotal)
    rows[[0, 1]] = rows[[1, 0]]
    swapped = faiss.IndexFlatIP(stored.d)
    swapped.add(np.ascontiguousarray(rows))
    faiss.write_index(swapped, str(live / FAISS_FILE))
    manifest = mf.read_manifest(live)
    manifest.files = mf.file_table(live)
    mf.write_manifest(live, manifest)
    first = corpus / SEEDS[0]  # its clauses come first: their vectors are the swapped rows
    first.write_text(first.read_text(encoding="utf-8") + "\nĐiều bổ sung. Một điều khoản mới.\n", encoding="utf-8")
    before = tree(index)
    with pytest.raises(IndexInvariantError, match="not its passage's"):
        build_index(corpus, index, dense=True, progress=False)
    assert tree(index) == before and mf.version_dir(index) == live
    assert not list(index.glob(f"{mf.TMP_PREFIX}*"))


def test_lexical_invariants() -> None:
    from indexer.build import TermRows
    from indexer.model import Document, DocumentMeta

    def doc(doc_id: str, source: str) -> Document:
        return Document(doc_id, source, "h", "txt", "utf-8", "", DocumentMeta())

    rows = {"body": TermRows([], np.zeros((0, 0))), "head": TermRows([], np.zeros((0, 0)))}
    entries = {"a": mf.DocumentEntry("a.txt", "h", 0)}
    with pytest.raises(IndexInvariantError, match="share the document id 'a'"):
        check_version([doc("a", "a.txt"), doc("a", "b/a.txt")], [0, 0], entries, rows, [0, 0])
    with pytest.raises(IndexInvariantError, match="clause id prefix 'a-b'"):
        check_version([doc("a b", "a b.txt"), doc("a/b", "a/b.txt")], [0, 0], {"a b": 1, "a/b": 2}, rows, [0, 0])
    with pytest.raises(IndexInvariantError, match="lists 1 documents for 2"):
        check_version([doc("a", "a.txt"), doc("b", "b.txt")], [0, 0], entries, rows, [0, 0])
    with pytest.raises(IndexInvariantError, match="BM25 field 0: 3 rows for 0 clauses"):
        check_version([doc("a", "a.txt")], [0], entries, rows, [3, 0])
