"""lexvn for language-model agents: an MCP server (official SDK, `mcp`) over stdio and streamable HTTP.

Tools (typed input and output schemas; all read-only): `search`, `get_clause`, `get_document`,
`list_documents`, `cross_check`, `answer`. Resources: `lexvn://documents` (the list, JSON) and
`lexvn://documents/{doc_id}` (each document's full text). A wrong argument, an unknown id or a failure
inside a tool comes back as a tool error (`isError: true`) with a message saying what to do; the server
keeps serving.

- stdio: `lexvn mcp --index DIR` (`run_stdio`), for desktop assistants and coding agents that start it.
- HTTP: the API app mounts `McpEndpoint` at `/mcp` (stateless, JSON responses, so any worker of
  `lexvn serve --workers N` answers any request); Host/Origin headers are checked against loopback
  unless `LEXVN_MCP_ALLOWED_HOSTS` names more hosts ("*" turns the check off).

This module defines no `from __future__ import annotations`: the SDK reads the tools' signatures.
"""

import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from api.convert import hit_out
from api.deps import Library
from api.errors import error_body
from api.schemas import (
    MAX_ID_CHARS,
    MAX_QUERY_CHARS,
    AnswerResponse,
    ClauseDetail,
    ConflictOut,
    CoverageRowOut,
    DocumentDetail,
    DocumentList,
    DocumentMetaOut,
    SearchFilters,
    SearchMode,
)
from api.views import answer_response, clause_detail, document_detail

ENV_PUBLIC_URL = "LEXVN_PUBLIC_URL"  # where the lexvn page is, for the links tools return
ENV_ALLOWED_HOSTS = "LEXVN_MCP_ALLOWED_HOSTS"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
MCP_PATH = "/mcp"
MAX_TOOL_K = 50
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "127.0.0.1:*", "localhost:*", "[::1]:*"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]

INSTRUCTIONS = """\
lexvn searches Vietnamese and English legal and normative texts (laws, resolutions, provincial plans) clause
by clause: Phần / Chương / Mục / Điều / khoản / điểm, plan items and appendix table rows.
- `search` finds clauses; quote a phrase in double quotes to require it ("0,5% tổng chi ngân sách"; number
  formats and tone marks do not matter). Each result has `citation` (Vietnamese legal style) and
  `citation_en`: cite them as given, with the clause's own words, rather than paraphrasing.
- `get_clause` gives a clause with its parent, siblings and children; `get_document` a document's metadata,
  outline and the documents it cites or that cite it; `list_documents` the corpus.
- `answer` gives a grounded answer: the clause and sentence that answer, the numbers and dates stated, the
  citation, or status "not_found" when the indexed documents do not answer. Do not answer a legal
  question from memory when `answer` says not_found.
- `cross_check` compares two documents (a plan against the resolution it implements, a law against its
  previous version), in either order: the document that cites, implements or is newer than the other is the
  one reviewed. It reports changed values, comparators, deadlines, obligations the reviewed document drops or
  adds, each with `message_en` / `message_vi` saying which document does what; `coverage: true` lists the
  reference's clauses as implemented / changed / omitted.
Documents are also resources: lexvn://documents/{doc_id}.
"""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)


# ---------------------------------------------------------------------------------------------- outputs


class AgentHit(BaseModel):
    rank: int
    clause_id: str = Field(description="pass to get_clause for the clause in context")
    doc_id: str = Field(description="pass to get_document")
    citation: str = Field(description="Vietnamese legal citation, to quote as given")
    citation_en: str = Field(description="English citation")
    path: str = Field(description="position in the document: 'khoản 6 > điểm b'")
    kind: str
    text: str = Field(description="the clause's original text")
    matched: list[str] = Field(default_factory=list, description="the parts of `text` that match the query")
    highlights: list[tuple[int, int]] = Field(default_factory=list, description="[start, end) offsets of `matched` in `text`")
    document: DocumentMetaOut
    score: float
    page_url: str = Field(description="the clause on the lexvn page")


class AgentSearchResult(BaseModel):
    query: str
    mode: SearchMode
    total: int
    results: list[AgentHit]
    page_url: str = Field(description="these results on the lexvn page")


class ClauseInContext(ClauseDetail):
    page_url: str = Field(description="the clause on the lexvn page")


