"""Document text → clauses: the smallest citable units, each a faithful span of the original text.

One pass over the lines with a stack of open structural nodes (Phần/Chương/Mục/Điều/khoản/điểm/tiết,
or a policy document's I./1./a)/- and the English translation's "I - PART"); pattern tables live in
`indexer.structure`. Lines without a marker continue the current block when the previous line was
hard-wrapped (no sentence-final punctuation, or a long line), otherwise they open an unnumbered
paragraph. Appendix tables (STT | Nội dung | …) become one clause per row with the columns as fields.
Every clause keeps `text == document.text[span]`; cleaning (excluded lines, glyph repairs, whitespace)
is expressed as `edits` relative to the clause text. Where a clause's lines were joined as separate
paragraphs rather than as a hard wrap, the offset is kept in `breaks`, so the reading text
(`Clause.display_mapped`) keeps those line breaks and reflows the others. A clause of a paged source
knows its pages, and its citations end with them ("… (trang 2)", "… (page 2)").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from indexer.citation import cite_en, cite_vi, pages_en, pages_vi
from indexer.kinds import DROPPED_UNDER_ARTICLE
from indexer.model import Clause, CleanedText, DocumentMeta, Page, PathStep
from indexer.normalise import normalise
from indexer.structure import (
    ARTEFACT_LINE,
    ATTACHED,
    ATTACHED_TYPE,
    BARE_NUMBER,
    CELL_CONTINUES,
    CELL_START,
    CLOSING,
    CLOSING_PARAGRAPH,
    MARKERS,
    MERGING_KINDS,
    NORMATIVE_KIND,
    POLICY_KIND,
    QUOTED,
    ROW_START,
    SENTENCE_END,
    SEPARATOR,
    TABLE_HEADER,
    TASK_TABLE_FIELDS,
    TASK_TABLE_HEADER_WORDS,
    TIME_CELL,
    TITLED_FAMILIES,
    UNSAFE_IN_ID,
    Marker,
    id_label,
    starts_upper,
)
from indexer.textmap import Edit, apply_edits

NARROW_CELL_MAX = 24  # characters: a wrapped line of an agency / time-frame column is at most this wide
STRONG_FAMILIES = frozenset({"phan", "chuong", "dieu", "appendix", "roman"})  # these end a table


@dataclass(slots=True)
class Line:
    index: int  # 0-based line number
    start: int  # offset of the first non-space character
    end: int  # offset after the last non-space character
    text: str


@dataclass(slots=True)
class Node:
    kind: str
    label: str
    level: int
    first: int  # index into the usable-lines list
    last: int
    parent: Node | None
    key: str = ""
    attached: str | None = None
    expect_title: bool = False
    child_counts: Counter = field(default_factory=Counter)
    table_lines: list[int] = field(default_factory=list)  # rows: the usable lines holding cell text
    row_head: str = ""  # rows: text after the STT number on the row's first line
    fields: dict[str, str] = field(default_factory=dict)
    breaks: list[int] = field(default_factory=list)  # usable lines that start a paragraph of this node


@dataclass(slots=True)
class TableState:
    parent: Node | None
    header_text: list[str] = field(default_factory=list)
    header_lines: set[str] = field(default_factory=set)  # the first header's lines, to spot repeats
    in_header: bool = True
    last_stt: int = 0
    row: Node | None = None
    rows: list[Node] = field(default_factory=list)


def _usable_lines(text: str, excluded: list[tuple[int, int, str]]) -> tuple[list[Line], list[Line]]:
    """Non-blank lines split into (kept, excluded); a line is excluded when a region covers its text."""
    regions = sorted((s, e) for s, e, _ in excluded)
    region_starts = [s for s, _ in regions]
    kept: list[Line] = []
    dropped: list[Line] = []
    for index, match in enumerate(re.finditer(r"[^\n]*\n?", text)):
        raw = match.group()
        if not raw:
            break
        core = raw.strip()
        stripped = core.lstrip("\ufeff").lstrip()
        if not stripped:
            continue
        start = match.start() + raw.index(core) + (len(core) - len(stripped))
        end = start + len(stripped)
        # A region covering the whole stripped line (regions are sorted; check the one starting before it).
        position = bisect_left(region_starts, start + 1) - 1
        covered = False
        while position >= 0 and not covered:
            region_start, region_end = regions[position]
            if region_start <= start and region_end >= end:
                covered = True
            position -= 1
            if position >= 0 and regions[position][1] < start:
                break
        (dropped if covered else kept).append(Line(index, start, end, stripped))
    return kept, dropped


def _match_marker(text: str) -> tuple[Marker, re.Match[str]] | None:
    if QUOTED.match(text):
        return None
    for marker in MARKERS:
        match = marker.pattern.match(text)
        if match:
            return marker, match
    return None


def _wrap_width(lines: list[Line]) -> int:
    lengths = sorted(len(line.text) for line in lines)
    return lengths[int(len(lengths) * 0.9)] if lengths else 80


def _continues(previous: str, line: str, width: int) -> bool:
    """Hard-wrap rule: a sentence never starts in lower case; an upper-case line goes on a long line
    that did not close a sentence (a proper noun after a wrap), and starts a new block otherwise."""
    if not starts_upper(line):
        return True
    return not SENTENCE_END.search(previous) and len(previous) >= 0.75 * width


class _Builder:
    """Walks the usable lines once and collects nodes; `clauses()` turns them into Clause objects."""

    def __init__(self, lines: list[Line], excluded_lines: list[Line]):
        self.lines = lines
        self.excluded_lines = excluded_lines
        self.width = _wrap_width(lines)
        self.nodes: list[Node] = []
        self.stack: list[Node] = []
        self.current: Node | None = None
        self.attached: str | None = None
        self.structured = False  # seen a structural marker yet
        self.closed = False  # past the signature / distribution block: no more nesting
        self.top_counts: Counter = Counter()
        self.table: TableState | None = None
        self.skipped_in_table: list[int] = []  # usable lines inside a table that are page artefacts

    # --- node creation ---------------------------------------------------------------------------
    def _parent(self) -> Node | None:
        return self.stack[-1] if self.stack else None

    def _count(self, parent: Node | None, what: str) -> int:
        counts = parent.child_counts if parent else self.top_counts
        counts[what] += 1
        return counts[what]

    def _new(self, kind: str, label: str, level: int, index: int, parent: Node | None) -> Node:
        node = Node(kind, label, level, index, index, parent, attached=self.attached)
        self.nodes.append(node)
        return node

    def _open_marker(self, marker: Marker, match: re.Match[str], index: int) -> None:
        while self.stack and self.stack[-1].level >= marker.level:
            self.stack.pop()
        in_article = marker.family == "dieu" or any(n.kind == "dieu" for n in self.stack)
        kind = (NORMATIVE_KIND if in_article else POLICY_KIND)[marker.family]
        parent = self._parent()
        label = (match.group("label") or "").strip()
        if kind == "phan" and label[:3].lower() == "thứ":
            label = " ".join(label.lower().split())  # "THỨ HAI" and "thứ hai" cite alike
        if kind == "bullet":
            label = str(self._count(parent, "bullet"))
        elif kind == "appendix" and not label:
            label = ""
        node = self._new(kind, label, marker.level, index, parent)
        node.expect_title = marker.family in TITLED_FAMILIES and not (match.group("rest") or "").strip()
        if not (self.closed and kind == "bullet"):
            self.stack.append(node)
        self.current = node
        self.structured = True

    def _open_paragraph(self, index: int) -> None:
        parent = self._parent()
        kind = "paragraph" if self.structured else "preamble"
        label = str(self._count(parent, kind))
        self.current = self._new(kind, label, 99, index, parent)

    # --- tables ----------------------------------------------------------------------------------
    def _table_line(self, index: int, line: Line) -> bool:
        """Handle a line inside a table; False when the table ended and the line needs normal handling."""
        table = self.table
        assert table is not None
        text = line.text
        marked = _match_marker(text)
        if marked and marked[0].family in STRONG_FAMILIES and not ROW_START.match(text):
            self.table = None
            return False
        if TABLE_HEADER.match(text):
            table.in_header = True
            table.header_text.append(text)
            table.header_lines.add(text)
            self._skip(index)
            return True
        row = ROW_START.match(text)
        stt = int(row.group("stt")) if row else -1
        is_next_row = row is not None and table.last_stt < stt <= table.last_stt + 3 and (
            row.group("rest") is None or starts_upper(row.group("rest"))
        )
        if ARTEFACT_LINE.match(text) or (BARE_NUMBER.match(text) and not is_next_row):
            self._skip(index)  # page number or time stamp of the PDF
            return True
        if is_next_row and BARE_NUMBER.match(text) and self._next_is_header(index):
            self._skip(index)
            return True
        if is_next_row:
            table.in_header = False
            table.last_stt = stt
            node = self._new("row", str(stt), 50, index, table.parent)
            node.row_head = row.group("rest") or ""
            table.row = node
            table.rows.append(node)
            self.current = node
            return True
        if table.row is None or (table.in_header and text in table.header_lines):
            table.header_text.append(text)
            table.header_lines.add(text)
            self._skip(index)
            return True
        table.in_header = False
        table.row.last = index
        table.row.table_lines.append(index)
        return True

    def _next_is_header(self, index: int) -> bool:
        return index + 1 < len(self.lines) and bool(TABLE_HEADER.match(self.lines[index + 1].text))

    def _skip(self, index: int) -> None:
        self.skipped_in_table.append(index)

    # --- the walk --------------------------------------------------------------------------------
    def run(self) -> None:
        excluded_headers = {line.index for line in self.excluded_lines if TABLE_HEADER.match(line.text)}
        next_excluded_header = sorted(excluded_headers)
        header_cursor = 0
        for index, line in enumerate(self.lines):
            # A table whose first header line cleaning excluded still starts a table here.
            while header_cursor < len(next_excluded_header) and next_excluded_header[header_cursor] < line.index:
                if self.table is None:
                    self.table = TableState(parent=self._table_parent())
                header_cursor += 1
            if self.table is not None and self._table_line(index, line):
                continue
            self._line(index, line)

    def _closes_document(self, current: Node | None, text: str) -> bool:
        """An unnumbered closing paragraph of a policy document after a finished sentence ("Trên đây là …",
        "… Kế hoạch này …") is the document's own paragraph, not a continuation of the last point."""
        if current is None or not self.stack or not starts_upper(text):
            return False
        if any(node.kind == "dieu" for node in self.stack):
            return False  # inside an article every paragraph is the article's
        return bool(SENTENCE_END.search(self.lines[current.last].text) and CLOSING_PARAGRAPH.search(text))

    def _table_parent(self) -> Node | None:
        for node in reversed(self.stack):
            if node.kind == "appendix":
                return node
        return self._parent()

    def _line(self, index: int, line: Line) -> None:
        text = line.text
        if SEPARATOR.match(text):
            self.current = None
            return
        if TABLE_HEADER.match(text):
            self.table = TableState(parent=self._table_parent(), header_text=[text], header_lines={text})
            self.current = None
            self._skip(index)
            return
        attached = ATTACHED.match(text)
        if attached and self.structured:
            self.stack.clear()
            self.attached = ATTACHED_TYPE[attached.group("type")]
            self.structured = False
            self.closed = False
            self.current = None
            self._open_paragraph(index)
            return
        if CLOSING.match(text):
            self.closed = True
            self.stack.clear()
            self.current = None
            self._open_paragraph(index)
            return
        marked = _match_marker(text)
        if marked:
            if self.closed and marked[0].family in STRONG_FAMILIES:
                self.closed = False
            self._open_marker(marked[0], marked[1], index)
            return
        current = self.current
        if self._closes_document(current, text):
            self.stack.clear()
            self._open_paragraph(index)
            return
        if current is not None:
            previous = self.lines[current.last].text
            if current.expect_title and (text.isupper() or not SENTENCE_END.search(previous)) and text.isupper():
                if current.last == current.first or SENTENCE_END.search(previous):
                    current.breaks.append(index)  # the title under "Chương I"; its own wrapped lines go on
                current.last = index
                return
            current.expect_title = False
            wrapped = _continues(previous, text, self.width)
            if current.kind in MERGING_KINDS or wrapped:
                current.last = index
                if not wrapped:
                    current.breaks.append(index)  # a paragraph of its own inside the article / khoản
                return
        self._open_paragraph(index)


