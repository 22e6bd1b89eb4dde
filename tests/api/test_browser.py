"""End to end in headless Chromium (Debian's package, driven by Playwright): search, highlight, copy, context.

The app runs under uvicorn in a background thread on a free loopback port; the screenshot goes to
tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
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
SEED_002 = "002_7aca7bcc376b2da4"
BUDGET_QUERY = "0,5% tổng chi ngân sách"


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


@pytest.fixture
def page(browser, base_url: str) -> Iterator:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, locale="vi-VN",
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


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
    assert expected["text"][:40] in context.locator(".brief.current").inner_text()
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
        assert page.locator(".conflict-table tbody tr").first.locator("cite").first.inner_text() == first["source"]["citation"]
    page.screenshot(path=str(ARTIFACTS / "conflicts.png"))
