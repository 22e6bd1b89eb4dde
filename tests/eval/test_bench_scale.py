"""The cost-curve, dense-cost and cold-start sections of `make bench`, on small inputs (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CORPUS


def _row(factor: int, clauses: int) -> dict:
    """A measured row as bench_scale records it, with costs linear in the clause count."""
    return {"factor": factor, "laws": 5, "files": 5 * factor, "clauses": clauses,
            "build": {"seconds": 10 + 0.002 * clauses, "stages_s": {"segment": 5.0 if factor == 1 else 5.0},
                      "faiss": "flat", "peak_rss": {"process_mb": 300.0, "largest_child_mb": 100.0}},
            "disk": {"total_mb": 0.004 * clauses, "store_mb": 0.002 * clauses, "dense_faiss_mb": 0.001 * clauses},
            "probe": {"open_s": 0.5 + 1e-5 * clauses, "rss_serving_mb": 200 + 0.012 * clauses, "queries": 10,
                      "modes": {mode: {"p50_ms": 1 + 1e-4 * clauses, "p99_ms": 2 + 2e-4 * clauses}
                                for mode in ("bm25", "dense", "hybrid")}}}


def test_extrapolation_fits_linear_costs_and_sizes_machines_by_memory(tmp_path: Path) -> None:
    from eval.bench.scale import extrapolate, plot, report_markdown

    rows = [_row(1, 10_000), _row(2, 20_000), _row(4, 40_000)]
    result = extrapolate(rows, target=1_000_000)
    assert abs(result["fits"]["rss_serving_mb"]["per_clause"] - 0.012) < 1e-9
    assert abs(result["fits"]["disk_mb"]["power"] - 1.0) < 1e-6
    assert abs(result["at_target"]["rss_serving_gb"] - (200 + 12_000) / 1024) < 0.1
    # Segmentation is charged per clause at the x1 rate; the rest of the build by its fit.
    assert abs(result["at_target"]["build_h_one_machine"] - (5 / 10_000 * 1e6 + 10 + 0.002 * 1e6 - 5) / 3600) < 0.1
    small = next(m for m in result["machines"] if m["memory_gb"] == 24)
    assert small["machines_for_memory"] == 1 and small["clauses_per_machine"] == 1_000_000
    plot(rows, result, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 10_000
    text = report_markdown({"corpus": "vlc", "laws": 5, "rows": rows, "extrapolation": result})
    assert "## Extrapolation to 10M clauses" in text and "| ×4 |" in text


def test_a_cost_that_falls_with_size_is_taken_as_flat() -> None:
    from eval.bench.scale import fit, predict

    model = fit([1, 2, 4], [9.0, 7.0, 8.0])  # noise, not an economy of scale
    assert model["per_clause"] == 0 and predict(model, 10**7) == 8.0


def test_copies_are_documents_of_their_own(tmp_path: Path) -> None:
    from eval.bench.scale import make_corpus

    source = tmp_path / "laws"
    source.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (source / name).write_text(f"Điều 1. {name}\n", encoding="utf-8")
    assert make_corpus(source, tmp_path / "x2", 2, laws=2) == 4
    assert sorted(p.name for p in (tmp_path / "x2").iterdir()) == ["x0-a.txt", "x0-b.txt", "x1-a.txt", "x1-b.txt"]
    from indexer.load import walk_corpus

    walked = walk_corpus(tmp_path / "x2")  # hard-linked copies would be one file walked, three skipped
    assert len(walked.files) == 4 and not walked.skipped


def test_dense_cost_table_on_the_seed_index(seed_index: Path) -> None:
    from eval.bench.dense import bench_dense_cost

    result = bench_dense_cost(seed_index, counts=(100, 400), queries=5)
    assert [row["clauses"] for row in result["exact"]] == [100, 400]
    assert result["vlc_graph"]["recall_of_exact_top10"] == 1.0  # the seed index is exact search itself
    assert result["markdown"].count("\n") == 4


def test_cold_start_command_runs_a_search_in_a_fresh_process(seed_index: Path) -> None:
    import subprocess

    from eval.bench.coldstart import _env, search_command, top_imports

    command = search_command(seed_index, "bm25")
    out = subprocess.run(command, env=_env(), capture_output=True, text=True, check=True, cwd=CORPUS.parent)
    assert "results for" in out.stdout
    imports = top_imports(command, limit=50)
    assert not {"torch", "sentence_transformers", "numba", "faiss"} & {row["module"] for row in imports}
