// lexvn page: search, why a clause matched, read a clause in context or in its whole document, copy its
// citation, compare two documents. Plain JS, no build step, no third-party code, nothing loaded from
// another host; all text goes through textContent (never innerHTML).
"use strict";

const LABELS = {
  vi: {
    skip: "Chuyển tới ô tìm kiếm",
    tagline: "Tra cứu văn bản pháp luật theo từng điều, khoản, điểm",
    sections: "Chức năng",
    tabSearch: "Tra cứu",
    tabDocument: "Đọc văn bản",
    tabConflicts: "Đối chiếu văn bản",
    apiDocs: "API",
    queryLabel: "Nội dung tìm kiếm",
    queryPlaceholder: "Nhập từ khoá, hoặc cụm từ chính xác trong ngoặc kép…",
    clearQuery: "Xoá nội dung tìm kiếm",
    searchButton: "Tìm kiếm",
    modeLabel: "Chế độ",
    modeHybrid: "Kết hợp",
    modeBm25: "Từ khoá",
    modeDense: "Ý nghĩa",
    modePhrase: "Cụm từ chính xác",
    docLabel: "Văn bản",
    allDocs: "Tất cả văn bản",
    typeLabel: "Loại văn bản",
    allTypes: "Tất cả loại",
    issuerLabel: "Cơ quan ban hành",
    allIssuers: "Tất cả cơ quan",
    yearLabel: "Năm",
    allYears: "Mọi năm",
    langLabel: "Ngôn ngữ",
    allLangs: "Tất cả",
    langVi: "Tiếng Việt",
    langEn: "Tiếng Anh",
    kLabel: "Mỗi trang",
    facetsTitle: "Lọc theo",
    facetUnitClauses: (n) => `Số điều khoản khớp (trong ${n} kết quả đầu)`,
    facetUnitDocuments: "Số văn bản trong kho",
    facetNames: { doc_type: "Loại văn bản", issuer: "Cơ quan ban hành", year: "Năm" },
    facetFilter: (name, value, n) => `${name}: ${value}, ${n}`,
    facetClear: "Bỏ lọc",
    moreResults: "Xem thêm kết quả",
    readLabel: "Văn bản",
    outlineTitle: "Mục lục",
    conflictDocLabel: "Văn bản cần kiểm tra",
    conflictCounterLabel: "Đối chiếu với",
    autoCounterpart: "Văn bản được dẫn chiếu (tự động)",
    includeConsistent: "Hiện cả các điều khoản thống nhất",
    compareButton: "Đối chiếu",
    coverageButton: "Ma trận thực hiện",
    roles: (a, b) => `Văn bản được kiểm tra (A): ${a}; văn bản gốc (B): ${b}.`,
    noCounterpart: "Không có điều khoản tương ứng",
    coverageTitle: (b) => `Ma trận thực hiện: từng điều khoản của ${b}`,
    coverageTotals: (name, totals) => `${name}: ${totals.implemented || 0} đã thực hiện, ${totals.changed || 0} thay đổi, ${totals.omitted || 0} bị bỏ`,
    coverageNone: "Không có văn bản nào thực hiện hoặc dẫn chiếu văn bản này.",
    referenceCol: "Điều khoản của văn bản gốc",
    closest: "Gần nhất: ",
    statuses: { implemented: "Đã thực hiện", changed: "Thay đổi", omitted: "Bị bỏ" },
    implementsHint: (a, b) => `Đã chọn sẵn: ${a} — văn bản này thực hiện ${b}.`,
    contextTitle: "Ngữ cảnh điều khoản",
    close: "Đóng",
    footer: "Văn bản hiển thị đã nối các dòng bị ngắt và khôi phục ký tự lỗi của bản PDF; trích dẫn theo văn bản gốc. Hãy đối chiếu với văn bản gốc trước khi sử dụng.",
    indexInfo: (d, c) => `${d} văn bản · ${c.toLocaleString("vi-VN")} điều khoản`,
    searching: "Đang tìm…",
    found: (from, to, docs, ms) => `Kết quả ${from}–${to}, trong ${docs} văn bản (${ms} ms)`,
    noResults: "Không tìm thấy điều khoản phù hợp. Hãy thử từ khoá khác hoặc chế độ “Kết hợp”.",
    emptyQuery: "Hãy nhập nội dung cần tìm.",
    error: "Lỗi",
    copy: "Sao chép trích dẫn",
    copied: "Đã sao chép trích dẫn: ",
    copyFailed: "Không sao chép được; hãy chọn và sao chép thủ công: ",
    showContext: "Xem ngữ cảnh",
    openContext: "Xem điều khoản trong ngữ cảnh",
    readInDocument: "Đọc trong văn bản",
    matches: (n) => `${n} đoạn khớp`,
    page: (a, b) => (a === b ? `trang ${a}` : `trang ${a}–${b}`),
    why: "Vì sao khớp?",
    whyTitle: "Điều khoản này được trả về vì:",
    reasons: {
      phrase: (r) => `Chứa đúng cụm từ tìm kiếm${r.count > 1 ? ` (${r.count} lần)` : ""}`,
      words: (r) => `Chứa các từ khoá tìm kiếm${r.rank ? ` — xếp thứ ${r.rank} theo từ khoá` : ""}`,
      meaning: (r) => `Gần về ý nghĩa với câu tìm kiếm${r.rank ? ` — xếp thứ ${r.rank} theo ý nghĩa` : ""}`,
      translated: (r) => `Khớp với bản dịch của câu tìm kiếm${r.rank ? ` — xếp thứ ${r.rank}` : ""}`,
      other: (r) => `Tín hiệu “${r.signal}”${r.rank ? ` — xếp thứ ${r.rank}` : ""}`,
    },
    fields: {
      stt: "STT",
      noi_dung: "Nội dung",
      co_quan_chu_tri: "Cơ quan chủ trì",
      co_quan_phoi_hop: "Cơ quan phối hợp",
      thoi_gian: "Thời gian thực hiện",
    },
    parent: "Thuộc",
    siblings: "Các điều khoản cùng cấp",
    children: "Nội dung bên trong",
    thisClause: "điều khoản đang xem",
    lines: (a, b) => `dòng ${a}–${b}`,
    line: (a) => `dòng ${a}`,
    loading: "Đang tải…",
    permalink: (c) => `Liên kết tới ${c}`,
    docPages: (n) => `${n} trang`,
    comparing: "Đang đối chiếu…",
    noConflicts: "Không phát hiện mâu thuẫn giữa hai văn bản.",
    consistentOnly: (n) => ` ${n} cặp điều khoản được đối chiếu đều thống nhất.`,
    conflictsFound: (n) => `${n} phát hiện`,
    kindCol: "Loại",
    sourceCol: "Văn bản được kiểm tra (A)",
    targetCol: "Văn bản gốc (B)",
    diffCol: "Khác biệt",
    confidenceCol: "Độ tin cậy",
    kinds: {
      value_changed: "Giá trị thay đổi",
      comparator_changed: "Ngưỡng so sánh thay đổi",
      deadline_changed: "Thời hạn thay đổi",
      modality_changed: "Mức độ bắt buộc thay đổi",
      obligation_dropped: "Nghĩa vụ bị bỏ",
      obligation_added: "Nghĩa vụ được thêm",
      agency_changed: "Cơ quan thực hiện thay đổi",
      consistent: "Thống nhất",
    },
    untitled: "Văn bản không tên",
  },
  en: {
    skip: "Skip to the search box",
    tagline: "Search legal texts article by article, clause by clause",
    sections: "Sections",
    tabSearch: "Search",
    tabDocument: "Read a document",
    tabConflicts: "Compare documents",
    apiDocs: "API",
    queryLabel: "Search for",
    queryPlaceholder: "Type keywords, or an exact \"phrase in quotes\"…",
    clearQuery: "Clear the search box",
    searchButton: "Search",
    modeLabel: "Mode",
    modeHybrid: "Hybrid",
    modeBm25: "Keywords",
    modeDense: "Meaning",
    modePhrase: "Exact phrase",
    docLabel: "Document",
    allDocs: "All documents",
    typeLabel: "Document type",
    allTypes: "All types",
    issuerLabel: "Issued by",
    allIssuers: "All issuers",
    yearLabel: "Year",
    allYears: "Any year",
    langLabel: "Language",
    allLangs: "All",
    langVi: "Vietnamese",
    langEn: "English",
    kLabel: "Per page",
    facetsTitle: "Narrow by",
    facetUnitClauses: (n) => `Matching clauses (among the first ${n} results)`,
    facetUnitDocuments: "Documents in the collection",
    facetNames: { doc_type: "Document type", issuer: "Issued by", year: "Year" },
    facetFilter: (name, value, n) => `${name}: ${value}, ${n}`,
    facetClear: "Clear",
    moreResults: "More results",
    readLabel: "Document",
    outlineTitle: "Outline",
    conflictDocLabel: "Document to check",
    conflictCounterLabel: "Compare with",
    autoCounterpart: "Documents it cites (automatic)",
    includeConsistent: "Also show clauses that agree",
    compareButton: "Compare",
    coverageButton: "Implementation matrix",
    roles: (a, b) => `Under review (A): ${a}; reference (B): ${b}.`,
    noCounterpart: "No corresponding clause",
    coverageTitle: (b) => `Implementation matrix: every clause of ${b}`,
    coverageTotals: (name, totals) => `${name}: ${totals.implemented || 0} implemented, ${totals.changed || 0} changed, ${totals.omitted || 0} omitted`,
    coverageNone: "No document implements or cites this one.",
    referenceCol: "Clause of the reference",
    closest: "Closest: ",
    statuses: { implemented: "Implemented", changed: "Changed", omitted: "Omitted" },
    implementsHint: (a, b) => `Pre-selected: ${a}, which implements ${b}.`,
    contextTitle: "Clause in context",
    close: "Close",
    footer: "The text shown joins the lines a PDF broke and restores the letters it lost; citations follow the original. Check the original document before relying on it.",
    indexInfo: (d, c) => `${d} documents · ${c.toLocaleString("en-US")} clauses`,
    searching: "Searching…",
    found: (from, to, docs, ms) => `Results ${from}–${to}, in ${docs} documents (${ms} ms)`,
    noResults: "No matching clause. Try other words or the “Hybrid” mode.",
    emptyQuery: "Type something to search for.",
    error: "Error",
    copy: "Copy citation",
    copied: "Citation copied: ",
    copyFailed: "Could not copy; select and copy it by hand: ",
    showContext: "Show in context",
    openContext: "Open this clause in context",
    readInDocument: "Read in the document",
    matches: (n) => `${n} matches`,
    page: (a, b) => (a === b ? `page ${a}` : `pages ${a}–${b}`),
    why: "Why this result?",
    whyTitle: "This clause was returned because:",
    reasons: {
      phrase: (r) => `It contains the exact phrase${r.count > 1 ? ` (${r.count} times)` : ""}`,
      words: (r) => `It contains the search words${r.rank ? ` — ranked ${r.rank} by keywords` : ""}`,
      meaning: (r) => `It is close in meaning to the query${r.rank ? ` — ranked ${r.rank} by meaning` : ""}`,
      translated: (r) => `It matches a translation of the query${r.rank ? ` — ranked ${r.rank}` : ""}`,
      other: (r) => `Signal “${r.signal}”${r.rank ? ` — ranked ${r.rank}` : ""}`,
    },
    fields: {
      stt: "No.",
      noi_dung: "Task",
      co_quan_chu_tri: "Lead agency",
      co_quan_phoi_hop: "Partners",
      thoi_gian: "Time frame",
    },
    parent: "Part of",
    siblings: "Clauses at the same level",
    children: "Contents",
    thisClause: "current clause",
    lines: (a, b) => `lines ${a}–${b}`,
    line: (a) => `line ${a}`,
    loading: "Loading…",
    permalink: (c) => `Link to ${c}`,
    docPages: (n) => `${n} pages`,
    comparing: "Comparing…",
    noConflicts: "No conflict found between the two documents.",
    consistentOnly: (n) => (n === 1 ? " The one aligned pair of clauses agrees." : ` ${n} aligned pairs of clauses agree.`),
    conflictsFound: (n) => (n === 1 ? "1 finding" : `${n} findings`),
    kindCol: "Kind",
    sourceCol: "Under review (A)",
    targetCol: "Reference (B)",
    diffCol: "Difference",
    confidenceCol: "Confidence",
    kinds: {
      value_changed: "Value changed",
      comparator_changed: "Threshold changed",
      deadline_changed: "Deadline changed",
      modality_changed: "Obligation strength changed",
      obligation_dropped: "Obligation dropped",
      obligation_added: "Obligation added",
      agency_changed: "Responsible body changed",
      consistent: "Consistent",
    },
    untitled: "Untitled document",
  },
};

