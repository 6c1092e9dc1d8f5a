"""The services one gateway process runs, built once at start-up and closed at shutdown."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from local_gateway.providers.embedders import Embedder
from local_gateway.providers.registry import ProviderRegistry
from local_gateway.services.accounts.keys import KeyService
from local_gateway.services.accounts.limits import RateLimiter
from local_gateway.services.accounts.sign_in import SignIn
from local_gateway.services.billing.service import Billing
from local_gateway.services.billing.stripe_checkout import StripeBilling
from local_gateway.services.core.clock import Clock
from local_gateway.services.debug.crash_triage import CrashTriage
from local_gateway.services.debug.crashes import CrashService
from local_gateway.services.debug.sessions import DebugSessionService
from local_gateway.services.debug.symbol_server import SymbolServer
from local_gateway.services.debug.symbols import SymbolService
from local_gateway.services.inference.breakers import HealthTracker
from local_gateway.services.inference.catalog import Catalog
from local_gateway.services.inference.chat import ChatService
from local_gateway.services.inference.embeddings import EmbeddingService
from local_gateway.services.jobs import JobQueue
from local_gateway.services.npc.conversation import ConversationService
from local_gateway.services.npc.export import ExportService
from local_gateway.services.npc.studio_templates import TemplateService
from local_gateway.services.npc.threads import ThreadService
from local_gateway.services.status import StatusService
from local_gateway.services.telemetry.events import TelemetryService
from local_gateway.services.webhooks import WebhookService
from local_gateway.settings import Settings
from local_gateway.store.blobs import BlobStore
from local_gateway.store.db import Database


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    catalog: Catalog
    keys: KeyService
    sign_in: SignIn
    limiter: RateLimiter
    billing: Billing
    providers: ProviderRegistry
    # The process's one embedder (one MiniLM in memory): test-key embeddings, NPC memory
    # recall and Monster-GPT's semantic layer all hold this instance.
    embedder: Embedder
    chat: ChatService
    templates: TemplateService
    threads: ThreadService
    conversations: ConversationService
    export: ExportService
    health: HealthTracker
    embeddings: EmbeddingService
    blobs: BlobStore
    symbols: SymbolService
    symbol_server: SymbolServer
    jobs: JobQueue
    crashes: CrashService
    crash_triage: CrashTriage
    debug_sessions: DebugSessionService
    webhooks: WebhookService
    telemetry: TelemetryService
    status: StatusService
    stripe: StripeBilling
    started_at: float = field(default_factory=time.time)
