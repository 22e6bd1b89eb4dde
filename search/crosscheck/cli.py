"""`lexvn conflicts`: cross-check one document against another (or every document it cites/implements)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("conflicts")
    def conflicts(
        doc: str = typer.Option(..., "--doc", help="document A: doc_id, file name (prefix) or number"),
        against: str = typer.Option(None, "--against", help="document B; default: every document A cites or implements"),
        index: str = typer.Option(".lexvn/index", "--index", help="index directory"),
        as_json: bool = typer.Option(False, "--json", help="JSON lines, one finding each"),
        markdown: bool = typer.Option(False, "--markdown", help="a Markdown table"),
        differences_only: bool = typer.Option(False, "--differences-only", help="leave out consistent pairs"),
    ) -> None:
        """Align A's clauses with B's and report value / comparator / deadline / modality / agency changes,
        dropped obligations and consistent pairs, with both citations."""
        from indexer.manifest import IndexError_
        from search import Searcher
        from search.crosscheck.conflicts import DocumentNotFound, cross_check, to_markdown

        try:
            searcher = Searcher.open(Path(index))
        except IndexError_ as error:  # missing or damaged: its one line, not a traceback
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error
        try:
            findings = cross_check(searcher, doc, against, include_consistent=not differences_only)
        except DocumentNotFound as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error
        if as_json:
            for finding in findings:
                typer.echo(json.dumps(finding.to_json(), ensure_ascii=False))
        elif markdown:
            typer.echo(to_markdown(findings))
        else:
            for f in findings:
                typer.echo(f"[{f.kind}] conf {f.confidence:.2f} sim {f.similarity:.2f}: {'; '.join(f.differences)}")
                typer.echo(f"   A: {f.source.citation}\n      {f.source.text.strip()[:200]}")
                typer.echo(f"   B: {f.target.citation}\n      {f.target.text.strip()[:200]}")
        if not findings:
            typer.echo("no aligned clause pair with comparable facts", err=True)
