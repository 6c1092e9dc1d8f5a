"""``admin grant-credits`` and ``admin set-tier``: the operator's ledger entries and tier changes.

Every adjustment is a ledger entry: a grant (``--usd 10``, optionally ``--expires``), or a
correction (``--usd -2.5``). With ``MG_REDIS_URL`` set the account's cached figures in Redis are
dropped at once, so every gateway process sees the new balance on its next request.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from local_gateway.settings import Settings


def add_parsers(admin_sub: Any) -> None:
    grant = admin_sub.add_parser(
        "grant-credits",
        aliases=["add-credit"],
        help="add credit to an account (negative: a correction); every change is a ledger entry",
        description="e.g. `admin grant-credits --email dev@studio.example --usd 25 --expires 2027-01-31`",
    )
    grant.add_argument("--email", required=True)
    # Read as text: the amount becomes whole micro-dollars without passing through a float.
    grant.add_argument("--usd", "--amount", dest="usd", required=True, help="US dollars, e.g. 10, 4.99 or -5")
    grant.add_argument("--expires", help="a date (YYYY-MM-DD, end of that UTC day) or an ISO time")
    grant.add_argument("--reason", help="why (kept with the entry)")
    grant.add_argument("--json", action="store_true", help="print JSON")
    grant.add_argument("--data-dir", type=Path, help="data directory (env MG_DATA_DIR)")

    tier = admin_sub.add_parser("set-tier", help="move an account to another tier")
    tier.add_argument("--email", required=True)
    tier.add_argument("--tier", required=True, help="free, payg, starter, pro, studio or enterprise")
    tier.add_argument("--json", action="store_true", help="print JSON")
    tier.add_argument("--data-dir", type=Path, help="data directory (env MG_DATA_DIR)")


def parse_expiry(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max, UTC).replace(microsecond=0)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--expires takes YYYY-MM-DD or an ISO time, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def run(settings: Settings, db: Any, args: argparse.Namespace) -> dict[str, Any] | None:
    """The result of a billing admin command, or None when ``args`` is not one."""
    from local_gateway.services.billing.money import micros_to_usd, usd_to_micros
    from local_gateway.services.billing.service import make_book
    from local_gateway.services.core.clock import Clock

    if args.admin_command in ("grant-credits", "add-credit"):
        from local_gateway.services.billing.credits import Credits

        amount = usd_to_micros(args.usd)
        expires = parse_expiry(args.expires) if args.expires else None
        reason = "adjustment" if args.admin_command == "add-credit" else None
        granted = await Credits(db, Clock()).grant(args.email, amount, args.reason, expires, reason)
        await _forget(make_book(settings.redis_url, settings.redis_prefix), granted.developer_id)
        return {
            "email": args.email.strip().lower(),
            "developer_id": granted.developer_id,
            "entry_id": granted.entry_id,
            "amount_usd": micros_to_usd(amount),
            "expires_at": expires.isoformat().replace("+00:00", "Z") if expires else None,
            "reason": args.reason,
            "balance_usd": micros_to_usd(granted.balance),
        }
    if args.admin_command == "set-tier":
        from local_gateway.services.accounts.keys import KeyService

        developer = await KeyService(db, Clock()).set_tier(args.email, args.tier)
        return {"email": developer.email, "developer_id": developer.id, "tier": developer.tier}
    return None


async def _forget(book: Any, developer_id: str) -> None:
    try:
        await book.invalidate(developer_id)
    finally:
        await book.close()


def message(args: argparse.Namespace, result: dict[str, Any]) -> str:
    if args.admin_command == "set-tier":
        return f"{result['email']} is on the {result['tier']} tier."
    expiry = f", expiring {result['expires_at']}" if result.get("expires_at") else ""
    return (
        f"Booked {result['amount_usd']:+.6g} USD for {result['email']}{expiry}. "
        f"Balance: ${result['balance_usd']:,.2f}"
    )
