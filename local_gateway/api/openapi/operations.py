"""Every operation of the API: its tag, summary, who may call it, its query parameters, body and
answer. ``document.py`` joins this table to the router, so a route without an entry here (or
an entry without a route) fails tests/gateway/test_openapi.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    tag: str
    summary: str
    auth: str = "key"  # key | public | admin-configured (metrics) | token (a path token)
    query: tuple[str, ...] = ()  # name, or name:type (integer|boolean)
    body: str | None = None  # a component schema name, or "multipart", "binary", "json"
    answer: str = "Object"  # a component schema name, or "text", "html", "binary", "sse"
    status: int = 200
    streams: bool = False  # the answer may also be text/event-stream (stream: true)
    also: tuple[str, ...] = ()  # other media types the answer may have
    html_errors: bool = False  # a page for people: errors come back as the page, not JSON


PAGE = ("limit:integer", "after")

# fmt: off
OPERATIONS: dict[tuple[str, str], Op] = {
    # Chat and models
    ("POST", "/v1/chat/completions"): Op(
        "Chat", "Create a chat completion (OpenAI-compatible)", body="ChatCompletionRequest",
        answer="ChatCompletion", streams=True,
    ),
    ("POST", "/v1/stream"): Op("Chat", "Stream a chat completion (SSE)", body="ChatCompletionRequest",
                               answer="sse"),
    ("POST", "/v1/structured"): Op("Chat", "A completion that answers JSON valid against a schema",
                                   body="json"),
    ("POST", "/v1/embeddings"): Op("Embeddings", "Create embeddings (OpenAI-compatible)",
                                   body="EmbeddingsRequest", answer="Embeddings"),
    ("GET", "/v1/models"): Op("Models", "List the models this key may use", answer="ModelList"),
    ("GET", "/v1/models/catalog"): Op("Models", "The full model catalog with prices", auth="public"),
    ("GET", "/v1/models/health"): Op("Models", "Provider and model health", auth="public"),
    ("GET", "/v1/models/{model_id}"): Op("Models", "Retrieve a model", answer="Model"),
    # NPC threads
    ("POST", "/v1/threads"): Op("Threads", "Create an NPC thread", body="ThreadRequest", answer="Thread",
                                status=201),
    ("GET", "/v1/threads"): Op("Threads", "List threads",
                               query=(*PAGE, "npc_id", "player_id"), answer="ThreadList"),
    ("POST", "/v1/threads/batch"): Op("Threads", "Get many threads at once", body="json"),
    ("POST", "/v1/threads/export"): Op("Threads", "Export threads as JSON or JSONL", body="json",
                                      also=("application/jsonl",)),
    ("POST", "/v1/threads/group"): Op("Threads", "Create a group scene with several NPCs", body="json",
                                      status=201),
    ("GET", "/v1/threads/{thread_id}"): Op("Threads", "Retrieve a thread", answer="Thread"),
    ("PATCH", "/v1/threads/{thread_id}"): Op("Threads", "Update a thread's metadata or scene", body="json",
                                             answer="Thread"),
    ("DELETE", "/v1/threads/{thread_id}"): Op("Threads", "Delete a thread"),
    ("GET", "/v1/threads/{thread_id}/messages"): Op("Threads", "List a thread's messages", query=PAGE),
    ("POST", "/v1/threads/{thread_id}/messages"): Op("Threads", "Add messages to a thread", body="json",
                                                     status=201),
    ("POST", "/v1/threads/{thread_id}/speak"): Op("Threads", "An NPC's next line in its thread",
                                                  body="SpeakRequest", streams=True),
    ("POST", "/v1/threads/{thread_id}/state"): Op("Threads", "Set game state on a thread", body="json",
                                                  query=("mode", "scope")),
    ("GET", "/v1/threads/{thread_id}/state"): Op("Threads", "Read a thread's game state"),
    ("PUT", "/v1/threads/{thread_id}/actions"): Op("Threads", "Set the actions an NPC may take",
                                                   body="json"),
    ("GET", "/v1/threads/{thread_id}/actions"): Op("Threads", "The actions an NPC may take"),
    # NPC templates
    ("GET", "/v1/npc/templates"): Op("NPC templates", "List NPC templates", query=("tags",),
                                     answer="TemplateList"),
    ("POST", "/v1/npc/templates"): Op("NPC templates", "Create an NPC template", body="TemplateRequest",
                                      query=("dry_run:boolean",), answer="Template", status=201),
    ("GET", "/v1/npc/templates/{template_id}"): Op("NPC templates", "Retrieve an NPC template",
                                                   answer="Template"),
    ("PUT", "/v1/npc/templates/{template_id}"): Op("NPC templates", "Replace an NPC template",
                                                   body="TemplateRequest", answer="Template"),
    ("PATCH", "/v1/npc/templates/{template_id}"): Op("NPC templates", "Update an NPC template",
                                                     body="json", answer="Template"),
    ("DELETE", "/v1/npc/templates/{template_id}"): Op("NPC templates", "Delete an NPC template"),
    # Crashes and debug
    ("POST", "/v1/debug/crashes"): Op("Crashes", "Submit a crash (stack trace, or multipart minidump)",
                                      body="CrashRequest", answer="Crash", status=201),
    ("GET", "/v1/debug/crashes"): Op("Crashes", "List crashes",
                                     query=(*PAGE, "status", "platform", "game_id", "version"),
                                     answer="CrashList"),
    ("POST", "/v1/debug/crashes/breakpad"): Op("Crashes", "Submit a minidump the way Breakpad sends it",
                                               auth="token", query=("api_key",), body="multipart",
                                               answer="text", status=201),
    ("GET", "/v1/debug/crashes/trends"): Op("Crashes", "Crash groups over time",
                                            query=("since", "until", "game_id", "limit:integer")),
    ("GET", "/v1/debug/crashes/stats"): Op("Crashes", "Crash totals", query=("game_id",)),
    ("GET", "/v1/debug/crashes/{crash_id}"): Op("Crashes", "Retrieve a crash", answer="Crash"),
    ("PATCH", "/v1/debug/crashes/{crash_id}"): Op("Crashes", "Triage a crash (status, tags)", body="json",
                                                  answer="Crash"),
    ("POST", "/v1/debug/analyze"): Op("Crashes", "Analyse a crash or a stack trace", body="json"),
    ("POST", "/v1/debug/sessions"): Op("Debug sessions", "Open a debug session", body="json", status=201),
    ("GET", "/v1/debug/sessions"): Op("Debug sessions", "List debug sessions", query=PAGE),
    ("GET", "/v1/debug/sessions/{session_id}"): Op("Debug sessions", "Retrieve a debug session"),
    ("DELETE", "/v1/debug/sessions/{session_id}"): Op("Debug sessions", "Archive a debug session"),
    # Symbols
    ("POST", "/v1/debug/symbols/upload"): Op("Symbols", "Upload a symbol file (multipart)",
                                             query=("overwrite:boolean",), body="multipart", status=201),
    ("POST", "/v1/debug/symbols/presign"): Op("Symbols", "Get an upload URL for a large symbol file",
                                              query=("overwrite:boolean",), body="json", status=201),
    ("PUT", "/v1/debug/symbols/upload/{token}"): Op("Symbols", "Upload to a presigned URL", auth="token",
                                                    body="binary", status=201),
    ("POST", "/v1/debug/symbols/upload/{token}/complete"): Op(
        "Symbols", "Record a file PUT to an S3 presigned URL", auth="token", status=201),
    ("POST", "/v1/debug/symbols/check"): Op("Symbols", "Which of these debug ids are uploaded",
                                            body="json"),
    ("GET", "/v1/debug/symbols/lookup"): Op("Symbols", "Find a symbol file by module and debug id",
                                            query=("module_name", "debug_id")),
    ("GET", "/v1/debug/symbols"): Op("Symbols", "List symbol files",
                                     query=(*PAGE, "module_name", "debug_id", "file_type")),
    ("GET", "/v1/debug/symbols/{symbol_id}"): Op("Symbols", "Retrieve a symbol file's record"),
    ("DELETE", "/v1/debug/symbols/{symbol_id}"): Op("Symbols", "Delete a symbol file"),
    ("GET", "/symbols/{first}/{key}/{name}"): Op("Symbol server", "Microsoft symbol-server layout",
                                                 answer="binary"),
    ("GET", "/buildid/{build_id}/{kind}"): Op("Symbol server", "debuginfod: debuginfo or executable",
                                              answer="binary"),
    ("GET", "/buildid/{build_id}/source/{path}"): Op("Symbol server", "debuginfod: a source file",
                                                     answer="binary"),
    # Accounts, keys and money
    ("GET", "/v1/whoami"): Op("Account", "Who this key belongs to"),
    ("GET", "/v1/keys/me"): Op("Account", "This key: tier, limits, credits"),
    ("GET", "/v1/keys/health"): Op("Keys", "Key age, last use and rotation advice"),
    ("GET", "/portal/api/keys"): Op("Keys", "List the account's keys"),
    ("POST", "/portal/api/keys"): Op("Keys", "Create a key (shown once)", body="json", status=201),
    ("POST", "/portal/api/keys/rotate"): Op("Keys", "Rotate a key; the old one works for a grace period",
                                            body="json", status=201),
    ("DELETE", "/portal/api/keys/{key_id}"): Op("Keys", "Revoke a key at once"),
    ("GET", "/portal/api/tokens"): Op("Keys", "List personal access tokens"),
    ("POST", "/portal/api/tokens"): Op("Keys", "Create a personal access token (shown once)", body="json",
                                       status=201),
    ("DELETE", "/portal/api/tokens/{token_id}"): Op("Keys", "Revoke a personal access token"),
    ("GET", "/v1/credits/balance"): Op("Billing", "Credit balance, daily usage and expirations"),
    ("GET", "/v1/billing/spend-limit"): Op("Billing", "The account's spend caps"),
    ("PUT", "/v1/billing/spend-limit"): Op("Billing", "Set the monthly spend cap", body="json"),
    ("GET", "/v1/billing/manage"): Op("Billing", "A Stripe Checkout (credit or a tier) or billing-portal URL",
                                      query=("tier", "credits_usd:integer")),
    ("POST", "/v1/billing/stripe/webhook"): Op("Billing", "Stripe's events (signed by Stripe, not a key)",
                                               auth="public", body="json"),
    ("GET", "/v1/tiers"): Op("Billing", "The tier table", auth="public"),
    ("GET", "/v1/pricing"): Op("Billing", "List prices per model", auth="public"),
    ("GET", "/v1/cost-calculator"): Op("Billing", "What a request would cost", auth="public",
                                       query=("model", "input_tokens:integer", "output_tokens:integer",
                                              "tier")),
    ("GET", "/v1/usage"): Op("Usage", "Usage per day and per model", query=("days:integer", "format")),
    ("GET", "/v1/logs"): Op("Usage", "The request log", query=(*PAGE, "model", "status", "since", "until")),
    ("GET", "/v1/logs/{log_id}"): Op("Usage", "One request-log entry"),
    # Telemetry
    ("POST", "/v1/telemetry/event"): Op("Telemetry", "Record a telemetry event", body="json",
                                        status=202),
    ("GET", "/v1/telemetry/summary"): Op("Telemetry", "Telemetry totals", query=("days:integer",)),
    # Webhooks
    ("POST", "/v1/webhooks"): Op("Webhooks", "Create a webhook endpoint", body="WebhookRequest",
                                 answer="Webhook", status=201),
    ("GET", "/v1/webhooks"): Op("Webhooks", "List webhook endpoints", answer="WebhookList"),
    ("GET", "/v1/webhooks/deliveries"): Op("Webhooks", "List deliveries",
                                           query=(*PAGE, "webhook_id", "status", "event_type")),
    ("GET", "/v1/webhooks/deliveries/{delivery_id}"): Op("Webhooks", "Retrieve a delivery"),
    ("POST", "/v1/webhooks/deliveries/{delivery_id}/redeliver"): Op("Webhooks", "Send a delivery again",
                                                                    status=202),
    ("GET", "/v1/webhooks/{webhook_id}"): Op("Webhooks", "Retrieve a webhook endpoint", answer="Webhook"),
    ("PATCH", "/v1/webhooks/{webhook_id}"): Op("Webhooks", "Update a webhook endpoint", body="json",
                                               answer="Webhook"),
    ("DELETE", "/v1/webhooks/{webhook_id}"): Op("Webhooks", "Delete a webhook endpoint"),
    ("POST", "/v1/webhooks/{webhook_id}/rotate-secret"): Op("Webhooks", "Rotate the signing secret"),
    ("POST", "/v1/webhooks/{webhook_id}/ping"): Op("Webhooks", "Send a test event", status=202),
    # Sign-in and the portal (a session cookie; pages answer HTML, forms post urlencoded)
    ("POST", "/v1/auth/email"): Op("Sign-in", "Mail a sign-in link (same answer for every address)",
                                   auth="public", body="json"),
    ("GET", "/v1/auth/verify"): Op("Sign-in", "Open a session from a sign-in link", auth="public",
                                   query=("token",), answer="html", status=303),
    ("POST", "/v1/auth/tos"): Op("Sign-in", "Accept the terms of service", body="json"),
    ("POST", "/v1/auth/logout"): Op("Sign-in", "End this session", auth="public"),
    ("GET", "/portal"): Op("Portal", "The portal (the sign-in form when signed out)", auth="public",
                           answer="html", html_errors=True),
    ("POST", "/portal/sign-in"): Op("Portal", "Ask for a sign-in link", auth="public", body="form",
                                    answer="html", html_errors=True),
    ("POST", "/portal/sign-out"): Op("Portal", "Sign out", auth="public", body="form", answer="html",
                                     status=303, html_errors=True),
    ("POST", "/portal/keys"): Op("Portal", "Create a key from the portal", auth="public", body="form",
                                 answer="html", html_errors=True),
    ("POST", "/portal/keys/{key_id}/rotate"): Op("Portal", "Rotate a key from the portal", auth="public",
                                                 body="form", answer="html", html_errors=True),
    ("POST", "/portal/keys/{key_id}/revoke"): Op("Portal", "Revoke a key from the portal", auth="public",
                                                 body="form", answer="html", status=303, html_errors=True),
    ("POST", "/portal/tos"): Op("Portal", "Accept the terms from the portal", auth="public", body="form",
                                answer="html", status=303, html_errors=True),
    # Status
    ("GET", "/status"): Op("Status", "The status page (HTML)", auth="public", answer="html"),
    ("GET", "/v1/status"): Op("Status", "Statuspage-shaped status summary", auth="public"),
    ("GET", "/v1/health"): Op("Status", "Subsystem health (503 when unhealthy)", auth="public"),
    ("GET", "/v1/slo"): Op("Status", "SLO targets and measured figures", auth="public", query=("window",)),
    ("GET", "/v1/changelog"): Op("Status", "The changelog", auth="public"),
    ("GET", "/v1/version"): Op("Status", "Gateway and API version", auth="public"),
    ("GET", "/metrics"): Op("Status", "Prometheus metrics (when enabled)", auth="admin-configured",
                            answer="text"),
    ("GET", "/openapi.json"): Op("Status", "This document", auth="public"),
}
# fmt: on
