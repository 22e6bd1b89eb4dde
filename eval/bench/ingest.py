"""Benchmarks of ingestion: parsing the VLC (clause coverage, wall and CPU time) and the per-stage cost."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from indexer.clean import clean_text
from indexer.load import load_file
from indexer.metadata import extract_metadata
from indexer.model import CleanedText
from indexer.model import DocumentMeta as Meta
from indexer.parse import parse_clauses
from indexer.pipeline import corpus_files, ingest_file
from indexer.references import find_references as references_of

ARTICLE_LINE = re.compile(r"^\s*Điều\s+(\d+[a-zđ]?)\s*(?:[.:]|$)", re.M)


def bench_parse_vlc(vlc_dir: str | Path, full_ingest: bool = True, limit: int | None = None) -> dict:
    """Parse every VLC file in this one process; count `Điều N` line headings (independent regex) vs article
    clauses. `full_ingest` times what `lexvn parse` does per file (load, clean, metadata, clauses, references);
    otherwise only `parse_clauses` on the raw text. Reports wall and CPU seconds."""
    files = sorted(Path(vlc_dir).glob("*.txt"))[:limit]
    started = time.perf_counter()
    cpu_started = time.process_time()
    headings = matched = articles = khoan = diem = nested_ok = clauses_total = 0
    failures: list[str] = []
    for path in files:
        try:
            if full_ingest:
                document = ingest_file(path, path.parent)
                text, clauses = document.text, document.clauses
            else:
                text = path.read_text(encoding="utf-8", errors="replace")
                clauses = parse_clauses(path.stem, text, CleanedText(), Meta(doc_type="Luật"))
        except Exception as error:  # noqa: BLE001 - the benchmark reports, never stops
            failures.append(f"{path.name}: {error!r}")
            continue
        clauses_total += len(clauses)
        expected = Counter((m.start(1), m.group(1)) for m in ARTICLE_LINE.finditer(text))
        by_start = {c.span[0]: c for c in clauses if c.kind == "dieu"}
        headings += len(expected)
        for (start, number), _ in expected.items():
            clause = by_start.get(_first_non_space(text, start))
            if clause is not None and clause.path[-1].label == number:
                matched += 1
        articles += sum(1 for c in clauses if c.kind == "dieu")
        for c in clauses:
            if c.kind in ("khoan", "diem"):
                khoan += c.kind == "khoan"
                diem += c.kind == "diem"
                kinds = [s.kind for s in c.path]
                nested_ok += "dieu" in kinds and (c.kind == "khoan" or "khoan" in kinds or kinds[-2] == "dieu")
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "files": len(files),
        "files_failed": len(failures),
        "failures": failures[:10],
        "stages": "load, clean, metadata, clauses, references" if full_ingest else "clauses",
        "processes": 1,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "target_seconds": 60,
        "meets_target": seconds < 60,
        "dieu_headings": headings,
        "dieu_clauses_matched": matched,
        "coverage_pct": round(100.0 * matched / headings, 3) if headings else 0.0,
        "dieu_clauses": articles,
        "khoan_clauses": khoan,
        "diem_clauses": diem,
        "khoan_diem_nested_pct": round(100.0 * nested_ok / (khoan + diem), 3) if khoan + diem else 0.0,
        "clauses": clauses_total,
    }


def _first_non_space(text: str, position: int) -> int:
    line_start = text.rfind("\n", 0, position) + 1
    while line_start < len(text) and (text[line_start].isspace() or text[line_start] == "\ufeff"):
        line_start += 1
    return line_start



def bench_ingest(corpus_dir: Path, limit: int | None = None) -> dict:
    """Seconds spent per ingestion stage (load, clean incl. glyph repair, metadata, references) over a
    corpus such as ../shared/vlc; clause parsing is timed by `bench_parse_vlc`."""
    paths = [p for p in corpus_files(Path(corpus_dir)) if p.suffix.lower() in {".txt", ".md"}][:limit]
    seconds = {"load": 0.0, "clean": 0.0, "metadata": 0.0, "references": 0.0}
    characters = repairs = references = 0
    for path in paths:
        started = time.perf_counter()
        loaded = load_file(path)
        loaded_at = time.perf_counter()
        cleaned = clean_text(loaded.text)
        cleaned_at = time.perf_counter()
        extract_metadata(loaded.text, cleaned)
        meta_at = time.perf_counter()
        references += len(references_of(loaded.text, cleaned))
        done = time.perf_counter()
        seconds["load"] += loaded_at - started
        seconds["clean"] += cleaned_at - loaded_at
        seconds["metadata"] += meta_at - cleaned_at
        seconds["references"] += done - meta_at
        characters += len(loaded.text)
        repairs += len(cleaned.repairs)
    total = sum(seconds.values())
    return {
        "files": len(paths),
        "characters": characters,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "total_s": round(total, 3),
        "mb_per_s": round(characters / 1e6 / total, 3) if total else None,
        "glyph_repairs": repairs,
        "references": references,
    }
