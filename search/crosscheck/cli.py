"""`lexvn conflicts`: cross-check one document against another (or every document it cites/implements);
`lexvn coverage`: the implementation matrix of a reference document in every document that implements it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def _open(index: str):
    from indexer.manifest import IndexError_
    from search import Searcher

    try:
        return Searcher.open(Path(index))
    except IndexError_ as error:  # missing or damaged: its one line, not a traceback
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


def _formats(as_json: bool, markdown: bool, as_csv: bool) -> str:
    chosen = [name for name, on in (("json", as_json), ("markdown", markdown), ("csv", as_csv)) if on]
    if len(chosen) > 1:
        raise typer.BadParameter("choose one of --json, --markdown, --csv")
    return chosen[0] if chosen else "text"


def _print_coverage(pairs, output: str, names: dict[str, str]) -> None:
    from search.crosscheck.conflicts import coverage_csv, coverage_markdown

    if output == "json":
        for pair in pairs:
            typer.echo(json.dumps(pair.to_json(), ensure_ascii=False))
    elif output == "csv":
        typer.echo(coverage_csv(pairs), nl=False)
    elif output == "markdown":
        typer.echo(coverage_markdown(pairs, names))
    else:
        for pair in pairs:
            totals = ", ".join(f"{status} {n}" for status, n in pair.totals.items())
            typer.echo(f"{names.get(pair.reviewed, pair.reviewed)} against {names.get(pair.reference, pair.reference)}: {totals}")
            for row in pair.rows:
                where = "; ".join(c.citation for c in row.counterparts[:2]) or (
                    f"closest: {row.nearest.citation}" if row.nearest else "—")
                changes = "; ".join(f"{c.fact} {c.reference_value} → {c.reviewed_value}" for c in row.changes)
                typer.echo(f"  [{row.status}] {row.clause.citation}: {where}" + (f" ({changes})" if changes else ""))


def register(app: typer.Typer) -> None:
    @app.command("conflicts")
    def conflicts(
        doc: str = typer.Option(..., "--doc", help="one document: doc_id, file name (prefix) or number"),
        against: str = typer.Option(None, "--against", help="the other; default: every document --doc cites or implements"),
        index: str = typer.Option(".lexvn/index", "--index", help="index directory"),
        as_json: bool = typer.Option(False, "--json", help="JSON lines, one finding (or matrix) each"),
        markdown: bool = typer.Option(False, "--markdown", help="a Markdown table"),
        as_csv: bool = typer.Option(False, "--csv", help="with --coverage: CSV, one line per clause of the reference"),
        coverage: bool = typer.Option(False, "--coverage", help="the implementation matrix: every clause of the "
                                                                "reference, implemented / changed / omitted"),
        differences_only: bool = typer.Option(False, "--differences-only", help="leave out consistent pairs"),
    ) -> None:
        """Align the two documents' clauses and report value / comparator / deadline / modality / agency changes
        and obligations dropped or added, with both citations. Either order: the document that cites,
        implements or is newer than the other is the one under review (A), the other the reference (B)."""
        from search.crosscheck.conflicts import (
            DocumentNotFound,
            check_pair,
            coverage_of,
            describe_roles,
            pair_roles,
            to_markdown,
        )
        from search.crosscheck.messages import document_name

        output = _formats(as_json, markdown, as_csv)
        if output == "csv" and not coverage:
            raise typer.BadParameter("--csv goes with --coverage")
        searcher = _open(index)
        try:
            pairs = pair_roles(searcher, doc, against)
        except DocumentNotFound as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error
        if coverage and not against:
            raise typer.BadParameter("--coverage needs --against: the reference whose clauses are listed")
        for pair in pairs:
            typer.echo(describe_roles(pair), err=True)
        checks = [(pair, check_pair(searcher, pair)) for pair in pairs]
        if coverage:
            names = {p.reviewed.doc_id: document_name(p.reviewed).en for p, _ in checks}
            names.update({p.reference.doc_id: document_name(p.reference).en for p, _ in checks})
            _print_coverage([coverage_of(check, pair) for pair, check in checks], output, names)
            return
        findings = [c for _, check in checks for c in check.conflicts(include_consistent=not differences_only)]
        if output == "json":
            for finding in findings:
                typer.echo(json.dumps(finding.to_json(), ensure_ascii=False))
        elif output == "markdown":
            typer.echo(to_markdown(findings))
        else:
            for f in findings:
                typer.echo(f"[{f.kind}] conf {f.confidence:.2f} sim {f.similarity:.2f}: {f.message_en or '; '.join(f.differences)}")
                for label, ref in (("A", f.source), ("B", f.target)):
                    if ref is not None:
                        typer.echo(f"   {label}: {ref.citation}\n      {ref.text.strip()[:200]}")
        if not findings:
            typer.echo("no aligned clause pair with comparable facts", err=True)

    @app.command("coverage")
    def coverage_command(
        against: str = typer.Option(..., "--against", help="the reference document whose clauses are the rows"),
        doc: str = typer.Option(None, "--doc", help="one document under review; default: every corpus document that "
                                                   "cites or implements --against"),
        index: str = typer.Option(".lexvn/index", "--index", help="index directory"),
        as_json: bool = typer.Option(False, "--json", help="JSON lines, one matrix per document"),
        markdown: bool = typer.Option(False, "--markdown", help="one Markdown table: clauses × documents"),
        as_csv: bool = typer.Option(False, "--csv", help="CSV, one line per (clause, document)"),
        out: Annotated[Path | None, typer.Option("--out", help="write coverage.md and coverage.csv into this folder")] = None,
    ) -> None:
        """The implementation matrix: every clause of the reference with its status in each document that
        implements or cites it — implemented (with the clauses), changed (which fact, both values), omitted."""
        from search.crosscheck.conflicts import (
            DocumentNotFound,
            coverage_csv,
            coverage_markdown,
            coverage_matrix,
        )
        from search.crosscheck.messages import document_name

        output = _formats(as_json, markdown, as_csv)
        searcher = _open(index)
        try:
            matrix = coverage_matrix(searcher, against, [doc] if doc else None)
        except DocumentNotFound as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error
        names = {d: document_name(searcher.get_document(d)).en for d in [matrix.reference, *matrix.documents]}
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            reference = names[matrix.reference]
            header = [f"# Implementation matrix of {reference} ({matrix.reference})", "",
                      "Every clause of the reference and what each document does with it: ✔ implemented (with its "
                      "clauses), △ changed (which fact, the reference's value → the document's), ✘ omitted (the "
                      "closest clause when the reference's quantified obligation is what is left out).", "",
                      "| document | " + " | ".join(f"{p.reviewed}" for p in matrix.pairs) + " |",
                      "| --- | " + " | ".join("---" for _ in matrix.pairs) + " |",
                      "| name | " + " | ".join(names[p.reviewed] for p in matrix.pairs) + " |",
                      "| totals | " + " | ".join(", ".join(f"{k} {v}" for k, v in p.totals.items()) for p in matrix.pairs) + " |",
                      ""]
            (out / "coverage.md").write_text("\n".join(header) + "\n" + coverage_markdown(matrix.pairs, names) + "\n",
                                             encoding="utf-8")
            (out / "coverage.csv").write_text(coverage_csv(matrix.pairs), encoding="utf-8")
            typer.echo(f"written: {out / 'coverage.md'}, {out / 'coverage.csv'}", err=True)
            return
        _print_coverage(matrix.pairs, output, names)
