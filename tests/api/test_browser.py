"""End to end in headless Chromium (Debian's package, driven by Playwright): search, highlight, copy, context,
why a clause matched, reflowed PDF text, appendix rows as tables, the document view with its outline,
paging, facet counts, the comparison tab, /docs, and the layout on a phone.

The app runs under uvicorn in a background thread on a free loopback port; screenshots go to
tests/artifacts/ (git-ignored). Every page runs with a guard: a request to any other host than the app's
is aborted and fails the test (the product works offline; /docs included).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
SEED_000 = "000_4c6edb8a98047afa"  # Resolution 66-NQ/TW (English)
SEED_002 = "002_7aca7bcc376b2da4"
SEED_004 = "004_8cdda1c3c077ca03"  # Hà Tĩnh's action programme implementing it
SEED_003 = "003_9f40a26defcbfd25"
BUDGET_QUERY = "0,5% tổng chi ngân sách"
# In seed 003 this phrase runs over a PDF line break ("các m c tiêu, \n\nnhiệm v  và giải pháp").
WRAPPED_PHRASE = "các mục tiêu, nhiệm vụ và giải pháp"
ROW_PHRASE = "Thực hiện thường xuyên khi có văn bản ban hành"  # the time-frame cell of appendix row 2
FIELD_HEADERS_VI = ["STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian thực hiện"]


def ensure_chromium() -> None:
    """Install Debian's chromium when missing and we may (root with apt-get); never download a browser build."""
    if CHROMIUM.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env, capture_output=True)
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium; `make browser` does it)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(seed_index: Path, searcher) -> Iterator[str]:
    import uvicorn

    from api.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(seed_index, searcher=searcher), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, base_url: str, **options):
    """A page whose every request must go to the app; anything else is aborted and recorded."""
    context = browser.new_context(base_url=base_url, locale="vi-VN", **options)
    foreign: list[str] = []
    local = re.compile(rf"^{re.escape(base_url)}(/|$)")

    def guard(route) -> None:
        url = route.request.url
        if local.match(url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, foreign, errors


@pytest.fixture
def page(browser, base_url: str) -> Iterator:
    context, page, foreign, errors = open_page(
        browser, base_url, viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not foreign, f"requests that left the machine: {foreign}"


@pytest.fixture
def phone(browser, base_url: str) -> Iterator:
    context, page, foreign, errors = open_page(
        browser, base_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not foreign, f"requests that left the machine: {foreign}"


def api_get(base_url: str, path: str, **params):
    import httpx

    response = httpx.get(f"{base_url}{path}", params=params, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def shoot(page, name: str, **options) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), **options)


def test_search_highlight_copy_and_context(page, base_url: str) -> None:
    import httpx

    expected = next(
        hit for hit in httpx.get(f"{base_url}/search", params={"query": BUDGET_QUERY}).json()["results"]
        if hit["doc_id"] == SEED_002
    )
    page.goto("/")
    page.wait_for_selector(f"#filter-doc option[value='{SEED_002}']", state="attached")
    # Keyboard only: the search box has focus on load, Enter submits.
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type(BUDGET_QUERY)
    page.keyboard.press("Enter")

    hit = page.locator(f".hit[data-clause-id='{expected['clause_id']}']")
    hit.wait_for()
    marks = hit.locator("mark").all_inner_texts()
    assert any("0,5" in mark for mark in marks), marks
    assert hit.locator("cite.citation").inner_text() == expected["citation"]
    group_heading = page.locator(f"#group-{SEED_002} h2, section[aria-labelledby='group-{SEED_002}'] h2").first
    assert group_heading.inner_text()

    hit.get_by_role("button", name="Sao chép trích dẫn").click()
    page.wait_for_function("document.body.dataset.lastCopied !== undefined")
    assert page.evaluate("document.body.dataset.lastCopied") == expected["citation"]
    assert page.evaluate("navigator.clipboard.readText()") == expected["citation"]
    assert expected["citation"] in page.locator("#toast").inner_text()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    hit.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "search_0_5_percent.png"), full_page=False)

    hit.locator("button.context-button").click()
    context = page.locator("#context")
    context.locator(".brief.current").wait_for()
    assert expected["display"]["text"][:40] in context.locator(".brief.current").inner_text()
    # The drawer highlights the match as the result list does.
    drawer_marks = context.locator(".brief.current mark").all_inner_texts()
    assert drawer_marks == [expected["display"]["text"][a:b] for a, b in expected["display"]["highlights"]]
    assert any("0,5" in mark for mark in drawer_marks)
    page.screenshot(path=str(ARTIFACTS / "clause_in_context.png"))
    page.keyboard.press("Escape")
    assert context.is_hidden()