const FIELD_ORDER = ["stt", "noi_dung", "co_quan_chu_tri", "co_quan_phoi_hop", "thoi_gian"];
const FACETS = [
  ["doc_type", "#filter-type"],
  ["issuer", "#filter-issuer"],
  ["year", "#filter-year"],
];
const TABS = ["search", "document", "conflicts"];

const state = {
  lang: localStorage.getItem("lexvn.lang") === "en" ? "en" : "vi",
  documents: [],
  search: null, // {request, hits, hasMore, tookMs}
  facets: null,
  docView: null, // the /documents/{id}/clauses body on screen
  docCache: new Map(),
  lastCopied: "",
  returnFocus: null,
  ready: null,
};

const $ = (selector) => document.querySelector(selector);
const t = (key, ...args) => {
  const value = LABELS[state.lang][key];
  return typeof value === "function" ? value(...args) : value;
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, ...options });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
    throw new Error(message);
  }
  return body;
}

// ---------------------------------------------------------------------------------------------- labels

function applyLabels() {
  document.documentElement.lang = state.lang;
  document.title = state.lang === "vi" ? "lexvn — Tra cứu văn bản pháp luật" : "lexvn — Legal text search";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-i18n-aria]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAria));
  }
  const toggle = $("#lang-toggle");
  toggle.textContent = state.lang === "vi" ? "EN" : "VI";
  toggle.setAttribute("aria-pressed", String(state.lang === "en"));
  toggle.setAttribute("aria-label", state.lang === "vi" ? "Switch to English" : "Chuyển sang tiếng Việt");
  renderIndexInfo();
  renderFacets();
  if (state.search) renderResults();
  if (state.docView) renderDocument(state.docView);
  renderConflictHint();
}

