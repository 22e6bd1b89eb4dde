"""indexer/bm25.py, the one place lexvn uses bm25s internals: it must keep giving bm25s's own scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer import manifest as mf


def test_idf_is_bm25s_own_idf() -> None:
    """bm25s's private idf function still exists with the signature the adapter calls, and agrees with
    the idf bm25s's own indexing computes (robertson: log((N - df + 0.5) / (df + 0.5)), floored at 0)."""
    from indexer.bm25 import idf_array

    frequencies = np.array([1, 2, 5, 9, 10])
    idf = idf_array(frequencies, 10)
    assert idf.dtype == np.float32
    expected = np.maximum(np.log((10 - frequencies + 0.5) / (frequencies + 0.5)), 0)
    np.testing.assert_allclose(idf, expected.astype(np.float32), rtol=1e-6)


def test_bm25_from_counts_equals_bm25s_index(seed_index: Path) -> None:
    """The vectorised scoring from stored term counts is bit-identical to bm25s's own indexing."""
    import bm25s
    import numpy as np

    from indexer.bm25 import BM25_PARAMS, bm25_from_counts
    from indexer.build import FIELDS, load_terms

    stored = load_terms(mf.version_dir(seed_index))
    assert stored is not None and set(stored.fields) == set(FIELDS)
    for rows in stored.fields.values():
        counts = rows.counts.tocsr()
        terms = [[rows.vocab[j] for j, n in zip(counts.indices[counts.indptr[i]:counts.indptr[i + 1]],
                                                 counts.data[counts.indptr[i]:counts.indptr[i + 1]], strict=True)
                  for _ in range(n)] for i in range(counts.shape[0])]
        reference = bm25s.BM25(**BM25_PARAMS)
        reference.index(terms, show_progress=False)
        ours = bm25_from_counts(rows.counts, rows.vocab)
        for term in rows.vocab[:: max(1, len(rows.vocab) // 300)]:
            expected = reference.get_scores_from_ids(reference.get_tokens_ids([term]))
            got = ours.get_scores_from_ids(ours.get_tokens_ids([term]))
            assert np.array_equal(expected, got), term


def test_the_heading_field_keeps_one_row_per_chain_and_gives_every_clause_its_scores(seed_index: Path) -> None:
    """Distinct term-count rows stored once, mapped back by clause: the same scores as every row stored,
    with fewer rows (the seed corpus's clauses share article headings); the searcher's heading scores too."""
    import numpy as np

    from indexer.bm25 import bm25_from_counts, distinct_rows
    from indexer.build import load_terms
    from search.retrieve import LexicalRetriever

    head = load_terms(mf.version_dir(seed_index)).fields["head"]
    kept, rows = distinct_rows(head.counts)
    assert len(rows) == head.counts.shape[0] and len(kept) < len(rows) / 2
    assert np.array_equal(rows[kept], np.arange(len(kept)))  # each kept clause is its own row
    every, distinct = bm25_from_counts(head.counts, head.vocab), bm25_from_counts(head.counts, head.vocab, keep=kept)
    assert int(distinct.scores["num_docs"]) == len(kept)
    lexical = LexicalRetriever(mf.version_dir(seed_index), 1.0)
    assert np.array_equal(lexical.head_rows, rows)
    checked = 0
    for term in head.vocab[:: max(1, len(head.vocab) // 200)]:
        expected = every.get_scores_from_ids(every.get_tokens_ids([term]))
        assert np.array_equal(distinct.get_scores_from_ids(distinct.get_tokens_ids([term]))[rows], expected), term
        # stored at half precision (indexer.bm25.compact_impacts): each impact is its float16 rounding
        assert np.array_equal(lexical._scores(lexical.head, [term]), expected.astype(np.float16).astype(np.float32)), term
        checked += int((expected > 0).sum() > 1)
    assert checked > 20
    assert lexical.head.scores["data"].dtype == np.float16 and lexical.head.scores["indices"].dtype == np.uint16
    assert lexical.body.scores["data"].dtype == np.float32  # BM25 mode's field keeps rank-bm25's scores




def test_bm25s_is_imported_without_numba_and_scipy_which_stay_importable() -> None:
    """A searcher pays for neither numba nor scipy (bm25s needs them only for options lexvn never selects)."""
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import json, sys\n"
        "from indexer.bm25 import build_bm25, import_bm25s\n"
        "bm25s = import_bm25s()\n"
        "loaded = [name for name in ('numba', 'scipy') if name in sys.modules]\n"
        "index = build_bm25([['ngân', 'sách'], ['pháp', 'luật'], ['ngân', 'hàng', 'ngân'], ['đất'], ['thuế'], ['phí']])\n"
        "scores = index.get_scores_from_ids(index.get_tokens_ids(['ngân'])).tolist()\n"
        "import numba, scipy.sparse\n"
        "print(json.dumps([loaded, scores, bm25s.NUMBA_AVAILABLE]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded, scores, numba_seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [] and numba_seen is False
    assert scores[0] > 0 and scores[1] == 0 and scores[2] > scores[0]
