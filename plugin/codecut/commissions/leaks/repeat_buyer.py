"""The repeat-buyer rule: one customer using one code again and again.

A customer is the store's customer id, or for a guest the buyer's lowercased email, kept only as
a SHA-256 (:func:`customer_key`, salted with the store so keys never match across stores). When
a customer's orders with one code within :data:`WINDOW_DAYS` (30) days, this one included,
number more than :data:`MAX_ORDERS` (3), the order is flagged: the 4th and later.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, exists, func, select

from ..order_state import ORDERS

NAME = "repeat_buyer"
WINDOW_DAYS = 30
MAX_ORDERS = 3


def customer_key(store_id: int, customer_id: str | None, email: str | None) -> str | None:
    """A stable, non-reversible key for the buyer; None when the order names neither."""
    if customer_id:
        who = f"customer:{customer_id.strip()}"
    elif email and email.strip():
        who = f"email:{email.strip().lower()}"
    else:
        return None
    return hashlib.sha256(f"{store_id}:{who}".encode()).hexdigest()


#: The customer's orders with the code in the window ending at this order (this one included):
#: read by :func:`codecut.commissions.leaks.rules_for` together with the other rules' reads.
RECENT_ORDERS = (
    select(func.count())
    .where(
        ORDERS.c.code_id == bindparam("code_id"),
        ORDERS.c.customer_key == bindparam("customer_key"),
        ORDERS.c.placed_at > bindparam("window_start"),
        ORDERS.c.placed_at <= bindparam("placed_at"),
    )
    .scalar_subquery()
)


def window_start(placed_at: datetime, window_days: int = WINDOW_DAYS) -> datetime:
    """Where the window of :data:`RECENT_ORDERS` begins (exclusive) for an order at
    ``placed_at``."""
    return placed_at - timedelta(days=window_days)


def fires(recent_orders: int, *, max_orders: int = MAX_ORDERS) -> bool:
    """Whether :data:`RECENT_ORDERS` is past the limit (without a customer key it counts none:
    a NULL key matches no order, so an order that names no buyer never fires)."""
    return int(recent_orders) > max_orders


def earlier_self_referral(influencer_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether the customer bound as ``customer_key`` placed an earlier order with this
    influencer whose buyer email was the influencer's: self-referral follows the customer id
    even when a later order carries another email. An expression, so that attribution reads it
    in the same statement as the code (no customer key: false)."""
    return exists().where(
        ORDERS.c.influencer_id == influencer_id,
        ORDERS.c.customer_key == bindparam("customer_key"),
        ORDERS.c.self_referral.is_(True),
    )