function toggleLanguage() {
  state.lang = state.lang === "vi" ? "en" : "vi";
  localStorage.setItem("lexvn.lang", state.lang);
  applyLabels();
}

// ---------------------------------------------------------------------------------------------- documents

function documentName(meta, fallback) {
  const head = [meta.doc_type, meta.number].filter(Boolean).join(" ");
  if (head && meta.title) return `${head} — ${meta.title}`;
  return head || meta.title || fallback || t("untitled");
}

function shortName(d) {
  const name = documentName(d.meta, d.doc_id);
  return name.length > 90 ? `${name.slice(0, 88)}…` : name;
}

function documentLine(meta) {
  return [meta.issuer, meta.date, meta.language === "en" ? "EN" : "VI"].filter(Boolean).join(" · ");
}

function documentById(docId) {
  return state.documents.find((d) => d.doc_id === docId);
}

function renderIndexInfo() {
  const info = $("#index-info");
  if (!state.documents.length) return;
  const clauses = state.documents.reduce((sum, d) => sum + d.clause_count, 0);
  info.textContent = t("indexInfo", state.documents.length, clauses);
}

function fillSelect(select, values) {
  for (const [value, text] of values) select.append(el("option", { value, text }));
}

async function loadDocuments() {
  const body = await api("/documents");
  state.documents = body.documents;
  for (const select of [$("#filter-doc"), $("#conflict-doc"), $("#conflict-against"), $("#doc-select")]) {
    fillSelect(select, state.documents.map((d) => [d.doc_id, shortName(d)]));
  }
  const distinct = (values) => [...new Set(values.filter(Boolean))];
  fillSelect($("#filter-type"), distinct(state.documents.map((d) => d.meta.doc_type)).sort().map((v) => [v, v]));
  fillSelect($("#filter-issuer"), distinct(state.documents.map((d) => d.meta.issuer)).sort().map((v) => [v, v]));
  const years = distinct(state.documents.map((d) => (d.meta.date || "").slice(0, 4)).filter((y) => /^\d{4}$/.test(y)));
  fillSelect($("#filter-year"), years.sort().reverse().map((v) => [v, v]));
  for (const [, selector] of FACETS) {
    for (const option of $(selector).options) option.dataset.label = option.textContent;
  }
  preselectComparison();
  renderIndexInfo();
}

// ---------------------------------------------------------------------------------------------- text

