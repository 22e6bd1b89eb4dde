"""Cross-checking: the direction rule (A under review, B the reference, either order), the 0.5% floor of
66-NQ/TW in the seed plans, moved numbers, bilingual messages, the implementation matrix."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from indexer.model import Clause, Document, DocumentMeta, PathStep, Reference
from search.crosscheck.conflicts import (
    PairCheck,
    coverage,
    coverage_csv,
    coverage_markdown,
    coverage_matrix,
    cross_check,
    implementing_documents,
    roles,
)
from search.crosscheck.messages import document_name
from tests.conftest import VLC

RESOLUTION, HA_TINH, PLAN_002, VINH_LONG = ("000_4c6edb8a98047afa", "004_8cdda1c3c077ca03", "002_7aca7bcc376b2da4",
                                            "003_9f40a26defcbfd25")
FLOOR = "not less than 0.5%"
FLOOR_CLAUSE = f"{RESOLUTION}:III.7.-2"


def _floor(findings):
    return [c for c in findings if c.target is not None and FLOOR in c.target.text and c.kind != "consistent"]


@pytest.mark.parametrize("order", [(HA_TINH, RESOLUTION), (RESOLUTION, HA_TINH)])
def test_ha_tinh_drops_the_floor_whichever_document_is_named_first(searcher, order):
    findings = cross_check(searcher, *order)
    assert {c.reviewed_doc for c in findings} == {HA_TINH} and {c.reference_doc for c in findings} == {RESOLUTION}
    dropped = [c for c in _floor(findings) if c.kind == "obligation_dropped"]
    assert len(dropped) == 1, [(c.kind, c.differences) for c in findings]
    floor = dropped[0]
    assert floor.target.clause_id == FLOOR_CLAUSE and floor.target.citation.startswith("second bullet, point 7, Part III")
    # the closest clause of Hà Tĩnh's programme, which speaks of law-making spending without the 0.5%
    assert floor.counterpart == "nearest" and floor.source.doc_id == HA_TINH
    assert "khả năng cân đối ngân sách" in " ".join(floor.source.text.split())
    assert floor.changes == [{"kind": "obligation_dropped", "reviewed": None, "reference": floor.changes[0]["reference"]}]
    assert floor.changes[0]["reference"]["value"] == 0.5 and floor.changes[0]["reference"]["comparator"] == "ge"
    assert floor.message_en.startswith("Hà Tĩnh's programme omits the floor of ≥ 0.5%")
    assert floor.target.citation in floor.message_en and "second bullet, point 7, Part III of Action Programme" in floor.message_en
    assert floor.message_vi.startswith("Chương trình hành động của Ban Thường vụ Tỉnh ủy Hà Tĩnh bỏ mức tối thiểu ≥ 0,5%")
    assert "gạch đầu dòng thứ hai, điểm 7, Mục III Nghị quyết số 66-NQ/TW" in floor.message_vi


@pytest.mark.parametrize("plan", [PLAN_002, VINH_LONG])
def test_plans_that_keep_the_floor_are_consistent_in_either_order(searcher, plan):
    for order in ((plan, RESOLUTION), (RESOLUTION, plan)):
        findings = cross_check(searcher, *order)
        assert not _floor(findings), [(c.kind, c.differences) for c in _floor(findings)]
        kept = [c for c in findings if c.kind == "consistent" and c.target.clause_id == FLOOR_CLAUSE]
        assert kept and all("0,5%" in c.source.text and c.source.doc_id == plan for c in kept)


def test_coverage_of_66_nq_tw_in_three_plans(searcher):
    reference = searcher.get_document(RESOLUTION)
    from search.crosscheck.align import alignable

    for plan, floor_status in ((PLAN_002, "implemented"), (VINH_LONG, "implemented"), (HA_TINH, "omitted")):
        matrix = coverage(searcher, RESOLUTION, plan)  # the reference first: the roles still put the plan as A
        assert (matrix.reviewed, matrix.reference, matrix.basis, matrix.swapped) == (plan, RESOLUTION, "cites", True)
        assert [r.clause.clause_id for r in matrix.rows] == [c.id for c in reference.clauses if alignable(c)]
        assert sum(matrix.totals.values()) == len(matrix.rows)
        for row in matrix.rows:
            assert (row.status == "omitted") == (not row.counterparts)
            assert all(c.doc_id == plan for c in row.counterparts)
            if row.status == "changed":
                assert row.changes and all(change.reference_value or change.reviewed_value for change in row.changes)
        floor = next(r for r in matrix.rows if r.clause.clause_id == FLOOR_CLAUSE)
        assert floor.status == floor_status, plan
        if floor_status == "implemented":
            assert "0,5%" in floor.counterparts[0].text
        else:  # what Hà Tĩnh leaves out, and where it would have been
            assert [(c.kind, c.fact, c.reference_value, c.reviewed_value) for c in floor.changes] == \
                [("obligation_dropped", "percent", "≥ 0.5%", "—")]
            assert floor.nearest is not None and floor.nearest.clause_id == f"{HA_TINH}:III.7.-2"


def test_coverage_matrix_of_every_document_implementing_the_resolution(searcher):
    assert implementing_documents(searcher, RESOLUTION) == [PLAN_002, VINH_LONG, HA_TINH]
    matrix = coverage_matrix(searcher, RESOLUTION)
    assert matrix.documents == [PLAN_002, VINH_LONG, HA_TINH]
    table = coverage_markdown(matrix.pairs)
    floor_line = next(line for line in table.splitlines() if FLOOR in line.replace("\\|", "|"))
    assert floor_line.count("✔ implemented") == 2 and "✘ omitted" in floor_line and "≥ 0.5% → —" in floor_line
    rows = list(csv.DictReader(io.StringIO(coverage_csv(matrix.pairs))))
    assert len(rows) == sum(len(p.rows) for p in matrix.pairs)
    floor_rows = {r["reviewed_doc"]: r for r in rows if r["reference_clause_id"] == FLOOR_CLAUSE}
    assert {d: r["status"] for d, r in floor_rows.items()} == {PLAN_002: "implemented", VINH_LONG: "implemented",
                                                               HA_TINH: "omitted"}
    assert floor_rows[HA_TINH]["nearest"] == f"{HA_TINH}:III.7.-2"


# ---------------------------------------------------------------------------------------------- made-up pairs

def _document(doc_id: str, articles: dict[str, list[str]], date: str | None = None, number: str | None = None,
              cites: str | None = None) -> Document:
    """A small law: {"5": ["khoản 1 text", "khoản 2 text"]} → Điều 5 with its khoản."""
    clauses: list[Clause] = []
    for article, items in articles.items():
        heading = f"Điều {article}. Thời hạn"
        clauses.append(Clause(id=f"{doc_id}:d{article}", doc_id=doc_id, kind="dieu", path=[PathStep("dieu", article)],
                              headings=[], text=heading, span=(0, 0), lines=(1, 1), citation=f"Điều {article} {doc_id}",
                              citation_en=f"Article {article} of {doc_id}", clean_text=heading, title=heading))
        for item, text in enumerate(items, start=1):
            clauses.append(Clause(
                id=f"{doc_id}:d{article}.k{item}", doc_id=doc_id, kind="khoan",
                path=[PathStep("dieu", article), PathStep("khoan", str(item))], headings=[heading], text=text,
                span=(0, len(text)), lines=(1, 1), citation=f"khoản {item} Điều {article} {doc_id}",
                citation_en=f"clause {item}, Article {article} of {doc_id}", clean_text=text,
                parent_id=f"{doc_id}:d{article}"))
    references = [Reference(text=cites, key=cites, resolved_doc_id=cites)] if cites else []
    return Document(doc_id, f"{doc_id}.txt", "", "txt", "utf-8", "", DocumentMeta(doc_type="Luật", number=number,
                    date=date, title="Luật Thử nghiệm"), clauses=clauses, references=references)


OLD = {"5": ["Hồ sơ đăng ký phải được nộp cho cơ quan đăng ký kinh doanh không quá 30 ngày kể từ ngày quyết định thành lập chi nhánh.",
             "Chi nhánh phải có người đứng đầu có trình độ chuyên môn phù hợp với ngành nghề kinh doanh của doanh nghiệp."],
       "7": ["Doanh nghiệp phải trích lập quỹ dự phòng không thấp hơn 5% lợi nhuận sau thuế hằng năm của doanh nghiệp."]}
NEW = {"5": ["Hồ sơ đăng ký được nộp cho cơ quan đăng ký kinh doanh sau khi doanh nghiệp quyết định thành lập chi nhánh.",
             "Chi nhánh phải có người đứng đầu có trình độ chuyên môn phù hợp với ngành nghề kinh doanh của doanh nghiệp; "
             "hồ sơ đăng ký được nộp không quá 30 ngày kể từ ngày quyết định thành lập chi nhánh."],
       "7": ["Doanh nghiệp phải trích lập quỹ dự phòng theo quy định của Chính phủ từ lợi nhuận sau thuế của doanh nghiệp."],
       "9": ["Doanh nghiệp phải công bố báo cáo tài chính chậm nhất là 90 ngày kể từ ngày kết thúc năm tài chính."]}


def _check(first: Document, second: Document) -> PairCheck:
    pair = roles(first, second)
    return PairCheck(pair.reviewed, pair.reference)


def test_roles_put_the_cited_or_older_document_as_reference_in_either_order():
    old, new = _document("luat-cu", OLD, "2014-11-26", "68/2014/QH13"), _document("luat-moi", NEW, "2020-06-17", "59/2020/QH14")
    for first, second in ((old, new), (new, old)):
        pair = roles(first, second)
        assert (pair.reviewed.doc_id, pair.reference.doc_id, pair.basis) == ("luat-moi", "luat-cu", "older")
        assert pair.swapped == (first is old)
    plan = _document("ke-hoach", NEW, cites="luat-cu")  # a plan citing the law it implements, no date
    assert roles(old, plan).reviewed.doc_id == "ke-hoach" and roles(old, plan).basis == "cites"
    undated = _document("a", OLD), _document("b", NEW)
    assert roles(*undated).basis == "order" and roles(*undated).reviewed.doc_id == "a"


def test_dropped_and_added_obligations_name_which_document_does_what_in_either_order():
    old, new = _document("luat-cu", OLD, "2014-11-26", "68/2014/QH13"), _document("luat-moi", NEW, "2020-06-17", "59/2020/QH14")
    for first, second in ((old, new), (new, old)):
        findings = {(c.kind, c.target.clause_id if c.target else None, c.source.clause_id if c.source else None): c
                    for c in _check(first, second).conflicts(include_consistent=False)}
        dropped = findings[("obligation_dropped", "luat-cu:d7.k1", "luat-moi:d7.k1")]
        assert dropped.differences[0].startswith("≥ 5 %") and dropped.reviewed_doc == "luat-moi"
        assert dropped.message_en.startswith("Law 59/2020/QH14 omits the floor of ≥ 5% “lợi nhuận sau thuế hằng năm")
        assert "set by khoản 1 Điều 7 luat-cu" not in dropped.message_en  # English citations in English messages
        assert "clause 1, Article 7 of luat-cu" in dropped.message_en and "clause 1, Article 7 of luat-moi" in dropped.message_en
        assert dropped.message_vi.startswith("Luật Thử nghiệm 59/2020/QH14 bỏ mức tối thiểu ≥ 5%")
        added = [c for key, c in findings.items() if key[0] == "obligation_added"]
        assert [(c.source.clause_id, c.target) for c in added] == [("luat-moi:d9.k1", None)]
        assert added[0].message_en.startswith("Law 59/2020/QH14 adds the ceiling of ≤ 90 days")
        # the 30 days moved from khoản 1 to khoản 2 of the same article: not dropped, not added
        assert not [c for c in findings.values() if "30" in " ".join(c.differences)]


def test_changed_values_and_comparators_keep_the_direction():
    old = _document("cu", {"3": ["Người triệu tập phải gửi thông báo mời họp chậm nhất 10 ngày trước ngày khai mạc cuộc họp."],
                          "4": ["Cuộc họp được tiến hành khi có số thành viên dự họp đại diện ít nhất 51% tổng số phiếu biểu quyết."]},
                    "2014-01-01")
    new = _document("moi", {"3": ["Người triệu tập phải gửi thông báo mời họp chậm nhất là 21 ngày trước ngày khai mạc cuộc họp."],
                           "4": ["Cuộc họp được tiến hành khi có số thành viên dự họp đại diện trên 50% tổng số phiếu biểu quyết."]},
                    "2020-01-01")
    for first, second in ((old, new), (new, old)):
        findings = _check(first, second).conflicts(include_consistent=False)
        changes = {(c.source.clause_id, c.target.clause_id): c for c in findings}
        assert set(changes) == {("moi:d3.k1", "cu:d3.k1"), ("moi:d4.k1", "cu:d4.k1")}
        days = changes[("moi:d3.k1", "cu:d3.k1")]
        assert days.kind == "value_changed" and days.differences[0].startswith("≥ 10 day → ≥ 21 day")
        assert days.message_en.startswith("The law sets ≥ 21 days where clause 1, Article 3 of cu sets ≥ 10 days")
        assert changes[("moi:d4.k1", "cu:d4.k1")].differences[0].startswith("≥ 51 % → > 50 %")


def test_equivalent_phrasings_are_no_difference():
    old = _document("cu", {"2": ["Nội dung và các tài liệu cuộc họp phải gửi đến các thành viên trước ngày họp ít nhất 03 ngày làm việc.",
                                "Nghị quyết được thông qua khi có hơn một nửa số thành viên dự họp tán thành.",
                                "Việc sửa đổi Điều lệ phải được ít nhất ba phần tư số thành viên dự họp tán thành."]}, "2014-01-01")
    new = _document("moi", {"2": ["Nội dung và các tài liệu cuộc họp phải gửi đến các thành viên chậm nhất là 03 ngày làm việc trước ngày họp.",
                                 "Nghị quyết được thông qua khi có trên 50% số thành viên dự họp tán thành.",
                                 "Việc sửa đổi Điều lệ phải được ít nhất 75% số thành viên dự họp tán thành."]}, "2020-01-01")
    check = _check(new, old)
    assert check.conflicts(include_consistent=False) == []
    assert len([c for c in check.conflicts() if c.kind == "consistent"]) == 3


def test_document_names():
    assert document_name(_document("x", {}, number="59/2020/QH14")).en == "Law 59/2020/QH14"
    plan = Document("p", "p.txt", "", "txt", "utf-8", "", DocumentMeta(doc_type="Chương trình hành động",
                    issuer="Ban Thường vụ Tỉnh ủy Hà Tĩnh"))
    assert (document_name(plan).vi, document_name(plan).en) == \
        ("Chương trình hành động của Ban Thường vụ Tỉnh ủy Hà Tĩnh", "Hà Tĩnh's programme")


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
    searcher = Searcher.open(tmp_path / "index")
    for order in ((old.stem, new.stem), (new.stem, old.stem)):
        findings = cross_check(searcher, *order)
        definition = [c for c in findings if c.kind == "value_changed" and "Doanh nghiệp nhà nước là" in c.target.text]
        assert definition, "the state-enterprise definition (100% → trên 50%) is not reported"
        assert "trên 50%" in definition[0].source.text and definition[0].reviewed_doc == new.stem
        differences = [c for c in findings if c.kind != "consistent"]
        assert 5 <= len(differences) <= 200
