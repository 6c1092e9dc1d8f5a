"""A bare aiohttp pass-through proxy: the floor for a gateway built on this stack.

It forwards the request body to the upstream unchanged and streams the answer back as it
arrives, through one pooled ``ClientSession``: no auth, no parsing, no logging. Whatever the
gateway costs above this is the price of its own features.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from upstream import run_loop

_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}
SESSION = web.AppKey("session", aiohttp.ClientSession)


def make_app(upstream: str) -> web.Application:
    app = web.Application()

    async def session_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        app[SESSION] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256), auto_decompress=False)
        yield
        await app[SESSION].close()

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        async with request.app[SESSION].post(upstream + request.path_qs, data=body, headers=headers) as up:
            out_headers = {k: v for k, v in up.headers.items() if k.lower() not in _HOP}
            length = up.headers.get("Content-Length")
            if length is not None:
                return web.Response(body=await up.read(), status=up.status, headers=out_headers)
            response = web.StreamResponse(status=up.status, headers=out_headers)
            await response.prepare(request)
            async for data in up.content.iter_any():
                await response.write(data)
            await response.write_eof()
            return response

    app.cleanup_ctx.append(session_ctx)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def main_async(args: argparse.Namespace) -> None:
    runner = web.AppRunner(make_app(args.upstream.rstrip("/")), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    if args.ready_file:
        args.ready_file.write_text(json.dumps({"port": port, "pid": os.getpid()}))
    print(f"pass-through on http://{args.host}:{port} -> {args.upstream}", file=sys.stderr, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:9000 (no /v1)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", type=Path)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (the gateway's choice)")
    args = parser.parse_args()
    try:
        run_loop(main_async(args), use_uvloop=args.uvloop)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
