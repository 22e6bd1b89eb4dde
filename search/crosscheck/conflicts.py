"""Cross-checking: align two documents clause by clause and report where their facts differ.

`cross_check(searcher, doc_a, doc_b=None)` → `list[search.model.Conflict]`. With `doc_b=None`, doc_a is
checked against every corpus document it cites or implements (its references' `resolved_doc_id`).

Finding kinds, per aligned pair (A clause, B clause):
- value_changed: a quantity of the same kind and unit, measuring the same thing (context words), differs.
- comparator_changed: same value, different comparator ("không thấp hơn 0,5%" → "không quá 0,5%").
- deadline_changed: each side has a deadline the other does not (calendar intervals that do not overlap).
- obligation_dropped: the reference side states a quantified obligation (a comparator such as "not less
  than", or a quantity under "phải"/"must"), the other keeps the topic but states no quantity of that kind.
- modality_changed: both state modality and the sets do not meet (obligation ↔ permission ↔ prohibition).
- agency_changed: both name a lead agency ("… chủ trì") and the names differ.
- consistent: no difference and at least one fact kept on both sides.

Precision rules (reviewers hate noise): a fact kept by any counterpart of a clause is never reported as
changed against another counterpart; drops, deadlines, modality and agency are judged against the best
counterpart only; a value change needs the two quantities to measure the same thing (context overlap).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from indexer.model import Clause, Document
from indexer.normalise import skeleton_words
from search.crosscheck.align import Alignment, align_clauses, alignable, clause_body, translated_words
from search.crosscheck.facts import QUANTITY_KINDS, Fact, extract_facts
from search.model import ClauseRef, Conflict

FINDING_ORDER = ("value_changed", "comparator_changed", "deadline_changed", "obligation_dropped",
                 "modality_changed", "agency_changed", "consistent")
MIN_CONTEXT_OVERLAP = 0.34
MODALITY_MIN_SIMILARITY = 0.75
KEPT_MARGIN = 0.05  # a counterpart keeping the fact must beat the changed one by this much to silence it  # modal verbs move around in rewording; only near-identical pairs count  # share of context words two quantities must share to be "the same measure"
COMPARATOR_WORDS = {"ge": "không thấp hơn / at least", "le": "không quá / at most", "gt": "trên / over",
                    "lt": "dưới / under", "eq": "bằng / exactly"}


class DocumentNotFound(LookupError):
    pass


@dataclass(slots=True)
class Difference:
    kind: str
    text: str
    source_fact: Fact | None
    target_fact: Fact | None
    strength: float  # 0..1, how sure the evidence for this difference is


# ---------------------------------------------------------------------------------------------- facts

def clause_facts(clause: Clause) -> list[Fact]:
    return extract_facts(clause_body(clause), clause.language, clause.fields)


def _context_set(fact: Fact, language: str, other_language: str) -> set[str]:
    if language == "en" and other_language == "vi":
        return {t for t in translated_words(" ".join(fact.context)) if "_" not in t}
    return set(fact.context)


def context_overlap(a: Fact, a_lang: str, b: Fact, b_lang: str) -> float:
    """Share of the smaller context that the two quantities have in common (1.0 when either has none)."""
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


def _overlaps(a: str, b: str) -> bool:
    a_start, a_end = a.split("..")
    b_start, b_end = b.split("..")
    return a_start <= b_end and b_start <= a_end


def _topic_kept(fact: Fact, language: str, other_words: set[str], other_language: str) -> bool:
    """The counterpart still speaks of what the quantity measured (half of its context words)."""
    context = _context_set(fact, language, other_language)
    return bool(context) and len(context & other_words) >= 0.5 * len(context)


def compare_quantities(a_facts: list[Fact], b_facts: list[Fact], a_lang: str, b_lang: str,
                       reference: str, a_obliged: bool, b_obliged: bool,
                       other_text_words: tuple[set[str], set[str]] = (set(), set())) -> tuple[list[Difference], list[Fact]]:
    """`other_text_words`: skeleton words of (B, A), to judge whether a dropped quantity's topic is kept."""
    """(differences, facts of A kept in B). Exact keeps are matched first so a repeated number never
    pairs with the wrong twin."""
    qa = [f for f in a_facts if f.kind in QUANTITY_KINDS]
    qb = [f for f in b_facts if f.kind in QUANTITY_KINDS]
    kept: list[Fact] = []
    free_b = list(qb)
    free_a: list[Fact] = []
    for fact in qa:
        twin = next((b for b in free_b if _same_measure(fact, b) and b.value == fact.value
                     and b.comparator == fact.comparator), None)
        if twin is None:
            free_a.append(fact)
        else:
            kept.append(fact)
            free_b.remove(twin)
    differences: list[Difference] = []
    unmatched_a: list[Fact] = []
    for fact in free_a:
        candidates = [b for b in free_b if _same_measure(fact, b)]
        same_value = [b for b in candidates if b.value == fact.value and b.unit == fact.unit]
        if same_value:
            other = same_value[0]
            free_b.remove(other)
            differences.append(Difference(
                "comparator_changed",
                f"{fact.text} → {other.text}: {COMPARATOR_WORDS[fact.comparator]} → {COMPARATOR_WORDS[other.comparator]}",
                fact, other, 0.9))
            continue
        scored = sorted(((context_overlap(fact, a_lang, b, b_lang), b) for b in candidates), key=lambda sb: -sb[0])
        if scored and scored[0][0] >= MIN_CONTEXT_OVERLAP:
            overlap, other = scored[0]
            free_b.remove(other)
            measure = " ".join(fact.context[:3])
            differences.append(Difference("value_changed", f"{fact.describe()} → {other.describe()} ({measure})",
                                          fact, other, 0.5 + 0.5 * overlap))
            continue
        unmatched_a.append(fact)
    # a quantified obligation of the reference side that the other side no longer quantifies at all
    del a_obliged, b_obliged  # a bare quantity under "phải" proved too noisy: only comparator-bound ones count
    dropped_side = ([(f, "a") for f in unmatched_a] if reference in ("a", "both") else []) + \
        ([(f, "b") for f in free_b] if reference in ("b", "both") else [])
    for fact, side in dropped_side:
        other_facts, fact_lang, other_lang = (qb, a_lang, b_lang) if side == "a" else (qa, b_lang, a_lang)
        quantified = fact.comparator != "eq"
        topic_kept = _topic_kept(fact, fact_lang, other_text_words[0 if side == "a" else 1], other_lang)
        if quantified and topic_kept and not any(_same_measure(fact, o) for o in other_facts):
            where = "A" if side == "a" else "B"
            differences.append(Difference(
                "obligation_dropped", f"{where} requires {fact.describe()} ({fact.text}); the counterpart states no {fact.kind}",
                fact if side == "a" else None, fact if side == "b" else None, 0.8))
    return differences, kept


