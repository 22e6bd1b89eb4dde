"""The MCP server driven by the SDK's own client: `lexvn mcp` over stdio (a subprocess), and the running API
app's /mcp over streamable HTTP (uvicorn on loopback). The same scenario on both transports."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import ROOT
from tests.helpers import serve_app

SEED_002 = "002_7aca7bcc376b2da4"
BUDGET = "0,5% tổng chi ngân sách"
TOOLS = {"search", "get_clause", "get_document", "list_documents", "cross_check", "answer"}


async def scenario(client: Client) -> dict:
    """The acceptance scenario; returns what later checks need."""
    listed = (await client.list_tools()).tools
    assert TOOLS <= {tool.name for tool in listed}
    for tool in listed:
        assert len(tool.description or "") > 60, tool.name  # a description an agent can act on
        assert tool.input_schema["type"] == "object" and tool.output_schema, tool.name
        assert tool.annotations and tool.annotations.read_only_hint
    search_schema = next(t for t in listed if t.name == "search").input_schema
    assert search_schema["required"] == ["query"]
    assert set(search_schema["properties"]) == {"query", "k", "mode", "filters"}

    found = await client.call_tool("search", {"query": BUDGET, "k": 10})
    assert not found.is_error, found.content
    results = found.structured_content["results"]
    from_002 = [hit for hit in results if hit["doc_id"] == SEED_002]
    assert from_002, [hit["clause_id"] for hit in results]
    hit = from_002[0]
    assert BUDGET in hit["text"] and hit["citation"] == "điểm b khoản 6 Kế hoạch của UBND tỉnh"
    assert any("0,5%" in part for part in hit["matched"])
    assert hit["page_url"].endswith("?clause=" + hit["clause_id"].replace(":", "%3A"))

    clause = await client.call_tool("get_clause", {"clause_id": hit["clause_id"]})
    assert not clause.is_error, clause.content
    detail = clause.structured_content
    assert detail["clause_id"] == hit["clause_id"] and detail["citation"] == hit["citation"]
    assert detail["parent"]["clause_id"] == f"{SEED_002}:6"
    assert [s["clause_id"] for s in detail["siblings"]][detail["position"]] == hit["clause_id"]
    assert {s["clause_id"] for s in detail["siblings"]} >= {f"{SEED_002}:6.a", f"{SEED_002}:6.c"}
    assert detail["children"] == []

    unknown = await client.call_tool("get_clause", {"clause_id": "no-such-document:9.z"})
    assert unknown.is_error
    assert "unknown clause: no-such-document:9.z" in unknown.content[0].text
    invalid = await client.call_tool("search", {"query": BUDGET, "mode": "sideways"})
    assert invalid.is_error and "mode" in invalid.content[0].text
    # the server is still serving after the errors
    again = await client.call_tool("search", {"query": BUDGET, "k": 1, "mode": "phrase"})
    assert not again.is_error and again.structured_content["total"] == 1

    document = await client.call_tool("get_document", {"doc_id": SEED_002})
    assert not document.is_error
    outline = document.structured_content["outline"]
    assert hit["clause_id"] in {entry["clause_id"] for entry in outline}
    assert {r["resolved_doc_id"] for r in document.structured_content["references_out"]} >= {"000_4c6edb8a98047afa"}

    answered = await client.call_tool("answer", {"question": "Kinh phí cho công tác xây dựng pháp luật tối thiểu bao nhiêu?"})
    assert not answered.is_error and answered.structured_content["status"] == "answered"
    assert answered.structured_content["evidence"][0]["clause_id"] == f"{SEED_002}:6.b"

    resources = (await client.list_resources()).resources
    uris = {str(resource.uri) for resource in resources}
    assert f"lexvn://documents/{SEED_002}" in uris and "lexvn://documents" in uris
    text = (await client.read_resource(f"lexvn://documents/{SEED_002}")).contents[0].text
    assert BUDGET in text
    return {"hit": hit}


def test_stdio_server_with_the_sdk_client(seed_index: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "api.cli", "mcp", "--index", str(seed_index)], cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
             "TOKENIZERS_PARALLELISM": "false", "LEXVN_LLM_URL": ""})

    async def run() -> None:
        async with Client(params, read_timeout_seconds=180) as client:
            await scenario(client)

    anyio.run(run)


@pytest.fixture(scope="module")
def running_app(seed_index: Path, searcher):
    from api.app import create_app

    with serve_app(create_app(seed_index, searcher=searcher)) as base_url:
        yield base_url


def test_http_server_mounted_in_the_running_app(running_app: str) -> None:
    async def run() -> None:
        async with Client(f"{running_app}/mcp", read_timeout_seconds=120) as client:
            await scenario(client)

    anyio.run(run)
    # the rest of the app is untouched by the mount
    assert httpx.get(f"{running_app}/health", timeout=30).json()["status"] == "ok"


def test_http_endpoint_refuses_foreign_hosts(running_app: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "Host": "attacker.example"}
    response = httpx.post(f"{running_app}/mcp", json=body, headers=headers, timeout=30)
    assert response.status_code in (400, 403, 421), response.text


def test_transport_security_from_the_environment() -> None:
    from api.mcp_server import transport_security

    default = transport_security({})
    assert default.enable_dns_rebinding_protection and "localhost:*" in default.allowed_hosts
    named = transport_security({"LEXVN_MCP_ALLOWED_HOSTS": "lexvn.internal:*, 10.0.0.5:8000"})
    assert {"lexvn.internal:*", "10.0.0.5:8000"} <= set(named.allowed_hosts)
    assert not transport_security({"LEXVN_MCP_ALLOWED_HOSTS": "*"}).enable_dns_rebinding_protection


def test_mcp_endpoint_answers_503_before_the_app_starts(seed_index: Path, searcher) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(seed_index, searcher=searcher))  # no `with`: the lifespan never runs
    response = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"


def test_mcp_command_lists_its_tools(seed_index: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    env = {**os.environ, "LEXVN_LLM_URL": ""}
    result = CliRunner().invoke(app, ["mcp", "--index", str(seed_index), "--list-tools"], env=env)
    assert result.exit_code == 0, result.output
    assert TOOLS <= set(result.stdout.split())
