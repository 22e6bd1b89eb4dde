"""A real, messy folder: colliding stems, links inside and out of the corpus, a non-UTF-8 and an NFD file
name, a pipe. Walking reports every path it skips, ids are unique and stable, and every clause's vector is
its own, on flat and HNSW indexes and after an incremental update."""

from __future__ import annotations

import os
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from indexer import manifest as mf
from indexer.build import build_index, index_staleness
from indexer.load import name_text, walk_corpus
from indexer.pipeline import assign_doc_ids, ingest_corpus, url_form
from tests.conftest import CORPUS

SEED_002 = "002_7aca7bcc376b2da4"
BUDGET = '"0,5% tổng chi ngân sách"'
NON_UTF8 = os.fsdecode(b"b\xe1o_c\xe1o.txt")  # "báo_cáo" in latin-1: not UTF-8
NFD = unicodedata.normalize("NFD", "hoá_đơn.txt")
HTML = ("<html><head><title>Cổng thông tin</title></head><body><article>"
        + "<p>Quyết định về việc vận hành cổng thông tin điện tử của tỉnh, bảo đảm công khai văn bản quy phạm "
          "pháp luật và tiếp nhận phản ánh của người dân về thủ tục hành chính.</p>" * 4
        + "</article></body></html>")


def text(title: str, body: str) -> str:
    return f"KẾ HOẠCH\n{title}\nI. MỤC ĐÍCH\n1. {body}\n2. Tổ chức thực hiện và báo cáo kết quả định kỳ.\n"


