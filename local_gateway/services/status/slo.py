"""``GET /v1/slo``: the targets, and what the request log measured over a window.

The request log holds every metered API call (chat, embeddings, NPC turns), so that is the
traffic measured; status and health probes are not in it. A 5xx answer (including
PROVIDER_UNAVAILABLE) counts against availability; 4xx answers are the caller's and do not.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from local_gateway.services.core.clock import Clock
from local_gateway.services.inference.breakers import percentile
from local_gateway.store import status as store
from local_gateway.store.db import Database
from mg.times import format_time

WINDOWS = {"1h": 3600, "24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
TARGETS: dict[str, Any] = {"availability": 0.999, "error_rate": 0.001, "latency_ms": {"p95": 5000.0}}
SAMPLE_LIMIT = 200_000


async def measure(db: Database, clock: Clock, window: str) -> dict[str, Any]:
    now = clock.now()
    start = now - timedelta(seconds=WINDOWS[window])
    outcomes = await store.outcomes(db, start, SAMPLE_LIMIT)
    total = len(outcomes)
    failed = sum(1 for status, _ in outcomes if status >= 500)
    client_errors = sum(1 for status, _ in outcomes if 400 <= status < 500)
    latencies = sorted(ms for status, ms in outcomes if status < 500)
    availability = round((total - failed) / total, 6) if total else None
    error_rate = round(failed / total, 6) if total else None
    p = {f"p{n}": percentile(latencies, n) for n in (50, 95, 99)}
    allowed = total * (1 - TARGETS["availability"])
    return {
        "object": "slo",
        "window": {"name": window, "start": format_time(start), "end": format_time(now)},
        "targets": TARGETS,
        "measured": {
            "requests": total,
            "server_errors": failed,
            "client_errors": client_errors,
            "availability": availability,
            "error_rate": error_rate,
            "latency_ms": p,
            "sampled": total == SAMPLE_LIMIT,
        },
        "met": {
            "availability": None if availability is None else availability >= TARGETS["availability"],
            "error_rate": None if error_rate is None else error_rate <= TARGETS["error_rate"],
            "latency_p95": None if p["p95"] is None else p["p95"] <= TARGETS["latency_ms"]["p95"],
        },
        "error_budget": {
            "allowed_failures": round(allowed, 2),
            "remaining": round(1 - failed / allowed, 4) if allowed else None,
        },
        "source": "request_log",
    }
