"""Prometheus request counters and latency histograms, and the ASGI middleware that times each request."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

ENV_MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable for multi-process metrics


class Metrics:
    """One registry per app (tests create several)."""

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