def make_messy(root: Path, outside: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    seed = (CORPUS / "seeds" / f"{SEED_002}.txt").read_text(encoding="utf-8")
    (root / f"{SEED_002}.txt").write_text(seed, encoding="utf-8")
    (root / "sub" / f"{SEED_002}.txt").write_text(seed + "\nĐiều bổ sung. Bản trong thư mục con có thêm điều này.\n",
                                                  encoding="utf-8")
    (root / "trang_web.txt").write_text(text("Trang web", "Công khai thông tin trên trang web của tỉnh."), "utf-8")
    (root / "trang_web.html").write_text(HTML, encoding="utf-8")
    (root / NON_UTF8).write_text(text("Báo cáo", "Báo cáo tình hình thực hiện nhiệm vụ năm 2025."), "utf-8")
    (root / NFD).write_text(text("Hoá đơn", "Triển khai hoá đơn điện tử trong toàn tỉnh."), "utf-8")
    (root / "ke hoach 2025.txt").write_text(text("Kế hoạch năm", "Thực hiện chuyển đổi số năm 2025."), "utf-8")
    (root / "sub" / "ghi_chu.txt").write_text(text("Ghi chú", "Ghi chú về lịch họp của ban chỉ đạo."), "utf-8")
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text(text("Bí mật", "Văn bản ngoài kho."), "utf-8")
    (outside / "folder" / "other.txt").write_text(text("Khác", "Văn bản khác ngoài kho."), "utf-8")
    (root / "link_out.txt").symlink_to(outside / "secret.txt")
    (root / "linked_out_dir").symlink_to(outside / "folder")
    (root / "alias.txt").symlink_to(root / "trang_web.txt")  # inside: followed, a second path to one file
    (root / "sub_link").symlink_to(root / "sub")
    (root / "dangling.txt").symlink_to(root / "nope.txt")
    (root / "sub" / "loop").symlink_to(root)
    os.mkfifo(root / "pipe.txt")  # reading it would block the build forever
    (root / ".hidden.txt").write_text("not part of the corpus", "utf-8")
    return root


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("messy")
    return make_messy(base / "corpus", base / "outside")


EXPECTED_IDS = {
    f"{SEED_002}.txt": SEED_002,
    f"sub/{SEED_002}.txt": f"sub/{SEED_002}",
    "trang_web.txt": "trang_web.txt",
    "trang_web.html": "trang_web.html",
    "b\\xe1o_c\\xe1o.txt": "b\\xe1o_c\\xe1o",
    "hoá_đơn.txt": "hoá_đơn",
    "ke hoach 2025.txt": "ke hoach 2025",
    "sub/ghi_chu.txt": "ghi_chu",
}
EXPECTED_SKIPPED = {
    ".hidden.txt": "hidden",
    "alias.txt": "duplicate",
    "dangling.txt": "broken-link",
    "link_out.txt": "link-outside",
    "linked_out_dir": "link-outside",
    "pipe.txt": "not-a-file",
    "sub/loop": "link-loop",
    f"sub_link/{SEED_002}.txt": "duplicate",
    "sub_link/ghi_chu.txt": "duplicate",
    "sub_link/loop": "link-loop",
}


def test_walking_names_every_file_once_and_every_skipped_path(messy: Path) -> None:
    listing = walk_corpus(messy)
    assert [f.source for f in listing.files] == sorted(EXPECTED_IDS)
    assert {s.path: s.reason for s in listing.skipped} == EXPECTED_SKIPPED
    by_path = {s.path: s for s in listing.skipped}
    assert by_path["alias.txt"].detail == "same file as trang_web.txt"  # the plain path is kept, not the link
    assert "outside" in by_path["link_out.txt"].detail
    # the non-UTF-8 name is readable text, and its file is still the one opened
    odd = next(f for f in listing.files if f.source.startswith("b"))
    assert odd.source == "b\\xe1o_c\\xe1o.txt" and odd.path.read_text("utf-8").startswith("KẾ HOẠCH")
    assert name_text(NFD) == "hoá_đơn.txt" != NFD


def test_ids_keep_the_stem_where_unique_and_are_unique_everywhere() -> None:
    assert assign_doc_ids(["a/x.txt", "b/y.txt"]) == {"a/x.txt": "x", "b/y.txt": "y"}
    assert assign_doc_ids(["x.txt", "sub/x.txt"]) == {"x.txt": "x", "sub/x.txt": "sub/x"}
    assert assign_doc_ids(["p.txt", "p.html"]) == {"p.txt": "p.txt", "p.html": "p.html"}
    # equal once URL-safe (clause ids replace spaces and slashes): still two ids, two clause-id prefixes
    ids = assign_doc_ids(["a b.txt", "a-b.txt", "a/b.txt"])
    assert ids == {"a/b.txt": "b", "a b.txt": "a b.txt", "a-b.txt": "a-b.txt~2"}
    assert len({url_form(id_) for id_ in ids.values()}) == 3
    # the same files give the same ids in any order
    assert assign_doc_ids(reversed(list(EXPECTED_IDS))) == EXPECTED_IDS
    assert assign_doc_ids([unicodedata.normalize("NFD", "hoá.txt")]) == {"hoá.txt": "hoá"}


def test_ingest_report_lists_skipped_paths_and_problems(messy: Path) -> None:
    documents, report = ingest_corpus(messy, progress=False)
    assert {d.source: d.doc_id for d in documents} == EXPECTED_IDS
    assert {s.path: s.reason for s in report.skipped} == EXPECTED_SKIPPED
    assert not report.problems
    for document in documents:
        prefix = url_form(document.doc_id) + ":"  # "sub/002_…" → "sub-002_…:…", "b\\xe1o…" → "b-xe1o…:…"
        assert all(c.id.startswith(prefix) and c.doc_id == document.doc_id for c in document.clauses)


def own_vectors(index_dir: Path) -> None:
    """Every clause's stored vector is a fresh encoding of its own passage (nothing taken from the index's
    own bookkeeping), and /documents-style lookups return the right file."""
    from indexer.embed import Encoder
    from indexer.vectors import clause_passage
    from search import Searcher

    searcher = Searcher.open(index_dir)
    encoder = Encoder(searcher.manifest["dense"]["model"])
    for info in searcher.documents():
        document = searcher.get_document(info.doc_id)
        stored = searcher.clause_vectors(info.doc_id)
        fresh = encoder.encode_passages([clause_passage(c) for c in document.clauses],
                                        languages=[c.language for c in document.clauses])
        assert stored.shape == fresh.shape, info.doc_id
        cosines = np.einsum("ij,ij->i", stored, fresh)
        assert cosines.min() > 0.99, (info.doc_id, document.clauses[int(cosines.argmin())].id)
    assert searcher.clause_count == sum(info.clause_count for info in searcher.documents())


def test_messy_corpus_indexes_with_identities_and_own_vectors(messy: Path, tmp_path: Path) -> None:
    from search import Searcher

    index_dir = tmp_path / "index"
    result = build_index(messy, index_dir, dense=True, progress=False)
    assert result["published"] and result["model"]["faiss"] == "flat"
    assert {entry["source"]: doc_id for doc_id, entry in result["documents"].items()} == EXPECTED_IDS
    assert result["counts"]["documents"] == len(EXPECTED_IDS)
    assert "link_out.txt" in result["report_text"] and "link-outside" in result["report_text"]
    assert index_staleness(messy, index_dir, need_dense=True) is None  # was "2 new" straight after a build
    own_vectors(index_dir)
    searcher = Searcher.open(index_dir)
    assert searcher.get_document(SEED_002).source == f"{SEED_002}.txt"
    assert searcher.get_document(f"sub/{SEED_002}").source == f"sub/{SEED_002}.txt"
    hits = searcher.search(BUDGET, k=10, mode="phrase")
    assert {h.doc_id for h in hits} == {SEED_002, f"sub/{SEED_002}"}
    for hit in hits:  # each citation's text is in the file it names
        assert hit.text in (messy / hit.source).read_text(encoding="utf-8")


def test_hnsw_index_and_incremental_update_keep_vectors_own(messy: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer import embed

    monkeypatch.setattr(embed, "HNSW_THRESHOLD", 0)
    monkeypatch.setattr(embed, "MAX_TOMBSTONE_FRACTION", 0.9)
    # an 8-bit quantiser trained on a few clauses cannot hold new vectors (the graph would be rebuilt): fp16
    # keeps this test on the in-place update
    monkeypatch.setattr(embed, "HNSW_STORAGE", "QT_fp16")
    corpus = tmp_path / "corpus"
    shutil.copytree(messy, corpus, symlinks=True, ignore=lambda d, names: [n for n in names if n == "pipe.txt"])
    index_dir = tmp_path / "index"
    first = build_index(corpus, index_dir, dense=True, progress=False)
    assert first["model"]["faiss"] == "hnsw"
    own_vectors(index_dir)

    # an edit, a new file that sorts first (every position shifts), a removal, and a second ghi_chu.txt that
    # changes an unchanged file's id from its stem to its path
    edited = corpus / "ke hoach 2025.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "3. Bổ sung nhiệm vụ về dữ liệu mở.\n", "utf-8")
    (corpus / "000_first.txt").write_text(text("Mở đầu", "Văn bản mới xếp trước mọi văn bản khác."), "utf-8")
    (corpus / "trang_web.html").unlink()
    (corpus / "sub2").mkdir()
    (corpus / "sub2" / "ghi_chu.txt").write_text(text("Ghi chú khác", "Một ghi chú khác cùng tên tệp."), "utf-8")
    update = build_index(corpus, index_dir, dense=True, progress=False)
    assert update["model"]["faiss"] == "hnsw" and update["incremental"]["mode"] == "incremental"
    assert 0 < update["model"]["encoded"] < update["counts"]["clauses"]
    stored = embed.labels(embed.load_faiss(mf.version_dir(index_dir) / "dense.faiss"))
    assert (stored < 0).any(), "the graph was updated in place, with tombstones"
    assert {"sub/ghi_chu", "sub2/ghi_chu", "trang_web"} <= set(update["documents"])
    assert "ghi_chu" not in update["documents"]
    own_vectors(index_dir)