def test_copy_button_is_reachable_with_tab(page) -> None:
    page.goto(f"/?q={BUDGET_QUERY}&mode=hybrid")
    page.locator(".hit").first.wait_for()
    page.locator("#q").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('copy')"):
            break
    else:
        pytest.fail("no copy-citation button reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.body.dataset.lastCopied")


def test_english_labels_and_conflicts_view(page, base_url: str) -> None:
    import httpx

    doc, against = "003_9f40a26defcbfd25", SEED_002
    expected = httpx.get(
        f"{base_url}/conflicts", params={"doc": doc, "against": against, "include_consistent": True}, timeout=60
    ).json()
    page.goto("/")
    page.get_by_role("button", name="Switch to English").click()
    assert page.locator("#search-button").inner_text() == "Search"
    assert page.locator("label[for='mode']").inner_text().lower() == "mode"
    page.get_by_role("tab", name="Compare documents").click()
    page.locator("#conflict-doc").select_option(doc)
    page.locator("#conflict-against").select_option(against)
    page.get_by_label("Also show clauses that agree").check()
    page.locator("#conflicts-form button[type=submit]").click()
    page.wait_for_function(
        "(() => { const s = document.querySelector('#conflicts-status').textContent;"
        " return s && !s.startsWith('Comparing'); })()"
    )
    status = page.locator("#conflicts-status").inner_text()
    assert not status.startswith("Error"), status
    assert page.locator(".conflict-table tbody tr").count() == expected["total"]
    if expected["total"]:
        assert status.startswith(f"{expected['total']} finding")
        first = expected["conflicts"][0]
        side = first["source"] or first["target"]
        assert page.locator(".conflict-table tbody tr").first.locator("cite").first.inner_text() == side["citation"]
    page.screenshot(path=str(ARTIFACTS / "conflicts.png"))


def _compare(page, doc: str, against: str, button: str = "#conflicts-form button[type=submit]") -> str:
    page.goto("/")
    page.get_by_role("tab", name="Đối chiếu văn bản").click()
    page.locator("#conflict-doc").select_option(doc)
    page.locator("#conflict-against").select_option(against)
    page.locator(button).click()
    page.wait_for_function(
        "(() => { const s = document.querySelector('#conflicts-status').textContent;"
        " return s && !s.startsWith('Đang'); })()")
    return page.locator("#conflicts-status").inner_text()


@pytest.mark.parametrize("order", ["plan first", "resolution first"])
def test_page_reports_ha_tinh_omitting_the_floor_in_either_order(page, order: str) -> None:
    """The case the product exists for: Hà Tĩnh's programme drops the ≥ 0,5% floor of 66-NQ/TW, whichever
    of the two the reviewer picks first; the page names which document is under review."""
    doc, against = (SEED_004, SEED_000) if order == "plan first" else (SEED_000, SEED_004)
    status = _compare(page, doc, against)
    assert not status.startswith(("Lỗi", "Không phát hiện")), status
    under_review = page.locator("#conflicts-roles").inner_text().split(";")[0]
    assert under_review.startswith("Văn bản được kiểm tra (A)") and "Tỉnh ủy Hà Tĩnh" in under_review, under_review
    dropped = page.locator(".conflict-table tbody tr.kind-obligation_dropped")
    assert dropped.count() >= 1
    row = dropped.filter(has_text="0,5%").first
    assert "bỏ mức tối thiểu" in row.locator(".message").inner_text()
    cites = row.locator("cite").all_inner_texts()
    assert any("Hà Tĩnh" in c for c in cites) and any("66-NQ/TW" in c for c in cites)
    shoot(page, f"conflicts-ha-tinh-{order.replace(' ', '-')}.png")


def test_implementation_matrix_table(page, base_url: str) -> None:
    """The matrix view: every clause of 66-NQ/TW with its status in Hà Tĩnh's programme, as /coverage says."""
    expected = api_get(base_url, "/coverage", doc=SEED_004, against=SEED_000)["matrices"][0]
    status = _compare(page, SEED_004, SEED_000, "#coverage-button")
    assert f"{expected['totals']['omitted']} bị bỏ" in status, status
    rows = page.locator(".coverage-table tbody tr")
    assert rows.count() == len(expected["rows"])
    floor = next(i for i, row in enumerate(expected["rows"]) if "0.5%" in row["clause"]["text"])
    assert expected["rows"][floor]["status"] == "omitted"
    assert rows.nth(floor).locator(".pill-omitted").count() == 1
    shoot(page, "coverage.png", full_page=True)


