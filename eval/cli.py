"""`lexvn eval`: score the engine on labelled queries (shared JSONL, BEIR folder) or score TREC runs."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

MODE_CHOICES = ("all", "hybrid", "bm25", "dense", "phrase")


def parse_ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError as error:
        raise typer.BadParameter(f"expected comma-separated integers, got {text!r}", param_hint="-k") from error
    if not ks or ks[0] < 1:
        raise typer.BadParameter("k values must be >= 1", param_hint="-k")
    return ks


def parse_modes(text: str, has_dense: bool) -> list[str]:
    from eval.runner import SEARCH_MODES

    if text == "all":
        return [m for m in SEARCH_MODES if has_dense or m != "dense"]
    modes = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in SEARCH_MODES]
    if unknown or not modes:
        raise typer.BadParameter(f"unknown mode(s) {unknown}; choose all or from {', '.join(SEARCH_MODES)}",
                                 param_hint="--mode")
    if "dense" in modes and not has_dense:
        raise typer.BadParameter("the index has no dense vectors; rebuild without --no-dense", param_hint="--mode")
    return modes


def parse_pairs(text: str | None) -> list[tuple[str, str]] | None:
    if not text:
        return None
    pairs = []
    for part in text.split(";"):
        names = [n.strip() for n in part.split(",")]
        if len(names) != 2 or not all(names):
            raise typer.BadParameter(f"expected A,B[;C,D], got {text!r}", param_hint="--compare")
        pairs.append((names[0], names[1]))
    return pairs


def _print_summary(result, paths) -> None:
    from eval.metrics import QUERY_MEAN
    from eval.report import report_metrics

    metrics = report_metrics(result)
    names = [m.replace("article_recall", "art_R").replace(QUERY_MEAN, "/q").replace("recall", "R") for m in metrics]
    typer.echo(f"{result.name}: {len(result.queries)} queries (R: recall as defined; /q: per-query mean)")
    typer.echo("mode      " + "".join(f"{m:>11}" for m in names))
    for mode, m in result.modes.items():
        typer.echo(f"{mode:<10}" + "".join(f"{m.means[x]:>11.3f}" for x in metrics))
    for c in result.comparisons:
        for metric, v in c.metrics.items():
            typer.echo(f"{c.a} vs {c.b} {metric}: {v['a']:.3f} vs {v['b']:.3f}, p = {v['p_value']:.4f} ({c.test})")
    if paths:
        typer.echo(f"report: {paths['markdown'].parent}")


def eval_command(
    queries: Annotated[Path | None, typer.Argument(help="labelled queries: shared-format .jsonl or a BEIR folder")] = None,
    index: Annotated[Path | None, typer.Option("--index", help="index directory (default .lexvn/index or $LEXVN_INDEX)")] = None,
    corpus: Annotated[Path | None, typer.Option("--corpus", help="corpus to (re)build the index from when it is missing or stale")] = None,
    mode: Annotated[str, typer.Option("--mode", help="all, or one or more of hybrid,bm25,dense,phrase")] = "all",
    k: Annotated[str, typer.Option("-k", help="recall cut-offs, comma-separated")] = "1,5,10,20",
    report: Annotated[Path | None, typer.Option("--report", help="write report.md, recall_at_k.png, summary.json and TREC runs here")] = None,
    split: Annotated[str | None, typer.Option("--split", help="BEIR qrels split (default test, else the only one)")] = None,
    qrels: Annotated[Path | None, typer.Option("--qrels", help="TREC qrels file (with --run: score existing runs)")] = None,
    run: Annotated[list[Path] | None, typer.Option("--run", help="TREC run file; repeat to compare runs")] = None,
    compare: Annotated[str | None, typer.Option("--compare", help="mode pairs to test, e.g. 'hybrid,bm25;hybrid,dense' (default: hybrid vs each)")] = None,
    test: Annotated[str, typer.Option("--test", help="paired significance test: fisher (randomization) or student")] = "fisher",
    no_dense: Annotated[bool, typer.Option("--no-dense", help="build without dense vectors; 'all' then skips dense")] = False,
    model: Annotated[str | None, typer.Option("--model", help="embedding model when the index is (re)built: minilm, a packaged model or a path")] = None,
    save_baseline: Annotated[Path | None, typer.Option("--save-baseline", help="write hybrid recall@10/MRR@10 (per query too) as the regression baseline")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars")] = False,
) -> None:
    """Recall@k, MRR@10 and nDCG@10 per search mode and per query kind, with significance tests.

    A result satisfies an anchor judgement when it comes from the judged document and its clause text
    contains the anchor (compared as skeletons); each judgement counts once.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from eval import formats, runner
    from eval.metrics import STAT_TESTS
    from eval.report import write_report

    ks = parse_ks(k)
    if test not in STAT_TESTS:
        raise typer.BadParameter(f"choose one of {', '.join(STAT_TESTS)}", param_hint="--test")

    if qrels is not None or run:
        if qrels is None or not run:
            raise typer.BadParameter("--qrels and --run go together")
        runs = {}
        for path in run:
            name = formats.trec_run_tag(path)
            name = name if name not in runs else f"{name}({path.name})"
            runs[name] = formats.read_trec_run(path)
        result = runner.evaluate_trec(formats.read_trec_qrels(qrels), runs, ks, test, name=qrels.name)
        paths = write_report(result, report) if report else {}
        _print_summary(result, paths)
        return

    if queries is None:
        raise typer.BadParameter("give QUERIES, or --qrels with --run", param_hint="QUERIES")
    need_dense = not no_dense
    info: dict = {"queries_file": str(queries)}
    with tempfile.TemporaryDirectory(prefix="lexvn-eval-") as scratch:
        if formats.is_beir_folder(queries):
            beir = formats.read_beir(queries, split)
            info["beir_split"] = beir.split
            if corpus is None:
                # The BEIR documents become the corpus; their ids become lexvn doc_ids (file names).
                corpus = Path(scratch) / "corpus"
                doc_ids = runner.write_beir_corpus(beir, corpus)
                labelled = runner.beir_queries_for_index(beir, doc_ids)
                index = index or Path(scratch) / "index"
            else:
                labelled = beir.queries
        elif queries.is_file():
            labelled = formats.read_queries_jsonl(queries)
        else:
            raise typer.BadParameter(f"{queries} is neither a .jsonl file nor a BEIR folder", param_hint="QUERIES")

        if index is None:
            from search.cli import default_index

            index = default_index()
        if corpus is not None:
            wants_dense = need_dense and (mode == "all" or "dense" in mode.split(","))
            from indexer.build import ensure_index

            info["build"] = ensure_index(corpus, index, dense=wants_dense, model=model, progress=not quiet,
                                         log=lambda line: typer.echo(line, err=True))
            info["corpus"] = str(corpus)
        info["index"] = str(index)

        from eval.units import ArticleUnits
        from search import Searcher

        searcher = Searcher.open(index)
        searcher.warm_up()  # ms/query in the report is per query, not the encoder's and underthesea's loading
        modes = parse_modes(mode, searcher.has_dense and need_dense)
        info["clauses"] = searcher.clause_count
        info["dense_model"] = (searcher.manifest.get("dense") or {}).get("model")
        result = runner.evaluate_retrievers(
            queries.stem if queries.is_file() else queries.name, labelled,
            runner.searcher_retrievers(searcher, modes), ks, parse_pairs(compare), test, info,
            units=ArticleUnits(searcher))

    paths = write_report(result, report) if report else {}
    if save_baseline is not None:
        import json

        record = runner.baseline_record(result, note=f"measured by `lexvn eval {queries}` on {info['index']}")
        save_baseline.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        typer.echo(f"baseline written to {save_baseline}")
    _print_summary(result, paths)


