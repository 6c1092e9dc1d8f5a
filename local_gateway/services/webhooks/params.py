"""Reading the bodies of the webhook routes: URL, events, description, enabled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from local_gateway.services.webhooks.events import ALL, EVENT_TYPES
from mg.errors import InvalidRequestError

URL_LIMIT = 2000
DESCRIPTION_LIMIT = 500
_FIELDS = {"url", "events", "description", "enabled"}


@dataclass(frozen=True)
class EndpointSpec:
    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None
    given: frozenset[str] = field(default_factory=frozenset)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InvalidRequestError(
            f"Unknown field(s) {', '.join(unknown)}; a webhook has url, events, description and enabled."
        )
    return body


def parse_url(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRequestError("'url' is required: the http(s) URL that receives the events.")
    url = raw.strip()
    if len(url) > URL_LIMIT:
        raise InvalidRequestError(f"'url' is longer than {URL_LIMIT} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(f"'url' must be an http:// or https:// URL with a host, got {url[:100]!r}.")
    if parts.username or parts.password:
        raise InvalidRequestError("'url' must not carry a user name or password; verify signatures instead.")
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise InvalidRequestError(f"'url' has an invalid port: {url[:100]!r}.") from None
    return url


def parse_events(raw: Any) -> list[str]:
    valid = ", ".join(EVENT_TYPES)
    if not isinstance(raw, list) or not raw or not all(isinstance(e, str) for e in raw):
        raise InvalidRequestError(
            f"'events' must be a non-empty array of event names; valid: {valid} (or \"*\" for all)."
        )
    unknown = [e for e in raw if e != ALL and e not in EVENT_TYPES]
    if unknown:
        raise InvalidRequestError(
            f"Unknown event(s) {', '.join(repr(e[:60]) for e in unknown[:5])}; valid events: {valid} "
            '(or "*" for all).'
        )
    return list(dict.fromkeys(raw))


def parse_description(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > DESCRIPTION_LIMIT:
        raise InvalidRequestError(
            f"'description' must be a string of at most {DESCRIPTION_LIMIT} characters."
        )
    return raw


def parse_create(body: Any) -> EndpointSpec:
    data = _object(body)
    if "enabled" in data:
        raise InvalidRequestError("'enabled' is set with PATCH /v1/webhooks/{id}; a new webhook is enabled.")
    return EndpointSpec(
        url=parse_url(data.get("url")),
        events=parse_events(data.get("events")),
        description=parse_description(data.get("description", "")),
        given=frozenset(data),
    )


def parse_update(body: Any) -> EndpointSpec:
    data = _object(body)
    if not data:
        raise InvalidRequestError("Send at least one of url, events, description, enabled.")
    enabled = data.get("enabled")
    if "enabled" in data and not isinstance(enabled, bool):
        raise InvalidRequestError("'enabled' must be true or false.")
    return EndpointSpec(
        url=parse_url(data["url"]) if "url" in data else None,
        events=parse_events(data["events"]) if "events" in data else None,
        description=parse_description(data["description"]) if "description" in data else None,
        enabled=enabled,
        given=frozenset(data),
    )


def parse_limit(raw: str | None, default: int = 50, maximum: int = 200) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise InvalidRequestError(f"'limit' must be an integer from 1 to {maximum}, got {raw[:20]!r}.")
    return value


DELIVERY_STATUSES = ("pending", "delivered", "failed")


def parse_status(raw: str | None) -> str | None:
    if raw in (None, ""):
        return None
    if raw not in DELIVERY_STATUSES:
        raise InvalidRequestError(
            f"'status' must be one of {', '.join(DELIVERY_STATUSES)}, got {raw[:20]!r}."
        )
    return raw
