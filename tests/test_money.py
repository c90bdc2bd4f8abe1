"""Money rules: exact minor units, half-up rounding, strict parsing of what people type."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codecut.money import (
    MoneyError,
    apply_rate,
    divide_half_up,
    exponent,
    format_minor,
    parse_rate,
    to_minor,
)


@pytest.mark.parametrize(
    ("currency", "places"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3), ("bhd", 3)]
)
def test_exponents(currency: str, places: int) -> None:
    assert exponent(currency) == places


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.34", "USD", 1234),
        ("-3.10", "USD", -310),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("0.5", "USD", 50),
        ("7", "USD", 700),
    ],
)
def test_parse(text: str, currency: str, minor: int) -> None:
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1234, "USD", "12.34"),
        (-310, "USD", "-3.10"),
        (1500, "JPY", "1500"),
        (5, "USD", "0.05"),
        (-5, "KWD", "-0.005"),
        (0, "USD", "0.00"),
    ],
)
def test_format(minor: int, currency: str, text: str) -> None:
    assert format_minor(minor, currency) == text


def test_parse_refuses_what_cannot_be_exact() -> None:
    with pytest.raises(MoneyError, match="more decimals"):
        to_minor("12.345", "USD")
    with pytest.raises(MoneyError, match="more decimals"):
        to_minor("1.5", "JPY")
    with pytest.raises(MoneyError):
        to_minor("abc", "USD")
    with pytest.raises(MoneyError):
        to_minor(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="unknown currency"):
        to_minor("1", "ZZZ")


def test_storefront_amounts_round_half_up_when_asked() -> None:
    assert to_minor("0.125", "USD", round_half_up=True) == 13
    assert to_minor("-0.125", "USD", round_half_up=True) == -13


@pytest.mark.parametrize(
    ("amount", "bps", "expected"),
    [
        (19567, 1000, 1957),  # 195.67 x 10% = 19.567 -> 19.57
        (1005, 1000, 101),  # 10.05 x 10% = 1.005 -> 1.01 (half-up, not half-even)
        (1015, 1000, 102),  # 1.015 -> 1.02
        (25, 1000, 3),  # 0.025 -> 0.03
        (-25, 1000, -3),  # symmetric for negatives
        (99999, 0, 0),
        (12345, 10000, 12345),
    ],
)
def test_apply_rate_rounds_half_up_once(amount: int, bps: int, expected: int) -> None:
    assert apply_rate(amount, bps) == expected


def test_divide_half_up() -> None:
    assert divide_half_up(5, 2) == 3
    assert divide_half_up(-5, 2) == -3
    assert divide_half_up(4, 3) == 1
    assert divide_half_up(5, -2) == -3


@pytest.mark.parametrize(
    ("text", "bps"), [("10%", 1000), ("12.5%", 1250), ("0%", 0), ("100%", 10000), (" 7.25 %", 725)]
)
def test_parse_rate(text: str, bps: int) -> None:
    assert parse_rate(text) == bps


@pytest.mark.parametrize("text", ["110%", "-5%", "10", "abc%", "1.234%"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_rate(text)


# -- properties ----------------------------------------------------------------------------------

amounts = st.integers(min_value=-(10**15), max_value=10**15)
weights = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(
    lambda w: sum(w) > 0
)
currencies = st.sampled_from(["USD", "JPY", "KWD", "EUR", "CLF"])


@given(amounts, currencies)
def test_format_and_parse_round_trip(minor: int, currency: str) -> None:
    assert to_minor(format_minor(minor, currency), currency) == minor


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(0, 10_000))
def test_rate_matches_decimal_half_up(amount: int, bps: int) -> None:
    from decimal import ROUND_HALF_UP

    exact = Decimal(amount) * bps / 10_000
    assert apply_rate(amount, bps) == int(exact.to_integral_value(rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    "text",
    [
        "1_000",
        "\u0661\u0660\u0660",
        "\uff11\uff10\uff10",
        "1e3",
        "NaN",
        "Infinity",
        ".",
        "",
        "1.2.3",
        " - 5",
    ],
)
def test_amounts_are_ascii_decimals_only(text: str) -> None:
    with pytest.raises(MoneyError):
        to_minor(text, "USD")


def test_huge_exponents_are_refused_without_building_huge_integers() -> None:
    with pytest.raises(MoneyError):
        to_minor(Decimal("1e999999999"), "USD")
    assert to_minor(Decimal("1e-5"), "USD", round_half_up=True) == 0
