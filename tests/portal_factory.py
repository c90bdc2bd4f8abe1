"""Data for the portal's tests and benchmark, written straight into the tables.

Stores, campaigns, influencers and codes go through ``codecut.roster`` like a real setup; orders,
ledger entries and payouts are rows shaped the way the webhook engine and payouts write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from codecut import roster
from codecut.models import (
    Campaign,
    Code,
    Influencer,
    LedgerEntry,
    Order,
    Payout,
    PayoutBatch,
    Store,
)
from codecut.money import apply_rate


@dataclass
class Seller:
    """An influencer with one code in one store's campaign."""

    store: Store
    campaign: Campaign
    influencer: Influencer
    code: Code

    @property
    def id(self) -> int:
        return self.influencer.id  # type: ignore[return-value]


def seller(
    session: Session,
    *,
    email: str = "anna@example.com",
    name: str = "Anna Berg",
    code: str | None = "ANNA15",
    currency: str = "USD",
    platform: str = "shopify",
    domain: str | None = None,
    url: str | None = "https://shop.example.com",
    campaign: str | None = None,
    commission: str = "10%",
) -> Seller:
    domain = domain or f"{currency.lower()}-{platform}.example.com"
    try:
        store = roster.get_store(session, domain)
    except roster.NotFound:
        store = roster.add_store(
            session, platform=platform, domain=domain, secret="s", currency=currency, url=url
        )
    slug = campaign or f"{store.domain.split('.')[0]}-launch"
    try:
        camp = roster.get_campaign(session, slug)
    except roster.NotFound:
        camp = roster.add_campaign(
            session, store_domain=store.domain, name=slug, slug=slug, commission=commission
        )
    influencer = roster.get_influencer_or_none(session, email) or roster.add_influencer(
        session, email=email, name=name
    )
    issued = roster.issue_code(session, influencer_email=email, campaign_slug=camp.slug, code=code)
    return Seller(store, camp, influencer, issued)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def order(
    session: Session,
    who: Seller,
    *,
    number: str,
    base: int,
    placed: datetime,
    status: str = "pending",
    hold_days: int = 30,
    rate_bps: int = 1000,
    refunded: int = 0,
    refund_reason: str = "refund",
    test: bool = False,
    self_referral: bool = False,
    payout: Payout | None = None,
) -> Order:
    """An attributed order, its commission entry, and a reversal when ``refunded`` is set."""
    row = Order(
        store_id=who.store.id,
        external_id=f"ext-{number}",
        order_number=number,
        code_id=who.code.id,
        influencer_id=who.id,
        campaign_id=who.campaign.id,
        code_as_entered=who.code.code.lower(),
        currency=who.store.currency,
        base_amount=base,
        order_total=base + 500,
        test=test,
        self_referral=self_referral,
        placed_at=placed,
        created_at=placed,
        updated_at=placed,
        cancelled_at=placed + timedelta(days=1) if refund_reason == "cancel" and refunded else None,
    )
    session.add(row)
    session.flush()
    void = test or self_referral
    earned = 0 if void else apply_rate(base, rate_bps)
    common: dict[str, Any] = {
        "influencer_id": who.id,
        "store_id": who.store.id,
        "campaign_id": who.campaign.id,
        "code_id": who.code.id,
        "order_id": row.id,
        "currency": who.store.currency,
    }
    session.add(
        LedgerEntry(
            **common,
            kind="commission",
            status="void" if void else status,
            amount=earned,
            base_amount=base,
            rate_bps=rate_bps,
            available_on=(placed + timedelta(days=hold_days)).date(),
            dedupe_key=f"commission:{row.external_id}",
            reason="test_order" if test else "self_referral" if self_referral else None,
            payout_id=payout.id if payout and status == "paid" else None,
            created_at=placed,
        )
    )
    if refunded and not void:
        back = -apply_rate(refunded, rate_bps)
        session.add(
            LedgerEntry(
                **common,
                kind="reversal",
                status="pending" if status == "pending" else "approved",
                amount=back,
                base_amount=refunded,
                rate_bps=rate_bps,
                available_on=(placed + timedelta(days=2)).date(),
                dedupe_key=f"{refund_reason}:{row.external_id}",
                reason=refund_reason,
                created_at=placed + timedelta(days=2),
            )
        )
    session.flush()
    return row


