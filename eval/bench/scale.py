"""`bench_scale(...)`: the cost curve — the VLC at ×1, ×2, ×4, and what 10M clauses would need.

Each factor is a corpus of that many copies of the laws under `work_dir` (file copies; copy i of a law is
`x{i}-<file name>`, so every copy is a document of its own id). For each, in child processes so that
one factor's memory does not leak into the next: a full build from a cold start (stages, seconds, peak
RSS of the build and of its segmentation workers), bytes on disk (total and per file kind), then a fresh
process opens the index (seconds, RSS), warms it and answers title queries in bm25, dense and hybrid mode
(p50/p99 ms, RSS after). The figures go into `cost_curve.md` and `cost_curve.png` beside the bench report,
with a least-squares fit of each cost against the clause count and its extrapolation to 10M clauses.

The copies repeat the same texts, and segmentation is cached by text hash: the repeated copies are
segmented once. So the extrapolation charges segmentation by clause at the ×1 rate (a real national corpus
has distinct texts), and the other stages by their fitted curve.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.paths import VLC_DIR, VLC_TITLE_QUERIES, WORK_DIR

FACTORS = (1, 2, 4)
TARGET_CLAUSES = 10_000_000
QUERIES = 100
MODES = ("bm25", "dense", "hybrid")
# Machines the extrapolation sizes the national corpus for: (name, memory GiB, cores). The memory a shard
# may use is what is left after the OS and a margin for query-time working memory.
MACHINES = (("this machine", 24, 2), ("64 GiB", 64, 16), ("128 GiB", 128, 32), ("256 GiB", 256, 64))
USABLE_MEMORY = 0.7


def make_corpus(vlc_dir: Path, out: Path, factor: int, laws: int | None = None) -> int:
    """`factor` copies of the first `laws` laws (all when None); returns the file count. Copies, not hard
    links: walking the corpus indexes a file reached by several paths once (one inode), so linked copies
    made every factor the same corpus (the run of 1 December 2026: 22,909 clauses at x1, x2 and x4)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    sources = sorted(Path(vlc_dir).glob("*.txt"))[:laws]
    for copy in range(factor):
        for source in sources:
            shutil.copyfile(source, out / f"x{copy}-{source.name}")
    return len(sources) * factor


