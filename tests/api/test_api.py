"""HTTP API on the seed index through FastAPI's test client: results, context, limits, error shape, metrics."""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS

SEED_002 = "002_7aca7bcc376b2da4"
SEED_000 = "000_4c6edb8a98047afa"  # Resolution 66-NQ/TW (English)
SEED_004 = "004_8cdda1c3c077ca03"  # Hà Tĩnh's action programme implementing it
BUDGET_QUERY = "0,5% tổng chi ngân sách"


@pytest.fixture(scope="module")
def client(seed_index: Path, searcher) -> TestClient:
    from api.app import create_app

    # raise_server_exceptions=False: a fault must come back as the error body, which we then assert on.
    return TestClient(create_app(seed_index, searcher=searcher), raise_server_exceptions=False)


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] and body["error"]["message"]
    return body["error"]


# ---------------------------------------------------------------------------------------------- search


def test_search_finds_budget_clause_of_seed_002_with_highlight(client: TestClient) -> None:
    response = client.get("/search", params={"query": BUDGET_QUERY, "k": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "hybrid" and body["total"] == len(body["results"]) > 0
    assert [hit["rank"] for hit in body["results"]] == list(range(1, body["total"] + 1))
    from_002 = [hit for hit in body["results"] if hit["doc_id"] == SEED_002]
    assert from_002, "seed 002 states the 0,5% budget floor"
    hit = from_002[0]
    assert "0,5% tổng chi ngân sách" in hit["text"]
    marked = [hit["text"][start:end] for start, end in hit["highlights"]]
    assert any("0,5" in part for part in marked), marked
    assert hit["citation"] and hit["citation_en"]
    assert hit["document"]["language"] == "vi"


def test_post_search_groups_hits_by_document(client: TestClient) -> None:
    response = client.post("/search", json={"query": BUDGET_QUERY, "k": 20, "mode": "hybrid", "group": True})
    assert response.status_code == 200, response.text
    body = response.json()
    groups = body["groups"]
    assert groups and sum(len(g["hits"]) for g in groups) == body["total"]
    assert [g["best_rank"] for g in groups] == sorted(g["best_rank"] for g in groups)
    assert len({g["doc_id"] for g in groups}) == len(groups)
    for group in groups:
        assert all(hit["doc_id"] == group["doc_id"] for hit in group["hits"])
        assert group["best_rank"] == group["hits"][0]["rank"]


@pytest.mark.parametrize("mode", ["bm25", "dense", "phrase"])
def test_every_mode_answers(client: TestClient, mode: str) -> None:
    response = client.get("/search", params={"query": BUDGET_QUERY, "mode": mode, "k": 5})
    assert response.status_code == 200, response.text
    assert response.json()["mode"] == mode
    assert len(response.json()["results"]) <= 5


def test_filter_by_document_keeps_only_that_document(client: TestClient) -> None:
    body = client.post(
        "/search", json={"query": "ngân sách", "k": 30, "filters": {"doc_ids": [SEED_002]}}
    ).json()
    assert body["results"] and {hit["doc_id"] for hit in body["results"]} == {SEED_002}
    by_get = client.get("/search", params={"query": "ngân sách", "k": 30, "doc": SEED_002}).json()
    assert [h["clause_id"] for h in by_get["results"]] == [h["clause_id"] for h in body["results"]]


def test_filter_by_language(client: TestClient) -> None:
    body = client.get("/search", params={"query": "budget expenditure law-making", "language": "en"}).json()
    assert body["results"] and all(hit["document"]["language"] == "en" for hit in body["results"])


def test_blank_query_is_valid_and_matches_nothing(client: TestClient) -> None:
    response = client.get("/search", params={"query": "   "})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"query": "x" * 1001}, "query"),
        ({"query": "luật", "k": 101}, "k"),
        ({"query": "luật", "k": 0}, "k"),
        ({"query": "luật", "mode": "fuzzy"}, "mode"),
        ({"query": ""}, "query"),
        ({}, "query"),
    ],
)
def test_search_limits_are_422_with_error_shape(client: TestClient, params: dict, where: str) -> None:
    error = assert_error(client.get("/search", params=params), 422)
    assert error["code"] == "validation_error"
    assert any(where in detail["loc"] for detail in error["details"]), error


def test_post_limits_and_unknown_fields_are_422(client: TestClient) -> None:
    assert_error(client.post("/search", json={"query": "a" * 1001}), 422)
    assert_error(client.post("/search", json={"query": "luật", "k": 1000}), 422)
    assert_error(client.post("/search", json={"query": "luật", "filters": {"colour": "red"}}), 422)