def test_why_a_clause_matched_is_shown_on_demand(page, base_url: str) -> None:
    expected = api_get(base_url, "/search", query=f'"{WRAPPED_PHRASE}"', mode="hybrid")["results"][0]
    page.goto(f"/?q=%22{WRAPPED_PHRASE}%22&mode=hybrid")
    hit = page.locator(f".hit[data-clause-id='{expected['clause_id']}']")
    hit.wait_for()
    assert "Điểm" not in hit.inner_text() and "Score" not in hit.inner_text()  # no raw fusion score
    why = hit.locator(".why")
    assert why.is_hidden()
    toggle = hit.get_by_role("button", name="Vì sao khớp?")
    toggle.focus()
    page.keyboard.press("Enter")
    assert why.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    reasons = why.locator("li").all_inner_texts()
    assert [r["signal"] for r in expected["match"]][:2] == ["phrase", "words"]
    assert reasons[0].startswith("Chứa đúng cụm từ tìm kiếm")
    assert reasons[1].startswith("Chứa các từ khoá") and f"xếp thứ {expected['match'][1]['rank']}" in reasons[1]
    shoot(page, "why_matched.png")
    page.keyboard.press("Enter")
    assert why.is_hidden()


def test_pdf_line_breaks_are_reflowed_and_the_highlight_is_one_span(page, base_url: str) -> None:
    expected = api_get(base_url, "/search", query=f'"{WRAPPED_PHRASE}"', mode="phrase")["results"][0]
    start, end = expected["highlights"][0]
    assert "\n" in expected["text"][start:end]  # the source breaks the phrase over two PDF lines
    page.goto(f"/?q=%22{WRAPPED_PHRASE}%22&mode=phrase")
    hit = page.locator(f".hit[data-clause-id='{expected['clause_id']}']")
    hit.wait_for()
    text = hit.locator(".hit-text")
    assert "\n" not in text.inner_text()  # no forced line break left inside the sentence
    assert text.locator("mark").all_inner_texts() == [WRAPPED_PHRASE]
    # Laid out as prose: the same paragraph with the source's line breaks (as the page showed it before:
    # every PDF line a paragraph of its own) takes more than twice the height.
    heights = text.evaluate("""(e, raw) => {
        const clone = e.cloneNode(false);
        clone.textContent = raw;
        e.after(clone);
        const result = [e.getBoundingClientRect().height, clone.getBoundingClientRect().height];
        clone.remove();
        return result;
    }""", expected["text"])
    assert heights[0] * 2 < heights[1], heights
    hit.scroll_into_view_if_needed()
    shoot(page, "reflowed_pdf_text.png")


def test_appendix_row_is_a_table_with_its_columns(page, base_url: str) -> None:
    expected = next(h for h in api_get(base_url, "/search", query=f'"{ROW_PHRASE}"', mode="phrase")["results"]
                    if h["kind"] == "row")
    page.goto(f"/?q=%22{ROW_PHRASE}%22&mode=phrase")
    table = page.locator(f".hit[data-clause-id='{expected['clause_id']}'] table.row-table")
    table.wait_for()
    assert table.locator("th").all_inner_texts() == [h.upper() for h in FIELD_HEADERS_VI] or \
        [h.lower() for h in table.locator("th").all_inner_texts()] == [h.lower() for h in FIELD_HEADERS_VI]
    cells = table.locator("tbody td").all_inner_texts()
    fields = expected["fields"]
    assert cells == [fields[name] for name in ("stt", "noi_dung", "co_quan_chu_tri", "co_quan_phoi_hop", "thoi_gian")]
    assert table.locator("td.col-thoi_gian mark").all_inner_texts() == [ROW_PHRASE]
    table.scroll_into_view_if_needed()
    shoot(page, "appendix_row_table.png")
    # The English page names the columns in English.
    page.get_by_role("button", name="Switch to English").click()
    assert table.locator("th").first.inner_text().lower() == "no."
    assert [h.lower() for h in table.locator("th").all_inner_texts()][1:] == \
        ["task", "lead agency", "partners", "time frame"]


