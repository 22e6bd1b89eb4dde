"""The `lexvn` command line: one Typer app; each stage's package contributes its own commands.

This module is the composition root: the only place that imports every layer (indexer, search,
cross-checking, evaluation, encoder training, the server).
"""

from __future__ import annotations

import typer

from api import agent_cli, serve_cli
from eval import cli as eval_cli
from eval.training import cli as training_cli
from indexer import cli as indexer_cli
from search import cli as search_cli
from search.crosscheck import cli as crosscheck_cli

app = typer.Typer(
    name="lexvn",
    help=(
        "lexvn — search Vietnamese and English legal texts clause by clause.\n\n"
        "Typical use: `lexvn index corpus/` builds the index, `lexvn search '\"0,5% tổng chi ngân sách\"'` "
        "finds every clause with that phrase, `lexvn ask '…?'` answers with the clause that says so, `lexvn serve` "
        "opens the web page on http://127.0.0.1:8000 (and an MCP server at /mcp; `lexvn mcp` over stdio)."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

# Each module exposes `register(app)`; the order is the order of `lexvn --help`.
for commands in (indexer_cli, search_cli, agent_cli, crosscheck_cli, eval_cli, serve_cli, training_cli):
    commands.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
