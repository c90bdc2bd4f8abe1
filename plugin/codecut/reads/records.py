"""Records as plain dicts: one builder per shape, for CLI JSON, the API and the exports alike.

Money is a decimal string with the currency's decimals; dates and times are ISO 8601 strings
(``2026-12-02T01:18:35+00:00``), so every surface prints the same object the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..commissions import leaks
from ..commissions.rule import CommissionRule
from ..models import (
    Campaign,
    Code,
    Influencer,
    LedgerEntry,
    Order,
    Payout,
    Post,
    Seeding,
    Store,
    WebhookEvent,
)
from ..models.marketing import POST_FIGURES
from ..money import format_minor, format_rate
from ..payouts.methods import method_for


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def store_record(store: Store) -> dict[str, Any]:
    """A store without its secrets."""
    return {
        "id": store.id,
        "platform": store.platform,
        "domain": store.domain,
        "currency": store.currency,
        "url": store.url,
        "timezone": store.timezone,
        "secret_rotating": store.previous_webhook_secret is not None,
        # Whether Codecut can call the store's Admin API (never the credentials themselves).
        "admin_api": "connected" if store.admin_credentials else None,
        "orders_synced_through": iso(store.orders_synced_through),
        "created_at": iso(store.created_at),
    }


def campaign_record(campaign: Campaign, store: Store) -> dict[str, Any]:
    rule = CommissionRule(rate_bps=campaign.commission_rate_bps, flat=campaign.commission_flat)
    return {
        "id": campaign.id,
        "campaign": campaign.slug,
        "name": campaign.name,
        "store": store.domain,
        "currency": store.currency,
        "commission": rule.text(store.currency),
        "hold_days": campaign.hold_days,
        "leaked_policy": campaign.leaked_policy or "none",
        "leak_thresholds": asdict(leaks.Thresholds.stored(campaign.leak_thresholds)),
        "customer_discount": campaign.customer_discount,
        "once_per_customer": campaign.once_per_customer,
        "combines_with": (campaign.combines_with or "").split(",")
        if campaign.combines_with
        else [],
        "created_at": iso(campaign.created_at),
    }


def influencer_record(influencer: Influencer, codes: list[str] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": influencer.id,
        "email": influencer.email,
        "name": influencer.name,
        "handle": influencer.handle,
        "platform": influencer.platform,
        "followers": influencer.followers,
        "commission": (
            format_rate(influencer.commission_rate_bps)
            if influencer.commission_rate_bps is not None
            else None
        ),
        "payout_method": method_for(influencer.stripe_account_id),
        "stripe_account": influencer.stripe_account_id,
        "status": influencer.status,
        "created_at": iso(influencer.created_at),
    }
    if codes is not None:
        record["codes"] = codes
    return record


def code_record(
    code: Code, influencer: Influencer, campaign: Campaign, store: Store
) -> dict[str, Any]:
    return {
        "code": code.code,
        "influencer_email": influencer.email,
        "influencer_name": influencer.name,
        "campaign": campaign.slug,
        "store": store.domain,
        "active": code.active,
        "created_at": iso(code.created_at),
    }


#: A payout's fields, in the payout export's column order; scripts depend on it. More may be
#: appended.
PAYOUT_FIELDS = [
    "payout_id",
    "batch_id",
    "influencer_email",
    "influencer_name",
    "method",
    "destination",
    "currency",
    "amount",
    "entries",
    "period_end",
    "status",
    "reference",
    "created_at",
    "paid_at",
    "attempt",
    "failure_code",
    "failure_message",
]


def payout_record(payout: Payout, influencer: Influencer) -> dict[str, Any]:
    """A payout as ``payouts list --json``, ``/api/payouts`` and the payout exports show it."""
    return {
        "payout_id": payout.id,
        "batch_id": payout.batch_id,
        "influencer_email": influencer.email,
        "influencer_name": influencer.name,
        "method": payout.method,
        "destination": payout.destination,
        "currency": payout.currency,
        "amount": format_minor(payout.amount, payout.currency),
        "entries": payout.entry_count,
        "period_end": iso(payout.period_end),
        "status": payout.status,
        "reference": payout.reference,
        "created_at": iso(payout.created_at),
        "paid_at": iso(payout.paid_at),
        "attempt": payout.attempt,
        "failure_code": payout.failure_code,
        "failure_message": payout.failure_message,
    }


def payout_records(session: Session, payouts: Sequence[Payout]) -> list[dict[str, Any]]:
    """Records of ``payouts``, their influencers read in one query."""
    ids = {payout.influencer_id for payout in payouts}
    people = {
        influencer.id: influencer
        for influencer in session.scalars(select(Influencer).where(col(Influencer.id).in_(ids)))
    }
    return [payout_record(payout, people[payout.influencer_id]) for payout in payouts]


def list_payouts(session: Session, *, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Every payout (of one batch), oldest first."""
    query = select(Payout).order_by(col(Payout.id))
    if batch_id is not None:
        query = query.where(col(Payout.batch_id) == batch_id)
    return payout_records(session, session.scalars(query).all())


