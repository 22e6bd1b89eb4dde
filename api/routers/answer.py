"""GET /answer: a grounded answer — the clause(s), sentence, facts and citation, or "not found"."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api import schemas
from api.deps import LibraryDep
from api.schemas import ERROR_RESPONSES, MAX_QUERY_CHARS, AnswerResponse
from api.views import answer_response

router = APIRouter(tags=["answer"])


@router.get("/answer", response_model=AnswerResponse, responses={404: ERROR_RESPONSES[404]},
            summary="Answer a question from the indexed documents, with verified citations")
def get_answer(
    request: Request,
    library: LibraryDep,
    question: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Vietnamese or English")],
    doc: Annotated[list[str] | None, Query(max_length=50, description="only these doc_ids")] = None,
    doc_type: Annotated[str | None, Query(max_length=100)] = None,
    language: schemas.Language | None = None,
    strict: Annotated[bool, Query(description="withhold a generated answer that fails verification")] = False,
    generate: Annotated[bool, Query(description="use the configured language model, when there is one")] = True,
) -> AnswerResponse:
    from search.answer import answer

    for doc_id in doc or []:
        library.require_document(doc_id)
    filters = {name: value for name, value in (("doc_ids", doc), ("doc_type", doc_type), ("language", language))
               if value}
    llm = request.app.state.llm
    started = time.perf_counter()
    result = answer(library.searcher, question, filters=filters or None, generate=llm if generate else None,
                    model=getattr(llm, "model", None), strict=strict)
    base = str(request.base_url).rstrip("/")
    return answer_response(library, result, (time.perf_counter() - started) * 1000,
                           lambda clause_id: f"{base}/?{_query({'clause': clause_id})}")


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
