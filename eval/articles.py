"""The articles (Điều) of parsed laws, as training and the development split see them, and hold-out.

Shared by `eval.title_queries` (drawing title queries) and `eval.training` (mining training pairs): both
must agree on what an article, its title and its body are, and on which articles a query file holds out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from indexer.model import Clause, Document
from indexer.normalise import skeleton
from indexer.pipeline import ingest_file

ARTICLE_HEADING = re.compile(r"^Điều\s+(\d+\w*)\s*[.:]?\s*(.*)$")


@dataclass(frozen=True, slots=True)
class Article:
    """One Điều with what pair mining needs: its title, heading chain, body and khoản texts."""

    key: str  # clause id of the article
    doc_id: str
    title: str
    heading: str  # "Điều 5. Title"
    chapter: str | None
    body: str
    clauses: tuple[str, ...]  # texts of its khoản (or điểm when it has no khoản), in order


def _descendants(document: Document) -> dict[str, list[Clause]]:
    children: dict[str, list[Clause]] = {}
    for clause in document.clauses:
        if clause.parent_id:
            children.setdefault(clause.parent_id, []).append(clause)
    return children


def _subtree(clause: Clause, children: dict[str, list[Clause]]) -> list[Clause]:
    found, stack = [], list(reversed(children.get(clause.id, [])))
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(reversed(children.get(node.id, [])))
    return found


def _clause_text(clause: Clause) -> str:
    return (clause.clean_text or clause.text).strip()


def articles_of(document: Document) -> list[Article]:
    """Every titled Điều of a document, with its body taken from the source span it and its subtree cover."""
    children = _descendants(document)
    articles = []
    for clause in document.clauses:
        if clause.kind != "dieu" or not clause.title:
            continue
        subtree = _subtree(clause, children)
        end = max([clause.span[1], *(c.span[1] for c in subtree)])
        full = document.text[clause.span[0] : end]
        heading_line, _, body = full.partition("\n")
        # The title as printed on the heading line ("Điều 5. Title"); the parser's title is the fallback.
        printed = ARTICLE_HEADING.match(heading_line.strip())
        title = printed.group(2).strip() if printed and printed.group(2).strip() else clause.title.strip()
        if not body.strip():  # a parser whose article span is the heading line only: use its own text
            body = _clause_text(clause).partition("\n")[2]
        label = clause.path[-1].label if clause.path else ""
        parts = [c for c in subtree if c.kind == "khoan"] or [c for c in subtree if c.kind == "diem"]
        chapter = next((h for h in clause.headings if h.lower().startswith("chương")), None)
        articles.append(
            Article(
                key=clause.id,
                doc_id=document.doc_id,
                title=title,
                heading=f"Điều {label}. {title}" if label else heading_line.strip(),
                chapter=chapter,
                body=" ".join(body.split()),
                clauses=tuple(_clause_text(c) for c in parts),
            )
        )
    return [a for a in articles if a.body]


def held_out_titles(query_files: Iterable[Path]) -> set[tuple[str, str]]:
    """(doc_id, title skeleton) of every query in the eval files: those articles are never trained on."""
    held = set()
    for path in query_files:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                query = json.loads(line)
                for judgement in query["relevant"]:
                    held.add((judgement["doc"], skeleton(query["query"])))
    return held


def is_held_out(article: Article, held: set[tuple[str, str]]) -> bool:
    return (article.doc_id, skeleton(article.title)) in held or (article.doc_id, skeleton(article.heading)) in held


def load_documents(corpus_dir: Path, progress: bool = True) -> list[Document]:
    from tqdm import tqdm

    paths = sorted(p for p in Path(corpus_dir).rglob("*") if p.is_file() and p.suffix.lower() in {".txt", ".md"})
    return [ingest_file(p, Path(corpus_dir)) for p in tqdm(paths, desc="parse", disable=not progress)]
