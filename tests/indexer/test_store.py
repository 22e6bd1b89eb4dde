"""The clause and document store: what a build writes reads back whole, the clause table says what the
clauses say, the searcher holds no clause until a query touches one, and a version deleted under a
serving searcher still answers."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from indexer import manifest as mf
from indexer.kinds import READING_UNIT_KINDS
from indexer.store import STORE_FILE, TABLE_FILE, ClauseTable, Store, is_bare, read_documents
from tests.conftest import CORPUS


def test_the_store_gives_back_the_ingested_documents(seed_index: Path) -> None:
    from indexer.pipeline import ingest_corpus

    ingested, _report = ingest_corpus(CORPUS, progress=False)
    stored = list(read_documents(mf.version_dir(seed_index)))
    assert [d.doc_id for d in stored] == sorted(d.doc_id for d in ingested)
    by_id = {d.doc_id: d for d in ingested}
    for document in stored:
        assert document.to_dict() == by_id[document.doc_id].to_dict()


def test_the_clause_table_follows_the_clause_tree(seed_index: Path) -> None:
    directory = mf.version_dir(seed_index)
    table = ClauseTable.load(directory / TABLE_FILE)
    clauses = [c for d in read_documents(directory) for c in d.clauses]
    position = {c.id: i for i, c in enumerate(clauses)}
    assert len(table) == len(clauses)
    checked_units = checked_leads = 0
    for i, clause in enumerate(clauses):
        assert table.kind[i] == clause.kind and table.language[i] == clause.language
        assert clauses[int(table.lead[i])].doc_id == clause.doc_id
        # a clause's unit is the nearest reading unit above it (or itself), in its own document
        ancestor, unit = clause, i
        while ancestor is not None:
            if ancestor.kind in READING_UNIT_KINDS:
                unit = position[ancestor.id]
                break
            ancestor = clauses[position[ancestor.parent_id]] if ancestor.parent_id else None
        assert int(table.unit[i]) == unit, clause.id
        checked_units += unit != i
        # a bare heading ("Điều 5. Title", "III. NHIỆM VỤ") stands for a clause with content under it
        if is_bare(clause) and table.lead[i] != i:
            lead = clauses[int(table.lead[i])]
            assert lead.parent_id is not None and position[lead.parent_id] >= i
            checked_leads += 1
    assert checked_units > 100 and checked_leads > 10
    assert np.array_equal(table.doc, np.sort(table.doc))  # documents in order, each clause under its own


def test_the_searcher_reads_clauses_only_when_a_query_touches_them(seed_index: Path) -> None:
    from search import Searcher

    searcher = Searcher.open(seed_index)
    assert len(searcher._clause_cache) == 0
    hits = searcher.search("kinh phí xây dựng pháp luật", k=5, mode="bm25")
    assert 0 < len(searcher._clause_cache) <= 5
    assert [searcher.get_clause(h.clause_id).text for h in hits] == [h.text for h in hits]


def test_a_version_deleted_under_a_searcher_still_answers(seed_index: Path, tmp_path: Path) -> None:
    """A build publishes a version and deletes the old one while a server still reads it: the store file
    stays readable through the connection the searcher opened, from any thread."""
    from search import Searcher

    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    searcher = Searcher.open(index)
    expected = [h.clause_id for h in searcher.search("0,5% tổng chi ngân sách", k=5)]
    shutil.rmtree(mf.version_dir(index))
    found: list[list[str]] = []
    worker = threading.Thread(target=lambda: found.append(
        [h.clause_id for h in searcher.search("0,5% tổng chi ngân sách", k=5)]))
    worker.start()
    worker.join()
    assert found == [expected]


def test_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    from indexer.store import StoreError

    with pytest.raises(StoreError, match="store.sqlite is missing"):
        Store(tmp_path / STORE_FILE)


def test_the_fast_clause_dict_is_asdict(searcher) -> None:
    import dataclasses

    from indexer.model import clause_from_dict, clause_to_dict

    for info in searcher.documents():
        for clause in searcher.get_document(info.doc_id).clauses:
            assert clause_to_dict(clause) == dataclasses.asdict(clause)
            assert clause_from_dict(clause_to_dict(clause)) == clause


def test_a_clause_row_holds_its_key_and_chain_not_its_whole_id_and_headings(seed_index: Path) -> None:
    """What the store leaves out of a clause's row comes back from its document's row: the id prefix its
    clauses share, its heading chains, each stored once."""
    import sqlite3

    from indexer.store import document_layout, id_prefix, read_only_uri

    assert id_prefix(["Luat-1:d1", "Luat-1:d1.k2", "Luat-1:d10"]) == "Luat-1:"
    assert id_prefix(["a:b:c"]) == "a:b:" and id_prefix(["x", "y"]) == "" and id_prefix([]) == ""
    directory = mf.version_dir(seed_index)
    documents = list(read_documents(directory))
    document = max(documents, key=lambda d: len(d.clauses))
    layout = document_layout(document, 0, 5)
    assert len(layout.chains) < len(document.clauses) / 2
    for clause, (key, _parent, chain) in zip(document.clauses, layout.rows, strict=True):
        assert layout.id_prefix + key == clause.id and layout.chains[chain - 5] == clause.headings
    connection = sqlite3.connect(read_only_uri(directory / STORE_FILE), uri=True)
    try:
        keys = [row[0] for row in connection.execute("SELECT key FROM clauses ORDER BY position")]
    finally:
        connection.close()
    ids = [clause.id for d in documents for clause in d.clauses]
    assert len(keys) == len(ids) and all(i.endswith(k) and len(k) < len(i) for k, i in zip(keys, ids, strict=True))
    assert Store(directory / STORE_FILE).clause_ids() == ids