# --- fields of task-table rows -------------------------------------------------------------------------


def _split_joined_cells(head: str) -> tuple[str, list[str]]:
    """A row whose cells the PDF joined on one line: "26 Nội dung … Các sở, ban, Các cơ quan, Thực hiện"."""
    starts = [m.start() + 1 for m in re.finditer(r" (?=\S)", head) if CELL_START.match(head[m.start() + 1 :])]
    starts = [s for s in starts if s > 20 and len(head) - s <= 3 * NARROW_CELL_MAX]
    if len(starts) < 2:
        return head, []
    starts = starts[-3:]
    cells = [head[a:b].strip() for a, b in zip(starts, [*starts[1:], len(head)], strict=True)]
    return head[: starts[0]].strip(), cells


def _paren_balanced(lines: list[str]) -> bool:
    text = " ".join(lines)
    return text.count("(") == text.count(")")


def _boundary_score(lines: list[str], k: int, last_cell: bool) -> float:
    line, previous = lines[k], lines[k - 1]
    if not _paren_balanced(lines[:k]):
        return float("-inf")
    score = 0.0
    score += 2 if CELL_START.match(line) else 0
    score += 1 if starts_upper(line) else -3
    score -= 3 if CELL_CONTINUES.search(previous) else 0
    if TIME_CELL.match(line):
        score += 1 if last_cell else -1
    return score


