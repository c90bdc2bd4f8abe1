"""Money as an integer count of minor units plus an ISO-4217 currency. No floats, anywhere.

Rounding is explicit: half-up (half away from zero) to the minor unit, done once where a rate is
applied. Amounts are never summed across currencies: every figure travels with its currency code.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: ISO-4217 minor-unit exponents of the currencies in use (ISO list, current edition).
#: Everything not named here has 2 decimals.
_EXPONENT_EXCEPTIONS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

_TWO_DECIMALS = [
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "ANG",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BGN",
    "BMD",
    "BND",
    "BOB",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHF",
    "CNY",
    "COP",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IRR",
    "JMD",
    "KES",
    "KGS",
    "KHR",
    "KPW",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "USD",
    "UYU",
    "UZS",
    "VES",
    "WST",
    "XCD",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
]

CURRENCY_EXPONENTS: dict[str, int] = {**dict.fromkeys(_TWO_DECIMALS, 2), **_EXPONENT_EXCEPTIONS}


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def currency_code(code: str) -> str:
    """Validate and normalize an ISO-4217 code (``usd`` -> ``USD``)."""
    normalized = str(code).strip().upper()
    if normalized not in CURRENCY_EXPONENTS:
        raise MoneyError(f"unknown currency {code!r} (expected an ISO-4217 code such as USD)")
    return normalized


def exponent(currency: str) -> int:
    """Decimal places of ``currency``: JPY 0, USD 2, KWD 3."""
    return CURRENCY_EXPONENTS[currency_code(currency)]


#: An amount as people and storefronts write it: ASCII digits, one optional point, an optional
#: sign. No underscores ("1_000"), no digits of other scripts (Arabic-Indic, full-width), no
#: exponents.
_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
#: Far beyond any real amount; bounds the work of parsing hostile input.
_MAX_DIGITS = 30


def to_minor(value: str | int | Decimal, currency: str, *, round_half_up: bool = False) -> int:
    """Parse a decimal amount in major units into minor units.

    Strict by default: ``"12.345"`` USD is an error, because silently dropping a fraction of a cent
    from an operator's input is how ledgers stop adding up. Storefront payloads occasionally carry
    more digits than the currency has; pass ``round_half_up=True`` for those.
    """
    if isinstance(value, float):
        raise MoneyError("amounts must not be floats")
    places = exponent(currency)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 2 * _MAX_DIGITS or not _AMOUNT.fullmatch(text):
            raise MoneyError(f"{value!r} is not an amount")
        amount = Decimal(text)
    elif isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise MoneyError(f"{value!r} is not an amount")
    else:
        amount = Decimal(value)
    if not amount.is_finite() or (amount and amount.adjusted() >= _MAX_DIGITS):
        raise MoneyError(f"{value!r} is not an amount")
    scaled = amount.scaleb(places)
    whole = scaled.to_integral_value(rounding=ROUND_HALF_UP)
    if whole != scaled and not round_half_up:
        raise MoneyError(
            f"{value} has more decimals than {currency_code(currency)} allows ({places})"
        )
    return int(whole)


def to_decimal(minor: int, currency: str) -> Decimal:
    """The exact major-unit value, for spreadsheets that want numbers."""
    return Decimal(minor).scaleb(-exponent(currency))


def format_minor(minor: int, currency: str) -> str:
    """``1234`` USD -> ``"12.34"``; ``-310`` USD -> ``"-3.10"``; ``1500`` JPY -> ``"1500"``."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(places + 1, "0")
    if not places:
        return f"{sign}{digits}"
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def divide_half_up(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero: the one rounding rule of Codecut."""
    if denominator == 0:
        raise ZeroDivisionError("division by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def apply_rate(amount_minor: int, rate_bps: int) -> int:
    """``amount x rate`` with the rate in basis points (10.00% = 1000), rounded half-up once."""
    return divide_half_up(amount_minor * rate_bps, 10_000)


def parse_rate(text: str) -> int:
    """``"12.5%"`` -> ``1250`` basis points. Between 0 and 100%, at most two decimals."""
    raw = str(text).strip()
    if not raw.endswith("%"):
        raise MoneyError(f"{text!r} is not a percentage (write it like 10%)")
    try:
        value = Decimal(raw[:-1].strip())
    except InvalidOperation:
        raise MoneyError(f"{text!r} is not a percentage (write it like 10%)") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise MoneyError(f"commission {raw} must be between 0% and 100%")
    bps = value * 100
    if bps != bps.to_integral_value():
        raise MoneyError(f"commission {raw} has more than two decimals")
    return int(bps)


def format_rate(bps: int) -> str:
    """``1250`` -> ``"12.5%"``."""
    text = format(Decimal(bps).scaleb(-2).normalize(), "f")
    return f"{text}%"
