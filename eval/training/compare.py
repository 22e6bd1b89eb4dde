"""Encoder selection: each candidate model measured against the baseline in one run, and the adoption rule.

A client of the core (indexer, search) and of the evaluation harness; nothing imports it but the CLI.
The rule itself is data (`adoption_rule.json`), so changing what a default model must meet is a reviewed
change to one file.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench.encoders import COMPARED_MODELS, bench_encode
from eval.formats import read_queries_jsonl
from eval.paths import CORPUS_DIR, SHARED_EVAL, VLC_DIR, WORK_DIR
from eval.runner import evaluate_retrievers, searcher_retrievers
from indexer.build import build_index
from search import Searcher

RULE_FILE = Path(__file__).resolve().parent / "adoption_rule.json"
COMPARE_MODES = ("dense", "hybrid")
VLC_SUBSET_BYTES = 600_000  # dense MiniLM over all ~130k VLC clauses is far too slow on 2 shared cores


def vlc_subset(vlc_dir: Path, query_file: Path, budget_bytes: int = VLC_SUBSET_BYTES) -> list[Path]:
    """A fixed, stated subset of ../shared/vlc: the laws holding the most title-query targets per byte,
    taken greedily (ties by name) while they fit in `budget_bytes`; each is a distractor for the others."""
    targets: dict[str, int] = {}
    for line in Path(query_file).read_text(encoding="utf-8").splitlines():
        if line.strip():
            for judgement in json.loads(line)["relevant"]:
                targets[judgement["doc"]] = targets.get(judgement["doc"], 0) + 1
    files = {p.stem: p for p in Path(vlc_dir).glob("*.txt") if p.stem in targets}
    ranked = sorted(files, key=lambda doc: (-targets[doc] / files[doc].stat().st_size, doc))
    chosen, used = [], 0
    for doc in ranked:
        size = files[doc].stat().st_size
        if used + size <= budget_bytes:
            chosen.append(files[doc])
            used += size
    return sorted(chosen)


def _measure(name: str, corpus_dir: Path, query_file: Path, index_root: Path, models: Sequence[str],
             keep_docs: set[str] | None, progress: bool) -> dict[str, Any]:
    queries = read_queries_jsonl(query_file)
    if keep_docs is not None:
        queries = [q for q in queries if q.judgements and all(j.doc in keep_docs for j in q.judgements)]
    figures: dict[str, Any] = {"queries": len(queries)}
    previous: Path | None = None
    for model in models:
        index_dir = index_root / name / model
        if previous is not None and not index_dir.exists():
            shutil.copytree(previous, index_dir)  # the lexical side is reused; only the vectors are rebuilt
        started = time.perf_counter()
        build_index(corpus_dir, index_dir, dense=True, model=model, progress=progress)
        built = time.perf_counter() - started
        searcher = Searcher.open(index_dir)
        result = evaluate_retrievers(f"{name}:{model}", queries, searcher_retrievers(searcher, COMPARE_MODES))
        figures[model] = {
            mode: {m: round(result.modes[mode].means[m], 4) for m in ("recall@10", "mrr@10")} for mode in COMPARE_MODES
        }
        figures[model]["build_seconds"] = round(built, 1)
        figures[model]["clauses"] = searcher.clause_count
        previous = index_dir
    return figures


def load_rule(path: Path = RULE_FILE) -> dict[str, Any]:
    """The adoption rule for a default encoder (data, reviewed like code: `adoption_rule.json`)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def decide(table: dict[str, Any], baseline: str, candidate: str, rule: dict[str, Any] | None = None) -> dict[str, Any]:
    """Whether `candidate` may replace `baseline` as the default under the adoption rule: hybrid metrics at
    least the baseline's on every set, a dense gain on one set, and an encode speed-up on every sample."""
    rule = rule or load_rule()
    checks = {}
    for dataset in rule["hybrid_not_below"]["sets"]:
        for metric in rule["hybrid_not_below"]["metrics"]:
            checks[f"{dataset} hybrid {metric}"] = (
                table[dataset][candidate]["hybrid"][metric] >= table[dataset][baseline]["hybrid"][metric]
            )
    dense = rule["dense_gain"]
    gain = table[dense["set"]][candidate]["dense"][dense["metric"]] - table[dense["set"]][baseline]["dense"][dense["metric"]]
    checks[f"{dense['set']} dense {dense['metric']} +{dense['at_least']}"] = gain >= dense["at_least"]
    speeds = {}
    minimum = rule["throughput_ratio_at_least"]
    for label, sample in (("VLC sample", table["throughput"]), ("seed corpus", table["throughput"].get("mixed_corpus"))):
        if sample:
            rows = sample["models"]
            speeds[label] = round(rows[candidate]["clauses_per_s"] / rows[baseline]["clauses_per_s"], 2)
            checks[f"throughput ≥ {minimum:g}× ({label})"] = speeds[label] >= minimum
    return {"checks": checks, "dense_vlc_gain": round(gain, 4), "speed_ratio": speeds, "adopt": all(checks.values())}