class DocumentInContext(DocumentDetail):
    resource_uri: str = Field(description="the document's full text as an MCP resource")
    api_url: str = Field(description="the same document from the lexvn HTTP API")


class CrossCheckResult(BaseModel):
    doc: str
    against: str | None
    reviewed: str = Field(description="the document under review (A): the one that cites, implements or is newer "
                                      "than the other, whichever was given as `doc`")
    total: int
    by_kind: dict[str, int]
    conflicts: list[ConflictOut]
    coverage: list[CoverageRowOut] | None = Field(default=None, description="with coverage=true: every "
                                                  "clause of the reference and its status in the reviewed document")
    coverage_totals: dict[str, int] | None = None


# ---------------------------------------------------------------------------------------------- server


class Links:
    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/")

    def clause(self, clause_id: str) -> str:
        return f"{self.base}/?{urlencode({'clause': clause_id})}"

    def search(self, query: str, mode: str) -> str:
        return f"{self.base}/?{urlencode({'q': query, 'mode': mode})}"

    def document_api(self, doc_id: str) -> str:
        return f"{self.base}/documents/{quote(doc_id, safe='')}"


def document_uri(doc_id: str) -> str:
    return f"lexvn://documents/{quote(doc_id, safe='')}"


def _filters(filters: SearchFilters | None) -> dict[str, Any] | None:
    return (filters.model_dump(exclude_none=True) or None) if filters is not None else None


def _not_found(error: StarletteHTTPException) -> ToolError:
    return ToolError(f"{error.detail}. Ids come from `search` results (clause_id, doc_id), `list_documents` "
                     "or `get_document`'s outline.")