def test_document_view_outline_jumps_to_a_clause_with_a_stable_url(page, base_url: str) -> None:
    body = api_get(base_url, f"/documents/{SEED_003}/clauses")
    outline = [c for c in body["clauses"] if c.get("outline")]
    target = next(c for c in outline if c["clause_id"].endswith(":KH.III.2"))
    page.goto(f"/?doc={SEED_003}")
    page.locator("#outline-list a").first.wait_for()
    assert page.locator("#tab-document").get_attribute("aria-selected") == "true"
    assert page.locator("#outline-list a").count() == len(outline)
    assert page.locator("#doc-title").inner_text().startswith("Quyết định 1218/QĐ-UBND")
    # Keyboard: focus the outline entry and follow it with Enter.
    link = page.locator(f"#outline-list a[data-clause-id='{target['clause_id']}']")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"location.hash === '#{target['clause_id']}'")
    clause = page.locator(f"[id='{target['clause_id']}']")
    page.wait_for_function(f"document.activeElement && document.activeElement.id === '{target['clause_id']}'")
    top = clause.bounding_box()["y"]
    assert 0 <= top < 300, top  # scrolled to the top of the view, below the sticky citation bar
    assert "current" in clause.get_attribute("class")
    assert page.locator("#doc-current cite").inner_text() == target["citation"]
    assert "current" in link.get_attribute("class")
    shoot(page, "document_view.png")
    url = page.url
    # The URL is the clause's: a fresh page on it opens the same clause.
    page.goto("/")
    page.goto(url)
    page.wait_for_function(f"document.activeElement && document.activeElement.id === '{target['clause_id']}'")
    assert page.locator("#doc-current cite").inner_text() == target["citation"]
    # Appendix rows are one table in the document, a row per clause; reflowed prose elsewhere.
    rows = [c for c in body["clauses"] if c["kind"] == "row"]
    assert page.locator("#doc-body table.row-table tbody tr").count() == len(rows)
    prose = page.locator(f"[id='{SEED_003}:KH.I.2.p1'] .clause-text").inner_text()
    assert WRAPPED_PHRASE in prose and "\n" not in prose
    page.go_back()
    page.wait_for_function("location.pathname === '/' && !location.search")


def test_more_results_pages_on(page, base_url: str) -> None:
    expected = api_get(base_url, "/search", query="ngân sách", k=10, mode="hybrid")["results"]
    page.goto("/")
    page.locator("#k").fill("5")
    page.locator("#q").fill("ngân sách")
    page.locator("#q").press("Enter")
    page.wait_for_function("document.querySelectorAll('.hit').length === 5")
    more = page.get_by_role("button", name="Xem thêm kết quả")
    assert more.is_visible()
    more.click()
    page.wait_for_function("document.querySelectorAll('.hit').length === 10")
    shown = page.eval_on_selector_all(".hit", "nodes => nodes.map(n => [Number(n.dataset.rank), n.dataset.clauseId])")
    assert sorted(shown) == [[h["rank"], h["clause_id"]] for h in expected]
    assert page.evaluate("document.activeElement.dataset.rank") == "6"  # the reader lands on the next page
    assert page.locator("#search-status").inner_text().startswith("Kết quả 1–10")
    shoot(page, "more_results.png")


def test_facet_counts_beside_the_filters(page, base_url: str) -> None:
    facets = api_get(base_url, "/facets", query="ngân sách", mode="hybrid")
    page.goto("/?q=ngân sách&mode=hybrid")
    page.locator(".hit").first.wait_for()
    page.locator(".facet-group[data-facet='doc_type'] .facet").first.wait_for()
    for name in ("doc_type", "issuer", "year"):
        buttons = page.locator(f".facet-group[data-facet='{name}'] .facet")
        shown = [(b.locator(".facet-value").inner_text(), int(b.locator(".count").inner_text())) for b in buttons.all()]
        assert shown == [(f["value"], f["count"]) for f in facets[name]], name
    plan = next(f for f in facets["doc_type"] if f["value"] == "Kế hoạch")
    assert page.locator("#filter-type option[value='Kế hoạch']").inner_text() == f"Kế hoạch ({plan['count']})"
    shoot(page, "facets.png")
    page.locator(".facet-group[data-facet='doc_type'] .facet[data-value='Kế hoạch']").click()
    page.wait_for_function("document.querySelector('#filter-type').value === 'Kế hoạch'")
    page.wait_for_function(
        "[...document.querySelectorAll('.facet-group[data-facet=doc_type] .facet')]"
        ".some(b => b.dataset.value === 'Kế hoạch' && b.getAttribute('aria-pressed') === 'true')")
    filtered = api_get(base_url, "/search", query="ngân sách", mode="hybrid", doc_type="Kế hoạch")["results"]
    page.wait_for_function(f"document.querySelectorAll('.hit').length === {len(filtered)}")
    assert {n for n in page.eval_on_selector_all(".hit", "ns => ns.map(n => n.dataset.docId)")} == \
        {h["doc_id"] for h in filtered}