@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b'{"query": "luat"'])
def test_a_body_that_is_not_json_is_400_as_documented(client: TestClient, body: bytes) -> None:
    error = assert_error(client.post("/search", content=body, headers={"content-type": "application/json"}), 400)
    assert error["code"] == "bad_request" and error["message"].startswith("request body is not valid JSON")
    documented = client.get("/openapi.json").json()["paths"]["/search"]["post"]["responses"]
    assert "400" in documented


def test_bodies_over_the_limit_are_refused_before_being_read(client: TestClient) -> None:
    from api.limits import Limits

    limit = Limits().max_body_bytes
    big = b'{"query": "' + b"a" * (limit + 10) + b'"}'
    error = assert_error(client.post("/search", content=big, headers={"content-type": "application/json"}), 413)
    assert str(limit) in error["message"]

    def chunks():  # no Content-Length: refused as soon as the chunks pass the limit
        yield b'{"query": "'
        for _ in range(64):
            yield b"a" * (limit // 32)
        yield b'"}'

    assert_error(client.post("/search", content=chunks(), headers={"content-type": "application/json"}), 413)
    # a body within the limit is answered as before
    assert client.post("/search", json={"query": "ngân sách", "k": 1}).status_code == 200


def test_longest_allowed_query_is_answered(client: TestClient) -> None:
    query = ("ngân sách xây dựng pháp luật " * 40)[:1000]
    assert client.get("/search", params={"query": query, "k": 100}).status_code == 200


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=st.text(min_size=1, max_size=120), mode=st.sampled_from(["hybrid", "bm25", "dense", "phrase"]))
def test_arbitrary_text_never_faults(client: TestClient, query: str, mode: str) -> None:
    response = client.post("/search", json={"query": query, "mode": mode, "k": 5})
    assert response.status_code == 200, response.text
    for hit in response.json()["results"]:
        assert all(0 <= start < end <= len(hit["text"]) for start, end in hit["highlights"])


def test_concurrent_searches_agree_with_serial_ones(client: TestClient) -> None:
    queries = [BUDGET_QUERY, "kinh phí cho công tác xây dựng pháp luật", "private economic sector", "ngân sách"]
    serial = {q: [h["clause_id"] for h in client.get("/search", params={"query": q}).json()["results"]] for q in queries}
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda q: (q, client.get("/search", params={"query": q})), queries * 4))
    for query, response in answers:
        assert response.status_code == 200
        assert [h["clause_id"] for h in response.json()["results"]] == serial[query]


# ---------------------------------------------------------------------------------------------- documents


def test_documents_list_and_counts_match_health(client: TestClient, seed_index: Path) -> None:
    body = client.get("/documents").json()
    ids = [d["doc_id"] for d in body["documents"]]
    assert body["total"] == len(ids) == 5 and SEED_002 in ids
    assert all(d["clause_count"] > 0 for d in body["documents"])
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["documents"] == 5
    from indexer.manifest import version_dir

    assert health["version"] == version_dir(seed_index).name and health["opened_at"]
    assert health["clauses"] == sum(d["clause_count"] for d in body["documents"])
    assert health["model"], "the seed index is built with the dense encoder"
    assert health["manifest"]


def test_document_detail_has_outline_and_references(client: TestClient) -> None:
    body = client.get(f"/documents/{SEED_002}").json()
    assert body["doc_id"] == SEED_002 and body["meta"]["language"] == "vi"
    assert len(body["outline"]) == body["clause_count"] and body["next_offset"] is None
    ids = {entry["clause_id"] for entry in body["outline"]}
    assert all(entry["parent_id"] in ids for entry in body["outline"] if entry["parent_id"])
    # The Vĩnh Long plan implements Resolution 66-NQ/TW: it cites it.
    assert any("66" in ref["key"] for ref in body["references_out"]), body["references_out"][:5]
    assert all(ref["from_doc_id"] == SEED_002 for ref in body["references_out"])
    for ref in body["references_in"]:
        assert ref["resolved_doc_id"] == SEED_002 and ref["from_doc_id"] != SEED_002


