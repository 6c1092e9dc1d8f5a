"""A fast loopback fake of OpenAI's chat-completions endpoint, for benchmarks only.

Speaks just enough HTTP/1.1 (keep-alive, Content-Length request bodies) to answer
``POST /v1/chat/completions`` with a fixed completion, or with an SSE stream of ``--chunks``
chunks when the body asks for ``"stream": true``. A body whose ``user`` is ``"pace:<ms>"`` gets
its stream chunks that many milliseconds apart (time-to-first-chunk runs); otherwise the
whole stream goes out in one write. ``GET /health`` answers 200.

Run: ``python bench/upstream.py --port 0 --ready-file f.json`` (uses uvloop when installed:
the upstream must never be what limits a benchmark).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

try:
    import orjson

    _loads = orjson.loads
    _dumps = orjson.dumps
except ImportError:  # pragma: no cover - the benchmark still runs, only slower
    _loads = json.loads

    def _dumps(obj: object) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()


WORDS = [
    "The",
    "old",
    "blacksmith",
    "wipes",
    "his",
    "hands",
    "and",
    "looks",
    "you",
    "over",
    "before",
    "he",
    "answers",
]


def _completion(model: str) -> bytes:
    return _dumps(
        {
            "id": "chatcmpl-upstream",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "system_fingerprint": "fp_bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": " ".join(WORDS), "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 24, "completion_tokens": len(WORDS), "total_tokens": 24 + len(WORDS)},
        }
    )


def _stream_events(model: str, chunks: int, include_usage: bool) -> list[bytes]:
    base = {
        "id": "chatcmpl-upstream",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "system_fingerprint": "fp_bench",
    }

    def event(choices: list[dict], **extra: object) -> bytes:
        return b"data: " + _dumps(dict(base, choices=choices, **extra)) + b"\n\n"

    out = [event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])]
    for i in range(chunks):
        word = WORDS[i % len(WORDS)] + " "
        out.append(event([{"index": 0, "delta": {"content": word}, "finish_reason": None}]))
    out.append(event([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    if include_usage:
        usage = {"prompt_tokens": 24, "completion_tokens": chunks, "total_tokens": 24 + chunks}
        out.append(event([], usage=usage))
    out.append(b"data: [DONE]\n\n")
    return out


def _chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Upstream(asyncio.Protocol):
    chunks = 10
    _cache: dict[tuple[str, bool, bool], bytes | list[bytes]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = bytearray()
        self.busy = False  # a paced stream is being written; later requests wait in the buffer

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._drain()

    def _drain(self) -> None:
        while not self.busy:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            lines = head.split("\r\n")
            length = 0
            close = False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                lname = name.strip().lower()
                if lname == "content-length":
                    length = int(value.strip())
                elif lname == "connection" and value.strip().lower() == "close":
                    close = True
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            method, path, _ = lines[0].split(" ", 2)
            self._handle(method, path, body, close)

    def _handle(self, method: str, path: str, body: bytes, close: bool) -> None:
        conn = b"Connection: close\r\n" if close else b""
        if method == "GET":
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + conn + b"\r\nok")
        elif not path.endswith("/chat/completions"):
            self.transport.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" + conn + b"\r\n")
        else:
            try:
                req = _loads(body)
            except ValueError:
                self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n" + conn + b"\r\n")
                req = None
            if req is not None:
                model = str(req.get("model") or "gpt-4o-mini")
                if req.get("stream"):
                    include = bool((req.get("stream_options") or {}).get("include_usage"))
                    user = req.get("user") or ""
                    pace = float(user[5:]) / 1000 if isinstance(user, str) and user.startswith("pace:") else 0
                    self._stream(model, include, pace, conn)
                else:
                    key = (model, False, False)
                    payload = self._cache.get(key)
                    if payload is None:
                        payload = self._cache[key] = _completion(model)
                    assert isinstance(payload, bytes)
                    self.transport.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
                        % (len(payload), conn, payload)
                    )
        if close:
            self.transport.close()

    def _stream(self, model: str, include_usage: bool, pace: float, conn: bytes) -> None:
        key = (model, True, include_usage)
        events = self._cache.get(key)
        if events is None:
            events = self._cache[key] = _stream_events(model, self.chunks, include_usage)
        assert isinstance(events, list)
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            b"Transfer-Encoding: chunked\r\n" + conn + b"\r\n"
        )
        if not pace:
            self.transport.write(head + b"".join(_chunked(e) for e in events) + b"0\r\n\r\n")
            return
        self.busy = True
        self.transport.write(head + _chunked(events[0]))
        loop = asyncio.get_running_loop()
        rest = list(events[1:])

        def next_event() -> None:
            if self.transport.is_closing():
                return
            if rest:
                self.transport.write(_chunked(rest.pop(0)))
                loop.call_later(pace, next_event)
                return
            self.transport.write(b"0\r\n\r\n")
            self.busy = False
            self._drain()

        loop.call_later(pace, next_event)


async def main_async(args: argparse.Namespace) -> None:
    Upstream.chunks = args.chunks
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Upstream, args.host, args.port, backlog=1024, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    if args.ready_file:
        args.ready_file.write_text(json.dumps({"port": port, "pid": os.getpid()}))
    print(f"fake upstream on http://{args.host}:{port}/v1", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


def run_loop(coro: object, use_uvloop: bool = True) -> None:
    """asyncio.run, on uvloop when it is installed and wanted."""
    if use_uvloop:
        try:
            import uvloop

            uvloop.run(coro)  # type: ignore[arg-type]
            return
        except ImportError:
            pass
    asyncio.run(coro)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=10, help="content chunks per stream")
    parser.add_argument("--ready-file", type=Path)
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args()
    try:
        run_loop(main_async(args), use_uvloop=not args.no_uvloop)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
