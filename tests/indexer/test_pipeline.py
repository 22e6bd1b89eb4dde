"""The whole ingestion on a messy corpus: the seeds next to an empty, a binary, a truncated PDF, a
windows-1258 file and an unsupported one. Problems are reported, everything else is processed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from indexer.model import Document, IngestReport
from indexer.pipeline import format_report, ingest_corpus, ingest_file, write_report
from tests.conftest import CORPUS
from tests.helpers import encode_cp1258, make_pdf

SEED_NAMES = sorted(p.name for p in (CORPUS / "seeds").glob("*.txt"))
LEGACY_TEXT = (
    "KẾ HOẠCH\nThực hiện Nghị quyết số 66-NQ/TW ngày 30/4/2025 của Bộ Chính trị\n"
    "I. MỤC ĐÍCH\n1. Bảo đảm sự lãnh đạo toàn diện của Đảng trong công tác xây dựng pháp luật.\n"
    "2. Nâng cao hiệu quả thi hành pháp luật, xây dựng văn hóa tuân thủ pháp luật.\n"
)


@pytest.fixture(scope="module")
def messy_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Document], IngestReport]:
    root = tmp_path_factory.mktemp("messy")
    shutil.copytree(CORPUS / "seeds", root / "seeds")
    shutil.copy(CORPUS / "metadata.json", root / "metadata.json")
    broken = root / "broken"
    broken.mkdir()
    (broken / "empty.txt").write_bytes(b"")
    (broken / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(2048))
    pdf = make_pdf("Article 1. Scope")
    (broken / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    (broken / "table.csv").write_text("a,b\n", "utf-8")
    (root / "legacy-1258.txt").write_bytes(encode_cp1258(LEGACY_TEXT))
    (root / "law.pdf").write_bytes(pdf)
    (root / ".hidden.txt").write_text("not part of the corpus", "utf-8")
    documents, report = ingest_corpus(root, progress=False)
    return root, documents, report


def test_report_names_each_problem(messy_corpus) -> None:
    _, _, report = messy_corpus
    problems = {p.source: p.problem for p in report.problems}
    assert problems == {
        "broken/empty.txt": "empty",
        "broken/binary.txt": "binary",
        "broken/truncated.pdf": "truncated",
        "broken/table.csv": "unsupported",
    }
    assert all(p.detail for p in report.problems)


def test_seeds_and_good_files_are_processed(messy_corpus) -> None:
    _, documents, report = messy_corpus
    assert sorted(report.processed) == sorted([f"seeds/{n}" for n in SEED_NAMES] + ["legacy-1258.txt", "law.pdf"])
    by_id = {d.doc_id: d for d in documents}
    legacy = by_id["legacy-1258"]
    assert legacy.encoding == "cp1258"
    assert legacy.text == LEGACY_TEXT
    assert legacy.clauses and legacy.references[0].key == "66-NQ/TW"
    assert by_id["law"].format == "pdf"
    for name in SEED_NAMES:
        document = by_id[Path(name).stem]
        assert document.source == f"seeds/{name}"
        assert document.clauses, name


def test_seed_documents(messy_corpus) -> None:
    _, documents, _ = messy_corpus
    by_id = {d.doc_id[:3]: d for d in documents}
    assert by_id["003"].meta.number == "1218/QĐ-UBND"
    assert by_id["003"].repair["char"] == "ụ"
    assert all(not by_id[k].repair for k in ("000", "001", "002", "004"))
    assert by_id["002"].meta.doc_type == "Kế hoạch"  # from the sidecar
    assert by_id["000"].meta.source_url.startswith("https://")
    for document in documents:
        ids = {c.id for c in document.clauses}
        for reference in document.references:
            assert reference.clause_id is None or reference.clause_id in ids
    # 003 implements 66-NQ/TW, whose English text is seed 000 (number from the sidecar); nothing else resolves.
    resolved = {r.key: r.resolved_doc_id for r in by_id["003"].references if not r.key.startswith("dieu:")}
    assert resolved.pop("66-NQ/TW") == by_id["000"].doc_id
    assert all(doc_id is None for doc_id in resolved.values())


BOILERPLATE = ("Vietnam.vn", "Comment (0)", "Source: http", "Illustration photo", "Photo: Ho Long", "No videos",
               "Political System", "Same category", "Việt NamViệt Nam", "Báo Đại biểu Nhân dânBáo", "Coffee shops")


@pytest.mark.parametrize("prefix", ["000", "001"])
def test_no_clause_is_boilerplate(messy_corpus, prefix: str) -> None:
    _, documents, _ = messy_corpus
    document = next(d for d in documents if d.doc_id.startswith(prefix))
    for clause in document.clauses:
        body = clause.clean_text or clause.text
        assert not any(marker in body for marker in BOILERPLATE), (clause.id, body[:80])
        for start, end, why in document.excluded:
            line = document.text[start:end].strip()
            if why == "repeated-title":
                continue
            # Long boilerplate must not occur anywhere; short menu entries ("News") not as a line of their own.
            assert (line not in body) if len(line) > 20 else (line not in map(str.strip, clause.text.splitlines()))


def test_sidecar_and_hidden_files_are_skipped(messy_corpus) -> None:
    _, _, report = messy_corpus
    everything = report.processed + [p.source for p in report.problems]
    assert "metadata.json" not in everything and ".hidden.txt" not in everything
    # the hidden file is named in the report with its reason; the sidecar is the corpus's own file
    assert [(s.path, s.reason) for s in report.skipped] == [(".hidden.txt", "hidden")]


def test_report_writer_and_formatter(messy_corpus, tmp_path: Path) -> None:
    _, _, report = messy_corpus
    written = write_report(report, tmp_path / "report.json")
    data = json.loads(written.read_text("utf-8"))
    assert {p["problem"] for p in data["problems"]} == {"empty", "binary", "truncated", "unsupported"}
    assert write_report(report, tmp_path).name == "ingest_report.json"
    text = format_report(report)
    assert text.startswith("Ingested 7 file(s); 4 problem(s); 1 path(s) skipped.")
    assert "broken/truncated.pdf" in text and "truncated" in text
    assert ".hidden.txt" in text and "hidden files and folders are not part of the corpus" in text
    assert data["skipped"] == [{"path": ".hidden.txt", "reason": "hidden", "detail": ""}]


def test_ingest_file_round_trips_through_json() -> None:
    document = ingest_file(CORPUS / "seeds" / SEED_NAMES[3], CORPUS)
    again = Document.from_dict(json.loads(json.dumps(document.to_dict(), ensure_ascii=False)))
    assert again == document
    assert document.doc_id == Path(SEED_NAMES[3]).stem


def test_many_files_are_ingested_in_worker_processes_with_the_same_result(tmp_path: Path, monkeypatch) -> None:
    """Enough files to use worker processes give the documents and problems one process gives, in order."""
    from indexer import pipeline

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = sorted((CORPUS / "seeds").iterdir())
    for copy in range(4):
        for seed in seeds:
            shutil.copy(seed, corpus / f"c{copy}-{seed.name}")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    assert len(seeds) * 4 + 1 >= pipeline.PARALLEL_MIN_FILES
    parallel, parallel_report = ingest_corpus(corpus, progress=False)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 10_000)
    serial, serial_report = ingest_corpus(corpus, progress=False)
    assert [d.to_dict() for d in parallel] == [d.to_dict() for d in serial]
    assert parallel_report.to_dict() == serial_report.to_dict()
    assert [p.source for p in parallel_report.problems] == ["empty.txt"]
