"""Sharded indexes on a real Ray cluster of two nodes on 127.0.0.1 (a head and a second node, started by
ray.cluster_utils): a sharded build equals one index, a node killed during a build is survived or fails
the build cleanly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CORPUS, SEED_QUERIES

ray = pytest.importorskip("ray")

from indexer import manifest as mf  # noqa: E402
from indexer.shards import ShardBuildError, build_sharded, read_shards, read_statistics, shard_ranges  # noqa: E402

CROSSLINGUAL_DEV = Path(__file__).resolve().parents[2] / "eval" / "questions" / "seed_crosslingual.dev.jsonl"
MODES = ("hybrid", "bm25", "dense", "phrase")


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    # Faster health checks than Ray's defaults: this module took 40 s without them, 32 s with them.
    config = {"health_check_period_ms": 300, "health_check_failure_threshold": 3, "health_check_timeout_ms": 300}
    head = {"num_cpus": 1, "include_dashboard": False, "_system_config": config}
    cluster = Cluster(initialize_head=True, head_node_args=head)
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    cluster.wait_for_nodes()
    yield cluster
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="module")
def sharded_index(cluster, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, set[str]]:
    index_dir = tmp_path_factory.mktemp("sharded") / "index"
    nodes: set[str] = set()
    result = build_sharded(CORPUS, index_dir, 3, on_progress=lambda _done, _total, node: nodes.add(node))
    return index_dir, result, nodes


def queries() -> list[str]:
    lines = [*SEED_QUERIES.read_text(encoding="utf-8").splitlines(),
             *CROSSLINGUAL_DEV.read_text(encoding="utf-8").splitlines()]
    return [json.loads(line)["query"] for line in lines if line.strip()]


def test_shard_ranges_are_contiguous_balanced_and_never_empty():
    assert shard_ranges([10, 10, 10, 10], 2) == [(0, 2), (2, 4)]
    assert shard_ranges([100, 1, 1, 1], 3) == [(0, 1), (1, 2), (2, 4)]
    ranges = shard_ranges([5] * 10, 3)
    assert ranges[0][0] == 0 and ranges[-1][1] == 10
    assert all(start < end for start, end in ranges)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    with pytest.raises(ShardBuildError, match="at most as many shards as documents"):
        shard_ranges([5, 5], 3)


def test_the_build_runs_on_both_nodes_and_writes_three_shards(sharded_index):
    index_dir, result, nodes = sharded_index
    assert len(nodes) == 2 and nodes <= {node["NodeID"] for node in ray.nodes()}
    directory = mf.version_dir(index_dir)
    shards = read_shards(directory)
    assert [shard.name for shard in shards] == ["shard-00", "shard-01", "shard-02"]
    assert sum(shard.clauses for shard in shards) == result["counts"]["clauses"]
    assert [shard.first_clause for shard in shards] == [0, shards[0].clauses, shards[0].clauses + shards[1].clauses]
    for shard in shards:  # each shard's BM25 used the collection's statistics
        assert mf.read_manifest(mf.version_dir(shard.directory)).bm25["collection_clauses"] == result["counts"]["clauses"]


def test_the_statistics_written_are_those_of_one_index_over_the_corpus(sharded_index, seed_index):
    """What the shards were scored with, against the term counts a single build of the corpus stored."""
    from indexer.bm25 import document_frequencies, row_lengths
    from indexer.build import UNIT_FIELD, load_terms, unit_counts
    from indexer.store import TABLE_FILE, ClauseTable

    written = read_statistics(mf.version_dir(sharded_index[0]))
    single = load_terms(mf.version_dir(seed_index))
    body = single.fields["body"]
    units = unit_counts(body.counts, ClauseTable.load(mf.version_dir(seed_index) / TABLE_FILE).unit)
    for name, counts, vocab in (*((n, rows.counts, rows.vocab) for n, rows in single.fields.items()),
                                (UNIT_FIELD, units, body.vocab)):
        lengths = row_lengths(counts)
        assert written[name].n_docs == len(lengths)
        assert written[name].avg_doc_len == float(lengths.mean())
        assert written[name].document_frequencies == document_frequencies(counts, vocab)


def test_sharded_search_returns_what_one_index_returns(sharded_index, searcher):
    from search.sharded import ShardedSearcher, open_index

    sharded = open_index(sharded_index[0])
    assert isinstance(sharded, ShardedSearcher)
    assert sharded.clause_ids() == searcher.clause_ids()
    compared = 0
    for query in queries():
        for mode in MODES:
            one = searcher.search(query, k=10, mode=mode)
            many = sharded.search(query, k=10, mode=mode)
            assert [(h.clause_id, h.score, h.scores) for h in many] == [(h.clause_id, h.score, h.scores) for h in one], \
                (mode, query)
            assert [h.highlights for h in many] == [h.highlights for h in one]
            compared += 1
    assert compared >= 200
    filters = {"language": "en"}
    assert [h.clause_id for h in sharded.search("budget", 10, "hybrid", filters)] == \
        [h.clause_id for h in searcher.search("budget", 10, "hybrid", filters)]
    for info in searcher.documents():
        assert sharded.get_document(info.doc_id).clauses == searcher.get_document(info.doc_id).clauses
        assert np.array_equal(sharded.clause_vectors(info.doc_id), searcher.clause_vectors(info.doc_id))
    across = np.array([sharded.clause_count - 1, 0, sharded.clause_count // 2])  # three shards, out of order
    assert np.array_equal(sharded.dense.vectors(across), searcher.dense.vectors(across))
    sharded.close()


def test_a_sharded_index_is_refused_by_the_single_index_reader(sharded_index):
    from search import Searcher

    with pytest.raises(mf.IndexFormatError, match="sharded index"):
        Searcher.open(sharded_index[0])


def copied_corpus(target: Path, copies: int) -> Path:
    """`copies` copies of the seed files under other names: enough tasks that every node is busy."""
    target.mkdir(parents=True)
    for copy in range(copies):
        for path in sorted((CORPUS / "seeds").glob("*.txt")):
            shutil.copyfile(path, target / f"c{copy}_{path.name}")
    return target


def hold_cpu(release: str) -> None:
    """A Ray task that keeps its node's one CPU busy until the file `release` exists (30 s at most)."""
    import time

    deadline = time.monotonic() + 30
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def killing(cluster, tmp_path: Path):
    """An on_progress callback that kills a third node (added now) when it has finished its first file. Until
    then the other nodes' CPUs are held, so every file runs on that node and the next one is running there
    when it dies; its CPUs are released with the kill."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    others = [cluster.head_node.node_id, *(node.node_id for node in cluster.worker_nodes)]
    doomed = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    release = tmp_path / "release"
    hold = ray.remote(num_cpus=1)(hold_cpu)
    held = [hold.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote(str(release))
            for node in others]

    def progress(_done: int, _total: int, node: str) -> None:
        if node == doomed.node_id and doomed in cluster.worker_nodes:
            cluster.remove_node(doomed, allow_graceful=False)
            release.touch()
            ray.get(held)

    return doomed, progress


def test_a_node_killed_during_the_build_is_reported_and_its_files_run_again(cluster, tmp_path):
    corpus = copied_corpus(tmp_path / "corpus", 6)
    doomed, progress = killing(cluster, tmp_path)
    result = build_sharded(corpus, tmp_path / "index", 2, dense=False, on_progress=progress)
    assert result["published"]
    assert result["lost_nodes"] == [doomed.node_id]
    assert result["counts"]["documents"] == 30 and result["counts"]["problems"] == 0


def test_a_build_whose_node_dies_without_retries_fails_and_leaves_the_live_version(cluster, sharded_index, tmp_path):
    index_dir = sharded_index[0]
    live = mf.read_pointer(index_dir)
    corpus = copied_corpus(tmp_path / "corpus", 6)
    _doomed, progress = killing(cluster, tmp_path)
    with pytest.raises(ShardBuildError, match="nothing was published"):
        build_sharded(corpus, index_dir, 2, dense=False, retries=0, on_progress=progress)
    assert mf.read_pointer(index_dir) == live
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("v-")) == [live]


def test_the_cli_builds_and_searches_a_sharded_index_on_the_cluster(cluster, searcher, tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    index_dir = tmp_path / "index"
    built = runner.invoke(app, ["index", str(CORPUS), "--index", str(index_dir), "--shards", "2", "--quiet",
                                "--ray", cluster.address])
    assert built.exit_code == 0, built.output
    assert "in 2 shards" in built.output
    found = runner.invoke(app, ["search", "0,5% tổng chi ngân sách", "--index", str(index_dir), "--json",
                                "--ray", cluster.address])
    assert found.exit_code == 0, found.output
    # Ray's driver prints cluster events (the earlier tests' killed nodes) to stdout: the JSON is its own line
    payload = next(line for line in found.stdout.splitlines() if line.startswith("{"))
    ids = [hit["clause_id"] for hit in json.loads(payload)["results"]]
    assert ids == [hit.clause_id for hit in searcher.search("0,5% tổng chi ngân sách")]
    refused = runner.invoke(app, ["index", str(CORPUS), "--index", str(index_dir), "--quiet"])
    assert refused.exit_code == 2 and "is a sharded index" in refused.output


def test_the_api_serves_a_sharded_index(sharded_index, searcher):
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(sharded_index[0]), raise_server_exceptions=False)
    response = client.get("/search", params={"query": "ngân sách", "k": 5})
    assert response.status_code == 200
    assert [hit["clause_id"] for hit in response.json()["results"]] == \
        [hit.clause_id for hit in searcher.search("ngân sách", k=5)]
    assert client.get("/search", params={"query": "ngân sách", "k": 0}).status_code == 422
