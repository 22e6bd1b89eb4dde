"""`make bench`: speed and memory figures, each a ratio against a baseline measured in the same run.

Each section is a `bench_*` function of a module beside this one (ingest, search, encoders, crosscheck,
load, peers, dense, shards, coldstart, scale); this driver only runs them in a fixed order, records what each returned (or the error it raised, so one broken section does not hide
the others) and writes `report.json` and `report.md` under `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from eval.bench import coldstart, crosscheck, dense, encoders, ingest, load, peers, scale, search, shards
from eval.paths import CORPUS_DIR, ROOT, VLC_DIR, WORK_DIR


def _sections(vlc: Path, work: Path, seconds: int, queries: list[Path] | None = None, out: Path | None = None,
              scale_laws: int | None = None) -> list[tuple[str, Callable[..., dict[str, Any]], dict[str, Any]]]:
    """(title, function, kwargs) for every section, in the order they run; `queries` are labelled query
    files the peer table scores besides its defaults; `scale_laws` draws the cost curve on the first laws
    only (plus the full VLC index the peer table built, as one more point, when it is there)."""
    full_index = work / "peers" / "index"
    built = [("VLC x1 (all laws)", full_index)] if scale_laws and (full_index / "CURRENT").is_file() else []
    defaults = peers.default_query_files()
    peer_queries = defaults + [path for path in queries or [] if path.resolve() not in {p.resolve() for p in defaults}]
    return [
        ("Parsing ../shared/vlc", ingest.bench_parse_vlc, {"vlc_dir": vlc}),
        ("Ingestion stages on ../shared/vlc", ingest.bench_ingest, {"corpus_dir": vlc}),
        ("Index build and queries on ../shared/vlc", search.bench_search,
         {"vlc_dir": vlc, "work_dir": work / "search", "dense_model": "lexvn-static-vi"}),
        ("Encoder throughput", encoders.bench_encode, {"vlc_dir": vlc, "corpus_dir": CORPUS_DIR}),
        ("Cross-checking Luật Doanh nghiệp 2014 vs 2020", crosscheck.bench_conflicts,
         {"vlc_dir": vlc, "work_dir": work / "conflicts"}),
        # The load run reuses the VLC index bench_search built (its dense side is synthetic, timing only).
        ("HTTP load, 20 clients", load.bench_load,
         {"corpus_dir": CORPUS_DIR, "vlc_dir": vlc, "work_dir": work / "load", "seconds": seconds,
          "vlc_index": work / "search" / "index"}),
        ("Peers: tantivy and Lucene beside lexvn on the same clauses", peers.bench_peers,
         {"vlc_dir": vlc, "work_dir": work / "peers", "query_files": peer_queries}),
        # Reuses the lexvn VLC index the peer table built (its real clause vectors).
        ("Dense search cost: exact inner product against the clause count", dense.bench_dense_cost,
         {"index_dir": work / "peers" / "index"}),
        # Reuses it too: the same laws sharded on a local Ray, query by query against it.
        ("Sharded VLC on Ray beside the single index", shards.bench_shards,
         {"vlc_dir": vlc, "work_dir": work / "shards", "single_index": work / "peers" / "index"}),
        ("Cold start: one-off lexvn search from a fresh process", coldstart.bench_coldstart,
         {"corpus_dir": CORPUS_DIR, "work_dir": work / "coldstart"}),
        # Slow (three full builds, the largest of four copies of the VLC): cost_curve.{md,png,json} beside the report.
        ("Cost curve: the VLC at x1, x2, x4 and 10M clauses", scale.bench_scale,
         {"vlc_dir": vlc, "work_dir": work / "scale", "out_dir": out, "laws": scale_laws, "built": built}),
    ]


def run_section(function: Callable[..., dict[str, Any]], kwargs: dict[str, Any]) -> dict[str, Any]:
    run_at = time.strftime("%Y-%m-%d %H:%M:%S")
    started = time.perf_counter()
    try:
        result = function(**kwargs)
        status = "ok"
    except Exception as error:  # a failing section is reported, the others still run
        result = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc(limit=5)}
        status = "error"
    return {"status": status, "run_at": run_at, "seconds": round(time.perf_counter() - started, 2), "result": result}


def to_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# lexvn benchmark",
        "",
        f"Run {report['started']} on {report['machine']}. Every target is a ratio against a baseline measured "
        "in the same run, or an absolute figure from this machine.",
        "",
    ]
    for title, section in report["sections"].items():
        run_at = f", run {section['run_at']}" if section.get("run_at") else ""
        result = dict(section["result"])
        table = result.pop("markdown", None)  # a section's own summary table, shown above its figures
        lines += [f"## {title}", "", f"status: {section['status']}, {section['seconds']} s{run_at}", ""]
        if isinstance(table, str) and table:
            lines += [table, ""]
        lines += ["```json", json.dumps(result, ensure_ascii=False, indent=2, default=str), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vlc", type=Path, default=VLC_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "bench")
    parser.add_argument("--work", type=Path, default=WORK_DIR / "bench")
    parser.add_argument("--seconds", type=int, default=30, help="length of each HTTP load run")
    parser.add_argument("--only", nargs="*", help="run only sections whose function name contains one of these")
    parser.add_argument("--queries", nargs="*", type=Path, default=[],
                        help="more labelled query files (JSONL) for the peer table, besides the VLC title "
                             "sets and eval/questions/*.jsonl")
    parser.add_argument("--scale-laws", type=int, default=None,
                        help="cost curve on the first N laws (x1, x2, x4 copies) instead of all of them")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "sections": {},
    }
    previous = args.out / "report.json"
    if args.only and previous.is_file():  # re-running some sections keeps the others' last figures
        kept = json.loads(previous.read_text(encoding="utf-8"))
        report["started"] = f"{kept.get('started')}; sections re-run {report['started']}"
        report["sections"] = kept.get("sections", {})
    sections = _sections(args.vlc, args.work, args.seconds, args.queries, args.out, args.scale_laws)
    for title, function, kwargs in sections:
        if args.only and not any(word in function.__name__ for word in args.only):
            continue
        print(f"[bench] {title} …", file=sys.stderr, flush=True)
        report["sections"][title] = run_section(function, kwargs)
        print(f"[bench] {title}: {report['sections'][title]['status']}", file=sys.stderr, flush=True)
    order = [title for title, *_ in sections]
    report["sections"] = dict(sorted(report["sections"].items(),
                                     key=lambda item: order.index(item[0]) if item[0] in order else len(order)))

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    (args.out / "report.md").write_text(to_markdown(report))
    print(to_markdown(report))
    return 0 if all(s["status"] == "ok" for s in report["sections"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