function mergedSpans(highlights, length) {
  const spans = [...(highlights || [])]
    .map(([start, end]) => [Math.max(0, start), Math.min(length, end)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  return merged;
}

function highlighted(text, highlights) {
  // Offsets are Unicode code points (Python string indices); Array.from splits by code point.
  const chars = Array.from(text);
  const parts = [];
  let at = 0;
  for (const [start, end] of mergedSpans(highlights, chars.length)) {
    if (start > at) parts.push(chars.slice(at, start).join(""));
    parts.push(el("mark", { text: chars.slice(start, end).join("") }));
    at = end;
  }
  if (at < chars.length) parts.push(chars.slice(at).join(""));
  return parts;
}

function fieldNames(fields) {
  const names = FIELD_ORDER.filter((name) => fields[name]);
  return names.concat(Object.keys(fields).filter((name) => !FIELD_ORDER.includes(name)));
}

function fieldLabel(name) {
  return LABELS[state.lang].fields[name] || name;
}

function rowCells(fields, names, highlights = {}) {
  return names.map((name) =>
    el("td", { class: `col-${name}`, "data-label": fieldLabel(name) }, highlighted(fields[name] || "", highlights[name] || [])),
  );
}

function rowTable(rows, names) {
  // rows: [{fields, highlights, id, citation}]; an appendix row is read as the table row it was.
  return el(
    "table",
    { class: "row-table" },
    el("thead", {}, el("tr", {}, names.map((name) => el("th", { scope: "col", class: `col-${name}`, text: fieldLabel(name) })))),
    el(
      "tbody",
      {},
      rows.map((row) =>
        el("tr", { id: row.id || null, tabindex: row.id ? "-1" : null, title: row.citation || null }, rowCells(row.fields, names, row.highlights)),
      ),
    ),
  );
}

function citationOf(item) {
  return state.lang === "en" && item.citation_en ? item.citation_en : item.citation;
}

function documentUrl(docId, clauseId) {
  return `/?doc=${encodeURIComponent(docId)}${clauseId ? `#${clauseId}` : ""}`;
}

// ---------------------------------------------------------------------------------------------- search

function reasonText(reason) {
  const reasons = LABELS[state.lang].reasons;
  return (reasons[reason.signal] || reasons.other)(reason);
}

function whyBlock(hit) {
  const listId = `why-${hit.rank}`;
  const list = el(
    "div",
    { class: "why", id: listId, hidden: true },
    el("p", { class: "why-title", text: t("whyTitle") }),
    el("ul", {}, hit.match.map((reason) => el("li", { class: `reason reason-${reason.signal}`, text: reasonText(reason) }))),
  );
  const toggle = el("button", {
    type: "button",
    class: "link why-toggle",
    "aria-expanded": "false",
    "aria-controls": listId,
    text: t("why"),
    onclick: (event) => {
      const open = list.hidden;
      list.hidden = !open;
      event.currentTarget.setAttribute("aria-expanded", String(open));
    },
  });
  return [toggle, list];
}

function hitBody(hit) {
  const lang = hit.document.language || "vi";
  const names = hit.fields ? fieldNames(hit.fields) : [];
  if (names.length > 1) {
    return el("div", { class: "hit-table", lang }, rowTable([{ fields: hit.fields, highlights: hit.field_highlights }], names));
  }
  const display = hit.display || { text: hit.text, highlights: hit.highlights };
  return el("p", { class: "hit-text", lang }, highlighted(display.text, display.highlights));
}

function renderHit(hit) {
  const citation = citationOf(hit);
  const [whyToggle, whyList] = hit.match && hit.match.length ? whyBlock(hit) : [null, null];
  return el(
    "li",
    { class: "hit", "data-clause-id": hit.clause_id, "data-doc-id": hit.doc_id, "data-rank": hit.rank, tabindex: "-1" },
    el(
      "div",
      { class: "hit-head" },
      el("span", { class: "rank", "aria-hidden": "true", text: hit.rank }),
      el("cite", { class: "citation", text: citation }),
      hit.highlights.length ? el("span", { class: "badge", text: t("matches", hit.highlights.length) }) : null,
      whyToggle,
    ),
    whyList,
    hit.headings.length ? el("p", { class: "headings", text: hit.headings.join(" › ") }) : null,
    hitBody(hit),
    el(
      "div",
      { class: "hit-actions" },
      el("button", { type: "button", class: "copy", onclick: () => copyCitation(citation), text: t("copy") }),
      el("button", {
        type: "button",
        class: "ghost context-button",
        "aria-label": `${t("openContext")}: ${citation}`,
        onclick: (event) => openContext(hit.clause_id, event.currentTarget, hit.display),
        text: t("showContext"),
      }),
      el("a", {
        class: "ghost read-link",
        href: documentUrl(hit.doc_id, hit.clause_id),
        onclick: (event) => followLink(event, documentUrl(hit.doc_id, hit.clause_id)),
        text: t("readInDocument"),
      }),
    ),
  );
}

function groupHits(hits) {
  const groups = new Map();
  for (const hit of hits) {
    if (!groups.has(hit.doc_id)) groups.set(hit.doc_id, { doc_id: hit.doc_id, source: hit.source, document: hit.document, hits: [] });
    groups.get(hit.doc_id).hits.push(hit);
  }
  return [...groups.values()];
}

function renderResults() {
  const results = $("#results");
  results.replaceChildren();
  const { hits, hasMore, tookMs } = state.search;
  $("#more").hidden = !hasMore;
  if (!hits.length) {
    $("#search-status").textContent = t("noResults");
    return;
  }
  const groups = groupHits(hits);
  $("#search-status").textContent = t("found", 1, hits.length, groups.length, Math.round(tookMs));
  for (const group of groups) {
    const headingId = `group-${group.doc_id}`;
    results.append(
      el(
        "section",
        { class: "group", "aria-labelledby": headingId },
        el(
          "header",
          { class: "group-head" },
          el("h2", { id: headingId }, el("a", {
            href: documentUrl(group.doc_id),
            onclick: (event) => followLink(event, documentUrl(group.doc_id)),
            text: documentName(group.document, group.source),
          })),
          el("p", { class: "doc-line", text: `${documentLine(group.document)} · ${group.source}` }),
        ),
        el("ol", { class: "hits" }, group.hits.map(renderHit)),
      ),
    );
  }
}

function currentFilters() {
  const filters = {};
  if ($("#filter-doc").value) filters.doc_ids = [$("#filter-doc").value];
  if ($("#filter-type").value) filters.doc_type = $("#filter-type").value;
  if ($("#filter-issuer").value) filters.issuer = $("#filter-issuer").value;
  if ($("#filter-year").value) {
    filters.year_from = Number($("#filter-year").value);
    filters.year_to = Number($("#filter-year").value);
  }
  if ($("#filter-lang").value) filters.language = $("#filter-lang").value;
  return filters;
}

async function fetchPage(request) {
  return api("/search", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(request),
  });
}

async function runSearch(event, push = true) {
  if (event) event.preventDefault();
  const query = $("#q").value.trim();
  if (!query) {
    $("#search-status").textContent = t("emptyQuery");
    $("#q").focus();
    return;
  }
  const filters = currentFilters();
  const k = Math.min(100, Math.max(1, parseInt($("#k").value, 10) || 10));
  const request = { query, k, offset: 0, mode: $("#mode").value, filters: Object.keys(filters).length ? filters : null };
  $("#search-status").textContent = t("searching");
  $("#results").setAttribute("aria-busy", "true");
  try {
    const body = await fetchPage(request);
    state.search = { request, hits: body.results, hasMore: body.has_more, tookMs: body.took_ms };
    renderResults();
    const url = `/?${new URLSearchParams({ q: query, mode: request.mode })}`;
    if (push && location.pathname + location.search !== url) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    loadFacets(request);
  } catch (error) {
    $("#search-status").textContent = `${t("error")}: ${error.message}`;
  } finally {
    $("#results").removeAttribute("aria-busy");
  }
}

async function loadMore() {
  if (!state.search || !state.search.hasMore) return;
  const request = { ...state.search.request, offset: state.search.hits.length };
  const button = $("#more");
  button.disabled = true;
  try {
    const body = await fetchPage(request);
    const firstNew = body.results[0];
    state.search.hits = state.search.hits.concat(body.results);
    state.search.hasMore = body.has_more;
    state.search.tookMs = body.took_ms;
    renderResults();
    // Keyboard and screen-reader users land on the first new result, not back at the top.
    if (firstNew) {
      const node = document.querySelector(`.hit[data-rank="${firstNew.rank}"]`);
      if (node) node.focus();
    }
  } catch (error) {
    $("#search-status").textContent = `${t("error")}: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------- facets

async function loadFacets(request) {
  const sequence = (state.facetsSequence = (state.facetsSequence || 0) + 1);
  const params = new URLSearchParams();
  if (request && request.query) {
    params.set("query", request.query);
    params.set("mode", request.mode);
  }
  const filters = (request && request.filters) || currentFilters();
  for (const [name, value] of Object.entries(filters)) {
    if (name === "doc_ids") for (const doc of value) params.append("doc", doc);
    else params.set(name, value);
  }
  let facets = null;
  try {
    facets = await api(`/facets?${params}`);
  } catch (error) {
    facets = null;
  }
  if (sequence !== state.facetsSequence) return; // a later search asked for newer counts
  state.facets = facets;
  renderFacets();
}

function selectedFacet(name) {
  const selector = FACETS.find(([facet]) => facet === name)[1];
  return $(selector).value;
}

function applyFacet(name, value) {
  const selector = FACETS.find(([facet]) => facet === name)[1];
  $(selector).value = value;
  if ($("#q").value.trim()) runSearch(null);
  else loadFacets(null);
}

function renderFacets() {
  const lists = $("#facet-lists");
  lists.replaceChildren();
  const facets = state.facets;
  if (!facets) return;
  $("#facets-unit").textContent = facets.unit === "clauses" ? t("facetUnitClauses", facets.depth) : t("facetUnitDocuments");
  const names = LABELS[state.lang].facetNames;
  for (const [name, selector] of FACETS) {
    const counts = new Map(facets[name].map((entry) => [entry.value, entry.count]));
    // The counts also go beside the options of the filter's own list.
    for (const option of $(selector).options) {
      if (!option.value) continue;
      const base = option.dataset.label || option.value;
      option.textContent = `${base} (${counts.get(option.value) || 0})`;
    }
    if (!facets[name].length) continue;
    const active = selectedFacet(name);
    const items = facets[name].map((entry) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            class: "facet",
            "aria-pressed": String(active === entry.value),
            "data-facet": name,
            "data-value": entry.value,
            "aria-label": t("facetFilter", names[name], entry.value, entry.count),
            onclick: () => applyFacet(name, active === entry.value ? "" : entry.value),
          },
          el("span", { class: "facet-value", text: entry.value }),
          el("span", { class: "count", text: entry.count }),
        ),
      ),
    );
    lists.append(
      el(
        "section",
        { class: "facet-group", "data-facet": name },
        el("h3", { text: names[name] }),
        el("ul", {}, items),
        active ? el("button", { type: "button", class: "link", onclick: () => applyFacet(name, ""), text: t("facetClear") }) : null,
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------- copy

function copyWithTextarea(text) {
  // Fallback for pages without the async clipboard (plain http on another host, older browsers).
  const area = el("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch (error) {
    ok = false;
  }
  area.remove();
  return ok;
}

async function copyCitation(text) {
  let ok = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (error) {
      ok = false;
    }
  }
  if (!ok) ok = copyWithTextarea(text);
  state.lastCopied = ok ? text : "";
  document.body.dataset.lastCopied = state.lastCopied;
  showToast(ok ? t("copied") + text : t("copyFailed") + text);
}

function showToast(message) {
  let toast = $("#toast");
  if (!toast) {
    toast = el("div", { id: "toast", class: "toast", role: "status", "aria-live": "polite" });
    document.body.append(toast);
  }
  toast.textContent = message;
  toast.classList.add("visible");
  clearTimeout(showToast.timer);
  showToast.timer = setTimeout(() => toast.classList.remove("visible"), 4000);
}

// ---------------------------------------------------------------------------------------------- context

function briefText(brief) {
  const text = brief.display_text || brief.text;
  return text.length > 360 ? `${text.slice(0, 358)}…` : text;
}

function briefItem(brief, current, display) {
  const body = current && display
    ? el("span", { class: "brief-text full" }, highlighted(display.text, display.highlights))
    : el("span", { class: "brief-text", text: briefText(brief) });
  const item = el("li", { class: current ? "brief current" : "brief" }, el("span", { class: "brief-cite", text: brief.citation }), body);
  if (current) {
    item.setAttribute("aria-current", "true");
    item.prepend(el("span", { class: "visually-hidden", text: `${t("thisClause")}: ` }));
  } else {
    item.append(
      el("button", {
        type: "button",
        class: "link",
        onclick: () => openContext(brief.clause_id, state.returnFocus),
        "aria-label": `${t("openContext")}: ${brief.citation}`,
        text: t("showContext"),
      }),
    );
  }
  return item;
}

async function openContext(clauseId, opener, display) {
  state.returnFocus = opener || document.activeElement;
  const panel = $("#context");
  const body = $("#context-body");
  body.replaceChildren(el("p", { class: "status", text: t("loading") }));
  panel.hidden = false;
  document.body.classList.add("with-context");
  try {
    const clause = await api(`/clauses/${encodeURI(clauseId)}`);
    // The search hit's highlights when we came from one; the clause's own reading text otherwise.
    const shown = display || clause.display;
    const siblings = el("ol", { class: "briefs" }, clause.siblings.map((s, i) => briefItem(s, i === clause.position, i === clause.position ? shown : null)));
    const citation = citationOf(clause);
    const lines = clause.lines[0] === clause.lines[1] ? t("line", clause.lines[0]) : t("lines", clause.lines[0], clause.lines[1]);
    const pages = clause.pages ? ` · ${t("page", clause.pages[0], clause.pages[1])}` : "";
    const parts = [
      el("p", { class: "doc-line", text: documentName(clause.document, clause.source) }),
      el("cite", { class: "citation big", text: citation }),
      el("p", { class: "meta", text: `${clause.source} · ${lines}${pages}` }),
      el(
        "div",
        { class: "hit-actions" },
        el("button", { type: "button", class: "copy", onclick: () => copyCitation(citation), text: t("copy") }),
        el("a", {
          class: "ghost read-link",
          href: documentUrl(clause.doc_id, clause.clause_id),
          onclick: (event) => { closeContext(); followLink(event, documentUrl(clause.doc_id, clause.clause_id)); },
          text: t("readInDocument"),
        }),
      ),
      clause.parent
        ? el("div", { class: "parent" }, el("h3", { text: t("parent") }), el("ol", { class: "briefs" }, briefItem(clause.parent, false)))
        : null,
      el("h3", { text: t("siblings") }),
      siblings,
      clause.children.length
        ? el("div", {}, el("h3", { text: t("children") }), el("ol", { class: "briefs" }, clause.children.map((c) => briefItem(c, false))))
        : null,
    ];
    body.replaceChildren(...parts.filter(Boolean));
    const current = siblings.querySelector(".current");
    if (current) current.scrollIntoView({ block: "nearest" });
  } catch (error) {
    body.replaceChildren(el("p", { class: "status error", text: `${t("error")}: ${error.message}` }));
  }
  panel.focus();
}

function closeContext() {
  $("#context").hidden = true;
  document.body.classList.remove("with-context");
  if (state.returnFocus && document.contains(state.returnFocus)) state.returnFocus.focus();
}

// ---------------------------------------------------------------------------------------------- document view

function outlineText(clause) {
  const text = clause.display_text.split("\n")[0];
  return text.length > 72 ? `${text.slice(0, 70)}…` : text;
}

function clauseBlock(clause, base) {
  const level = Math.min(6, Math.max(0, clause.depth - base));
  const heading = clause.outline && (clause.title || clause.display_text.length < 160);
  const permalink = el("a", {
    class: "permalink",
    href: `#${clause.clause_id}`,
    "aria-label": t("permalink", citationOf(clause)),
    text: "§",
  });
  const text = heading
    ? el("p", { class: "clause-heading" }, clause.display_text)
    : el("p", { class: "clause-text" }, clause.display_text);
  return el(
    "div",
    { class: `clause kind-${clause.kind} level-${level}`, id: clause.clause_id, tabindex: "-1", "data-clause-id": clause.clause_id },
    permalink,
    text,
  );
}

