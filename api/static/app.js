// lexvn page: search, read a clause in context, copy its citation, compare two documents.
// Plain JS, no build step, no third-party code; all text goes through textContent (never innerHTML).
"use strict";

const LABELS = {
  vi: {
    skip: "Chuyển tới ô tìm kiếm",
    tagline: "Tra cứu văn bản pháp luật theo từng điều, khoản, điểm",
    sections: "Chức năng",
    tabSearch: "Tra cứu",
    tabConflicts: "Đối chiếu văn bản",
    apiDocs: "API",
    queryLabel: "Nội dung tìm kiếm",
    queryPlaceholder: "Nhập từ khoá, hoặc cụm từ chính xác trong ngoặc kép…",
    searchButton: "Tìm kiếm",
    modeLabel: "Chế độ",
    modeHybrid: "Kết hợp (từ khoá + ngữ nghĩa)",
    modeBm25: "Từ khoá (BM25)",
    modeDense: "Ngữ nghĩa",
    modePhrase: "Cụm từ chính xác",
    docLabel: "Văn bản",
    allDocs: "Tất cả văn bản",
    typeLabel: "Loại văn bản",
    allTypes: "Tất cả loại",
    langLabel: "Ngôn ngữ",
    allLangs: "Tất cả",
    langVi: "Tiếng Việt",
    langEn: "Tiếng Anh",
    kLabel: "Số kết quả",
    conflictDocLabel: "Văn bản cần kiểm tra",
    conflictCounterLabel: "Đối chiếu với",
    autoCounterpart: "Văn bản được dẫn chiếu (tự động)",
    includeConsistent: "Hiện cả các điều khoản thống nhất",
    compareButton: "Đối chiếu",
    contextTitle: "Ngữ cảnh điều khoản",
    close: "Đóng",
    footer: "Kết quả là trích dẫn nguyên văn; hãy đối chiếu với văn bản gốc trước khi sử dụng.",
    indexInfo: (d, c) => `${d} văn bản · ${c.toLocaleString("vi-VN")} điều khoản`,
    searching: "Đang tìm…",
    found: (n, docs, ms) => `${n} điều khoản trong ${docs} văn bản (${ms} ms)`,
    noResults: "Không tìm thấy điều khoản phù hợp. Hãy thử từ khoá khác hoặc chế độ “Kết hợp”.",
    emptyQuery: "Hãy nhập nội dung cần tìm.",
    error: "Lỗi",
    copy: "Sao chép trích dẫn",
    copied: "Đã sao chép trích dẫn: ",
    copyFailed: "Không sao chép được; hãy chọn và sao chép thủ công: ",
    showContext: "Xem ngữ cảnh",
    openContext: "Xem điều khoản trong ngữ cảnh",
    matches: (n) => `${n} đoạn khớp`,
    score: "Điểm",
    parent: "Thuộc",
    siblings: "Các điều khoản cùng cấp",
    children: "Nội dung bên trong",
    thisClause: "điều khoản đang xem",
    lines: (a, b) => `dòng ${a}–${b}`,
    line: (a) => `dòng ${a}`,
    loading: "Đang tải…",
    comparing: "Đang đối chiếu…",
    noConflicts: "Không phát hiện mâu thuẫn giữa hai văn bản.",
    conflictsFound: (n) => `${n} phát hiện`,
    kindCol: "Loại",
    sourceCol: "Văn bản kiểm tra",
    targetCol: "Văn bản đối chiếu",
    diffCol: "Khác biệt",
    confidenceCol: "Độ tin cậy",
    kinds: {
      value_changed: "Giá trị thay đổi",
      comparator_changed: "Ngưỡng so sánh thay đổi",
      deadline_changed: "Thời hạn thay đổi",
      modality_changed: "Mức độ bắt buộc thay đổi",
      obligation_dropped: "Nghĩa vụ bị bỏ",
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
    tabConflicts: "Compare documents",
    apiDocs: "API",
    queryLabel: "Search for",
    queryPlaceholder: "Type keywords, or an exact \"phrase in quotes\"…",
    searchButton: "Search",
    modeLabel: "Mode",
    modeHybrid: "Hybrid (keywords + meaning)",
    modeBm25: "Keywords (BM25)",
    modeDense: "Meaning",
    modePhrase: "Exact phrase",
    docLabel: "Document",
    allDocs: "All documents",
    typeLabel: "Document type",
    allTypes: "All types",
    langLabel: "Language",
    allLangs: "All",
    langVi: "Vietnamese",
    langEn: "English",
    kLabel: "Results",
    conflictDocLabel: "Document to check",
    conflictCounterLabel: "Compare with",
    autoCounterpart: "Documents it cites (automatic)",
    includeConsistent: "Also show clauses that agree",
    compareButton: "Compare",
    contextTitle: "Clause in context",
    close: "Close",
    footer: "Results quote the source verbatim; check the original document before relying on them.",
    indexInfo: (d, c) => `${d} documents · ${c.toLocaleString("en-US")} clauses`,
    searching: "Searching…",
    found: (n, docs, ms) => `${n} clauses in ${docs} documents (${ms} ms)`,
    noResults: "No matching clause. Try other words or the “Hybrid” mode.",
    emptyQuery: "Type something to search for.",
    error: "Error",
    copy: "Copy citation",
    copied: "Citation copied: ",
    copyFailed: "Could not copy; select and copy it by hand: ",
    showContext: "Show in context",
    openContext: "Open this clause in context",
    matches: (n) => `${n} matches`,
    score: "Score",
    parent: "Part of",
    siblings: "Clauses at the same level",
    children: "Contents",
    thisClause: "current clause",
    lines: (a, b) => `lines ${a}–${b}`,
    line: (a) => `line ${a}`,
    loading: "Loading…",
    comparing: "Comparing…",
    noConflicts: "No conflict found between the two documents.",
    conflictsFound: (n) => (n === 1 ? "1 finding" : `${n} findings`),
    kindCol: "Kind",
    sourceCol: "Checked document",
    targetCol: "Compared with",
    diffCol: "Difference",
    confidenceCol: "Confidence",
    kinds: {
      value_changed: "Value changed",
      comparator_changed: "Threshold changed",
      deadline_changed: "Deadline changed",
      modality_changed: "Obligation strength changed",
      obligation_dropped: "Obligation dropped",
      agency_changed: "Responsible body changed",
      consistent: "Consistent",
    },
    untitled: "Untitled document",
  },
};

const state = {
  lang: localStorage.getItem("lexvn.lang") === "en" ? "en" : "vi",
  documents: [],
  lastResponse: null,
  lastCopied: "",
  returnFocus: null,
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
  if (state.lastResponse) renderResults(state.lastResponse);
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

function documentLine(meta) {
  return [meta.issuer, meta.date, meta.language === "en" ? "EN" : "VI"].filter(Boolean).join(" · ");
}

function renderIndexInfo() {
  const info = $("#index-info");
  if (!state.documents.length) return;
  const clauses = state.documents.reduce((sum, d) => sum + d.clause_count, 0);
  info.textContent = t("indexInfo", state.documents.length, clauses);
}

async function loadDocuments() {
  const body = await api("/documents");
  state.documents = body.documents;
  const short = (d) => {
    const name = documentName(d.meta, d.doc_id);
    return name.length > 90 ? `${name.slice(0, 88)}…` : name;
  };
  for (const select of [$("#filter-doc"), $("#conflict-doc"), $("#conflict-against")]) {
    for (const d of state.documents) select.append(el("option", { value: d.doc_id, text: short(d) }));
  }
  const types = [...new Set(state.documents.map((d) => d.meta.doc_type).filter(Boolean))].sort();
  for (const type of types) $("#filter-type").append(el("option", { value: type, text: type }));
  if (state.documents.length > 1) $("#conflict-against").selectedIndex = 2;
  renderIndexInfo();
}

// ---------------------------------------------------------------------------------------------- search

function highlighted(text, highlights) {
  // Offsets are Unicode code points (Python string indices); Array.from splits by code point.
  const chars = Array.from(text);
  const spans = [...highlights]
    .map(([start, end]) => [Math.max(0, start), Math.min(chars.length, end)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  const parts = [];
  let at = 0;
  for (const [start, end] of merged) {
    if (start > at) parts.push(chars.slice(at, start).join(""));
    parts.push(el("mark", { text: chars.slice(start, end).join("") }));
    at = end;
  }
  if (at < chars.length) parts.push(chars.slice(at).join(""));
  return parts;
}

function citationOf(item) {
  return state.lang === "en" && item.citation_en ? item.citation_en : item.citation;
}

function renderHit(hit) {
  const citation = citationOf(hit);
  const text = el("p", { class: "hit-text", lang: hit.document.language || "vi" }, highlighted(hit.text, hit.highlights));
  return el(
    "li",
    { class: "hit", "data-clause-id": hit.clause_id, "data-doc-id": hit.doc_id },
    el(
      "div",
      { class: "hit-head" },
      el("span", { class: "rank", "aria-hidden": "true", text: hit.rank }),
      el("cite", { class: "citation", text: citation }),
      hit.highlights.length ? el("span", { class: "badge", text: t("matches", hit.highlights.length) }) : null,
      el("span", { class: "score", title: JSON.stringify(hit.scores), text: `${t("score")} ${hit.score.toFixed(3)}` }),
    ),
    hit.headings.length ? el("p", { class: "headings", text: hit.headings.join(" › ") }) : null,
    text,
    el(
      "div",
      { class: "hit-actions" },
      el("button", { type: "button", class: "copy", onclick: () => copyCitation(citation), text: t("copy") }),
      el("button", {
        type: "button",
        class: "ghost context-button",
        "aria-label": `${t("openContext")}: ${citation}`,
        onclick: (event) => openContext(hit.clause_id, event.currentTarget),
        text: t("showContext"),
      }),
    ),
  );
}

function renderResults(body) {
  const results = $("#results");
  results.replaceChildren();
  const groups = body.groups || [];
  if (!body.total) {
    $("#search-status").textContent = t("noResults");
    return;
  }
  $("#search-status").textContent = t("found", body.total, groups.length, Math.round(body.took_ms));
  for (const group of groups) {
    const headingId = `group-${group.doc_id}`;
    results.append(
      el(
        "section",
        { class: "group", "aria-labelledby": headingId },
        el(
          "header",
          { class: "group-head" },
          el("h2", { id: headingId, text: documentName(group.document, group.source) }),
          el("p", { class: "doc-line", text: `${documentLine(group.document)} · ${group.source}` }),
        ),
        el("ol", { class: "hits" }, group.hits.map(renderHit)),
      ),
    );
  }
}

async function runSearch(event) {
  if (event) event.preventDefault();
  const query = $("#q").value.trim();
  if (!query) {
    $("#search-status").textContent = t("emptyQuery");
    $("#q").focus();
    return;
  }
  const filters = {};
  if ($("#filter-doc").value) filters.doc_ids = [$("#filter-doc").value];
  if ($("#filter-type").value) filters.doc_type = $("#filter-type").value;
  if ($("#filter-lang").value) filters.language = $("#filter-lang").value;
  const k = Math.min(100, Math.max(1, parseInt($("#k").value, 10) || 10));
  const request = { query, k, mode: $("#mode").value, group: true, filters: Object.keys(filters).length ? filters : null };
  $("#search-status").textContent = t("searching");
  $("#results").setAttribute("aria-busy", "true");
  try {
    state.lastResponse = await api("/search", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(request),
    });
    renderResults(state.lastResponse);
    const params = new URLSearchParams({ q: query, mode: request.mode });
    history.replaceState(null, "", `?${params}`);
  } catch (error) {
    $("#search-status").textContent = `${t("error")}: ${error.message}`;
  } finally {
    $("#results").removeAttribute("aria-busy");
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

function briefItem(brief, current) {
  const item = el(
    "li",
    { class: current ? "brief current" : "brief" },
    el("span", { class: "brief-cite", text: brief.citation }),
    el("span", { class: "brief-text", text: brief.text.length > 360 ? `${brief.text.slice(0, 358)}…` : brief.text }),
  );
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

async function openContext(clauseId, opener) {
  state.returnFocus = opener || document.activeElement;
  const panel = $("#context");
  const body = $("#context-body");
  body.replaceChildren(el("p", { class: "status", text: t("loading") }));
  panel.hidden = false;
  document.body.classList.add("with-context");
  try {
    const clause = await api(`/clauses/${encodeURI(clauseId)}`);
    const siblings = el("ol", { class: "briefs" }, clause.siblings.map((s, i) => briefItem(s, i === clause.position)));
    const citation = citationOf(clause);
    const lines = clause.lines[0] === clause.lines[1] ? t("line", clause.lines[0]) : t("lines", clause.lines[0], clause.lines[1]);
    const parts = [
      el("p", { class: "doc-line", text: documentName(clause.document, clause.source) }),
      el("cite", { class: "citation big", text: citation }),
      el("p", { class: "meta", text: `${clause.source} · ${lines}` }),
      el("div", { class: "hit-actions" }, el("button", { type: "button", class: "copy", onclick: () => copyCitation(citation), text: t("copy") })),
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

// ---------------------------------------------------------------------------------------------- conflicts

function clauseCell(ref) {
  return el("td", {}, el("cite", { class: "citation", text: ref.citation }), el("p", { class: "cell-text", text: ref.text }));
}

async function runConflicts(event) {
  event.preventDefault();
  const params = new URLSearchParams({ doc: $("#conflict-doc").value });
  if ($("#conflict-against").value) params.set("against", $("#conflict-against").value);
  if ($("#conflict-consistent").checked) params.set("include_consistent", "true");
  const out = $("#conflicts");
  out.replaceChildren();
  $("#conflicts-status").textContent = t("comparing");
  try {
    const body = await api(`/conflicts?${params}`);
    if (!body.total) {
      $("#conflicts-status").textContent = t("noConflicts");
      return;
    }
    const kinds = LABELS[state.lang].kinds;
    const summary = Object.entries(body.by_kind).map(([kind, n]) => `${kinds[kind] || kind}: ${n}`).join(" · ");
    $("#conflicts-status").textContent = `${t("conflictsFound", body.total)} — ${summary}`;
    const rows = body.conflicts.map((c) =>
      el(
        "tr",
        { class: `kind-${c.kind}` },
        el("td", {}, el("span", { class: `pill pill-${c.kind}`, text: kinds[c.kind] || c.kind })),
        clauseCell(c.source),
        clauseCell(c.target),
        el("td", {}, el("ul", { class: "diffs" }, c.differences.map((d) => el("li", { text: d })))),
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

// ---------------------------------------------------------------------------------------------- tabs

function selectTab(name) {
  for (const tab of ["search", "conflicts"]) {
    const selected = tab === name;
    $(`#tab-${tab}`).setAttribute("aria-selected", String(selected));
    $(`#panel-${tab}`).hidden = !selected;
  }
  (name === "search" ? $("#q") : $("#conflict-doc")).focus();
}

function init() {
  applyLabels();
  $("#lang-toggle").addEventListener("click", toggleLanguage);
  $("#search-form").addEventListener("submit", runSearch);
  $("#conflicts-form").addEventListener("submit", runConflicts);
  $("#tab-search").addEventListener("click", () => selectTab("search"));
  $("#tab-conflicts").addEventListener("click", () => selectTab("conflicts"));
  $(".tabs").addEventListener("keydown", (event) => {
    // Arrow keys move between the two tabs, as in the WAI-ARIA tabs pattern.
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      const next = $("#tab-search").getAttribute("aria-selected") === "true" ? "conflicts" : "search";
      selectTab(next);
      $(`#tab-${next}`).focus();
    }
  });
  $("#context-close").addEventListener("click", closeContext);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("#context").hidden) closeContext();
  });
  loadDocuments().catch((error) => {
    $("#search-status").textContent = `${t("error")}: ${error.message}`;
  });
  const params = new URLSearchParams(location.search);
  if (params.get("q")) {
    $("#q").value = params.get("q");
    if (params.get("mode")) $("#mode").value = params.get("mode");
    runSearch();
  }
}

document.addEventListener("DOMContentLoaded", init);
