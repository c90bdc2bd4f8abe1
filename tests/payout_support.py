"""Factories for the payout and export tests: ledger entries inserted directly (the webhook
engine that books them in production is tested elsewhere), and ways to read back what was paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from builders import DAY
from flask import Flask
from sqlalchemy import func, select
from sqlmodel import Session

from codecut.commissions.approval import approved_through
from codecut.db import transaction
from codecut.models import LedgerEntry, Order, Payout, Settlement
from codecut.programme import campaigns, influencers, stores
from codecut.programme.codes import issue_code
from codecut.reads.balances import status_of, with_settlement


def engine_of(app: Flask) -> Any:
    return app.extensions["codecut"].engine


# -- factories -----------------------------------------------------------------------------------


def programme(session: Session, currency: str = "USD", domain: str = "shop.example.com") -> Any:
    """A store and a campaign in ``currency``; returns the campaign."""
    store = stores.add_store(
        session, platform="shopify", domain=domain, secret="s", currency=currency
    )
    return campaigns.add_campaign(
        session,
        store_domain=store.domain,
        name=f"Campaign {domain}",
        slug=domain.split(".")[0],
        commission="10%",
    )


def influencer(session: Session, email: str, account: str | None = None, name: str = "") -> int:
    row = influencers.add_influencer(
        session, email=email, name=name or email.split("@")[0].title(), stripe_account=account
    )
    return int(row.id)  # type: ignore[arg-type]


def entry(
    session: Session,
    influencer_id: int,
    amount: int,
    currency: str = "USD",
    *,
    status: str = "approved",
    available_on: date = DAY,
    kind: str | None = None,
    memo: str | None = None,
) -> int:
    """A ledger entry as the commission engine books it (no order behind it)."""
    row = LedgerEntry(
        influencer_id=influencer_id,
        kind=kind or ("commission" if amount >= 0 else "reversal"),
        status=status,
        currency=currency,
        amount=amount,
        available_on=available_on,
        memo=memo,
    )
    session.add(row)
    session.flush()
    return int(row.id)  # type: ignore[arg-type]


def order_entry(
    session: Session,
    campaign: Any,
    email: str,
    amount: int,
    *,
    base: int,
    memo: str | None = None,
    status: str = "approved",
) -> int:
    """A commission with its store, code and order, as an export shows it."""
    person = influencers.get_influencer(session, email)
    code = issue_code(session, influencer_email=email, campaign_slug=campaign.slug)
    store_currency = stores.get_store(session, "shop.example.com").currency
    number = int(session.scalar(select(func.count()).select_from(Order)) or 0) + 1
    order = Order(
        store_id=campaign.store_id,
        external_id=f"ext-{number}",
        order_number=f"#{1000 + number}",
        code_id=code.id,
        influencer_id=person.id,
        campaign_id=campaign.id,
        code_as_entered=code.code,
        currency=store_currency,
        base_amount=base,
        order_total=base + 500,
    )
    session.add(order)
    session.flush()
    row = LedgerEntry(
        influencer_id=person.id,
        store_id=campaign.store_id,
        campaign_id=campaign.id,
        code_id=code.id,
        order_id=order.id,
        kind="commission",
        status=status,
        currency=store_currency,
        amount=amount,
        base_amount=base,
        rate_bps=1000,
        available_on=DAY,
        dedupe_key=f"commission:{order.id}",
        memo=memo,
    )
    session.add(row)
    session.flush()
    return int(row.id)  # type: ignore[arg-type]


# -- reading back --------------------------------------------------------------------------------


def payouts_of(app: Flask) -> list[Payout]:
    with transaction(engine_of(app)) as session:
        return list(session.scalars(select(Payout).order_by(Payout.id)))


@dataclass(frozen=True)
class EntryView:
    """A ledger entry as people see it: its status and the payout settling it are derived
    (``codecut.reads.balances``), never stored on the entry."""

    id: int
    influencer_id: int
    kind: str
    status: str
    currency: str
    amount: int
    available_on: date
    payout_id: int | None
    memo: str | None
    reason: str | None


def entry_views(session: Session) -> list[EntryView]:
    through = approved_through(session)
    rows = session.execute(
        with_settlement(select(LedgerEntry, status_of(through), Settlement.payout_id)).order_by(
            LedgerEntry.id
        )
    )
    return [
        EntryView(
            e.id, e.influencer_id, e.kind, status, e.currency, e.amount, e.available_on,
            payout_id, e.memo, e.reason,
        )
        for e, status, payout_id in rows
    ]  # fmt: skip


def entries_of(app: Flask) -> list[EntryView]:
    with transaction(engine_of(app)) as session:
        return entry_views(session)


def count(app: Flask, model: Any) -> int:
    with transaction(engine_of(app)) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
