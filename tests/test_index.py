"""Index directory: manifest, incremental updates, model and format checks, model resolution."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer import manifest as mf
from indexer.build import FAISS_FILE, build_index
from indexer.embed import ModelNotFound, resolve_model
from tests.conftest import CORPUS

SMALL = ("001_90ab88f17380d917.txt", "002_7aca7bcc376b2da4.txt")


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / "seeds" / name, root / name)
    return root


def test_manifest_of_the_seed_index(seed_index: Path):
    live = mf.version_dir(seed_index)
    manifest = mf.read_manifest(live)
    assert manifest.format_version == mf.FORMAT_VERSION
    assert manifest.model["name"] == "minilm" and manifest.model["dimension"] == 384
    assert manifest.model["faiss"] == "flat"
    assert set(manifest.documents) == {p.stem for p in (CORPUS / "seeds").glob("*.txt")}
    entry = manifest.documents["002_7aca7bcc376b2da4"]
    assert entry.source == "seeds/002_7aca7bcc376b2da4.txt" and len(entry.content_hash) == 64
    assert manifest.counts["clauses"] == sum(e.clauses for e in manifest.documents.values())
    assert {"parse", "segment", "bm25", "encode", "faiss"} <= set(manifest.timings)
    assert (live / "ingest_report.json").is_file()
    assert manifest.built_at


def test_incremental_update_reprocesses_only_changed_documents(small_corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    first = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert first["incremental"]["mode"] == "full"
    unchanged = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert unchanged["incremental"]["mode"] == "incremental"
    assert unchanged["incremental"]["reprocessed"] == 0
    assert unchanged["model"]["encoded"] == 0
    assert unchanged["counts"]["segment_cache_misses"] == 0

    changed = small_corpus / SMALL[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nBổ sung một đoạn mới về ngân sách khoa học.\n",
                       encoding="utf-8")
    (small_corpus / "new.txt").write_text("Kế hoạch thí điểm chuyển đổi số trong công tác văn thư lưu trữ.\n",
                                          encoding="utf-8")
    (small_corpus / SMALL[0]).unlink()
    second = build_index(small_corpus, index_dir, dense=True, progress=False)
    info = second["incremental"]
    assert info["mode"] == "incremental"
    assert info["reused"] == 0 and info["reprocessed"] == 2
    assert info["removed"] == [SMALL[0]]
    assert set(second["documents"]) == {"002_7aca7bcc376b2da4", "new"}
    assert second["model"]["encoded"] == second["counts"]["clauses"]

    third = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert third["incremental"]["reused"] == 2 and third["model"]["encoded"] == 0

    from search import Searcher

    searcher = Searcher.open(index_dir)
    assert searcher.search('"chuyển đổi số trong công tác văn thư"', mode="phrase")[0].doc_id == "new"
    assert not searcher.search('"Resolution No. 57-NQ/TW"', mode="phrase")
    # the reused vectors are the ones a fresh build computes
    import faiss
    import numpy as np

    fresh_dir = tmp_path / "fresh"
    build_index(small_corpus, fresh_dir, dense=True, progress=False)
    reused = faiss.read_index(str(mf.version_dir(index_dir) / FAISS_FILE))
    fresh = faiss.read_index(str(mf.version_dir(fresh_dir) / FAISS_FILE))
    assert np.allclose(reused.reconstruct_n(0, reused.ntotal), fresh.reconstruct_n(0, fresh.ntotal), atol=1e-4)


def test_only_one_version_is_kept(small_corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, dense=False, progress=False)
    build_index(small_corpus, index_dir, dense=False, progress=False)
    names = sorted(p.name for p in index_dir.iterdir())
    assert names == [mf.POINTER, mf.version_dir(index_dir).name]


def test_no_dense_index_has_no_model(small_corpus: Path, tmp_path: Path):
    from search import Searcher

    index_dir = tmp_path / "index"
    result = build_index(small_corpus, index_dir, dense=False, progress=False)
    assert result["model"] is None
    searcher = Searcher.open(index_dir)
    assert searcher.search("ngân sách", mode="bm25")
    assert searcher.search("ngân sách", mode="hybrid")  # lexical + phrase only
    with pytest.raises(ValueError, match="no-dense"):
        searcher.search("ngân sách", mode="dense")


def test_other_model_or_format_fails_clearly(seed_index: Path, tmp_path: Path):
    from search import Searcher

    with pytest.raises(mf.IndexModelMismatch, match="minilm"):
        Searcher.open(seed_index, model="some-other-model")
    copy = tmp_path / "copy"
    shutil.copytree(seed_index, copy)
    live = mf.version_dir(copy)
    data = json.loads((live / mf.MANIFEST).read_text(encoding="utf-8"))
    data["format_version"] = mf.FORMAT_VERSION + 1
    (live / mf.MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(mf.IndexFormatError, match="rebuild"):
        Searcher.open(copy)


def test_missing_index_is_reported(tmp_path: Path):
    from search import Searcher

    with pytest.raises(mf.IndexNotFound, match="lexvn index"):
        Searcher.open(tmp_path / "nothing")


def test_resolve_model_names():
    path, prompts = resolve_model("minilm")
    assert (path / "config.json").is_file() and prompts == {}
    with pytest.raises(ModelNotFound, match="never downloads"):
        resolve_model("no-such-model-anywhere")


def test_resolve_model_reads_packaged_prompts(tmp_path: Path):
    model_dir = tmp_path / "multilingual-e5-small"
    model_dir.mkdir()
    assert resolve_model(str(model_dir))[1] == {"query": "query: ", "passage": "passage: "}
    (model_dir / "lexvn_model.json").write_text(json.dumps({"prompts": {"query": "Q: "}}), encoding="utf-8")
    assert resolve_model(str(model_dir))[1] == {"query": "Q: "}
