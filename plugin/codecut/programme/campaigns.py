"""Campaigns: a store plus the commission rule its codes earn under."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from ..commissions import leaks
from ..commissions.approval import MAX_HOLD_DAYS
from ..commissions.rule import CommissionRule
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Campaign, Store, id_of
from ..money import MoneyError, format_rate, parse_rate
from ..storesync.terms import parse_combines, parse_discount
from .stores import get_store

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:100] or "campaign"


def add_campaign(
    session: Session,
    *,
    store_domain: str,
    name: str,
    slug: str | None = None,
    commission: str = "10%",
    hold_days: int | None = None,
    leaked_policy: str | None = None,
) -> Campaign:
    store = get_store(session, store_domain)
    policy = parse_leaked_policy(leaked_policy) if leaked_policy is not None else None
    if not name.strip():
        raise InvalidInput("the campaign name must not be empty")
    slug = slug.strip().lower() if slug else slugify(name)
    if not _SLUG.match(slug):
        raise InvalidInput(f"slug {slug!r} may hold only lowercase letters, digits and dashes")
    if hold_days is not None:
        _check_hold_days(hold_days)
    rule = CommissionRule.parse(commission, store.currency)
    if session.scalars(select(col(Campaign.id)).where(col(Campaign.slug) == slug)).first():
        raise Conflict(f"a campaign with slug {slug} exists already")
    campaign = Campaign(
        store_id=id_of(store),
        name=name.strip(),
        slug=slug,
        commission_rate_bps=rule.rate_bps,
        commission_flat=rule.flat,
        hold_days=hold_days,
        leaked_policy=policy,
    )
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(
    session: Session,
    campaign: Campaign,
    *,
    name: str | None = None,
    commission: str | None = None,
    hold_days: int | None = None,
    leaked_policy: str | None = None,
    leak_thresholds: Sequence[str] = (),
    customer_discount: str | None = None,
    once_per_customer: bool | None = None,
    combines_with: str | None = None,
) -> Campaign:
    """Change what is given; the rule applies to orders booked from now on (the ledger keeps
    what earlier orders earned). The customer's discount and its terms are what ``code push``
    gives the store."""
    if name is not None:
        if not name.strip():
            raise InvalidInput("the campaign name must not be empty")
        campaign.name = name.strip()
    if commission is not None:
        store = session.get(Store, campaign.store_id)
        assert store is not None  # a foreign key
        rule = CommissionRule.parse(commission, store.currency)
        campaign.commission_rate_bps, campaign.commission_flat = rule.rate_bps, rule.flat
    if hold_days is not None:
        _check_hold_days(hold_days)
        campaign.hold_days = hold_days
    if leaked_policy is not None:
        campaign.leaked_policy = parse_leaked_policy(leaked_policy)
    if leak_thresholds:
        if list(leak_thresholds) == ["default"]:
            campaign.leak_thresholds = None
        else:
            current = leaks.Thresholds.stored(campaign.leak_thresholds)
            campaign.leak_thresholds = current.changed(leak_thresholds).to_store()
    if customer_discount is not None or once_per_customer is not None or combines_with is not None:
        _set_customer_terms(session, campaign, customer_discount, once_per_customer, combines_with)
    session.add(campaign)
    session.flush()
    return campaign


def _set_customer_terms(
    session: Session,
    campaign: Campaign,
    customer_discount: str | None,
    once_per_customer: bool | None,
    combines_with: str | None,
) -> None:
    if campaign.shop_discount_id:
        raise Conflict(
            f"campaign {campaign.slug}'s discount exists in the store already: change its terms "
            "there (Codecut does not edit a live discount)"
        )
    if customer_discount is not None:
        store = session.get(Store, campaign.store_id)
        assert store is not None
        campaign.customer_discount = parse_discount(customer_discount, store.currency)
    if once_per_customer is not None:
        campaign.once_per_customer = once_per_customer
    if combines_with is not None:
        campaign.combines_with = parse_combines(combines_with)


def get_campaign(session: Session, slug: str) -> Campaign:
    campaign = session.scalars(
        select(Campaign).where(col(Campaign.slug) == slug.strip().lower())
    ).first()
    if campaign is None:
        raise NotFound(f"no campaign with slug {slug}")
    return campaign


def list_campaigns(session: Session) -> list[tuple[Campaign, Store]]:
    rows = session.execute(
        select(Campaign, Store)
        .join(Store, col(Store.id) == col(Campaign.store_id))
        .order_by(col(Campaign.id))
    ).all()
    return [(campaign, store) for campaign, store in rows]


def campaign_rule(campaign: Campaign) -> CommissionRule:
    return CommissionRule(rate_bps=campaign.commission_rate_bps, flat=campaign.commission_flat)


# -- the leaked-code policy --------------------------------------------------------------------

#: What orders still using a leaked (rotated) code earn when the campaign says nothing.
DEFAULT_LEAKED_POLICY = "none"


def parse_leaked_policy(text: str) -> str:
    """``--leaked-policy``: ``none`` (earn nothing), ``full`` (the normal rule) or ``rate:5%``
    (that percentage of the goods instead), returned in that canonical spelling."""
    raw = str(text).strip().lower().replace(" ", "")
    if raw in ("none", "full"):
        return raw
    if raw.startswith("rate:"):
        try:
            return f"rate:{format_rate(parse_rate(raw.removeprefix('rate:')))}"
        except MoneyError as error:
            raise InvalidInput(f"--leaked-policy: {error}") from None
    raise InvalidInput(f"--leaked-policy must be none, full or rate:5%, not {text!r}")


def leaked_rule(policy: str | None, normal: CommissionRule) -> CommissionRule | None:
    """The rule an order on a leaked code earns under: None for ``none`` (it earns nothing),
    ``normal`` for ``full``, the policy's percentage for ``rate:X%``."""
    policy = policy or DEFAULT_LEAKED_POLICY
    if policy == "full":
        return normal
    if policy.startswith("rate:"):
        return CommissionRule(rate_bps=parse_rate(policy.removeprefix("rate:")))
    return None


def _check_hold_days(days: int) -> None:
    if not 0 <= days <= MAX_HOLD_DAYS:
        raise InvalidInput(f"hold days must be from 0 to {MAX_HOLD_DAYS:,}, not {days:,}")
