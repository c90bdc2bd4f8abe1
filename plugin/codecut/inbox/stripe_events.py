"""Stripe's webhook events, each handled once (its id is unique): ``transfer.reversed`` books the
money Stripe took back from a paid transfer as owed to the influencer again; ``account.updated``
(from the Connect endpoint) records how far an influencer's account got with onboarding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ..commissions.adjustments import book_adjustment
from ..errors import InvalidInput
from ..models import EntryKind, Influencer, LedgerEntry, Payout, StripeEvent, storable
from ..payouts import onboarding, stripe_client


def book_transfer_reversal(session: Session, transfer: dict[str, Any]) -> LedgerEntry | None:
    """Money Stripe took back from a paid transfer is owed to the influencer again.

    ``amount_reversed`` is cumulative, so what is booked is the part not booked before: a second
    event for the same reversal, or a later partial one, books exactly the difference.
    """
    transfer_id = transfer.get("id")
    reversed_amount = transfer.get("amount_reversed")
    if not storable(transfer_id) or not transfer_id or len(transfer_id) > 255:
        return None
    if isinstance(reversed_amount, bool) or not isinstance(reversed_amount, int):
        return None
    payout = session.scalars(select(Payout).where(col(Payout.reference) == transfer_id)).first()
    if payout is None or not 0 <= reversed_amount <= 10**15:
        return None
    try:
        reversed_total = stripe_client.from_stripe_amount(reversed_amount, payout.currency)
    except InvalidInput:
        return None
    owed = reversed_total - reversal_booked(session, payout, transfer_id)
    if owed <= 0:
        return None
    return book_adjustment(
        session,
        influencer_id=payout.influencer_id,
        currency=payout.currency,
        amount=owed,
        memo=_reversal_marker(transfer_id, payout),
        reason="transfer_reversed",
    )


def _reversal_marker(transfer_id: str, payout: Payout) -> str:
    return f"transfer {transfer_id} of payout {payout.id} reversed at Stripe"


def reversal_booked(session: Session, payout: Payout, transfer_id: str) -> int:
    """How much of a transfer's reversals is booked back to the influencer already (minor units,
    Codecut's): what ``payouts reconcile`` compares with Stripe's ``amount_reversed``."""
    booked = session.scalar(
        select(func.coalesce(func.sum(col(LedgerEntry.amount)), 0)).where(
            col(LedgerEntry.influencer_id) == payout.influencer_id,
            col(LedgerEntry.kind) == EntryKind.ADJUSTMENT,
            col(LedgerEntry.reason) == "transfer_reversed",
            col(LedgerEntry.memo) == _reversal_marker(transfer_id, payout),
        )
    )
    return int(booked or 0)


def handle_stripe_event(session: Session, event: dict[str, Any], body: str) -> str:
    """Record a verified Stripe event once (its id is unique) and act on the ones that matter.

    Returns ``duplicate``, ``booked`` or ``ignored``.
    """
    event_id = event.get("id")
    if not storable(event_id) or not event_id.strip() or len(event_id) > 255:
        raise InvalidInput("the Stripe event has no usable id")
    kind = event.get("type")
    kind = kind[:100] if storable(kind) else ""
    if "\x00" in body:
        raise InvalidInput("the Stripe event holds a NUL character")
    try:
        with session.begin_nested():
            session.add(StripeEvent(event_id=event_id, type=kind, body=body))
    except IntegrityError:
        return "duplicate"
    if kind == "account.updated":
        return "recorded" if record_account_update(session, event) else "ignored"
    obj = _data_object(event) if kind == "transfer.reversed" else None
    if obj is not None and book_transfer_reversal(session, obj) is not None:
        return "booked"
    return "ignored"


def record_account_update(session: Session, event: dict[str, Any]) -> bool:
    """A connected account's new state, on the influencer it belongs to (if any). Stripe does
    not deliver events in order: one older than what is on file changes nothing."""
    account = _data_object(event)
    account_id = account.get("id") if account else None
    created = event.get("created")
    if account is None or not storable(account_id) or not account_id:
        return False
    if isinstance(created, bool) or not isinstance(created, int) or not 0 < created < 2**33:
        return False
    influencer = session.scalars(
        select(Influencer).where(col(Influencer.stripe_account_id) == account_id).with_for_update()
    ).first()
    if influencer is None:
        return False
    stored = onboarding.record_state(influencer, account, at=datetime.fromtimestamp(created, UTC))
    session.add(influencer)
    return stored


def _data_object(event: dict[str, Any]) -> dict[str, Any] | None:
    """``event.data.object`` when it has the shape Stripe documents, else None (ignored)."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else None
