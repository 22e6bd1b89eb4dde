"""Shared fixtures: the embedded seed corpus and one index of it, built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Generated answers are off unless a test starts its own endpoint: a developer's LEXVN_LLM_URL is not used.
os.environ.pop("LEXVN_LLM_URL", None)

from eval.paths import CORPUS_DIR as CORPUS
from eval.paths import ROOT, SEED_QUERIES, SHARED
from eval.paths import VLC_DIR as VLC

__all__ = ["CORPUS", "ROOT", "SEED_QUERIES", "SHARED", "VLC", "vlc_laws"]


def vlc_laws(step: int = 1) -> list[Path]:
    """Every `step`-th law of ../shared/vlc in name order; the calling test is skipped when there are none."""
    laws = sorted(VLC.glob("*.txt"))[::step] if VLC.is_dir() else []
    if not laws:
        pytest.skip("../shared/vlc not available")
    return laws


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full hybrid index (BM25 + dense) of corpus/, shared by search, eval, api and conflict tests."""
    from indexer.build import build_index

    index_dir = tmp_path_factory.mktemp("seed") / "index"
    build_index(CORPUS, index_dir, dense=True, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def searcher(seed_index: Path):
    from search import Searcher

    return Searcher.open(seed_index)
