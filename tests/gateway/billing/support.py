"""Helpers of the billing tests: an account at an exact balance, the ledger and the log read back."""

from __future__ import annotations

from typing import Any

from local_gateway.providers import tokens
from local_gateway.services.billing.money import cost_micros
from local_gateway.services.inference.catalog import load_catalog
from tests.support.gateway_process import GatewayProcess

MESSAGES = [{"role": "user", "content": "How much for the longsword?"}]


def worst_case(
    model: str, max_tokens: int, messages: list[dict[str, Any]] = MESSAGES, discount: int = 0
) -> int:
    """What the gateway reserves for one completion: the prompt it counts plus ``max_tokens``."""
    info = load_catalog().get(model)
    assert info is not None
    return cost_micros(info, tokens.count_messages(messages, None), max_tokens, discount)


def balance(gw: GatewayProcess, developer_id: str) -> int:
    rows = gw.query(
        "SELECT COALESCE(SUM(amount_micros), 0) AS b FROM credit_ledger WHERE developer_id = $1", developer_id
    )
    return int(rows[0]["b"])


def logged_costs(gw: GatewayProcess, developer_id: str) -> int:
    rows = gw.query(
        "SELECT COALESCE(SUM(cost_micros), 0) AS c FROM request_log WHERE developer_id = $1", developer_id
    )
    return int(rows[0]["c"])


def set_balance(gw: GatewayProcess, email: str, developer_id: str, micros: int) -> None:
    """Book the correction (or grant) that leaves the account at exactly ``micros``."""
    delta = micros - balance(gw, developer_id)
    if delta:
        gw.admin(
            "grant-credits", "--email", email, "--usd", f"{delta / 1_000_000:.6f}", "--reason", "test setup"
        )


def live_account(gw: GatewayProcess, tier: str = "payg") -> dict[str, Any]:
    return gw.create_key(tier=tier, live=True, rpm=10_000)
