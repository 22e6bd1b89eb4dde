"""VLC laws: every `Điều N.` heading line becomes an article clause; khoản and điểm nest under it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.bench.ingest import ARTICLE_LINE, bench_parse_vlc
from indexer.model import CleanedText, DocumentMeta
from indexer.parse import parse_clauses
from tests.conftest import VLC

SAMPLE = ["Luat-68-2020-QH14-cu-tru-435315.txt", "Bo-luat-dan-su-2015-296215.txt",
          "Luat-08-2017-QH14-Thuy-loi-2017-322933.txt"]

pytestmark = pytest.mark.skipif(not VLC.is_dir(), reason="../shared/vlc is not available")


@pytest.mark.parametrize("name", SAMPLE)
def test_articles_khoan_diem_on_sample_laws(name: str) -> None:
    text = (VLC / name).read_text(encoding="utf-8")
    clauses = parse_clauses(Path(name).stem, text, CleanedText(), DocumentMeta(doc_type="Luật", number="x"))
    articles = [c for c in clauses if c.kind == "dieu"]
    expected = [m.group(1) for m in ARTICLE_LINE.finditer(text)]
    assert [a.path[-1].label for a in articles] == expected
    by_id = {c.id: c for c in clauses}
    for clause in clauses:
        assert text[clause.span[0] : clause.span[1]] == clause.text
        if clause.kind == "khoan":
            assert by_id[clause.parent_id].kind == "dieu"
            assert re.match(r"Điều \d+[a-zđ]?\.", clause.headings[-1])
            assert clause.citation.startswith(f"khoản {clause.path[-1].label} Điều ")
        if clause.kind == "diem":
            assert by_id[clause.parent_id].kind in ("khoan", "dieu")
    assert sum(c.kind == "khoan" for c in clauses) > len(articles)


def test_civil_code_article_citation_and_ids() -> None:
    text = (VLC / "Bo-luat-dan-su-2015-296215.txt").read_text(encoding="utf-8")
    meta = DocumentMeta(doc_type="Bộ luật", number="91/2015/QH13", title="Bộ luật Dân sự")
    clauses = {c.id.split(":", 1)[1]: c for c in parse_clauses("blds", text, CleanedText(), meta)}
    clause = clauses["d2.k1"]
    assert clause.citation == "khoản 1 Điều 2 Bộ luật Dân sự số 91/2015/QH13"
    assert clause.citation_en == "clause 1, Article 2 of Code No. 91/2015/QH13"
    assert clauses["d2"].title and clauses["d2"].kind == "dieu"
    chapters = [c for c in clauses.values() if c.kind == "chuong"]
    assert chapters and chapters[0].title  # the chapter title on the line below "Chương I" joins it


@pytest.mark.slow
def test_whole_vlc_coverage() -> None:
    report = bench_parse_vlc(VLC)
    assert report["files"] == 208 and report["files_failed"] == 0
    assert report["coverage_pct"] >= 99.0
    assert report["khoan_diem_nested_pct"] >= 99.0


def test_part_ordinals_become_numbers_in_ids() -> None:
    name = "Bo-luat-to-tung-hinh-su-2015-296884"
    text = (VLC / f"{name}.txt").read_text(encoding="utf-8")
    clauses = parse_clauses(name, text, CleanedText(), DocumentMeta(doc_type="Bộ luật", title="Bộ luật Tố tụng hình sự"))
    ids = {c.id for c in clauses}
    assert f"{name}:p2.chXIV" in ids
    parts = [c for c in clauses if c.kind == "phan"]
    assert [c.id.split(":", 1)[1] for c in parts] == [f"p{n}" for n in range(1, len(parts) + 1)]
    assert parts[1].citation.startswith("Phần thứ hai ")  # citations keep the words


@pytest.mark.slow
def test_whole_vlc_clause_ids_are_url_path_safe_and_unique() -> None:
    for path in sorted(VLC.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        ids = [c.id for c in parse_clauses(path.stem, text, CleanedText(), DocumentMeta(doc_type="Luật"))]
        assert len(ids) == len(set(ids)), path.name
        bad = [i for i in ids if not re.fullmatch(r"[^\s/#?]+", i)]
        assert not bad, (path.name, bad[:5])


def test_bare_article_headings_of_older_laws() -> None:
    """"Điều 2" alone on a line (no full stop) is an article heading too (Luật Dầu khí 1993)."""
    name = "Luat-Dau-khi-1993-18-L-CTN-38474"
    text = (VLC / f"{name}.txt").read_text(encoding="utf-8")
    clauses = parse_clauses(name, text, CleanedText(), DocumentMeta(doc_type="Luật"))
    labels = [c.path[-1].label for c in clauses if c.kind == "dieu"]
    bare = re.findall(r"^\s*Điều\s+(\d+)\s*$", text, re.M)
    assert len(bare) > 40 and all(label in labels for label in bare)
    assert labels[:3] == ["1", "2", "3"]
