"""Cleaning marks boilerplate and PDF artefacts as excluded lines; the text itself is never changed."""

from __future__ import annotations

from collections import Counter

import pytest

from indexer.clean import clean_text, detect_language, find_boilerplate
from tests.conftest import CORPUS

SEEDS = {path.name[:3]: path for path in sorted((CORPUS / "seeds").glob("*.txt"))}


def seed_text(key: str) -> str:
    return SEEDS[key].read_text("utf-8")


def excluded_lines(text: str) -> dict[str, str]:
    return {text[s:e].strip(): why for s, e, why in clean_text(text).excluded}


def test_regions_are_whole_lines() -> None:
    for key in SEEDS:
        text = seed_text(key)
        for start, end, _ in clean_text(text).excluded:
            assert start == 0 or text[start - 1] in "\n\f"
            assert end == len(text) or text[end] in "\r\n\f"


@pytest.mark.parametrize("key", ["000", "001"])
def test_web_boilerplate_of_english_seeds(key: str) -> None:
    text = seed_text(key)
    found = excluded_lines(text)
    assert found["Vietnam.vn - Nền tảng quảng bá Việt Nam"] == "site-banner"
    assert found["Comment (0)"] == "comments"
    assert any(why == "source-url" and line.startswith("Source: https://") for line, why in found.items())
    assert any(why == "byline" for why in found.values())
    assert any(why == "photo-caption" for why in found.values())
    assert found["Political System"] == "site-menu" and found["Product"] == "site-menu"
    # Everything after "Source:" is footer; nothing before the footer that is content gets excluded.
    source_line = next(line for line, why in found.items() if why == "source-url")
    tail = text[text.index(source_line):]
    assert all(line.strip() in found for line in tail.splitlines() if line.strip())


def test_english_seed_captions_bylines_and_content() -> None:
    found = excluded_lines(seed_text("000"))
    assert found["Việt NamViệt Nam02/05/2025"] == "byline"
    assert found["8th session, 15th National Assembly. (Illustration photo: DUY LINH)"] == "photo-caption"
    assert found["The Politburo issued a Resolution on innovation in law making and enforcement."] == "repeated-title"
    assert "I - GUIDING VIEWPOINT" not in found
    assert not any(line.startswith("- Ensure that spending on law-making") for line in found)
    found = excluded_lines(seed_text("001"))
    assert found["Báo Đại biểu Nhân dânBáo Đại biểu Nhân dân25/09/2025"] == "byline"
    assert any(line.endswith("Photo: Ho Long") for line in found)
    assert found["Coffee shops in Hanoi are bustling with Mid-Autumn Festival decorations, attracting many young "
                 "people to experience"] == "related-articles"


def test_pdf_page_numbers_and_repeated_table_headers_of_seed_003() -> None:
    text = seed_text("003")
    regions = clean_text(text).excluded
    reasons = Counter(why for _, _, why in regions)
    # Pages 2..8 of the appendix each start with the page number and the 8-line header repeated.
    assert reasons["page-number"] == 7
    assert reasons["repeated-table-header"] == 7 * 8
    assert reasons["signature-timestamp"] == 1
    page_numbers = sorted(int(text[s:e]) for s, e, why in regions if why == "page-number")
    assert page_numbers == [2, 3, 4, 5, 6, 7, 8]
    # The first header stays (the parser reads the columns from it); row numbers stay.
    first_header = text.index("STT Nội dung")
    assert not any(s <= first_header < e for s, e, _ in regions)
    row_14 = text.index("\n14 \n") + 1
    assert not any(s <= row_14 < e for s, e, _ in regions)


def test_vietnamese_seeds_lose_only_artefacts() -> None:
    assert [(text, why) for text, why in excluded_lines(seed_text("002")).items()] == [
        ("ke hoach trien khai nghi quyet so 66.tw va nghi quyet 140 cua cp-2-3.pdf", "file-name")
    ]
    seed004 = excluded_lines(seed_text("004"))
    assert {line: why for line, why in seed004.items() if why not in ("recipients", "signature")} == {
        "-----": "rule-line"}
    assert sum(why == "recipients" for why in seed004.values()) == 10  # "Nơi nhận:" and its nine entries
    assert [line for line, why in seed004.items() if why == "signature"] == [
        "T/M BAN THƯỜNG VỤ", "BÍ THƯ", "Nguyễn Duy Lâm", "(báo cáo)"]


def test_language() -> None:
    assert [clean_text(seed_text(k)).language for k in sorted(SEEDS)] == ["en", "en", "vi", "vi", "vi"]
    assert detect_language("The Law on Residence regulates the rights of citizens and the duties of the State.") == "en"
    assert detect_language("Luật này quy định về quyền tự do cư trú của công dân.") == "vi"


def test_page_numbers_at_form_feeds() -> None:
    text = "Điều 1. Phạm vi\nNội dung trang một.\n1\n\fĐiều 2. Đối tượng\nNội dung trang hai.\n- 2 -\n\f"
    found = {text[s:e]: why for s, e, why in find_boilerplate(text)}
    assert found == {"1": "page-number", "- 2 -": "page-number"}


def test_text_without_boilerplate_has_no_regions() -> None:
    text = "Điều 1. Phạm vi điều chỉnh\n1. Luật này quy định về cư trú.\n2. Công dân có quyền tự do cư trú.\n"
    assert clean_text(text).excluded == []


def test_recipients_and_signature_blocks_are_excluded() -> None:
    seed003, seed004 = excluded_lines(seed_text("003")), excluded_lines(seed_text("004"))
    assert seed003["Nơi nhận:"] == "recipients" and seed003["- Lưu: VT, 99.TCDNC."] == "recipients"
    assert seed003["TM. ỦY BAN NHÂN DÂN"] == "signature" and seed003["CHỦ TỊCH"] == "signature"
    assert "KẾ HOẠCH" not in seed003  # the attached plan after the signature is content
    assert seed004["- Lưu Văn phòng Tỉnh ủy."] == "recipients"
    assert seed004["T/M BAN THƯỜNG VỤ"] == seed004["BÍ THƯ"] == seed004["Nguyễn Duy Lâm"] == "signature"
    assert "Yêu cầu các cơ quan, địa phương, đơn vị nghiêm túc triển khai thực hiện." not in seed004


def test_law_signature_after_closing_formula() -> None:
    formula = "Luật này đã được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam khóa XIV thông qua ngày 20 tháng 11 năm 2019."
    text = f"Điều 5. Hiệu lực\nLuật này có hiệu lực từ ngày 01/01/2021.\n{formula}\n \nCHỦ   TỊCH QUỐC HỘI\n\n\nNguyễn Thị Kim Ngân\n"
    found = excluded_lines(text)
    assert found == {"CHỦ   TỊCH QUỐC HỘI": "signature", "Nguyễn Thị Kim Ngân": "signature"}
    # Without a closing formula an upper-case title or a name is content; "(Đã ký)" under a name is not.
    assert excluded_lines("Điều 1. Chức danh\nCHỦ TỊCH QUỐC HỘI\nNguyễn Văn An\n") == {}
    assert excluded_lines("Chính phủ quy định chi tiết.\nHồ   Chí Minh\n(Đã   ký)\n") == {
        "Hồ   Chí Minh": "signature", "(Đã   ký)": "signature"}
