"""All gateway configuration, from ``MG_*`` environment variables and an optional TOML file.

Precedence: explicit arguments (CLI flags) > environment > TOML file > defaults. The TOML file is
``$MG_CONFIG`` or ``<data dir>/gateway.toml``; its keys are the field names below.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787

# Every variable the gateway reads, for `mg help environment` and the README.
ENVIRONMENT: dict[str, str] = {
    "MG_DATA_DIR": "where the gateway keeps gateway.db, blobs and logs (default: the user data dir)",
    "MG_CONFIG": "path of an optional TOML settings file (default: <data dir>/gateway.toml)",
    "MG_CACHE_DIR": (
        "where the gateway keeps what it can rebuild, such as Monster-GPT's embedded discipline "
        "texts (default: the user cache dir)"
    ),
    "MG_HOST": "address to listen on (default 127.0.0.1)",
    "MG_PORT": "port to listen on (default 8787)",
    "MG_DATABASE_URL": "postgresql://user@host:port/db for PostgreSQL; default SQLite in the data dir",
    "MG_TEST_KEY_RPM": "requests per minute allowed to any mg_test_ key (default 5)",
    "MG_LOG_LEVEL": "gateway log level (default INFO)",
    "MG_LOG_FORMAT": (
        "text or json: json writes every log line as one JSON object with time, level, logger, "
        "message and the request id (default text)"
    ),
    "MG_ACCESS_LOG": "1 to write one JSON access-log line per request (default 1)",
    "MG_SHUTDOWN_TIMEOUT": "seconds in-flight requests get to finish on shutdown (default 30)",
    "MG_UPSTREAM_TIMEOUT": "seconds to wait for an upstream provider (default 120)",
    "MG_REDIS_URL": (
        "redis://host:port/db: keep rate limits, credit reservations, spend caps, circuit breakers and "
        "model health in Redis, shared by every gateway process "
        "(default: in process; needs the 'remote' extra)"
    ),
    "MG_BLOB_URL": (
        "s3://bucket/prefix: keep symbols and minidumps in an S3-compatible bucket (AWS S3, R2, "
        "MinIO) with AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY "
        "(default: files under the data dir)"
    ),
    "AWS_ENDPOINT_URL": "S3 endpoint of MG_BLOB_URL, e.g. http://minio:9000 (default: AWS S3)",
    "AWS_REGION": "S3 region of MG_BLOB_URL (default us-east-1)",
    "AWS_ACCESS_KEY_ID": "S3 access key of MG_BLOB_URL",
    "AWS_SECRET_ACCESS_KEY": "S3 secret key of MG_BLOB_URL",
    "PROMETHEUS_MULTIPROC_DIR": (
        "an empty directory shared by gateway processes so each /metrics sums them all; "
        "serve --workers N sets it to <data dir>/prometheus-multiproc"
    ),
    "MG_REDIS_PREFIX": "prefix of every Redis key the gateway writes (default mg:)",
    "MG_MODELS_FILE": (
        "JSON file of extra catalog models, e.g. a local Ollama model: "
        '{"models": [{"id", "provider", "context_window", "pricing", ...}]}'
    ),
    "MG_CLASSIFIER_SEMANTIC": (
        "auto (default): once warmed up in the background at start, Monster-GPT asks "
        "all-MiniLM-L6-v2 about close calls; "
        "off: keyword index + naive Bayes only"
    ),
    "MG_SANDBOX_CHUNK_DELAY": "testing knob: seconds the sandbox waits between stream chunks (default 0)",
    "MG_UVLOOP": "0 to run on asyncio's own event loop even where uvloop is installed (default 1)",
    "MG_NPC_BODY_LIMIT": "largest body of thread endpoints (batch, message import), in bytes (default 1 MiB)",
    "MG_NPC_WINDOW_MESSAGES": "newest thread messages an NPC prompt keeps word for word (default 40)",
    "MG_NPC_SUMMARY_TOKENS": "size of an NPC thread's running summary, in tokens (default 600)",
    "MG_NPC_RECALL_K": "memories recalled into an NPC prompt at most (default 3; 0 turns recall off)",
    "MG_NPC_DEFAULT_MODEL": "model of POST /v1/threads/{id}/speak when neither body nor thread names one",
    "MG_UPSTREAM_RETRIES": "retries of a transient upstream failure before fallback or failure (default 1)",
    "MG_BREAKER_FAILURES": "consecutive failures that open a provider's circuit breaker (default 5)",
    "MG_BREAKER_COOLDOWN": "seconds an open breaker waits before it lets one probe through (default 30)",
    "MG_EMBEDDER": (
        "the one offline embedder of test-key embeddings, NPC memory and Monster-GPT: auto or "
        "minilm (all-MiniLM-L6-v2 on onnxruntime, hashed n-grams until it has loaded; default), "
        "or hashed"
    ),
    "MG_SANDBOX_MODEL": (
        "what answers test keys: template (the offline template engine; default) or smollm2 "
        "(SmolLM2-135M on llama.cpp, grounded and checked by the template engine; needs "
        "scripts/local-llm)"
    ),
    "MG_LOCAL_BASE_URL": (
        "an OpenAI-compatible server on this machine (Ollama, llama.cpp, LM Studio, vLLM), e.g. "
        "http://127.0.0.1:11434/v1; its models are served as local/<name>"
    ),
    "MG_SYMBOL_UPLOAD_LIMIT": "largest direct symbol upload in bytes (default 10 MB)",
    "MG_SYMBOL_PRESIGN_LIMIT": "largest presigned symbol upload in bytes (default 500 MB)",
    "MG_SYMBOL_PRESIGN_TTL": "seconds a presigned symbol-upload token stays valid (default 3600)",
    "MG_CRASH_UPLOAD_LIMIT": "largest minidump a crash report may carry, in bytes (default 50 MB)",
    "MG_JOBS_WORKER": (
        "0 to run no job runner in this process (web-only processes when workers run apart; default 1)"
    ),
    "MG_JOBS_CONCURRENCY": "background jobs one gateway process runs at once (default 4)",
    "MG_JOBS_POLL_INTERVAL": "seconds between looks for jobs queued by other processes (default 1)",
    "MG_JOBS_LEASE_SECONDS": (
        "seconds a job stays claimed without a renewal; a killed worker's jobs run again after it "
        "(default 60)"
    ),
    "MG_STRIPE_SECRET_KEY": (
        "Stripe secret key (sk_live_… / sk_test_…): GET /v1/billing/manage makes Checkout and billing-portal "
        "sessions; unset, billing answers that it is not configured"
    ),
    "MG_STRIPE_WEBHOOK_SECRET": (
        "signing secret (whsec_…) of the Stripe webhook endpoint POST /v1/billing/stripe/webhook"
    ),
    "MG_STRIPE_API_BASE": "base URL of Stripe's API (default https://api.stripe.com; a test double in tests)",
    "MG_WEBHOOKS_PRIVATE_URLS": (
        "1 to let live keys' webhooks reach http and private addresses (a gateway on a laptop); "
        "test keys always may (default 0)"
    ),
    "MG_WEBHOOKS_TIMEOUT": "seconds a webhook receiver has to answer one delivery (default 10)",
    "MG_CREDIT_LOW_PERCENT": (
        "player.credit_low is emitted once when the balance falls below this percentage of the "
        "last grant (default 20)"
    ),
    "MG_KEY_ROTATION_GRACE_HOURS": (
        "hours a rotated API key keeps working beside the key that replaced it (default 24)"
    ),
    "MG_LOG_RETENTION_DAYS": "days the per-request log is kept; daily usage totals stay (default 90)",
    "MG_CLOCK_OFFSET_FILE": (
        "test hook: a file holding seconds to add to the gateway's clock, re-read when it changes "
        "(lets end-to-end tests expire tokens without waiting); leave unset in production"
    ),
    "MG_SMTP_URL": (
        "smtp://user:password@host:587 (STARTTLS when offered) or smtps://host:465: send sign-in "
        "links by mail (default: write them to <data dir>/outbox.jsonl, printed by mg gateway outbox)"
    ),
    "MG_MAIL_FROM": "sender address of sign-in mail (default mg@localhost)",
    "MG_PUBLIC_URL": (
        "the gateway's address as users reach it, used in sign-in links, e.g. https://api.studio.dev "
        "(default: http://<host>:<port>)"
    ),
    "MG_OTEL_ENDPOINT": (
        "http(s)://collector:4318: export OpenTelemetry traces over OTLP/HTTP, one span per request "
        "and per upstream call (default: off; needs the 'otel' extra)"
    ),
    "MG_METRICS_PUBLIC": "1 to let anyone scrape GET /metrics (default: closed)",
    "MG_METRICS_TOKEN": "bearer token a Prometheus scraper sends to read GET /metrics",
    "MG_<PROVIDER>_BASE_URL": (
        "base URL of a provider's API, e.g. MG_OPENAI_BASE_URL, MG_ANTHROPIC_BASE_URL, MG_GOOGLE_BASE_URL"
    ),
    "MG_<PROVIDER>_API_KEY": (
        "API key of a provider, e.g. MG_DEEPSEEK_API_KEY (falls back to DEEPSEEK_API_KEY; "
        "MG_GOOGLE_API_KEY falls back to GEMINI_API_KEY or GOOGLE_API_KEY)"
    ),
}


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("mg", appauthor=False))


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mg", appauthor=False))


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = field(default_factory=default_data_dir)
    # Files that only save work (deleting them costs the next start a few seconds).
    cache_dir: Path = field(default_factory=default_cache_dir)
    database_url: str | None = None
    test_key_rpm: int = 5
    log_level: str = "INFO"
    log_format: str = "text"
    access_log: bool = True
    shutdown_timeout: float = 30.0
    upstream_timeout: float = 120.0
    redis_url: str | None = None
    redis_prefix: str = "mg:"
    blob_url: str | None = None
    models_file: Path | None = None
    # Testing knob: lets a test hold a sandbox stream open (graceful shutdown, disconnects).
    sandbox_chunk_delay: float = 0.0
    upstream_retries: int = 1
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0
    embedder: str = "auto"
    sandbox_model: str = "template"
    # Monster-GPT's MiniLM layer for close calls: auto (once the model has loaded) or off.
    classifier_semantic: str = "auto"
    # Serve on uvloop when it is installed (not on Windows): the same code, a faster event loop.
    uvloop: bool = True
    completion_body_limit: int = 64 * 1024
    embedding_body_limit: int = 512 * 1024
    # Group commit: extra seconds a request-log batch waits for more rows before it commits. 0 is
    # best: rows that arrive while one batch commits already share the next transaction.
    log_flush_interval: float = 0.0
    # Thread bodies (batch population, message import) may be larger than a completion.
    npc_body_limit: int = 1024 * 1024
    npc_window_messages: int = 40
    npc_summary_tokens: int = 600
    npc_recall_k: int = 3
    npc_default_model: str = "deepseek-chat"
    symbol_upload_limit: int = 10 * 1024 * 1024
    symbol_presign_limit: int = 500 * 1024 * 1024
    symbol_presign_ttl: float = 3600.0
    # Crash reports: the largest minidump accepted (Breakpad / Crashpad dumps of a game are a few MB).
    crash_upload_limit: int = 50 * 1024 * 1024
    # Background jobs (local_gateway/services/jobs): whether this process runs a runner, and how.
    jobs_worker: bool = True
    jobs_concurrency: int = 4
    jobs_poll_interval: float = 1.0
    jobs_lease_seconds: float = 60.0
    webhooks_private_urls: bool = False
    webhooks_timeout: float = 10.0
    clock_offset_file: Path | None = None
    credit_low_percent: int = 20
    log_retention_days: int = 90
    key_rotation_grace_hours: float = 24.0
    # Sign-in links: SMTP when set, else the outbox file in the data dir.
    smtp_url: str | None = None
    otel_endpoint: str | None = None
    mail_from: str = "mg@localhost"
    public_url: str | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    # Create a local developer and a test key when the database is empty.
    bootstrap: bool = True
    # Save the bootstrap key into the CLI's `local` profile.
    save_bootstrap_key: bool = True
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gateway.db'}"

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def env(self, name: str) -> str | None:
        value = self.environ.get(name)
        return value if value else None

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        data_dir = overrides.get("data_dir") or env.get("MG_DATA_DIR")
        base_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
        config_path = Path(env["MG_CONFIG"]) if env.get("MG_CONFIG") else base_dir / "gateway.toml"
        if config_path.is_file():
            with config_path.open("rb") as fh:
                values.update(tomllib.load(fh))
        known = {f.name: f for f in fields(cls) if f.name != "environ"}
        for name in known:
            raw = env.get(f"MG_{name.upper()}")
            if raw not in (None, ""):
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["data_dir"] = base_dir
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        coerced = {name: _coerce(known[name].type, value, name) for name, value in values.items()}
        return cls(**coerced, environ=env)


def _coerce(kind: Any, value: Any, name: str) -> Any:
    kind = str(kind)
    try:
        if kind.startswith("bool"):
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        if kind.startswith("int"):
            return int(value)
        if kind.startswith("float"):
            return float(value)
        if kind.startswith("Path"):
            return Path(value).expanduser()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {name}: {value!r} is not a valid {kind}") from exc
    return value
