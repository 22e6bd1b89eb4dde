"""An OpenAI-compatible chat endpoint the user configures, for generated answers (off by default).

`LEXVN_LLM_URL` (e.g. `http://127.0.0.1:8080/v1`, or the full `…/chat/completions` URL) and
`LEXVN_LLM_MODEL` turn it on; `LEXVN_LLM_API_KEY` (sent as a bearer token) and `LEXVN_LLM_TIMEOUT`
(seconds, default 60) are optional. Nothing is downloaded and nothing runs here: the endpoint is any
server speaking `POST /chat/completions` (llama.cpp's server, vLLM, Ollama, a hosted API).

`ChatModel(...)(messages) -> str` is the `generate` function `search.answer.answer` takes; every failure
(connection, timeout, HTTP status, a reply without text) is raised as `search.answer.GenerationError`, so
an answer falls back to the extractive one instead of failing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from search.answer import GenerationError

ENV_URL = "LEXVN_LLM_URL"
ENV_MODEL = "LEXVN_LLM_MODEL"
ENV_API_KEY = "LEXVN_LLM_API_KEY"
ENV_TIMEOUT = "LEXVN_LLM_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
MAX_TOKENS = 512


def completions_url(url: str) -> str:
    """The chat-completions URL for a base URL (`…/v1`) or the full URL as given."""
    url = url.strip().rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


@dataclass(frozen=True, slots=True)
class ChatModel:
    url: str
    model: str
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", completions_url(self.url))  # a base URL (…/v1) or the full one

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ChatModel | None:
        """The configured endpoint, or None when `LEXVN_LLM_URL` is unset (generation is off)."""
        env = os.environ if environ is None else environ
        url = (env.get(ENV_URL) or "").strip()
        if not url:
            return None
        model = (env.get(ENV_MODEL) or "").strip()
        if not model:
            raise ValueError(f"${ENV_URL} is set but ${ENV_MODEL} is not: name the model the endpoint serves")
        try:
            timeout = float(env.get(ENV_TIMEOUT) or DEFAULT_TIMEOUT)
        except ValueError as error:
            raise ValueError(f"${ENV_TIMEOUT} must be a number of seconds") from error
        return cls(url, model, (env.get(ENV_API_KEY) or "").strip() or None, timeout)

    def __call__(self, messages: list[dict[str, str]]) -> str:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {"model": self.model, "messages": messages, "temperature": 0, "max_tokens": MAX_TOKENS,
                "stream": False}
        try:
            response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise GenerationError(f"language model at {self.url} unreachable: {type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise GenerationError(f"language model at {self.url} answered HTTP {response.status_code}: "
                                  f"{response.text[:200]}")
        try:
            data = response.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise GenerationError(f"language model at {self.url} sent no chat completion: {response.text[:200]}") from error
        if not isinstance(content, str):
            raise GenerationError(f"language model at {self.url} sent a completion without text")
        return content
