"""The document model every stage shares: Document, Clause, Reference, ingest problems.

Invariants (tested):
- `document.text` is the decoded source file, never modified.
- `clause.text == document.text[clause.span[0]:clause.span[1]]`.
- `clause.clean_text` is `clause.text` with `clause.edits` applied (joined wrapped lines, dropped page
  numbers / repeated table headers, repaired glyphs); `clause.norm_text` is `normalise(clean_text)`.
  Both map back to `clause.text` through `textmap`, so highlights are offsets into `clause.text`.
- `clause.display_mapped()` is the text a reader sees: `clean_text` with the paragraph breaks the parser
  found (`clause.breaks`) kept as line breaks and every other line break (a PDF's hard wrap inside a
  sentence) reflowed into a space; it maps back to `clause.text` like the others.
- `document.pages` (paged sources: PDF, scanned images) gives each page's span of `document.text`, which
  pages joins with a form feed, and for OCR'd pages Tesseract's mean word confidence; `clause.pages` is
  the first and last page a clause lies on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

from indexer import kinds
from indexer.textmap import Edit, MappedText, apply_edits

# Clause kinds, outermost first: the table in data/clause_kinds.tsv (indexer.kinds).
CLAUSE_KINDS = kinds.CLAUSE_KINDS


@dataclass(slots=True)
class PathStep:
    """One level of a clause's position: kind and its label as printed ("5", "b", "III", "2" for the 2nd bullet)."""

    kind: str
    label: str


@dataclass(slots=True)
class Reference:
    """A mention of another document inside a document."""

    text: str  # as written: "Nghị quyết số 66-NQ/TW ngày 30/4/2025 của Bộ Chính trị"
    key: str  # normalised document number: "66-NQ/TW", "1218/QĐ-UBND", "45/2019/QH14"; or "dieu:35" for in-document refs
    doc_type: str | None = None  # "Nghị quyết", "Luật", "Quyết định", …
    number: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd when the text gives it
    issuer: str | None = None
    relation: str | None = None  # "can_cu" | "thuc_hien" | "sua_doi_bo_sung" | "thay_the" | "bai_bo" | None
    span: tuple[int, int] = (0, 0)  # in document.text
    clause_id: str | None = None
    resolved_doc_id: str | None = None  # corpus document with that number, when present


@dataclass(slots=True)
class DocumentMeta:
    doc_type: str | None = None  # Hiến pháp, Bộ luật, Luật, Nghị quyết, Nghị định, Quyết định, Thông tư, Kế hoạch, Chương trình hành động, Bài viết
    number: str | None = None  # "1218/QĐ-UBND"
    issuer: str | None = None  # "UBND tỉnh Vĩnh Long"
    place: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd
    title: str | None = None
    language: str = "vi"  # "vi" | "en"
    source_url: str | None = None


@dataclass(slots=True)
class Clause:
    id: str  # stable: f"{doc_id}:{path_key}", e.g. "003_9f40a26defcbfd25:III.7.b" or "vlc-law:d5.k2.a"
    doc_id: str
    kind: str  # one of CLAUSE_KINDS
    path: list[PathStep]
    headings: list[str]  # clean text of the headings above it, outermost first (Chương …, Điều 5. Title)
    text: str  # original text, == document.text[span[0]:span[1]]
    span: tuple[int, int]
    lines: tuple[int, int]  # first and last 1-based line in the source
    citation: str  # Vietnamese legal style: "điểm b khoản 6 Mục II Kế hoạch số 12/KH-UBND …"
    citation_en: str  # "point b, item 6, Section II of Plan No. 12/KH-UBND …"
    edits: list[Edit] = field(default_factory=list)  # relative to `text`; produce clean_text
    clean_text: str = ""
    norm_text: str = ""
    parent_id: str | None = None
    title: str | None = None  # article / part title when the clause is a heading
    fields: dict[str, str] = field(default_factory=dict)  # appendix table columns for kind == "row"
    language: str = "vi"
    # Offsets in `text` where a new paragraph starts (a line break the reader keeps); see display_mapped.
    breaks: list[int] = field(default_factory=list)
    pages: tuple[int, int] | None = None  # first and last page (1-based) of a paged source

    def clean_mapped(self) -> MappedText:
        """clean_text with its map back to offsets in `text`."""
        return apply_edits(self.text, self.edits)

    def display_mapped(self) -> MappedText:
        """The reading text: clean_text, but a whitespace run that ends where a paragraph starts is a newline."""
        keep = set(self.breaks)
        return apply_edits(self.text, [
            Edit(e.start, e.end, "\n") if e.end in keep and e.replacement == " " else e for e in self.edits
        ])


