"""`lexvn index` and `lexvn search`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_CORPUS = Path("corpus")


def default_index() -> Path:
    return Path(os.environ.get("LEXVN_INDEX", ".lexvn/index"))


def index_command(
    corpus_dir: Annotated[Path, typer.Argument(help="folder of documents (txt, md, html, pdf, docx)")] = DEFAULT_CORPUS,
    index: Annotated[Path | None, typer.Option("--index", help="index directory (default .lexvn/index or $LEXVN_INDEX)")] = None,
    no_dense: Annotated[bool, typer.Option("--no-dense", help="lexical side only (quick builds of large corpora)")] = False,
    model: Annotated[str | None, typer.Option("--model", help="embedding model: minilm, a packaged model or a local path")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="build from scratch, reusing nothing (a damaged index)")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="check the live version's checksums and structure; build nothing")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="if another process is writing the index, wait for it instead of failing")] = False,
    shards: Annotated[int | None, typer.Option(
        "--shards", min=1, help="build N shard indexes on Ray (one task per file) that search as one index")] = None,
    ray_address: Annotated[str | None, typer.Option(
        "--ray", help="with --shards: the Ray cluster's address (host:port of its head; default: a local Ray)")] = None,
    retries: Annotated[int, typer.Option(
        "--retries", min=0, help="with --shards: how often a file's task runs again when its node dies")] = 2,
) -> None:
    """Build or update the index of CORPUS_DIR (only new, changed or removed files are re-processed;
    nothing at all when nothing changed). With --shards: a sharded index, built in full on Ray."""
    from indexer.manifest import IndexError_
    from indexer.shards import is_sharded

    index_dir = index or default_index()
    if verify:
        raise typer.Exit(verify_index(index_dir, ray_address))
    if not corpus_dir.is_dir():
        raise typer.BadParameter(f"{corpus_dir} is not a directory", param_hint="CORPUS_DIR")
    if shards is not None:
        raise typer.Exit(sharded_index(corpus_dir, index_dir, shards, ray_address, retries, not no_dense, model,
                                       quiet))
    if ray_address is not None:
        raise typer.BadParameter("--ray builds a sharded index: give --shards N too", param_hint="--ray")
    if is_sharded(index_dir) and not rebuild:
        typer.echo(f"error: {index_dir} is a sharded index: update it with --shards N (or replace it with a "
                   "single index with --rebuild)", err=True)
        raise typer.Exit(2)
    from indexer.build import build_index

    try:
        result = build_index(corpus_dir, index_dir, dense=not no_dense, model=model, progress=not quiet,
                             rebuild=rebuild, wait=wait, on_wait=lambda line: typer.echo(line, err=True))
    except IndexError_ as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    counts = result["counts"]
    if not result["published"]:
        typer.echo(f"index {index_dir} is up to date with {corpus_dir}: {counts['documents']} documents, "
                   f"{counts['clauses']} clauses, {counts.get('problems', 0)} problem file(s), "
                   f"{counts.get('skipped', 0)} skipped path(s) (report: {result['version']}/ingest_report.txt); "
                   f"checked in {result['seconds']:.2f} s, no new version written")
        return
    typer.echo(result["report_text"])
    timings = result["timings"]
    model_info = result["model"]
    dense = f"{model_info['name']} ({model_info['dimension']}d, {model_info['faiss']})" if model_info else "none"
    typer.echo(f"index {index_dir}: {counts['documents']} documents, {counts['clauses']} clauses, "
               f"dense: {dense}; {result['incremental'].get('mode', 'full')} build in {timings['total']:.1f} s "
               f"({', '.join(f'{k} {v:.1f}s' for k, v in timings.items() if k != 'total')}); "
               f"why: {'; '.join(result['changes'])}")


def sharded_index(corpus_dir: Path, index_dir: Path, shards: int, address: str | None, retries: int, dense: bool,
                  model: str | None, quiet: bool) -> int:
    """`lexvn index --shards N`: the sharded build, one line of progress per file unless quiet."""
    from indexer.manifest import IndexError_
    from indexer.shards import build_sharded

    def progress(done: int, total: int, node: str) -> None:
        if not quiet:
            typer.echo(f"  file {done}/{total} (node {node[:8]})", err=True)

    try:
        result = build_sharded(corpus_dir, index_dir, shards, dense=dense, model=model, address=address,
                               retries=retries, on_progress=progress)
    except IndexError_ as error:
        typer.echo(f"error: {error}", err=True)
        return 2
    typer.echo(result["report_text"])
    if result["lost_nodes"]:
        typer.echo(f"warning: {len(result['lost_nodes'])} Ray node(s) died during the build "
                   f"({', '.join(node[:8] for node in result['lost_nodes'])}); their files ran again on the others")
    counts, timings = result["counts"], result["timings"]
    typer.echo(f"index {index_dir}: {counts['documents']} documents, {counts['clauses']} clauses in "
               f"{counts['shards']} shards ({', '.join(str(s['clauses']) for s in result['shards'])} clauses); "
               f"built in {timings['total']:.1f} s (Ray tasks {timings['tasks']:.1f} s, writing {timings['write']:.1f} s)")
    return 0


def verify_index(index_dir: Path, address: str | None = None) -> int:
    """`lexvn index --verify`: every file's checksum, then the version opened as a searcher (BM25 rows and
    keyed vectors against the clauses). Prints one line; returns the exit status."""
    from indexer import manifest as mf
    from search.sharded import open_index

    try:
        directory = mf.version_dir(index_dir)
        manifest = mf.read_manifest(directory)
        checked = mf.verify_checksums(directory, manifest)
        searcher = open_index(index_dir, address=address)
    except mf.IndexError_ as error:
        typer.echo(f"error: {error}", err=True)
        return 1
    typer.echo(f"index version {directory.name} is intact: {len(manifest.files)} files, "
               f"{checked / 1e6:.1f} MB checked; {len(searcher.documents())} documents, "
               f"{searcher.clause_count} clauses")
    return 0


def _filters(doc_type: str | None, issuer: str | None, year_from: int | None, year_to: int | None,
             language: str | None, number: str | None) -> dict[str, Any] | None:
    values = {"doc_type": doc_type, "issuer": issuer, "year_from": year_from, "year_to": year_to,
              "language": language, "number": number}
    values = {name: value for name, value in values.items() if value is not None}
    return values or None


def _result_json(hits: list[Any]) -> list[dict[str, Any]]:
    return [hit.to_json() for hit in hits]


def _print_text(hits: list[Any], info: dict[str, Any], explain: bool, group: bool) -> None:
    from search.searcher import group_by_document

    typer.echo(f"{len(hits)} results for {info['query']!r} ({info['mode']}, {info['took_ms']} ms)")
    if explain:
        typer.echo(f"  normalised: {info['normalised']!r}  language: {info['language']}"
                   f"{' (typed without tone marks)' if info['unmarked'] else ''}  kind: {info['kind']}  "
                   f"phrases: {info['phrases']}  phrase matches: {info['phrase_matches']}")
        if info["dropped"]:
            typer.echo(f"  question words left out: {' '.join(info['dropped'])}"
                       f"{'  (asks for: ' + info['answer_type'] + ')' if info['answer_type'] else ''}")
        typer.echo(f"  terms: {' '.join(info['terms'])}")
        for expansion in info["expansions"]:
            typer.echo(f"  expansion ({expansion['table']}, weight {expansion['weight']}): "
                       f"{expansion['source']} → {' | '.join(expansion['targets'])}")
        for translation in info["translations"]:
            typer.echo(f"  translation into {info['target_language']} ({translation['table']}): "
                       f"{translation['source']} → {' | '.join(translation['targets'])}")
        typer.echo(f"  signals: {', '.join(info['signals'])}"
                   f"{'  (reordered by the question reranker, search/rerank.py)' if info.get('reranked') else ''}")
    blocks = group_by_document(hits) if group else [{"hits": hits}]
    for block in blocks:
        if group:
            doc = block["document"]
            typer.echo(f"\n== {block['doc_id']} ({doc.get('type') or '?'} {doc.get('number') or ''}) {block['source']}")
        for hit in block["hits"]:
            text = hit.text
            marked, cursor = [], 0
            for start, end in hit.highlights:
                marked += [text[cursor:start], "[", text[start:end], "]"]
                cursor = end
            marked.append(text[cursor:])
            body = " ".join("".join(marked).split())
            typer.echo(f"\n{hit.rank:>3}. {hit.citation}  [{hit.clause_id}]  score {hit.score:.4f}")
            if explain:
                typer.echo("     " + ", ".join(f"{name}={value:.4g}" for name, value in hit.scores.items()))
            typer.echo(f"     {body[:400]}{'…' if len(body) > 400 else ''}")


def search_command(
    query: Annotated[str | None, typer.Argument(help="words, or a \"quoted phrase\" that every result must contain")] = None,
    index: Annotated[Path | None, typer.Option("--index", help="index directory (default .lexvn/index or $LEXVN_INDEX)")] = None,
    k: Annotated[int, typer.Option("-k", "--k", help="number of results", min=1)] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | bm25 | dense | phrase")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="show per-signal scores and query analysis")] = False,
    group: Annotated[bool, typer.Option("--group", help="group results by document")] = False,
    queries: Annotated[Path | None, typer.Option("--queries", help="JSONL file of {id, query}: one JSON line out per query")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="document type, e.g. Luật, 'Kế hoạch'")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="substring of the issuing body")] = None,
    year_from: Annotated[int | None, typer.Option("--from-year", help="documents dated in or after this year")] = None,
    year_to: Annotated[int | None, typer.Option("--to-year", help="documents dated in or before this year")] = None,
    language: Annotated[str | None, typer.Option("--language", help="vi | en")] = None,
    number: Annotated[str | None, typer.Option("--number", help="document number, e.g. 1218/QĐ-UBND")] = None,
    synonyms: Annotated[Path | None, typer.Option(
        "--synonyms", help="your own synonym file, Elasticsearch/Solr format (`a, b` or `a => b` a line); "
        "also $LEXVN_SYNONYMS")] = None,
    ray_address: Annotated[str | None, typer.Option(
        "--ray", help="a sharded index: the Ray cluster to run its shard replicas on (default: a local Ray)")] = None,
) -> None:
    """Search the index: ranked clauses with citations and highlighted matches."""
    if synonyms is not None:
        if not synonyms.is_file():
            raise typer.BadParameter(f"{synonyms} is not a file", param_hint="--synonyms")
        os.environ["LEXVN_SYNONYMS"] = str(synonyms.resolve())
    from indexer.manifest import IndexError_
    from search.sharded import open_index

    if (query is None) == (queries is None):
        raise typer.BadParameter("give either QUERY or --queries FILE.jsonl")
    try:
        searcher = open_index(index or default_index(), address=ray_address)
    except IndexError_ as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    filters = _filters(doc_type, issuer, year_from, year_to, language, number)
    try:
        if queries is not None:
            for line in queries.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                item = json.loads(line)
                hits = searcher.search(item["query"], k=k, mode=mode, filters=filters)
                sys.stdout.write(json.dumps({"id": item.get("id"), "query": item["query"],
                                             "results": _result_json(hits)}, ensure_ascii=False) + "\n")
            return
        hits, info = searcher.search_explained(query, k=k, mode=mode, filters=filters)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if as_json:
        payload: dict[str, Any] = {"query": query, "mode": mode, "took_ms": info["took_ms"],
                                   "results": _result_json(hits)}
        if explain:
            payload["explain"] = {key: value for key, value in info.items()
                                  if key not in ("query", "mode", "took_ms")}
        if group:
            from search.searcher import group_by_document

            payload["groups"] = [{**g, "hits": [h.rank for h in g["hits"]]} for g in group_by_document(hits)]
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        _print_text(hits, info, explain, group)


def register(app: typer.Typer) -> None:
    app.command("index")(index_command)
    app.command("search")(search_command)
