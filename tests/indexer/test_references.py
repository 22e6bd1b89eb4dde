"""References to other documents: keys, dates, issuers, relations, in-document articles, corpus resolution."""

from __future__ import annotations

from indexer.clean import clean_text
from indexer.model import Document, DocumentMeta, Reference
from indexer.references import find_references, resolve_references
from tests.conftest import CORPUS

SEEDS = {path.name[:3]: path for path in sorted((CORPUS / "seeds").glob("*.txt"))}


def refs_of(key: str) -> list[Reference]:
    text = SEEDS[key].read_text("utf-8")
    return find_references(text, clean_text(text))


def dates_by_key(references: list[Reference]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for reference in references:
        found.setdefault(reference.key, set())
        if reference.date:
            found[reference.key].add(reference.date)
    return found


def test_seed_references_with_their_dates() -> None:
    found: dict[str, set[str]] = {}
    for key in SEEDS:
        for number, dates in dates_by_key(refs_of(key)).items():
            found.setdefault(number, set()).update(dates)
    expected = {
        "66-NQ/TW": "2025-04-30", "140/NQ-CP": "2025-05-17", "178-QĐ/TW": "2024-06-27", "57-NQ/TW": "2024-12-22",
        "59-NQ/TW": "2025-01-24", "68-NQ/TW": "2025-05-04", "197/2025/QH15": "2025-05-17", "390-KH/TU": "2025-05-20",
    }
    for number, date in expected.items():
        assert number in found, number
        assert found[number] == {date}, (number, found[number])


def test_reference_fields_and_spans_map_to_the_original() -> None:
    text = SEEDS["003"].read_text("utf-8")
    references = refs_of("003")
    first = next(r for r in references if r.key == "390-KH/TU")
    assert (first.doc_type, first.number, first.issuer, first.relation) == ("Kế hoạch", "390-KH/TU", "Tỉnh ủy", "thuc_hien")
    # The mention is hard-wrapped over several lines in the source; the span covers it there.
    assert text[first.span[0]:first.span[1]].startswith("Kế hoạch số 390-KH/TU ngày 20 tháng 5 năm 2025")
    can_cu = [r for r in references if r.relation == "can_cu"]
    assert {r.key for r in can_cu} >= {"66-NQ/TW", "140/NQ-CP"}
    # The issuer is read through the glyph repair: "Ban Thường v  Tỉnh ủy" -> "Ban Thường vụ Tỉnh ủy".
    assert any(r.key == "336-KH/TU" and r.issuer == "Ban Thường vụ Tỉnh ủy" for r in references)


def test_english_mentions() -> None:
    references = refs_of("000")
    assert [(r.key, r.doc_type, r.issuer) for r in references] == [("66-NQ/TW", "Nghị quyết", "Politburo")]
    plan = next(r for r in refs_of("001") if r.key == "39-KH/DU")
    assert plan.date == "2025-07-07"


def test_relations_and_in_document_articles() -> None:
    text = (
        "Căn cứ Luật Doanh nghiệp số 59/2020/QH14;\n"
        "Nghị định này sửa đổi, bổ sung Nghị định số 01/2021/NĐ-CP ngày 04 tháng 01 năm 2021 của Chính phủ.\n"
        "Thay thế Thông tư số 02/2019/TT-BKHĐT; bãi bỏ Quyết định số 5/2010/QĐ-TTg.\n"
        "Điều 35. Quyền của người lao động\n"
        "Trường hợp quy định tại Điều 35 của Bộ luật này và khoản 2 Điều 36 thì áp dụng Điều 5 của Luật Đất đai.\n"
    )
    references = {r.key: r for r in find_references(text)}
    assert references["59/2020/QH14"].relation == "can_cu"
    assert references["59/2020/QH14"].doc_type == "Luật"
    decree = references["01/2021/NĐ-CP"]
    assert (decree.relation, decree.date, decree.issuer) == ("sua_doi_bo_sung", "2021-01-04", "Chính phủ")
    assert references["02/2019/TT-BKHĐT"].relation == "thay_the"
    assert references["5/2010/QĐ-TTG"].relation == "bai_bo"
    assert "dieu:35" in references and "dieu:36" in references
    assert "dieu:5" not in references  # an article of another (unnumbered) law
    headings = [r for r in find_references(text) if r.key == "dieu:35"]
    assert len(headings) == 1  # the article's own heading is not a reference


def test_resolution_across_the_corpus() -> None:
    def document(doc_id: str, number: str | None, references: list[Reference]) -> Document:
        return Document(doc_id, f"{doc_id}.txt", "0", "txt", "utf-8", "", DocumentMeta(number=number),
                        references=references)

    plan = document("plan", "390-KH/TU", [Reference("Điều 3", "dieu:3")])
    decision = document("decision", "1218/QĐ-UBND",
                        [Reference("Kế hoạch số 390-KH/TU", "390-KH/TU"), Reference("Nghị quyết 66", "66-NQ/TW")])
    resolve_references([plan, decision])
    assert decision.references[0].resolved_doc_id == "plan"
    assert decision.references[1].resolved_doc_id is None
    assert plan.references[0].resolved_doc_id == "plan"