def _split_narrow(lines: list[str]) -> list[list[str]]:
    """Split the narrow column lines of a row into (lead agency, partners, time frame)."""
    m = len(lines)
    if m == 0:
        return [[], [], []]
    if m == 1:
        return [lines, [], []]
    if m == 2:
        return [[lines[0]], [], [lines[1]]] if TIME_CELL.match(lines[1]) else [[lines[0]], [lines[1]], []]
    best: tuple[float, int, int] | None = None
    for i in range(1, m - 1):
        first = _boundary_score(lines, i, False)
        for j in range(i + 1, m):
            total = first + _boundary_score(lines, j, True)
            if best is None or total > best[0]:
                best = (total, i, j)
    assert best is not None
    _, i, j = best
    return [lines[:i], lines[i:j], lines[j:]]


def _assign_by_vocabulary(lines: list[str], columns: int, vocabulary: dict[str, Counter]) -> list[list[str]]:
    """Continuation lines of joined cells, split in order so that each goes where other rows had it."""
    best: tuple[int, list[list[str]]] | None = None
    m = len(lines)
    cuts = [(i, j) for i in range(m + 1) for j in range(i, m + 1)] if columns == 3 else [(i, m) for i in range(m + 1)]
    for i, j in cuts:
        groups = [lines[:i], lines[i:j], lines[j:]][:columns]
        score = sum(vocabulary.get(line, Counter())[c] for c, group in enumerate(groups) for line in group)
        if best is None or score > best[0]:
            best = (score, groups)
    return best[1] if best else [lines]


