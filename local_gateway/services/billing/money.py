"""Money as integers: micro-dollars everywhere, dollars only where a person reads them.

Every amount the gateway stores or adds up — ledger entries, request costs, balances — is an
``int`` of micro-dollars (1 USD = 1,000,000). Floats appear only at the API edge: the JSON
fields named ``…_usd`` and the text the CLI prints are made by :func:`micros_to_usd` and
:func:`format_usd`, and dollar amounts an operator types are read by :func:`usd_to_micros`.

The price arithmetic, exactly
-----------------------------
Catalog prices are USD per 1M tokens. Kept as integer *micro-dollars per 1M tokens*
(:class:`Price`; ``0.15`` → ``150_000``), ``tokens × price`` is then an exact integer in units
of 10⁻¹² USD (micro-dollars × 10⁶). A request's cost is::

    exact = prompt_tokens × input + completion_tokens × output        # 10⁻¹² USD, exact
    cost  = (exact + 500_000) // 1_000_000                              # micro-dollars

i.e. the whole request is rounded once, to the nearest micro-dollar, halves up, never per
token or per side. A tier's discount (a whole percentage) scales ``exact`` before that one
rounding: ``cost = (exact × (100 − pct) + 50_000_000) // 100_000_000``.

The rounded ``cost`` is what the request log records and what the ledger
debits, so ``balance = grants − Σ request-log costs`` holds to the micro-dollar.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Protocol

MICROS_PER_USD = 1_000_000
_HALF = MICROS_PER_USD // 2


class Priced(Protocol):
    """Anything with catalog list prices (a model): USD per 1M tokens."""

    @property
    def input_per_1m(self) -> float: ...

    @property
    def output_per_1m(self) -> float: ...


def usd_to_micros(amount: str | int | float | Decimal) -> int:
    """Dollars (``"4.99"``, ``-5``, ``0.0000015``) as micro-dollars, to the nearest, halves away from 0.

    Floats go through their shortest decimal form (``repr``), so ``0.1`` is 100,000 exactly.
    """
    try:
        value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(str(amount).strip())
        micros = (value * MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except ArithmeticError:  # InvalidOperation, Overflow
        raise ValueError(f"not an amount of dollars: {amount!r}") from None
    if not micros.is_finite():
        raise ValueError(f"not an amount of dollars: {amount!r}")
    return int(micros)


def micros_to_usd(micros: int) -> float:
    """Micro-dollars as a float of dollars, for JSON answers (exact to the micro-dollar)."""
    return round(micros / MICROS_PER_USD, 6)


def format_usd(micros: int) -> str:
    """``$4.99``: dollars to the cent, for messages and CLI text."""
    return f"${micros / MICROS_PER_USD:.2f}"


@dataclass(frozen=True)
class Price:
    """A model's list price in integer micro-dollars per 1M tokens."""

    input: int
    output: int

    def cost(self, prompt_tokens: int, completion_tokens: int, discount_pct: int = 0) -> int:
        """Micro-dollars for one request, rounded once (see the module docstring)."""
        exact = prompt_tokens * self.input + completion_tokens * self.output
        if not discount_pct:
            return (exact + _HALF) // MICROS_PER_USD
        scale = MICROS_PER_USD * 100
        return (exact * (100 - discount_pct) + scale // 2) // scale


@lru_cache(maxsize=4096)
def _price(input_per_1m: float, output_per_1m: float) -> Price:
    return Price(usd_to_micros(input_per_1m), usd_to_micros(output_per_1m))


def price_of(model: Priced) -> Price:
    """``model``'s catalog price as a :class:`Price` (cached: catalogs hold a few dozen prices)."""
    return _price(model.input_per_1m, model.output_per_1m)


def cost_micros(model: Priced, prompt_tokens: int, completion_tokens: int, discount_pct: int = 0) -> int:
    """What ``prompt_tokens`` in and ``completion_tokens`` out of ``model`` cost, in micro-dollars,
    less ``discount_pct`` percent."""
    return price_of(model).cost(prompt_tokens, completion_tokens, discount_pct)
