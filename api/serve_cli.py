"""`lexvn serve`: (re)build the index when the corpus changed or the index is damaged, then serve the API and
the page with uvicorn; the server swaps to each new version a later `lexvn index` publishes."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from api.limits import Limits

DEFAULT_INDEX = Path(".lexvn/index")


def prepare_index(index_dir: Path, corpus_dir: Path | None) -> None:
    """Build the index from `corpus_dir` when it is missing, stale or damaged; without a corpus it must
    exist and be whole (every file at its recorded size)."""
    from indexer.shards import is_sharded

    if corpus_dir is not None and is_sharded(index_dir):
        raise typer.BadParameter(f"{index_dir} is a sharded index: build it with `lexvn index CORPUS --shards N`, "
                                 "then serve it without --corpus", param_hint="--corpus")
    if corpus_dir is None:
        from indexer.manifest import IndexError_, open_version

        try:
            open_version(index_dir)
        except IndexError_ as error:
            raise typer.BadParameter(f"{error}; or pass --corpus DIR to (re)build it", param_hint="--index") from error
        return
    if not corpus_dir.is_dir():
        raise typer.BadParameter(f"{corpus_dir} is not a directory", param_hint="--corpus")
    from indexer.build import ensure_index as ensure

    done = ensure(corpus_dir, index_dir, dense=True, progress=sys.stderr.isatty(),
                  log=lambda line: typer.echo(line, err=True))
    if not done["built"]:
        typer.echo(f"index {index_dir} is up to date with {corpus_dir}", err=True)


DEFAULTS = Limits()


def serve(
    index: Annotated[Path, typer.Option("--index", help="index directory (built by `lexvn index`)")] = DEFAULT_INDEX,
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="build the index from here first if missing, stale or damaged")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="address to listen on (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="worker processes, each opens the index")] = 1,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
    reload_seconds: Annotated[float, typer.Option(
        "--reload-seconds", min=0, help="how often to look for a newly published index version (0: never; "
        "POST /admin/reload from this machine still works)")] = DEFAULTS.reload_seconds,
    crosscheck_seconds: Annotated[float, typer.Option(
        "--crosscheck-seconds", min=0.1, help="time limit of one /conflicts cross-check")] = DEFAULTS.crosscheck_seconds,
    crosscheck_concurrency: Annotated[int, typer.Option(
        "--crosscheck-concurrency", min=1, help="cross-checks run at once per worker (more get 429)")
    ] = DEFAULTS.crosscheck_concurrency,
    max_body_bytes: Annotated[int, typer.Option(
        "--max-body-bytes", min=1024, help="largest request body accepted (413 above)")] = DEFAULTS.max_body_bytes,
    ray_address: Annotated[str | None, typer.Option(
        "--ray", help="a sharded index: the Ray cluster its shard replicas run on (default: a local Ray)")] = None,
    replicas: Annotated[int, typer.Option("--replicas", min=1, help="a sharded index: Ray actors per shard")] = 1,
) -> None:
    """Serve the search API (OpenAPI at /docs), the search page on http://HOST:PORT/ and the MCP server at /mcp."""
    import uvicorn

    from api.app import ENV_INDEX, ENV_MULTIPROC
    from api.llm import ChatModel

    try:  # a half-configured language model fails here, not in every worker
        ChatModel.from_environment()
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    from api.deps import ENV_RAY, ENV_REPLICAS

    prepare_index(index, corpus)
    os.environ[ENV_INDEX] = str(index.resolve())
    os.environ[ENV_REPLICAS] = str(replicas)
    if ray_address:
        os.environ[ENV_RAY] = ray_address
    limits = Limits(max_body_bytes=max_body_bytes, crosscheck_concurrency=crosscheck_concurrency,
                    crosscheck_seconds=crosscheck_seconds, reload_seconds=reload_seconds)
    os.environ.update(limits.to_environment())  # each worker process builds its app from these
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
