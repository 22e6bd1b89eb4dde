"""The `lexvn` command line: one Typer app; each stage's package contributes its own commands."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="lexvn",
    help=(
        "lexvn — search Vietnamese and English legal texts clause by clause.\n\n"
        "Typical use: `lexvn index corpus/` builds the index, `lexvn search '\"0,5% tổng chi ngân sách\"'` "
        "finds every clause with that phrase, `lexvn serve` opens the web page on http://127.0.0.1:8000."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

# Each module exposes `register(app)`; the order is the order of `lexvn --help`.
COMMAND_MODULES = (
    "indexer.cli",  # parse
    "search.cli",  # index, search
    "search.conflicts_cli",  # conflicts
    "eval.cli",  # eval
    "api.serve_cli",  # serve
    "indexer.train_cli",  # train-encoder
)

for module_name in COMMAND_MODULES:
    importlib.import_module(module_name).register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
