"""The gateway's Prometheus metrics, on a registry of its own per app (tests run several apps in
one process; the default global registry would mix them).

Under ``serve --workers N`` (``PROMETHEUS_MULTIPROC_DIR`` set) every worker writes its values to
that directory and renders the sum of all workers', so a scrape of any one of them is the whole
gateway's: counters and histograms add up; each gauge says how (``multiprocess_mode``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from local_gateway.services.billing.request_log import LogEntry

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
BREAKER_STATES = ("closed", "half_open", "open")


class Metrics:
    def __init__(self, multiprocess_dir: str | None = None) -> None:
        # prometheus-client itself picks file-backed values from PROMETHEUS_MULTIPROC_DIR at import;
        # this only decides whether to render every process' files or this one's registry.
        self.multiprocess_dir = multiprocess_dir or None
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "mg_http_requests", "HTTP requests answered, by route template and status.",
            ["method", "route", "status"], registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "mg_http_request_duration_seconds", "Time to answer (first byte for streams), by route template.",
            ["method", "route"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.upstream = Counter(
            "mg_upstream_requests", "Attempts sent to upstream providers, by outcome (ok or error).",
            ["provider", "outcome"], registry=r,
        )  # fmt: skip
        self.upstream_latency = Histogram(
            "mg_upstream_duration_seconds", "Upstream attempt latency per provider.",
            ["provider"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.breaker = Gauge(
            "mg_breaker_state", "1 for the circuit-breaker state each provider is in.",
            ["provider", "state"], registry=r, multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self.tokens = Counter(
            "mg_tokens", "Tokens metered, by provider, model and direction (prompt or completion).",
            ["provider", "model", "direction"], registry=r,
        )  # fmt: skip
        self.cost = Counter(
            "mg_cost_usd", "List cost metered, in US dollars, by provider and model.",
            ["provider", "model"], registry=r,
        )  # fmt: skip
        # Read from the shared database: the latest reading of any live worker is the truth.
        self.jobs_queued = Gauge(
            "mg_jobs_queued", "Background jobs waiting in the queue, by kind.", ["kind"], registry=r,
            multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self.jobs_age = Gauge(
            "mg_jobs_oldest_age_seconds", "How long the oldest due job of each kind has waited.",
            ["kind"], registry=r, multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self.maintenance = Gauge(
            "mg_maintenance", "1 while maintenance mode is on.", registry=r, multiprocess_mode="livemax"
        )
        # The labelled children each request updates, looked up once per label set: ``labels()``
        # validates and locks on every call, a few microseconds each, ten times a request.
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._upstream_children: dict[tuple[str, bool], tuple[Counter, Histogram]] = {}
        self._usage_children: dict[tuple[str, str], tuple[Counter, Counter, Counter]] = {}
        self._breaker_children: dict[str, tuple[Gauge, ...]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def observe_upstream(self, provider: str, ok: bool, latency_ms: float) -> None:
        key = (provider, ok)
        children = self._upstream_children.get(key)
        if children is None:
            outcome = "ok" if ok else "error"
            children = (self.upstream.labels(provider, outcome), self.upstream_latency.labels(provider))
            self._upstream_children[key] = children
        children[0].inc()
        children[1].observe(latency_ms / 1000)

    def set_breaker(self, provider: str, state: str) -> None:
        children = self._breaker_children.get(provider)
        if children is None:
            children = tuple(self.breaker.labels(provider, candidate) for candidate in BREAKER_STATES)
            self._breaker_children[provider] = children
        for candidate, child in zip(BREAKER_STATES, children, strict=True):
            child.set(1 if candidate == state else 0)

    def observe_logged(self, entries: list[LogEntry]) -> None:
        for e in entries:
            key = (e.provider or "none", e.model or "none")
            children = self._usage_children.get(key)
            if children is None:
                provider, model = key
                children = (
                    self.tokens.labels(provider, model, "prompt"),
                    self.tokens.labels(provider, model, "completion"),
                    self.cost.labels(provider, model),
                )
                self._usage_children[key] = children
            if e.prompt_tokens:
                children[0].inc(e.prompt_tokens)
            if e.completion_tokens:
                children[1].inc(e.completion_tokens)
            if e.cost_micros:
                children[2].inc(e.cost_micros / 1_000_000)

    def set_backlog(self, backlog: dict[str, tuple[int, float]]) -> None:
        """``{kind: (queued, oldest age in seconds)}``; kinds no longer queued drop to 0."""
        for gauge in (self.jobs_queued, self.jobs_age):
            for labels in list(gauge._metrics):
                if labels[0] not in backlog:
                    gauge.labels(*labels).set(0)
        for kind, (queued, age) in backlog.items():
            self.jobs_queued.labels(kind).set(queued)
            self.jobs_age.labels(kind).set(age)

    def render(self) -> bytes:
        if not self.multiprocess_dir:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        everyone = CollectorRegistry()
        multiprocess.MultiProcessCollector(everyone, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(everyone)
