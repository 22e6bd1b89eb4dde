"""Known-item title queries generated from a corpus, in the shared anchor format (a development split).

The shared VLC title set (`../shared/eval/vlc_title_queries.jsonl`) is the evaluation set: choosing training
settings by looking at it would overfit them to it. This module draws another set the same way from the
articles it does not use: the query is an article's title, the anchor the first line of its body (its
first khoản), titles found in more than one law are left out (as in the shared set). `lexvn train-encoder`
holds these articles out of training too, so settings chosen on them are chosen on unseen articles.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from eval.articles import articles_of, held_out_titles, is_held_out
from indexer.normalise import skeleton

ANCHOR_CHARS = 90  # as long as the shared set's anchors
MIN_ANCHOR_SKELETON = 20  # shorter anchors ("1. Bãi bỏ") could match clauses of other articles
MIN_TITLE_WORDS = 2


def _anchor(first_part: str) -> str:
    return first_part.strip().split("\n", 1)[0].strip()[:ANCHOR_CHARS].rstrip()


def title_queries(documents: Iterable, exclude: Iterable[Path] = (), count: int = 600, seed: int = 7,
                  prefix: str = "d") -> list[dict]:
    """`count` title queries drawn with `seed` from the articles of `documents` that no file in `exclude`
    uses (same document and title skeleton), one per title that is unique across documents."""
    excluded = held_out_titles(exclude)
    articles = [a for doc in documents for a in articles_of(doc)]
    laws_per_title = Counter(title for _, title in {(a.doc_id, skeleton(a.title)) for a in articles})
    candidates = []
    for article in articles:
        anchor = _anchor(article.clauses[0] if article.clauses else article.body)
        if (laws_per_title[skeleton(article.title)] == 1 and not is_held_out(article, excluded)
                and len(article.title.split()) >= MIN_TITLE_WORDS and len(skeleton(anchor)) >= MIN_ANCHOR_SKELETON):
            candidates.append((article, anchor))
    # A title repeated inside one law (two articles "Hiệu lực thi hành") is ambiguous there too.
    per_document = Counter((a.doc_id, skeleton(a.title)) for a, _ in candidates)
    candidates = [(a, anchor) for a, anchor in candidates if per_document[(a.doc_id, skeleton(a.title))] == 1]
    chosen = random.Random(seed).sample(candidates, min(count, len(candidates)))
    return [{"id": f"{prefix}{number:04d}", "query": article.title, "kind": "title",
             "relevant": [{"doc": article.doc_id, "anchor": anchor}]}
            for number, (article, anchor) in enumerate(chosen)]


def write_queries(queries: Sequence[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), encoding="utf-8")
