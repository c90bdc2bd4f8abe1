"""What finance does with one payout afterwards: mark a manual one paid, cancel, retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col

from ..access import audit
from ..db import transaction
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Influencer, Payout, PayoutMethod, PayoutStatus, Settlement, utcnow
from .sending import announce, send_payout


def get_payout(session: Session, payout_id: int) -> Payout:
    """The payout with this id, or :class:`NotFound`."""
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound(f"no payout with id {payout_id}")
    return payout


def mark_paid(session: Session, payout_id: int, *, reference: str, actor: str) -> Payout:
    """A manual payout was paid outside Codecut: record the reference; entries become paid."""
    reference = reference.strip()
    if not reference:
        raise InvalidInput("a reference (the bank or PayPal transaction id) is required")
    payout = get_payout(session, payout_id)
    if payout.status == PayoutStatus.PAID:
        raise Conflict(f"payout {payout_id} is already paid ({payout.reference})")
    if payout.method != PayoutMethod.MANUAL:
        raise Conflict(f"payout {payout_id} is paid through Stripe, not by hand")
    if payout.status != PayoutStatus.PENDING:
        raise Conflict(f"payout {payout_id} is {payout.status}; only a pending payout can be paid")
    payout.status = PayoutStatus.PAID
    payout.reference = reference
    payout.paid_at = utcnow()
    session.add(payout)
    session.flush()
    announce(session, payout_id, "payout.paid")
    audit.record(
        session,
        actor=actor,
        action="payout.mark_paid",
        subject_type="payout",
        subject_id=payout_id,
        detail={"reference": reference},
    )
    return payout


def cancel(session: Session, payout_id: int, *, actor: str) -> Payout:
    """Give the payout's entries back to the payable balance; the payout stays, cancelled."""
    payout = get_payout(session, payout_id)
    if payout.status == PayoutStatus.PROCESSING:
        raise Conflict(
            f"payout {payout_id} was sent and its outcome is not known yet; run "
            "`codecut payouts run` to settle it with Stripe first"
        )
    if payout.status not in (PayoutStatus.PENDING, PayoutStatus.FAILED):
        raise Conflict(f"payout {payout_id} is {payout.status} and cannot be cancelled")
    session.execute(delete(Settlement).where(col(Settlement.payout_id) == payout_id))
    payout.status = PayoutStatus.CANCELLED
    session.add(payout)
    audit.record(
        session, actor=actor, action="payout.cancel", subject_type="payout", subject_id=payout_id
    )
    return payout


def retry(engine: Engine, client_factory: Callable[[], Any], payout_id: int, *, actor: str) -> str:
    """Send a failed Stripe payout again, as a new attempt with a new key, to the influencer's
    current connected account (the cause, e.g. a restricted account, may have been fixed).

    The Stripe client is built only once the payout is known to be retryable, and before
    anything is written: without a usable Stripe key nothing changes.
    """
    with transaction(engine) as session:
        payout = get_payout(session, payout_id)
        if payout.method != PayoutMethod.STRIPE or payout.status != PayoutStatus.FAILED:
            kind = "manual" if payout.method == PayoutMethod.MANUAL else payout.status
            raise Conflict(
                f"payout {payout_id} is {kind}; only a failed Stripe payout can be retried"
            )
        influencer = session.get(Influencer, payout.influencer_id)
        account = influencer.stripe_account_id if influencer else None
        if not account:
            raise Conflict(
                f"{influencer.email if influencer else 'the influencer'} has no Stripe account"
            )
        client = client_factory()
        attempt = payout.attempt + 1
        session.execute(
            update(Payout)
            .where(col(Payout.id) == payout_id, col(Payout.status) == PayoutStatus.FAILED)
            .values(
                status=PayoutStatus.PENDING,
                attempt=attempt,
                destination=account,
                failure_code=None,
                failure_message=None,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="payout.retry",
            subject_type="payout",
            subject_id=payout_id,
            detail={"attempt": attempt, "destination": account},
        )
    return send_payout(engine, client, payout_id)
