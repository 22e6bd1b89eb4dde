"""Cross-checking: align two documents clause by clause and report where their facts differ.

**Direction.** A is the document under review, B the reference, whichever order the two are named in: B is
the document A cites or implements (its references' `resolved_doc_id`), else the older one; only when
neither tells, the order given (`doc`, then `against`). `cross_check(searcher, doc, against)` →
`list[search.model.Conflict]`, each with A's clause as `source` and B's as `target`. With `against=None`,
`doc` is A and is checked against every corpus document it cites or implements.

Finding kinds:
- value_changed: a quantity of the same kind and unit, measuring the same thing (context words), differs.
- comparator_changed: same value, different comparator ("không thấp hơn 0,5%" → "không quá 0,5%").
- deadline_changed: each side has a deadline the other does not (calendar intervals that do not overlap).
- obligation_dropped: B states a quantified obligation (a quantity bound by a comparator: "không thấp hơn
  0,5%") that A does not take up: A's counterpart keeps the topic but states no quantity of that kind, or no
  clause of A is aligned with B's clause at all (then the closest clause of A is cited when it speaks of the
  same thing).
- obligation_added: the same, the other way: a quantified obligation of A that B does not state.
- modality_changed: both state modality and the sets do not meet (obligation ↔ permission ↔ prohibition).
- agency_changed: both name a lead agency ("… chủ trì") and the names differ.
- consistent: no difference and at least one fact kept on both sides.

Precision rules (reviewers hate noise): a fact kept by any counterpart of a clause is never reported as
changed against another counterpart; a quantity stated by another clause of the counterpart's reading unit
(a law's Điều, a plan's numbered point) is neither dropped nor added (it moved to another khoản); deadlines,
modality and agency are judged against the best counterpart only; a value change needs the two quantities
to measure the same thing (context overlap). Equivalent phrasings are the fact extractor's data
(`search/data/fact_terms.json`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.kinds import READING_UNIT_KINDS
from indexer.model import Clause, Document
from indexer.normalise import skeleton_words
from search.crosscheck import messages
from search.crosscheck.align import (
    Alignment,
    Similarities,
    alignable,
    clause_body,
    combine,
    select,
    settings_for,
    similarities,
    translated_words,
)
from search.crosscheck.facts import QUANTITY_KINDS, Fact, extract_facts
from search.model import ClauseRef, Conflict

FINDING_ORDER = ("value_changed", "comparator_changed", "deadline_changed", "obligation_dropped", "obligation_added",
                 "modality_changed", "agency_changed", "consistent")
DIFFERENCE_KINDS = FINDING_ORDER[:-1]
MIN_CONTEXT_OVERLAP = 0.34  # share of context words two quantities must share to be "the same measure"
MODALITY_MIN_SIMILARITY = 0.75  # modal verbs move around in rewording; only near-identical pairs count
KEPT_MARGIN = 0.05  # a counterpart keeping the fact must beat the changed one by this much to silence it
NEAREST_SHARE = 0.6
# "điểm b khoản 1 Điều 88 của Luật này", "khoản 2 Điều này": a reference inside the same law (not "của Luật Đầu tư")
INTERNAL_REFERENCE = re.compile(
    r"(?:điểm\s+(?P<point>[a-zđ])\s+)?(?:khoản\s+(?P<item>\d+)\s+)?Điều\s+(?P<article>\d+|này)"
    r"(?!\s*(?:của|tại)?\s*(?:Bộ\s+luật|Luật|Nghị\s+định|Pháp\s+lệnh)\s+(?!này))", re.IGNORECASE)
TIE_MARGIN = 0.02  # a candidate this close to the changed counterpart that keeps the fact silences the change
COMPARATOR_WORDS = {"ge": "không thấp hơn / at least", "le": "không quá / at most", "gt": "trên / over",
                    "lt": "dưới / under", "eq": "bằng / exactly"}


class DocumentNotFound(LookupError):
    pass


@dataclass(slots=True)
class Difference:
    kind: str
    text: str
    a_fact: Fact | None  # the fact as the document under review states it
    b_fact: Fact | None  # the fact as the reference states it
    strength: float  # 0..1, how sure the evidence for this difference is


# ---------------------------------------------------------------------------------------------- roles

@dataclass(frozen=True, slots=True)
class Roles:
    """Who is reviewed against whom, and why."""

    reviewed: Document  # A
    reference: Document  # B
    basis: str  # cites (A cites or implements B) | older (B is the earlier one) | order (as named)
    swapped: bool  # the reference was named first


def cited_documents(document: Document) -> list[str]:
    seen: list[str] = []
    for reference in document.references:
        target = reference.resolved_doc_id
        if target and target != document.doc_id and target not in seen:
            seen.append(target)
    return seen


def roles(first: Document, second: Document) -> Roles:
    """A and B for two documents named in this order."""
    if second.doc_id in cited_documents(first):
        return Roles(first, second, "cites", False)
    if first.doc_id in cited_documents(second):
        return Roles(second, first, "cites", True)
    if first.meta.date and second.meta.date and first.meta.date != second.meta.date:
        return Roles(first, second, "older", False) if second.meta.date < first.meta.date else \
            Roles(second, first, "older", True)
    return Roles(first, second, "order", False)


# ---------------------------------------------------------------------------------------------- facts

def clause_facts(clause: Clause) -> list[Fact]:
    return extract_facts(clause_body(clause), clause.language, clause.fields)


def _context_set(fact: Fact, language: str, other_language: str) -> set[str]:
    if language == "en" and other_language == "vi":
        return {t for t in translated_words(" ".join(fact.context)) if "_" not in t}
    return set(fact.context)


def context_overlap(a: Fact, a_lang: str, b: Fact, b_lang: str) -> float:
    """Share of the smaller context that the two quantities have in common (0.0 when either has none)."""
    left, right = _context_set(a, a_lang, b_lang), _context_set(b, b_lang, a_lang)
    if not left or not right:
        return 0.0
    return len(left & right) / min(len(left), len(right))


# Units that measure the same thing in different steps: "15 ngày làm việc" → "15 ngày" is a change, not a drop.
COMPARABLE_UNITS = {("duration", "day"): "days", ("duration", "working_day"): "days"}


def _same_measure(a: Fact, b: Fact) -> bool:
    if a.kind != b.kind:
        return False
    return a.unit == b.unit or COMPARABLE_UNITS.get((a.kind, a.unit), a.unit) == COMPARABLE_UNITS.get((b.kind, b.unit), b.unit)


def _same_fact(a: Fact, b: Fact) -> bool:
    return _same_measure(a, b) and a.value == b.value and a.comparator == b.comparator


def _same_quantity(a: Fact, b: Fact) -> bool:
    """The same fact, or the same bounded count of another noun."""
    return _same_fact(a, b) or (a.kind == b.kind == "count" and a.value == b.value and a.comparator == b.comparator)


def _overlaps(a: str, b: str) -> bool:
    a_start, a_end = a.split("..")
    b_start, b_end = b.split("..")
    return a_start <= b_end and b_start <= a_end


def _topic_kept(fact: Fact, language: str, other_words: set[str], other_language: str) -> bool:
    """The counterpart still speaks of what the quantity measured (half of its context words)."""
    context = _context_set(fact, language, other_language)
    return bool(context) and len(context & other_words) >= 0.5 * len(context)


def quantified(fact: Fact) -> bool:
    """A quantity bound by a comparator: the obligations whose loss or addition is reported. "Ít nhất một",
    "nhiều hơn một" say that something exists or is plural, not where a threshold lies."""
    if (fact.kind == "count" and fact.value <= 1) or fact.implied:
        return False
    return fact.kind in QUANTITY_KINDS and fact.comparator != "eq"


def _measure_key(fact: Fact) -> tuple:
    return fact.kind, COMPARABLE_UNITS.get((fact.kind, fact.unit), fact.unit)


def _positional_pairs(qa: list[Fact], qb: list[Fact]) -> list[tuple[Fact, Fact]]:
    """Where both clauses state the same number of quantities of one measure and their values differ as a
    set, the i-th of one is the i-th of the other ("20 năm …, 25 năm …, trong đó 15 năm" → "15 năm …, 20 năm …,
    trong đó 10 năm"): matching equal values first would pair two different measures."""
    pairs: list[tuple[Fact, Fact]] = []
    keys = {_measure_key(f) for f in qa}
    for key in keys:
        left = [f for f in qa if _measure_key(f) == key]
        right = [f for f in qb if _measure_key(f) == key]
        if len(left) == len(right) >= 2 and sorted(f.value for f in left) != sorted(f.value for f in right):
            pairs += list(zip(left, right, strict=True))
    return pairs


def compare_quantities(a_facts: list[Fact], b_facts: list[Fact], a_lang: str, b_lang: str,
                       words: tuple[set[str], set[str]] = (set(), set())) -> tuple[list[Difference], list[Fact]]:
    """(differences, facts of A kept in B) for one aligned pair. `words`: skeleton words of (B, A), to judge
    whether a dropped (added) quantity's topic is kept by the other clause. Exact keeps are matched first so
    a repeated number never pairs with the wrong twin (but see `_positional_pairs`)."""
    qa = [f for f in a_facts if f.kind in QUANTITY_KINDS]
    qb = [f for f in b_facts if f.kind in QUANTITY_KINDS]
    kept: list[Fact] = []
    differences: list[Difference] = []
    free_b = list(qb)
    free_a: list[Fact] = []
    unmatched_a: list[Fact] = []
    for fact, other in _positional_pairs(qa, qb):
        free_b.remove(other)
        if _same_fact(fact, other):
            kept.append(fact)
        elif fact.value == other.value:
            differences.append(_comparator_change(fact, other))
        elif context_overlap(fact, a_lang, other, b_lang) >= MIN_CONTEXT_OVERLAP:
            differences.append(_value_change(fact, other, context_overlap(fact, a_lang, other, b_lang)))
        else:
            free_b.append(other)
            unmatched_a.append(fact)
    paired = {id(f) for f, _ in _positional_pairs(qa, qb)}
    for fact in (f for f in qa if id(f) not in paired):
        twin = next((b for b in free_b if _same_fact(fact, b)), None)
        if twin is None:
            free_a.append(fact)
        else:
            kept.append(fact)
            free_b.remove(twin)
    for fact in free_a:
        candidates = [b for b in free_b if _same_measure(fact, b)]
        same_value = [b for b in candidates if b.value == fact.value and b.unit == fact.unit]
        if same_value:
            other = same_value[0]
            free_b.remove(other)
            differences.append(_comparator_change(fact, other))
            continue
        scored = sorted(((context_overlap(fact, a_lang, b, b_lang), b) for b in candidates), key=lambda sb: -sb[0])
        if scored and scored[0][0] >= MIN_CONTEXT_OVERLAP:
            overlap, other = scored[0]
            free_b.remove(other)
            differences.append(_value_change(fact, other, overlap))
            continue
        unmatched_a.append(fact)
    for fact in free_b:  # B's quantified obligation the A clause keeps the topic of but does not quantify
        if quantified(fact) and _topic_kept(fact, b_lang, words[1], a_lang) and not _quantifies(fact, qa):
            differences.append(Difference("obligation_dropped", f"{fact.describe()} → — ({fact.text})", None, fact, 0.8))
    for fact in unmatched_a:
        if quantified(fact) and _topic_kept(fact, a_lang, words[0], b_lang) and not _quantifies(fact, qb):
            differences.append(Difference("obligation_added", f"— → {fact.describe()} ({fact.text})", fact, None, 0.8))
    return differences, kept


def _quantifies(fact: Fact, others: list[Fact]) -> bool:
    """Whether the other clause states a quantity of the fact's measure, or the same count of another noun
    ("hai doanh nghiệp bảo hiểm trở lên" / "hai hợp đồng bảo hiểm trở lên": a changed definition, not a drop)."""
    return any(_same_measure(fact, o) or (fact.kind == o.kind == "count" and fact.value == o.value
                                          and fact.comparator == o.comparator) for o in others)


def _comparator_change(fact: Fact, other: Fact) -> Difference:
    return Difference("comparator_changed",
                      f"{other.text} → {fact.text}: {COMPARATOR_WORDS[other.comparator]} → {COMPARATOR_WORDS[fact.comparator]}",
                      fact, other, 0.9)


def _value_change(fact: Fact, other: Fact, overlap: float) -> Difference:
    measure = " ".join(other.context[:3])
    return Difference("value_changed", f"{other.describe()} → {fact.describe()} ({measure})", fact, other, 0.5 + 0.5 * overlap)


def compare_deadlines(a_facts: list[Fact], b_facts: list[Fact]) -> tuple[list[Difference], list[Fact]]:
    da = [f for f in a_facts if f.kind == "deadline"]
    db = [f for f in b_facts if f.kind == "deadline"]
    if not da or not db:
        return [], []
    kept = [a for a in da if any(_overlaps(a.value, b.value) for b in db)]
    lone_a = [a for a in da if a not in kept]
    lone_b = [b for b in db if not any(_overlaps(a.value, b.value) for a in da)]
    if lone_a and lone_b:
        return [Difference("deadline_changed", f"{lone_b[0].text} → {lone_a[0].text}", lone_a[0], lone_b[0], 0.8)], kept
    return [], kept


def compare_modality(a_facts: list[Fact], b_facts: list[Fact]) -> list[Difference]:
    ma = {f.value for f in a_facts if f.kind == "modality"}
    mb = {f.value for f in b_facts if f.kind == "modality"}
    if ma and mb and not ma & mb:
        first_a = next(f for f in a_facts if f.kind == "modality")
        first_b = next(f for f in b_facts if f.kind == "modality")
        return [Difference("modality_changed", f"{'/'.join(sorted(mb))} ({first_b.text}) → {'/'.join(sorted(ma))} ({first_a.text})",
                           first_a, first_b, 0.6)]
    return []


def compare_agencies(a_facts: list[Fact], b_facts: list[Fact]) -> list[Difference]:
    aa = [f for f in a_facts if f.kind == "agency"]
    ab = [f for f in b_facts if f.kind == "agency"]
    if not aa or not ab:
        return []
    if any(x.value in y.value or y.value in x.value for x in aa for y in ab):
        return []
    return [Difference("agency_changed", f"{ab[0].text} → {aa[0].text}", aa[0], ab[0], 0.7)]


def _fact_key(fact: Fact | None) -> tuple | None:
    return None if fact is None else (fact.kind, fact.unit, fact.value, fact.comparator)


def unit_key(clause: Clause) -> tuple:
    """The reading unit a clause belongs to (its Điều, a plan's numbered point), or the clause itself."""
    last = max((i for i, step in enumerate(clause.path) if step.kind in READING_UNIT_KINDS), default=None)
    if last is None:
        return (clause.doc_id, clause.id)
    return (clause.doc_id, *((step.kind, step.label) for step in clause.path[:last + 1]))


def _ref(clause: Clause | None) -> ClauseRef | None:
    if clause is None:
        return None
    return ClauseRef(clause_id=clause.id, doc_id=clause.doc_id,
                     citation=clause.citation_en if clause.language == "en" and clause.citation_en else clause.citation,
                     text=clause.text)


# ---------------------------------------------------------------------------------------------- one pair

@dataclass(slots=True)
class Finding:
    """A difference (or a consistent pair) before it becomes a `Conflict`: the clauses, the evidence."""

    kind: str
    a: Clause | None
    b: Clause | None
    similarity: float
    differences: list[Difference]
    kept: list[Fact] = field(default_factory=list)
    counterpart: str = "aligned"


class PairCheck:
    """Cross-checking one document under review (A) against one reference (B)."""

    def __init__(self, reviewed: Document, reference: Document, reviewed_vectors: Any = None,
                 reference_vectors: Any = None, *, threshold: float | None = None) -> None:
        self.a, self.b = reviewed, reference
        self.names = messages.document_name(reviewed), messages.document_name(reference)
        self.sims: Similarities | None = similarities(reviewed.clauses, reference.clauses, reviewed_vectors,
                                                      reference_vectors)
        self.alignments: list[Alignment] = select(self.sims, threshold=threshold)
        self.combined = None if self.sims is None else combine(self.sims.lexical, self.sims.dense, self.sims.pair, None,
                                                                 self.sims.sentence)
        self._row = {} if self.sims is None else {c.id: i for i, c in enumerate(self.sims.source)}
        self._column = {} if self.sims is None else {c.id: i for i, c in enumerate(self.sims.target)}
        self._facts: dict[str, list[Fact]] = {}
        self._units: dict[tuple, list[Clause]] = {}
        self._by_id: dict[str, Clause] = {}
        self._children: dict[str, list[Clause]] = {}
        for clause in (*reviewed.clauses, *reference.clauses):
            self._units.setdefault(unit_key(clause), []).append(clause)
            self._by_id[clause.id] = clause
            if clause.parent_id:
                self._children.setdefault(clause.parent_id, []).append(clause)
        # the closest clause is cited for an unaligned obligation only when it is this similar (a share of
        # the alignment threshold): below it, "no clause takes it up" says more than a random neighbour
        self._nearest_floor = 0.0 if self.sims is None else NEAREST_SHARE * settings_for(self.sims)["threshold"]
        self.findings: list[Finding] = self._aligned_findings() + self._unaligned_findings()

    def facts(self, clause: Clause) -> list[Fact]:
        if clause.id not in self._facts:
            self._facts[clause.id] = clause_facts(clause)
        return self._facts[clause.id]

    def _stated_near(self, fact: Fact, clauses: Iterable[Clause], language: str) -> bool:
        """Whether any clause of the reading units of `clauses` states the same quantity (value, unit,
        comparator) of the same thing (context overlap): a number that moved to another khoản of the
        counterpart article."""
        seen: set[str] = set()
        for clause in clauses:
            for other in [*self._units.get(unit_key(clause), [clause]), *self._referenced(clause)]:
                if other.id not in seen:
                    seen.add(other.id)
                    if any(_same_quantity(fact, f) and context_overlap(fact, language, f, other.language) >= MIN_CONTEXT_OVERLAP
                           for f in self.facts(other)):
                        return True
        return False

    def _referenced(self, clause: Clause) -> list[Clause]:
        """The clauses of the same document a clause refers to ("điểm b khoản 1 Điều 88 của Luật này",
        "khoản 2 Điều này"), with everything under them: a number stated there is stated by reference."""
        found: list[Clause] = []
        prefix = clause.id.split(":", 1)[0]
        own_article = next((step.label for step in clause.path if step.kind == "dieu"), None)
        for match in INTERNAL_REFERENCE.finditer(clause_body(clause)):
            point, item, article = match.group("point"), match.group("item"), match.group("article")
            if article.lower() == "này":
                article = own_article
            if article is None:
                continue
            key = f"{prefix}:d{article}" + (f".k{item}" if item else "") + (f".{point.lower()}" if item and point else "")
            target = self._by_id.get(key)
            if target is not None:
                found.append(target)
                found.extend(self._children.get(target.id, []))
        return found

    # ------------------------------------------------------------------------------------ aligned pairs

    def _aligned_findings(self) -> list[Finding]:
        by_source: dict[str, list[Alignment]] = {}
        by_target: dict[str, list[Alignment]] = {}
        for alignment in self.alignments:
            by_source.setdefault(alignment.source.id, []).append(alignment)
            by_target.setdefault(alignment.target.id, []).append(alignment)
        results: list[Finding] = []
        for group in by_source.values():
            compared = []
            kept_at: dict[tuple, float] = {}  # fact key → best similarity of a counterpart that keeps it
            for alignment in group:
                a, b = alignment.source, alignment.target
                fa, fb = self.facts(a), self.facts(b)
                words = (set(skeleton_words(clause_body(b))), set(skeleton_words(clause_body(a))))
                differences, kept = compare_quantities(fa, fb, a.language, b.language, words)
                deadline_diffs, kept_deadlines = compare_deadlines(fa, fb)
                for fact in kept:
                    key = _fact_key(fact)
                    kept_at[key] = max(kept_at.get(key, 0.0), alignment.similarity)
                if alignment.rank == 1:
                    differences += deadline_diffs + compare_agencies(fa, fb)
                    if alignment.similarity >= MODALITY_MIN_SIMILARITY:
                        differences += compare_modality(fa, fb)
                else:
                    differences = [d for d in differences if d.kind in ("value_changed", "comparator_changed",
                                                                        "obligation_dropped", "obligation_added")]
                if not alignment.mutual:
                    # another clause of A fits this counterpart better: its numbers are not this clause's to
                    # compare. A dropped obligation still counts: a plan often merges two bullets into one.
                    differences = [d for d in differences if d.kind in ("obligation_dropped", "obligation_added")]
                differences = [d for d in differences if not self._moved(d, a, b, by_source, by_target)]
                compared.append((alignment, differences, kept + kept_deadlines))
            for alignment, differences, kept in compared:
                # a fact kept by a clearly better counterpart is not "changed" against this one
                differences = [d for d in differences if d.kind not in ("value_changed", "comparator_changed")
                               or kept_at.get(_fact_key(d.a_fact), -1.0) < alignment.similarity + KEPT_MARGIN]
                differences = [d for d in differences if not self._tied_keeper(d, alignment)]
                results.extend(self._group(alignment, differences, kept))
        return self._once_per_fact(results)

    def _tied_keeper(self, difference: Difference, alignment: Alignment) -> bool:
        """A change of A's fact against a counterpart when another clause of B, about as similar (within
        TIE_MARGIN), states that fact as it is: the numbers say which of the near-twins is the counterpart."""
        if difference.kind not in ("value_changed", "comparator_changed") or self.combined is None:
            return False
        row = self.combined[self._row[alignment.source.id]]
        column = self._column[alignment.target.id]
        floor = float(row[column]) - TIE_MARGIN
        for index in np.flatnonzero(row >= floor):
            if index != column and any(_same_fact(difference.a_fact, f) for f in self.facts(self.sims.target[index])):
                return True
        return False

    @staticmethod
    def _once_per_fact(findings: list[Finding]) -> list[Finding]:
        """A fact of A (or of B) is changed against one counterpart only: the most similar one."""
        best: dict[tuple, float] = {}
        for finding in findings:
            for d in finding.differences:
                if d.kind in ("value_changed", "comparator_changed"):
                    for key in (("a", finding.a.id, d.a_fact.span), ("b", finding.b.id, d.b_fact.span)):
                        best[key] = max(best.get(key, -1.0), finding.similarity)
        kept: list[Finding] = []
        for finding in findings:
            if finding.kind in ("value_changed", "comparator_changed"):
                finding.differences = [d for d in finding.differences
                                       if finding.similarity >= best[("a", finding.a.id, d.a_fact.span)]
                                       and finding.similarity >= best[("b", finding.b.id, d.b_fact.span)]]
                if not finding.differences:
                    continue
            kept.append(finding)
        return kept

    def _moved(self, difference: Difference, a: Clause, b: Clause, by_source: dict[str, list[Alignment]],
               by_target: dict[str, list[Alignment]]) -> bool:
        """A dropped (added) quantity that another counterpart, or the counterpart's reading unit, states."""
        if difference.kind == "obligation_dropped":
            others = [al.source for al in by_target.get(b.id, [])] or [a]
            if any(any(_same_measure(difference.b_fact, f) for f in self.facts(o)) for o in others if o.id != a.id):
                return True
            return self._stated_near(difference.b_fact, others, b.language)
        if difference.kind == "obligation_added":
            others = [al.target for al in by_source.get(a.id, [])] or [b]
            if any(any(_same_measure(difference.a_fact, f) for f in self.facts(o)) for o in others if o.id != b.id):
                return True
            return self._stated_near(difference.a_fact, others, a.language)
        return False

    @staticmethod
    def _group(alignment: Alignment, differences: list[Difference], kept: list[Fact]) -> list[Finding]:
        kinds: dict[str, list[Difference]] = {}
        for difference in differences:
            kinds.setdefault(difference.kind, []).append(difference)
        if not kinds:
            return [Finding("consistent", alignment.source, alignment.target, alignment.similarity, [], kept)] if kept else []
        return [Finding(kind, alignment.source, alignment.target, alignment.similarity, items, kept)
                for kind, items in kinds.items()]

    # ------------------------------------------------------------------------------------ unaligned clauses

    def _unaligned_findings(self) -> list[Finding]:
        """Quantified obligations of a clause with no counterpart at all on the other side."""
        if self.sims is None:
            return []
        aligned_a = {al.source.id for al in self.alignments}
        aligned_b = {al.target.id for al in self.alignments}
        counterparts_of: dict[tuple, list[Clause]] = {}  # reading unit of one side → aligned clauses of the other
        for al in self.alignments:
            counterparts_of.setdefault(("b", unit_key(al.target)), []).append(al.source)
            counterparts_of.setdefault(("a", unit_key(al.source)), []).append(al.target)
        results: list[Finding] = []
        for side, clauses, aligned in (("target", self.sims.target, aligned_b), ("source", self.sims.source, aligned_a)):
            for clause in clauses:
                if clause.id in aligned:
                    continue
                facts = [f for f in self.facts(clause) if quantified(f) and f.span != (0, 0)]
                differences: list[Difference] = []
                nearest_clause: Clause | None = None
                nearest_score = 0.0
                body = clause_body(clause)
                for fact in facts:
                    # the passage around the quantity, within its sentence: what a counterpart would restate
                    start = max(body.rfind(".", 0, fact.span[0]), body.rfind(";", 0, fact.span[0]), fact.span[0] - 120) + 1
                    ends = [i for i in (body.find(".", fact.span[1]), body.find(";", fact.span[1])) if i >= 0]
                    end = min([*ends, fact.span[1] + 120])
                    others = self.sims.target if side == "source" else self.sims.source
                    near = [(others[i], score) for i, score in
                            self.sims.sentence_space().nearest("target" if side == "target" else "source",
                                                               body[start:end], clause.language)]
                    unit_partners = counterparts_of.get(("b" if side == "target" else "a", unit_key(clause)), [])
                    if self._stated_near(fact, [c for c, _ in near] + unit_partners, clause.language):
                        continue  # the number is there, in a close clause or the counterpart article
                    if any(any(_same_measure(fact, f) for f in self.facts(c))
                           and _topic_kept(fact, clause.language, set(skeleton_words(clause_body(c))), c.language)
                           for c, _ in near):
                        continue  # a close clause quantifies the same thing otherwise: not a clean drop
                    if near:
                        candidate, score = near[0]
                        if score >= self._nearest_floor and score > nearest_score and _topic_kept(
                                fact, clause.language, set(skeleton_words(clause_body(candidate))), candidate.language):
                            nearest_clause, nearest_score = candidate, score
                    kind = "obligation_dropped" if side == "target" else "obligation_added"
                    text = f"{fact.describe()} → — ({fact.text})" if side == "target" else f"— → {fact.describe()} ({fact.text})"
                    differences.append(Difference(kind, text, fact if side == "source" else None,
                                                  fact if side == "target" else None, 0.7))
                if differences:
                    a, b = (nearest_clause, clause) if side == "target" else (clause, nearest_clause)
                    results.append(Finding(differences[0].kind, a, b, round(nearest_score, 4), differences,
                                           counterpart="nearest" if nearest_clause is not None else "none"))
        return results

    # ------------------------------------------------------------------------------------ output

    def conflicts(self, include_consistent: bool = True) -> list[Conflict]:
        found = [self.conflict(f) for f in self.findings if include_consistent or f.kind != "consistent"]
        return sorted(found, key=lambda c: (c.kind == "consistent", -c.confidence,
                                            (c.source or c.target).clause_id, c.kind))

    def conflict(self, finding: Finding) -> Conflict:
        a, b = finding.a, finding.b
        fa = self.facts(a) if a is not None else []
        fb = self.facts(b) if b is not None else []
        if finding.kind == "consistent":
            confidence = min(1.0, 0.4 + 0.6 * finding.similarity + 0.1 * len(finding.kept))
            differences = [f"kept: {f.describe() if f.kind in QUANTITY_KINDS else f.text}" for f in finding.kept]
        else:
            strength = max(d.strength for d in finding.differences)
            confidence = min(1.0, strength * (0.5 + finding.similarity))
            differences = [d.text for d in finding.differences]
        message_vi, message_en = (self.message(finding, language) for language in ("vi", "en"))
        changes = [{"kind": d.kind, "reviewed": d.a_fact.to_json() if d.a_fact else None,
                    "reference": d.b_fact.to_json() if d.b_fact else None} for d in finding.differences]
        return Conflict(kind=finding.kind, source=_ref(a), target=_ref(b), similarity=finding.similarity,
                        confidence=round(confidence, 3), facts_source=[f.to_json() for f in fa],
                        facts_target=[f.to_json() for f in fb], differences=differences, changes=changes,
                        message_en=message_en, message_vi=message_vi, reviewed_doc=self.a.doc_id,
                        reference_doc=self.b.doc_id, counterpart=finding.counterpart)

    def message(self, finding: Finding, language: str) -> str:
        """The finding's first difference in words (the others are in `differences`)."""
        a, b = finding.a, finding.b
        fields = {"A": self.names[0].get(language), "B": self.names[1].get(language),
                  "a_cite": messages.citation(a, language), "b_cite": messages.citation(b, language)}
        kind = finding.kind
        if kind == "consistent":
            fields["a_value"] = ", ".join(messages.fact_value(f, language) for f in finding.kept[:3])
            return messages.render(kind, language, **fields)
        difference = finding.differences[0]
        af, bf = difference.a_fact, difference.b_fact
        stating = (b, bf) if bf is not None else (a, af)
        fields.update(
            a_value=messages.fact_value(af, language), b_value=messages.fact_value(bf, language),
            a_bound=messages.bound(af, language), b_bound=messages.bound(bf, language),
            a_text=f"“{af.text}”" if af is not None else "", b_text=f"“{bf.text}”" if bf is not None else "",
            fact_kind=messages.fact_kind((af or bf).kind if (af or bf) else "", language),
            measure=messages.measure(stating[0], stating[1], clause_body(stating[0]) if stating[0] is not None else None))
        if kind in ("obligation_dropped", "obligation_added") and finding.counterpart != "aligned":
            kind = f"{kind}_{finding.counterpart}"
        return messages.render(kind, language, **fields)


# ---------------------------------------------------------------------------------------------- documents

def resolve_document(searcher: Any, name: str) -> Document:
    """A document by doc_id, source path, file-name prefix or document number."""
    document = searcher.get_document(name)
    if document is not None:
        return document
    infos = searcher.documents()
    stem = Path(name).stem
    for test in (lambda i: i.source == name or Path(i.source).stem == stem,
                 lambda i: i.doc_id.startswith(stem),
                 lambda i: (i.meta.number or "").lower() == name.lower()):
        matches = [i for i in infos if test(i)]
        if len(matches) == 1:
            return searcher.get_document(matches[0].doc_id)
        if len(matches) > 1:
            raise DocumentNotFound(f"'{name}' matches {len(matches)} documents: "
                                   + ", ".join(m.doc_id for m in matches[:5]))
    raise DocumentNotFound(f"no document '{name}' in the index")


def pair_roles(searcher: Any, doc: str, against: str | None) -> list[Roles]:
    """The (A, B) pairs a check of `doc` against `against` (or against what `doc` cites) runs."""
    first = resolve_document(searcher, doc)
    if against:
        return [roles(first, resolve_document(searcher, against))]
    targets = [searcher.get_document(d) for d in cited_documents(first)]
    return [Roles(first, t, "cites", False) for t in targets if t is not None]


def check_pair(searcher: Any, pair: Roles, threshold: float | None = None) -> PairCheck:
    return PairCheck(pair.reviewed, pair.reference, searcher.clause_vectors(pair.reviewed.doc_id),
                     searcher.clause_vectors(pair.reference.doc_id), threshold=threshold)


def cross_check(searcher: Any, doc_a: str, doc_b: str | None = None, *, include_consistent: bool = True,
                threshold: float | None = None, min_confidence: float = 0.0) -> list[Conflict]:
    """Findings of the document under review against its reference (see the module's direction rule)."""
    results: list[Conflict] = []
    for pair in pair_roles(searcher, doc_a, doc_b):
        results += check_pair(searcher, pair, threshold).conflicts(include_consistent)
    return [c for c in results if c.confidence >= min_confidence]


def align_documents(searcher: Any, doc_a: str, doc_b: str, threshold: float | None = None) -> list[Alignment]:
    """Clause alignment of the document under review (source) with its reference (target)."""
    pair = roles(resolve_document(searcher, doc_a), resolve_document(searcher, doc_b))
    return check_pair(searcher, pair, threshold).alignments


def describe_roles(pair: Roles, language: str = "en") -> str:
    a, b = messages.document_name(pair.reviewed), messages.document_name(pair.reference)
    why = {"cites": ("which it implements or cites", "văn bản mà nó thực hiện hoặc viện dẫn"),
           "older": ("the earlier document", "văn bản ban hành trước"),
           "order": ("as named", "theo thứ tự đã nêu")}[pair.basis]
    if language == "vi":
        return f"Văn bản được kiểm tra (A): {a.vi} ({pair.reviewed.doc_id}); văn bản đối chiếu (B): {b.vi} " \
               f"({pair.reference.doc_id}), {why[1]}."
    return f"Under review (A): {a.en} ({pair.reviewed.doc_id}); reference (B): {b.en} ({pair.reference.doc_id}), {why[0]}."


# ---------------------------------------------------------------------------------------------- output

def to_markdown(conflicts: Iterable[Conflict]) -> str:
    lines = ["| kind | confidence | A (under review) | B (reference) | finding | differences |",
             "| --- | --- | --- | --- | --- | --- |"]
    for c in conflicts:
        cell = " ; ".join(c.differences).replace("|", "\\|")
        message = c.message_en.replace("|", "\\|")
        lines.append(f"| {c.kind} | {c.confidence:.2f} | {c.source.citation if c.source else '—'} | "
                     f"{c.target.citation if c.target else '—'} | {message} | {cell} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- coverage

COVERAGE_STATUSES = ("implemented", "changed", "omitted")


@dataclass(slots=True)
class CoverageChange:
    """One difference on a row: which fact, B's value and A's."""

    kind: str
    fact: str  # percent, duration, deadline, modality, …
    reference_value: str  # as B states it ("—" when B states none)
    reviewed_value: str  # as A states it ("—" when A states none)
    message_en: str
    message_vi: str


@dataclass(slots=True)
class CoverageRow:
    """One clause of the reference document B and what document A does with it."""

    clause: ClauseRef
    status: str  # implemented | changed | omitted
    counterparts: list[ClauseRef]  # A's clauses aligned with it, best first
    findings: list[str]  # kinds of difference on those pairs (value_changed, obligation_dropped, …)
    changes: list[CoverageChange] = field(default_factory=list)
    nearest: ClauseRef | None = None  # omitted: the closest clause of A, which does not take it up

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Coverage:
    """The implementation matrix of one pair: every alignable clause of B with its status in A."""

    reviewed: str
    reference: str
    basis: str
    swapped: bool
    rows: list[CoverageRow]

    @property
    def totals(self) -> dict[str, int]:
        return {status: sum(r.status == status for r in self.rows) for status in COVERAGE_STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {"reviewed": self.reviewed, "reference": self.reference, "basis": self.basis,
                "swapped": self.swapped, "totals": self.totals, "rows": [r.to_json() for r in self.rows]}


def coverage_of(check: PairCheck, pair: Roles | None = None) -> Coverage:
    """Every alignable clause of B in document order, from the same alignment and findings as the
    cross-check: `implemented` (a clause of A is aligned with it and no difference is found), `changed`
    (a difference on an aligned pair: which fact, both values), `omitted` (no clause of A is aligned with
    it; the closest clause of A is named when B's quantified obligation is what A leaves out)."""
    counterparts: dict[str, list[Alignment]] = {}
    for alignment in check.alignments:
        counterparts.setdefault(alignment.target.id, []).append(alignment)
    changes: dict[str, list[CoverageChange]] = {}
    nearest: dict[str, Clause] = {}
    for finding in check.findings:
        if finding.kind == "consistent" or finding.b is None:
            continue
        if finding.counterpart != "aligned":
            if finding.kind != "obligation_dropped":
                continue  # an addition of A next to the closest clause of B: not about that clause
            if finding.a is not None:
                nearest.setdefault(finding.b.id, finding.a)
        conflict = check.conflict(finding)
        for difference in finding.differences:
            fact = difference.b_fact or difference.a_fact
            changes.setdefault(finding.b.id, []).append(CoverageChange(
                finding.kind, fact.kind if fact else "", messages.fact_value(difference.b_fact, "en"),
                messages.fact_value(difference.a_fact, "en"), conflict.message_en, conflict.message_vi))
    rows = []
    for clause in (c for c in check.b.clauses if alignable(c)):
        aligned = sorted(counterparts.get(clause.id, []), key=lambda al: -al.similarity)
        found = changes.get(clause.id, [])
        status = "omitted" if not aligned else "changed" if found else "implemented"
        kinds = list(dict.fromkeys(change.kind for change in found))
        rows.append(CoverageRow(_ref(clause), status, [_ref(al.source) for al in aligned], kinds, found,
                                _ref(nearest.get(clause.id)) if not aligned else None))
    return Coverage(check.a.doc_id, check.b.doc_id, pair.basis if pair else "order", bool(pair and pair.swapped), rows)


def coverage(searcher: Any, doc_a: str, doc_b: str, threshold: float | None = None) -> Coverage:
    """The implementation matrix of the document under review against its reference (either order)."""
    pair = roles(resolve_document(searcher, doc_a), resolve_document(searcher, doc_b))
    return coverage_of(check_pair(searcher, pair, threshold), pair)


def implementing_documents(searcher: Any, reference: str) -> list[str]:
    """Corpus documents that cite or implement `reference`, in doc_id order."""
    target = resolve_document(searcher, reference).doc_id
    return sorted(info.doc_id for info in searcher.documents()
                  if info.doc_id != target and target in cited_documents(searcher.document_header(info.doc_id)))


@dataclass(slots=True)
class CoverageMatrix:
    """B's clauses × the documents that implement or cite B: each cell a status."""

    reference: str
    documents: list[str]
    pairs: list[Coverage]

    def to_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "documents": self.documents,
                "totals": {c.reviewed: c.totals for c in self.pairs}, "pairs": [c.to_json() for c in self.pairs]}


def coverage_matrix(searcher: Any, reference: str, documents: list[str] | None = None) -> CoverageMatrix:
    target = resolve_document(searcher, reference)
    documents = documents if documents is not None else implementing_documents(searcher, target.doc_id)
    pairs = []
    for doc_id in documents:
        pair = Roles(resolve_document(searcher, doc_id), target, "cites", False)
        pairs.append(coverage_of(check_pair(searcher, pair), pair))
    return CoverageMatrix(target.doc_id, [p.reviewed for p in pairs], pairs)


STATUS_MARK = {"implemented": "✔ implemented", "changed": "△ changed", "omitted": "✘ omitted"}


def _cell(row: CoverageRow) -> str:
    parts = [STATUS_MARK[row.status]]
    if row.counterparts:
        parts.append("in " + "; ".join(c.citation for c in row.counterparts[:2]))
    for change in row.changes:
        parts.append(f"{change.kind}: {change.fact} {change.reference_value} → {change.reviewed_value}")
    if row.nearest is not None:
        parts.append(f"closest: {row.nearest.citation}")
    return " — ".join(parts)


def _short(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def coverage_markdown(pairs: list[Coverage], names: dict[str, str] | None = None) -> str:
    """One table: B's clauses as rows, one column per document under review."""
    if not pairs:
        return "no document implements or cites the reference"
    names = names or {}
    head = "| clause of the reference | text | " + " | ".join(names.get(p.reviewed, p.reviewed) for p in pairs) + " |"
    lines = [head, "| --- | --- | " + " | ".join("---" for _ in pairs) + " |"]
    for index, row in enumerate(pairs[0].rows):
        cells = [_cell(p.rows[index]).replace("|", "\\|") for p in pairs]
        lines.append(f"| {row.clause.citation} | {_short(row.clause.text).replace('|', chr(92) + '|')} | " + " | ".join(cells) + " |")
    totals = " | ".join(", ".join(f"{k} {v}" for k, v in p.totals.items()) for p in pairs)
    lines.append(f"| **totals** | | {totals} |")
    return "\n".join(lines)


def coverage_csv(pairs: list[Coverage]) -> str:
    """One line per (clause of B, document under review)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference_clause_id", "reference_citation", "reviewed_doc", "status", "counterparts",
                     "counterpart_citations", "changes", "nearest", "reference_text"])
    for pair in pairs:
        for row in pair.rows:
            writer.writerow([row.clause.clause_id, row.clause.citation, pair.reviewed, row.status,
                             " ".join(c.clause_id for c in row.counterparts),
                             " ; ".join(c.citation for c in row.counterparts),
                             " ; ".join(f"{c.kind}: {c.fact} {c.reference_value} → {c.reviewed_value}" for c in row.changes),
                             row.nearest.clause_id if row.nearest else "", " ".join(row.clause.text.split())])
    return out.getvalue()
