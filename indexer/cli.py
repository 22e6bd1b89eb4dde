"""`lexvn parse FILE [--json]`: show what ingestion makes of one file (document model or readable outline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def outline(document) -> str:
    """A readable summary: metadata, cleaning, clauses as an indented tree, references."""
    meta = document.meta
    lines = [
        f"{document.source}  ({document.format}, {document.encoding or '-'}, sha256 {document.content_hash[:12]}…)",
        f"  type: {meta.doc_type or '?'}   number: {meta.number or '?'}   date: {meta.date or '?'}   language: {meta.language}",
        f"  issuer: {meta.issuer or '?'}   place: {meta.place or '?'}",
        f"  title: {meta.title or '?'}",
    ]
    if meta.source_url:
        lines.append(f"  source: {meta.source_url}")
    lines.append(f"  excluded lines: {len(document.excluded)}")
    if document.repair:
        lines.append(
            f"  glyph repair: '{document.repair['char']}' restored in {document.repair['words_repaired']} words"
            f" (e.g. {', '.join(document.repair['examples'][:3])})"
        )
    lines.append(f"  clauses: {len(document.clauses)}")
    for clause in document.clauses:
        depth = len(clause.path)
        preview = " ".join((clause.clean_text or clause.text).split())[:90]
        lines.append(f"    {'  ' * max(0, depth - 1)}[{clause.kind} {'.'.join(s.label for s in clause.path)}] {preview}")
    lines.append(f"  references: {len(document.references)}")
    for reference in document.references:
        extra = ", ".join(x for x in (reference.date, reference.issuer, reference.relation) if x)
        lines.append(f"    {reference.key}" + (f" ({extra})" if extra else ""))
    return "\n".join(lines)


def parse_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a .txt, .md, .html, .pdf or .docx file")],
    as_json: Annotated[bool, typer.Option("--json", help="print the whole document model as JSON")] = False,
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="corpus root, for the source path and the metadata.json sidecar "
                     "(default: the file's folder)"),
    ] = None,
) -> None:
    """Parse one file into the document model: metadata, clauses with citations, references."""
    from indexer.load import LoadError
    from indexer.pipeline import ingest_file

    root = (corpus or file.parent).resolve()
    try:
        document = ingest_file(file.resolve(), root)
    except LoadError as error:
        typer.echo(f"{file}: {error.problem}: {error.detail}", err=True)
        raise typer.Exit(code=1) from error
    if as_json:
        typer.echo(json.dumps(document.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(outline(document))


def register(app: typer.Typer) -> None:
    app.command("parse")(parse_command)
