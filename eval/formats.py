"""Labelled-query inputs and run outputs: the shared anchor JSONL, BEIR folders, TREC qrels and runs.

Every input becomes a list of `LabelledQuery`, each with its `Judgement`s. A judgement is one relevant
item: an anchor judgement ("this document, a clause containing this snippet") or a document judgement
(BEIR / TREC: "this document", `anchor=None`), optionally graded.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote


@dataclass(slots=True, frozen=True)
class Judgement:
    id: str  # unique within its query: the item id that the qrels and judged runs use
    doc: str  # doc_id the result must come from
    anchor: str | None = None  # snippet the clause must contain (as skeletons); None = any clause of `doc`
    grade: int = 1


@dataclass(slots=True)
class LabelledQuery:
    id: str
    text: str
    kind: str
    judgements: list[Judgement] = field(default_factory=list)


@dataclass(slots=True)
class BeirSet:
    """A BEIR folder: corpus documents by id (title, text), queries with their judgements, the split read."""

    corpus: dict[str, tuple[str, str]]
    queries: list[LabelledQuery]
    split: str


class FormatError(ValueError):
    """An input file that does not follow the format it claims."""


def anchor_judgement_id(index: int, doc: str) -> str:
    # Position first: two anchors in the same document stay two judgements.
    return f"j{index}:{doc}"


def read_queries_jsonl(path: Path) -> list[LabelledQuery]:
    """The shared format of ../shared/eval/README.md: one {id, query, kind, relevant:[{doc, anchor}]} per line."""
    queries: list[LabelledQuery] = []
    seen: set[str] = set()
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            query_id, text = str(row["id"]), row["query"]
            relevant = row.get("relevant", [])
            judgements = [
                Judgement(anchor_judgement_id(i, item["doc"]), item["doc"], item.get("anchor") or None,
                          int(item.get("grade", 1)))
                for i, item in enumerate(relevant)
            ]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise FormatError(f"{path}:{line_no}: not a labelled query ({error})") from error
        if query_id in seen:
            raise FormatError(f"{path}:{line_no}: duplicate query id {query_id!r}")
        seen.add(query_id)
        queries.append(LabelledQuery(query_id, text, row.get("kind") or "unknown", judgements))
    return queries


def _read_jsonl(path: Path) -> Iterable[dict]:
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def read_beir_qrels_tsv(path: Path) -> dict[str, dict[str, int]]:
    """BEIR qrels: tab-separated `query-id corpus-id score` with a header line."""
    qrels: dict[str, dict[str, int]] = {}
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        for row in rows:
            if not row or row[0] == "query-id":
                continue
            if len(row) < 3:
                raise FormatError(f"{path}: expected query-id, corpus-id, score; got {row!r}")
            qrels.setdefault(row[0], {})[row[1]] = int(float(row[2]))
    return qrels


def pick_beir_split(folder: Path, split: str | None) -> Path:
    qrels_dir = Path(folder) / "qrels"
    files = sorted(qrels_dir.glob("*.tsv"))
    if not files:
        raise FormatError(f"{qrels_dir}: no qrels/*.tsv")
    if split:
        chosen = qrels_dir / f"{split}.tsv"
        if not chosen.exists():
            raise FormatError(f"{chosen} not found; splits here: {[f.stem for f in files]}")
        return chosen
    # The BEIR convention evaluates on `test` when there is one.
    return qrels_dir / "test.tsv" if (qrels_dir / "test.tsv").exists() else files[0]


def read_beir(folder: Path, split: str | None = None) -> BeirSet:
    """A BEIR folder: corpus.jsonl {_id, title, text}, queries.jsonl {_id, text, metadata}, qrels/<split>.tsv.

    Only queries with at least one positive qrel are kept (BEIR's own evaluation does the same); a qrel of
    score <= 0 says "judged not relevant" and is not a judgement to satisfy.
    """
    folder = Path(folder)
    qrels_path = pick_beir_split(folder, split)
    qrels = read_beir_qrels_tsv(qrels_path)
    corpus = {str(d["_id"]): (d.get("title") or "", d.get("text") or "") for d in _read_jsonl(folder / "corpus.jsonl")}
    queries: list[LabelledQuery] = []
    for row in _read_jsonl(folder / "queries.jsonl"):
        query_id = str(row["_id"])
        positives = {doc: grade for doc, grade in qrels.get(query_id, {}).items() if grade > 0}
        if not positives:
            continue
        unknown = [doc for doc in positives if doc not in corpus]
        if unknown:
            raise FormatError(f"{qrels_path}: query {query_id} judges documents not in corpus.jsonl: {unknown}")
        kind = (row.get("metadata") or {}).get("kind") or "beir"
        judgements = [Judgement(doc, doc, None, grade) for doc, grade in sorted(positives.items())]
        queries.append(LabelledQuery(query_id, row["text"], kind, judgements))
    return BeirSet(corpus=corpus, queries=queries, split=qrels_path.stem)


def is_beir_folder(path: Path) -> bool:
    path = Path(path)
    return path.is_dir() and (path / "corpus.jsonl").exists() and (path / "queries.jsonl").exists()


def read_trec_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC qrels: `qid iteration docid relevance` per line (whitespace-separated)."""
    qrels: dict[str, dict[str, int]] = {}
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise FormatError(f"{path}:{line_no}: expected `qid 0 docid relevance`, got {line!r}")
        qrels.setdefault(parts[0], {})[parts[2]] = int(float(parts[3]))
    return qrels


def read_trec_run(path: Path) -> dict[str, dict[str, float]]:
    """TREC run: `qid Q0 docid rank score tag` per line. Order comes from the score, as trec_eval does."""
    run: dict[str, dict[str, float]] = {}
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise FormatError(f"{path}:{line_no}: expected `qid Q0 docid rank score tag`, got {line!r}")
        run.setdefault(parts[0], {})[parts[2]] = float(parts[4])
    return run


def trec_run_tag(path: Path) -> str:
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 6:
            return parts[5]
    return Path(path).stem


WHITESPACE = re.compile(r"\s")


def _check_trec_token(token: str) -> str:
    """TREC files are whitespace-separated: whitespace inside an id is percent-encoded (`%20`)."""
    if not token:
        raise FormatError("TREC ids cannot be empty")
    return WHITESPACE.sub(lambda m: quote(m.group()), token)


def write_trec_run(path: Path, ranked: Mapping[str, list[tuple[str, float]]], tag: str) -> Path:
    """Write ranked (docid, score) lists per query; rank is the list position (1-based)."""
    lines = []
    for query_id, items in ranked.items():
        for rank, (doc_id, score) in enumerate(items, start=1):
            lines.append(f"{_check_trec_token(query_id)} Q0 {_check_trec_token(doc_id)} {rank} {score:.6f} "
                         f"{_check_trec_token(tag)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return path


def write_trec_qrels(path: Path, qrels: Mapping[str, Mapping[str, int]]) -> Path:
    lines = [
        f"{_check_trec_token(query_id)} 0 {_check_trec_token(doc_id)} {grade}"
        for query_id, judged in qrels.items()
        for doc_id, grade in judged.items()
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return path
