"""Judged cross-check findings on three version pairs of ../shared/vlc, replayed against the current code.

`eval/crosscheck/judged_findings.jsonl` holds one record per finding a person judged by reading both
clauses: the pair, the finding's kind, the clause of the document under review (A, the newer law) and of
the reference (B, the older one) with the start of their text, the verdict (`correct` / `incorrect`), a
short reason, and the sample it was judged in (`before`: every finding the code produced before its rules
were tuned; `after`: the findings that first appeared once they were). The replay builds an index of each
pair's two files, cross-checks them and matches the findings to the records:

- a finding on an aligned pair is identified by (kind, A's clause, B's clause); a dropped obligation with
  no aligned counterpart by (kind, B's clause); an added one by (kind, A's clause), since the closest clause
  cited beside it may change without the finding changing; and by what it says (`signature`: per difference
  the value and comparator on each side), so a finding whose values or comparators changed is judged again;
- precision = judged-correct findings reported / judged findings reported, per pair;
- `reported_now` in each record is what the committed code reports; a change that stops reporting a correct
  finding, reports an incorrect one again, or reports a finding nobody judged shows up in the replay.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.paths import ROOT, VLC_DIR

JUDGED = ROOT / "eval" / "crosscheck" / "judged_findings.jsonl"
# pair name → (file glob of the reference B, file glob of the document under review A)
PAIRS = {
    "enterprise-2014-2020": ("Luat-Doanh-nghiep-2014-*.txt", "Luat-Doanh-nghiep-so-59-2020-QH14-*.txt"),
    "emulation-2003-2022": ("Luat-Thi-dua-Khen-thuong-2003-*.txt", "Luat-Thi-dua-Khen-thuong-2022-*.txt"),
    "insurance-2000-2022": ("Luat-Kinh-doanh-bao-hiem-2000-*.txt", "Luat-Kinh-doanh-bao-hiem-2022-*.txt"),
}
MIN_PRECISION = 0.90


def load_judged(path: Path = JUDGED) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def identity(kind: str, counterpart: str, reviewed: str | None, reference: str | None) -> tuple:
    if counterpart != "aligned":
        return (kind, reference) if kind == "obligation_dropped" else (kind, reviewed)
    return kind, reviewed, reference


def signature(changes: list[dict[str, Any]]) -> list[list[Any]]:
    """What a finding says, by value: per difference its kind and (value, comparator) as B and as A state it."""
    def side(fact: dict[str, Any] | None) -> list[Any]:
        return [None, None] if fact is None else [fact["value"], fact["comparator"] if fact["kind"] in QUANTITIES else None]

    return sorted([change["kind"], *side(change["reference"]), *side(change["reviewed"])] for change in changes)


QUANTITIES = ("percent", "amount", "duration", "count")


def record_identity(record: dict[str, Any]) -> tuple:
    return (*identity(record["kind"], record["counterpart"], record["reviewed_clause"], record["reference_clause"]),
            json.dumps(record["signature"], ensure_ascii=False))


def finding_identity(finding: Any) -> tuple:
    return (*identity(finding.kind, finding.counterpart, finding.source.clause_id if finding.source else None,
                      finding.target.clause_id if finding.target else None),
            json.dumps(signature(finding.changes), ensure_ascii=False))


def pair_files(pair: str, vlc_dir: Path = VLC_DIR) -> tuple[Path, Path]:
    reference, reviewed = (next(Path(vlc_dir).glob(pattern), None) for pattern in PAIRS[pair])
    if reference is None or reviewed is None:
        raise FileNotFoundError(f"{pair}: the two laws are not in {vlc_dir}")
    return reference, reviewed


def build_pair_index(pair: str, work_dir: Path, vlc_dir: Path = VLC_DIR, files: Iterable[Path] | None = None) -> Path:
    """An index of just the pair's two files (or the given excerpt files) under `work_dir`."""
    from indexer.build import build_index

    corpus = Path(work_dir) / pair / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for path in files or pair_files(pair, vlc_dir):
        shutil.copy(path, corpus / Path(path).name)
    index = Path(work_dir) / pair / "index"
    shutil.rmtree(index, ignore_errors=True)
    build_index(corpus, index, dense=True, progress=False)
    return index


def differences(searcher: Any, reference: str, reviewed: str) -> list[Any]:
    """The difference findings of the document under review against the reference (no consistent pairs)."""
    from search.crosscheck.conflicts import cross_check

    return [c for c in cross_check(searcher, reviewed, reference, include_consistent=False)]


@dataclass(slots=True)
class Replay:
    pair: str
    reported: int = 0  # difference findings the code reports now
    judged_reported: int = 0
    correct_reported: int = 0
    unjudged: list[tuple] = field(default_factory=list)
    correct_missing: list[str] = field(default_factory=list)  # judged correct, reported_now, not reported
    changed: list[str] = field(default_factory=list)  # records whose reported_now disagrees with the code

    @property
    def precision(self) -> float:
        return self.correct_reported / self.judged_reported if self.judged_reported else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"pair": self.pair, "reported": self.reported, "judged_reported": self.judged_reported,
                "correct_reported": self.correct_reported, "precision": round(self.precision, 3),
                "unjudged": [list(u) for u in self.unjudged], "changed": self.changed}


def replay(pair: str, records: list[dict[str, Any]], findings: list[Any]) -> Replay:
    """Match the current findings of one pair to its judged records."""
    mine = [r for r in records if r["pair"] == pair]
    by_identity: dict[tuple, dict[str, Any]] = {}
    for record in mine:  # the latest judgement of an identity wins (an 'after' record over a 'before' one)
        by_identity[record_identity(record)] = record
    produced = {finding_identity(f) for f in findings}
    result = Replay(pair, reported=len(produced))
    for key in produced:
        record = by_identity.get(key)
        if record is None:
            result.unjudged.append(key)
            continue
        result.judged_reported += 1
        result.correct_reported += record["verdict"] == "correct"
    for record in mine:
        now = record_identity(record) in produced
        if record.get("reported_now") is not None and record["reported_now"] != now:
            result.changed.append(record["id"])
    return result


def replay_all(work_dir: Path, vlc_dir: Path = VLC_DIR, records: list[dict[str, Any]] | None = None) -> dict[str, Replay]:
    from search import Searcher

    records = load_judged() if records is None else records
    results = {}
    for pair in PAIRS:
        reference, reviewed = pair_files(pair, vlc_dir)
        searcher = Searcher.open(build_pair_index(pair, work_dir, vlc_dir))
        results[pair] = replay(pair, records, differences(searcher, reference.stem, reviewed.stem))
    return results


def table(results: dict[str, Replay], records: list[dict[str, Any]]) -> str:
    """The precision table: per pair, findings judged (each sample), reported now, correct, precision."""
    lines = ["| pair | judged (before / after tuning) | reported now | judged among them | correct | precision |",
             "| --- | --- | --- | --- | --- | --- |"]
    for pair, result in results.items():
        before = sum(r["pair"] == pair and r["sample"] == "before" for r in records)
        after = sum(r["pair"] == pair and r["sample"] == "after" for r in records)
        lines.append(f"| {pair} | {before} / {after} | {result.reported} | {result.judged_reported} | "
                     f"{result.correct_reported} | {result.precision:.3f} |")
    return "\n".join(lines)
