"""The HTTP load harness `make bench` uses: locust against `lexvn serve`-equivalent workers (no timing asserted)."""

from __future__ import annotations

from pathlib import Path


def test_load_run_serves_every_query_without_failures(seed_index: Path, tmp_path: Path) -> None:
    from eval.bench.load import load_run

    figures = load_run(seed_index, tmp_path, seconds=5, users=4, workers=1)
    assert figures["requests"] > 0 and figures["failures"] == 0
    # locust computes percentiles over response times rounded to two significant digits (458 ms counts as
    # 460), so p99 may exceed the exact maximum by up to 5%
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"] * 1.05 + 1
    assert figures["clauses"] > 0 and figures["workers"] == 1
