"""What a campaign's codes give the buyer, as a store is told it (``campaign update
--customer-discount 15%|15.00 USD --once-per-customer --combines-with product,order,shipping``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..commissions.rule import CommissionRule
from ..errors import InvalidInput
from ..models import Campaign
from ..money import format_minor

COMBINABLE = ("product", "order", "shipping")


@dataclass(frozen=True)
class DiscountTerms:
    title: str
    rate_bps: int | None  # a percentage off (10% = 1000) ...
    amount: int | None  # ... or a fixed amount off the order, in the store currency's minor units
    currency: str
    once_per_customer: bool
    combines_with: frozenset[str]
    starts_at: datetime

    @property
    def amount_text(self) -> str:
        """The fixed amount as the store's APIs want it (``15.00``)."""
        return format_minor(self.amount or 0, self.currency)

    @property
    def percent_text(self) -> str:
        """The percentage as WooCommerce wants it (``15`` or ``12.5``)."""
        whole, rest = divmod(self.rate_bps or 0, 100)
        return f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")


def parse_discount(text: str, currency: str) -> str:
    """``15%`` or ``15.00 USD`` checked and normalised (the commission rule's own parser)."""
    try:
        rule = CommissionRule.parse(text, currency)
    except InvalidInput as error:
        raise InvalidInput(
            "customer discount: " + error.message.replace("commission", "").lstrip(": ")
        ) from None
    if rule.rate_bps is not None and not 0 < rule.rate_bps <= 10_000:
        raise InvalidInput("a customer discount must be more than 0% and at most 100%")
    if rule.flat is not None and rule.flat <= 0:
        raise InvalidInput("a fixed customer discount must be more than zero")
    return str(rule.text(currency))


def parse_combines(text: str) -> str | None:
    names = {name.strip().lower() for name in text.split(",") if name.strip()}
    if names == {"none"} or not names:
        return None
    unknown = sorted(names - set(COMBINABLE))
    if unknown:
        raise InvalidInput(
            f"--combines-with takes {', '.join(COMBINABLE)} (or none), not {unknown[0]!r}"
        )
    return ",".join(name for name in COMBINABLE if name in names)


def terms_of(campaign: Campaign, currency: str) -> DiscountTerms:
    if not campaign.customer_discount:
        raise InvalidInput(
            f"campaign {campaign.slug} has no customer discount to push: set it with "
            f"`codecut campaign update {campaign.slug} --customer-discount 15%` (or 15.00 "
            f"{currency})"
        )
    rule = CommissionRule.parse(campaign.customer_discount, currency)
    return DiscountTerms(
        title=f"Codecut {campaign.slug}",
        rate_bps=rule.rate_bps,
        amount=rule.flat,
        currency=currency,
        once_per_customer=campaign.once_per_customer,
        combines_with=frozenset((campaign.combines_with or "").split(",")) - {""},
        starts_at=campaign.created_at,
    )
