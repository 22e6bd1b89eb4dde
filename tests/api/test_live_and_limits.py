"""A running server follows the index (a new version swapped in between requests, none failing; a damaged
one refused), and bounded work: cross-checks within a concurrency and a time limit while /search answers."""

from __future__ import annotations

import shutil
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import typer
from fastapi.testclient import TestClient

from indexer import manifest as mf
from indexer.build import build_index
from tests.conftest import CORPUS

SEEDS = ("002_7aca7bcc376b2da4.txt", "003_9f40a26defcbfd25.txt")
NEW_PHRASE = "cổng dữ liệu mở của tỉnh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("live")
    (base / "corpus").mkdir()
    for name in SEEDS:
        shutil.copy(CORPUS / "seeds" / name, base / "corpus" / name)
    build_index(base / "corpus", base / "index", dense=False, progress=False)
    return base


@pytest.fixture()
def live_index(built: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A lexical index of two seeds and its corpus, a copy each test may change."""
    shutil.copytree(built, tmp_path, dirs_exist_ok=True)
    return tmp_path / "corpus", tmp_path / "index"


@pytest.fixture()
def server(live_index: tuple[Path, Path]) -> Iterator[str]:
    """The app under uvicorn on a loopback port, with its lifespan: the reload watcher runs."""
    import uvicorn

    from api.app import create_app
    from api.limits import Limits

    port = free_port()
    app = create_app(live_index[1], limits=Limits(reload_seconds=0.2))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def hammer(base_url: str, stop: threading.Event, results: list) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        while not stop.is_set():
            response = client.get("/search", params={"query": "ngân sách", "k": 3, "mode": "bm25"})
            health = client.get("/health")
            results.append((response.status_code, health.status_code, health.json().get("version")))


def wait_for_version(base_url: str, version: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while httpx.get(f"{base_url}/health", timeout=30).json()["version"] != version:
        assert time.monotonic() < deadline, f"the server never served {version}"
        time.sleep(0.05)


def test_a_new_version_is_served_between_requests_without_a_failed_request(server: str, live_index) -> None:
    corpus, index = live_index
    old = mf.version_dir(index).name
    assert httpx.get(f"{server}/health").json()["version"] == old
    stop, results = threading.Event(), []
    clients = [threading.Thread(target=hammer, args=(server, stop, results)) for _ in range(4)]
    for client in clients:
        client.start()
    try:
        time.sleep(0.5)
        (corpus / "new.txt").write_text(f"Điều 1. Xây dựng {NEW_PHRASE} trong năm 2026.\n", encoding="utf-8")
        new = build_index(corpus, index, dense=False, progress=False)["version"]
        assert new != old and not (index / old).exists()  # the old version's files are gone from disk
        wait_for_version(server, new)
        time.sleep(0.5)  # keep the clients going on the new version
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)
    assert len(results) >= 20 and all(status == 200 and health == 200 for status, health, _ in results), \
        [r for r in results if r[:2] != (200, 200)][:5]
    versions = [version for _, _, version in results]
    assert versions[0] == old and versions[-1] == new and set(versions) == {old, new}
    hits = httpx.get(f"{server}/search", params={"query": f'"{NEW_PHRASE}"', "mode": "phrase"}).json()["results"]
    assert [hit["doc_id"] for hit in hits] == ["new"]


def test_a_damaged_new_version_is_not_swapped_in(server: str, live_index) -> None:
    corpus, index = live_index
    old = mf.version_dir(index)
    broken = index / "v-99999999-000000-broken-1"
    shutil.copytree(old, broken)
    (broken / "store.sqlite").write_bytes(b"")
    (index / mf.POINTER).write_text(broken.name + "\n", encoding="utf-8")
    time.sleep(1.0)  # five checks of the pointer
    health = httpx.get(f"{server}/health").json()
    assert health["version"] == old.name
    assert httpx.get(f"{server}/search", params={"query": "ngân sách"}).status_code == 200
    told = httpx.post(f"{server}/admin/reload").json()
    assert told["reloaded"] is False and "store.sqlite" in told["error"]
    # the next good build (it sees the damage and builds from scratch) is picked up
    fixed = build_index(corpus, index, dense=False, progress=False)
    assert fixed["published"]
    wait_for_version(server, fixed["version"])


def test_admin_reload_answers_only_loopback(live_index) -> None:
    from api.app import create_app
    from api.limits import Limits

    corpus, index = live_index
    app = create_app(index, limits=Limits(reload_seconds=0))  # no watcher: only the endpoint reloads
    outsider = TestClient(app, client=("203.0.113.7", 50000))
    error = outsider.post("/admin/reload").json()["error"]
    assert error["status"] == 403 and "loopback" in error["message"]
    local = TestClient(app, client=("127.0.0.1", 50000))
    assert local.post("/admin/reload").json() == {"reloaded": False, "version": mf.version_dir(index).name}
    (corpus / "new.txt").write_text("Điều 1. Một văn bản mới.\n", encoding="utf-8")
    new = build_index(corpus, index, dense=False, progress=False)["version"]
    assert local.get("/health").json()["version"] != new  # nothing watches: the old version still serves
    answer = TestClient(app, client=("::1", 50000)).post("/admin/reload").json()
    assert answer["reloaded"] is True and answer["version"] == new
    assert local.get("/health").json()["version"] == new
    assert "/admin/reload" not in local.get("/openapi.json").json()["paths"]


# ---------------------------------------------------------------------------------------------- limits


def limited_client(seed_index: Path, searcher, **limits) -> TestClient:
    from api.app import create_app
    from api.limits import Limits

    return TestClient(create_app(seed_index, searcher=searcher, limits=Limits(**limits)),
                      raise_server_exceptions=False)


PAIRS = [("000_4c6edb8a98047afa", "003_9f40a26defcbfd25"), ("000_4c6edb8a98047afa", "004_8cdda1c3c077ca03"),
         ("003_9f40a26defcbfd25", "004_8cdda1c3c077ca03"), ("000_4c6edb8a98047afa", "002_7aca7bcc376b2da4")]


def test_a_cross_check_past_its_time_limit_is_stopped_with_503(seed_index: Path, searcher) -> None:
    client = limited_client(seed_index, searcher, crosscheck_seconds=0.001)
    response = client.get("/conflicts", params={"doc": PAIRS[0][0], "against": PAIRS[0][1]})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "unavailable" and "longer than 0.001 s and was stopped" in error["message"]
    # the refusal is not cached: with time to finish, the same pair is answered
    patient = limited_client(seed_index, searcher, crosscheck_seconds=60)
    assert patient.get("/conflicts", params={"doc": PAIRS[0][0], "against": PAIRS[0][1]}).status_code == 200
    # the implementation matrix runs under the same limit
    response = client.get("/coverage", params={"against": PAIRS[0][0]})
    assert response.status_code == 503 and "was stopped" in response.json()["error"]["message"]
    assert patient.get("/coverage", params={"against": PAIRS[0][0], "doc": PAIRS[0][1]}).status_code == 200


def test_cross_checks_over_the_concurrency_limit_get_429_while_search_stays_fast(seed_index: Path,
                                                                                searcher) -> None:
    client = limited_client(seed_index, searcher, crosscheck_concurrency=1, crosscheck_seconds=60)

    def search_ms() -> float:
        started = time.perf_counter()
        assert client.get("/search", params={"query": "ngân sách nhà nước", "mode": "bm25"}).status_code == 200
        return (time.perf_counter() - started) * 1000

    before = statistics.median(search_ms() for _ in range(10))
    barrier = threading.Barrier(len(PAIRS))

    def check(pair: tuple[str, str]) -> httpx.Response:
        barrier.wait()
        return client.get("/conflicts", params={"doc": pair[0], "against": pair[1]})

    with ThreadPoolExecutor(len(PAIRS) + 1) as pool:
        futures = [pool.submit(check, pair) for pair in PAIRS]
        during = [search_ms() for _ in range(10)]
        responses = [future.result() for future in futures]
    statuses = sorted(response.status_code for response in responses)
    assert 200 in statuses and 429 in statuses and set(statuses) <= {200, 429}, statuses
    busy = next(r for r in responses if r.status_code == 429)
    assert busy.headers["retry-after"] and "already running" in busy.json()["error"]["message"]
    # the checks run in another process: searches meanwhile are not held up behind them
    assert statistics.median(during) < 4 * before + 100, (before, during)


# ---------------------------------------------------------------------------------------------- serve


def test_serve_rebuilds_a_damaged_index_with_corpus_and_names_it_without(live_index) -> None:
    from api.serve_cli import prepare_index
    from search import Searcher

    corpus, index = live_index
    (mf.version_dir(index) / "terms.npz").write_bytes(b"")
    with pytest.raises(typer.BadParameter) as refused:
        prepare_index(index, None)
    assert "is damaged: terms.npz is 0 bytes" in str(refused.value) and "--corpus" in str(refused.value)
    prepare_index(index, corpus)  # `serve --corpus` rebuilds instead of dying
    assert Searcher.open(index).search("ngân sách", k=1, mode="bm25")
    prepare_index(index, None)