SPILLED_TAIL = re.compile(r"^(?P<body>.*[.;!?…])\s+(?P<tail>[^\W\d][^.;:!?…]*)$")


def _split_spilled_cells(line: str) -> tuple[str, str]:
    """"… quốc tế. xã hội doanh" -> ("… quốc tế.", "xã hội doanh"): a short lower-case run after the end of
    the content's sentence is the narrow cells' continuation that the PDF put on the same line."""
    match = SPILLED_TAIL.match(line)
    if match and not starts_upper(match.group("tail")) and len(match.group("tail")) <= NARROW_CELL_MAX:
        return match.group("body"), match.group("tail")
    return line, ""


def _is_word_prefix(words: list[str], value: str) -> bool:
    return value.split()[: len(words)] == words


def _finish_cells(fields: dict[str, str], words: list[str], known: dict[str, set[str]]) -> None:
    """Spread the words that went on after a page break over the narrow cells the break cut off, in column
    order: a cell equal to a value other rows have is complete; an unfinished cell takes the longest run
    that keeps it a prefix of a known value; the last unfinished cell takes the rest."""
    names = list(TASK_TABLE_FIELDS[2:])
    unfinished = [n for n in names if fields.get(n, "") not in known[n] or CELL_CONTINUES.search(fields.get(n, ""))]
    unfinished = unfinished or names[-1:]
    for position, name in enumerate(unfinished):
        cell = fields.get(name, "").split()
        if position == len(unfinished) - 1:
            take = len(words)
        else:
            take = max((k for k in range(len(words) + 1)
                        if any(_is_word_prefix(cell + words[:k], value) for value in known[name])), default=0)
        fields[name] = " ".join(cell + words[:take])
        words = words[take:]


