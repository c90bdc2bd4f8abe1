"""Order -> code -> influencer -> commission rule.

One query matches every code the customer typed against the store's issued codes. When an order
carries several of ours, the first in the order's own list wins (Shopify and WooCommerce list
codes in the order they were applied), so the choice never depends on database order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, bindparam, select

from ..models import Campaign, Code, Influencer, InfluencerStatus, table_of
from ..programme.campaigns import leaked_rule
from ..programme.codes import normalize
from .leaks import repeat_buyer
from .rule import CommissionRule


@dataclass(frozen=True)
class Attribution:
    """Whose order it is, and under which rule it earns: the columns booking needs, no more."""

    code_id: int
    code: str
    code_active: bool
    influencer_id: int
    influencer_email: str
    influencer_status: str
    influencer_rate_bps: int | None
    campaign_id: int
    campaign_rate_bps: int | None
    campaign_flat: int | None
    hold_days: int | None
    starts_on: date | None
    ends_on: date | None
    code_leaked_at: datetime | None
    leaked_policy: str | None
    leak_thresholds: str | None  # the campaign's own (JSON), see leaks.Thresholds
    #: The buyer self-referred with this influencer before (leaks.repeat_buyer; false unless
    #: :func:`attribute` was given the order's customer key).
    customer_self_referred: bool
    typed: str  # the code as the customer entered it, kept for audit

    @classmethod
    def from_row(cls, row: Sequence[Any], typed: str) -> Attribution:
        """From a row of the attribution query's columns, in field order."""
        return cast(Attribution, cast(Any, cls)(*row, typed))


_CODES = table_of(Code)
_INFLUENCERS = table_of(Influencer)
_CAMPAIGNS = table_of(Campaign)
_QUERY = select(
    _CODES.c.id,
    _CODES.c.code,
    _CODES.c.active,
    _INFLUENCERS.c.id,
    _INFLUENCERS.c.email,
    _INFLUENCERS.c.status,
    _INFLUENCERS.c.commission_rate_bps,
    _CAMPAIGNS.c.id,
    _CAMPAIGNS.c.commission_rate_bps,
    _CAMPAIGNS.c.commission_flat,
    _CAMPAIGNS.c.hold_days,
    _CAMPAIGNS.c.starts_on,
    _CAMPAIGNS.c.ends_on,
    _CODES.c.leaked_at,
    _CAMPAIGNS.c.leaked_policy,
    _CAMPAIGNS.c.leak_thresholds,
    repeat_buyer.earlier_self_referral(_INFLUENCERS.c.id),
).select_from(
    _CODES.join(_INFLUENCERS, _INFLUENCERS.c.id == _CODES.c.influencer_id).join(
        _CAMPAIGNS, _CAMPAIGNS.c.id == _CODES.c.campaign_id
    )
)
#: Built once: the hot path runs it for every order that carries a code.
_BY_CODES = _QUERY.where(
    _CODES.c.store_id == bindparam("store_id"),
    _CODES.c.code.in_(bindparam("codes", expanding=True)),
)
_BY_ID = _QUERY.where(_CODES.c.id == bindparam("code_id"))


def attribute(
    connection: Connection,
    store_id: int,
    typed_codes: tuple[str, ...],
    customer_key: str | None = None,
) -> Attribution | None:
    """The first code in ``typed_codes`` that the store issued, with its influencer and campaign
    (and whether ``customer_key``, the buyer, self-referred with that influencer before)."""
    wanted = [(typed, normalize(typed)) for typed in typed_codes if typed and typed.strip()]
    if not wanted:
        return None
    rows = connection.execute(
        _BY_CODES,
        {"store_id": store_id, "codes": [n for _, n in wanted], "customer_key": customer_key},
    ).all()
    found = {row[1]: row for row in rows}
    for typed, normalized in wanted:
        if normalized in found:
            return Attribution.from_row(found[normalized], typed)
    return None


def attribution_of(connection: Connection, code_id: int, typed: str) -> Attribution:
    """The attribution an order recorded, read again (its influencer's status may have changed)."""
    return Attribution.from_row(
        connection.execute(_BY_ID, {"code_id": code_id, "customer_key": None}).one(), typed
    )


def rule_for(attribution: Attribution) -> CommissionRule:
    """The influencer's override percentage, else the campaign's percentage or flat amount; on a
    leaked code, what the campaign's leaked-code policy says (none earns nothing: see
    :func:`no_earning_reason`)."""
    normal = CommissionRule.of(
        attribution.influencer_rate_bps, attribution.campaign_rate_bps, attribution.campaign_flat
    )
    if attribution.code_leaked_at is None:
        return normal
    return leaked_rule(attribution.leaked_policy, normal) or normal


def is_self_referral(buyer_email: str | None, influencer_email: str) -> bool:
    """The buyer is the influencer: the same email, in any letter case."""
    if not buyer_email:
        return False
    return buyer_email.strip().lower() == influencer_email.lower()


def no_earning_reason(
    attribution: Attribution,
    *,
    test: bool,
    buyer_email: str | None,
    placed_on: date | None,
    known_self_referral: bool = False,
) -> str | None:
    """Why this order earns nothing, or ``None`` when it earns.

    Checked in this order, the first that applies is recorded: ``test_order``,
    ``self_referral`` (buyer email equals the influencer's, any case, or the order is already
    known as one: ``known_self_referral``, e.g. by the customer id), ``code_inactive`` (or
    ``code_leaked``: rotated, under a campaign whose leaked-code policy is none),
    ``influencer_paused`` / ``influencer_terminated``, ``outside_campaign`` (placed before the
    campaign starts or after it ends).
    """
    a = attribution
    if test:
        return "test_order"
    if known_self_referral or is_self_referral(buyer_email, a.influencer_email):
        return "self_referral"
    if not a.code_active:
        if a.code_leaked_at is None:
            return "code_inactive"
        if leaked_rule(a.leaked_policy, CommissionRule()) is None:
            return "code_leaked"
    if a.influencer_status != InfluencerStatus.ACTIVE:
        return f"influencer_{a.influencer_status}"
    if placed_on is not None and (
        (a.starts_on and placed_on < a.starts_on) or (a.ends_on and placed_on > a.ends_on)
    ):
        return "outside_campaign"
    return None
