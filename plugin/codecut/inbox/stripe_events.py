"""Stripe's webhook events, each handled once (its id is unique); ``transfer.reversed`` books the
money Stripe took back from a paid transfer as owed to the influencer again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ..commissions.adjustments import book_adjustment
from ..errors import InvalidInput
from ..models import EntryKind, LedgerEntry, Payout, StripeEvent
from ..payouts import stripe_client


def book_transfer_reversal(session: Session, transfer: dict[str, Any]) -> LedgerEntry | None:
    """Money Stripe took back from a paid transfer is owed to the influencer again.

    ``amount_reversed`` is cumulative, so what is booked is the part not booked before: a second
    event for the same reversal, or a later partial one, books exactly the difference.
    """
    transfer_id = str(transfer.get("id") or "")
    payout = session.scalars(select(Payout).where(col(Payout.reference) == transfer_id)).first()
    if payout is None:
        return None
    reversed_total = stripe_client.from_stripe_amount(
        int(transfer.get("amount_reversed") or 0), payout.currency
    )
    marker = f"transfer {transfer_id} of payout {payout.id} reversed at Stripe"
    booked = session.scalar(
        select(func.coalesce(func.sum(col(LedgerEntry.amount)), 0)).where(
            col(LedgerEntry.influencer_id) == payout.influencer_id,
            col(LedgerEntry.kind) == EntryKind.ADJUSTMENT,
            col(LedgerEntry.reason) == "transfer_reversed",
            col(LedgerEntry.memo) == marker,
        )
    )
    owed = reversed_total - int(booked or 0)
    if owed <= 0:
        return None
    return book_adjustment(
        session,
        influencer_id=payout.influencer_id,
        currency=payout.currency,
        amount=owed,
        memo=marker,
        reason="transfer_reversed",
    )


def handle_stripe_event(session: Session, event: dict[str, Any], body: str) -> str:
    """Record a verified Stripe event once (its id is unique) and act on the ones that matter.

    Returns ``duplicate``, ``booked`` or ``ignored``.
    """
    event_id = str(event.get("id") or "")
    if not event_id:
        raise InvalidInput("the Stripe event has no id")
    kind = str(event.get("type") or "")
    try:
        with session.begin_nested():
            session.add(StripeEvent(event_id=event_id, type=kind[:100], body=body))
    except IntegrityError:
        return "duplicate"
    if kind == "transfer.reversed":
        transfer = (event.get("data") or {}).get("object") or {}
        if book_transfer_reversal(session, transfer) is not None:
            return "booked"
    return "ignored"