def _row_fields(rows: list[Node], cell_lines: dict[int, list[str]], header: str) -> None:
    """Fill `fields` of each row: STT and content always; agency and time columns for task tables."""
    task_table = all(word in header.lower() for word in TASK_TABLE_HEADER_WORDS)
    vocabulary: dict[str, Counter] = {}
    joined: list[tuple[Node, str, list[str], list[str], list[str]]] = []
    spilled: list[tuple[Node, list[str]]] = []
    for row in rows:
        lines = cell_lines[id(row)]
        head = row.row_head
        content, heads = _split_joined_cells(head) if task_table and head else (head, [])
        content_lines = [content] if content else []
        narrow: list[str] = []
        spill: list[str] = []  # narrow-cell text that a page break pushed below the content's continuation
        previous_wide = bool(content)
        for line in lines:
            wide = len(line) > NARROW_CELL_MAX
            if task_table and narrow and (wide or spill):
                # The row goes on after a page break: the content column first, then the rest of the
                # narrow cells, which the PDF may have run onto the content line ("… quốc tế. xã hội doanh").
                body, tail = _split_spilled_cells(line) if wide else ("", line)
                content_lines += [body] if body else []
                spill += [tail] if tail else []
                continue
            if wide or (previous_wide and not starts_upper(line) and not narrow):
                content_lines.append(line)
                previous_wide = wide
            else:
                narrow.append(line)
                previous_wide = False
        row.fields = {"stt": row.label, "noi_dung": " ".join(content_lines)}
        if not task_table:
            if narrow:
                row.fields["noi_dung"] = " ".join([*content_lines, *narrow])
            continue
        if heads:
            joined.append((row, content, heads, content_lines, narrow))
            continue
        cells = _split_narrow(narrow)
        for column, cell in enumerate(cells):
            for line in cell:
                vocabulary.setdefault(line, Counter())[column] += 1
        for name, cell in zip(TASK_TABLE_FIELDS[2:], cells, strict=True):
            row.fields[name] = " ".join(cell)
        if spill:
            spilled.append((row, " ".join(spill).split()))
    cut_off = {id(row) for row, _ in spilled}
    known = {name: {r.fields.get(name, "") for r in rows if id(r) not in cut_off} for name in TASK_TABLE_FIELDS[2:]}
    for row, words in spilled:
        _finish_cells(row.fields, words, known)
    for row, _content, heads, _content_lines, narrow in joined:
        groups = _assign_by_vocabulary(narrow, len(heads), vocabulary)
        for name, head, group in zip(TASK_TABLE_FIELDS[2:], heads, groups, strict=False):
            row.fields[name] = " ".join([head, *group])


# --- clause construction -------------------------------------------------------------------------------


# A whitespace run that is not one plain space: two or more characters, or a newline/tab/nbsp alone.
RUN_TO_COLLAPSE = re.compile(r"(?<!\s)(?:\s{2,}|[^\S ])")
WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(slots=True)
class _Spans:
    """Sorted (start, end) spans with the lookups a clause needs, by bisection instead of a scan per clause."""

    spans: list[tuple[int, int]]
    starts: list[int] = field(default_factory=list)
    longest: int = 0

    def __post_init__(self) -> None:
        self.spans.sort()
        self.starts = [s for s, _ in self.spans]
        self.longest = max((e - s for s, e in self.spans), default=0)

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        low = bisect_left(self.starts, start - self.longest)
        high = bisect_left(self.starts, end)
        return [(s, e) for s, e in self.spans[low:high] if e > start]

    def inside(self, start: int, end: int) -> range:
        return range(bisect_left(self.starts, start), bisect_left(self.starts, end + 1))