CLAUSE_FIELDS = tuple(item.name for item in dataclasses.fields(Clause))


@dataclass(slots=True)
class Page:
    """One page of a paged source: its span of `document.text` and how its text was obtained."""

    number: int  # 1-based
    start: int
    end: int
    method: str = "text"  # "text": the file's own text layer | "ocr": Tesseract on the page image
    confidence: float | None = None  # OCR only: mean word confidence, 0-100
    words: int = 0


@dataclass(slots=True)
class Document:
    doc_id: str  # file name without extension: "002_7aca7bcc376b2da4"
    source: str  # path relative to the corpus root
    content_hash: str  # sha256 of the file bytes
    format: str  # txt | md | html | pdf | docx
    encoding: str | None
    text: str  # decoded (for html/pdf/docx: extracted) text; never modified afterwards
    meta: DocumentMeta
    clauses: list[Clause] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    # Glyph repair that cleaning applied: {"char": "ụ", "words_repaired": 123, "examples": [...]}
    repair: dict[str, Any] = field(default_factory=dict)
    excluded: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, why) boilerplate etc.
    pages: list[Page] = field(default_factory=list)  # paged sources only (pdf, image)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        clauses = [clause_from_dict(c) for c in data["clauses"]]
        references = [Reference(**{**r, "span": tuple(r["span"])}) for r in data["references"]]
        return cls(
            **{
                **data,
                "meta": DocumentMeta(**data["meta"]),
                "clauses": clauses,
                "references": references,
                "excluded": [tuple(x) for x in data["excluded"]],
                "pages": [Page(**p) for p in data.get("pages", [])],
            }
        )


def clause_to_dict(clause: Clause) -> dict[str, Any]:
    """`dataclasses.asdict(clause)` without its deep copy (equal results: tested). On 21.6k VLC clauses,
    interleaved on a loaded machine: asdict 113–127 µs a clause (14 s of a VLC build), this 22–40 µs."""
    data = {name: getattr(clause, name) for name in CLAUSE_FIELDS}
    data["path"] = [{"kind": step.kind, "label": step.label} for step in clause.path]
    data["edits"] = [{"start": edit.start, "end": edit.end, "replacement": edit.replacement} for edit in clause.edits]
    data["headings"], data["fields"], data["breaks"] = list(clause.headings), dict(clause.fields), list(clause.breaks)
    return data


def clause_from_dict(data: dict[str, Any]) -> Clause:
    return Clause(**{
        **data,
        "path": [PathStep(**p) for p in data["path"]],
        "span": tuple(data["span"]),
        "lines": tuple(data["lines"]),
        "edits": [Edit(**e) for e in data["edits"]],
        "pages": tuple(data["pages"]) if data.get("pages") else None,
    })


@dataclass(slots=True)
class IngestProblem:
    """A file that could not be (fully) processed; listed in the ingest report, never fatal."""

    source: str
    problem: str  # "empty" | "binary" | "undecidable-encoding" | "truncated" | "unreadable" | "unsupported" | "parse-error" | "ocr-unavailable"
    detail: str


@dataclass(slots=True)
class OcrPage:
    page: int
    confidence: float  # Tesseract's mean word confidence, 0-100
    words: int


@dataclass(slots=True)
class SkippedPath:
    """A path under the corpus root that walking did not turn into a file to ingest, and why."""

    path: str  # relative to the corpus root, as `Document.source` writes paths
    reason: str  # one of indexer.load.SKIP_REASONS
    detail: str = ""


@dataclass(slots=True)
class IngestReport:
    processed: list[str] = field(default_factory=list)
    problems: list[IngestProblem] = field(default_factory=list)
    # Files (some of) whose pages were read by OCR: source -> one entry per OCR'd page.
    ocr: dict[str, list[OcrPage]] = field(default_factory=dict)
    skipped: list[SkippedPath] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class CleanedText:
    """What cleaning found in a document's text, in `document.text` coordinates (the text is untouched).

    `excluded`: whole-line regions that never become clause text (web boilerplate, page numbers, repeated
    table headers), as (start, end, why). `repairs`: glyph-loss repairs, each replacing or inserting
    characters inside a word (never touching a line break), non-overlapping.
    """

    language: str = "vi"
    excluded: list[tuple[int, int, str]] = field(default_factory=list)
    repairs: list[Edit] = field(default_factory=list)
    repair_summary: dict[str, Any] = field(default_factory=dict)
