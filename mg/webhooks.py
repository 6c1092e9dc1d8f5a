"""Webhook signatures: how the gateway signs a delivery, and how a receiver checks one.

Every delivery carries two signatures of the same body, so a receiver can use either:

- ``X-Webhook-Signature``: the hex HMAC-SHA256 of the raw body, keyed with the whole secret
  string (``whsec_…``, as UTF-8 bytes). During a secret rotation it lists one signature per
  valid secret, comma-separated, newest first.
- The Standard Webhooks headers (https://www.standardwebhooks.com): ``webhook-id`` (the event id,
  the same on every retry), ``webhook-timestamp`` (Unix seconds of this attempt) and
  ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed with
  the base64-decoded part of the secret after ``whsec_``; space-separated, one per valid secret.
  The ``standardwebhooks`` and ``svix`` libraries verify these as they are.

:func:`verify` checks the Standard Webhooks signature and rejects a timestamp more than five
minutes away from now (a replay)::

    from mg.webhooks import verify, WebhookVerificationError
    event = verify(secret, request_body_bytes, request_headers)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets as _secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "SECRET_PREFIX",
    "TOLERANCE",
    "WebhookVerificationError",
    "legacy_signature",
    "new_secret",
    "sign",
    "signature_headers",
    "verify",
    "verify_legacy",
]

SECRET_PREFIX = "whsec_"
TOLERANCE = 300  # seconds: Standard Webhooks' replay window, either way
_SECRET_BYTES = 32


class WebhookVerificationError(Exception):
    """The signature does not match the body, a header is missing, or the timestamp is too old
    or too new."""


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError("the webhook secret is not whsec_ followed by base64") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature ``v1,<base64>`` of one delivery."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def legacy_signature(secret: str, body: bytes) -> str:
    """The ``X-Webhook-Signature`` value for one secret: hex HMAC-SHA256 of the body."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every signature header of a delivery signed with ``secrets`` (newest first)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets),
        "X-Webhook-Signature": ",".join(legacy_signature(s, body) for s in secrets),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing header {name}")


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> Any:
    """Check the Standard Webhooks signature of a delivery and return its parsed JSON body.

    Raises :class:`WebhookVerificationError` when a header is missing, the timestamp is more
    than ``tolerance`` seconds from ``now`` (a replayed or delayed request) or no signature
    matches.
    """
    msg_id = _header(headers, "webhook-id")
    raw_ts = _header(headers, "webhook-timestamp")
    offered = _header(headers, "webhook-signature")
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise WebhookVerificationError(f"webhook-timestamp {raw_ts[:20]!r} is not Unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {int(current - timestamp)} s from now (more than {int(tolerance)} s): "
            "a replay, or a clock that is off"
        )
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1]
    for candidate in offered.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(body)
    raise WebhookVerificationError("no webhook-signature matches this secret")


def verify_legacy(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether ``X-Webhook-Signature`` holds the body's signature with ``secret``."""
    expected = legacy_signature(secret, body)
    offered = _header(headers, "x-webhook-signature")
    return any(hmac.compare_digest(v.strip(), expected) for v in offered.split(","))
