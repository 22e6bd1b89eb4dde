"""Property-based API check with schemathesis against /openapi.json: no 5xx, responses match the schema.

The schema comes from the app built on the session's seed index, so each operation's cases are drawn with
`operation.as_strategy()` inside an ordinary Hypothesis test (schemathesis' lazy pytest loader does not
run under pytest 9). Both valid (positive) and invalid (negative) requests are generated.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

MAX_EXAMPLES = 15  # per operation and mode: enough to hit limits and odd text while keeping the run short
OPERATIONS = [
    ("GET", "/search"),
    ("POST", "/search"),
    ("GET", "/facets"),
    ("GET", "/documents"),
    ("GET", "/documents/{doc_id}"),
    ("GET", "/documents/{doc_id}/clauses"),
    ("GET", "/clauses/{clause_id}"),
    ("GET", "/conflicts"),
    ("GET", "/coverage"),
    ("GET", "/answer"),
    ("GET", "/health"),
    ("GET", "/metrics"),
]
# Operations without parameters have no invalid request to generate.
WITHOUT_PARAMETERS = {("GET", "/documents"), ("GET", "/health"), ("GET", "/metrics")}
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or (method, path) not in WITHOUT_PARAMETERS
]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def api_schema(seed_index: Path, searcher):
    from api.app import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(seed_index, searcher=searcher))


def test_schema_lists_every_operation(api_schema) -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {'valid' if g is GenerationMode.POSITIVE else 'invalid'}" for m, p, g in CASES]
)
def test_operation_conforms_to_schema(api_schema, method: str, path: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        if mode is GenerationMode.NEGATIVE:
            assert response.status_code < 500, response.text

    check()
