"""`bench_coldstart(...)`: wall time of a one-off `lexvn search` from a fresh process, per mode.

What a user pays for one search on the seed index: start Python, import what the command needs, open the
index, load what the mode needs (underthesea's segmenter for any Vietnamese query; the static encoder and
FAISS for hybrid), answer, exit. Each mode is run `runs` times, interleaved with the other, after one
discarded round that warms the page cache; the report gives the median, min and max, Python's own start
(`python -c pass`) as the floor, and the biggest imports of each mode (`python -X importtime`).
Targets (issue 15): bm25 ≤ 1.5 s, hybrid ≤ 2.5 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eval.paths import CORPUS_DIR, ROOT, WORK_DIR

QUERY = "thời hạn thực hiện kế hoạch"
RUNS = 7
TARGETS_S = {"bm25": 1.5, "hybrid": 2.5}
TOP_IMPORTS = 10


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false"}


def search_command(index_dir: Path, mode: str, query: str = QUERY) -> list[str]:
    """`lexvn search` as the console script runs it (api.cli's Typer app), on this checkout's code."""
    return [sys.executable, "-m", "api.cli", "search", query, "--mode", mode, "--index", str(index_dir), "-k", "10"]


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=_env(), cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def top_imports(command: list[str], limit: int = TOP_IMPORTS) -> list[dict[str, Any]]:
    """The top-level imports of one run by cumulative milliseconds (`-X importtime`)."""
    done = subprocess.run([command[0], "-X", "importtime", *command[1:]], env=_env(), cwd=ROOT, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if cumulative.strip().isdigit() and not name.startswith("  "):  # depth 0: imported by the program
            rows.append({"module": name.strip(), "ms": round(int(cumulative) / 1000, 1)})
    return sorted(rows, key=lambda row: -row["ms"])[:limit]


def _summary(samples: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(samples), 3), "min_s": round(min(samples), 3),
            "max_s": round(max(samples), 3), "runs": len(samples)}


def bench_coldstart(corpus_dir: Path = CORPUS_DIR, work_dir: Path = WORK_DIR / "bench" / "coldstart",
                    runs: int = RUNS, index_dir: Path | None = None) -> dict[str, Any]:
    """Cold-process `lexvn search` wall times on the seed index (built under `work_dir` when missing)."""
    from indexer.build import ensure_index

    index_dir = Path(index_dir) if index_dir is not None else Path(work_dir) / "index"
    ensure_index(corpus_dir, index_dir, dense=True)
    commands = {mode: search_command(index_dir, mode) for mode in TARGETS_S}
    floor = [sys.executable, "-c", "pass"]
    samples: dict[str, list[float]] = {"python -c pass": [], **{mode: [] for mode in commands}}
    load_before = os.getloadavg()
    for round_number in range(runs + 1):
        for name, command in (("python -c pass", floor), *commands.items()):
            seconds = _timed(command)
            if round_number:  # round 0 warms the page cache
                samples[name].append(seconds)
    result: dict[str, Any] = {"index": str(index_dir), "query": QUERY,
                              "load_average": {"before": load_before, "after": os.getloadavg(),
                                               "cores": os.cpu_count()}}
    result["wall"] = {name: _summary(values) for name, values in samples.items()}
    result["targets_s"] = TARGETS_S
    result["met"] = {mode: result["wall"][mode]["median_s"] <= target for mode, target in TARGETS_S.items()}
    result["top_imports_ms"] = {mode: top_imports(command) for mode, command in commands.items()}
    rows = ["| command | median s | min s | max s | target s |", "|---|---|---|---|---|"]
    for name, figures in result["wall"].items():
        target = TARGETS_S.get(name, "")
        label = name if name.startswith("python") else f"lexvn search --mode {name}"
        rows.append(f"| {label} | {figures['median_s']} | {figures['min_s']} | {figures['max_s']} | {target} |")
    result["markdown"] = "\n".join(rows)
    return result
