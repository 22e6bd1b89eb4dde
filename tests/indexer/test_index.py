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
    assert manifest.model["name"] == "lexvn-static-vi" and manifest.model["dimension"] == 256
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
    unchanged = build_index(small_corpus, index_dir, dense=True, progress=False)  # a no-op: see test_noop_build
    assert not unchanged["published"] and unchanged["version"] == mf.version_dir(index_dir).name

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
    # vectors are keyed by passage: of the changed document only the clause the new paragraph joined is
    # encoded again, with the new document's clause; the other 30 keep their vectors
    assert 2 <= second["model"]["encoded"] <= 3 < second["counts"]["clauses"]

    (small_corpus / "tiny.txt").write_text("Điều 1. Một văn bản rất ngắn.\n", encoding="utf-8")
    third = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert third["incremental"]["reused"] == 2 and third["model"]["encoded"] == third["documents"]["tiny"]["clauses"]
    assert third["counts"]["segment_cache_misses"] <= third["documents"]["tiny"]["clauses"] * 2
    (small_corpus / "tiny.txt").unlink()
    assert build_index(small_corpus, index_dir, dense=True, progress=False)["model"]["encoded"] == 0

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
    first = build_index(small_corpus, index_dir, dense=False, progress=False)
    (small_corpus / "tiny.txt").write_text("Điều 1. Một văn bản rất ngắn.\n", encoding="utf-8")
    second = build_index(small_corpus, index_dir, dense=False, progress=False)
    assert second["version"] != first["version"]
    names = sorted(p.name for p in index_dir.iterdir())
    assert names == [mf.LOCK, mf.POINTER, mf.version_dir(index_dir).name]


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

    with pytest.raises(mf.IndexModelMismatch, match="lexvn-static-vi"):
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


def _lexical_scores(index_dir: Path, queries: list[str]) -> list[list[float]]:
    from search import Searcher
    from search.retrieve import LexicalRetriever

    searcher = Searcher.open(index_dir)
    lexical: LexicalRetriever = searcher.lexical
    return [lexical.scores(query.split()).tolist() for query in queries]


def test_incremental_bm25_equals_full_build(small_corpus: Path, tmp_path: Path):
    index_dir, fresh_dir = tmp_path / "index", tmp_path / "fresh"
    build_index(small_corpus, index_dir, dense=False, progress=False)
    changed = small_corpus / SMALL[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nĐiều bổ sung. Quỹ phát triển khoa học xanh.\n",
                       encoding="utf-8")
    (small_corpus / "new.txt").write_text("Kế hoạch thí điểm chuyển đổi số trong công tác văn thư lưu trữ.\n",
                                          encoding="utf-8")
    update = build_index(small_corpus, index_dir, dense=False, progress=False)
    assert update["incremental"]["reused"] == 1 and update["incremental"]["reprocessed"] == 2
    build_index(small_corpus, fresh_dir, dense=False, progress=False)
    queries = ["ngân_sách ngân sách", "khoa học xanh", "chuyển đổi số văn thư", "nghị quyết", "quỹ phát triển"]
    assert _lexical_scores(index_dir, queries) == _lexical_scores(fresh_dir, queries)
    (small_corpus / "new.txt").unlink()
    build_index(small_corpus, index_dir, dense=False, progress=False)  # a removed document
    shutil.rmtree(fresh_dir)
    build_index(small_corpus, fresh_dir, dense=False, progress=False)
    assert _lexical_scores(index_dir, queries) == _lexical_scores(fresh_dir, queries)
    live = mf.version_dir(index_dir)
    from indexer.store import TABLE_FILE, ClauseTable, read_documents

    # unchanged documents' rows copied, changed ones encoded: the same store and clause table a full build writes
    fresh = mf.version_dir(fresh_dir)
    assert [d.to_dict() for d in read_documents(live)] == [d.to_dict() for d in read_documents(fresh)]
    ours, theirs = ClauseTable.load(live / TABLE_FILE), ClauseTable.load(fresh / TABLE_FILE)
    for name in ("doc", "language", "kind", "lead", "unit", "bare_section"):
        assert getattr(ours, name).tolist() == getattr(theirs, name).tolist(), name
    assert mf.read_manifest(live).counts["vocabulary"] == mf.read_manifest(mf.version_dir(fresh_dir)).counts["vocabulary"]