def _peak_rss_mb() -> dict[str, float]:
    return {"process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "largest_child_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def child_build(corpus_dir: str, index_dir: str, model: str | None) -> dict[str, Any]:
    """(In a child process.) A full build from nothing; its stages, counts and peak memory."""
    from indexer.build import build_index

    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    manifest = build_index(corpus_dir, index_dir, dense=True, model=model, progress=False)
    return {"seconds": round(time.perf_counter() - started, 1), "counts": manifest["counts"],
            "stages_s": {key: round(value, 1) for key, value in manifest["timings"].items()},
            "faiss": (manifest.get("model") or {}).get("faiss"), "peak_rss": _peak_rss_mb()}


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def child_probe(index_dir: str, queries_file: str, n: int) -> dict[str, Any]:
    """(In a child process.) Open time and RSS, then p50/p99 per mode over `n` title queries."""
    from eval.formats import read_queries_jsonl
    from search.searcher import Searcher

    figures: dict[str, Any] = {"rss_before_open_mb": _rss_mb()}
    started = time.perf_counter()
    searcher = Searcher.open(index_dir)
    figures["open_s"] = round(time.perf_counter() - started, 2)
    figures["rss_open_mb"] = _rss_mb()
    searcher.warm_up()
    texts = [q.text for q in read_queries_jsonl(Path(queries_file))]
    step = max(1, len(texts) // n)
    texts = texts[::step][:n]
    samples: dict[str, list[float]] = {mode: [] for mode in MODES}
    for text in texts:  # interleaved: machine noise falls on every mode alike
        for mode in MODES:
            started = time.perf_counter()
            searcher.search(text, k=10, mode=mode)
            samples[mode].append(time.perf_counter() - started)
    figures["modes"] = {mode: {"p50_ms": round(float(np.percentile(values, 50)) * 1000, 2),
                               "p99_ms": round(float(np.percentile(values, 99)) * 1000, 2)}
                        for mode, values in samples.items()}
    figures["queries"] = len(texts)
    figures["rss_serving_mb"] = _rss_mb()
    return figures


def _run_child(function: str, *args: Any) -> dict[str, Any]:
    """Run `function(*args)` of this module in a fresh Python process; its JSON result."""
    code = ("import json, sys\nfrom eval.bench import scale\n"
            f"result = scale.{function}(*json.loads(sys.argv[1]))\n"
            "print('\\n@@' + json.dumps(result))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                         os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    done = subprocess.run([sys.executable, "-c", code, json.dumps(list(args))], capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{function} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.rsplit("\n@@", 1)[1])


def index_bytes(index_dir: Path) -> dict[str, int]:
    """Bytes on disk of the live version of an index: in all, its store and its FAISS file (0 when none)."""
    from indexer import manifest as mf
    from indexer.build import FAISS_FILE
    from indexer.store import STORE_FILE

    directory = mf.version_dir(Path(index_dir))
    parts = {name: (directory / file).stat().st_size if (directory / file).is_file() else 0
             for name, file in (("store", STORE_FILE), ("dense_faiss", FAISS_FILE))}
    return {"total": mf.directory_size(directory), **parts}


def _disk(index_dir: Path) -> dict[str, float]:
    mb = 2**20
    sizes = index_bytes(index_dir)
    parts = {name: round(sizes[name] / mb, 1) for name in ("store", "dense_faiss")}
    return {"total_mb": round(sizes["total"] / mb, 1), **{f"{k}_mb": v for k, v in parts.items()},
            "other_mb": round(sizes["total"] / mb - sum(parts.values()), 1)}


def fit(xs: Sequence[float], ys: Sequence[float]) -> dict[str, float]:
    """Least squares y = a + b·x with b ≥ 0 (a cost that fell with size is noise: it is taken as flat, its
    mean), and the power law y = c·x^p (p says how far from linear)."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    b, a = np.polyfit(x, y, 1) if len(x) > 1 else (y[0] / x[0], 0.0)
    if b < 0:
        b, a = 0.0, float(y.mean())
    out = {"intercept": float(a), "per_clause": float(b)}
    if len(x) > 1 and (y > 0).all():
        p, log_c = np.polyfit(np.log(x), np.log(y), 1)
        out.update({"power": float(p), "scale": float(math.exp(log_c))})
    return out


def predict(model: dict[str, float], clauses: float, power: bool = False) -> float:
    if power and "power" in model:
        return model["scale"] * clauses ** model["power"]
    return model["intercept"] + model["per_clause"] * clauses


def extrapolate(rows: Sequence[dict[str, Any]], target: int = TARGET_CLAUSES) -> dict[str, Any]:
    """Fits against the clause count, the 10M-clause figures, and machines of each size it needs."""
    clauses = [row["clauses"] for row in rows]
    base = rows[0]
    segment_per_clause = base["build"]["stages_s"].get("segment", 0.0) / base["clauses"]
    other_build = [row["build"]["seconds"] - row["build"]["stages_s"].get("segment", 0.0) for row in rows]
    fits = {
        "build_s_without_segment": fit(clauses, other_build),
        "disk_mb": fit(clauses, [row["disk"]["total_mb"] for row in rows]),
        "rss_serving_mb": fit(clauses, [row["probe"]["rss_serving_mb"] for row in rows]),
        "open_s": fit(clauses, [row["probe"]["open_s"] for row in rows]),
        **{f"{mode}_p50_ms": fit(clauses, [row["probe"]["modes"][mode]["p50_ms"] for row in rows]) for mode in MODES},
    }
    at_target = {
        "build_h_one_machine": round((segment_per_clause * target + predict(fits["build_s_without_segment"], target))
                                     / 3600, 1),
        "disk_gb": round(predict(fits["disk_mb"], target) / 1024, 1),
        "rss_serving_gb": round(predict(fits["rss_serving_mb"], target) / 1024, 1),
        "open_s": round(predict(fits["open_s"], target), 1),
        **{f"{mode}_p50_ms_one_index": round(predict(fits[f"{mode}_p50_ms"], target), 1) for mode in MODES},
    }
    machines = []
    rss_per_clause_mb = fits["rss_serving_mb"]["per_clause"]
    fixed_mb = max(fits["rss_serving_mb"]["intercept"], 0.0)
    for name, memory_gb, cores in MACHINES:
        usable_mb = memory_gb * 1024 * USABLE_MEMORY - fixed_mb
        per_shard = int(usable_mb / rss_per_clause_mb) if rss_per_clause_mb > 0 else target
        shards = max(1, math.ceil(target / max(per_shard, 1)))
        shard_clauses = target / shards
        machines.append({
            "machine": name, "memory_gb": memory_gb, "cores": cores, "machines_for_memory": shards,
            "clauses_per_machine": int(shard_clauses),
            **{f"{mode}_p50_ms_per_shard": round(predict(fits[f"{mode}_p50_ms"], shard_clauses), 1) for mode in MODES},
            "build_h_in_parallel": round(at_target["build_h_one_machine"] * 2 / cores / shards, 2),
        })
    flat = [name for name, model in fits.items() if model["per_clause"] == 0]
    notes = [f"{', '.join(flat)}: no growth beyond machine noise over {min(clauses):,}–{max(clauses):,} clauses "
             "(a cost that fell with size is fitted as flat, its mean), so these figures are the measured ones, "
             "not a model of larger indexes"] if flat else []
    return {"target_clauses": target, "segment_s_per_clause_x1": segment_per_clause, "fits": fits,
            "at_target": at_target, "machines": machines,
            "notes": notes + ["linear fits over the measured factors; latencies of one shard are interpolated at its size, "
                      "a fanned-out query adds the slowest shard's tail and the merge",
                      f"memory per shard: {USABLE_MEMORY:.0%} of the machine, minus the fitted fixed cost",
                      "build hours in parallel assume the 2-core build scales with cores (segmentation does; the "
                      "measured single-machine build is the floor of that assumption)"]}


def _label(row: dict[str, Any]) -> str:
    return f"×{row['factor']}" if isinstance(row["factor"], int) else str(row["factor"])


def _table(rows: Sequence[dict[str, Any]]) -> str:
    head = ("| factor | laws | clauses | build s | segment s | encode s | faiss | faiss s | build peak MB | disk MB "
            "(docs / dense) | open s | RSS MB | " + " | ".join(f"{m} p50/p99 ms" for m in MODES) + " |")
    lines = [head, "|" + "---|" * (12 + len(MODES))]
    for row in rows:
        build, disk, probe = row["build"], row["disk"], row["probe"]
        stages = build["stages_s"]
        peak = max(build["peak_rss"]["process_mb"], build["peak_rss"]["largest_child_mb"]) or "n/a"
        lines.append(
            f"| {_label(row)} | {row['laws']} | {row['clauses']:,} | {build['seconds']} | {stages.get('segment')} | "
            f"{stages.get('encode')} | {build['faiss']} | {stages.get('faiss')} | {peak} | {disk['total_mb']} "
            f"({disk['store_mb']} / {disk['dense_faiss_mb']}) | {probe['open_s']} | {probe['rss_serving_mb']} | "
            + " | ".join(f"{probe['modes'][m]['p50_ms']} / {probe['modes'][m]['p99_ms']}" for m in MODES) + " |")
    return "\n".join(lines)


def _machines_table(extrapolation: dict[str, Any]) -> str:
    lines = ["| machine | machines needed (memory) | clauses each | " + " | ".join(f"{m} p50 ms" for m in MODES)
             + " | build h (parallel) |", "|" + "---|" * (4 + len(MODES))]
    for row in extrapolation["machines"]:
        lines.append(f"| {row['machine']} ({row['cores']} cores) | {row['machines_for_memory']} | "
                     f"{row['clauses_per_machine']:,} | "
                     + " | ".join(str(row[f"{m}_p50_ms_per_shard"]) for m in MODES)
                     + f" | {row['build_h_in_parallel']} |")
    return "\n".join(lines)


def plot(rows: Sequence[dict[str, Any]], extrapolation: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clauses = np.array([row["clauses"] for row in rows], dtype=float)
    panels = [
        ("build s (dashed: without segmentation)", [row["build"]["seconds"] for row in rows]),
        ("disk MB", [row["disk"]["total_mb"] for row in rows]),
        ("serving RSS MB", [row["probe"]["rss_serving_mb"] for row in rows]),
        ("open s", [row["probe"]["open_s"] for row in rows]),
    ]
    figure, axes = plt.subplots(1, 5, figsize=(20, 4))
    axes[0].plot(clauses / 1000, [row["build"]["seconds"] - row["build"]["stages_s"].get("segment", 0.0)
                                  for row in rows], "x--", alpha=0.7)
    for axis, (label, values) in zip(axes, panels, strict=False):
        axis.plot(clauses / 1000, values, "o-")
        axis.set_xlabel("clauses (thousands)")
        axis.set_title(label)
        axis.grid(alpha=0.3)
    for mode in MODES:
        axes[4].plot(clauses / 1000, [row["probe"]["modes"][mode]["p50_ms"] for row in rows], "o-", label=f"{mode} p50")
        axes[4].plot(clauses / 1000, [row["probe"]["modes"][mode]["p99_ms"] for row in rows], "x--", alpha=0.6,
                     label=f"{mode} p99")
    axes[4].set_xlabel("clauses (thousands)")
    axes[4].set_title("query ms")
    axes[4].legend(fontsize=7)
    axes[4].grid(alpha=0.3)
    at = extrapolation["at_target"]
    figure.suptitle(f"lexvn cost curve: {', '.join(_label(r) for r in rows)}; at 10M clauses: "
                    f"{at['disk_gb']} GB on disk, {at['rss_serving_gb']} GB serving RSS in one index")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _built_row(name: str, index_dir: Path, queries_file: Path, queries: int) -> dict[str, Any]:
    """A row for an index built elsewhere: build figures from its manifest, disk and probe measured now."""
    from indexer import manifest as mf

    manifest = mf.read_manifest(mf.version_dir(Path(index_dir)))
    build = {"seconds": round(manifest.timings.get("total", 0.0), 1), "counts": manifest.counts,
             "stages_s": {key: round(value, 1) for key, value in manifest.timings.items()},
             "faiss": (manifest.model or {}).get("faiss"), "peak_rss": {"process_mb": 0.0, "largest_child_mb": 0.0},
             "measured": f"by its own build of {manifest.built_at} (manifest timings; peak memory not recorded)"}
    probe = _run_child("child_probe", str(index_dir), str(queries_file), queries)
    return {"factor": name, "laws": manifest.counts.get("documents"), "files": manifest.counts.get("documents"),
            "load_average": os.getloadavg(), "clauses": manifest.counts["clauses"], "build": build,
            "disk": _disk(Path(index_dir)), "probe": probe}


def bench_scale(vlc_dir: Path = VLC_DIR, work_dir: Path = WORK_DIR / "bench" / "scale",
                out_dir: Path | None = None, factors: Sequence[int] = FACTORS, laws: int | None = None,
                queries_file: Path = VLC_TITLE_QUERIES, queries: int = QUERIES, model: str | None = None,
                keep: bool = False, built: Sequence[tuple[str, Path]] = ()) -> dict[str, Any]:
    """The cost curve (module docstring); `laws` limits the corpus to the first laws (a quick run);
    `built` adds (name, index directory) rows for indexes already built (e.g. the full VLC when `laws`
    is a subset), probed the same way. Writes `cost_curve.md` / `.png` / `.json` under `out_dir` when given."""
    vlc_dir, work_dir = Path(vlc_dir), Path(work_dir)
    rows: list[dict[str, Any]] = []
    for factor in factors:
        corpus, index = work_dir / f"corpus-x{factor}", work_dir / f"index-x{factor}"
        files = make_corpus(vlc_dir, corpus, factor, laws)
        build = _run_child("child_build", str(corpus), str(index), model)
        disk = _disk(index)
        probe = _run_child("child_probe", str(index), str(queries_file), queries)
        rows.append({"factor": factor, "laws": files // factor, "files": files, "load_average": os.getloadavg(),
                     "clauses": build["counts"]["clauses"], "build": build, "disk": disk, "probe": probe})
        if not keep:
            shutil.rmtree(index, ignore_errors=True)
            shutil.rmtree(corpus, ignore_errors=True)
        print(f"[scale] ×{factor}: {json.dumps(rows[-1], ensure_ascii=False)}", file=sys.stderr, flush=True)
    for name, index in built:
        rows.append(_built_row(name, Path(index), queries_file, queries))
        print(f"[scale] {name}: {json.dumps(rows[-1], ensure_ascii=False)}", file=sys.stderr, flush=True)
    rows.sort(key=lambda row: row["clauses"])
    extrapolation = extrapolate(rows)
    result = {"corpus": str(vlc_dir), "laws": laws or "all", "rows": rows, "extrapolation": extrapolation,
              "markdown": _table(rows) + "\n\n" + _machines_table(extrapolation)}
    if out_dir is not None:
        write_reports(result, Path(out_dir))
    return result


def write_reports(result: dict[str, Any], out_dir: Path) -> None:
    """cost_curve.png / .json / .md under `out_dir` (also to re-render a stored cost_curve.json)."""
    plot(result["rows"], result["extrapolation"], out_dir / "cost_curve.png")
    result["png"] = str(out_dir / "cost_curve.png")
    (out_dir / "cost_curve.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    (out_dir / "cost_curve.md").write_text(report_markdown(result))


def report_markdown(result: dict[str, Any]) -> str:
    at = result["extrapolation"]["at_target"]
    fits = result["extrapolation"]["fits"]
    lines = [
        "# lexvn cost curve", "",
        f"Corpus: {result['corpus']} ({result['laws']} laws) as {', '.join(_label(r) for r in result['rows'])}; "
        "each build from nothing in its own process, each index opened and queried in a fresh process "
        f"({result['rows'][0]['probe']['queries']} title queries per mode, interleaved). ![cost curve](cost_curve.png)",
        "", _table(result["rows"]), "",
        "## Extrapolation to 10M clauses", "",
        f"One index of 10M clauses: {at['disk_gb']} GB on disk, {at['rss_serving_gb']} GB serving RSS, "
        f"open {at['open_s']} s, build {at['build_h_one_machine']} h on this 2-core machine; p50 in one index: "
        + ", ".join(f"{m} {at[f'{m}_p50_ms_one_index']} ms" for m in MODES) + ".", "",
        "Fits (y = intercept + per_clause × clauses; power = exponent of a power-law fit, 1 = linear):", "",
        "| cost | intercept | per clause | power |", "|---|---|---|---|",
        *[f"| {name} | {f['intercept']:.4g} | {f['per_clause']:.4g} | {f.get('power', float('nan')):.2f} |"
          for name, f in fits.items()],
        "", "Machines for 10M clauses, sharded so each shard fits in memory:", "",
        _machines_table(result["extrapolation"]), "",
        *[f"- {note}" for note in result["extrapolation"]["notes"]],
    ]
    return "\n".join(lines) + "\n"