def compare_deadlines(a_facts: list[Fact], b_facts: list[Fact]) -> tuple[list[Difference], list[Fact]]:
    da = [f for f in a_facts if f.kind == "deadline"]
    db = [f for f in b_facts if f.kind == "deadline"]
    if not da or not db:
        return [], []
    kept = [a for a in da if any(_overlaps(a.value, b.value) for b in db)]
    lone_a = [a for a in da if a not in kept]
    lone_b = [b for b in db if not any(_overlaps(a.value, b.value) for a in da)]
    if lone_a and lone_b:
        return [Difference("deadline_changed", f"{lone_a[0].text} → {lone_b[0].text}", lone_a[0], lone_b[0], 0.8)], kept
    return [], kept


def compare_modality(a_facts: list[Fact], b_facts: list[Fact]) -> list[Difference]:
    ma = {f.value for f in a_facts if f.kind == "modality"}
    mb = {f.value for f in b_facts if f.kind == "modality"}
    if ma and mb and not ma & mb:
        first_a = next(f for f in a_facts if f.kind == "modality")
        first_b = next(f for f in b_facts if f.kind == "modality")
        return [Difference("modality_changed", f"{'/'.join(sorted(ma))} ({first_a.text}) → {'/'.join(sorted(mb))} ({first_b.text})",
                           first_a, first_b, 0.6)]
    return []


def compare_agencies(a_facts: list[Fact], b_facts: list[Fact]) -> list[Difference]:
    aa = [f for f in a_facts if f.kind == "agency"]
    ab = [f for f in b_facts if f.kind == "agency"]
    if not aa or not ab:
        return []
    if any(x.value in y.value or y.value in x.value for x in aa for y in ab):
        return []
    return [Difference("agency_changed", f"{aa[0].text} → {ab[0].text}", aa[0], ab[0], 0.7)]


def _obliged(facts: list[Fact]) -> bool:
    return any(f.kind == "modality" and f.value == "obligation" for f in facts)