def test_document_outline_is_paged(client: TestClient) -> None:
    whole = client.get(f"/documents/{SEED_002}").json()
    pages, offset = [], 0
    while offset is not None:
        page = client.get(f"/documents/{SEED_002}", params={"offset": offset, "limit": 7}).json()
        assert page["offset"] == offset and page["limit"] == 7 and len(page["outline"]) <= 7
        pages.append(page["outline"])
        offset = page["next_offset"]
    assert len(pages) == -(-whole["clause_count"] // 7)
    assert [entry for page in pages for entry in page] == whole["outline"]
    from api.schemas import MAX_OUTLINE_PAGE

    assert_error(client.get(f"/documents/{SEED_002}", params={"limit": MAX_OUTLINE_PAGE + 1}), 422)
    past = client.get(f"/documents/{SEED_002}", params={"offset": 10_000}).json()
    assert past["outline"] == [] and past["next_offset"] is None


def test_unknown_document_is_404(client: TestClient) -> None:
    error = assert_error(client.get("/documents/no_such_document"), 404)
    assert error["code"] == "not_found"


# ---------------------------------------------------------------------------------------------- clauses


def test_clause_in_context(client: TestClient) -> None:
    hit = next(
        h for h in client.get("/search", params={"query": BUDGET_QUERY, "k": 20}).json()["results"] if h["doc_id"] == SEED_002
    )
    body = client.get(f"/clauses/{hit['clause_id']}").json()
    assert body["clause_id"] == hit["clause_id"] and body["text"] == hit["text"]
    assert body["citation"] == hit["citation"]
    assert body["siblings"][body["position"]]["clause_id"] == hit["clause_id"]
    if body["parent"]:
        parent = client.get(f"/clauses/{body['parent']['clause_id']}").json()
        assert hit["clause_id"] in {child["clause_id"] for child in parent["children"]}


@pytest.mark.parametrize(
    "clause_id", ["nope", f"{SEED_002}:Z.99.zz", "../../etc/passwd", f"{SEED_002}:", ":", "%00", "a/b/c:d"]
)
def test_unknown_clause_is_404(client: TestClient, clause_id: str) -> None:
    assert_error(client.get(f"/clauses/{clause_id}"), 404)


# ---------------------------------------------------------------------------------------------- conflicts


def test_conflicts_between_two_plans(client: TestClient) -> None:
    response = client.get(
        "/conflicts", params={"doc": SEED_002, "against": "003_9f40a26defcbfd25", "include_consistent": True}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["against"] == "003_9f40a26defcbfd25"
    assert body["total"] == len(body["conflicts"]) == sum(body["by_kind"].values())
    reviewed, (reference,) = body["reviewed"], body["references"]
    assert {reviewed, reference} == {SEED_002, "003_9f40a26defcbfd25"}
    for finding in body["conflicts"]:
        assert finding["source"] is None or finding["source"]["doc_id"] == reviewed
        assert finding["target"] is None or finding["target"]["doc_id"] == reference
        assert 0.0 <= finding["confidence"] <= 1.0


@pytest.mark.parametrize("order", ["plan first", "resolution first"])
def test_ha_tinh_omits_the_floor_whichever_document_is_named_first(client: TestClient, order: str) -> None:
    doc, against = (SEED_004, SEED_000) if order == "plan first" else (SEED_000, SEED_004)
    body = client.get("/conflicts", params={"doc": doc, "against": against}).json()
    assert body["reviewed"] == SEED_004 and body["references"] == [SEED_000]
    dropped = [f for f in body["conflicts"] if f["kind"] == "obligation_dropped" and "0.5%" in f["target"]["text"]]
    assert len(dropped) == 1, body["by_kind"]
    floor = dropped[0]
    assert floor["target"]["doc_id"] == SEED_000 and "point 7, Part III" in floor["target"]["citation"]
    assert floor["message_en"].startswith("Hà Tĩnh's programme omits the floor of ≥ 0.5%")
    assert "bỏ mức tối thiểu ≥ 0,5%" in floor["message_vi"]


def test_coverage_of_the_resolution_in_every_plan_implementing_it(client: TestClient) -> None:
    body = client.get("/coverage", params={"against": SEED_000}).json()
    assert body["against"] == SEED_000
    assert {SEED_002, "003_9f40a26defcbfd25", SEED_004} <= set(body["documents"])
    status_of_floor = {}
    for matrix in body["matrices"]:
        assert matrix["reference"] == SEED_000 and sum(matrix["totals"].values()) == len(matrix["rows"])
        floor = next(row for row in matrix["rows"] if "not less than 0.5%" in row["clause"]["text"])
        status_of_floor[matrix["reviewed"]] = floor["status"]
        if floor["status"] == "implemented":
            assert floor["counterparts"] and all(c["doc_id"] == matrix["reviewed"] for c in floor["counterparts"])
    assert status_of_floor[SEED_002] == status_of_floor["003_9f40a26defcbfd25"] == "implemented"
    assert status_of_floor[SEED_004] == "omitted"
    one = client.get("/coverage", params={"against": SEED_000, "doc": SEED_004}).json()
    assert one["documents"] == [SEED_004]
    assert one["matrices"][0]["totals"] == next(m["totals"] for m in body["matrices"] if m["reviewed"] == SEED_004)


def test_coverage_input_errors(client: TestClient) -> None:
    assert_error(client.get("/coverage", params={"against": "missing"}), 404)
    assert_error(client.get("/coverage", params={"against": SEED_000, "doc": "missing"}), 404)
    assert_error(client.get("/coverage"), 422)  # the reference is required
    assert_error(client.get("/coverage", params={"against": "x" * 10_000}), 422)


def test_conflicts_with_unknown_document_is_404(client: TestClient) -> None:
    assert_error(client.get("/conflicts", params={"doc": "missing"}), 404)
    assert_error(client.get("/conflicts", params={"doc": SEED_002, "against": "missing"}), 404)


def test_the_old_parameter_name_is_refused_not_ignored(client: TestClient) -> None:
    """`counterpart=` was silently ignored once `against` was the name; now it says what to use."""
    error = assert_error(client.get("/conflicts", params={"doc": SEED_002, "counterpart": "003_9f40a26defcbfd25"}),
                         400)
    assert "'counterpart' was renamed 'against'" in error["message"]
    page = client.get("/static/app.js").text
    assert 'params.set("against"' in page
    assert not re.search(r"""["'`]counterpart["'`=]|counterpart=""", page)  # never sent as a parameter


# ---------------------------------------------------------------------------------------------- answers


def test_answer_route_cites_the_clause_and_its_facts(client: TestClient) -> None:
    response = client.get("/answer", params={"question": "Kinh phí cho công tác xây dựng pháp luật tối thiểu bao nhiêu?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "answered" and body["mode"] == "extractive" and body["generation"] is None
    best = body["evidence"][0]
    assert best["clause_id"] == f"{SEED_002}:6.b" and best["document"]["doc_type"] == "Kế hoạch"
    start, end = best["sentence_span"]
    assert best["text"][start:end] == best["sentence"]
    assert [(f["kind"], f["value"], f["comparator"]) for f in best["facts"]] == [("percent", 0.5, "ge")]
    assert best["page_url"] == f"http://testserver/?clause={SEED_002}%3A6.b"


def test_answer_route_says_not_found(client: TestClient) -> None:
    body = client.get("/answer", params={"question": "What is the penalty for drunk driving?"}).json()
    assert body["status"] == "not_found" and body["evidence"] == []
    assert body["text"].startswith("Not found in the indexed documents.")
    assert body["confidence"]["confident"] is False and "drunk" in body["confidence"]["missing"]


def test_answer_route_limits_and_unknown_documents(client: TestClient) -> None:
    assert_error(client.get("/answer", params={"question": ""}), 422)
    assert_error(client.get("/answer", params={"question": "x" * 1001}), 422)
    assert_error(client.get("/answer", params={"question": "ngân sách", "doc": "missing"}), 404)
    body = client.get("/answer", params={"question": "Kinh phí cho công tác xây dựng pháp luật tối thiểu bao nhiêu?",
                                         "doc": "000_4c6edb8a98047afa"}).json()
    assert body["status"] == "not_found"  # a Vietnamese question, the English document only: not a guess


# ---------------------------------------------------------------------------------------------- service


def test_metrics_exposes_latency_histogram_by_route(client: TestClient) -> None:
    client.get("/search", params={"query": "ngân sách"})
    text = client.get("/metrics").text
    assert 'lexvn_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/search",status="200"}' in text
    assert 'lexvn_search_duration_seconds_count{mode="hybrid"}' in text


def test_unknown_route_and_wrong_method_use_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/no/such/route"), 404)
    error = assert_error(client.delete("/search"), 405)
    assert error["code"] == "method_not_allowed"


def test_page_and_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="search-form"' in page.text and 'src="/static/app.js"' in page.text
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", ""), "no CDN in <head>"
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/search"]["get"]


# ---------------------------------------------------------------------------------------------- serve


def test_index_staleness_follows_corpus_content(seed_index: Path, tmp_path: Path) -> None:
    from indexer.build import index_staleness

    assert index_staleness(CORPUS, seed_index) is None
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    changed = next(corpus.rglob("002_*.txt"))
    changed.write_text(changed.read_text(encoding="utf-8") + "\nĐiều bổ sung.\n", encoding="utf-8")
    assert "1 modified" in index_staleness(corpus, seed_index)
    (corpus / "seeds" / "new.txt").write_text("Điều 1. Văn bản mới.\n", encoding="utf-8")
    assert "1 new" in index_staleness(corpus, seed_index)
    assert index_staleness(corpus, tmp_path / "missing-index").startswith("no index")



# ---------------------------------------------------------------------------------------------- reading


SEED_003 = "003_9f40a26defcbfd25"
WRAPPED_PHRASE = "các mục tiêu, nhiệm vụ và giải pháp"  # over a PDF line break of seed 003


def test_hits_carry_reading_text_with_highlights_mapped_onto_it(client: TestClient) -> None:
    hit = client.get("/search", params={"query": f'"{WRAPPED_PHRASE}"', "mode": "phrase"}).json()["results"][0]
    start, end = hit["highlights"][0]
    assert "\n" in hit["text"][start:end]
    display = hit["display"]
    assert [display["text"][a:b] for a, b in display["highlights"]] == [WRAPPED_PHRASE]
    assert "\n" not in display["text"]
    assert hit["fields"] == {} and hit["pages"] is None


def test_appendix_row_hit_has_columns_and_their_highlights(client: TestClient) -> None:
    phrase = "Thực hiện thường xuyên khi có văn bản ban hành"
    hit = next(h for h in client.get("/search", params={"query": f'"{phrase}"', "mode": "phrase"}).json()["results"]
               if h["kind"] == "row")
    assert set(hit["fields"]) == {"stt", "noi_dung", "co_quan_chu_tri", "co_quan_phoi_hop", "thoi_gian"}
    assert hit["fields"]["stt"] == "2"
    spans = hit["field_highlights"]["thoi_gian"]
    assert [hit["fields"]["thoi_gian"][a:b] for a, b in spans] == [phrase]
    assert set(hit["field_highlights"]) == {"thoi_gian"}


def test_why_a_hit_matched_comes_from_its_signals(client: TestClient) -> None:
    hybrid = client.get("/search", params={"query": BUDGET_QUERY, "k": 5}).json()["results"]
    for hit in hybrid:
        signals = [reason["signal"] for reason in hit["match"]]
        assert signals == sorted(signals, key=["phrase", "words", "meaning", "translated"].index)
        for reason in hit["match"]:
            assert reason["rank"] == int(hit["scores"][f"{reason['source']}_rank"])
        if "phrase" in hit["scores"]:
            assert hit["match"][0] == {"signal": "phrase", "source": "phrase", "rank": int(hit["scores"]["phrase_rank"]),
                                       "count": int(hit["scores"]["phrase"])}
    assert any("meaning" in [r["signal"] for r in hit["match"]] for hit in hybrid)
    bm25 = client.get("/search", params={"query": BUDGET_QUERY, "k": 3, "mode": "bm25"}).json()["results"]
    # bm25 mode is lexical: the user's words, and their glossary translation into the other language's clauses
    assert all({r["signal"] for r in hit["match"]} <= {"words", "translated"} and hit["match"] for hit in bm25)


def test_match_reasons_read_unknown_and_translated_signals() -> None:
    from api.convert import match_reasons

    reasons = match_reasons({"translated": 0.4, "translated_rank": 2.0, "bm25": 3.1, "bm25_rank": 1.0,
                             "rrf": 0.03, "sparse_x": 1.0})
    assert [(r.signal, r.source, r.rank) for r in reasons] == [
        ("words", "bm25", 1), ("translated", "translated", 2), ("sparse_x", "sparse_x", None)]


def test_paging_returns_the_next_results(client: TestClient) -> None:
    whole = client.get("/search", params={"query": "ngân sách", "k": 12}).json()
    first = client.get("/search", params={"query": "ngân sách", "k": 5}).json()
    second = client.post("/search", json={"query": "ngân sách", "k": 5, "offset": 5}).json()
    assert first["has_more"] and second["offset"] == 5 and second["has_more"]
    assert [h["clause_id"] for h in first["results"] + second["results"]] == [h["clause_id"] for h in whole["results"][:10]]
    assert [h["rank"] for h in second["results"]] == list(range(6, 11))
    phrase = client.get("/search", params={"query": f'"{WRAPPED_PHRASE}"', "k": 5}).json()
    assert phrase["total"] == 1 and not phrase["has_more"]
    assert_error(client.get("/search", params={"query": "x", "offset": 10_000}), 422)
    # The last page of the window: results 96-100 of the same ranking, and no page after it.
    last = client.post("/search", json={"query": "ngân sách", "k": 10, "offset": 95}).json()
    window = client.get("/search", params={"query": "ngân sách", "k": 100}).json()["results"]
    assert [h["clause_id"] for h in last["results"]] == [h["clause_id"] for h in window[95:]]
    assert not last["has_more"]


def test_facets_count_each_dimension_under_the_others(client: TestClient) -> None:
    from api.schemas import FACET_DEPTH

    body = client.get("/facets", params={"query": "ngân sách", "doc_type": "Kế hoạch"}).json()
    hits = client.get("/search", params={"query": "ngân sách", "k": FACET_DEPTH}).json()["results"]
    assert body["unit"] == "clauses" and body["depth"] == FACET_DEPTH == len(hits)
    by_type: dict[str, int] = {}
    for hit in hits:
        by_type[hit["document"]["doc_type"]] = by_type.get(hit["document"]["doc_type"], 0) + 1
    # the type counts ignore the type filter; the issuer counts apply it
    assert {f["value"]: f["count"] for f in body["doc_type"]} == by_type
    plans = [h for h in hits if h["document"]["doc_type"] == "Kế hoạch"]
    assert body["total"] == len(plans)
    assert {f["value"]: f["count"] for f in body["issuer"]} == {plans[0]["document"]["issuer"]: len(plans)}
    documents = client.get("/facets").json()
    assert documents["unit"] == "documents" and documents["total"] == 5
    assert {f["value"] for f in documents["doc_type"]} == {"Nghị quyết", "Bài viết", "Kế hoạch", "Quyết định",
                                                           "Chương trình hành động"}
    assert documents["year"] == [{"value": "2025", "count": 3}]
    english = client.get("/facets", params={"language": "en"}).json()
    assert english["total"] == 2


def test_document_text_for_the_document_view(client: TestClient) -> None:
    body = client.get(f"/documents/{SEED_003}/clauses").json()
    detail = client.get(f"/documents/{SEED_003}").json()
    assert [c["clause_id"] for c in body["clauses"]] == [o["clause_id"] for o in detail["outline"]]
    outline = {c["kind"] for c in body["clauses"] if c["outline"]}
    assert {"dieu", "part", "item"} <= outline and not outline & {"row", "bullet", "paragraph"}
    clause = next(c for c in body["clauses"] if c["clause_id"] == f"{SEED_003}:KH.I.2.p1")
    assert WRAPPED_PHRASE in clause["display_text"]
    rows = [c for c in body["clauses"] if c["kind"] == "row"]
    assert rows and all(c["fields"]["stt"] == c["label"] for c in rows)
    assert body["pages"] == 0
    assert_error(client.get("/documents/nope/clauses"), 404)


def test_documents_list_what_they_implement(client: TestClient) -> None:
    documents = {d["doc_id"]: d for d in client.get("/documents").json()["documents"]}
    assert documents[SEED_003]["implements"] == ["000_4c6edb8a98047afa"]
    assert documents["000_4c6edb8a98047afa"]["implements"] == []


def test_clause_detail_has_reading_text(client: TestClient) -> None:
    body = client.get(f"/clauses/{SEED_003}:KH.I.2.p1").json()
    assert WRAPPED_PHRASE in body["display"]["text"] and body["display"]["highlights"] == []
    assert all(s["display_text"] for s in body["siblings"])


def test_docs_page_loads_nothing_from_another_host(client: TestClient) -> None:
    import re

    html = client.get("/docs").text
    assert "/docs/assets/swagger-ui-bundle.js" in html and "/docs/assets/swagger-ui.css" in html
    assert not re.findall(r"(?:src|href)=[\"']https?://", html), html
    assert "validatorUrl\": null" in html
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text[:5_000_000]
    assert_error(client.get("/docs/assets/../../app.py"), 404)
    assert client.get("/redoc").status_code == 404
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.content[:4] == b"\x00\x00\x01\x00"