def title_queries_command(
    corpus: Annotated[Path, typer.Option("--corpus", help="folder of legal texts, e.g. ../shared/vlc")],
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write")],
    exclude: Annotated[list[Path] | None, typer.Option(
        "--exclude", help="query files whose articles are not drawn again (the evaluation set)")] = None,
    count: Annotated[int, typer.Option("--count", min=1)] = 600,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    prefix: Annotated[str, typer.Option("--prefix", help="query id prefix")] = "d",
) -> None:
    """Draw known-item title queries (a development split) from a corpus's articles."""
    from eval.articles import load_documents
    from eval.title_queries import title_queries, write_queries

    missing = [p for p in exclude or [] if not p.is_file()]
    if missing:
        raise typer.BadParameter(f"query file(s) not found: {', '.join(map(str, missing))}")
    queries = title_queries(load_documents(corpus), exclude or [], count, seed, prefix)
    write_queries(queries, out)
    typer.echo(f"{len(queries)} title queries written to {out}")


def crosscheck_eval_command(
    index: Annotated[Path | None, typer.Option("--index", help="an index of corpus/ (default: built in a temporary folder)")] = None,
    corpus: Annotated[Path | None, typer.Option("--corpus", help="the seed corpus (default corpus/)")] = None,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="grid-search the cross-language settings on the calibration half")] = False,
    write: Annotated[bool, typer.Option("--write", help="with --calibrate: store them in search/data/align_calibration.json")] = False,
    half: Annotated[str, typer.Option("--half", help="report, calibration or all")] = "report",
    as_json: Annotated[bool, typer.Option("--json", help="the figures as JSON")] = False,
    version_pairs: Annotated[bool, typer.Option("--version-pairs", help="also replay the judged findings on the three "
                                                "VLC version pairs (eval/crosscheck/): precision per pair")] = False,
    vlc: Annotated[Path | None, typer.Option("--vlc", help="the VLC folder for --version-pairs (default ../shared/vlc)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write report.md and summary.json into this folder")] = None,
) -> None:
    """Alignment precision / recall on the labelled seed pairs (eval/alignment/), optionally calibrating the
    cross-language thresholds on the calibration half first; with --version-pairs, the precision of
    difference findings replayed against the committed judgements."""
    from eval import alignment_gold
    from eval.paths import CORPUS_DIR
    from indexer.build import ensure_index
    from search import Searcher

    if half not in ("report", "calibration", "all"):
        raise typer.BadParameter("choose report, calibration or all", param_hint="--half")
    with tempfile.TemporaryDirectory(prefix="lexvn-align-") as scratch:
        index = index or Path(scratch) / "index"
        ensure_index(corpus or CORPUS_DIR, index, dense=True, progress=False, log=lambda line: typer.echo(line, err=True))
        searcher = Searcher.open(index)
        output: dict = {}
        if calibrate:
            found = alignment_gold.calibrated_settings(searcher)
            output["calibration"] = {key: value["best"] for key, value in found.items()}
            if write:
                alignment_gold.write_calibration(found)
                alignment_gold.calibration_changed()
        output["alignment"] = alignment_gold.evaluate(searcher, None if half == "all" else half)
        if version_pairs:
            from eval import judged_findings
            from eval.paths import VLC_DIR

            records = judged_findings.load_judged()
            replays = judged_findings.replay_all(Path(scratch) / "pairs", vlc or VLC_DIR, records)
            output["version_pairs"] = {pair: replay.to_json() for pair, replay in replays.items()}
            output["precision_table"] = judged_findings.table(replays, records)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(output, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        (out / "report.md").write_text(crosscheck_report(output), encoding="utf-8")
        typer.echo(f"written: {out / 'report.md'}, {out / 'summary.json'}", err=True)
    if as_json:
        typer.echo(json.dumps(output, ensure_ascii=False, indent=1))
        return
    for key, best in output.get("calibration", {}).items():
        typer.echo(f"calibrated {key}: threshold {best['threshold']}, margin {best['margin']}, top_k {best['top_k']}, "
                   f"dense weight {best['dense_weight']} (calibration half: P {best['precision']:.3f}, R {best['recall']:.3f})"
                   + (" — written" if write else ""))
    result = output["alignment"]
    typer.echo(f"alignment on the {result['half']} half: gold pairs, found, precision, recall, F1; plan-only and "
               "omitted clauses left unaligned")
    for name, scores in [*result["plans"].items(), ("total", result["total"])]:
        typer.echo(f"  {name:<22} {scores['gold_pairs']:>3} {scores['found_pairs']:>3}  P {scores['precision']:.3f}  "
                   f"R {scores['recall']:.3f}  F1 {scores['f1']:.3f}  plan-only {scores['plan_only_unaligned']}/"
                   f"{scores['plan_only']}  omitted {scores['omitted_unaligned']}/{scores['omitted']}")
    if result["unresolved"]:
        typer.echo(f"  anchors not found: {', '.join(result['unresolved'])}")
    if "precision_table" in output:
        typer.echo(output["precision_table"])


def crosscheck_report(output: dict) -> str:
    """The Markdown report of `lexvn crosscheck-eval --out`: alignment per plan, then precision per version pair."""
    result = output["alignment"]
    lines = ["# Cross-checking quality", "",
             f"## Alignment on the labelled seed pairs (eval/alignment/), {result['half']} half", "",
             "Thresholds are calibrated on the calibration half (search/data/align_calibration.json); the report "
             "half is never tuned on. A pair counts when the aligner links the plan clause to the gold clause of "
             "66-NQ/TW; plan-only and omitted clauses should stay unaligned.", "",
             "| plan | gold pairs | found | precision | recall | F1 | plan-only left unaligned | omitted left unaligned |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, s in [*result["plans"].items(), ("total", result["total"])]:
        lines.append(f"| {name} | {s['gold_pairs']} | {s['found_pairs']} | {s['precision']:.3f} | {s['recall']:.3f} | "
                     f"{s['f1']:.3f} | {s['plan_only_unaligned']}/{s['plan_only']} | {s['omitted_unaligned']}/{s['omitted']} |")
    if "precision_table" in output:
        lines += ["", "## Difference findings on three version pairs of ../shared/vlc", "",
                  "Each finding judged by reading both clauses (eval/crosscheck/judged_findings.jsonl); precision = "
                  "judged-correct findings reported now / judged findings reported now.", "",
                  output["precision_table"]]
        unjudged = {pair: r["unjudged"] for pair, r in output["version_pairs"].items() if r["unjudged"]}
        if unjudged:
            lines += ["", f"Findings nobody judged: {json.dumps(unjudged, ensure_ascii=False)}"]
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.command("title-queries")(title_queries_command)
    app.command("crosscheck-eval")(crosscheck_eval_command)
