"""Imported only by the cross-checking forkserver (`api.crosscheck.PRELOAD`): one small cross-check of two
made-up clauses, so that every lazy import (scikit-learn's TF-IDF) and table (calibration, bilingual terms,
fact patterns) is loaded once, in the forkserver, before any child is forked from it. Without it every
child paid ~3 s of loading for checks that take a tenth of that."""

from __future__ import annotations

from api.crosscheck import DocumentSubset
from indexer.model import Clause, Document, DocumentMeta, PathStep
from search.crosscheck.conflicts import cross_check

# A provincial plan lowering a central budget floor: the kind of pair cross-checking exists for.
SAMPLES = {
    "a": "Bảo đảm chi cho công tác xây dựng pháp luật không thấp hơn 0,5% tổng chi ngân sách hằng năm.",
    "b": "Bảo đảm chi cho công tác xây dựng pháp luật không thấp hơn 1% tổng chi ngân sách hằng năm.",
}


def _document(doc_id: str, text: str) -> Document:
    clause = Clause(id=f"{doc_id}:1", doc_id=doc_id, kind="khoan", path=[PathStep("khoan", "1")], headings=[],
                    text=text, span=(0, len(text)), lines=(1, 1), citation=f"khoản 1 {doc_id}",
                    citation_en=f"item 1 of {doc_id}", clean_text=text, norm_text=text.lower())
    return Document(doc_id, f"{doc_id}.txt", "", "txt", "utf-8", text, DocumentMeta(), clauses=[clause])


PAIR = {doc_id: _document(doc_id, text) for doc_id, text in SAMPLES.items()}
cross_check(DocumentSubset(PAIR, dict.fromkeys(PAIR)), "a", "b")
