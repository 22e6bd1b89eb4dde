"""The index's code fingerprint covers only the modules that shape documents: training, evaluation and the
CLI can change without making an index stale; a change to the parser makes it stale."""

from __future__ import annotations

import shutil
from pathlib import Path

from indexer.build import INDEX_MODULES, INGEST_MODULES, pipeline_fingerprint
from tests.conftest import ROOT

PACKAGE = ROOT / "indexer"


def _copy_tree(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    for package in ("indexer", "eval"):
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("models", "__pycache__", "reports"))
    return copy


def test_every_indexer_module_is_classified() -> None:
    """A new module must be declared as ingest (fingerprinted) or index-side, never silently left out."""
    modules = {path.name for path in PACKAGE.glob("*.py")} - {"__init__.py", "cli.py"}
    assert modules == set(INGEST_MODULES) | set(INDEX_MODULES)
    assert not set(INGEST_MODULES) & set(INDEX_MODULES)


def test_editing_training_code_keeps_the_fingerprint(tmp_path: Path) -> None:
    copy = _copy_tree(tmp_path)
    before = pipeline_fingerprint(copy / "indexer")
    assert before == pipeline_fingerprint(PACKAGE)
    trainer = copy / "eval" / "training" / "train_encoder.py"
    trainer.write_text(trainer.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    cli = copy / "indexer" / "cli.py"
    cli.write_text(cli.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert pipeline_fingerprint(copy / "indexer") == before
    parser = copy / "indexer" / "parse.py"
    parser.write_text(parser.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert pipeline_fingerprint(copy / "indexer") != before
    kinds = copy / "indexer" / "data" / "clause_kinds.tsv"
    kinds.write_text(kinds.read_text(encoding="utf-8").replace("khoản", "khoản "), encoding="utf-8")
    assert pipeline_fingerprint(copy / "indexer") != before
