"""Document metadata from headers, headerless policy texts and web articles; the sidecar completes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.clean import clean_text
from indexer.metadata import apply_sidecar, extract_metadata, load_sidecar
from indexer.model import DocumentMeta
from tests.conftest import CORPUS, VLC, vlc_laws

SEEDS = {path.name[:3]: path for path in sorted((CORPUS / "seeds").glob("*.txt"))}


def meta_of(path: Path) -> DocumentMeta:
    text = path.read_text("utf-8")
    return extract_metadata(text, clean_text(text))


def test_seed_003_decision_header() -> None:
    meta = meta_of(SEEDS["003"])
    assert (meta.doc_type, meta.number, meta.date) == ("Quyết định", "1218/QĐ-UBND", "2025-06-25")
    assert meta.issuer == "UBND tỉnh Vĩnh Long"
    assert meta.place == "Vĩnh Long"
    assert meta.title.startswith("Ban hành Kế hoạch thực hiện Nghị quyết số 66-NQ/TW")
    assert meta.language == "vi"


def test_seed_004_action_programme_without_header() -> None:
    meta = meta_of(SEEDS["004"])
    assert meta.doc_type == "Chương trình hành động"
    assert meta.issuer == "Ban Thường vụ Tỉnh ủy Hà Tĩnh"
    assert meta.number is None  # not printed anywhere: never invented
    assert meta.title.startswith("Chương trình hành động thực hiện Nghị quyết số 66-NQ/TW")


def test_english_web_articles() -> None:
    meta = meta_of(SEEDS["000"])
    assert (meta.doc_type, meta.language, meta.date) == ("Bài viết", "en", "2025-05-02")
    assert meta.source_url.startswith("https://baohanam.com.vn/")
    assert meta.title == "The Politburo issued a Resolution on innovation in law making and enforcement."
    meta = meta_of(SEEDS["001"])
    assert (meta.date, meta.language) == ("2025-09-25", "en")
    assert meta.source_url.startswith("https://daibieunhandan.vn/")


def test_seed_002_sidecar_fills_what_the_header_lacks() -> None:
    sidecar = load_sidecar(CORPUS)
    meta = apply_sidecar(meta_of(SEEDS["002"]), sidecar, "seeds/002_7aca7bcc376b2da4.txt", "002_7aca7bcc376b2da4")
    assert meta.doc_type == "Kế hoạch"
    assert meta.issuer == "UBND tỉnh"
    assert "66-NQ/TW" in meta.title and "140/NQ-CP" in meta.title
    assert meta.number is None and meta.date is None


def test_sidecar_by_doc_id_and_by_path(tmp_path: Path) -> None:
    (tmp_path / "metadata.json").write_text(json.dumps({
        "_comment": "ignored",
        "plan": {"number": "12/KH-UBND", "date": "2025-01-02"},
        "sub/plan.txt": {"date": "2025-03-04"},
    }), "utf-8")
    sidecar = load_sidecar(tmp_path)
    meta = apply_sidecar(DocumentMeta(doc_type="Kế hoạch", date="1999-01-01"), sidecar, "sub/plan.txt", "plan")
    assert (meta.doc_type, meta.number, meta.date) == ("Kế hoạch", "12/KH-UBND", "2025-03-04")
    with pytest.raises(ValueError):
        apply_sidecar(DocumentMeta(), {"x": {"numbr": "1"}}, "x.txt", "x")


def test_laws_header() -> None:
    law = VLC / "Bo-Luat-lao-dong-2019-333670.txt"
    if not law.is_file():
        pytest.skip("../shared/vlc not available")
    meta = meta_of(law)
    assert (meta.doc_type, meta.number, meta.date, meta.issuer) == ("Bộ luật", "45/2019/QH14", "2019-11-20", "Quốc hội")
    assert meta.title == "Bộ luật Lao động"
    meta = meta_of(VLC / "Luat-68-2020-QH14-cu-tru-435315.txt")
    assert (meta.doc_type, meta.number, meta.date, meta.title) == ("Luật", "68/2020/QH14", "2020-11-13", "Luật Cư trú")


@pytest.mark.slow
def test_every_law_has_type_number_and_date() -> None:
    laws = vlc_laws()
    missing = []
    for law in laws:
        meta = meta_of(law)
        if not (meta.doc_type in {"Luật", "Bộ luật", "Hiến pháp", "Nghị quyết", "Pháp lệnh"} and meta.number and meta.date):
            missing.append((law.name, meta.doc_type, meta.number, meta.date))
    assert len(missing) <= 0.05 * len(laws), missing[:20]


def test_sentence_case_keeps_acronyms_and_numbers() -> None:
    from indexer.metadata import sentence_case

    assert sentence_case("PHÒNG, CHỐNG NHIỄM VI RÚT Ở NGƯỜI (HIV/AIDS)") == "Phòng, chống nhiễm vi rút ở người (HIV/AIDS)"
    # Diacritic-free Vietnamese syllables (KINH, AN) are words, not acronyms; WTO is one; numbers stay whole.
    assert sentence_case("KINH DOANH VÀ AN NINH THEO WTO") == "Kinh doanh và an ninh theo WTO"
    assert sentence_case("LUẬT SỐ 23/2004/QH11") == "Luật số 23/2004/QH11"
    assert sentence_case("Đã viết thường") == "Đã viết thường"


LAW_TITLES = {
    # split over lines in the header, commas in the enacting sentence
    "Luat-phong-chong-thien-tai-nam-2013-197310.txt": "Luật phòng, chống thiên tai",
    "Luat-kham-benh-chua-benh-nam-2009-98714.txt": "Luật khám bệnh, chữa bệnh",
    # old headers: "LUẬT / CỦA QUỐC HỘI … SỐ 23/2004/QH11 NGÀY … VỀ GIAO THÔNG …", preamble right below
    "Luat-Giao-thong-duong-thuy-noi-dia-2004-23-2004-QH11-52184.txt": "Luật giao thông đường thuỷ nội địa",
    "Luat-Dau-khi-1993-18-L-CTN-38474.txt": "Luật dầu khí",
    "Luat-thue-Su-dung-Dat-Nong-nghiep-1993-23-L-CTN-38480.txt": "Luật thuế sử dụng đất nông nghiệp",
    "Luat-Si-quan-Quan-doi-nhan-dan-Viet-Nam-1999-16-1999-QH10-46063.txt": "Luật sĩ quan Quân đội nhân dân Việt Nam",
    "Luat-Tieu-chuan-va-quy-chuan-ky-thuat-2006-68-2006-QH11-12979.txt": "Luật tiêu chuẩn và quy chuẩn kỹ thuật",
    # no header at all: the law says what it regulates
    "Luat-Bien-gioi-Quoc-gia-2003-06-2003-QH11-51044.txt": "Luật biên giới quốc gia",
}


@pytest.mark.parametrize("name", sorted(LAW_TITLES))
def test_law_titles_are_whole(name: str) -> None:
    if not (VLC / name).is_file():
        pytest.skip("../shared/vlc not available")
    assert meta_of(VLC / name).title == LAW_TITLES[name]


@pytest.mark.slow
def test_every_law_title_is_whole_and_cited() -> None:
    import re

    from indexer.pipeline import ingest_file

    laws = vlc_laws()
    bad = []
    for law in laws:
        document = ingest_file(law, VLC)
        title = document.meta.title or ""
        # d1, or the first article where the source lost the "Điều 1" heading (Luật trưng mua 2008)
        first_article = next((c for c in document.clauses if c.kind == "dieu"), None)
        if (not title or len(title) >= 200 or re.search(r"căn cứ|số \d", title.lower())
                or first_article is None or title not in first_article.citation):
            bad.append((law.name, title, first_article.citation if first_article else None))
    assert not bad, bad[:10]
