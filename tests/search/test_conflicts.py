"""Cross-checking: seed acceptance (English resolution vs Vietnamese plans) and Luật Doanh nghiệp 2014 vs 2020."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search.crosscheck.conflicts import cross_check
from tests.conftest import VLC

FLOOR = "not less than 0.5%"


def _floor_findings(searcher, target: str):
    return [c for c in cross_check(searcher, "000_4c6edb8a98047afa", target) if FLOOR in c.source.text]


@pytest.mark.parametrize("target", ["002_7aca7bcc376b2da4", "003_9f40a26defcbfd25"])
def test_floor_is_consistent_with_plans_that_keep_it(searcher, target):
    findings = _floor_findings(searcher, target)
    consistent = [c for c in findings if c.kind == "consistent"]
    assert consistent, [(c.kind, c.target.text[:80]) for c in findings]
    assert all("0,5%" in c.target.text for c in consistent)
    assert all(c.source.citation and c.target.citation for c in consistent)


def test_floor_dropped_by_ha_tinh_plan(searcher):
    findings = _floor_findings(searcher, "004_8cdda1c3c077ca03")
    dropped = [c for c in findings if c.kind == "obligation_dropped"]
    assert dropped, [(c.kind, c.target.text[:80]) for c in findings]
    assert "khả năng cân đối ngân sách" in " ".join(dropped[0].target.text.split())
    assert dropped[0].source.citation and dropped[0].target.citation


@pytest.mark.slow
def test_enterprise_law_state_enterprise_definition_value_changed(tmp_path: Path):
    from indexer.build import build_index
    from search import Searcher

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    old = next(VLC.glob("Luat-Doanh-nghiep-2014-*.txt"))
    new = next(VLC.glob("Luat-Doanh-nghiep-so-59-2020-QH14-*.txt"))
    for path in (old, new):
        shutil.copy(path, corpus / path.name)
    build_index(corpus, tmp_path / "index", dense=True, progress=False)
    findings = cross_check(Searcher.open(tmp_path / "index"), old.stem, new.stem)
    definition = [c for c in findings if c.kind == "value_changed" and "Doanh nghiệp nhà nước là" in c.source.text]
    assert definition, "the state-enterprise definition (100% → trên 50%) is not reported"
    assert "trên 50%" in definition[0].target.text
    differences = [c for c in findings if c.kind != "consistent"]
    assert 5 <= len(differences) <= 200  # the pair differs in many places, but not everywhere


def test_coverage_lists_every_clause_of_the_reference_with_its_status(searcher):
    from search.crosscheck.align import alignable
    from search.crosscheck.conflicts import coverage

    reference = searcher.get_document("000_4c6edb8a98047afa")
    for plan, floor_status in (("002_7aca7bcc376b2da4", "implemented"), ("003_9f40a26defcbfd25", "implemented"),
                               ("004_8cdda1c3c077ca03", "omitted")):
        rows = coverage(searcher, plan, "000_4c6edb8a98047afa")
        assert [r.clause.clause_id for r in rows] == [c.id for c in reference.clauses if alignable(c)]
        for row in rows:
            assert (row.status == "omitted") == (not row.counterparts)
            assert all(c.doc_id == plan for c in row.counterparts)
            assert (row.status == "changed") == bool(row.findings)
        floor = [r for r in rows if FLOOR in r.clause.text]
        assert [r.status for r in floor] == [floor_status], plan
        if floor_status == "implemented":
            assert "0,5%" in floor[0].counterparts[0].text
