"""`lexvn mcp` (the MCP server over stdio) and `lexvn ask` (a grounded answer on the command line)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.serve_cli import DEFAULT_INDEX, prepare_index


def _chat_model(enabled: bool) -> Any:
    if not enabled:
        return None
    from api.llm import ChatModel

    try:
        return ChatModel.from_environment()
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


def mcp_command(
    index: Annotated[Path, typer.Option("--index", help="index directory (built by `lexvn index`)")] = DEFAULT_INDEX,
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="build the index from here first if missing or stale")
    ] = None,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="where `lexvn serve` runs, for links (default $LEXVN_PUBLIC_URL "
                                                       "or http://127.0.0.1:8000)")
    ] = None,
    list_tools: Annotated[bool, typer.Option("--list-tools", help="print the tools and exit")] = False,
) -> None:
    """Serve lexvn to an MCP client (desktop assistant, coding agent) over stdio.

    Over HTTP, `lexvn serve` has the same server at http://HOST:PORT/mcp."""
    from api.deps import Library
    from api.mcp_server import build_server, tool_names

    # stdout is the protocol channel: whatever opening the index prints goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        prepare_index(index, corpus)
        library = Library(index)
        server = build_server(library, llm=_chat_model(True), public_url=public_url)
    if list_tools:
        typer.echo("\n".join(tool_names(server)))
        return
    server.run("stdio")


def _print_answer(result: Any) -> None:
    label = {"answered": "Answer", "flagged": "Answer (NOT VERIFIED)", "refused": "Answer (generated answer refused)",
             "not_found": "Not found"}[result.status]
    typer.echo(f"{label} [{result.mode}]: {result.text}")
    generation = result.generation
    if generation is not None:
        if generation.error:
            typer.echo(f"  language model: {generation.error}; the extractive answer is shown")
        for problem in generation.problems:
            typer.echo(f"  ! {problem}")
        if generation.refused and generation.text:
            typer.echo(f"  withheld: {generation.text}")
    for number, item in enumerate(result.evidence, start=1):
        typer.echo(f"\n[{number}] {item.citation}  [{item.clause_id}]")
        if item.citation_en and item.citation_en != item.citation:
            typer.echo(f"    {item.citation_en}")
        typer.echo(f"    « {' '.join(item.sentence.split())} »")
        if item.facts:
            typer.echo("    facts: " + "; ".join(f"{f['describe']} (“{f['text']}”)" for f in item.facts))
    confidence = result.confidence
    typer.echo(f"\nconfidence: {confidence.reason}")


def ask_command(
    question: Annotated[str | None, typer.Argument(help="a question in Vietnamese or English")] = None,
    index: Annotated[Path | None, typer.Option("--index", help="index directory (default .lexvn/index or $LEXVN_INDEX)")] = None,
    k: Annotated[int, typer.Option("-k", "--k", help="candidate clauses considered", min=1, max=100)] = 10,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="only this doc_id (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="withhold a generated answer that fails verification")] = False,
    no_generate: Annotated[bool, typer.Option("--no-generate", help="extractive only, even with $LEXVN_LLM_URL set")] = False,
    questions: Annotated[Path | None, typer.Option("--questions", help="JSONL of {id, question}: one JSON line out per question")] = None,
) -> None:
    """Answer a question from the indexed documents: the clause(s) and sentence that answer, the numbers and
    dates they state and the citation; or "not found in the indexed documents". With $LEXVN_LLM_URL and
    $LEXVN_LLM_MODEL set, a language model writes the answer from those clauses and every number, date and
    citation in it is checked against them."""
    from indexer.manifest import IndexError_
    from search.answer import answer
    from search.cli import default_index
    from search.searcher import Searcher

    if (question is None) == (questions is None):
        raise typer.BadParameter("give either QUESTION or --questions FILE.jsonl")
    generate = _chat_model(not no_generate)
    try:
        searcher = Searcher.open(index or default_index())
    except IndexError_ as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    filters = {"doc_ids": list(doc)} if doc else None
    model = getattr(generate, "model", None)

    def ask(text: str) -> Any:
        return answer(searcher, text, k=k, filters=filters, generate=generate, model=model, strict=strict)

    try:
        if questions is not None:
            for line in questions.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                item = json.loads(line)
                text = item.get("question") or item.get("query")
                if not text:
                    raise typer.BadParameter(f"{questions}: a line has no 'question': {line[:80]}")
                result = ask(text)
                sys.stdout.write(json.dumps({"id": item.get("id"), **result.to_json()}, ensure_ascii=False) + "\n")
            return
        result = ask(question)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _print_answer(result)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask_command)
    app.command("mcp")(mcp_command)
