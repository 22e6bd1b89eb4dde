"""Property-based API check with schemathesis against /openapi.json: no 5xx, responses match the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks as openapi_checks

MAX_EXAMPLES = 20  # per operation; enough to hit limits and odd text while keeping the run short


@pytest.fixture(scope="module")
def api_schema(seed_index: Path, searcher):
    from api.app import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(seed_index, searcher=searcher))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case) -> None:
    case.call_and_validate(
        checks=[
            schemathesis.checks.not_a_server_error,
            openapi_checks.status_code_conformance,
            openapi_checks.content_type_conformance,
            openapi_checks.response_schema_conformance,
            openapi_checks.response_headers_conformance,
        ]
    )