# ---------------------------------------------------------------------------------------------- pairs

def _ref(clause: Clause) -> ClauseRef:
    return ClauseRef(clause_id=clause.id, doc_id=clause.doc_id,
                     citation=clause.citation_en if clause.language == "en" and clause.citation_en else clause.citation,
                     text=clause.text)


def _fact_key(fact: Fact | None) -> tuple | None:
    return None if fact is None else (fact.kind, fact.unit, fact.value, fact.comparator)


def findings_for(alignments: list[Alignment], reference: str, include_consistent: bool = True) -> list[Conflict]:
    """Typed findings for aligned pairs (alignments of one source clause are judged together)."""
    facts: dict[str, list[Fact]] = {}

    def facts_of(clause: Clause) -> list[Fact]:
        if clause.id not in facts:
            facts[clause.id] = clause_facts(clause)
        return facts[clause.id]

    by_source: dict[str, list[Alignment]] = {}
    for alignment in alignments:
        by_source.setdefault(alignment.source.id, []).append(alignment)
    results: list[Conflict] = []
    for group in by_source.values():
        compared = []
        kept_at: dict[tuple, float] = {}  # fact key → best similarity of a counterpart that keeps it
        for alignment in group:
            a, b = alignment.source, alignment.target
            fa, fb = facts_of(a), facts_of(b)
            words = (set(skeleton_words(clause_body(b))), set(skeleton_words(clause_body(a))))
            differences, kept = compare_quantities(fa, fb, a.language, b.language, reference, _obliged(fa),
                                                   _obliged(fb), words)
            deadline_diffs, kept_deadlines = compare_deadlines(fa, fb)
            for fact in kept:
                key = _fact_key(fact)
                kept_at[key] = max(kept_at.get(key, 0.0), alignment.similarity)
            if alignment.rank == 1:
                differences += deadline_diffs + compare_agencies(fa, fb)
                if alignment.similarity >= MODALITY_MIN_SIMILARITY:
                    differences += compare_modality(fa, fb)
            else:
                differences = [d for d in differences if d.kind in ("value_changed", "comparator_changed")]
            if not alignment.mutual:
                # another clause of A fits this counterpart better: its numbers are not this clause's to compare.
                # A dropped obligation still counts: a plan often merges two bullets of its source into one.
                differences = [d for d in differences if d.kind == "obligation_dropped"]
            compared.append((alignment, fa, fb, differences, kept + kept_deadlines))
        for alignment, fa, fb, differences, kept in compared:
            # a fact kept by a clearly better counterpart is not "changed" against this one
            differences = [d for d in differences if d.kind not in ("value_changed", "comparator_changed")
                           or kept_at.get(_fact_key(d.source_fact), -1.0) < alignment.similarity + KEPT_MARGIN]
            results.extend(_conflicts(alignment, fa, fb, differences, kept, include_consistent))
    return sorted(results, key=lambda c: (FINDING_ORDER.index(c.kind) if c.kind == "consistent" else 0,
                                          -c.confidence, c.source.clause_id))


def _conflicts(alignment: Alignment, fa: list[Fact], fb: list[Fact], differences: list[Difference],
               kept: list[Fact], include_consistent: bool) -> list[Conflict]:
    a, b = alignment.source, alignment.target
    kinds: dict[str, list[Difference]] = {}
    for difference in differences:
        kinds.setdefault(difference.kind, []).append(difference)
    if not kinds:
        if not kept or not include_consistent:
            return []
        return [Conflict(kind="consistent", source=_ref(a), target=_ref(b), similarity=alignment.similarity,
                         confidence=round(min(1.0, 0.4 + 0.6 * alignment.similarity + 0.1 * len(kept)), 3),
                         facts_source=[f.to_json() for f in fa], facts_target=[f.to_json() for f in fb],
                         differences=[f"kept: {f.describe() if f.kind in QUANTITY_KINDS else f.text}" for f in kept])]
    conflicts = []
    for kind, items in kinds.items():
        strength = max(d.strength for d in items)
        conflicts.append(Conflict(
            kind=kind, source=_ref(a), target=_ref(b), similarity=alignment.similarity,
            confidence=round(min(1.0, strength * (0.5 + alignment.similarity)), 3),
            facts_source=[f.to_json() for f in fa], facts_target=[f.to_json() for f in fb],
            differences=[d.text for d in items]))
    return conflicts


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


