"""The HTTP query service: `create_app(index_dir)` opens one index read-only and serves the API and the page.

Routes: GET/POST /search, GET /documents, GET /documents/{doc_id}, GET /clauses/{clause_id},
GET /conflicts, GET /health, GET /metrics (Prometheus text), GET / (the page) and /static/*.

Design notes
- The index is opened once, when the app is created; request handlers only read from it. Handlers are
  plain `def` functions, so FastAPI runs them in its thread pool and a slow query never blocks the event
  loop; the Searcher is documented safe for concurrent reads.
- Every error leaves in one shape (`schemas.ErrorResponse`), including validation errors, unknown routes,
  wrong methods and unexpected faults; an unexpected fault is logged with its traceback.
- Lookups the API derives from the index (references pointing *into* a document, a clause's siblings)
  are computed on first use and cached; they never change because the index is read-only.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import schemas
from api.schemas import (
    ERROR_RESPONSES,
    MAX_ID_CHARS,
    MAX_K,
    MAX_QUERY_CHARS,
    ClauseBrief,
    ClauseDetail,
    ConflictOut,
    ConflictsResponse,
    DocumentDetail,
    DocumentList,
    DocumentMetaOut,
    DocumentSummary,
    HealthResponse,
    HitGroup,
    HitOut,
    OutlineEntry,
    ReferenceOut,
    SearchFilters,
    SearchMode,
    SearchRequest,
    SearchResponse,
)
from search.searcher import clause_path  # the same human path as Hit.path: "Điều 5 > khoản 2"

log = logging.getLogger("lexvn.api")

STATIC_DIR = Path(__file__).resolve().parent / "static"
SIBLING_WINDOW = 8  # siblings shown on each side of a clause in context; a law's top level has hundreds
ENV_INDEX = "LEXVN_INDEX"  # how `lexvn serve --workers N` hands the index to each worker process
ENV_MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable for multi-process metrics

ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
}


class NotFound(StarletteHTTPException):
    def __init__(self, what: str, value: str) -> None:
        super().__init__(status_code=404, detail=f"unknown {what}: {value[:MAX_ID_CHARS]}")


# ---------------------------------------------------------------------------------------------- the index


def meta_out(meta: Any) -> DocumentMetaOut:
    return DocumentMetaOut(
        doc_type=meta.doc_type,
        number=meta.number,
        issuer=meta.issuer,
        place=meta.place,
        date=meta.date,
        title=meta.title,
        language=meta.language or "vi",
        source_url=meta.source_url,
    )


def clause_brief(clause: Any) -> ClauseBrief:
    return ClauseBrief(
        clause_id=clause.id,
        kind=clause.kind,
        path=clause_path(clause),
        citation=clause.citation,
        text=clause.text,
        title=clause.title,
    )


def reference_out(reference: Any, from_doc_id: str) -> ReferenceOut:
    return ReferenceOut(
        text=reference.text,
        key=reference.key,
        doc_type=reference.doc_type,
        number=reference.number,
        date=reference.date,
        issuer=reference.issuer,
        relation=reference.relation,
        clause_id=reference.clause_id,
        from_doc_id=from_doc_id,
        resolved_doc_id=reference.resolved_doc_id,
    )


class Library:
    """The opened index plus the read-only lookups the API derives from it (computed once, cached)."""

    def __init__(self, index_dir: Path, searcher: Any = None) -> None:
        self.index_dir = Path(index_dir)
        if searcher is None:
            from search import Searcher  # heavy imports (faiss, torch) only when an app is really created

            searcher = Searcher.open(self.index_dir)
            # The first query of a process pays for underthesea's and the encoder's lazy loading: pay it
            # at start-up, not on a user's request.
            searcher.warm_up()
        self.searcher = searcher
        self._lock = threading.Lock()
        self._references_in: dict[str, list[ReferenceOut]] | None = None
        self.summaries = {summary.doc_id: summary for summary in self._summaries()}
        self.clause_count = sum(summary.clause_count for summary in self.summaries.values())
        # The index, torch, underthesea and their modules are ~500k objects that live as long as the
        # process; a full garbage collection walking them stalled a request for 100-300 ms (the p99 under
        # load). Frozen, collections only walk what requests allocate.
        gc.collect()
        gc.freeze()

    def _summaries(self) -> Iterable[DocumentSummary]:
        for document in self.searcher.documents():
            yield DocumentSummary(
                doc_id=document.doc_id,
                source=document.source,
                format=document.format,
                meta=meta_out(document.meta),
                clause_count=document.clause_count,
                content_hash=document.content_hash,
            )

    def document(self, doc_id: str) -> Any:
        document = self.searcher.get_document(doc_id) if doc_id in self.summaries else None
        if document is None:
            raise NotFound("document", doc_id)
        return document

    def clause(self, clause_id: str) -> Any:
        clause = self.searcher.get_clause(clause_id)
        if clause is None:
            raise NotFound("clause", clause_id)
        return clause

    def references_in(self, doc_id: str) -> list[ReferenceOut]:
        """Mentions in other corpus documents that resolve to `doc_id` (built on first use, for all)."""
        with self._lock:
            if self._references_in is None:
                found: dict[str, list[ReferenceOut]] = {}
                for other_id in self.summaries:
                    for reference in self.document(other_id).references:
                        target = reference.resolved_doc_id
                        if target and target != other_id:
                            found.setdefault(target, []).append(reference_out(reference, other_id))
                self._references_in = found
        return self._references_in.get(doc_id, [])


# ---------------------------------------------------------------------------------------------- responses


def hit_out(hit: Any, documents: dict[str, DocumentSummary]) -> HitOut:
    summary = documents.get(hit.doc_id)
    return HitOut(
        rank=hit.rank,
        clause_id=hit.clause_id,
        doc_id=hit.doc_id,
        source=hit.source,
        text=hit.text,
        citation=hit.citation,
        citation_en=hit.citation_en,
        path=hit.path,
        kind=hit.kind,
        headings=list(hit.headings),
        score=float(hit.score),
        scores={name: float(value) for name, value in hit.scores.items()},
        highlights=[(int(start), int(end)) for start, end in hit.highlights],
        document=summary.meta if summary else DocumentMetaOut(**_known_meta(hit.document)),
    )


def _known_meta(values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in DocumentMetaOut.model_fields if values.get(name) is not None}


def group_hits(hits: list[HitOut]) -> list[HitGroup]:
    """Hits grouped by document, groups ordered by their best-ranked hit, hits by rank inside."""
    groups: dict[str, HitGroup] = {}
    for hit in sorted(hits, key=lambda h: h.rank):
        group = groups.get(hit.doc_id)
        if group is None:
            group = groups[hit.doc_id] = HitGroup(
                doc_id=hit.doc_id, source=hit.source, document=hit.document, best_rank=hit.rank, hits=[]
            )
        group.hits.append(hit)
    return list(groups.values())


def searcher_filters(filters: SearchFilters | None) -> dict[str, Any] | None:
    """The API's filter fields, in the Searcher's vocabulary (see search/searcher.py)."""
    if filters is None:
        return None
    values = filters.model_dump(exclude_none=True)
    return values or None


def error_body(status: int, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    info = schemas.ErrorInfo(
        status=status,
        code=ERROR_CODES.get(status, "error"),
        message=message,
        details=[schemas.ErrorDetail(**d) for d in details or []],
    )
    return schemas.ErrorResponse(error=info).model_dump()


def validation_details(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in errors
    ]


# ---------------------------------------------------------------------------------------------- metrics


class Metrics:
    """Prometheus request counters and latency histograms, one registry per app (tests create several)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Histogram
        from prometheus_client import Counter as PromCounter

        self.registry = CollectorRegistry(auto_describe=True)
        buckets = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
        self.latency = Histogram(
            "lexvn_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            ["method", "route", "status"],
            buckets=buckets,
            registry=self.registry,
        )
        self.search_latency = Histogram(
            "lexvn_search_duration_seconds",
            "Time spent in Searcher.search, by mode",
            ["mode"],
            buckets=buckets,
            registry=self.registry,
        )
        self.search_hits = PromCounter(
            "lexvn_search_hits", "Clauses returned by searches, by mode", ["mode"], registry=self.registry
        )

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if os.environ.get(ENV_MULTIPROC):  # several worker processes: sum what each wrote to its files
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class LatencyMiddleware:
    """Pure ASGI middleware (no body buffering) that times each HTTP request by its route template."""

    def __init__(self, app: Callable, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_and_record(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            if template.startswith("/static"):
                template = "/static"
            self.metrics.latency.labels(scope["method"], template, str(status["code"])).observe(
                time.perf_counter() - started
            )


# ---------------------------------------------------------------------------------------------- the app


def create_app(index_dir: Path | str, searcher: Any = None) -> FastAPI:
    """The FastAPI app serving the index at `index_dir`, opened now, once, read-only.

    `searcher`: an already opened `search.Searcher` of that index to share (tests reuse one per session).
    """
    library = Library(Path(index_dir), searcher)
    metrics = Metrics()
    app = FastAPI(
        title="lexvn",
        version="0.1.0",
        summary="Clause-level search over Vietnamese and English legal texts, with citations and conflict checks.",
        description=(
            "Every error has the body `{\"error\": {\"status\", \"code\", \"message\", \"details\"}}`. "
            f"Queries are at most {MAX_QUERY_CHARS} characters, `k` at most {MAX_K}."
        ),
        responses={422: ERROR_RESPONSES[422], 500: ERROR_RESPONSES[500]},
    )
    app.state.library = library
    app.state.metrics = metrics
    app.add_middleware(LatencyMiddleware, metrics=metrics)
    install_error_handlers(app)

    def run_search(request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        query = request.query.strip()
        if request.mode == "dense" and not library.searcher.has_dense:
            raise StarletteHTTPException(422, "this index has no dense vectors (built with --no-dense)")
        hits: list[HitOut] = []
        if query:  # a query of spaces is valid input that matches nothing
            raw = library.searcher.search(
                query, k=request.k, mode=request.mode, filters=searcher_filters(request.filters)
            )
            hits = [hit_out(hit, library.summaries) for hit in raw]
        took = time.perf_counter() - started
        metrics.search_latency.labels(request.mode).observe(took)
        metrics.search_hits.labels(request.mode).inc(len(hits))
        return SearchResponse(
            query=request.query,
            mode=request.mode,
            k=request.k,
            took_ms=round(took * 1000, 2),
            total=len(hits),
            results=hits,
            groups=group_hits(hits) if request.group else None,
        )

    @app.get("/search", response_model=SearchResponse, tags=["search"], summary="Search clauses (query string)")
    def search_get(
        query: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="words or a \"phrase\"")],
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
        mode: SearchMode = "hybrid",
        group: bool = False,
        doc: Annotated[list[str] | None, Query(max_length=50, description="only these doc_ids")] = None,
        doc_type: Annotated[str | None, Query(max_length=100)] = None,
        language: schemas.Language | None = None,
        issuer: Annotated[str | None, Query(max_length=200)] = None,
        number: Annotated[str | None, Query(max_length=100)] = None,
        year_from: Annotated[int | None, Query(ge=1800, le=2200)] = None,
        year_to: Annotated[int | None, Query(ge=1800, le=2200)] = None,
        kind: Annotated[str | None, Query(max_length=30)] = None,
    ) -> SearchResponse:
        filters = SearchFilters(
            doc_ids=doc, doc_type=doc_type, language=language, issuer=issuer, number=number,
            year_from=year_from, year_to=year_to, kind=kind,
        )
        return run_search(SearchRequest(query=query, k=k, mode=mode, filters=filters, group=group))

    @app.post(
        "/search",
        response_model=SearchResponse,
        responses={400: ERROR_RESPONSES[400]},
        tags=["search"],
        summary="Search clauses (JSON body)",
    )
    def search_post(request: SearchRequest) -> SearchResponse:
        return run_search(request)

    @app.get("/documents", response_model=DocumentList, tags=["documents"], summary="All indexed documents")
    def list_documents() -> DocumentList:
        documents = sorted(library.summaries.values(), key=lambda d: d.doc_id)
        return DocumentList(total=len(documents), documents=documents)

    @app.get(
        "/documents/{doc_id}",
        response_model=DocumentDetail,
        responses={404: ERROR_RESPONSES[404]},
        tags=["documents"],
        summary="One document: metadata, outline, references in and out",
    )
    def get_document(doc_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)]) -> DocumentDetail:
        document = library.document(doc_id)
        outline = [
            OutlineEntry(
                clause_id=clause.id,
                kind=clause.kind,
                label=clause.path[-1].label if clause.path else "",
                path=clause_path(clause),
                depth=len(clause.path),
                title=clause.title,
                parent_id=clause.parent_id,
                citation=clause.citation,
            )
            for clause in document.clauses
        ]
        return DocumentDetail(
            **library.summaries[doc_id].model_dump(),
            outline=outline,
            references_out=[reference_out(r, doc_id) for r in document.references],
            references_in=library.references_in(doc_id),
        )

    @app.get(
        "/clauses/{clause_id:path}",
        response_model=ClauseDetail,
        responses={404: ERROR_RESPONSES[404]},
        tags=["documents"],
        summary="One clause in context: text, citation, parent, siblings and children",
    )
    def get_clause(clause_id: Annotated[str, PathParam(max_length=MAX_ID_CHARS)]) -> ClauseDetail:
        clause = library.clause(clause_id)
        document = library.document(clause.doc_id)
        family = [c for c in document.clauses if c.parent_id == clause.parent_id]
        position = next((i for i, c in enumerate(family) if c.id == clause.id), 0)
        window_start = max(0, position - SIBLING_WINDOW)
        siblings = family[window_start : position + SIBLING_WINDOW + 1]
        parent = library.clause(clause.parent_id) if clause.parent_id else None
        return ClauseDetail(
            clause_id=clause.id,
            doc_id=clause.doc_id,
            source=document.source,
            kind=clause.kind,
            path=clause_path(clause),
            headings=list(clause.headings),
            text=clause.text,
            clean_text=clause.clean_text,
            lines=tuple(clause.lines),
            citation=clause.citation,
            citation_en=clause.citation_en,
            title=clause.title,
            fields=dict(clause.fields),
            document=library.summaries[clause.doc_id].meta,
            parent=clause_brief(parent) if parent else None,
            siblings=[clause_brief(c) for c in siblings],
            position=position - window_start,
            children=[clause_brief(c) for c in document.clauses if c.parent_id == clause.id],
        )

    @lru_cache(maxsize=64)
    def cross_check(doc: str, counterpart: str | None) -> tuple[ConflictOut, ...]:
        from search.conflicts import cross_check as run_cross_check

        findings = run_cross_check(library.searcher, doc, counterpart)
        return tuple(ConflictOut.model_validate(finding.to_json()) for finding in findings)

    @app.get(
        "/conflicts",
        response_model=ConflictsResponse,
        responses={404: ERROR_RESPONSES[404]},
        tags=["conflicts"],
        summary="Cross-check a document against a counterpart (or the documents it implements)",
    )
    def get_conflicts(
        doc: Annotated[str, Query(max_length=MAX_ID_CHARS, description="doc_id of the document to check")],
        counterpart: Annotated[
            str | None, Query(max_length=MAX_ID_CHARS, description="doc_id to check against; default: its sources")
        ] = None,
        include_consistent: Annotated[bool, Query(description="also list aligned clauses that agree")] = False,
    ) -> ConflictsResponse:
        for doc_id in (doc, counterpart):
            if doc_id is not None and doc_id not in library.summaries:
                raise NotFound("document", doc_id)
        findings = [
            f for f in cross_check(doc, counterpart) if include_consistent or f.kind != "consistent"
        ]
        return ConflictsResponse(
            doc=doc,
            counterpart=counterpart,
            total=len(findings),
            by_kind=dict(Counter(f.kind for f in findings)),
            conflicts=findings,
        )

    @app.get("/health", response_model=HealthResponse, tags=["service"], summary="Index manifest and counts")
    def health() -> HealthResponse:
        manifest = dict(library.searcher.manifest or {})
        return HealthResponse(
            status="ok",
            index_dir=str(library.index_dir),
            documents=len(library.summaries),
            clauses=library.clause_count,
            model=manifest_model(manifest),
            modes=list(SearchMode.__args__),
            manifest=manifest,
        )

    @app.get(
        "/metrics",
        tags=["service"],
        summary="Prometheus metrics (text exposition format)",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def get_metrics() -> Response:
        body, content_type = metrics.render()
        return Response(content=body, media_type=content_type)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def manifest_model(manifest: dict[str, Any]) -> str | None:
    """The dense encoder named in the manifest (search owns its layout; accept its usual spellings)."""
    dense = manifest.get("dense")
    if isinstance(dense, dict):
        return dense.get("model") or dense.get("model_name")
    return manifest.get("model") or manifest.get("dense_model")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        details = validation_details(error.errors())
        return JSONResponse(status_code=422, content=error_body(422, "invalid request", details))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=error.status_code,
            content=error_body(error.status_code, str(error.detail)),
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(Exception)
    async def on_unexpected_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content=error_body(500, f"internal error: {type(error).__name__}"))


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` worker processes: the index directory comes from $LEXVN_INDEX."""
    index_dir = os.environ.get(ENV_INDEX)
    if not index_dir:
        raise RuntimeError(f"${ENV_INDEX} is not set")
    return create_app(index_dir)
