"""Leak and fraud signals read from the order data Codecut already receives.

Each rule is one module and returns whether it fires for a freshly booked commission; the
booking (:mod:`codecut.commissions.posting`) asks :func:`rules_for` inside its own transaction and
books a commission that any rule flags as ``held`` (:mod:`codecut.commissions.review` decides it
later). Rules only ever hold money: they never change an amount and never void anything.

Rule names, as ``review list --rule`` spells them: ``spike`` (:mod:`.spike`), ``coupon_site``
(:mod:`.coupon_site`) and ``repeat_buyer`` (:mod:`.repeat_buyer`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection

from . import coupon_site, repeat_buyer, spike

SPIKE = spike.NAME
COUPON_SITE = coupon_site.NAME
REPEAT_BUYER = repeat_buyer.NAME
#: Every rule name, in the order they are reported.
RULES = (SPIKE, COUPON_SITE, REPEAT_BUYER)
#: What an influencer is told about a held order: a plain reason, never a score or threshold.
PLAIN_REASONS = {
    SPIKE: "an unusual number of orders with your code that day",
    COUPON_SITE: "the buyer came from a coupon site",
    REPEAT_BUYER: "the same customer used your code many times",
}


def plain_reason(reason: str | None) -> str:
    """The influencer-facing words for a held entry's recorded rules."""
    said = [PLAIN_REASONS[name] for name in (reason or "").split(",") if name in PLAIN_REASONS]
    return "; ".join(said) or "being checked"


def rules_for(
    connection: Connection,
    *,
    influencer_id: int,
    code_id: int,
    placed_at: datetime,
    sources: Iterable[str] = (),
    customer_key: str | None = None,
) -> list[str]:
    """The names of the rules that flag the order of ``code_id`` placed at ``placed_at``
    (already recorded in this transaction) that came from ``sources``, bought by the customer
    ``customer_key`` (:func:`.repeat_buyer.customer_key`)."""
    fired = []
    if spike.fires(connection, influencer_id=influencer_id, code_id=code_id, placed_at=placed_at):
        fired.append(SPIKE)
    if coupon_site.fires(sources):
        fired.append(COUPON_SITE)
    if repeat_buyer.fires(connection, code_id=code_id, key=customer_key, placed_at=placed_at):
        fired.append(REPEAT_BUYER)
    return fired