function renderDocument(body) {
  const summary = documentById(body.doc_id);
  const lang = body.meta.language || "vi";
  $("#doc-title").textContent = documentName(body.meta, body.source);
  const pages = body.pages ? ` · ${t("docPages", body.pages)}` : "";
  $("#doc-meta").textContent = `${documentLine(body.meta)} · ${body.source}${pages}`;
  const outlined = body.clauses.filter((c) => c.outline);
  const base = body.clauses.length ? Math.min(...body.clauses.map((c) => c.depth)) : 1;
  const outlineBase = outlined.length ? Math.min(...outlined.map((c) => c.depth)) : 1;
  $("#outline-list").replaceChildren(
    ...outlined.map((clause) =>
      el(
        "li",
        { class: `outline-item level-${Math.min(4, clause.depth - outlineBase)}` },
        el("a", { href: `#${clause.clause_id}`, "data-clause-id": clause.clause_id, lang, text: outlineText(clause) }),
      ),
    ),
  );
  const blocks = [];
  let rows = [];
  const flushRows = () => {
    if (!rows.length) return;
    const names = fieldNames(Object.assign({}, ...rows.map((r) => r.fields)));
    blocks.push(
      el(
        "div",
        { class: `clause-table level-${Math.min(6, rows[0].depth - base)}` },
        rowTable(rows.map((r) => ({ fields: r.fields, id: r.clause_id, citation: citationOf(r) })), names),
      ),
    );
    rows = [];
  };
  for (const clause of body.clauses) {
    if (clause.kind === "row" && Object.keys(clause.fields).length > 1) {
      rows.push(clause);
      continue;
    }
    flushRows();
    blocks.push(clauseBlock(clause, base));
  }
  flushRows();
  const docBody = $("#doc-body");
  docBody.lang = lang;
  docBody.replaceChildren(...blocks);
  $("#doc-select").value = body.doc_id;
  if (summary) $("#doc-select").title = documentName(summary.meta, summary.doc_id);
  focusClauseFromHash(false);
}

