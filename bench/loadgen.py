"""The load generator: a small raw-socket HTTP/1.1 client on asyncio (uvloop when installed).

It keeps ``--connections`` keep-alive connections busy (closed loop: each sends its next request
as soon as the previous answer is complete) until ``--requests`` answers or ``--duration``
seconds, and prints one JSON object: throughput, latency percentiles and, for streams, the time
to the first body chunk. It parses only what it must (status line, Content-Length or chunked
framing), so that it stays several times faster than anything it measures; run it against the
fake upstream directly to see its ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from upstream import run_loop


class ProtocolError(Exception):
    pass


class Client(asyncio.Protocol):
    """One keep-alive connection; :meth:`request` sends a prepared request and awaits the answer."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.future: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.future is not None and not self.future.done():
            self.future.set_exception(ProtocolError("connection closed"))

    async def request(self, payload: bytes) -> tuple[int, float]:
        """Send; return (status, time of the first body byte)."""
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self.future = loop.create_future()
        self.state = "head"
        self.status = 0
        self.first_body = 0.0
        self.remaining = 0
        self.chunked = False
        self.transport.write(payload)
        await self.future
        return self.status, self.first_body

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            self._parse()
        except (ValueError, ProtocolError) as exc:
            if self.future is not None and not self.future.done():
                self.future.set_exception(ProtocolError(str(exc)))

    def _body(self, n: int) -> None:
        if n and not self.first_body:
            self.first_body = time.perf_counter()

    def _done(self) -> None:
        self.state = "idle"
        if self.future is not None and not self.future.done():
            self.future.set_result(None)

    def _parse(self) -> None:
        buf = self.buffer
        while True:
            if self.state == "head":
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buf[:end]).lower()
                del buf[: end + 4]
                self.status = int(head[9:12])
                self.chunked = b"transfer-encoding: chunked" in head
                if not self.chunked:
                    at = head.find(b"content-length:")
                    if at < 0:
                        raise ProtocolError("response without framing")
                    self.remaining = int(
                        head[at + 15 : head.index(b"\r\n", at) if b"\r\n" in head[at:] else None]
                    )
                    self.state = "body"
                else:
                    self.state = "size"
            elif self.state == "body":
                n = min(self.remaining, len(buf))
                self._body(n)
                del buf[:n]
                self.remaining -= n
                if self.remaining:
                    return
                self._done()
                return
            elif self.state == "size":
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                size = int(bytes(buf[:end]).split(b";")[0], 16)
                del buf[: end + 2]
                if size == 0:
                    self.state = "trailer"
                else:
                    self.remaining = size
                    self.state = "data"
            elif self.state == "data":
                n = min(self.remaining, len(buf))
                self._body(n)
                del buf[:n]
                self.remaining -= n
                if self.remaining:
                    return
                self.state = "crlf"
            elif self.state == "crlf":
                if len(buf) < 2:
                    return
                del buf[:2]
                self.state = "size"
            elif self.state == "trailer":
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                del buf[: end + 2]
                if end == 0:
                    self._done()
                    return
            else:
                return


def build_request(host: str, port: int, path: str, body: bytes, headers: list[str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        "Accept: */*",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


async def run(args: argparse.Namespace) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    body = args.body.encode() if args.body else Path(args.body_file).read_bytes()
    payload = build_request(args.host, args.port, args.path, body, args.header or [])
    clients: list[Client] = []
    for _ in range(args.connections):
        _, client = await loop.create_connection(Client, args.host, args.port)
        clients.append(client)

    latencies: list[float] = []
    firsts: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    target = args.requests
    deadline = [0.0]
    sent = [0]

    async def worker(client: Client, record: bool, budget: int) -> None:
        nonlocal errors
        while True:
            if record:
                if target and sent[0] >= target:
                    return
                if not target and time.perf_counter() >= deadline[0]:
                    return
                sent[0] += 1
            elif budget <= 0:
                return
            budget -= 1
            t0 = time.perf_counter()
            try:
                status, first = await client.request(payload)
            except ProtocolError:
                errors += 1
                if client.lost:
                    _, fresh = await loop.create_connection(Client, args.host, args.port)
                    client = fresh
                continue
            t1 = time.perf_counter()
            if record:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(t1 - t0)
                if first:
                    firsts.append(first - t0)

    warm = max(args.warmup // max(1, len(clients)), 1) if args.warmup else 0
    if warm:
        await asyncio.gather(*(worker(c, False, warm) for c in clients))
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    deadline[0] = started + args.duration
    await asyncio.gather(*(worker(c, True, 0) for c in clients))
    elapsed = time.perf_counter() - started
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    latencies.sort()
    firsts.sort()
    ms = 1000.0
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return {
        "requests": len(latencies),
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "elapsed_s": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 50) * ms, 3),
        "p90_ms": round(percentile(latencies, 90) * ms, 3),
        "p99_ms": round(percentile(latencies, 99) * ms, 3),
        "first_p50_ms": round(percentile(firsts, 50) * ms, 3) if firsts else None,
        "first_p99_ms": round(percentile(firsts, 99) * ms, 3) if firsts else None,
        "loadgen_cpu_s": round(cpu, 3),
        "loadgen_cpu_us_per_req": round(cpu / len(latencies) * 1e6, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/v1/chat/completions")
    parser.add_argument("--body", help="request body (JSON text)")
    parser.add_argument("--body-file", help="read the request body from this file")
    parser.add_argument("--header", action="append", help="extra header, 'Name: value' (repeatable)")
    parser.add_argument("--connections", "-c", type=int, default=1)
    parser.add_argument("--requests", "-n", type=int, default=0, help="stop after this many answers")
    parser.add_argument("--duration", "-d", type=float, default=5.0, help="or after this many seconds")
    parser.add_argument("--warmup", type=int, default=200, help="unrecorded requests first")
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args()
    if not args.body and not args.body_file:
        parser.error("--body or --body-file is required")
    result: dict[str, object] = {}

    async def go() -> None:
        result.update(await run(args))

    run_loop(go(), use_uvloop=not args.no_uvloop)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
