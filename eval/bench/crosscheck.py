"""Benchmark of cross-checking: Luật Doanh nghiệp 2014 against 2020, index build and check, per model."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from indexer.build import build_index
from search import Searcher
from search.crosscheck.conflicts import cross_check


def bench_conflicts(vlc_dir: Path, work_dir: Path | None = None,
                    models: tuple[str, ...] = ("lexvn-static-vi", "minilm")) -> dict[str, Any]:
    """Luật Doanh nghiệp 2014 vs 2020: build an index of just the two files, then time the cross-check.

    Once per dense model: the Vietnamese static model indexes the pair in seconds, MiniLM in minutes on
    this machine; the cross-check itself reads the stored vectors either way.
    """
    vlc_dir = Path(vlc_dir)
    old = next(vlc_dir.glob("Luat-Doanh-nghiep-2014-*.txt"))
    new = next(vlc_dir.glob("Luat-Doanh-nghiep-so-59-2020-QH14-*.txt"))
    root = Path(tempfile.mkdtemp(prefix="lexvn-conflicts-")) if work_dir is None else Path(work_dir)
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for path in (old, new):
        shutil.copy(path, corpus / path.name)
    figures: dict[str, Any] = {"target_s": 60}
    for model in models:
        index = root / f"index-{model}"
        shutil.rmtree(index, ignore_errors=True)
        started = time.perf_counter()
        build_index(corpus, index, dense=True, model=model, progress=False)
        built = time.perf_counter() - started
        searcher = Searcher.open(index)
        started = time.perf_counter()
        findings = cross_check(searcher, old.stem, new.stem)
        checked = time.perf_counter() - started
        counts: dict[str, int] = {}
        for finding in findings:
            counts[finding.kind] = counts.get(finding.kind, 0) + 1
        soe = [f for f in findings if f.kind == "value_changed" and f.source is not None and "100" in " ".join(f.differences)
               and "nhà nước" in f.source.text.lower() and "50" in " ".join(f.differences)]
        figures[model] = {"index_build_s": round(built, 2), "cross_check_s": round(checked, 2),
                          "total_s": round(built + checked, 2), "findings": counts,
                          "state_enterprise_value_changed": bool(soe)}
    if work_dir is None:
        shutil.rmtree(root, ignore_errors=True)
    return figures