def _clause_edits(
    text: str,
    offset: int,
    repairs: list[Edit],
    deletions: list[tuple[int, int]] | _Spans,
    repair_spans: _Spans | None = None,
) -> list[Edit]:
    """Edits relative to the clause text: glyph repairs, deleted regions, whitespace runs → one space."""
    end = offset + len(text)
    if not isinstance(deletions, _Spans):
        deletions = _Spans(list(deletions))
    if repair_spans is None:
        repair_spans = _Spans([(r.start, r.end) for r in repairs])  # `repairs` sorted by (start, end)
    local_deletions = [(max(s, offset) - offset, min(e, end) - offset) for s, e in deletions.overlapping(offset, end)]
    candidates = [repairs[i] for i in repair_spans.inside(offset, end)] if repairs else []
    local_repairs = [
        Edit(r.start - offset, r.end - offset, r.replacement)
        for r in candidates
        if r.start >= offset and r.end <= end
        and not any(s < r.end and r.start < e or s <= r.start < e for s, e in local_deletions)
    ]
    if not local_deletions and not local_repairs:
        return [Edit(m.start(), m.end(), " ") for m in RUN_TO_COLLAPSE.finditer(text)]
    masked = list(text)
    for s, e in local_deletions:
        masked[s:e] = "\n" * (e - s)  # a deleted region counts as whitespace of the run it sits in
    for r in local_repairs:
        for i in range(r.start, r.end):
            masked[i] = "X"  # a repaired character is never collapsed
    cut_points = sorted({r.start for r in local_repairs if r.start == r.end})
    edits = list(local_repairs)
    for match in WHITESPACE_RUN.finditer("".join(masked)):
        bounds = [match.start(), *[p for p in cut_points if match.start() < p < match.end()], match.end()]
        for a, b in zip(bounds, bounds[1:], strict=False):
            if text[a:b] != " ":
                edits.append(Edit(a, b, " "))
    return sorted(edits, key=lambda e: (e.start, e.end))


def _path(node: Node) -> list[PathStep]:
    chain = []
    while node is not None:
        chain.append(PathStep(node.kind, node.label))
        node = node.parent
    return chain[::-1]


def _own_key(node: Node) -> str:
    kind, label = node.kind, id_label(node.label)
    return {
        "phan": f"p{label}", "chuong": f"ch{label}", "muc": f"m{label}", "dieu": f"d{label}",
        "khoan": f"k{label}", "tiet": f"t{label}", "bullet": f"-{label}", "paragraph": f"p{label}",
        "preamble": f"pre{label}", "appendix": f"pl{label}", "row": f"row{label}",
    }.get(kind, label)


def _key(node: Node) -> str:
    own = _own_key(node)
    parent = node.parent
    if node.kind == "dieu" or parent is None:
        key = own
    elif node.kind == "row" and parent.kind == "appendix" and not parent.label:
        key = own
    else:
        key = f"{parent.key}.{own}" if parent.key else own
    if node.attached and (parent is None) and node.kind not in ("dieu",):
        key = f"{_attached_prefix(node.attached)}.{key}"
    return key


def _attached_prefix(attached: str) -> str:
    return "".join(word[0] for word in attached.split()).upper()


def _citation_path(path: list[PathStep]) -> list[PathStep]:
    if any(step.kind == "dieu" for step in path):
        return [step for step in path if step.kind not in DROPPED_UNDER_ARTICLE]
    return path


def _page_of(pages: list[Page], offset: int) -> int:
    """The 1-based page holding `offset` of the document text (pages are sorted by start)."""
    return pages[max(0, bisect_left([page.start for page in pages], offset + 1) - 1)].number


