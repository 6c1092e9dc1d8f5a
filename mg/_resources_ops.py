"""Operations resources: crash reports and their analysis, usage, the request log and credits.

Same pattern as :mod:`mg._resources`: each method describes one request of the API reference
(Crash Reports, Crash Analysis, Usage, Billing & Credits) and the client performs it, at once or
as an awaitable.
"""

from __future__ import annotations

from typing import Any

from mg._client_base import drop_none
from mg._resources import JSON, Resource, _data, _seg

CRASH_STATUSES = ("new", "investigating", "resolved", "wont_fix")


class Crashes(Resource):
    """``/v1/debug/crashes``: crash reports, their trends by fingerprint, and their status."""

    def list(
        self,
        *,
        game_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        before: str | None = None,
        **filters: Any,
    ) -> Any:
        """``GET /v1/debug/crashes``: crash reports (at most 100 a page), newest first."""
        return self._get(
            "/v1/debug/crashes",
            cast=_data,
            game_id=game_id,
            status=status,
            limit=limit,
            before=before,
            **filters,
        )

    def get(self, crash_id: str) -> Any:
        """``GET /v1/debug/crashes/{id}``: one report with its stack and minidump metadata."""
        return self._get(f"/v1/debug/crashes/{_seg(crash_id)}")

    def trends(
        self, *, game_id: str | None = None, since: str | None = None, until: str | None = None
    ) -> Any:
        """``GET /v1/debug/crashes/trends``: crash groups by fingerprint (count, first and last
        seen, platforms, versions, regression flag)."""
        return self._get("/v1/debug/crashes/trends", cast=_data, game_id=game_id, since=since, until=until)

    def stats(self, *, game_id: str | None = None) -> Any:
        """``GET /v1/debug/crashes/stats``: totals, status breakdown and velocity."""
        return self._get("/v1/debug/crashes/stats", game_id=game_id)

    def update(self, crash_id: str, *, status: str) -> Any:
        """``PATCH /v1/debug/crashes/{id}``: ``status`` is one of :data:`CRASH_STATUSES`."""
        return self._send("PATCH", f"/v1/debug/crashes/{_seg(crash_id)}", {"status": status})


class Debug(Resource):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.crashes = Crashes(client)

    def analyze(
        self,
        *,
        crash_id: str | None = None,
        stack_trace: list[str] | None = None,
        platform: str | None = None,
        engine: str | None = None,
        question: str | None = None,
    ) -> Any:
        """``POST /v1/debug/analyze``: an AI analysis of a stored crash (``crash_id``) or of an
        inline ``stack_trace``; a stored crash moves to ``investigating``."""
        body = drop_none(
            {
                "crash_id": crash_id,
                "stack_trace": stack_trace,
                "platform": platform,
                "engine": engine,
                "question": question,
            }
        )
        return self._send("POST", "/v1/debug/analyze", body)


class Usage(Resource):
    def get(self, *, days: int | None = None) -> Any:
        """``GET /v1/usage``: daily aggregates, cost per model, projections (``days`` ≤ 90)."""
        return self._get("/v1/usage", days=days)


class Logs(Resource):
    def list(self, *, limit: int | None = None, before: str | None = None) -> Any:
        """``GET /v1/logs``: the per-request audit log (model, tokens, cost, latency)."""
        return self._get("/v1/logs", cast=_data, limit=limit, before=before)


class Credits(Resource):
    def balance(self) -> Any:
        """``GET /v1/credits/balance``: balance, daily usage and expiration dates."""
        return self._get("/v1/credits/balance")


__all__ = ["CRASH_STATUSES", "JSON", "Crashes", "Credits", "Debug", "Logs", "Usage"]
