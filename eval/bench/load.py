"""HTTP load test: locust users sending hybrid queries from the labelled seed query set to `lexvn serve`.

Two roles in one file:
- imported by locust (`locust -f eval/bench/load.py`), it defines `SearchUser`;
- called by `python -m eval.bench`, `bench_load(...)` builds (or reuses) the seed and VLC indexes, starts
  `lexvn serve --workers 2` on a free loopback port, runs locust headless against it for a bounded time,
  and returns throughput and p50/p99 latencies read from locust's CSV statistics.

Locust patches the standard library with gevent when it is imported, so the user class is defined only
when locust itself loads this file; the benchmark driver runs locust in a child process.
"""

from __future__ import annotations

import csv
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from eval.paths import CORPUS_DIR, ROOT, SEED_QUERIES, VLC_DIR, WORK_DIR
from indexer.build import ensure_index

ENV_QUERIES = "LEXVN_LOAD_QUERIES"
ENV_WAIT = "LEXVN_LOAD_WAIT"  # "min,max" seconds a user thinks between queries
DEFAULT_WAIT = (0.5, 1.5)
USERS = 20
WORKERS = 2
TARGET_P99_MS = 100.0


def load_queries(path: Path) -> list[str]:
    return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_range() -> tuple[float, float]:
    raw = os.environ.get(ENV_WAIT)
    if not raw:
        return DEFAULT_WAIT
    low, high = (float(part) for part in raw.split(","))
    return low, high


if "locust" in sys.modules:  # loaded as a locustfile
    import gevent
    from locust import HttpUser, between, task

    QUERIES = load_queries(Path(os.environ.get(ENV_QUERIES, SEED_QUERIES)))

    class SearchUser(HttpUser):
        """A reader sending one hybrid query, reading the answer, then sending the next."""

        wait_time = between(*wait_range())

        def on_start(self) -> None:
            # Readers arrive at random moments, not all in the same millisecond: without this, locust's
            # 20 users fire their first query together and the queue that one artificial burst builds
            # (10 queries per worker) is most of the p99.
            gevent.sleep(random.uniform(0.0, wait_range()[1]))

        @task
        def hybrid_search(self) -> None:
            query = random.choice(QUERIES)
            with self.client.get(
                "/search", params={"query": query, "k": 10, "mode": "hybrid"}, name="/search hybrid",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                elif "results" not in response.json():
                    response.failure("no hits field")


# ---------------------------------------------------------------------------------------------- bench


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lexvn serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"lexvn serve did not answer /health within {timeout:.0f} s")


def read_locust_csv(prefix: Path) -> dict[str, Any]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "throughput_rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]),
        "p90_ms": float(total["90%"]),
        "p99_ms": float(total["99%"]),
        "max_ms": round(float(total["Max Response Time"]), 1),
        "mean_ms": round(float(total["Average Response Time"]), 1),
    }


def load_run(
    index_dir: Path, work_dir: Path, seconds: int, users: int = USERS, workers: int = WORKERS,
    queries: Path = SEED_QUERIES,
) -> dict[str, Any]:
    """Serve `index_dir` with `workers` processes and run `users` locust users for `seconds` (≤ 60)."""
    seconds = max(5, min(int(seconds), 60))
    from indexer.manifest import version_dir

    version_dir(Path(index_dir))  # a missing index fails here, clearly, not as a server that never answers
    work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           ENV_QUERIES: str(queries)}
    # One intra-op thread per worker: several workers each using every core only fight over them.
    serve_env = {**env, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    # `lexvn serve --workers N` itself, in a child process: the benchmark talks to the API over HTTP only.
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--index", str(Path(index_dir).resolve()), "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=serve_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        health = wait_until_healthy(base_url, server, timeout=300)
        for query in load_queries(queries)[:5]:  # warm each worker's encoder before measuring
            urllib.request.urlopen(f"{base_url}/search?{urllib.parse.urlencode({'query': query})}", timeout=30).read()
        prefix = work_dir / f"locust-{index_dir.name}"
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(Path(__file__).resolve()), "--headless",
             "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
             "--host", base_url, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
             "--stop-timeout", "5"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120,
        )
        if not Path(f"{prefix}_stats.csv").exists():
            raise RuntimeError(f"locust wrote no statistics: {locust.stderr[-2000:]}")
        figures = read_locust_csv(prefix)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    low, high = wait_range()
    return {
        **figures,
        "users": users,
        "workers": workers,
        "seconds": seconds,
        "think_time_s": [low, high],
        "documents": health.get("documents"),
        "clauses": health.get("clauses"),
    }


def bench_load(
    corpus_dir: Path, vlc_dir: Path, work_dir: Path, seconds: int = 30, users: int = USERS,
    vlc_index: Path | None = None,
) -> dict[str, Any]:
    """`make bench` section: hybrid-query load on the seed index and on a VLC index, 2 workers, 20 users.

    `vlc_index`: an already built index of `vlc_dir` to reuse; by default one is built (or reused when up
    to date) under `work_dir/vlc-index`, which takes several minutes the first time.
    """
    work_dir = Path(work_dir)
    result: dict[str, Any] = {"target": f"p99 <= {TARGET_P99_MS:.0f} ms on the seed index with {WORKERS} workers"}
    seed_index = work_dir / "seed-index"
    result["seed_build"] = ensure_index(Path(corpus_dir), seed_index)
    result["seed"] = load_run(seed_index, work_dir, seconds, users)
    result["seed"]["meets_target"] = result["seed"]["p99_ms"] <= TARGET_P99_MS and result["seed"]["failures"] == 0
    if vlc_dir and Path(vlc_dir).is_dir():
        if vlc_index is None:
            vlc_index = work_dir / "vlc-index"
            result["vlc_build"] = ensure_index(Path(vlc_dir), vlc_index)
        result["vlc"] = load_run(Path(vlc_index), work_dir, seconds, users)
    return result


if __name__ == "__main__":  # python -m eval.bench.load [seconds]: both runs, figures as JSON
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    seconds_arg = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    report = bench_load(CORPUS_DIR, VLC_DIR, WORK_DIR / "bench" / "load", seconds_arg)
    print(json.dumps(report, ensure_ascii=False, indent=2))
