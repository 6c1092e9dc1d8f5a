"""/v1/health and /v1/status when a dependency goes away under a running gateway."""

from __future__ import annotations

import httpx
import pytest

from tests.support.gateway_process import create_pg_database, drop_pg_database, running_gateway

pytestmark = pytest.mark.postgres


def test_dropped_database_is_unhealthy_and_critical(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = create_pg_database()
    try:
        with running_gateway(tmp_path, url, {"MG_REDIS_URL": "redis://127.0.0.1:6379/0"}) as gw:
            healthy = httpx.get(gw.url + "/v1/health").json()
            assert (
                healthy["status"] == "healthy"
                and healthy["subsystems"]["database"]["backend"] == "postgresql"
            )
            assert healthy["subsystems"]["cache"]["status"] == "ok"
            drop_pg_database(url)
            response = httpx.get(gw.url + "/v1/health", timeout=10)
            body = response.json()
            assert response.status_code == 503 and body["status"] == "unhealthy"
            assert (
                body["subsystems"]["database"]["status"] == "down" and body["subsystems"]["database"]["error"]
            )
            status = httpx.get(gw.url + "/v1/status", timeout=10).json()
            assert status["status"]["indicator"] == "critical"
            assert next(c for c in status["components"] if c["id"] == "database")["status"] == "major_outage"
            assert httpx.get(gw.url + "/status", timeout=10).status_code == 200
    finally:
        drop_pg_database(url)