def test_compare_tab_preselects_a_document_and_the_one_it_implements(page, base_url: str) -> None:
    documents = api_get(base_url, "/documents")["documents"]
    implementers = [d for d in documents if d["implements"]]
    assert implementers
    page.goto("/")
    page.get_by_role("tab", name="Đối chiếu văn bản").click()
    doc = page.locator("#conflict-doc").input_value()
    counterpart = page.locator("#conflict-against").input_value()
    chosen = next(d for d in documents if d["doc_id"] == doc)
    assert counterpart == chosen["implements"][0] and doc == implementers[0]["doc_id"]
    assert "thực hiện" in page.locator("#conflicts-hint").inner_text()
    expected = api_get(base_url, "/conflicts", doc=doc, against=counterpart, include_consistent=True)
    page.locator("#conflicts-form button[type=submit]").click()
    page.wait_for_function(
        "(() => { const s = document.querySelector('#conflicts-status').textContent;"
        " return s && !s.startsWith('Đang'); })()")
    status = page.locator("#conflicts-status").inner_text()
    consistent = expected["by_kind"].get("consistent", 0)
    if expected["total"] == consistent:  # nothing but agreement: say so, and how much was compared
        assert status.startswith("Không phát hiện mâu thuẫn") and f"{consistent} cặp điều khoản" in status
    else:
        assert status.startswith(f"{expected['total'] - consistent} phát hiện")


def test_docs_and_favicon_are_served_locally(page) -> None:
    page.goto("/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("lexvn")
    page.locator(".opblock-summary-path[data-path='/facets']").wait_for()
    response = page.request.get("/favicon.ico")
    assert response.status == 200 and response.headers["content-type"] == "image/x-icon"
    assert response.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert page.evaluate("document.querySelector('link[rel~=icon]').getAttribute('href')") == "/favicon.ico"
    shoot(page, "api_docs.png")


def test_layout_mode_label_and_phone_query_box(page, phone) -> None:
    page.goto("/")
    page.wait_for_selector(f"#filter-doc option[value='{SEED_002}']", state="attached")
    # What a closed selector shows fits in it: every mode's label (it was cut off), and each filter's
    # current choice; the labels above them are not cut either.
    for language in ("vi", "en"):
        if language == "en":
            page.get_by_role("button", name="Switch to English").click()
        fits = page.evaluate("""() => {
            const ctx = document.createElement('canvas').getContext('2d');
            const room = (select) => {
                const style = getComputedStyle(select);
                ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                return select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
            };
            const mode = document.querySelector('#mode');
            const modeRoom = room(mode);  // sets the canvas font to the selector's before measuring
            const checks = [...mode.options].map(o => [o.text, ctx.measureText(o.text).width <= modeRoom]);
            for (const select of document.querySelectorAll('.filters select')) {
                const text = select.options[select.selectedIndex].text;
                const space = room(select);
                checks.push([text, ctx.measureText(text).width <= space]);
            }
            return checks;
        }""")
        assert [text for text, ok in fits if not ok] == [], fits
        for label in page.locator(".filters label").all():
            assert label.evaluate("e => e.scrollWidth <= e.clientWidth"), label.inner_text()
        assert len({round(f.bounding_box()["y"]) for f in page.locator(".filters .field").all()}) == 1  # one row
    phone.goto("/")
    phone.locator("#q").fill("kinh phí bảo đảm cho công tác xây dựng pháp luật hằng năm của tỉnh")
    clear = phone.locator("#q-clear")
    assert clear.is_visible()
    box = phone.locator("#q").bounding_box()
    text_right = box["x"] + box["width"] - float(phone.locator("#q").evaluate("e => parseFloat(getComputedStyle(e).paddingRight)"))
    assert clear.bounding_box()["x"] >= text_right - 1  # the button sits in the padding, not over the text
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    shoot(phone, "phone_query.png")
    clear.click()
    assert phone.locator("#q").input_value() == "" and phone.evaluate("document.activeElement.id") == "q"
