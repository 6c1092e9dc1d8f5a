"""The SDK's key and token namespaces, sync and async, against a real gateway process."""

from __future__ import annotations

import asyncio

import pytest

from mg import AsyncMonsterClient, MonsterClient
from mg.errors import AuthenticationError, InvalidRequestError, NotFoundError
from tests.support.gateway_process import GatewayProcess


def test_create_list_rotate_and_revoke_keys(sqlite_gateway: GatewayProcess) -> None:
    first = sqlite_gateway.create_key(tier="studio")
    with MonsterClient(first["api_key"], sqlite_gateway.url, max_retries=0) as client:
        made = client.keys.create(name="ci runner")
        assert made["key"].startswith("mg_test_") and made["name"] == "ci runner"
        assert made["display"].endswith(made["key"][-4:])
        listed = client.keys.list()
        assert [k["id"] for k in listed[:2]] == [made["id"], first["key_id"]]
        assert all("key" not in k for k in listed), "a listed key never carries the key itself"

        rotated = client.keys.rotate(made["id"], grace_hours=0)
        assert rotated["replaces"] == made["id"] and rotated["name"] == "ci runner"
        with MonsterClient(rotated["key"], sqlite_gateway.url, max_retries=0) as fresh:
            assert fresh.keys.me()["key_id"] == rotated["id"]
        with (
            MonsterClient(made["key"], sqlite_gateway.url, max_retries=0) as old,
            pytest.raises(AuthenticationError),
        ):
            old.keys.me()

        revoked = client.keys.revoke(rotated["id"])
        assert revoked["status"] == "revoked" and revoked["revoked_at"]
        with (
            MonsterClient(rotated["key"], sqlite_gateway.url, max_retries=0) as gone,
            pytest.raises(AuthenticationError),
        ):
            gone.keys.me()
        with pytest.raises(NotFoundError):
            client.keys.revoke("key_doesnotexist")
        with pytest.raises(InvalidRequestError, match="grace_hours"):
            client.keys.rotate(grace_hours=500)


def test_another_developers_key_is_not_found(sqlite_gateway: GatewayProcess) -> None:
    mine = sqlite_gateway.create_key()
    theirs = sqlite_gateway.create_key()
    with (
        MonsterClient(mine["api_key"], sqlite_gateway.url, max_retries=0) as client,
        pytest.raises(NotFoundError),
    ):
        client.keys.revoke(theirs["key_id"])
    with MonsterClient(theirs["api_key"], sqlite_gateway.url, max_retries=0) as client:
        assert client.keys.me()["key_id"] == theirs["key_id"]


def test_tokens_act_as_the_account_until_revoked(sqlite_gateway: GatewayProcess) -> None:
    key = sqlite_gateway.create_key()
    with MonsterClient(key["api_key"], sqlite_gateway.url, max_retries=0) as client:
        token = client.tokens.create(name="laptop")
        assert token["token"].startswith("mg_pat_") and token["name"] == "laptop"
        assert [t["id"] for t in client.tokens.list()] == [token["id"]]
        with MonsterClient(token["token"], sqlite_gateway.url, max_retries=0) as as_pat:
            assert key["key_id"] in [k["id"] for k in as_pat.keys.list()]
            health = as_pat.keys.health()
            assert "status" not in health and [k["key_id"] for k in health["keys"]] == [key["key_id"]]
        assert client.tokens.revoke(token["id"])["revoked_at"]
        with (
            MonsterClient(token["token"], sqlite_gateway.url, max_retries=0) as as_pat,
            pytest.raises(AuthenticationError),
        ):
            as_pat.keys.list()


def test_the_async_client_manages_keys_and_tokens(sqlite_gateway: GatewayProcess) -> None:
    key = sqlite_gateway.create_key()

    async def run() -> None:
        async with AsyncMonsterClient(key["api_key"], sqlite_gateway.url, max_retries=0) as client:
            made = await client.keys.create(environment="test", name="async")
            health = await client.keys.health()
            assert health["status"] == "healthy" and health["key_id"] == key["key_id"]
            assert {k["key_id"] for k in health["keys"]} == {key["key_id"], made["id"]}
            rotated = await client.keys.rotate(made["id"])
            assert rotated["old_key_expires_at"] and rotated["replaces"] == made["id"]
            assert (await client.keys.revoke(rotated["id"]))["status"] == "revoked"
            token = await client.tokens.create()
            assert [t["id"] for t in await client.tokens.list()] == [token["id"]]
            assert (await client.tokens.revoke(token["id"]))["revoked_at"]

    asyncio.run(run())
