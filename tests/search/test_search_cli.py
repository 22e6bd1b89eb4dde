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