def build_server(source: Any, *, llm: Any = None, public_url: str | None = None) -> MCPServer:
    """The MCP server over an opened index: a `Library`, or an `api.deps.LiveLibrary` whose current version
    each call reads (a server follows new index versions). `llm`: a `generate` function for answers
    (api.llm.ChatModel)."""

    def current() -> Library:
        return source.current if hasattr(source, "current") else source

    library = current()
    links = Links(public_url or os.environ.get(ENV_PUBLIC_URL) or DEFAULT_PUBLIC_URL)
    server = MCPServer(name="lexvn", title="lexvn — Vietnamese legal texts, clause by clause",
                       instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING")

    @server.tool(
        name="search", title="Search legal clauses", annotations=READ_ONLY,
        description=(
            "Search the indexed legal texts and return ranked clauses with their citation, original text, the "
            "matched parts and a link. Put a phrase in double quotes to require it verbatim (\"0,5% tổng chi "
            "ngân sách\"; 0,5% = 0.5%, hoá = hóa). Modes: hybrid (default: BM25 + dense + phrase), bm25, dense, "
            "phrase (the whole query is the phrase). Vietnamese or English queries."))
    def search(
        query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                    description="words, or a \"quoted phrase\" every result must contain")],
        k: Annotated[int, Field(ge=1, le=MAX_TOOL_K, description="number of clauses to return")] = 10,
        mode: Annotated[SearchMode, Field(description="hybrid | bm25 | dense | phrase")] = "hybrid",
        filters: Annotated[SearchFilters | None, Field(description="restrict to documents or clause kinds")] = None,
    ) -> AgentSearchResult:
        if not query.strip():
            raise ToolError("the query is blank: give words or a quoted phrase")
        if mode == "dense" and not current().searcher.has_dense:
            raise ToolError("this index has no dense vectors; use mode 'hybrid', 'bm25' or 'phrase'")
        try:
            hits = current().searcher.search(query.strip(), k=k, mode=mode,
                                   filters=_filters(filters))
        except ValueError as error:
            raise ToolError(str(error)) from error
        results = []
        for hit in hits:
            out = hit_out(hit, current().summaries)
            results.append(AgentHit(
                rank=out.rank, clause_id=out.clause_id, doc_id=out.doc_id, citation=out.citation,
                citation_en=out.citation_en, path=out.path, kind=out.kind, text=out.text,
                matched=[out.text[start:end] for start, end in out.highlights], highlights=out.highlights,
                document=out.document, score=out.score, page_url=links.clause(out.clause_id)))
        return AgentSearchResult(query=query, mode=mode, total=len(results), results=results,
                                 page_url=links.search(query, mode))

    @server.tool(
        name="get_clause", title="A clause in context", annotations=READ_ONLY,
        description=("One clause by its clause_id (from search, answer or an outline): text, citation, headings, "
                     "its parent, its siblings (a window around it, `position` marks it) and its children."))
    def get_clause(
        clause_id: Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS,
                                        description="e.g. '002_7aca7bcc376b2da4:6.b'")],
    ) -> ClauseInContext:
        try:
            detail = clause_detail(current(), clause_id)
        except StarletteHTTPException as error:
            raise _not_found(error) from error
        return ClauseInContext(**detail.model_dump(), page_url=links.clause(detail.clause_id))

    @server.tool(
        name="get_document", title="A document: metadata, outline, relations", annotations=READ_ONLY,
        description=("One document by doc_id, file name or document number ('1218/QĐ-UBND'): its metadata, "
                     "outline (clause ids, kinds, labels, citations; `max_depth` keeps the top levels of a long "
                     "law), the references it makes (relations out: căn cứ, thực hiện, sửa đổi, …) and the "
                     "corpus documents that refer to it (relations in)."))
    def get_document(
        doc_id: Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS,
                                     description="doc_id, source file name or document number")],
        max_depth: Annotated[int | None, Field(ge=1, le=10, description="outline levels to include")] = None,
    ) -> DocumentInContext:
        resolved = _resolve(doc_id)
        detail = document_detail(current(), resolved, max_depth)
        return DocumentInContext(**detail.model_dump(), resource_uri=document_uri(resolved),
                                 api_url=links.document_api(resolved))

    @server.tool(name="list_documents", title="The indexed documents", annotations=READ_ONLY,
                 description="Every indexed document: doc_id, source file, metadata (type, number, issuer, date, "
                             "title, language) and clause count.")
    def list_documents() -> DocumentList:
        documents = sorted(current().summaries.values(), key=lambda d: d.doc_id)
        return DocumentList(total=len(documents), documents=documents)

    @server.tool(
        name="cross_check", title="Cross-check two documents", annotations=READ_ONLY,
        description=("Align document `doc`'s clauses with `against` (default: every corpus document `doc` cites "
                     "or implements) and report typed findings: value_changed, comparator_changed, "
                     "deadline_changed, obligation_dropped, modality_changed, agency_changed (and consistent "
                     "pairs with include_consistent). With coverage=true and `against` given, also every clause "
                     "of `against` with its status in `doc`: implemented, changed or omitted."))
    def cross_check(
        doc: Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS,
                                  description="the document under review (doc_id, file name or number)")],
        against: Annotated[str | None, Field(max_length=MAX_ID_CHARS,
                                             description="the reference document; default: those `doc` cites")] = None,
        coverage: Annotated[bool, Field(description="also list the reference's clauses with their status")] = False,
        include_consistent: Annotated[bool, Field(description="also list aligned clauses that agree")] = False,
    ) -> CrossCheckResult:
        from search.crosscheck.conflicts import coverage as coverage_rows
        from search.crosscheck.conflicts import cross_check as run_cross_check

        doc_id = _resolve(doc)
        against_id = _resolve(against) if against else None
        if coverage and against_id is None:
            raise ToolError("coverage needs `against`: the reference document whose clauses are listed")
        findings = [ConflictOut.model_validate(f.to_json())
                    for f in run_cross_check(current().searcher, doc_id, against_id, include_consistent=include_consistent)]
        rows = totals = None
        reviewed = findings[0].reviewed_doc if findings else doc_id
        if coverage:
            matrix = coverage_rows(current().searcher, doc_id, against_id)
            rows = [CoverageRowOut.model_validate(row.to_json()) for row in matrix.rows]
            totals, reviewed = matrix.totals, matrix.reviewed
        return CrossCheckResult(doc=doc_id, against=against_id, reviewed=reviewed, total=len(findings),
                                by_kind=dict(Counter(f.kind for f in findings)), conflicts=findings,
                                coverage=rows, coverage_totals=totals)

    @server.tool(
        name="answer", title="A grounded answer with its citation", annotations=READ_ONLY,
        description=(
            "Answer a question from the indexed documents only. Returns status 'answered' with the clause(s) "
            "and sentence that answer, the numbers, durations and dates they state and their citations; or "
            "'not_found' when retrieval is not confident (then the documents do not answer: say so rather "
            "than guess). When the server has a language model configured, `text` is its answer, checked: "
            "every number, date and citation in it must occur in a cited clause, else status 'flagged' "
            "(problems listed) or, with strict=true, 'refused'."))
    def answer(
        question: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                       description="a question in Vietnamese or English")],
        filters: Annotated[SearchFilters | None, Field(description="restrict to documents")] = None,
        strict: Annotated[bool, Field(description="withhold a generated answer that fails verification")] = False,
        generate: Annotated[bool, Field(description="use the configured language model, if any")] = True,
    ) -> AnswerResponse:
        from search.answer import answer as grounded_answer

        if not question.strip():
            raise ToolError("the question is blank")
        started = time.perf_counter()
        try:
            result = grounded_answer(current().searcher, question.strip(),
                                     filters=_filters(filters),
                                     generate=llm if generate else None, model=getattr(llm, "model", None),
                                     strict=strict)
        except ValueError as error:
            raise ToolError(str(error)) from error
        return answer_response(current(), result, (time.perf_counter() - started) * 1000, links.clause)

    def _resolve(name: str) -> str:
        from search.crosscheck.conflicts import DocumentNotFound, resolve_document

        try:
            return resolve_document(current().searcher, name).doc_id
        except DocumentNotFound as error:
            raise ToolError(f"{error}. `list_documents` gives the doc_ids.") from error

    # ------------------------------------------------------------------------------------------ resources

    @server.resource("lexvn://documents", name="documents", title="The indexed documents",
                     description="doc_id, source, metadata and clause count of every document",
                     mime_type="application/json")
    def documents_resource() -> str:
        return list_documents().model_dump_json()

    for summary in sorted(library.summaries.values(), key=lambda d: d.doc_id):
        meta = summary.meta
        label = " ".join(part for part in (meta.doc_type, meta.number) if part) or summary.doc_id
        described = " · ".join(part for part in (label, meta.issuer, meta.date, f"{summary.clause_count} clauses") if part)
        server.add_resource(FunctionResource.from_function(
            fn=_document_text(library, summary.doc_id), uri=document_uri(summary.doc_id), name=summary.doc_id,
            title=meta.title or label, description=f"Full text of {described} ({summary.source})",
            mime_type="text/plain"))
    return server


