"""Benchmark of encode throughput: clauses per second per model, through the index's own encoder."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.articles import articles_of
from eval.paths import VLC_DIR
from indexer.embed import MINILM, Encoder, passage_text
from indexer.pipeline import corpus_files, ingest_file

# The baseline first, then the candidates: the packaged English MiniLM, the routed lexvn-vi-en
# (lexvn-static-vi for Vietnamese text, MiniLM for English) and the Vietnamese static model.
COMPARED_MODELS = (MINILM, "lexvn-vi-en", "lexvn-static-vi")


def sample_clause_texts(vlc_dir: Path, limit: int = 1000, per_law: int = 50) -> list[str]:
    """A fixed sample of clause texts as the index embeds them: up to `per_law` khoản (with their article
    heading) from each law in file-name order, until `limit`."""
    texts: list[str] = []
    for path in sorted(Path(vlc_dir).glob("*.txt")):
        taken = []
        for article in articles_of(ingest_file(path, Path(vlc_dir))):
            taken.extend(f"{article.heading}\n{text}" for text in (article.clauses or (article.body,)))
            if len(taken) >= per_law:
                break
        texts.extend(taken[:per_law])
        if len(texts) >= limit:
            break
    return texts[:limit]


def corpus_clause_texts(corpus_dir: Path) -> tuple[list[str], list[str]]:
    """(texts, languages) of every clause of a corpus as the index embeds them (the mixed-language sample)."""
    texts, languages = [], []
    for path in corpus_files(Path(corpus_dir)):
        for clause in ingest_file(path, Path(corpus_dir)).clauses:
            texts.append(passage_text(clause.headings, clause.clean_text or clause.text))
            languages.append(clause.language)
    return texts, languages


def _throughput(model_names: Sequence[str], texts: list[str], languages: list[str], batch_size: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"clauses": len(texts), "languages": dict(sorted(Counter(languages).items())),
                               "models": {}}
    for name in model_names:
        encoder = Encoder(name)
        encoder.encode_passages(texts[:32], batch_size, languages=languages[:32])  # loading is not encoding
        encoder.encode_passages(["warm-up"], languages=["en"])  # a routed model's other encoder too
        started = time.perf_counter()
        encoder.encode_passages(texts, batch_size, languages=languages)
        seconds = time.perf_counter() - started
        figures["models"][name] = {"seconds": round(seconds, 3), "clauses_per_s": round(len(texts) / seconds, 1)}
    base = figures["models"][model_names[0]]["clauses_per_s"]
    for name in model_names:
        figures["models"][name]["x_vs_" + model_names[0]] = round(figures["models"][name]["clauses_per_s"] / base, 2)
    return figures


def bench_encode(
    model_names: Sequence[str] = COMPARED_MODELS,
    texts: Sequence[str] | None = None,
    *,
    vlc_dir: Path | None = None,
    corpus_dir: Path | None = None,
    limit: int = 1000,
    batch_size: int = 64,
) -> dict[str, Any]:
    """Encode throughput (clauses/s) per model on this machine through the index's own encoder, and each
    model's ratio to the first: on `limit` Vietnamese VLC clauses, and (with `corpus_dir`) on every clause of
    a mixed-language corpus, where a routed model encodes the English clauses with MiniLM."""
    if texts is None:
        texts = sample_clause_texts(Path(vlc_dir or VLC_DIR), limit)
    texts = list(texts)
    figures = _throughput(model_names, texts, ["vi"] * len(texts), batch_size)
    if corpus_dir is not None:
        mixed_texts, mixed_languages = corpus_clause_texts(Path(corpus_dir))
        figures["mixed_corpus"] = {"corpus": str(corpus_dir),
                                   **_throughput(model_names, mixed_texts, mixed_languages, batch_size)}
    return figures
