"""``admin maintenance on --eta … | off | show``: the switch every gateway process reads.

While it is on the API answers 503 MAINTENANCE (with Retry-After up to the ETA); the status and
health routes stay open and ``/status`` shows the ETA. Processes see a change within 2 s.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local_gateway.settings import Settings

_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def add_parsers(admin_sub: Any) -> None:
    maint = admin_sub.add_parser(
        "maintenance",
        help="turn maintenance mode on or off (`maintenance on --eta 30m`)",
        description="e.g. `admin maintenance on --eta 2026-12-03T06:00Z --message 'Database upgrade.'`",
    )
    maint.add_argument("state", choices=["on", "off", "show"])
    maint.add_argument("--eta", help="when it should end: an ISO time, or a duration from now (30m, 2h)")
    maint.add_argument("--message", help="what users read (default: scheduled maintenance)")
    maint.add_argument("--json", action="store_true", help="print JSON")
    maint.add_argument("--data-dir", type=Path, help="data directory (env MG_DATA_DIR)")


def parse_eta(text: str, now: datetime) -> datetime:
    match = _DURATION.match(text.strip())
    if match:
        return now + timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"--eta {text!r} is neither an ISO time nor a duration like 30m or 2h") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def run(settings: Settings, db: Any, args: argparse.Namespace) -> dict[str, Any] | None:
    if args.admin_command != "maintenance":
        return None
    from local_gateway.services.core.clock import Clock
    from local_gateway.services.status.maintenance import MaintenanceSwitch
    from mg.times import format_time

    clock = Clock(offset_file=settings.clock_offset_file)
    switch = MaintenanceSwitch(db, clock)
    if args.state == "on":
        eta = parse_eta(args.eta, clock.now()) if args.eta else None
        state = await switch.turn_on(eta, args.message)
    elif args.state == "off":
        await switch.turn_off()
        return {"maintenance": False}
    else:
        current = await switch.current()
        if current is None:
            return {"maintenance": False}
        state = current
    return {
        "maintenance": True,
        "message": state.message,
        "eta": format_time(state.eta) if state.eta else None,
        "started_at": format_time(state.started_at),
    }


def message(result: dict[str, Any]) -> str:
    if not result["maintenance"]:
        return "Maintenance mode is off."
    eta = f" until {result['eta']}" if result["eta"] else " (no ETA)"
    return f"Maintenance mode is on{eta}: {result['message']}"
