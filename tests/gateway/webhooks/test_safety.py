"""SSRF rules of live accounts: every inward address class refused, checked again at delivery
after resolving, the connection made to the checked address, redirects never followed."""

from __future__ import annotations

import ipaddress
import secrets

import pytest

from local_gateway.providers import webhook_http
from local_gateway.services.accounts.keys import KeyService, Principal
from local_gateway.services.webhooks.params import parse_create
from mg.errors import InvalidRequestError
from tests.gateway.webhooks.conftest import World

PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.7", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "metadata"),
        ("64:ff9b::7f00:1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_inward_addresses_are_refused(address: str, why: str) -> None:
    reason = webhook_http.refusal(ipaddress.ip_address(address))
    assert reason is not None and why in reason


@pytest.mark.parametrize("address", [PUBLIC, "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert webhook_http.refusal(ipaddress.ip_address(address)) is None


async def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return {"mixed.example": [PUBLIC, "127.0.0.1"], "fine.example": [PUBLIC]}[host]

    with pytest.raises(webhook_http.Refused, match=r"mixed\.example resolves to 127\.0\.0\.1 is a loopback"):
        await webhook_http.checked_addresses("https://mixed.example/hook", resolve)
    assert await webhook_http.checked_addresses("https://fine.example/hook", resolve) == [PUBLIC]
    with pytest.raises(webhook_http.Refused, match="loopback"):
        await webhook_http.checked_addresses("https://localhost/hook")  # the system resolver


async def test_the_connection_goes_to_the_checked_address_only(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    # Let the checks pass for this loopback receiver, so that the connection itself is seen:
    # hooks.invalid has no DNS record, so only the checked address can have been dialled.
    monkeypatch.setattr(webhook_http, "refusal", lambda address: None)
    monkeypatch.setattr(webhook_http, "scheme_refusal", lambda url: None)
    port = world.receiver.url.rsplit(":", 1)[1]
    answer = await webhook_http.post(
        f"http://hooks.invalid:{port}/pinned", b"{}", {}, allow_private=False, timeout=5, resolve=resolve
    )
    assert (answer.status_code, looked_up) == (200, ["hooks.invalid"])
    [request] = world.receiver.requests("/pinned")
    assert request["headers"]["Host"] == f"hooks.invalid:{port}"


async def _live(world: World) -> Principal:
    new = await KeyService(world.db, world.clock).create_key(
        f"live-{secrets.token_hex(4)}@example.com", tier="studio", environment="live"
    )
    return Principal(new.key, new.developer)


@pytest.mark.postgres
async def test_a_name_that_turns_inward_after_registration_is_refused_at_delivery(world: World) -> None:
    answers = {"hooks.example": [PUBLIC]}

    async def resolve(host: str, port: int) -> list[str]:
        return answers[host]

    world.deliverer.resolve = resolve
    live = await _live(world)
    port = world.receiver.url.rsplit(":", 1)[1]
    spec = parse_create({"url": f"https://hooks.example:{port}/ok", "events": ["*"]})
    endpoint = await world.service.create(live, spec)
    answers["hooks.example"] = ["127.0.0.1"]  # DNS rebinding: now it points at the gateway's host
    view = await world.service.ping(live.developer_id, endpoint.id)
    assert view.delivery.status == "failed" and view.attempts[0].status_code is None
    assert "refused: hooks.example resolves to 127.0.0.1 is a loopback address" in (
        view.attempts[0].error or ""
    )
    assert world.receiver.requests() == []
    with pytest.raises(InvalidRequestError, match="loopback"):
        await world.service.update(live, endpoint.id, parse_create({"url": spec.url, "events": ["*"]}))


@pytest.mark.postgres
async def test_redirects_are_not_followed(world: World) -> None:
    inward = world.receiver.url + "/inward"
    await world.endpoint(f"/redirect?to={inward}")
    await world.emit("thread.created", "thr_redirect")
    await world.settle()
    [d] = await world.deliveries()
    assert (d.status, d.last_status_code) == ("pending", 302)
    assert "not followed" in (d.last_error or "")
    assert world.receiver.requests("/inward") == [] and len(world.receiver.requests("/redirect")) == 1


@pytest.mark.postgres
async def test_a_large_answer_is_read_up_to_a_cap(world: World) -> None:
    endpoint = await world.endpoint("/ok?pad=1000000")
    view = await world.service.ping(world.principal.developer_id, endpoint.id)
    excerpt = view.attempts[0].response_excerpt or ""
    assert view.delivery.status == "delivered" and len(excerpt) == webhook_http.RESPONSE_CAP
