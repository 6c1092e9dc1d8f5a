"""What the status routes serve: health checks, the Statuspage summary, the SLO, the metrics and
the maintenance switch, over the services the gateway already runs."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from local_gateway import __version__
from local_gateway.providers.registry import ProviderRegistry
from local_gateway.services.billing.request_log import LogEntry, RequestLogWriter
from local_gateway.services.core.clock import Clock
from local_gateway.services.inference.breakers import HealthTracker
from local_gateway.services.inference.catalog import Catalog
from local_gateway.services.status import changelog, checks, slo, summary
from local_gateway.services.status.incidents import IncidentLog
from local_gateway.services.status.maintenance import MaintenanceSwitch
from local_gateway.services.status.metrics import Metrics
from local_gateway.store import status as store
from local_gateway.store.blobs import BlobStore
from local_gateway.store.db import Database
from mg.times import format_time

# The changelog data file is the one place the API version is written down.
API_VERSION: str = changelog.load()["api_version"]
# A due job waiting longer than this means the workers do not keep up.
STALE_JOB_SECONDS = 300.0


def observe_log(writer: RequestLogWriter, metrics: Metrics) -> None:
    """Count tokens and cost of each committed request-log batch, before its settlement runs."""
    settle: Callable[[Sequence[LogEntry]], Awaitable[None]] | None = writer.on_commit

    async def on_commit(entries: Sequence[LogEntry]) -> None:
        metrics.observe_logged(list(entries))
        if settle is not None:
            await settle(entries)

    writer.on_commit = on_commit


@dataclass
class StatusService:
    db: Database
    clock: Clock
    catalog: Catalog
    providers: ProviderRegistry
    health: HealthTracker
    blobs: BlobStore
    incidents: IncidentLog
    metrics: Metrics
    redis_url: str | None = None
    started_at: float = field(default_factory=time.time)
    maintenance: MaintenanceSwitch = field(init=False)

    def __post_init__(self) -> None:
        self.maintenance = MaintenanceSwitch(self.db, self.clock)

    def version(self) -> dict[str, Any]:
        return {"version": API_VERSION, "gateway": __version__}

    async def check(self) -> dict[str, Any]:
        subsystems: dict[str, dict[str, Any]] = {"database": await checks.database(self.db)}
        if self.redis_url:
            subsystems["cache"] = await checks.cache(self.redis_url)
        subsystems["blob_store"] = await checks.blob_store(self.blobs)
        configured = self.configured_providers()
        subsystems["config"] = {
            "status": "ok",
            "models": len(self.catalog.models),
            "providers_configured": len(configured),
        }
        subsystems["sandbox"] = {"status": "ok"}
        maintenance = await self.maintenance.current()
        return {
            "status": checks.overall(subsystems),
            "version": __version__,
            "api_version": API_VERSION,
            "uptime_seconds": round(time.time() - self.started_at, 1),
            "checked_at": format_time(self.clock.now()),
            "maintenance": _maintenance(maintenance),
            "subsystems": subsystems,
        }

    def configured_providers(self) -> list[str]:
        return sorted({m.provider for m in self.catalog.models.values() if self.providers.is_configured(m)})

    def model_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for model in self.catalog.models.values():
            row = counts.setdefault(model.provider, {"models": 0, "configured": 0})
            row["models"] += 1
            row["configured"] += int(self.providers.is_configured(model))
        return counts

    async def summary(self, page_url: str) -> dict[str, Any]:
        """The Statuspage summary, plus ``breakers`` and ``health`` for the HTML page."""
        health = await self.check()
        snapshot = await self.health.snapshot()
        maintenance = await self.maintenance.current()
        now = format_time(self.clock.now())
        names = sorted(set(self.configured_providers()) | set(snapshot["providers"]))
        counts = self.model_counts()
        components = [
            summary.component(
                "api", "API", summary.UNDER_MAINTENANCE if maintenance else summary.OPERATIONAL, 1,
                "Chat, embeddings, NPC threads and debug endpoints", now,
            )
        ]  # fmt: skip
        subs = health["subsystems"]
        for position, (cid, name, essential) in enumerate(
            [
                ("database", "Database", True),
                ("cache", "Cache (Redis)", False),
                ("blob_store", "Blob store", False),
            ],
            start=2,
        ):
            if cid in subs:
                status = summary.subsystem_status(subs[cid], essential)
                components.append(
                    summary.component(cid, name, status, position, subs[cid].get("backend", ""), now)
                )
        jobs = await self._job_status()
        components.append(
            summary.component("jobs", "Background jobs", jobs, 5, "The job queue's workers", now)
        )
        breakers = {}
        for position, name in enumerate(names, start=10):
            breaker = snapshot["providers"].get(name) or await self.health.breaker(name)
            breakers[name] = breaker
            self.metrics.set_breaker(name, breaker["state"])
            n = counts.get(name, {}).get("models", 0)
            components.append(
                summary.component(
                    f"provider:{name}", name, summary.provider_status(breaker), position, f"{n} models", now
                )
            )
        components.append(
            summary.component(
                "provider:sandbox", "sandbox", summary.OPERATIONAL, 99, "Test keys, offline", now
            )
        )
        level = summary.indicator(components, maintenance)
        description = (
            "Service Under Maintenance" if maintenance and level == "major" else summary.DESCRIPTIONS[level]
        )
        incidents = self.incidents.recent()
        return {
            "page": {
                "id": summary.PAGE_ID, "name": "mg gateway", "url": page_url,
                "time_zone": "Etc/UTC", "updated_at": now,
            },
            "status": {"indicator": level, "description": description},
            "components": components,
            "incidents": [summary.incident_view(i, components) for i in incidents if not i.resolved],
            "scheduled_maintenances": [summary.maintenance_view(maintenance)] if maintenance else [],
            "recent_incidents": [summary.incident_view(i, components) for i in incidents],
            "breakers": breakers,
            "model_counts": counts,
            "health": health,
        }  # fmt: skip

    async def _job_status(self) -> str:
        try:
            backlog = await self.backlog()
        except Exception:
            return summary.MAJOR
        oldest = max((age for _, age in backlog.values()), default=0.0)
        return summary.DEGRADED if oldest > STALE_JOB_SECONDS else summary.OPERATIONAL

    async def backlog(self) -> dict[str, tuple[int, float]]:
        now = self.clock.now()
        out = {}
        for row in await store.backlog(self.db):
            due = row.oldest_run_at
            out[row.kind] = (row.queued, max(0.0, (now - due).total_seconds()) if due else 0.0)
        return out

    async def slo(self, window: str) -> dict[str, Any]:
        return await slo.measure(self.db, self.clock, window)

    async def render_metrics(self) -> bytes:
        try:
            self.metrics.set_backlog(await self.backlog())
        except Exception:  # a scrape still answers while the database is down; health says why
            pass
        self.metrics.maintenance.set(1 if await self.maintenance.current() else 0)
        return self.metrics.render()


def _maintenance(state: Any) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "message": state.message,
        "eta": format_time(state.eta) if state.eta else None,
        "started_at": format_time(state.started_at),
    }
