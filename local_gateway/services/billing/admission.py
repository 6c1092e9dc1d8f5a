"""Admission: whether a request may start, decided before anything is sent upstream.

Today a paid request starts while the account's balance is above zero. The step has the shape a
reserve-then-settle admission needs: :meth:`Admission.admit` runs once per request before the
first upstream call, with the request's context, and :meth:`~.metering.Meter.record` runs once
after the last, with the same context; a reservation taken here is what ``record`` settles.
"""

from __future__ import annotations

from local_gateway.services.billing.balance import Balances
from local_gateway.services.billing.context import RequestContext
from local_gateway.services.billing.money import format_usd
from mg.errors import CreditsExhaustedError


class Admission:
    def __init__(self, balances: Balances) -> None:
        self.balances = balances

    async def admit(self, ctx: RequestContext) -> None:
        """Refuse (402 ``CREDITS_EXHAUSTED``) a billed request whose account has nothing left."""
        if not ctx.billed:
            return
        balance = await self.balances.for_admission(ctx.developer_id)
        if balance <= 0:
            raise CreditsExhaustedError(f"The credit balance of this account is {format_usd(balance)}.")