async function showDocument(docId) {
  selectTab("document", false);
  if (state.docView && state.docView.doc_id === docId) {
    focusClauseFromHash(true);
    return;
  }
  $("#doc-status").textContent = t("loading");
  try {
    let body = state.docCache.get(docId);
    if (!body) {
      body = await api(`/documents/${encodeURIComponent(docId)}/clauses`);
      state.docCache.set(docId, body);
    }
    state.docView = body;
    $("#doc-status").textContent = "";
    renderDocument(body);
    focusClauseFromHash(true);
  } catch (error) {
    $("#doc-status").textContent = `${t("error")}: ${error.message}`;
  }
}

function clauseFromHash() {
  const id = decodeURIComponent(location.hash.slice(1));
  return id && state.docView ? state.docView.clauses.find((c) => c.clause_id === id) : null;
}

function focusClauseFromHash(move) {
  for (const node of document.querySelectorAll("#doc-body .current, #outline-list .current")) node.classList.remove("current");
  const clause = clauseFromHash();
  const bar = $("#doc-current");
  if (!clause) {
    bar.hidden = true;
    return;
  }
  const node = document.getElementById(clause.clause_id);
  const link = document.querySelector(`#outline-list a[data-clause-id="${CSS.escape(clause.clause_id)}"]`);
  if (link) link.classList.add("current");
  const citation = citationOf(clause);
  bar.replaceChildren(
    el("cite", { class: "citation", text: citation }),
    el("button", { type: "button", class: "copy", onclick: () => copyCitation(citation), text: t("copy") }),
  );
  bar.hidden = false;
  if (node) {
    node.classList.add("current");
    if (move) {
      node.scrollIntoView({ block: "start" });
      node.focus({ preventScroll: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------- conflicts

function preselectComparison() {
  // The first document that implements another one, checked against that one: the pair a reader comes
  // for, instead of two documents that happen to be listed first.
  const candidates = state.documents.filter((d) => d.implements && d.implements.length);
  const sameLanguage = candidates.find((d) => {
    const target = documentById(d.implements[0]);
    return target && target.meta.language === d.meta.language;
  });
  const chosen = sameLanguage || candidates[0];
  if (!chosen) return;
  $("#conflict-doc").value = chosen.doc_id;
  $("#conflict-against").value = chosen.implements[0];
  state.preselected = [chosen.doc_id, chosen.implements[0]];
  renderConflictHint();
}

function renderConflictHint() {
  const hint = $("#conflicts-hint");
  const pair = state.preselected;
  if (!pair || $("#conflict-doc").value !== pair[0] || $("#conflict-against").value !== pair[1]) {
    hint.textContent = "";
    return;
  }
  hint.textContent = t("implementsHint", shortName(documentById(pair[0])), shortName(documentById(pair[1])));
}

function clauseCell(ref) {
  // A finding on a clause with no counterpart (an obligation dropped or added outright) has one side only.
  if (!ref) return el("td", { class: "no-counterpart" }, el("em", { text: t("noCounterpart") }));
  return el("td", {}, el("cite", { class: "citation", text: ref.citation }), el("p", { class: "cell-text", text: ref.display_text || ref.text }));
}

function rolesLine(reviewed, references) {
  const name = (docId) => {
    const d = documentById(docId);
    if (!d) return docId;
    return d.meta.issuer ? `${documentName(d.meta, docId)} (${d.meta.issuer})` : documentName(d.meta, docId);
  };
  return references.length ? t("roles", name(reviewed), references.map(name).join(", ")) : "";
}

function comparedPair() {
  return { doc: $("#conflict-doc").value, against: $("#conflict-against").value };
}

async function runConflicts(event) {
  event.preventDefault();
  const pair = comparedPair();
  const params = new URLSearchParams({ doc: pair.doc, include_consistent: "true" });
  if (pair.against) params.set("against", pair.against);
  const showConsistent = $("#conflict-consistent").checked;
  const out = $("#conflicts");
  out.replaceChildren();
  $("#conflicts-status").textContent = t("comparing");
  try {
    const body = await api(`/conflicts?${params}`);
    const consistent = body.by_kind.consistent || 0;
    const findings = body.conflicts.filter((c) => showConsistent || c.kind !== "consistent");
    const problems = body.total - consistent;
    $("#conflicts-roles").textContent = rolesLine(body.reviewed, body.references);
    if (!problems && !findings.length) {
      $("#conflicts-status").textContent = t("noConflicts") + (consistent ? t("consistentOnly", consistent) : "");
      return;
    }
    const kinds = LABELS[state.lang].kinds;
    const summary = Object.entries(body.by_kind)
      .filter(([kind]) => showConsistent || kind !== "consistent")
      .map(([kind, n]) => `${kinds[kind] || kind}: ${n}`)
      .join(" · ");
    $("#conflicts-status").textContent = problems || showConsistent
      ? `${t("conflictsFound", findings.length)} — ${summary}`
      : t("noConflicts");
    const rows = findings.map((c) =>
      el(
        "tr",
        { class: `kind-${c.kind}` },
        el("td", {}, el("span", { class: `pill pill-${c.kind}`, text: kinds[c.kind] || c.kind })),
        clauseCell(c.source),
        clauseCell(c.target),
        el(
          "td",
          {},
          el("p", { class: "message", text: state.lang === "en" ? c.message_en : c.message_vi }),
          el("ul", { class: "diffs" }, c.differences.map((d) => el("li", { text: d }))),
        ),
        el("td", { class: "num", text: `${Math.round(c.confidence * 100)}%` }),
      ),
    );
    out.append(
      el(
        "table",
        { class: "conflict-table" },
        el(
          "thead",
          {},
          el("tr", {}, ["kindCol", "sourceCol", "targetCol", "diffCol", "confidenceCol"].map((key) => el("th", { scope: "col", text: t(key) }))),
        ),
        el("tbody", {}, rows),
      ),
    );
  } catch (error) {
    $("#conflicts-status").textContent = `${t("error")}: ${error.message}`;
  }
}

function coverageCell(row) {
  const statuses = LABELS[state.lang].statuses;
  const refs = row.counterparts.length ? row.counterparts : [];
  return el(
    "td",
    { class: `status-${row.status}` },
    el("span", { class: `pill pill-${row.status}`, text: statuses[row.status] || row.status }),
    el("ul", { class: "refs" }, refs.map((ref) => el("li", {}, el("cite", { class: "citation", text: ref.citation })))),
    row.changes.map((c) => el("p", { class: "message", text: state.lang === "en" ? c.message_en : c.message_vi })),
    row.status === "omitted" && row.nearest
      ? el("p", { class: "closest" }, t("closest"), el("cite", { class: "citation", text: row.nearest.citation }))
      : null,
  );
}

async function runCoverage() {
  // The reference's clauses × the documents under review. With no counterpart chosen, the document picked
  // is the reference and every document implementing or citing it is a column.
  const pair = comparedPair();
  const params = new URLSearchParams(pair.against ? { doc: pair.doc, against: pair.against } : { against: pair.doc });
  const out = $("#conflicts");
  out.replaceChildren();
  $("#conflicts-roles").textContent = "";
  $("#conflicts-status").textContent = t("comparing");
  try {
    const body = await api(`/coverage?${params}`);
    if (!body.matrices.length) {
      $("#conflicts-status").textContent = t("coverageNone");
      return;
    }
    const name = (docId) => shortName(documentById(docId) || { doc_id: docId, meta: {} });
    const reference = body.matrices[0].reference;
    $("#conflicts-status").textContent = body.matrices.map((m) => t("coverageTotals", name(m.reviewed), m.totals)).join(" · ");
    $("#conflicts-roles").textContent = rolesLine(body.matrices[0].reviewed, [reference]);
    const rows = body.matrices[0].rows.map((row, i) =>
      el("tr", {}, clauseCell(row.clause), body.matrices.map((m) => coverageCell(m.rows[i]))),
    );
    out.append(
      el("h3", { class: "coverage-title", text: t("coverageTitle", name(reference)) }),
      el(
        "table",
        { class: "conflict-table coverage-table" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("referenceCol") }), body.matrices.map((m) => el("th", { scope: "col", text: name(m.reviewed) })))),
        el("tbody", {}, rows),
      ),
    );
  } catch (error) {
    $("#conflicts-status").textContent = `${t("error")}: ${error.message}`;
  }
}

// ---------------------------------------------------------------------------------------------- tabs, routes

function selectTab(name, focus = true) {
  for (const tab of TABS) {
    const selected = tab === name;
    const button = $(`#tab-${tab}`);
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`#panel-${tab}`).hidden = !selected;
  }
  if (focus) ({ search: $("#q"), document: $("#doc-select"), conflicts: $("#conflict-doc") })[name].focus();
}

function openTab(name) {
  if (name === "document") {
    const docId = (state.docView && state.docView.doc_id) || $("#doc-select").value || (state.documents[0] || {}).doc_id;
    if (docId) navigate(documentUrl(docId));
    selectTab("document");
    return;
  }
  if (name === "search" && state.search) {
    const params = new URLSearchParams({ q: state.search.request.query, mode: state.search.request.mode });
    history.pushState(null, "", `/?${params}`);
  } else if (name === "search") {
    history.pushState(null, "", "/");
  }
  selectTab(name);
}

function followLink(event, url) {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(url);
}

function navigate(url) {
  history.pushState(null, "", url);
  route();
}

async function route() {
  await state.ready;
  const params = new URLSearchParams(location.search);
  if (params.get("doc")) {
    await showDocument(params.get("doc"));
    return;
  }
  selectTab("search", false);
  const query = params.get("q");
  if (query && (!state.search || state.search.request.query !== query || state.search.request.mode !== (params.get("mode") || "hybrid"))) {
    $("#q").value = query;
    $("#mode").value = params.get("mode") || "hybrid";
    updateClear();
    runSearch(null, false);
  }
}

function updateClear() {
  $("#q-clear").hidden = !$("#q").value;
}

function init() {
  applyLabels();
  $("#lang-toggle").addEventListener("click", toggleLanguage);
  $("#search-form").addEventListener("submit", runSearch);
  $("#conflicts-form").addEventListener("submit", runConflicts);
  $("#coverage-button").addEventListener("click", runCoverage);
  $("#more").addEventListener("click", loadMore);
  $("#q").addEventListener("input", updateClear);
  $("#q-clear").addEventListener("click", () => {
    $("#q").value = "";
    updateClear();
    $("#q").focus();
  });
  for (const [, selector] of FACETS) {
    $(selector).addEventListener("change", () => ($("#q").value.trim() ? runSearch(null) : loadFacets(null)));
  }
  $("#doc-select").addEventListener("change", () => navigate(documentUrl($("#doc-select").value)));
  for (const select of [$("#conflict-doc"), $("#conflict-against")]) select.addEventListener("change", renderConflictHint);
  for (const tab of TABS) $(`#tab-${tab}`).addEventListener("click", () => openTab(tab));
  $(".tabs").addEventListener("keydown", (event) => {
    // Arrow keys move between the tabs, as in the WAI-ARIA tabs pattern.
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const current = TABS.findIndex((tab) => $(`#tab-${tab}`).getAttribute("aria-selected") === "true");
    const next = TABS[(current + (event.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length];
    openTab(next);
    $(`#tab-${next}`).focus();
  });
  $("#context-close").addEventListener("click", closeContext);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("#context").hidden) closeContext();
  });
  window.addEventListener("popstate", route);
  window.addEventListener("hashchange", () => focusClauseFromHash(true));
  state.ready = loadDocuments().catch((error) => {
    $("#search-status").textContent = `${t("error")}: ${error.message}`;
  });
  state.ready.then(() => {
    if (!state.search && !new URLSearchParams(location.search).get("q")) loadFacets(null);
  });
  route();
  // ?clause=ID (the links the MCP tools and /answer return) opens that clause in context.
  const clauseParam = new URLSearchParams(location.search).get("clause");
  if (clauseParam) state.ready.then(() => openContext(clauseParam, $("#q")));
}

document.addEventListener("DOMContentLoaded", init);
