"""With MG_SMTP_URL the sign-in link goes by mail: a real SMTP server (aiosmtpd) on a free port
receives it, and the link in the message signs in."""

from __future__ import annotations

import asyncio
import email
import re
import socket
import time
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.gateway_process import GatewayProcess, running_gateway
from tests.support.sign_in import ask_link, outbox


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Any, Message]] = []
        self.delay = 0.0  # a slow mail server: seconds before it accepts a message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        self.messages.append((envelope, email.message_from_bytes(envelope.content)))
        return "250 OK"

    def wait(self, count: int, timeout: float = 10.0) -> list[tuple[Any, Message]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def gw(smtp: tuple[Inbox, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    env = {"MG_SMTP_URL": f"smtp://127.0.0.1:{smtp[1]}", "MG_MAIL_FROM": "portal@studio.example"}
    with running_gateway(tmp_path_factory.mktemp("smtp"), None, env) as process:
        yield process


def test_the_link_arrives_by_mail_and_signs_in(gw: GatewayProcess, smtp: tuple[Inbox, int]) -> None:
    inbox = smtp[0]
    before = len(inbox.messages)
    answer = ask_link(gw, "lead@studio.example")
    assert answer.status_code == 200 and "inbox" in answer.json()["message"]
    envelope, message = inbox.wait(before + 1)[before]
    assert envelope.rcpt_tos == ["lead@studio.example"] and message["From"] == "portal@studio.example"
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    [link] = re.findall(r"http://\S+/v1/auth/verify\?token=\S+", body)
    assert link.startswith(gw.url), "the link points at the gateway that sent it"
    assert outbox(gw.data_dir) == [], "with SMTP configured nothing goes to the outbox"
    with gw.client() as client:
        verify = client.get(link.replace(gw.url, ""), follow_redirects=False)
        assert verify.status_code == 303 and verify.headers["Location"] == "/portal"
        page = client.get("/portal")
        assert page.status_code == 200 and "lead@studio.example" in page.text


def test_a_slow_mail_server_does_not_show_in_the_answer(gw: GatewayProcess, smtp: tuple[Inbox, int]) -> None:
    """The mail goes out after the answer: an account's existence cannot be timed through it."""
    inbox = smtp[0]
    known = gw.create_key(email="known@studio.example")["email"]
    inbox.delay = 2.0
    try:
        before = len(inbox.messages)
        for who in (known, "unknown@studio.example"):
            started = time.perf_counter()
            assert ask_link(gw, who).status_code == 200
            assert time.perf_counter() - started < 1.0, f"the answer to {who} waited for the mail server"
        arrived = inbox.wait(before + 2, timeout=15)[before:]
        assert sorted(e.rcpt_tos[0] for e, _ in arrived) == [known, "unknown@studio.example"]
    finally:
        inbox.delay = 0.0