def parse_clauses(doc_id: str, text: str, cleaned: CleanedText, meta: DocumentMeta,
                  pages: list[Page] | None = None) -> list[Clause]:
    """Split a document into clauses (see module docstring); never raises on odd text.

    `pages`: the source's pages (PDF, scans), when it has them; clauses then carry their page range.
    """
    language = meta.language or cleaned.language or "vi"
    lines, excluded_lines = _usable_lines(text, cleaned.excluded)
    builder = _Builder(lines, excluded_lines)
    builder.run()
    if not builder.nodes:
        return []
    has_structure = any(n.kind not in ("preamble", "paragraph") for n in builder.nodes)
    repairs = sorted(cleaned.repairs, key=lambda e: (e.start, e.end))
    deletions = sorted((s, e) for s, e, _ in cleaned.excluded)
    table_deletions = [(lines[i].start, lines[i].end) for i in builder.skipped_in_table]
    deletions = sorted(deletions + table_deletions)
    deletion_spans = _Spans(list(deletions))
    repair_spans = _Spans([(r.start, r.end) for r in repairs])

    # Row fields need cleaned line text (glyph repairs applied).
    rows = [n for n in builder.nodes if n.kind == "row"]
    if rows:
        cell_lines = {id(row): [_clean_line(lines[i], text, repairs) for i in row.table_lines] for row in rows}
        for row in rows:
            if row.row_head:
                row.row_head = _clean_line(lines[row.first], text, repairs).split(" ", 1)[-1]
        header = " ".join(line.text for line in lines if TABLE_HEADER.match(line.text))
        header += " " + " ".join(lines[i].text for i in builder.skipped_in_table[:12])
        _row_fields(rows, cell_lines, header)

    clauses: list[Clause] = []
    id_prefix = UNSAFE_IN_ID.sub("-", doc_id)  # a file name with spaces still gives a URL-path-safe id
    used: set[str] = set()
    node_ids: dict[int, str] = {}
    clean_by_node: dict[int, str] = {}  # ancestors always precede their descendants
    for node in builder.nodes:
        if not has_structure and node.kind == "preamble":
            node.kind = "paragraph"
        node.key = _key(node)
        key = node.key
        suffix = 1
        while key in used:
            suffix += 1
            key = f"{node.key}~{suffix}"
        used.add(key)
        node.key = key
        first, last = lines[node.first], lines[node.last]
        span = (first.start, last.end)
        clause_text = text[span[0] : span[1]]
        edits = _clause_edits(clause_text, span[0], repairs, deletion_spans, repair_spans)
        clean = apply_edits(clause_text, edits).text
        path = _path(node)
        citation_path = _citation_path(path)
        page_range = (_page_of(pages, span[0]), _page_of(pages, max(span[0], span[1] - 1))) if pages else None
        headings = []
        ancestor = node.parent
        while ancestor is not None:
            headings.append(clean_by_node.get(id(ancestor), ""))
            ancestor = ancestor.parent
        clause = Clause(
            id=f"{id_prefix}:{key}",
            doc_id=doc_id,
            kind=node.kind,
            path=path,
            headings=[h for h in headings[::-1] if h],
            text=clause_text,
            span=span,
            lines=(first.index + 1, last.index + 1),
            citation=cite_vi(citation_path, meta, doc_id, node.attached) + pages_vi(page_range),
            citation_en=cite_en(citation_path, meta, doc_id, node.attached) + pages_en(page_range),
            edits=edits,
            clean_text=clean,
            norm_text=normalise(clean, language),
            parent_id=node_ids.get(id(node.parent)) if node.parent else None,
            title=_title(node, clean),
            fields=dict(node.fields),
            language=language,
            breaks=[lines[i].start - span[0] for i in node.breaks if node.first < i <= node.last],
            pages=page_range,
        )
        node_ids[id(node)] = clause.id
        clean_by_node[id(node)] = clean
        clauses.append(clause)
    return clauses


def _clean_line(line: Line, text: str, repairs: list[Edit]) -> str:
    inside = [Edit(r.start - line.start, r.end - line.start, r.replacement)
              for r in repairs if r.start >= line.start and r.end <= line.end]
    cleaned = apply_edits(text[line.start : line.end], inside).text if inside else line.text
    return WHITESPACE_RUN.sub(" ", cleaned).strip()


TITLE_PATTERNS = {
    "dieu": re.compile(r"^Điều\s+\d+[a-zđ]?\s*[.:]\s*(?P<title>.*)$"),
    "part": re.compile(r"^[IVXLC]+\s*[.\-–—]\s*(?P<title>.*)$"),
    "chuong": re.compile(r"^\S+\s+\S+\.?\s*(?P<title>.*)$"),
    "phan": re.compile(r"^\S+\s+(?:thứ\s+|THỨ\s+)?\S+\.?\s*(?P<title>.*)$"),
    "muc": re.compile(r"^\S+\s+\S+\.?\s*(?P<title>.*)$"),
    "appendix": re.compile(r"^(?:Phụ lục|PHỤ LỤC)\s*(?:[IVXLC\d]+)?\s*[.:]?\s*(?P<title>.*)$"),
    "item": re.compile(r"^\d+\s*\.\s*(?P<title>.*)$"),
}


def _title(node: Node, clean: str) -> str | None:
    pattern = TITLE_PATTERNS.get(node.kind)
    if pattern is None:
        return None
    match = pattern.match(clean)
    title = match.group("title").strip() if match else ""
    if node.kind == "item" and (len(title) > 160 or SENTENCE_END.search(title)):
        return None  # an item that is a sentence, not a heading
    return title or None
