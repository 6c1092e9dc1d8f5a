"""Typed application keys shared by the handlers."""

from __future__ import annotations

from aiohttp import web

from local_gateway.services.container import Services

SERVICES = web.AppKey("services", Services)