def payout(
    session: Session,
    who: Seller,
    *,
    amount: int,
    status: str = "paid",
    reference: str | None = "tr_123",
    created: datetime | None = None,
) -> Payout:
    created = created or datetime.now(UTC)
    batch = PayoutBatch(as_of=created.date(), status="completed", created_at=created)
    session.add(batch)
    session.flush()
    row = Payout(
        batch_id=batch.id,
        influencer_id=who.id,
        currency=who.store.currency,
        amount=amount,
        entry_count=1,
        method=who.influencer.payout_method,
        status=status,
        reference=reference,
        period_end=created.date(),
        created_at=created,
        paid_at=created if status == "paid" else None,
    )
    session.add(row)
    session.flush()
    return row


def bulk_orders(
    session: Session,
    who: Seller,
    *,
    count: int,
    newest: datetime,
    spacing: timedelta,
    hold_days: int = 30,
    refund_every: int = 20,
    batch: int = 2000,
) -> None:
    """``count`` orders, one every ``spacing`` back from ``newest``, with their ledger entries.

    Commissions older than the hold are approved (or paid, when older than 60 days); every
    ``refund_every``-th order is fully refunded. Multi-row inserts keep 50,000 orders quick.
    """
    today = newest.date()
    for start in range(0, count, batch):
        numbers = range(start, min(count, start + batch))
        placed = [newest - spacing * n for n in numbers]
        order_rows = [
            {
                "store_id": who.store.id,
                "external_id": f"{who.id}-{n}",
                "order_number": f"#{100000 + n}",
                "code_id": who.code.id,
                "influencer_id": who.id,
                "campaign_id": who.campaign.id,
                "code_as_entered": who.code.code,
                "currency": who.store.currency,
                "base_amount": 2000 + (n * 37) % 18000,
                "order_total": 2500 + (n * 37) % 18000,
                "test": False,
                "self_referral": False,
                "placed_at": when,
                "created_at": when,
                "updated_at": when,
            }
            for n, when in zip(numbers, placed, strict=True)
        ]
        ids = session.execute(
            insert(Order).returning(Order.id, sort_by_parameter_order=True), order_rows
        ).scalars()
        entries = []
        for order_id, values, n in zip(ids, order_rows, numbers, strict=True):
            when = values["placed_at"]
            available = (when + timedelta(days=hold_days)).date()
            age = (today - when.date()).days
            status = "paid" if age > 60 else "approved" if available <= today else "pending"
            base = values["base_amount"]
            common = {
                "influencer_id": who.id,
                "store_id": who.store.id,
                "campaign_id": who.campaign.id,
                "code_id": who.code.id,
                "order_id": order_id,
                "currency": who.store.currency,
                "base_amount": base,
                "rate_bps": 1000,
                "reason": None,
                "memo": None,
                "payout_id": None,
                "approved_at": None,
            }
            entries.append(
                {
                    **common,
                    "kind": "commission",
                    "status": status,
                    "amount": apply_rate(base, 1000),
                    "available_on": available,
                    "dedupe_key": f"commission:{values['external_id']}",
                    "created_at": when,
                }
            )
            if refund_every and n % refund_every == 0:
                entries.append(
                    {
                        **common,
                        "kind": "reversal",
                        "status": status,
                        "amount": -apply_rate(base, 1000),
                        "available_on": (when + timedelta(days=3)).date(),
                        "dedupe_key": f"refund:{values['external_id']}",
                        "reason": "refund",
                        "created_at": when + timedelta(days=3),
                    }
                )
        session.execute(insert(LedgerEntry), entries)
