"""The price arithmetic: integer micro-dollars, one rounding per request, dollars only at the edge."""

from __future__ import annotations

from fractions import Fraction

import pytest

from local_gateway.providers.base import ModelInfo
from local_gateway.services.billing.money import (
    Price,
    cost_micros,
    format_usd,
    micros_to_usd,
    price_of,
    usd_to_micros,
)


def model(input_per_1m: float, output_per_1m: float) -> ModelInfo:
    return ModelInfo("m", "p", "m", 128_000, 4096, input_per_1m, output_per_1m)


@pytest.mark.parametrize(
    ("amount", "micros"),
    [
        ("5", 5_000_000),
        ("4.99", 4_990_000),
        ("-5.0", -5_000_000),
        (0.1, 100_000),  # the decimal it prints as, not the binary fraction behind it
        (0.1 + 0.2, 300_000),
        ("0.0000015", 2),  # halves away from zero
        ("-0.0000015", -2),
        ("0.0000014999", 1),
        (10, 10_000_000),
    ],
)
def test_dollars_in(amount: str | float, micros: int) -> None:
    assert usd_to_micros(amount) == micros


@pytest.mark.parametrize("amount", ["", "five", "nan", "inf", "1e999999999"])
def test_what_is_not_an_amount_says_so(amount: str) -> None:
    with pytest.raises(ValueError, match="not an amount of dollars"):
        usd_to_micros(amount)


def test_dollars_out() -> None:
    assert micros_to_usd(4_912_345) == 4.912345 and micros_to_usd(-660) == -0.00066
    assert format_usd(4_995_000) == "$5.00" and format_usd(0) == "$0.00" and format_usd(-500_000) == "$-0.50"


def test_catalog_prices_become_integers_per_million_tokens() -> None:
    assert price_of(model(0.15, 0.6)) == Price(150_000, 600_000)
    assert price_of(model(0.075, 2.19)) == Price(75_000, 2_190_000)


def test_a_request_is_rounded_once_not_per_side() -> None:
    price = Price(150_000, 100_000)
    # 3 prompt tokens cost 0.45 µ$ and 1 completion token 0.1 µ$: 0.55 µ$ rounds to 1, while
    # rounding each side first would bill 0.
    assert price.cost(3, 1) == 1
    assert price.cost(3, 0) == 0 and price.cost(0, 5) == 1  # 0.45 down, 0.5 up


def test_cost_is_the_exact_price_rounded_to_the_nearest_micro_dollar() -> None:
    m = model(0.14, 0.28)
    for prompt in range(0, 4000, 37):
        for completion in range(0, 3000, 53):
            exact = Fraction(prompt * 14, 100) + Fraction(completion * 28, 100)  # µ$
            expected = int(exact + Fraction(1, 2)) if exact else 0
            assert cost_micros(m, prompt, completion) == expected


def test_the_upstream_test_usage_costs_what_the_float_formula_said() -> None:
    # 1200 in and 800 out of gpt-4o-mini: $0.00066, the figure the request-log tests expect.
    assert cost_micros(model(0.15, 0.6), 1200, 800) == 660
