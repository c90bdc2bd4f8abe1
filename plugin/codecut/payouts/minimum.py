"""``CODECUT_PAYOUT_MINIMUM``: the smallest balance paid out, in each currency.

One rule, parsed once when the settings are read, used by the payout run and shown by the portal:
a non-negative decimal in major units, rounded half-up to each currency's minor unit (``50.005``
is 50.01 USD and 50 JPY). Per-currency figures (``USD=50.00,EUR=45.00,JPY=5000``) say what each
currency needs; a bare figure among them (``50,JPY=5000``) is the minimum of every currency not
named, and without one a currency not named needs only a positive balance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..money import MoneyError, currency_code, exponent

_FIGURE = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)


@dataclass(frozen=True)
class PayoutMinimum:
    """The minimum per currency; :meth:`parse` is the only way to make one from text."""

    default: Decimal
    per_currency: Mapping[str, Decimal] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> PayoutMinimum:
        """Raises :class:`ValueError` saying what is wrong with ``text``."""
        default: Decimal | None = None
        per_currency: dict[str, Decimal] = {}
        parts = [part.strip() for part in str(text).split(",")]
        if not any(parts):
            raise ValueError("is empty (write e.g. 50.00 or USD=50.00,EUR=45.00)")
        for part in parts:
            code, sep, figure = part.rpartition("=")
            figure = figure.strip()
            if not _FIGURE.fullmatch(figure) or len(figure) > 24:
                raise ValueError(f"{part!r} is not a non-negative amount like 50.00")
            value = Decimal(figure)
            if not sep:
                if default is not None:
                    raise ValueError("names more than one minimum for every currency")
                default = value
                continue
            try:
                currency = currency_code(code)
            except MoneyError as error:
                raise ValueError(str(error)) from None
            if currency in per_currency:
                raise ValueError(f"names {currency} twice")
            per_currency[currency] = value
        return cls(default if default is not None else Decimal(0), per_currency)

    def figure(self, currency: str) -> Decimal:
        """The minimum in major units, as configured."""
        return self.per_currency.get(currency_code(currency), self.default)

    def minor(self, currency: str) -> int:
        """The minimum in ``currency``'s minor units, rounded half-up."""
        places = exponent(currency)
        scaled = self.figure(currency).scaleb(places)
        return int(scaled.to_integral_value(rounding=ROUND_HALF_UP))

    def reached(self, amount: int, currency: str) -> bool:
        """Paid when at least the minimum, and something (a zero transfer is no payment)."""
        return amount > 0 and amount >= self.minor(currency)

    def checker(self) -> Callable[[int, str], bool]:
        """:meth:`reached`, remembering each currency's minimum: for thousands of balances."""
        floors: dict[str, int] = {}

        def reached(amount: int, currency: str) -> bool:
            floor = floors.get(currency)
            if floor is None:
                floor = floors[currency] = self.minor(currency)
            return amount > 0 and amount >= floor

        return reached

    def __str__(self) -> str:
        parts = [f"{code}={value}" for code, value in sorted(self.per_currency.items())]
        if self.default or not parts:
            parts.insert(0, str(self.default))
        return ",".join(parts)