def test_dense_build_over_a_lexical_version_encodes_every_clause(small_corpus: Path, tmp_path: Path):
    """Documents taken over without their clauses (light) are read in full when their vectors are missing."""
    import faiss

    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, dense=False, progress=False)
    build_index(small_corpus, index_dir, dense=False, progress=False)  # a version with the light index
    dense = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert dense["incremental"]["reused"] == 2
    assert dense["model"]["encoded"] == dense["counts"]["clauses"] > 0
    index = faiss.read_index(str(mf.version_dir(index_dir) / FAISS_FILE))
    assert index.ntotal == dense["counts"]["clauses"]


def test_hnsw_update_keeps_the_graph_and_finds_what_a_rebuild_finds(small_corpus: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    """An incremental dense build renumbers the HNSW index, tombstones changed rows and adds new ones."""
    import numpy as np

    from indexer import embed
    from search import Searcher

    monkeypatch.setattr(embed, "HNSW_THRESHOLD", 0)
    monkeypatch.setattr(embed, "MAX_TOMBSTONE_FRACTION", 0.9)
    # fp16 needs no training: an 8-bit quantiser trained on this tiny corpus cannot hold the new vectors, and
    # the graph would be rebuilt (test_an_8_bit_graph_that_cannot_hold_new_vectors_is_rebuilt)
    monkeypatch.setattr(embed, "HNSW_STORAGE", "QT_fp16")
    index_dir, fresh_dir = tmp_path / "index", tmp_path / "fresh"
    first = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert first["model"]["faiss"] == "hnsw"
    (small_corpus / "000_new.txt").write_text("Kế hoạch thí điểm chuyển đổi số trong công tác văn thư lưu trữ.\n",
                                              encoding="utf-8")  # sorts first: every position shifts
    changed = small_corpus / SMALL[1]
    # one clause reworded (its old vector becomes a tombstone), one added; the others keep their vectors
    changed.write_text(changed.read_text(encoding="utf-8").replace("ngân sách", "ngân quỹ", 1)
                       + "\nĐiều bổ sung. Quỹ phát triển khoa học xanh.\n", encoding="utf-8")
    update = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert update["model"]["encoded"] < update["counts"]["clauses"]
    stored = embed.labels(embed.load_faiss(mf.version_dir(index_dir) / FAISS_FILE))
    assert (stored < 0).sum() > 0  # the reworded clause's old vector is a tombstone
    assert sorted(stored[stored >= 0].tolist()) == list(range(update["counts"]["clauses"]))
    build_index(small_corpus, fresh_dir, dense=True, progress=False)
    ours, fresh = Searcher.open(index_dir), Searcher.open(fresh_dir)
    for query in ("chuyển đổi số văn thư", "quỹ phát triển khoa học", "ngân sách nhà nước", "Resolution 57"):
        got = [h.clause_id for h in ours.search(query, k=10, mode="dense")]
        expected = [h.clause_id for h in fresh.search(query, k=10, mode="dense")]
        assert got == expected, query
        assert len(got) == 10
    # the vectors reused by position are the ones a fresh build stores there
    assert np.allclose(embed.stored_vectors(ours.dense.index), embed.stored_vectors(fresh.dense.index), atol=1e-4)
    # and the public per-document access (cross-checking's) reads them through the tombstones
    for info in ours.documents():
        assert np.allclose(ours.clause_vectors(info.doc_id), fresh.clause_vectors(info.doc_id), atol=1e-4), info.doc_id
    assert ours.clause_vectors("no-such-document") is None


def test_an_8_bit_graph_that_cannot_hold_new_vectors_is_rebuilt(small_corpus: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    """Added vectors beyond the ranges the quantiser was trained on would be clipped: the graph is rebuilt
    instead (no tombstones), and every stored vector is its clause's, to the 8-bit codes' precision."""
    import numpy as np

    from indexer import embed
    from indexer.vectors import clause_passage
    from search import Searcher

    monkeypatch.setattr(embed, "HNSW_THRESHOLD", 0)
    monkeypatch.setattr(embed, "MAX_TOMBSTONE_FRACTION", 0.9)
    assert embed.HNSW_STORAGE == "QT_8bit"
    index_dir = tmp_path / "index"
    build_index(small_corpus, index_dir, dense=True, progress=False)
    held = embed.load_faiss(mf.version_dir(index_dir) / FAISS_FILE)
    encoder = embed.Encoder()
    new = encoder.encode_passages(["Kế hoạch thí điểm chuyển đổi số trong công tác văn thư lưu trữ."])
    assert embed.quantisable(held, embed.stored_vectors(held))  # its own vectors it holds
    assert not embed.quantisable(held, new)
    (small_corpus / "000_new.txt").write_text("Kế hoạch thí điểm chuyển đổi số trong công tác văn thư lưu trữ.\n",
                                              encoding="utf-8")
    update = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert update["model"]["encoded"] < update["counts"]["clauses"]  # vectors reused, the graph rebuilt
    stored = embed.labels(embed.load_faiss(mf.version_dir(index_dir) / FAISS_FILE))
    assert sorted(stored.tolist()) == list(range(update["counts"]["clauses"]))
    searcher = Searcher.open(index_dir)
    for info in searcher.documents():
        clauses = searcher.get_document(info.doc_id).clauses
        fresh = encoder.encode_passages([clause_passage(c) for c in clauses], languages=[c.language for c in clauses])
        vectors = searcher.clause_vectors(info.doc_id)
        cosines = np.einsum("ij,ij->i", vectors, fresh) / np.linalg.norm(vectors, axis=1)
        assert cosines.min() > embed.MIN_STORED_COSINE, info.doc_id


def test_new_graph_parameters_rebuild_the_graph_and_keep_the_vectors(small_corpus: Path, tmp_path: Path,
                                                                      monkeypatch):
    """An HNSW graph built with other parameters (older, lower-recall ones) is stale; the rebuild re-encodes
    nothing and records the new parameters."""
    from indexer import embed
    from indexer.build import index_staleness

    monkeypatch.setattr(embed, "HNSW_THRESHOLD", 0)
    monkeypatch.setattr(embed, "HNSW_EF_CONSTRUCTION", 40)
    index_dir = tmp_path / "index"
    first = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert first["model"]["graph"] == {"m": embed.HNSW_M, "ef_construction": 40, "storage": embed.HNSW_STORAGE}
    assert index_staleness(small_corpus, index_dir, need_dense=True) is None
    monkeypatch.setattr(embed, "HNSW_EF_CONSTRUCTION", 400)
    assert "HNSW graph" in index_staleness(small_corpus, index_dir, need_dense=True)
    second = build_index(small_corpus, index_dir, dense=True, progress=False)
    assert second["model"]["encoded"] == 0
    assert second["model"]["graph"] == {"m": embed.HNSW_M, "ef_construction": 400, "storage": embed.HNSW_STORAGE}
    assert index_staleness(small_corpus, index_dir, need_dense=True) is None


def test_retrained_weights_under_the_same_name_make_the_index_stale(small_corpus: Path, tmp_path: Path):
    """An index remembers a fingerprint of its model's files: new weights under the same name or path are
    re-encoded, not silently mixed with the old vectors; editing the model card changes nothing."""
    from safetensors.numpy import load_file, save_file

    from indexer.build import index_staleness

    model_dir = tmp_path / "my-model"
    shutil.copytree(resolve_model("lexvn-static-vi")[0], model_dir)
    index_dir = tmp_path / "index"
    first = build_index(small_corpus, index_dir, dense=True, model=str(model_dir), progress=False)
    assert first["model"]["fingerprint"] and first["model"]["encoded"] == first["counts"]["clauses"]
    assert index_staleness(small_corpus, index_dir, need_dense=True, model=str(model_dir)) is None

    (model_dir / "README.md").write_text("edited card\n", encoding="utf-8")
    assert index_staleness(small_corpus, index_dir, need_dense=True, model=str(model_dir)) is None

    weights = load_file(str(model_dir / "model.safetensors"))
    save_file({name: (array * 0.5 + 0.01).astype(array.dtype) for name, array in weights.items()},
              str(model_dir / "model.safetensors"))
    reason = index_staleness(small_corpus, index_dir, need_dense=True, model=str(model_dir))
    assert reason is not None and "other weights" in reason
    second = build_index(small_corpus, index_dir, dense=True, model=str(model_dir), progress=False)
    assert second["model"]["encoded"] == second["counts"]["clauses"]
    assert second["model"]["fingerprint"] != first["model"]["fingerprint"]
    assert index_staleness(small_corpus, index_dir, need_dense=True, model=str(model_dir)) is None