def _document_text(library: Library, doc_id: str):
    def read() -> str:
        return library.document(doc_id).text

    return read


# ---------------------------------------------------------------------------------------------- transports


def transport_security(environ: dict[str, str] | None = None) -> TransportSecuritySettings:
    """Host/Origin checks against DNS rebinding: loopback, plus `LEXVN_MCP_ALLOWED_HOSTS` (comma-separated
    "host" or "host:port" / "host:*"; "*" turns the check off)."""
    env = os.environ if environ is None else environ
    extra = [h.strip() for h in (env.get(ENV_ALLOWED_HOSTS) or "").split(",") if h.strip()]
    if "*" in extra:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = LOOPBACK_HOSTS + extra
    origins = LOOPBACK_ORIGINS + [f"{scheme}://{h}" for h in extra for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class McpEndpoint:
    """The ASGI endpoint the API app routes `/mcp` to. Its session manager is created at each start of the
    app's lifespan (`running()`), since one can run only once; before that it answers 503."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self._app: Any = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        app = self.server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True,
                                              json_response=True, transport_security=transport_security())
        async with self.server.session_manager.run():
            self._app = app
            try:
                yield
            finally:
                self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            response = JSONResponse(status_code=503, content=error_body(
                503, "the MCP endpoint is not running: the app's lifespan has not started"))
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)


def run_stdio(library: Library, *, llm: Any = None, public_url: str | None = None) -> None:
    build_server(library, llm=llm, public_url=public_url).run("stdio")


def tool_names(server: MCPServer) -> list[str]:
    """The registered tools, for `lexvn mcp --list`."""
    import anyio

    async def names() -> list[str]:
        return [tool.name for tool in await server.list_tools()]

    return anyio.run(names)


__all__ = ["MCP_PATH", "McpEndpoint", "build_server", "run_stdio", "tool_names", "transport_security"]
