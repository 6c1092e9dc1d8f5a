"""The application factory: routes, middlewares and the resources they share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from local_gateway import __version__
from local_gateway.api import (
    billing,
    billing_stripe,
    chat,
    crashes,
    debug_sessions,
    embeddings,
    health,
    meta,
    metrics,
    models,
    npc,
    npc_templates,
    openapi,
    portal_keys,
    portal_page,
    sign_in,
    status,
    status_page,
    structured,
    symbol_server,
    symbols,
    telemetry,
    threads,
    webhooks,
)
from local_gateway.api.appkeys import SERVICES
from local_gateway.api.middleware import ACCESS_LOG_ENABLED, request_context
from local_gateway.api.observe import observe
from local_gateway.providers.embedders import Embedder, local_embedder
from local_gateway.providers.minilm import MiniLMEmbedder
from local_gateway.providers.registry import ProviderRegistry
from local_gateway.providers.sandbox.models import sandbox_answerer
from local_gateway.services import monster_gpt
from local_gateway.services.accounts.keys import KeyService, NewKey
from local_gateway.services.accounts.limits import InProcessLimiter, RateLimiter
from local_gateway.services.accounts.mail import make_mailer
from local_gateway.services.accounts.revocations import RedisRevocations, Revocations
from local_gateway.services.accounts.sign_in import SignIn
from local_gateway.services.accounts.sign_in_pruning import SignInPruning
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.retention import Retention
from local_gateway.services.billing.service import Billing, make_book
from local_gateway.services.billing.stripe_checkout import StripeBilling
from local_gateway.services.container import Services
from local_gateway.services.core.clock import Clock
from local_gateway.services.core.tracing import start_tracing
from local_gateway.services.debug.crash_triage import Complete, CrashTriage
from local_gateway.services.debug.crashes import CrashService
from local_gateway.services.debug.sessions import DebugSessionService
from local_gateway.services.debug.symbol_server import SymbolServer
from local_gateway.services.debug.symbols import SymbolService
from local_gateway.services.inference.breakers import HealthTracker, InProcessHealth
from local_gateway.services.inference.catalog import catalog_with
from local_gateway.services.inference.chat import ChatService
from local_gateway.services.inference.embeddings import EmbeddingService
from local_gateway.services.inference.fallback import FallbackRunner
from local_gateway.services.inference.params import ChatParams
from local_gateway.services.jobs import JobQueue, JobRunner, register_probe
from local_gateway.services.jobs.housekeeping import JobHousekeeping
from local_gateway.services.npc.conversation import ConversationService
from local_gateway.services.npc.export import ExportService
from local_gateway.services.npc.folding import Folder
from local_gateway.services.npc.memory import RecallCache
from local_gateway.services.npc.recorder import TurnRecorder
from local_gateway.services.npc.studio_templates import TemplateService
from local_gateway.services.npc.templates import load_templates
from local_gateway.services.npc.threads import ThreadService
from local_gateway.services.status import IncidentLog, Metrics, ObservedHealth, StatusService, observe_log
from local_gateway.services.telemetry.events import TelemetryService
from local_gateway.services.webhooks import Deliverer, Dispatcher, WebhookService
from local_gateway.settings import Settings
from local_gateway.store.blobs import open_blob_store
from local_gateway.store.db import Database
from local_gateway.store.migrate import upgrade_async

log = logging.getLogger("mg.gateway")
BOOTSTRAP_KEY = web.AppKey("bootstrap_key", NewKey)
CLOCK = web.AppKey("clock", Clock)
JOB_RUNNER = web.AppKey("job_runner", JobRunner)
# health before models: /v1/models/health must not be read as a model id.
ROUTE_MODULES = [
    chat, health, models, meta, npc_templates, npc, threads, embeddings, structured, symbols, symbol_server,
    crashes, debug_sessions,
    webhooks,
    billing, billing_stripe, telemetry, portal_keys, portal_page, sign_in,
    status, status_page, metrics, openapi,
]  # fmt: skip
LOCAL_EMAIL = "local@localhost"


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    # Uploads stream through their own size checks; this cap only stops absurd bodies early.
    app = web.Application(middlewares=[request_context, observe], client_max_size=600 * 1024 * 1024)
    app[CLOCK] = clock or Clock(offset_file=settings.clock_offset_file)
    app[ACCESS_LOG_ENABLED] = settings.access_log
    for module in ROUTE_MODULES:
        app.router.add_routes(module.routes)
    app.cleanup_ctx.append(_services_ctx(settings))
    # After the services: cleanup runs in reverse, so the runner stops before the database closes.
    app.cleanup_ctx.append(_jobs_ctx(settings))
    return app


def listening(app: web.Application, url: str) -> None:
    """Tell the services the address the server listens on (a port of 0 is known only now)."""
    app[SERVICES].sign_in.listening_on(url)


def _limiter(settings: Settings, clock: Clock) -> RateLimiter:
    if not settings.redis_url:
        return InProcessLimiter(clock)
    try:
        from local_gateway.services.accounts.limits_redis import RedisLimiter
    except ImportError as exc:
        raise ValueError("MG_REDIS_URL needs the redis package: pip install 'mg[remote]'") from exc
    return RedisLimiter(settings.redis_url, clock, settings.redis_prefix)


def _health(settings: Settings, clock: Clock) -> HealthTracker:
    if not settings.redis_url:
        return InProcessHealth(clock, settings.breaker_failures, settings.breaker_cooldown)
    from local_gateway.services.inference.breakers_redis import RedisHealth

    return RedisHealth(
        settings.redis_url, clock, settings.redis_prefix, settings.breaker_failures, settings.breaker_cooldown
    )


async def _close(tracker: HealthTracker) -> None:
    close = getattr(tracker, "close", None)
    if close is not None:
        await close()


def _revocations(settings: Settings) -> Revocations:
    if not settings.redis_url:
        return Revocations()
    return RedisRevocations(settings.redis_url, settings.redis_prefix)


def _services_ctx(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        stop_tracing = start_tracing(settings.otel_endpoint, __version__) if settings.otel_endpoint else None
        await upgrade_async(settings.db_url)
        db = Database(settings.db_url)
        clock = app[CLOCK]
        http: aiohttp.ClientSession | None = None

        def upstream_session() -> aiohttp.ClientSession:
            nonlocal http
            if http is None:
                http = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=256, ttl_dns_cache=300), auto_decompress=True
                )
            return http

        catalog = catalog_with(settings.models_file)
        # One embedder per process (one MiniLM in memory), given to every service that embeds; it
        # loads its model at warm-up (or, failing that, in the background on first use).
        embedder = local_embedder(settings.embedder)
        semantic = monster_gpt.semantic_layer(
            settings.classifier_semantic, embedder, monster_gpt.load_disciplines(), settings.cache_dir
        )
        keys = KeyService(
            db,
            clock,
            revocations=_revocations(settings),
            rotation_grace=timedelta(hours=settings.key_rotation_grace_hours),
        )
        limiter = _limiter(settings, clock)
        signin = SignIn(
            db,
            clock,
            make_mailer(settings.smtp_url, settings.mail_from, settings.data_dir),
            settings.public_url,
        )
        billing = Billing.start(
            db,
            clock,
            settings.log_flush_interval,
            book=make_book(settings.redis_url, settings.redis_prefix),
            low_percent=settings.credit_low_percent,
        )
        providers = ProviderRegistry(
            settings.environ,
            upstream_session,
            settings.upstream_timeout,
            sandbox_chunk_delay=settings.sandbox_chunk_delay,
            sandbox_answerer=sandbox_answerer(settings.sandbox_model),
        )
        templates = TemplateService(db, clock, load_templates(), catalog)
        # Every domain registers its job kinds on this queue while it is built, below.
        jobs = JobQueue(db, clock)
        register_probe(jobs)
        retention = Retention(jobs, billing.usage, clock, settings.log_retention_days)
        housekeeping = JobHousekeeping(jobs, clock)
        sign_in_pruning = SignInPruning(jobs, clock)
        recall = RecallCache(embedder.dimensions)
        recorder = TurnRecorder(db, clock, embedder)
        thread_service = ThreadService(db, clock, templates, recorder, recall)
        folder = Folder(
            db,
            clock,
            embedder,
            jobs,
            upstream=providers.upstream_route,
            models=catalog.get,
            meter=billing.meter,
            admission=billing.admission,
            principals=keys.principal_by_key_id,
            window=settings.npc_window_messages,
            summary_tokens=settings.npc_summary_tokens,
        )
        conversations = ConversationService(
            db,
            clock,
            templates,
            thread_service,
            recorder,
            embedder,
            recall,
            folder,
            meter=billing.meter,
            recall_k=settings.npc_recall_k,
            default_model=settings.npc_default_model,
        )
        metrics, incidents = Metrics(settings.env("PROMETHEUS_MULTIPROC_DIR")), IncidentLog(clock)
        observe_log(billing.request_log, metrics)
        tracker = _health(settings, clock)
        health = ObservedHealth(tracker, incidents, metrics)
        runner = FallbackRunner(catalog, health, retries=settings.upstream_retries)
        blobs = open_blob_store(settings.blob_url, settings.data_dir, settings.environ)
        chat = ChatService(
            catalog, providers, billing.admission, billing.meter, clock, runner, conversations, semantic
        )
        symbols_service = SymbolService(
            db, blobs, clock, settings.symbol_presign_limit, settings.symbol_presign_ttl
        )
        crash_service = CrashService(db, blobs, clock, jobs)
        symbols_service.after_upload = crash_service.symbols_arrived
        deliverer = Deliverer(
            db, clock, jobs, private_urls=settings.webhooks_private_urls, timeout=settings.webhooks_timeout
        )
        services = Services(
            settings=settings,
            clock=clock,
            db=db,
            catalog=catalog,
            keys=keys,
            sign_in=signin,
            limiter=limiter,
            billing=billing,
            providers=providers,
            embedder=embedder,
            chat=chat,
            health=health,
            embeddings=EmbeddingService(
                catalog,
                providers,
                billing.admission,
                billing.meter,
                embedder,
            ),
            templates=templates,
            threads=thread_service,
            conversations=conversations,
            export=ExportService(db, templates),
            blobs=blobs,
            symbols=symbols_service,
            symbol_server=SymbolServer(db),
            jobs=jobs,
            crashes=crash_service,
            crash_triage=CrashTriage(db, clock, complete=_completer(chat)),
            debug_sessions=DebugSessionService(db, clock),
            webhooks=WebhookService(db, clock, deliverer, Dispatcher(db, clock, deliverer)),
            telemetry=TelemetryService(db, clock),
            status=StatusService(
                db, clock, catalog, providers, health, blobs, incidents, metrics, redis_url=settings.redis_url
            ),
            stripe=StripeBilling(
                db,
                clock,
                settings.stripe_secret_key,
                settings.stripe_webhook_secret,
                settings.stripe_api_base,
            ),
        )
        app[SERVICES] = services
        keys.start()
        await retention.schedule()
        await housekeeping.schedule()
        await sign_in_pruning.schedule()
        if settings.bootstrap and await keys.is_empty():
            app[BOOTSTRAP_KEY] = await keys.create_key(
                LOCAL_EMAIL, tier="studio", environment="test", name="local"
            )
        warming = asyncio.ensure_future(_warm(embedder, semantic, settings.cache_dir))
        try:
            yield
        finally:
            await _settle_warm_up(warming, embedder)
            await conversations.close()
            await signin.close()
            await keys.close()
            await billing.close()
            await limiter.close()
            await _close(tracker)
            if http is not None:
                await http.close()
            await db.close()
            if stop_tracing is not None:
                # Flushes what is still batched; bounded by the exporter's 5 s timeout.
                await asyncio.to_thread(stop_tracing)

    return ctx


def _completer(chat: ChatService) -> Complete:
    """Crash analysis for live keys: one non-streamed completion on the gateway's own chat path."""

    async def complete(ctx: RequestContext, messages: list[dict[str, Any]], model: str) -> str:
        outcome = await chat.create(ctx, ChatParams(model=model, messages=messages, max_tokens=900))
        completion = outcome.completion or {}
        choices = completion.get("choices") or [{}]
        return str((choices[0].get("message") or {}).get("content") or "")

    return complete


