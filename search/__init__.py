"""Query side of lexvn: `Searcher.open(index_dir).search(query, k=10, mode="hybrid", filters=None)`.

Imports indexer only (never api or eval); query analysis → retrieval → fusion → phrases → highlights →
Hits, and cross-checking in `search.crosscheck` on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from search.model import Hit

if TYPE_CHECKING:
    from search.searcher import Searcher

__all__ = ["Hit", "Searcher"]


def __getattr__(name: str):
    # Lazy: importing `search` (e.g. for the CLI's --help) must not pull numpy/faiss/bm25s.
    if name == "Searcher":
        from search.searcher import Searcher

        return Searcher
    raise AttributeError(name)