def event_record(row: WebhookEvent) -> dict[str, Any]:
    """A stored delivery without its body (which holds buyers' personal data)."""
    return {
        "id": row.id,
        "received_at": iso(row.received_at),
        "source": row.source,
        "via": row.via,
        "topic": row.topic,
        "status": row.status,
        "reason": row.reason,
        "order_id": row.order_external_id,
        "delivery_id": row.delivery_id,
        "event_id": row.event_id,
        "attempts": row.attempts,
        "processed_at": iso(row.processed_at),
    }


def post_record(session: Session, post: Post) -> dict[str, Any]:
    """A post as ``codecut post add --json`` and ``/api/v1/posts`` show it."""
    campaign = session.get(Campaign, post.campaign_id)
    influencer = session.get(Influencer, post.influencer_id)
    assert campaign is not None and influencer is not None  # foreign keys
    store = session.get(Store, campaign.store_id)
    assert store is not None
    return {
        "url": post.url,
        "influencer_email": influencer.email,
        "campaign": campaign.slug,
        "posted_on": iso(post.posted_on),
        "platform": post.platform,
        **{name: getattr(post, name) for name in POST_FIGURES},
        "fee": format_minor(post.fee, store.currency),
        "currency": store.currency,
    }


def entry_record(entry: LedgerEntry, email: str, external_id: str | None) -> dict[str, Any]:
    """A ledger entry as ``/api/v1/ledger-entries`` and the console show it."""
    return {
        "entry_id": entry.id,
        "influencer_email": email,
        "kind": entry.kind,
        "status": entry.status,
        "currency": entry.currency,
        "amount": format_minor(entry.amount, entry.currency),
        "reason": entry.reason,
        "memo": entry.memo,
        "available_on": iso(entry.available_on),
        "occurred_at": iso(entry.occurred_at),
        "order_id": external_id,
    }


def order_record(
    order: Order, store_domain: str, code: str, influencer_email: str, campaign_slug: str
) -> dict[str, Any]:
    """An order as ``/api/v1/orders`` and the console show it (no buyer data is kept)."""
    o = order
    return {
        "store": store_domain,
        "order_id": o.external_id,
        "order_number": o.order_number,
        "code": code,
        "influencer_email": influencer_email,
        "campaign": campaign_slug,
        "currency": o.currency,
        "base_amount": format_minor(o.base_amount, o.currency),
        "order_total": format_minor(o.order_total, o.currency),
        "discount_amount": format_minor(o.discount_amount, o.currency),
        "placed_at": iso(o.placed_at),
        "cancelled_at": iso(o.cancelled_at),
        "test": o.test,
        "self_referral": o.self_referral,
    }


def seeding_record(
    seeding: Seeding, influencer: Influencer, campaign: Campaign, store: Store
) -> dict[str, Any]:
    """Products gifted, as ``/api/v1/seeding`` and the console show them."""
    return {
        "id": seeding.id,
        "influencer_email": influencer.email,
        "campaign": campaign.slug,
        "cost": format_minor(seeding.cost, store.currency),
        "currency": store.currency,
        "sent_on": iso(seeding.sent_on),
        "note": seeding.note,
    }