async def _warm(embedder: Embedder, semantic: monster_gpt.SemanticLayer | None, cache_dir: Path) -> None:
    """Load MiniLM (under a second of CPU), then build Monster-GPT's caches and, with the semantic
    layer on, embed the disciplines. Until the model is in, embeddings and NPC memory get hashed
    n-grams (announced in X-Monster-Embedder and the log) and Monster-GPT classifies lexically
    (Classification.method says so); if it cannot load, that stays so.

    A task of this process, not a job: what it builds lives in this process's memory, so a job
    claimed by another gateway process (or left over from a previous run) would warm the wrong
    one.
    """

    def work() -> None:
        loaded = embedder.warm() if isinstance(embedder, MiniLMEmbedder) else False
        # Centroids built from fallback vectors would not be the model's: stay lexical then.
        monster_gpt.warm(semantic if loaded else None, cache_dir)

    try:
        await _in_daemon_thread(work, "mg-warm-up")
    except Exception:  # warm-up is an optimisation: a failure leaves the lexical path serving
        log.exception("warm-up failed; Monster-GPT stays lexical")


async def _settle_warm_up(warming: asyncio.Future[None], embedder: Embedder, timeout: float = 30.0) -> None:
    """Let a warm-up (or a first-use model load) that is under way finish before the process
    goes on to exit: a thread still inside onnxruntime when the interpreter ends aborts it
    ("terminate called without an active exception", exit status 134). It takes about a
    second; the timeout only bounds a machine that is badly stalled."""
    with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
        await asyncio.wait_for(asyncio.shield(warming), timeout)
    warming.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await warming
    if isinstance(embedder, MiniLMEmbedder):
        await asyncio.to_thread(embedder.settle, timeout)


def _in_daemon_thread(fn: Callable[[], None], name: str) -> asyncio.Future[None]:
    """``fn`` in a daemon thread, awaitable: unlike asyncio.to_thread, a shutdown in the middle
    of loading the model does not wait for it to finish."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def run() -> None:
        error: BaseException | None = None
        try:
            fn()
        except BaseException as exc:  # handed to the awaiting task, which logs it
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed first: nobody awaits it
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return done


def _jobs_ctx(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        if not settings.jobs_worker:
            yield
            return
        runner = JobRunner(
            app[SERVICES].jobs,
            concurrency=settings.jobs_concurrency,
            poll_interval=settings.jobs_poll_interval,
            lease=settings.jobs_lease_seconds,
        )
        runner.start()
        app[JOB_RUNNER] = runner
        app[SERVICES].webhooks.dispatcher.start()
        try:
            yield
        finally:
            await app[SERVICES].webhooks.dispatcher.stop()
            await runner.stop()

    return ctx