def compare_encoders(
    corpus_dir: Path = CORPUS_DIR,
    vlc_dir: Path = VLC_DIR,
    eval_dir: Path = SHARED_EVAL,
    work_dir: Path = WORK_DIR / "compare-encoders",
    models: Sequence[str] = COMPARED_MODELS,
    vlc_budget_bytes: int | None = VLC_SUBSET_BYTES,
    progress: bool = False,
) -> dict[str, Any]:
    """Issue 7's measurement in one run: each model, dense-only and hybrid, on the seed set and the VLC
    title set, plus encode throughput; the first model is the baseline, each other one a candidate default.

    `vlc_budget_bytes=None` measures the whole VLC title set over all of ../shared/vlc (MiniLM alone then
    encodes ~122k clauses: about an hour here; indexes under `work_dir` are reused while current), else
    the `vlc_subset` laws and the queries whose targets lie in them."""
    work_dir = Path(work_dir)
    if vlc_budget_bytes is None:
        vlc_corpus, keep_docs, vlc_name = Path(vlc_dir), None, "vlc-full"
        vlc_set: dict[str, Any] = {"set": "all of ../shared/vlc, all title queries"}
    else:
        vlc_corpus, vlc_name = work_dir / "vlc-subset", "vlc"
        vlc_corpus.mkdir(parents=True, exist_ok=True)
        subset = vlc_subset(vlc_dir, eval_dir / "vlc_title_queries.jsonl", vlc_budget_bytes)
        for path in subset:
            target = vlc_corpus / path.name
            if not target.exists():
                target.write_bytes(path.read_bytes())
        keep_docs = {p.stem for p in subset}
        vlc_set = {"set": "subset", "budget_bytes": vlc_budget_bytes, "documents": sorted(keep_docs)}
    table: dict[str, Any] = {
        "vlc_set": vlc_set,
        "seed": _measure("seed", Path(corpus_dir), eval_dir / "seed_queries.jsonl", work_dir, models, None, progress),
        "vlc": _measure(vlc_name, vlc_corpus, eval_dir / "vlc_title_queries.jsonl", work_dir, models, keep_docs,
                        progress),
    }
    table["throughput"] = bench_encode(models, vlc_dir=vlc_dir, corpus_dir=corpus_dir)
    table["decisions"] = {candidate: decide(table, models[0], candidate) for candidate in models[1:]}
    return table


def format_table(table: dict[str, Any]) -> str:
    """The comparison as a Markdown table."""
    lines = ["| set | model | dense R@10 | dense MRR@10 | hybrid R@10 | hybrid MRR@10 |", "|---|---|---|---|---|---|"]
    for dataset in ("seed", "vlc"):
        for model, row in table[dataset].items():
            if isinstance(row, dict):
                lines.append(f"| {dataset} ({table[dataset]['queries']} q) | {model} | {row['dense']['recall@10']} | "
                             f"{row['dense']['mrr@10']} | {row['hybrid']['recall@10']} | {row['hybrid']['mrr@10']} |")
    throughput = table["throughput"]
    lines += ["", "| encode throughput | " + " | ".join(throughput["models"]) + " |",
              "|---|" + "---|" * len(throughput["models"])]
    samples = [(f"{throughput['clauses']} VLC clauses (vi)", throughput)]
    if "mixed_corpus" in throughput:
        mixed = throughput["mixed_corpus"]
        counts = ", ".join(f"{n} {language}" for language, n in mixed["languages"].items())
        samples.append((f"seed corpus, {mixed['clauses']} clauses ({counts})", mixed))
    for label, sample in samples:
        lines.append(f"| {label} | " + " | ".join(
            f"{row['clauses_per_s']} clauses/s ({row[next(k for k in row if k.startswith('x_vs_'))]}×)"
            for row in sample["models"].values()) + " |")
    decisions = table.get("decisions", {})
    if decisions:
        lines += ["", "| rule | " + " | ".join(decisions) + " |", "|---|" + "---|" * len(decisions)]
        rules = next(iter(decisions.values()))["checks"]
        lines += [f"| {rule} | " + " | ".join("yes" if d["checks"][rule] else "**no**" for d in decisions.values()) + " |"
                  for rule in rules]
        lines.append("| **adopt** | " + " | ".join("yes" if d["adopt"] else "no" for d in decisions.values()) + " |")
    return "\n".join(lines)
