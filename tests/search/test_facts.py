"""Fact extraction, Vietnamese and English: values compare by value, comparators, dates, modality, agency."""

from __future__ import annotations

from search.crosscheck.facts import extract_facts, parse_number


def kinds(text: str, language: str = "vi") -> list[tuple]:
    return [(f.kind, f.value, f.unit, f.comparator) for f in extract_facts(text, language)]


def test_numbers_compare_by_value():
    assert parse_number("0,5", "vi") == parse_number("0.5", "en") == 0.5
    assert parse_number("01", "vi") == 1
    assert parse_number("1.000.000", "vi") == 1_000_000
    assert parse_number("1,000", "en") == 1000


def test_percent_floor_vi_and_en_agree():
    vi = kinds("Bảo đảm chi cho công tác xây dựng pháp luật không thấp hơn 0,5% tổng chi ngân sách hàng năm")
    en = kinds("Ensure that spending on law-making is not less than 0.5% of the total annual budget", "en")
    assert ("percent", 0.5, "%", "ge") in vi and ("percent", 0.5, "%", "ge") in en
    assert kinds("01%")[0][1] == kinds("1%")[0][1] == 1.0


def test_comparators():
    assert kinds("Nhà nước nắm giữ trên 50% vốn điều lệ")[0][3] == "gt"
    assert kinds("có giá trị từ 35% tổng giá trị tài sản trở lên")[0][3] == "ge"
    assert kinds("bằng hoặc lớn hơn 35% tổng giá trị")[0][3] == "ge"
    assert kinds("trong thời hạn không quá 150 ngày")[0][:4] == ("duration", 150.0, "day", "le")
    assert kinds("at most 30 days", "en")[0][:4] == ("duration", 30.0, "day", "le")
    assert kinds("dưới 100% vốn điều lệ")[0][3] == "lt"


def test_amounts_and_durations():
    facts = kinds("phạt tiền 1,5 tỷ đồng hoặc 500 triệu đồng trong thời hạn 05 ngày làm việc")
    assert ("amount", 1.5e9, "đồng", "eq") in facts and ("amount", 5e8, "đồng", "eq") in facts
    assert ("duration", 5.0, "working_day", "eq") in facts  # a period with no event to count from: no bound


def test_references_and_document_dates_are_not_quantities():
    assert kinds("theo quy định tại các Điều 38, 39, 40 và 42 của Luật này") == []
    facts = kinds("Thực hiện Nghị quyết số 66-NQ/TW ngày 30/4/2025 của Bộ Chính trị")
    assert facts == []  # the resolution's own date is no deadline, 66 no count


def test_dates_and_deadlines():
    facts = kinds("hoàn thành trước ngày 30 tháng 6 năm 2025; Quý III/2025")
    assert ("deadline", "2025-06-30..2025-06-30", None, "eq") in facts
    assert ("date", "2025-07-01..2025-09-30", None, "eq") in facts
    en = kinds("By 2027, complete the amendment", "en")
    assert en == [("deadline", "2027-01-01..2027-12-31", None, "eq")]


def test_modality_and_agency():
    facts = kinds("Sở Tư pháp chủ trì, phối hợp với các sở, ngành; nghiêm cấm hành vi gian lận")
    assert ("agency", "so tu phap", None, "eq") in facts
    assert ("modality", "prohibition", None, "eq") in facts
    assert [f[1] for f in kinds("The company may decide; members must report", "en") if f[0] == "modality"] == \
        ["permission", "obligation"]
    assert [f for f in kinds("cổ phần có quyền biểu quyết") if f[0] == "modality"] == []


def test_equivalent_phrasings_state_the_same_fact():
    """The phrase tables in search/data/fact_terms.json: the same obligation written two ways is one fact."""
    assert kinds("chậm nhất là 03 ngày làm việc trước ngày họp")[0][:4] == \
        kinds("trước ngày họp ít nhất 03 ngày làm việc")[0][:4] == ("duration", 3.0, "working_day", "ge")
    assert [f[:4] for f in kinds("hơn một nửa số thành viên")] == [f[:4] for f in kinds("trên 50% số thành viên")] == \
        [("percent", 50.0, "%", "gt")]
    assert kinds("được đa số thành viên chấp thuận")[0][:4] == ("percent", 50.0, "%", "gt")
    assert kinds("ít nhất ba phần tư số thành viên")[0][:4] == ("percent", 75.0, "%", "ge")
    assert kinds("người chưa thành niên")[0][:4] == kinds("người dưới 18 tuổi")[0][:4] == ("count", 18.0, "tuổi", "lt")
    assert kinds("trong thời hạn 150 ngày kể từ ngày kết thúc năm tài chính")[0][:4] == \
        kinds("không quá 150 ngày")[0][:4] == ("duration", 150.0, "day", "le")
    assert kinds("chậm nhất là 90 ngày kể từ ngày kết thúc năm tài chính")[0][3] == "le"
    assert kinds("chiếm 10% số vốn điều lệ trở lên")[0][:4] == kinds("từ 10% vốn điều lệ trở lên")[0][:4]
    assert kinds("liên tục trong thời hạn 06 tháng")[0][3] == kinds("5 năm tiếp theo liên tục")[0][3] == "ge"
    assert kinds("trong ba năm gần nhất")[0][3] == "eq"  # a look-back, not a bound


def test_names_ranges_and_prepositions():
    assert kinds("Công ty trách nhiệm hữu hạn hai thành viên trở lên") == []  # a company type, not a quantity
    assert [f[:4] for f in kinds("có từ 02 đến 50 thành viên")] == [("count", 2.0, "thành viên", "ge"),
                                                                   ("count", 50.0, "thành viên", "le")]
    assert [f[3] for f in kinds("từ 15 năm đến dưới 20 năm")] == ["ge", "lt"]
    assert kinds("có thời hạn từ 01 năm trở xuống")[0][3] == "le"
    assert kinds("trên một hợp đồng bảo hiểm")[0][3] == "eq"  # "on one contract"
    assert kinds("trên 50% vốn điều lệ")[0][3] == "gt"
