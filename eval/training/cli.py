"""`lexvn train-encoder`: train the Vietnamese legal static encoder from a corpus (see eval.training.train_encoder)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from eval.paths import DEV_TITLE_QUERIES, VLC_TITLE_QUERIES

# The evaluation set, and the development split that training settings are chosen on (eval/title_queries.py):
# neither set's articles are trained on.
DEFAULT_HOLDOUT = (VLC_TITLE_QUERIES, DEV_TITLE_QUERIES)


def train_encoder_command(
    corpus: Annotated[Path, typer.Option("--corpus", help="folder of legal texts, e.g. ../shared/vlc")],
    out: Annotated[Path, typer.Option("--out", help="where to save the sentence-transformers model")],
    seed: Annotated[int, typer.Option("--seed")] = 13,
    epochs: Annotated[int, typer.Option("--epochs")] = 4,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 256,
    dim: Annotated[int, typer.Option("--dim", help="embedding dimension")] = 256,
    vocab_size: Annotated[int, typer.Option("--vocab-size", help="BPE pieces (size ≈ pieces × dim × 4 bytes)")] = 20000,
    learning_rate: Annotated[float, typer.Option("--lr")] = 0.02,
    holdout: Annotated[list[Path] | None, typer.Option(
        "--holdout", help="query files whose target articles are never trained on "
        "(default ../shared/eval/vlc_title_queries.jsonl and eval/dev/vlc_dev_title_queries.jsonl)")] = None,
    hard_negatives: Annotated[bool, typer.Option("--hard-negatives/--no-hard-negatives")] = True,
    sif_a: Annotated[float, typer.Option("--sif-a", help="token weight a/(a+p(token)) after training; 0: off")] = 1e-2,
    lexicon: Annotated[bool, typer.Option("--lexicon-pairs/--no-lexicon-pairs", help="also train on everyday and "
                       "English rewrites from the thesaurus and glossary (a Vietnamese-English model)")] = False,
    question_repeat: Annotated[int, typer.Option("--question-repeat", help="also train on the written questions "
                               "(eval/training/questions.py), each this many times; 0: not")] = 0,
    progress: Annotated[bool, typer.Option("--progress/--quiet")] = True,
) -> None:
    """Train a StaticEmbedding encoder on pairs mined from document structure, with BM25 hard negatives."""
    from eval.training.train_encoder import TrainConfig, train_encoder

    config = TrainConfig(seed=seed, epochs=epochs, batch_size=batch_size, dim=dim, vocab_size=vocab_size,
                         learning_rate=learning_rate, hard_negatives=hard_negatives,
                         sif_a=sif_a or None, lexicon_pairs=lexicon,
                         question_repeat=question_repeat)
    files = holdout if holdout is not None else list(DEFAULT_HOLDOUT)
    missing = [p for p in files if not p.is_file()]
    if missing:
        raise typer.BadParameter(f"hold-out query file(s) not found: {', '.join(map(str, missing))}")
    command = "lexvn " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    report = train_encoder(corpus, out, config, files, progress=progress, command=command)
    typer.echo(f"saved {out}: {report.articles} articles ({report.held_out_articles} held out), "
               f"pairs {report.pairs}, {report.steps} steps, seconds {report.seconds}")


def compare_encoders_command(
    full_vlc: Annotated[bool, typer.Option("--full-vlc/--vlc-subset", help="the whole VLC title set (MiniLM "
                                           "then encodes ~122k clauses, about an hour here) or a 600 kB subset")] = False,
    models: Annotated[str, typer.Option("--models", help="comma-separated; baseline first, candidate second")]
    = "minilm,lexvn-vi-en,lexvn-static-vi",
    work_dir: Annotated[Path, typer.Option("--work-dir", help="indexes are kept and reused here")]
    = Path(".lexvn/compare-encoders"),
    out: Annotated[Path | None, typer.Option("--out", help="write the table (Markdown) and JSON here")] = None,
) -> None:
    """Measure encoders in one run with the evaluation harness (issue 7's rule for the default model)."""
    import json

    from eval.training.compare import VLC_SUBSET_BYTES, compare_encoders, format_table

    table = compare_encoders(models=tuple(m.strip() for m in models.split(",") if m.strip()), work_dir=work_dir,
                             vlc_budget_bytes=None if full_vlc else VLC_SUBSET_BYTES, progress=True)
    text = format_table(table)
    typer.echo(text)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare_encoders.md").write_text(text + "\n", encoding="utf-8")
        (out / "compare_encoders.json").write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n",
                                                    encoding="utf-8")


def train_reranker_command(
    index: Annotated[Path, typer.Option("--index", help="the index the questions are asked of, e.g. .lexvn/vlc-index")],
    dev: Annotated[list[Path], typer.Option("--dev", help="a development half (repeat); never a test half")],
    out: Annotated[Path, typer.Option("--out", help="where to write the model")] = Path("search/data/reranker.json"),
    kind: Annotated[list[str] | None, typer.Option("--kind", help="kinds of query it serves (default: question)")] = None,
    check: Annotated[list[Path] | None, typer.Option("--check", help="a development file judged with the final "
                                                    "model as well (e.g. eval/questions/vlc_written.dev.jsonl)")] = None,
) -> None:
    """Train the reranker over fused candidates (search/rerank.py) on the written training questions and the
    development halves; choose its setting by cross-validation on the latter (eval.training.train_reranker)."""
    import json

    from eval.training.train_reranker import train

    report = train(index, dev, out, tuple(kind or ("question",)), checks=check or ())
    typer.echo(json.dumps(report, indent=1, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("train-encoder")(train_encoder_command)
    app.command("train-reranker")(train_reranker_command)
    app.command("compare-encoders")(compare_encoders_command)
