"""Definition questions: the clause defining the term a question names ranks first (search/definitions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.normalise import skeleton_words
from search.definitions import asks_definition, defined_term, definition_ranking, load_forms
from tests.helpers import one_file_searcher


@pytest.mark.parametrize(("text", "term"), [
    ("3. Không gian mạng là mạng lưới kết nối của cơ sở hạ tầng", "khong gian mang"),
    ("b) Tổ chức tín dụng được hiểu là tổ chức", "to chuc tin dung"),
    ("1. Thuốc lá là sản phẩm được sản xuất từ nguyên liệu thuốc lá", "thuoc la"),  # "lá" is no connective
    ("Hàng thừa kế thứ nhất gồm: vợ, chồng, cha đẻ", "hang thua ke thu nhat"),
    ("Séc là giấy tờ có giá", "sec"),
])
def test_the_defined_term_opens_the_clause(text: str, term: str) -> None:
    assert " ".join(defined_term(text, load_forms())) == term


@pytest.mark.parametrize("text", [
    "2. Người lao động có quyền đơn phương chấm dứt hợp đồng lao động",
    "Trong thời hạn 10 ngày, cơ quan có thẩm quyền là Bộ Tài chính",  # the punctuation ends the head first
])
def test_a_clause_that_defines_nothing(text: str) -> None:
    assert defined_term(text, load_forms()) is None


@pytest.mark.parametrize(("question", "asks"), [
    ("khong gian mang la gi", True),
    ("Giảm giá, tặng quà cho khách thì có phải là khuyến mại không?", True),
    ("Thế nào thì được gọi là tai nạn lao động?", True),
    ("What counts as a cartel?", True),
    ("Người lao động nghỉ việc thì phải báo trước mấy ngày?", False),
])
def test_definition_cues(question: str, asks: bool) -> None:
    assert asks_definition(skeleton_words(question), load_forms()) is asks


def test_the_longest_named_term_ranks_first_then_lexical_order() -> None:
    candidates = [(7, "Không gian mạng quốc gia là không gian mạng do Chính phủ xác lập"),
                  (3, "Thông tin trên không gian mạng có nội dung làm nhục"),
                  (9, "Mạng là môi trường"),
                  (5, "3. Không gian mạng là mạng lưới kết nối")]
    assert definition_ranking(candidates, ["Không gian mạng là gì?"]) == [5, 9]
    # a question that names "không gian mạng quốc gia" prefers its own, longer definition
    assert definition_ranking(candidates, ["khong gian mang quoc gia la gi"]) == [7, 5, 9]
    assert definition_ranking(candidates, ["Không gian mạng có an toàn không?"]) == []  # no cue


def test_a_definition_question_gets_the_defining_clause_first(tmp_path: Path) -> None:
    """BM25 alone prefers the clause that repeats the question's words; the definition comes first fused."""
    searcher = one_file_searcher(tmp_path, "luat-an-ninh-mang.txt",
        "LUẬT AN NINH MẠNG\n\nĐiều 2. Giải thích từ ngữ\n\nTrong Luật này, các từ ngữ dưới đây được hiểu như sau:\n"
        "1. An ninh mạng là sự bảo đảm hoạt động trên không gian mạng không gây phương hại đến an ninh quốc gia.\n"
        "2. Không gian mạng là mạng lưới kết nối của cơ sở hạ tầng công nghệ thông tin.\n\n"
        "Điều 16. Thông tin trên không gian mạng\n\n"
        "1. Thông tin trên không gian mạng, không gian mạng quốc gia và không gian mạng toàn cầu có nội dung "
        "tuyên truyền chống Nhà nước bị nghiêm cấm trên không gian mạng.\n")
    question = "khong gian mang la gi"
    assert not searcher.search(question, k=1, mode="bm25")[0].text.startswith("2. Không gian mạng là")
    hit = searcher.search(question, k=1, mode="hybrid")[0]
    assert hit.text.startswith("2. Không gian mạng là") and hit.scores["definition_rank"] == 1.0
