"""Delivery through the job queue to a real receiver: signatures, retries on the schedule (a
moved clock, not sleeps), Retry-After, 410, five days of failure, order per thread, rotation."""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from local_gateway.services.webhooks.delivery import MAX_ATTEMPTS, SCHEDULE, retry_delay
from local_gateway.services.webhooks.params import parse_update
from mg import webhooks as signing
from tests.gateway.webhooks.conftest import World

pytestmark = pytest.mark.postgres


def _at(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


async def test_an_event_arrives_signed_both_ways(world: World) -> None:
    endpoint = await world.endpoint("/ok", ["thread.message"])
    event_id = await world.emit(
        "thread.message", "thr_1", message_id="msg_1", role="assistant", content="Hm."
    )
    await world.emit("thread.created", "thr_1")  # not subscribed
    await world.settle()
    [request] = world.receiver.wait_for(1, "/ok")
    body = request["body"].encode()
    doc = json.loads(body)
    assert doc["id"] == event_id and doc["event"] == "thread.message"
    assert doc["data"] == {"thread_id": "thr_1", "message_id": "msg_1", "role": "assistant", "content": "Hm."}
    assert doc["timestamp"].endswith("Z")
    # The Standard Webhooks library, as a receiver would use it, accepts the delivery.
    assert Webhook(endpoint.secret).verify(body, request["headers"]) == doc
    assert request["headers"]["webhook-id"] == event_id
    # The spec's header: hex HMAC-SHA256 of the body keyed with the secret string.
    assert signing.verify_legacy(endpoint.secret, body, request["headers"])
    assert not signing.verify_legacy(signing.new_secret(), body, request["headers"])
    [delivery] = await world.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    view = await world.service.delivery(world.principal.developer_id, delivery.id)
    assert view.attempts[0].status_code == 200 and view.attempts[0].latency_ms >= 0
    assert json.loads(view.attempts[0].response_excerpt or "{}") == {"received": True, "path": "/ok"}


async def test_a_replayed_delivery_is_detected(world: World) -> None:
    endpoint = await world.endpoint()
    await world.emit("thread.created", "thr_r")
    await world.settle()
    [request] = world.receiver.wait_for(1)
    body, headers = request["body"].encode(), request["headers"]
    assert signing.verify(endpoint.secret, body, headers)["event"] == "thread.created"
    later = time.time() + 6 * 60  # the same request, captured and sent again six minutes on
    with pytest.raises(signing.WebhookVerificationError, match="replay"):
        signing.verify(endpoint.secret, body, headers, now=later)
    stale = {**headers, "webhook-timestamp": str(int(time.time()) - 600)}
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(endpoint.secret).verify(body, stale)
    tampered = body.replace(b"thread.created", b"thread.deleted")
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(tampered, headers)


async def test_500s_are_retried_on_the_schedule_then_given_up(world: World) -> None:
    await world.endpoint("/status/500")
    await world.emit("thread.created", "thr_s")
    await world.settle()
    for attempt in range(1, MAX_ATTEMPTS):
        [d] = await world.deliveries()
        assert (d.status, d.attempts) == ("pending", attempt)
        waited = (d.next_attempt_at - d.created_at).total_seconds() if attempt == 1 else None
        if waited is not None:
            assert waited == pytest.approx(SCHEDULE[0], abs=1)
        # Nothing is sent before the time comes.
        world.clock.advance(SCHEDULE[attempt - 1] - 2)
        await world.settle()
        assert len(world.receiver.requests("/status/500")) == attempt
        world.clock.advance(2)
        await world.settle()
        assert len(world.receiver.requests("/status/500")) == attempt + 1
    [d] = await world.deliveries()
    assert (d.status, d.attempts, d.last_status_code, d.next_attempt_at) == (
        "failed",
        MAX_ATTEMPTS,
        500,
        None,
    )
    view = await world.service.delivery(world.principal.developer_id, d.id)
    starts = [a.started_at for a in view.attempts]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert gaps == pytest.approx(list(SCHEDULE), abs=1.5)
    world.clock.advance(10 * 3600)
    await world.settle()
    assert len(world.receiver.requests("/status/500")) == MAX_ATTEMPTS


def test_jitter_stays_within_twenty_percent() -> None:
    for attempt, base in enumerate(SCHEDULE, start=1):
        assert retry_delay(attempt, rand=lambda: 0.0) == pytest.approx(base * 0.8)
        assert retry_delay(attempt, rand=lambda: 1.0) == pytest.approx(base * 1.2)
    # Retry-After pushes a retry later, never earlier, and not past ten hours.
    assert retry_delay(1, 120, rand=lambda: 0.5) == 120
    assert retry_delay(3, 1, rand=lambda: 0.5) == SCHEDULE[2]
    assert retry_delay(1, 10**9, rand=lambda: 0.5) == 36000


async def test_a_timeout_is_a_failed_attempt_retried_later(world: World) -> None:
    await world.endpoint("/hang?for=5")
    await world.emit("thread.created", "thr_t")
    await world.settle()
    [d] = await world.deliveries()
    assert (d.status, d.attempts, d.last_status_code) == ("pending", 1, None)
    assert "timed out" in (d.last_error or "")
    assert (d.next_attempt_at - world.clock.now()).total_seconds() == pytest.approx(SCHEDULE[0], abs=1.5)
    world.clock.advance(SCHEDULE[0])
    await world.settle()
    assert len(world.receiver.requests("/hang")) == 2


async def test_retry_after_is_honoured(world: World) -> None:
    await world.endpoint("/status/503?retry_after=600")
    await world.emit("thread.created", "thr_ra")
    await world.settle()
    [d] = await world.deliveries()
    assert (d.next_attempt_at - world.clock.now()).total_seconds() == pytest.approx(600, abs=2)
    world.clock.advance(300)
    await world.settle()
    assert len(world.receiver.requests("/status/503")) == 1


async def test_410_disables_the_endpoint(world: World) -> None:
    endpoint = await world.endpoint("/status/410")
    await world.emit("thread.created", "thr_g")
    await world.emit("thread.message", "thr_g")
    await world.settle()
    listed = await world.service.list_endpoints(world.principal.developer_id)
    assert [(e.status, e.disabled_reason) for e in listed] == [("disabled", "the receiver answered 410 Gone")]
    first, second = sorted(await world.deliveries(), key=lambda d: d.created_at)
    statuses = sorted([first.status, second.status])
    assert statuses == ["failed", "failed"] and len(world.receiver.requests("/status/410")) == 1
    await world.emit("thread.message", "thr_g")
    await world.settle()
    assert len(await world.deliveries(webhook_id=endpoint.id)) == 2  # a disabled endpoint is owed nothing


async def test_five_days_of_failures_disable_the_endpoint(world: World) -> None:
    await world.endpoint("/status/500")
    for day in range(6):
        await world.emit("thread.created", f"thr_day{day}")
        await world.settle()
        world.clock.advance(24 * 3600)
    [endpoint] = await world.service.list_endpoints(world.principal.developer_id)
    assert endpoint.status == "disabled" and "5 days" in (endpoint.disabled_reason or "")


async def test_a_thread_s_events_wait_for_the_one_before(world: World) -> None:
    await world.endpoint("/status/500", ["thread.message"])
    ok = await world.endpoint("/ok", ["thread.message"])
    first = await world.emit("thread.message", "thr_o", n=1)
    second = await world.emit("thread.message", "thr_o", n=2)
    other = await world.emit("thread.message", "thr_other", n=3)
    await world.settle()
    # The failing endpoint holds back its second event of thr_o, not the other thread's.
    assert [e["id"] for e in world.receiver.events("/status/500")] == [first, other]
    # The healthy endpoint got all three, thr_o's in order: it shares no lane with the other.
    got = [e["id"] for e in world.receiver.events("/ok")]
    assert sorted(got) == sorted([first, second, other]) and got.index(first) < got.index(second)
    # When the first succeeds (the endpoint is fixed), the second follows.
    failing = next(
        e for e in await world.service.list_endpoints(world.principal.developer_id) if e.id != ok.id
    )
    await world.service.update(world.principal, failing.id, parse_update({"url": world.receiver.url + "/ok"}))
    world.clock.advance(SCHEDULE[0] + 1)
    await world.settle()
    later = [e["id"] for e in world.receiver.events("/ok")][3:]
    assert later[:2] == [first, second] or sorted(later) == sorted([first, second, other])
    assert later.index(first) < later.index(second)


async def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(world: World) -> None:
    endpoint = await world.endpoint()
    rotated = await world.service.rotate(world.principal.developer_id, endpoint.id)
    assert rotated.secret != endpoint.secret
    await world.emit("thread.created", "thr_rot")
    await world.settle()
    [request] = world.receiver.wait_for(1)
    body, headers = request["body"].encode(), request["headers"]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint.secret, rotated.secret):
        Webhook(secret).verify(body, headers)
        assert signing.verify_legacy(secret, body, headers)
    world.receiver.clear()
    world.clock.advance(timedelta(hours=24, seconds=1).total_seconds())
    await world.emit("thread.created", "thr_rot2")
    await world.settle()
    [request] = world.receiver.wait_for(1)
    body = request["body"].encode()
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(
            body, {**request["headers"], "webhook-timestamp": str(int(time.time()))}
        )
    assert not signing.verify_legacy(endpoint.secret, body, request["headers"])
    assert signing.verify_legacy(rotated.secret, body, request["headers"])


async def test_redeliver_sends_the_event_again(world: World) -> None:
    await world.endpoint("/ok")
    event_id = await world.emit("thread.created", "thr_re")
    await world.settle()
    [d] = await world.deliveries()
    again = await world.service.redeliver(world.principal.developer_id, d.id)
    await world.settle()
    assert [e["id"] for e in world.receiver.events("/ok")] == [event_id, event_id]
    copy = (await world.service.delivery(world.principal.developer_id, again.delivery.id)).delivery
    assert (copy.status, copy.redelivery_of, copy.event_id) == ("delivered", d.id, event_id)


async def test_events_before_an_endpoint_existed_are_not_owed_to_it(world: World) -> None:
    await world.emit("thread.created", "thr_old")
    await world.settle()
    await world.endpoint("/ok")
    await world.settle()
    assert world.receiver.requests() == [] and await world.deliveries() == []
