"""STAND-IN for gateway endpoints that are not built yet: crash reports, crash analysis, usage,
credit balance and key health (API reference: Crash Reports, Crash Analysis, Usage, Billing &
Credits, Key Management).

A small aiohttp app on a free loopback port, in a thread of its own (so sync snapshot tests and
async pilot tests can both use it), with fixed data in the shapes the TUI reads. It lets the
populated crash-triage and keys screens be tested before the gateway serves these routes; the
notice path ("this gateway does not offer …") is tested against the real gateway. Delete it
when the gateway has the routes.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

CRASHES: dict[str, dict[str, Any]] = {
    "crash_phys01": {
        "id": "crash_phys01",
        "object": "crash",
        "game_id": "dungeon",
        "fingerprint": "9f2c1a7be04d5e38",
        "platform": "windows",
        "version": "1.4.3",
        "status": "new",
        "crash_reason": "EXCEPTION_ACCESS_VIOLATION_READ",
        "created_at": "2026-11-24T21:10:00Z",
        "stack": [
            {
                "frame": 0,
                "module": "game.exe",
                "function": "CollisionCheck::Narrow",
                "file": "physics/collide.cpp",
                "line": 212,
            },
            {
                "frame": 1,
                "module": "game.exe",
                "function": "Physics::Step",
                "file": "physics/world.cpp",
                "line": 88,
            },
            {
                "frame": 2,
                "module": "game.exe",
                "function": "GameEngine::Update",
                "file": "engine/loop.cpp",
                "line": 41,
            },
            {"frame": 3, "module": "kernel32.dll", "function": "BaseThreadInitThunk", "offset": "0x14"},
        ],
        "minidump": {
            "size_bytes": 482113,
            "sha256": "5be0c5d1…a09e",
            "os": "Windows 11 (10.0.22631)",
            "cpu": "amd64, 8 cores",
            "crash_address": "0x0000000000000018",
            "process_uptime_s": 1840,
            "sanitized": True,
        },
        "analysis": None,
    },
    "crash_rend02": {
        "id": "crash_rend02",
        "object": "crash",
        "game_id": "dungeon",
        "fingerprint": "41d0e9aa72c3b615",
        "platform": "windows",
        "version": "1.4.3",
        "status": "investigating",
        "crash_reason": "DXGI_ERROR_DEVICE_REMOVED",
        "created_at": "2026-11-23T10:02:00Z",
        "stack": [
            {"frame": 0, "module": "d3d12.dll", "function": "D3D12Device::Present", "offset": "0x3a2"},
            {
                "frame": 1,
                "module": "game.exe",
                "function": "Renderer::Present",
                "file": "render/swap.cpp",
                "line": 57,
            },
        ],
        "minidump": {"size_bytes": 301120, "os": "Windows 10 (10.0.19045)", "cpu": "amd64, 4 cores"},
        "analysis": "**Root cause:** the GPU driver reset the device during Present.",
    },
    "crash_save03": {
        "id": "crash_save03",
        "object": "crash",
        "game_id": "racer",
        "fingerprint": "c3aa5f0e11b2d947",
        "platform": "ps5",
        "version": "2.0.1",
        "status": "new",
        "crash_reason": "SIGABRT",
        "created_at": "2026-11-20T18:45:00Z",
        "stack": [
            {
                "frame": 0,
                "module": "racer.elf",
                "function": "Save::Write",
                "file": "save/slot.cpp",
                "line": 130,
            },
            {
                "frame": 1,
                "module": "racer.elf",
                "function": "Menu::OnConfirm",
                "file": "ui/menu.cpp",
                "line": 77,
            },
        ],
        "minidump": None,
        "analysis": None,
    },
    "crash_audio04": {
        "id": "crash_audio04",
        "object": "crash",
        "game_id": "dungeon",
        "fingerprint": "07be44c9d2a1f3e0",
        "platform": "macos",
        "version": "1.4.2",
        "status": "resolved",
        "crash_reason": "SIGSEGV",
        "created_at": "2026-11-12T07:30:00Z",
        "stack": [
            {"frame": 0, "module": "game", "function": "Audio::Mix", "file": "audio/mixer.cpp", "line": 19}
        ],
        "minidump": {"size_bytes": 120044, "os": "macOS 15.1", "cpu": "arm64, 10 cores"},
        "analysis": None,
    },
}

GROUPS: list[dict[str, Any]] = [
    {"fingerprint": "9f2c1a7be04d5e38", "title": "CollisionCheck::Narrow", "count": 42, "regression": True,
     "first_seen": "2026-11-01T08:00:00Z", "last_seen": "2026-11-24T21:10:00Z",
     "platforms": ["windows", "linux"], "versions": ["1.4.2", "1.4.3"], "latest_crash_id": "crash_phys01"},
    {"fingerprint": "41d0e9aa72c3b615", "title": "Renderer::Present", "count": 17, "regression": False,
     "first_seen": "2026-11-15T12:00:00Z", "last_seen": "2026-11-23T10:02:00Z",
     "platforms": ["windows"], "versions": ["1.4.3"], "latest_crash_id": "crash_rend02"},
    {"fingerprint": "c3aa5f0e11b2d947", "title": "Save::Write", "count": 8, "regression": False,
     "first_seen": "2026-11-18T09:00:00Z", "last_seen": "2026-11-20T18:45:00Z",
     "platforms": ["ps5"], "versions": ["2.0.1"], "latest_crash_id": "crash_save03"},
    {"fingerprint": "07be44c9d2a1f3e0", "title": "Audio::Mix", "count": 3, "regression": False,
     "first_seen": "2026-11-10T07:00:00Z", "last_seen": "2026-11-12T07:30:00Z",
     "platforms": ["macos"], "versions": ["1.4.2"], "latest_crash_id": "crash_audio04"},
]  # fmt: skip

USAGE = {
    "object": "usage",
    "days": 7,
    "daily": [
        {"date": f"2026-11-{18 + i:02d}", "requests": n, "tokens": n * 310, "cost_usd": round(n * 0.0004, 4)}
        for i, n in enumerate([12, 30, 22, 48, 41, 9, 27])
    ],
    "by_model": [
        {"model": "deepseek-chat", "requests": 121, "tokens": 37510, "cost_usd": 0.0521},
        {"model": "claude-haiku-4-5", "requests": 52, "tokens": 16120, "cost_usd": 0.0306},
        {"model": "monster-gpt", "requests": 16, "tokens": 4960, "cost_usd": 0.0049},
    ],
}
ME = {
    "key_id": "key_fake01",
    "key": "mg_test_Fake…0001",
    "environment": "test",
    "email": "dev@studio.example",
    "tier": "studio",
    "tier_name": "Studio",
    "credit_balance_usd": 5.0,
    "rate_limits": {"requests_per_minute": 1000, "daily_cap_usd": 200.0},
}
HEALTH = {"key_id": "key_fake01", "age_days": 97, "status": "aging", "last_used_at": "2026-11-24T21:12:00Z",
          "recommendation": "Consider rotating: this key is older than 90 days."}  # fmt: skip
CREDITS = {"balance_usd": 4.9124, "daily_usage_usd": 0.0108,
           "expirations": [{"amount_usd": 5.0, "expires_at": "2027-02-01T00:00:00Z"}]}  # fmt: skip


def _envelope(status: int, code: str, message: str, remediation: str = "") -> web.Response:
    body = {"error": {"type": code.lower(), "code": code, "message": message, "is_retryable": False,
                      "retry_after": None, "reset_at": None, "remediation": remediation}}  # fmt: skip
    return web.json_response(body, status=status)


class FakeOps:
    """The stand-in's state: crashes can change status and be analysed; calls are recorded."""

    def __init__(self) -> None:
        self.crashes = copy.deepcopy(CRASHES)
        self.usage: dict[str, Any] | None = copy.deepcopy(USAGE)  # None: a gateway without /v1/usage
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.url = ""

    def groups(self, game_id: str | None, since: str | None) -> list[dict[str, Any]]:
        out = []
        for group in GROUPS:
            crash = self.crashes[group["latest_crash_id"]]
            if game_id and crash["game_id"] != game_id:
                continue
            if since and group["last_seen"] < since:
                continue
            out.append(dict(group, status=crash["status"], game_id=crash["game_id"]))
        return out

    def app(self) -> web.Application:
        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            body = await request.json() if request.can_read_body else {}
            self.calls.append((request.method, request.path, dict(request.query) | (body or {})))
            try:
                return await handler(request)
            except web.HTTPNotFound:
                return _envelope(404, "NOT_FOUND", f"No route for {request.method} {request.path}.")

        routes = web.RouteTableDef()

        @routes.get("/v1/debug/crashes/trends")
        async def trends(request: web.Request) -> web.Response:
            q = request.query
            return web.json_response(
                {"object": "list", "data": self.groups(q.get("game_id"), q.get("since"))}
            )

        @routes.get("/v1/debug/crashes/{crash_id}")
        async def get_crash(request: web.Request) -> web.Response:
            crash = self.crashes.get(request.match_info["crash_id"])
            if crash is None:
                return _envelope(404, "NOT_FOUND", "No such crash.")
            return web.json_response(crash)

        @routes.patch("/v1/debug/crashes/{crash_id}")
        async def patch_crash(request: web.Request) -> web.Response:
            crash = self.crashes.get(request.match_info["crash_id"])
            if crash is None:
                return _envelope(404, "NOT_FOUND", "No such crash.")
            status = (await request.json()).get("status")
            if status not in ("new", "investigating", "resolved", "wont_fix"):
                return _envelope(400, "INVALID_REQUEST", f"Invalid status {status!r}.")
            crash["status"] = status
            return web.json_response(crash)

        @routes.post("/v1/debug/analyze")
        async def analyze(request: web.Request) -> web.Response:
            crash = self.crashes[(await request.json())["crash_id"]]
            top = crash["stack"][0]
            text = (
                f"**Root cause:** a null pointer read in `{top['function']}` "
                f"({top.get('file', top['module'])}).\n\n**Severity:** high\n\n"
                "**Fix:** check the body pointer before the narrow phase."
            )
            crash["analysis"] = text
            if crash["status"] == "new":
                crash["status"] = "investigating"
            return web.json_response(
                {
                    "crash_id": crash["id"],
                    "analysis": text,
                    "model": "deepseek-chat",
                    "analyzed_at": "2026-11-25T10:00:00.000Z",
                }
            )

        @routes.get("/v1/usage")
        async def usage(request: web.Request) -> web.Response:
            if self.usage is None:
                return _envelope(404, "NOT_FOUND", f"No route for {request.method} {request.path}.")
            return web.json_response(self.usage)

        @routes.get("/v1/keys/me")
        async def me(request: web.Request) -> web.Response:
            return web.json_response(ME)

        @routes.get("/v1/keys/health")
        async def health(request: web.Request) -> web.Response:
            return web.json_response(HEALTH)

        @routes.get("/v1/credits/balance")
        async def credits(request: web.Request) -> web.Response:
            return web.json_response(CREDITS)

        app = web.Application(middlewares=[record])
        app.add_routes(routes)
        return app


@contextmanager
def running_fake_ops() -> Iterator[FakeOps]:
    """The stand-in, served on 127.0.0.1 at a free port until the block ends."""
    fake = FakeOps()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app())
    ready = threading.Event()

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        fake.url = f"http://127.0.0.1:{port}"
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    ready.wait(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
