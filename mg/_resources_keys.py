"""Key management namespaces for both clients: API keys (list, create, rotate, revoke, health)
and personal access tokens (API reference: Key Management, Authentication).

Same pattern as :mod:`mg._resources`: each method describes one request and the client performs
it; the async namespaces reuse the same functions (:func:`async_twin`). A new key or token is in
the answer of the call that made it and nowhere else: the gateway keeps only its hash.
"""

from __future__ import annotations

from typing import Literal

from mg._client_base import drop_none
from mg._resource_base import JSON, AsyncResource, JSONList, Resource, _seg, async_twin


class Keys(Resource):
    """``/portal/api/keys`` and ``/v1/keys``: the account's API keys."""

    def me(self) -> JSON:
        """``GET /v1/keys/me``: tier, balance, available models and limits of this key."""
        return self._get("/v1/keys/me")

    def health(self) -> JSON:
        """``GET /v1/keys/health``: this key's age, last use and rotation advice, every usable key
        of the account (``keys``) and the ``policy`` (under 90 days healthy, 90–180 aging, stale)."""
        return self._get("/v1/keys/health")

    def list(self) -> JSONList:
        """``GET /portal/api/keys``: every key of the account, newest first (never the key itself)."""
        return self._list("/portal/api/keys")

    def create(self, *, environment: Literal["test", "live"] = "test", name: str | None = None) -> JSON:
        """``POST /portal/api/keys``: a new key; the plain key is in ``key`` of this answer only."""
        return self._send("POST", "/portal/api/keys", drop_none({"environment": environment, "name": name}))

    def rotate(self, key_id: str | None = None, *, grace_hours: float | None = None) -> JSON:
        """``POST /portal/api/keys/rotate``: a new key (``key``) replacing ``key_id`` (default: the
        calling key); the old one works until ``old_key_expires_at`` (``grace_hours``, 0–168)."""
        return self._send(
            "POST", "/portal/api/keys/rotate", drop_none({"key_id": key_id, "grace_hours": grace_hours})
        )

    def revoke(self, key_id: str) -> JSON:
        """``DELETE /portal/api/keys/{id}``: the key stops working at once, in every gateway process."""
        return self._send("DELETE", f"/portal/api/keys/{_seg(key_id)}")


class Tokens(Resource):
    """``/portal/api/tokens``: personal access tokens (``mg_pat_…``), which act as the account."""

    def list(self) -> JSONList:
        """``GET /portal/api/tokens``: every token of the account (never the token itself)."""
        return self._list("/portal/api/tokens")

    def create(self, *, name: str | None = None) -> JSON:
        """``POST /portal/api/tokens``: a new token; the plain token is in ``token`` of this answer only."""
        return self._send("POST", "/portal/api/tokens", drop_none({"name": name}))

    def revoke(self, token_id: str) -> JSON:
        """``DELETE /portal/api/tokens/{id}``: the token stops working at once."""
        return self._send("DELETE", f"/portal/api/tokens/{_seg(token_id)}")


class AsyncKeys(AsyncResource):
    __doc__ = Keys.__doc__
    me = async_twin(Keys.me)
    health = async_twin(Keys.health)
    list = async_twin(Keys.list)
    create = async_twin(Keys.create)
    rotate = async_twin(Keys.rotate)
    revoke = async_twin(Keys.revoke)


class AsyncTokens(AsyncResource):
    __doc__ = Tokens.__doc__
    list = async_twin(Tokens.list)
    create = async_twin(Tokens.create)
    revoke = async_twin(Tokens.revoke)


__all__ = ["AsyncKeys", "AsyncTokens", "Keys", "Tokens"]
