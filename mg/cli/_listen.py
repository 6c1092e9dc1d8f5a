"""``mg webhooks listen``: a temporary endpoint that prints (and forwards) what it receives.

A small HTTP server on 127.0.0.1 receives the gateway's deliveries. Each one is printed with
whether its Standard Webhooks signature verifies against the endpoint's secret, then, with
``--forward-to``, POSTed on with every header intact (so the game server can verify it too);
the receiver answers the gateway with the game server's status, so a failing game server shows
up as a failed delivery and is retried, as it would be in production.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mg.client import MonsterClient

_HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


def _handler(secret: str, forward_to: str | None, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    from mg.webhooks import WebhookVerificationError, verify

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            try:
                verify(secret, body, headers)
                checked = "signature verified"
            except (WebhookVerificationError, ValueError) as exc:
                checked = f"SIGNATURE NOT VERIFIED: {exc}"
            try:
                doc = json.loads(body)
                pretty = json.dumps(doc, indent=2, ensure_ascii=False)
                title = f"{doc.get('event')} {doc.get('id')}"
            except ValueError:
                pretty, title = body.decode("utf-8", "replace"), "(not JSON)"
            status, lines = 200, [f"--> {title} [{checked}]", pretty]
            if forward_to:
                status, answer = _forward(forward_to, body, headers)
                lines.append(f"<-- {forward_to}: {answer}")
            with lock:
                sys.stdout.write("\n".join(lines) + "\n\n")
                sys.stdout.flush()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def _forward(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    import httpx

    kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
    try:
        response = httpx.post(url, content=body, headers=kept, timeout=10)
    except httpx.HTTPError as exc:
        return 502, f"not reached ({type(exc).__name__}: {exc})"
    excerpt = response.text[:200].strip()
    return response.status_code, f"{response.status_code} {response.reason_phrase}" + (
        f" {excerpt}" if excerpt else ""
    )


def _stop(_signum: int, _frame: Any) -> None:
    # SIGTERM ends it like Ctrl-C, so the endpoint is removed either way.
    raise KeyboardInterrupt


def listen(client: MonsterClient, events: list[str], forward_to: str | None, port: int) -> None:
    from mg.cli import _output

    lock = threading.Lock()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler("", forward_to, lock))
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    hook = client.request(
        "POST",
        "/v1/webhooks",
        json={"url": url, "events": events, "description": "mg webhooks listen (removed when it stops)"},
    )
    server.RequestHandlerClass = _handler(hook["secret"], forward_to, lock)
    signal.signal(signal.SIGTERM, _stop)
    thread = threading.Thread(target=server.serve_forever, name="webhooks-listen", daemon=True)
    thread.start()
    with lock:
        print(f"Ready: {hook['id']} receives {', '.join(hook['events'])} at {url}", flush=True)
        print(f"Signing secret: {hook['secret']}", flush=True)
        if forward_to:
            print(f"Forwarding to {forward_to}", flush=True)
        print("Press Ctrl-C to stop.\n", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        client.request("DELETE", f"/v1/webhooks/{hook['id']}")
        _output.note(f"Removed {hook['id']}.")
