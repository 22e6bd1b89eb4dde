"""Write an evaluation report: Markdown, a recall@k PNG, a JSON summary and TREC files per mode.

Files under the report directory:
- `report.md`: mode × metric, per-kind breakdown, significance tests, the worst queries and what came
  back instead;
- `recall_at_k.png`: mean recall@k for k = 1 … max k, one curve per mode;
- `summary.json`: everything above as data, per-query values included;
- `run.<mode>.trec`: the engine's ranking (clause ids) per mode;
- `qrels.judgements.trec` + `run.<mode>.judged.trec`: the same rankings as judgement items (what the
  metrics score; `lexvn eval --qrels qrels.judgements.trec --run run.hybrid.judged.trec` re-scores one).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from eval.anchors import ranked_items
from eval.formats import write_trec_qrels, write_trec_run
from eval.metrics import QUERY_MEAN, TOP
from eval.runner import PRIMARY_MODE, EvalResult, ModeResult, first_ranks

WORST_SHOWN = 10
RESULTS_SHOWN = 3
ANCHOR_CHARS = 90


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _fmt_p(p_value: float) -> str:
    return "< 0.0001" if p_value < 1e-4 else f"{p_value:.4f}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def primary_mode(result: EvalResult) -> str:
    return PRIMARY_MODE if PRIMARY_MODE in result.modes else next(iter(result.modes))


def worst_queries(result: EvalResult, mode: str, limit: int = WORST_SHOWN) -> list[dict[str, Any]]:
    """Queries of `mode` that miss judgements in the top 10 or rank the first hit low, worst first."""
    mode_result = result.modes[mode]
    if not mode_result.judged:  # TREC input: no clause texts to show
        return []
    recall, rr = mode_result.per_query[f"recall@{TOP}"], mode_result.per_query[f"mrr@{TOP}"]
    ranks = first_ranks(mode_result) if mode_result.judged else {}
    texts = {q.id: q for q in result.queries}
    candidates = [qid for qid in result.qrels if recall[qid] < 1.0 or rr[qid] < 1.0]
    candidates.sort(key=lambda qid: (recall[qid], rr[qid], qid))
    worst = []
    for qid in candidates[:limit]:
        query = texts[qid]
        satisfied = {item for r in mode_result.judged.get(qid, [])[:TOP] for item in r.satisfied}
        missing = [{"doc": j.doc, "anchor": j.anchor} for j in query.judgements if j.id not in satisfied]
        shown = [{"rank": s.rank, "citation": s.citation, "clause_id": s.clause_id, "snippet": s.snippet,
                  "relevant": bool(s.satisfied)} for s in mode_result.shown.get(qid, [])[:RESULTS_SHOWN]]
        worst.append({"id": qid, "kind": query.kind, "query": query.text, f"recall@{TOP}": recall[qid],
                      f"rr@{TOP}": rr[qid], "first_relevant_rank": ranks.get(qid), "missing": missing,
                      "returned": shown})
    return worst


def summary(result: EvalResult) -> dict[str, Any]:
    primary = primary_mode(result)
    return {
        "name": result.name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "ks": list(result.ks),
        "info": result.info,
        "kinds": {kind: sum(1 for q in result.queries if q.kind == kind) for kind in result.kinds()},
        "modes": {
            mode: {
                "means": m.means,
                "by_kind": result.by_kind(mode),
                "recall_curve": {str(k): v for k, v in m.curve.items()},
                "seconds": round(m.seconds, 3),
                "per_query": m.per_query,
                "first_relevant_rank": first_ranks(m) if m.judged else {},
            }
            for mode, m in result.modes.items()
        },
        "comparisons": [c.to_json() for c in result.comparisons],
        "worst": {"mode": primary, "queries": worst_queries(result, primary)},
    }


def report_metrics(result: EvalResult) -> list[str]:
    """The columns of a modes table: defined recall@k, the per-query mean beside recall@10, article
    recall@k when measured, MRR@10 and nDCG@10."""
    present = next(iter(result.modes.values())).means if result.modes else {}
    metrics = [f"recall@{k}" for k in result.ks] + [f"recall@{TOP}{QUERY_MEAN}"]
    metrics += [f"article_recall@{k}" for k in result.ks if f"article_recall@{k}" in present]
    return [m for m in metrics if m in present] + [f"mrr@{TOP}", f"ndcg@{TOP}"]


def markdown(result: EvalResult, data: dict[str, Any]) -> str:
    ks = result.ks
    metrics = report_metrics(result)
    lines = [f"# Evaluation: {result.name}", "",
             f"{len(result.queries)} queries, {sum(len(q) for q in result.qrels.values())} judgements "
             f"(each counted once); generated {data['created']}.", ""]
    info = {k: v for k, v in result.info.items() if k not in ("skipped_without_judgements",) and v}
    if info:
        lines += ["```json", json.dumps(info, ensure_ascii=False, indent=1, default=str), "```", ""]
    lines += ["## Modes", "", "recall@k as ../shared/eval/README.md defines it: judgements satisfied by a top-k "
              "result ÷ all judgements; `(query mean)`: the mean of per-query recall (ranx's figure); "
              "`article_recall@k`: the judged Điều (or plan point) holds a top-k result.", ""]
    rows = [[mode] + [_fmt(m.means[x]) for x in metrics] + [f"{m.seconds / max(len(result.queries), 1) * 1000:.0f}"]
            for mode, m in result.modes.items()]
    lines += _table(["mode"] + metrics + ["ms/query"], rows) + [""]
    if any(m.curve for m in result.modes.values()):
        lines += ["![recall@k per mode](recall_at_k.png)", ""]

    if len(result.kinds()) > 1 or result.kinds() != ["trec"]:
        article = f"article_recall@{TOP}" in next(iter(result.modes.values())).per_query
        lines += ["## By query kind", "", f"recall@{TOP}{' / article recall@' + str(TOP) if article else ''} / "
                  f"MRR@{TOP} per mode.", ""]
        header = ["kind", "n"] + list(result.modes)
        rows = []
        for kind in result.kinds():
            row = [kind, str(data["modes"][next(iter(result.modes))]["by_kind"][kind]["n"])]
            for mode in result.modes:
                cell = data["modes"][mode]["by_kind"][kind]
                parts = [cell[f"recall@{TOP}"]] + ([cell[f"article_recall@{TOP}"]] if article else [])
                row.append(" / ".join(_fmt(v) for v in [*parts, cell[f"mrr@{TOP}"]]))
            rows.append(row)
        lines += _table(header, rows) + [""]

    if result.comparisons:
        test = result.comparisons[0].test
        name = {"fisher": "Fisher randomization (sign-flip) test, exact when at most 16 queries differ, else "
                          "100,000 sampled sign patterns",
                "student": "Student's t-test (scipy)"}.get(test, test)
        lines += ["## Significance", "", f"Paired, two-sided {name}, over the {len(result.queries)} queries; "
                  "W/T/L = queries where A is better / equal / worse.", ""]
        rows = []
        for c in result.comparisons:
            for metric, v in c.metrics.items():
                rows.append([f"{c.a} vs {c.b}", metric, _fmt(v["a"]), _fmt(v["b"]), _fmt_p(v["p_value"]),
                             f"{v['wins']}/{v['ties']}/{v['losses']}"])
        lines += _table(["A vs B", "metric", "A", "B", "p-value", "W/T/L"], rows) + [""]

    worst = data["worst"]
    if worst["queries"]:
        lines += [f"## Worst queries ({worst['mode']})", ""]
        for q in worst["queries"]:
            rank = q["first_relevant_rank"]
            lines.append(f"### {q['id']} ({q['kind']}): {_md_escape(q['query'])}")
            lines.append("")
            lines.append(f"recall@{TOP} {_fmt(q[f'recall@{TOP}'])}, first relevant result at "
                         f"{rank if rank is not None else 'none in the top ' + str(max(ks))}.")
            lines.append("")
            for miss in q["missing"]:
                anchor = miss["anchor"] or "(any clause)"
                anchor = anchor if len(anchor) <= ANCHOR_CHARS else anchor[: ANCHOR_CHARS - 1] + "…"
                lines.append(f"- expected, not in top {TOP}: `{miss['doc']}`: {_md_escape(anchor)}")
            for shown in q["returned"]:
                mark = "relevant" if shown["relevant"] else "instead"
                lines.append(f"- {shown['rank']}. ({mark}) {_md_escape(shown['citation'])}: "
                             f"{_md_escape(shown['snippet'])}")
            lines.append("")
    lines += ["## Files", "",
              "`summary.json` (all figures, per query), `recall_at_k.png`, `run.<mode>.trec` (clause ids as "
              "ranked), `qrels.judgements.trec` with `run.<mode>.judged.trec` (the rankings as judgement items: "
              "what the metrics score).", ""]
    return "\n".join(lines)


def plot_recall_curves(modes: dict[str, ModeResult], path: Path, title: str) -> Path | None:
    curves = {mode: m.curve for mode, m in modes.items() if m.curve}
    if not curves:
        return None
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    for mode, curve in curves.items():
        ks = sorted(curve)
        axes.plot(ks, [curve[k] for k in ks], marker="o", markersize=3, label=mode)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("k (results read)")
    axes.set_ylabel("mean recall@k (judgements satisfied)")
    axes.set_ylim(0, 1.02)
    axes.set_xlim(1, max(max(c) for c in curves.values()))
    axes.grid(True, alpha=0.3)
    axes.set_title(title)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def write_runs(result: EvalResult, out_dir: Path) -> list[Path]:
    written = []
    qrels_path = write_trec_qrels(out_dir / "qrels.judgements.trec", result.qrels)
    written.append(qrels_path)
    for mode, m in result.modes.items():
        if not m.shown:
            continue
        engine = {qid: [(s.clause_id, s.score) for s in shown] for qid, shown in m.shown.items()}
        written.append(write_trec_run(out_dir / f"run.{mode}.trec", engine, f"lexvn-{mode}"))
        judged = {}
        for qid, results in m.judged.items():
            items = ranked_items(results)
            judged[qid] = [(item, float(len(items) - i)) for i, item in enumerate(items)]
        written.append(write_trec_run(out_dir / f"run.{mode}.judged.trec", judged, f"lexvn-{mode}"))
    return written


def write_report(result: EvalResult, out_dir: Path | str) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = summary(result)
    paths: dict[str, Path] = {}
    png = plot_recall_curves(result.modes, out_dir / "recall_at_k.png", f"{result.name}: recall@k per mode")
    if png:
        paths["png"] = png
    paths["json"] = out_dir / "summary.json"
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    paths["markdown"] = out_dir / "report.md"
    paths["markdown"].write_text(markdown(result, data), encoding="utf-8")
    for path in write_runs(result, out_dir):
        paths[path.name] = path
    return paths
