"""`lexvn serve`: (re)build the index when the corpus changed, then serve the API and the page with uvicorn."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_INDEX = Path(".lexvn/index")
# Files the indexer reads; anything else in the corpus folder does not make the index stale.
CORPUS_SUFFIXES = {".txt", ".md", ".html", ".htm", ".pdf", ".docx"}


def corpus_hashes(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every document file under `corpus_dir`, by path relative to it (hidden files skipped)."""
    hashes = {}
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        if path.is_file() and path.suffix.lower() in CORPUS_SUFFIXES and not any(
            part.startswith(".") for part in relative.parts
        ):
            hashes[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def indexed_hashes(index_dir: Path) -> dict[str, str] | None:
    """{source: content_hash} recorded in the live index's manifest; None when there is no usable index."""
    from indexer.manifest import IndexError_, read_manifest, version_dir

    try:
        manifest = read_manifest(version_dir(index_dir))
    except (IndexError_, OSError, ValueError, TypeError, KeyError):
        return None
    return {entry.source: entry.content_hash for entry in manifest.documents.values()}


def stale_reason(index_dir: Path, corpus_dir: Path) -> str | None:
    """Why the index must be (re)built from the corpus, or None when it is up to date."""
    indexed = indexed_hashes(index_dir)
    if indexed is None:
        return f"no index at {index_dir}"
    current = corpus_hashes(corpus_dir)
    added = current.keys() - indexed.keys()
    removed = indexed.keys() - current.keys()
    changed = [source for source in current.keys() & indexed.keys() if current[source] != indexed[source]]
    # Files the indexer rejected (empty, binary…) are absent from the manifest but listed in its report.
    added -= rejected_sources(index_dir)
    if added or removed or changed:
        return f"corpus changed: {len(added)} new, {len(changed)} modified, {len(removed)} removed files"
    return None


def rejected_sources(index_dir: Path) -> set[str]:
    """Sources the last build could not index (its ingest report), so they do not count as new."""
    from indexer.manifest import IndexError_, version_dir

    try:
        report = json.loads((version_dir(index_dir) / "ingest_report.json").read_text(encoding="utf-8"))
    except (IndexError_, OSError, ValueError):
        return set()
    return {problem.get("source", "") for problem in report.get("problems", []) if isinstance(problem, dict)}


def ensure_index(index_dir: Path, corpus_dir: Path | None) -> None:
    """Build the index from `corpus_dir` when it is missing or stale; without a corpus it must exist."""
    if corpus_dir is None:
        if indexed_hashes(index_dir) is None:
            raise typer.BadParameter(f"no index at {index_dir}; pass --corpus DIR to build one", param_hint="--index")
        return
    if not corpus_dir.is_dir():
        raise typer.BadParameter(f"{corpus_dir} is not a directory", param_hint="--corpus")
    reason = stale_reason(index_dir, corpus_dir)
    if reason is None:
        typer.echo(f"index {index_dir} is up to date with {corpus_dir}", err=True)
        return
    typer.echo(f"building index: {reason}", err=True)
    from indexer.build import build_index

    build_index(corpus_dir, index_dir, dense=True, progress=sys.stderr.isatty())


def serve(
    index: Annotated[Path, typer.Option("--index", help="index directory (built by `lexvn index`)")] = DEFAULT_INDEX,
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="build the index from here first if missing or stale")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="address to listen on (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="worker processes, each opens the index")] = 1,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
) -> None:
    """Serve the search API (OpenAPI at /docs) and the search page on http://HOST:PORT/."""
    import uvicorn

    from api.app import ENV_INDEX, ENV_MULTIPROC

    ensure_index(index, corpus)
    os.environ[ENV_INDEX] = str(index.resolve())
    metrics_dir = None
    if workers > 1:  # prometheus-client sums the workers' metrics through files in this directory
        metrics_dir = tempfile.mkdtemp(prefix="lexvn-metrics-")
        os.environ[ENV_MULTIPROC] = metrics_dir
    typer.echo(f"lexvn: serving {index} on http://{host}:{port}/ (API docs at /docs)", err=True)
    try:
        uvicorn.run(
            "api.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=False,
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
