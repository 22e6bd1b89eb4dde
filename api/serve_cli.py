"""`lexvn serve`: (re)build the index when the corpus changed, then serve the API and the page with uvicorn."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_INDEX = Path(".lexvn/index")
def ensure_index(index_dir: Path, corpus_dir: Path | None) -> None:
    """Build the index from `corpus_dir` when it is missing or stale; without a corpus it must exist."""
    if corpus_dir is None:
        from indexer.manifest import IndexError_, read_manifest, version_dir

        try:
            read_manifest(version_dir(index_dir))
        except (IndexError_, OSError, ValueError) as error:
            raise typer.BadParameter(f"no index at {index_dir} ({error}); pass --corpus DIR to build one",
                                     param_hint="--index") from error
        return
    if not corpus_dir.is_dir():
        raise typer.BadParameter(f"{corpus_dir} is not a directory", param_hint="--corpus")
    from indexer.build import ensure_index as ensure

    done = ensure(corpus_dir, index_dir, dense=True, progress=sys.stderr.isatty(),
                  log=lambda line: typer.echo(line, err=True))
    if not done["built"]:
        typer.echo(f"index {index_dir} is up to date with {corpus_dir}", err=True)


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
    """Serve the search API (OpenAPI at /docs), the search page on http://HOST:PORT/ and the MCP server at /mcp."""
    import uvicorn

    from api.app import ENV_INDEX, ENV_MULTIPROC
    from api.llm import ChatModel

    try:  # a half-configured language model fails here, not in every worker
        ChatModel.from_environment()
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    ensure_index(index, corpus)
    os.environ[ENV_INDEX] = str(index.resolve())
    # Links in MCP tool results point at this server; a named host is allowed by the MCP endpoint's
    # Host/Origin check (loopback always is; for 0.0.0.0 set LEXVN_MCP_ALLOWED_HOSTS to the names clients use).
    os.environ.setdefault("LEXVN_PUBLIC_URL", f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}")
    if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
        allowed = [h for h in os.environ.get("LEXVN_MCP_ALLOWED_HOSTS", "").split(",") if h.strip()]
        os.environ["LEXVN_MCP_ALLOWED_HOSTS"] = ",".join([*allowed, host, f"{host}:*"])
    metrics_dir = None
    if workers > 1:  # prometheus-client sums the workers' metrics through files in this directory
        metrics_dir = tempfile.mkdtemp(prefix="lexvn-metrics-")
        os.environ[ENV_MULTIPROC] = metrics_dir
    typer.echo(f"lexvn: serving {index} on http://{host}:{port}/ (API docs at /docs, MCP at /mcp)", err=True)
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
