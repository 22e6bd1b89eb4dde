"""Generated answers through a real OpenAI-compatible endpoint: a small chat-completions server written here
and run on 127.0.0.1 (no model can run on this machine). It replies what a test sets and records each
request, so the tests see the prompt lexvn sends and what its verifier makes of the reply."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.llm import ChatModel, completions_url
from search.answer import answer

QUESTION = "Kinh phí cho công tác xây dựng pháp luật tối thiểu bao nhiêu?"
FAITHFUL = "Chi cho công tác xây dựng pháp luật không thấp hơn 0,5% tổng chi ngân sách hằng năm [1]."
UNFAITHFUL = "Chi cho công tác xây dựng pháp luật không thấp hơn 1,5% tổng chi ngân sách hằng năm [1]."


class ChatServer(ThreadingHTTPServer):
    """POST /v1/chat/completions → {"choices": [{"message": {"content": reply}}]}; status and reply settable."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.reply = FAITHFUL
        self.status = 200
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    server: ChatServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.path != "/v1/chat/completions":
            self._send(404, {"error": {"message": "not found"}})
        elif self.server.status != 200:
            self._send(self.server.status, {"error": {"message": "model overloaded"}})
        else:
            self._send(200, {"id": "chatcmpl-test", "object": "chat.completion", "model": body["model"],
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": self.server.reply}}]})

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def chat(chat_server: ChatServer) -> ChatServer:
    chat_server.reply, chat_server.status = FAITHFUL, 200
    chat_server.requests.clear()
    return chat_server


def test_configuration_from_the_environment() -> None:
    assert ChatModel.from_environment({}) is None  # off by default
    model = ChatModel.from_environment({"LEXVN_LLM_URL": "http://127.0.0.1:8080/v1/", "LEXVN_LLM_MODEL": "qwen",
                                        "LEXVN_LLM_API_KEY": "k", "LEXVN_LLM_TIMEOUT": "5"})
    assert model == ChatModel("http://127.0.0.1:8080/v1/chat/completions", "qwen", "k", 5.0)
    assert completions_url("https://api.example/v1/chat/completions") == "https://api.example/v1/chat/completions"
    with pytest.raises(ValueError, match="LEXVN_LLM_MODEL"):
        ChatModel.from_environment({"LEXVN_LLM_URL": "http://127.0.0.1:8080/v1"})


def test_faithful_answer_passes_and_the_prompt_carries_the_cited_clauses(searcher, chat: ChatServer) -> None:
    result = answer(searcher, QUESTION, generate=ChatModel(chat.url, "test-model", api_key="secret"),
                    model="test-model")
    assert result.status == "answered" and result.mode == "generated"
    assert result.text == FAITHFUL
    generation = result.generation
    assert generation.verified and generation.problems == [] and generation.model == "test-model"
    assert {c.kind for c in generation.claims} >= {"marker", "quantity"}
    assert all(c.supported for c in generation.claims)

    (request,) = chat.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    body = request["body"]
    assert body["model"] == "test-model" and body["temperature"] == 0
    prompt = body["messages"][-1]["content"]
    assert QUESTION in prompt
    for number, item in enumerate(result.evidence, start=1):
        assert f"[{number}] {item.citation}" in prompt
    assert "không thấp hơn 0,5% tổng chi ngân sách" in prompt
    assert "[1] điểm b khoản 6 Kế hoạch của UBND tỉnh" in prompt


def test_a_number_absent_from_the_cited_clauses_is_flagged(searcher, chat: ChatServer) -> None:
    chat.reply = UNFAITHFUL
    result = answer(searcher, QUESTION, generate=ChatModel(chat.url, "test-model"))
    assert result.status == "flagged" and result.mode == "generated"
    assert result.text == UNFAITHFUL  # shown, but flagged with what fails
    assert not result.generation.verified
    assert any("1,5%" in problem for problem in result.generation.problems)
    (bad,) = [c for c in result.generation.claims if not c.supported]
    assert bad.kind == "quantity" and bad.text.startswith("1,5%")


def test_strict_mode_refuses_the_unverified_answer(searcher, chat: ChatServer) -> None:
    chat.reply = UNFAITHFUL
    result = answer(searcher, QUESTION, generate=ChatModel(chat.url, "test-model"), strict=True)
    assert result.status == "refused" and result.mode == "extractive"
    assert "1,5%" not in result.text and "0,5%" in result.text  # the extractive answer instead
    assert result.generation.refused and result.generation.text == UNFAITHFUL


def test_the_model_is_not_asked_when_retrieval_is_not_confident(searcher, chat: ChatServer) -> None:
    result = answer(searcher, "Kinh phí cho công tác y tế dự phòng tối thiểu bao nhiêu?",
                    generate=ChatModel(chat.url, "test-model"))
    assert result.status == "not_found" and result.generation is None
    assert chat.requests == []


def test_the_model_may_decline(searcher, chat: ChatServer) -> None:
    chat.reply = "NOT FOUND"
    result = answer(searcher, QUESTION, generate=ChatModel(chat.url, "test-model"))
    assert result.status == "not_found" and result.generation.declined


@pytest.mark.parametrize("failure", ["http_500", "unreachable"])
def test_an_endpoint_failure_falls_back_to_the_extractive_answer(searcher, chat: ChatServer, failure: str) -> None:
    if failure == "http_500":
        chat.status = 500
        url = chat.url
    else:
        from tests.helpers import free_port

        url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    result = answer(searcher, QUESTION, generate=ChatModel(url, "test-model", timeout=5))
    assert result.status == "answered" and result.mode == "extractive" and "0,5%" in result.text
    assert result.generation.error and ("500" in result.generation.error or "unreachable" in result.generation.error)


def test_http_answer_route_and_mcp_use_the_configured_model(seed_index: Path, searcher, chat: ChatServer) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(seed_index, searcher=searcher, llm=ChatModel(chat.url, "test-model")))
    body = client.get("/answer", params={"question": QUESTION}).json()
    assert body["status"] == "answered" and body["mode"] == "generated" and body["text"] == FAITHFUL
    assert body["generation"]["verified"] and body["evidence"][0]["page_url"].startswith("http://testserver/?clause=")
    chat.reply = UNFAITHFUL
    body = client.get("/answer", params={"question": QUESTION, "strict": True}).json()
    assert body["status"] == "refused" and "0,5%" in body["text"]
    body = client.get("/answer", params={"question": QUESTION, "generate": False}).json()
    assert body["mode"] == "extractive" and len(chat.requests) == 2


def test_ask_command_uses_the_endpoint_from_the_environment(seed_index: Path, chat: ChatServer) -> None:
    from api.cli import app

    chat.reply = UNFAITHFUL
    env = {**os.environ, "LEXVN_LLM_URL": chat.url, "LEXVN_LLM_MODEL": "test-model"}
    result = CliRunner().invoke(app, ["ask", QUESTION, "--index", str(seed_index)], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Answer (NOT VERIFIED) [generated]: " + UNFAITHFUL)
    assert "1,5%" in result.stdout.split("\n", 2)[1]  # the problem is printed under the answer
    assert chat.requests and chat.requests[-1]["body"]["model"] == "test-model"


def test_chat_model_reports_replies_without_text(chat: ChatServer) -> None:
    from search.answer import GenerationError

    chat.status = 404  # a server that is not chat-completions compatible
    with pytest.raises(GenerationError, match="HTTP 404"):
        ChatModel(chat.url, "m")([{"role": "user", "content": "hi"}])
    chat.status = 200
    assert ChatModel(chat.url, "m")([{"role": "user", "content": "hi"}]) == FAITHFUL