def cited_documents(document: Document) -> list[str]:
    seen: list[str] = []
    for reference in document.references:
        target = reference.resolved_doc_id
        if target and target != document.doc_id and target not in seen:
            seen.append(target)
    return seen


def reference_side(a: Document, b: Document) -> str:
    """Which side states the obligations the other should keep: the cited / implemented document, else
    the older one."""
    if b.doc_id in cited_documents(a):
        return "b"
    if a.doc_id in cited_documents(b):
        return "a"
    if a.meta.date and b.meta.date:
        return "a" if a.meta.date <= b.meta.date else "b"
    return "both"  # unknown: a quantified obligation missing on either side is reported


def cross_check(searcher: Any, doc_a: str, doc_b: str | None = None, *, include_consistent: bool = True,
                threshold: float | None = None, min_confidence: float = 0.0) -> list[Conflict]:
    """Findings of doc_a against doc_b, or against every document doc_a cites or implements."""
    a = resolve_document(searcher, doc_a)
    targets = [resolve_document(searcher, doc_b)] if doc_b else [searcher.get_document(d) for d in cited_documents(a)]
    vectors_a = searcher.clause_vectors(a.doc_id)
    results: list[Conflict] = []
    for b in (t for t in targets if t is not None):
        alignments = align_clauses(a.clauses, b.clauses, vectors_a, searcher.clause_vectors(b.doc_id),
                                   threshold=threshold)
        results += findings_for(alignments, reference_side(a, b), include_consistent)
    return [c for c in results if c.confidence >= min_confidence]


def align_documents(searcher: Any, doc_a: str, doc_b: str, threshold: float | None = None) -> list[Alignment]:
    a, b = resolve_document(searcher, doc_a), resolve_document(searcher, doc_b)
    return align_clauses(a.clauses, b.clauses, searcher.clause_vectors(a.doc_id),
                         searcher.clause_vectors(b.doc_id), threshold=threshold)


# ---------------------------------------------------------------------------------------------- output

def to_markdown(conflicts: Iterable[Conflict]) -> str:
    lines = ["| kind | confidence | similarity | A | B | differences |", "| --- | --- | --- | --- | --- | --- |"]
    for c in conflicts:
        cell = " ; ".join(c.differences).replace("|", "\\|")
        lines.append(f"| {c.kind} | {c.confidence:.2f} | {c.similarity:.2f} | {c.source.citation} | "
                     f"{c.target.citation} | {cell} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- coverage

@dataclass(slots=True)
class CoverageRow:
    """One clause of the reference document B and what document A does with it."""

    clause: ClauseRef
    status: str  # implemented | changed | omitted
    counterparts: list[ClauseRef]  # A's clauses aligned with it, best first
    findings: list[str]  # kinds of difference on those pairs (value_changed, obligation_dropped, …)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def coverage(searcher: Any, doc_a: str, doc_b: str, threshold: float | None = None) -> list[CoverageRow]:
    """Every alignable clause of B, in document order, with its status in A, from the same alignment and
    findings as `cross_check`: `implemented` (a clause of A is aligned with it and no difference is found),
    `changed` (a difference is found on an aligned pair, a dropped obligation included), `omitted` (no
    clause of A is aligned with it)."""
    a, b = resolve_document(searcher, doc_a), resolve_document(searcher, doc_b)
    alignments = align_clauses(a.clauses, b.clauses, searcher.clause_vectors(a.doc_id),
                               searcher.clause_vectors(b.doc_id), threshold=threshold)
    findings = findings_for(alignments, reference_side(a, b), include_consistent=False)
    counterparts: dict[str, list[Alignment]] = {}
    for alignment in alignments:
        counterparts.setdefault(alignment.target.id, []).append(alignment)
    kinds: dict[str, list[str]] = {}
    for finding in findings:
        kinds.setdefault(finding.target.clause_id, [])
        if finding.kind not in kinds[finding.target.clause_id]:
            kinds[finding.target.clause_id].append(finding.kind)
    rows = []
    for clause in (c for c in b.clauses if alignable(c)):
        aligned = sorted(counterparts.get(clause.id, []), key=lambda al: -al.similarity)
        found = kinds.get(clause.id, [])
        status = "omitted" if not aligned else "changed" if found else "implemented"
        rows.append(CoverageRow(_ref(clause), status, [_ref(al.source) for al in aligned], found))
    return rows
