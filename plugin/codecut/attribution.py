"""Order -> code -> influencer -> commission rule.

One query matches every code the customer typed against the store's issued codes. When an order
carries several of ours, the first in the order's own list wins (Shopify and WooCommerce list
codes in the order they were applied), so the choice never depends on database order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from . import codes as codegen
from .models import Campaign, Code, Influencer
from .money import apply_rate


@dataclass(frozen=True)
class Attribution:
    """Whose order it is, and under which rule it earns."""

    code: Code
    influencer: Influencer
    campaign: Campaign
    typed: str  # the code as the customer entered it, kept for audit


@dataclass(frozen=True)
class Rule:
    """A percentage in basis points, or a flat amount per order in minor units."""

    rate_bps: int | None
    flat: int | None

    def commission(self, base: int) -> int:
        """The commission on ``base``: the rate applied once, half-up; a flat rule ignores it."""
        if self.rate_bps is not None:
            return apply_rate(max(base, 0), self.rate_bps)
        return self.flat or 0


def attribute(session: Session, store_id: int, typed_codes: tuple[str, ...]) -> Attribution | None:
    """The first code in ``typed_codes`` that the store issued, with its influencer and campaign."""
    wanted = [(typed, codegen.normalize(typed)) for typed in typed_codes if typed and typed.strip()]
    if not wanted:
        return None
    rows = session.execute(
        select(Code, Influencer, Campaign)
        .join(Influencer, Influencer.id == Code.influencer_id)
        .join(Campaign, Campaign.id == Code.campaign_id)
        .where(Code.store_id == store_id, Code.code.in_({n for _, n in wanted}))
    ).all()
    found = {code.code: (code, influencer, campaign) for code, influencer, campaign in rows}
    for typed, normalized in wanted:
        if normalized in found:
            code, influencer, campaign = found[normalized]
            return Attribution(code=code, influencer=influencer, campaign=campaign, typed=typed)
    return None


def rule_for(influencer: Influencer, campaign: Campaign) -> Rule:
    """The influencer's override percentage, else the campaign's percentage or flat amount."""
    if influencer.commission_rate_bps is not None:
        return Rule(rate_bps=influencer.commission_rate_bps, flat=None)
    return Rule(rate_bps=campaign.commission_rate_bps, flat=campaign.commission_flat)


def no_earning_reason(
    attribution: Attribution,
    *,
    test: bool,
    buyer_email: str | None,
    placed_on: date | None,
) -> str | None:
    """Why this order earns nothing, or ``None`` when it earns.

    Checked in this order, the first that applies is recorded: ``test_order``,
    ``self_referral`` (buyer email equals the influencer's, any case), ``code_inactive``,
    ``influencer_paused`` / ``influencer_terminated``, ``outside_campaign`` (placed before the
    campaign starts or after it ends).
    """
    influencer, campaign = attribution.influencer, attribution.campaign
    if test:
        return "test_order"
    if buyer_email and buyer_email.strip().lower() == influencer.email.lower():
        return "self_referral"
    if not attribution.code.active:
        return "code_inactive"
    if influencer.status != "active":
        return f"influencer_{influencer.status}"
    if placed_on is not None and (
        (campaign.starts_on and placed_on < campaign.starts_on)
        or (campaign.ends_on and placed_on > campaign.ends_on)
    ):
        return "outside_campaign"
    return None
