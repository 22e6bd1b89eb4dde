"""`lexvn index` and `lexvn search` through the Typer app (in process)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.conftest import CORPUS, SEED_QUERIES

runner = CliRunner()


def test_search_json_shape(seed_index: Path):
    result = runner.invoke(app, ["search", "Quyết định số 1218/QĐ-UBND", "--index", str(seed_index), "--json",
                                 "-k", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) >= {"query", "mode", "took_ms", "results"}
    assert payload["mode"] == "hybrid" and len(payload["results"]) == 3
    first = payload["results"][0]
    for key in ("rank", "clause_id", "doc_id", "source", "text", "citation", "path", "score", "scores",
                "highlights", "document"):
        assert key in first
    for start, end in first["highlights"]:
        assert 0 <= start < end <= len(first["text"])


def test_phrase_mode_from_the_command_line(seed_index: Path):
    result = runner.invoke(app, ["search", '"0,5% tổng chi ngân sách"', "--mode", "phrase", "--index",
                                 str(seed_index), "--json", "-k", "50"])
    assert result.exit_code == 0, result.output
    docs = {hit["doc_id"] for hit in json.loads(result.stdout)["results"]}
    assert docs == {"002_7aca7bcc376b2da4", "003_9f40a26defcbfd25"}


def test_batch_queries_one_json_line_each(seed_index: Path, tmp_path: Path):
    queries = SEED_QUERIES.read_text(encoding="utf-8").splitlines()[:4]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(queries) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["search", "--queries", str(path), "--index", str(seed_index), "-k", "5",
                                 "--mode", "bm25"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == [json.loads(q)["id"] for q in queries]
    assert all(set(line) == {"id", "query", "results"} and len(line["results"]) <= 5 for line in lines)


def test_text_output_with_explain_and_group(seed_index: Path):
    result = runner.invoke(app, ["search", "xây dựng pháp luật", "--index", str(seed_index), "--explain",
                                 "--group", "-k", "6"])
    assert result.exit_code == 0, result.output
    assert "terms:" in result.stdout and "rrf=" in result.stdout and "== " in result.stdout


def test_filters_on_the_command_line(seed_index: Path):
    result = runner.invoke(app, ["search", "budget law-making", "--index", str(seed_index), "--json",
                                 "--language", "en"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["results"]
    assert hits and all(hit["document"]["language"] == "en" for hit in hits)


def test_missing_index_is_a_clear_error(tmp_path: Path):
    result = runner.invoke(app, ["search", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "lexvn index" in result.output


def test_index_command_prints_the_report(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "seeds" / "002_7aca7bcc376b2da4.txt", corpus)
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["index", str(corpus), "--index", str(tmp_path / "index"), "--no-dense", "-q"])
    assert result.exit_code == 0, result.output
    assert "empty.txt" in result.stdout
    assert "1 documents" in result.stdout and "dense: none" in result.stdout


def test_index_verify_rebuild_and_the_damaged_index_line(tmp_path: Path):
    """`lexvn index --verify` checks every checksum; a damaged index gives one line on every command and
    `lexvn index --rebuild` (or a plain `lexvn index`) replaces it; nothing changed means no new version."""
    from indexer import manifest as mf

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(CORPUS / "seeds" / "002_7aca7bcc376b2da4.txt", corpus)
    assert runner.invoke(app, ["index", str(corpus), "--index", str(index), "--no-dense", "-q"]).exit_code == 0
    version = mf.version_dir(index).name
    unchanged = runner.invoke(app, ["index", str(corpus), "--index", str(index), "--no-dense", "-q"])
    assert unchanged.exit_code == 0 and "up to date" in unchanged.stdout and "no new version written" in unchanged.stdout
    assert mf.version_dir(index).name == version

    verified = runner.invoke(app, ["index", "--verify", "--index", str(index)])
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith(f"index version {version} is intact: ")

    documents = mf.version_dir(index) / "store.sqlite"
    data = bytearray(documents.read_bytes())
    data[10] ^= 0x01  # one bit, same size: only the checksum sees it
    documents.write_bytes(bytes(data))
    damaged = runner.invoke(app, ["index", "--verify", "--index", str(index)])
    assert damaged.exit_code == 1
    assert damaged.stderr.strip() == (f"error: index version {version} is damaged: store.sqlite has other contents "
                                      f"than when it was written (sha256 differs); run `lexvn index CORPUS --index "
                                      f"{index} --rebuild`")
    documents.write_bytes(bytes(data[:-100]))  # now truncated: every reader sees it
    searched = runner.invoke(app, ["search", "ngân sách", "--index", str(index)])
    assert searched.exit_code == 2 and len(searched.stderr.strip().splitlines()) == 1
    assert "store.sqlite is" in searched.stderr and "--rebuild" in searched.stderr

    rebuilt = runner.invoke(app, ["index", str(corpus), "--index", str(index), "--no-dense", "-q", "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "full build" in rebuilt.stdout and "why: --rebuild" in rebuilt.stdout
    assert runner.invoke(app, ["index", "--verify", "--index", str(index)]).exit_code == 0
    assert runner.invoke(app, ["search", "ngân sách", "--index", str(index)]).exit_code == 0
