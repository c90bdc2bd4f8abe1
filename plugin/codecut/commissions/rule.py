"""The commission rule: a percentage of the order's base, or a flat amount per order.

One class for the whole life of a rule: parsed from what an operator types, stored on the
campaign (or as an influencer's override), applied to an order, and shown again.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput
from ..money import MoneyError, apply_rate, format_minor, format_rate, parse_rate, to_minor


@dataclass(frozen=True)
class CommissionRule:
    """A percentage in basis points (10% = 1000), or a flat amount per order in minor units."""

    rate_bps: int | None = None
    flat: int | None = None

    @classmethod
    def parse(cls, text: str, currency: str) -> CommissionRule:
        """``"10%"`` -> a rate; ``"5.00 USD"`` -> a flat amount per order, in ``currency`` (the
        store's: a flat amount in another currency is refused). A bare number is refused too:
        ``15`` could mean either, and guessing wrong pays the wrong money."""
        raw = str(text).strip()
        figure, _, named = raw.rpartition(" ")
        if raw.endswith("%"):
            try:
                return cls(rate_bps=parse_rate(raw))
            except MoneyError as error:
                raise InvalidInput(f"commission: {error}") from None
        if not figure:
            raise InvalidInput(
                f"commission {raw!r} is ambiguous: write {raw}% for a rate, or "
                f"{raw} {currency} for a flat amount per order"
            )
        if named.strip().upper() != currency:
            raise InvalidInput(
                f"commission {raw!r}: a flat amount must be in the store's currency, {currency}"
            )
        try:
            flat = to_minor(figure.strip(), currency)
        except MoneyError as error:
            raise InvalidInput(f"commission: {error}") from None
        if flat < 0:
            raise InvalidInput(f"commission {raw} must not be negative")
        return cls(flat=flat)

    @classmethod
    def parse_override(cls, text: str) -> CommissionRule:
        """An influencer's override is a percentage: it must mean the same in every currency."""
        raw = str(text).strip()
        if not raw.endswith("%"):
            raise InvalidInput(
                f"an influencer's commission must be a percentage like 12%, not {raw!r}"
            )
        try:
            return cls(rate_bps=parse_rate(raw))
        except MoneyError as error:
            raise InvalidInput(str(error)) from None

    @classmethod
    def of(cls, override_bps: int | None, rate_bps: int | None, flat: int | None) -> CommissionRule:
        """The rule an order earns under: the influencer's override, else the campaign's."""
        if override_bps is not None:
            return cls(rate_bps=override_bps)
        return cls(rate_bps=rate_bps, flat=flat)

    def commission(self, base: int) -> int:
        """The commission on ``base``: the rate applied once, half-up; a flat rule ignores it."""
        if self.rate_bps is not None:
            return apply_rate(max(base, 0), self.rate_bps)
        return self.flat or 0

    def text(self, currency: str) -> str | None:
        """``"10%"`` or ``"5.00 USD"``, as an operator writes it (and :meth:`parse` reads it)."""
        if self.rate_bps is not None:
            return format_rate(self.rate_bps)
        if self.flat is not None:
            return f"{format_minor(self.flat, currency)} {currency}"
        return None
