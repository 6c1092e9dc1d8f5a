"""Opt-in OpenTelemetry traces (``MG_OTEL_ENDPOINT``): one span per request, one per upstream call.

Off by default and then free: :func:`span` hands out a do-nothing span and nothing of
OpenTelemetry is imported. :func:`start_tracing` (the ``otel`` extra) builds this process's own
tracer provider with a batching OTLP/HTTP exporter: spans leave from the SDK's background
thread, so a slow or absent collector never holds up a request; what it cannot take is dropped.
The SDK's own variables still apply (``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_EXPORTER_OTLP_HEADERS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol
from urllib.parse import urlsplit

SERVICE_NAME = "mg-gateway"


class Span(Protocol):
    def set_attribute(self, key: str, value: Any) -> None: ...

    def set_status(self, status: Any, description: str | None = None) -> None: ...


class _NoSpan:
    def set_attribute(self, key: str, value: Any) -> None:
        return None

    def set_status(self, status: Any, description: str | None = None) -> None:
        return None


_NO_SPAN = _NoSpan()
_NO_SPAN_CONTEXT: AbstractContextManager[Any] = nullcontext(_NO_SPAN)
_tracer: Any = None


def traces_url(endpoint: str) -> str:
    """The collector's base address (``http://collector:4318``) or its full traces URL."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"setting MG_OTEL_ENDPOINT: {endpoint!r} is not an http(s) URL")
    if parts.path.rstrip("/").endswith("/v1/traces"):
        return endpoint
    return endpoint.rstrip("/") + "/v1/traces"


def start_tracing(endpoint: str, service_version: str) -> Callable[[], None]:
    """Export this process's spans to ``endpoint``; returns the call that flushes and stops it."""
    global _tracer
    url = traces_url(endpoint)
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise ValueError("MG_OTEL_ENDPOINT needs the otel extra: pip install 'mg[otel]'") from exc
    resource = Resource.create({"service.name": SERVICE_NAME, "service.version": service_version})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url, timeout=5)))
    _tracer = provider.get_tracer("mg.gateway")

    def stop() -> None:
        global _tracer
        _tracer = None
        provider.shutdown()

    return stop


def active() -> bool:
    """Whether spans are exported (callers skip building their attributes when not)."""
    return _tracer is not None


def span(name: str, kind: str = "internal", **attributes: Any) -> AbstractContextManager[Span]:
    """A span named ``name`` around the block (``kind``: server, client or internal)."""
    if _tracer is None:
        return _NO_SPAN_CONTEXT  # reusable, and no generator per request when tracing is off
    return _span(name, kind, attributes)


@contextmanager
def _span(name: str, kind: str, attributes: dict[str, Any]) -> Iterator[Span]:
    from opentelemetry.trace import SpanKind

    kinds = {"server": SpanKind.SERVER, "client": SpanKind.CLIENT, "internal": SpanKind.INTERNAL}
    clean = {k: v for k, v in attributes.items() if v is not None}
    # A server span's status comes from its answer (see failed): a 404 is not the gateway's error.
    automatic = kind != "server"
    with _tracer.start_as_current_span(
        name,
        kind=kinds[kind],
        attributes=clean,
        record_exception=automatic,
        set_status_on_exception=automatic,
    ) as current:
        yield current


def failed(current: Span, description: str) -> None:
    """Mark ``current`` as an error (a request answered 5xx)."""
    if current is _NO_SPAN:
        return
    from opentelemetry.trace import Status, StatusCode

    current.set_status(Status(StatusCode.ERROR, description))
