"""Killing `lexvn index` in the middle of a build leaves the previous index loadable and unchanged."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from indexer import manifest as mf
from tests.conftest import CORPUS, ROOT, VLC

# Big enough that segmentation runs for seconds; small enough to copy quickly.
BIG_LAWS = 3


def tree_digest(directory: Path) -> dict[str, str]:
    """Every file's sha256 but the writer lock's (the killed build wrote its pid there; the kernel released
    the lock itself)."""
    return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file() and p.name != mf.LOCK}


def lexvn(*args: str) -> list[str]:
    return [sys.executable, "-c", "from api.cli import main; main()", *args]


def test_sigkill_during_build_leaves_previous_index(tmp_path: Path):
    from search import Searcher

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "seeds" / "002_7aca7bcc376b2da4.txt", corpus)
    index_dir = tmp_path / "index"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    subprocess.run(lexvn("index", str(corpus), "--index", str(index_dir), "--no-dense", "-q"),
                   check=True, env=env, cwd=ROOT, capture_output=True)
    before_pointer = (index_dir / mf.POINTER).read_text()
    before = tree_digest(index_dir)
    expected = [h.clause_id for h in Searcher.open(index_dir).search("ngân sách", k=5, mode="bm25")]

    # A larger corpus (new files: nothing reusable) so the build is still running when killed.
    sources = sorted(VLC.glob("*.txt"), key=lambda p: p.stat().st_size)[-BIG_LAWS:] if VLC.is_dir() else []
    for source in sources:
        shutil.copy(source, corpus)
    for name in ("000_4c6edb8a98047afa.txt", "003_9f40a26defcbfd25.txt", "004_8cdda1c3c077ca03.txt"):
        shutil.copy(CORPUS / "seeds" / name, corpus)
    process = subprocess.Popen(lexvn("index", str(corpus), "--index", str(index_dir), "--no-dense", "-q"),
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_while_writing = False
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        temps = [p for p in index_dir.glob(f"{mf.TMP_PREFIX}v-*") if p.is_dir()]
        if temps and any(temps[0].iterdir()):  # the new version has started writing files
            process.send_signal(signal.SIGKILL)
            killed_while_writing = True
            break
        time.sleep(0.01)
    process.wait(timeout=30)
    assert killed_while_writing, "the build finished before it could be killed; make the corpus larger"

    assert (index_dir / mf.POINTER).read_text() == before_pointer
    after = tree_digest(index_dir)
    assert {k: v for k, v in after.items() if not k.startswith(mf.TMP_PREFIX)} == before
    searcher = Searcher.open(index_dir)
    assert [h.clause_id for h in searcher.search("ngân sách", k=5, mode="bm25")] == expected
    assert len(searcher.documents()) == 1

    # The next build completes and removes the killed build's leftovers.
    for source in sources:
        (corpus / source.name).unlink()
    subprocess.run(lexvn("index", str(corpus), "--index", str(index_dir), "--no-dense", "-q"),
                   check=True, env=env, cwd=ROOT, capture_output=True)
    assert not list(index_dir.glob(f"{mf.TMP_PREFIX}*"))
    assert len(Searcher.open(index_dir).documents()) == 4
