"""`lexvn ask` through the Typer app (in process), on the seed index, with no language model configured."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()
ENV = {**os.environ, "LEXVN_LLM_URL": ""}  # extractive: no model, whatever the caller's environment says


def test_ask_answers_the_budget_question_with_the_half_percent_clause(seed_index: Path) -> None:
    question = "Kinh phí cho công tác xây dựng pháp luật tối thiểu bao nhiêu?"
    result = runner.invoke(app, ["ask", question, "--index", str(seed_index)], env=ENV)
    assert result.exit_code == 0, result.output
    first, *rest = result.stdout.splitlines()
    assert first.startswith("Answer [extractive]: Bảo đảm chi cho công tác xây dựng pháp luật không thấp hơn 0,5%")
    assert "(điểm b khoản 6 Kế hoạch của UBND tỉnh)" in first
    body = "\n".join(rest)
    assert "[1] điểm b khoản 6 Kế hoạch của UBND tỉnh  [002_7aca7bcc376b2da4:6.b]" in body
    assert "facts: ≥ 0.5 % (“0,5%”)" in body

    as_json = runner.invoke(app, ["ask", question, "--index", str(seed_index), "--json"], env=ENV)
    payload = json.loads(as_json.stdout)
    assert payload["status"] == "answered" and payload["evidence"][0]["clause_id"] == "002_7aca7bcc376b2da4:6.b"
    assert payload["confidence"]["confident"] and payload["generation"] is None


def test_ask_says_not_found_for_a_question_the_corpus_cannot_answer(seed_index: Path) -> None:
    result = runner.invoke(app, ["ask", "Mức phạt vi phạm nồng độ cồn khi lái xe máy là bao nhiêu?", "--index",
                                 str(seed_index), "--json"], env=ENV)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "not_found" and payload["evidence"] == []
    assert payload["text"].startswith("Không tìm thấy trong các văn bản đã được lập chỉ mục.")
    assert "nồng độ" in payload["confidence"]["absent"]


def test_ask_batch_writes_one_line_per_question(seed_index: Path, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "x1", "question": "How long is paid maternity leave?"}) + "\n"
                         + json.dumps({"id": "x2", "question": "Who signed Resolution 66-NQ/TW?"}) + "\n",
                         encoding="utf-8")
    result = runner.invoke(app, ["ask", "--questions", str(questions), "--index", str(seed_index)], env=ENV)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["id"], line["status"]) for line in lines] == [("x1", "not_found"), ("x2", "answered")]
    assert "To Lam" in lines[1]["evidence"][0]["sentence"]


def test_ask_needs_a_question(seed_index: Path) -> None:
    result = runner.invoke(app, ["ask", "--index", str(seed_index)], env=ENV)
    assert result.exit_code != 0 and "QUESTION" in result.output
