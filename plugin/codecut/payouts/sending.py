"""Sending Stripe payouts so that money leaves once, whatever fails and whenever.

The idempotency key (payout + attempt) is committed with status ``processing`` before Stripe is
called. A payout found ``processing`` later is first looked up at Stripe (transfer group + payout
metadata); only then is the same key sent again. A new key is used only after Stripe answered
with a non-success for the old one and the lookup found no transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from ..db import rowcount, transaction
from ..errors import InvalidInput
from ..models import Influencer, Payout, PayoutMethod, PayoutStatus, utcnow
from ..outbox.events import emit
from ..reads.records import payout_records
from . import stripe_client

#: New keys one send may use after Stripe answered with an error and no transfer was found.
_NEW_ATTEMPTS_PER_SEND = 1


def idempotency_key(payout_id: int, attempt: int) -> str:
    return f"codecut-payout-{payout_id}-attempt-{attempt}"


#: Every transfer Codecut makes is in a group named for its batch (reconcile looks for them).
TRANSFER_GROUP_PREFIX = "codecut-batch-"


def transfer_group(batch_id: int) -> str:
    return f"{TRANSFER_GROUP_PREFIX}{batch_id}"


@dataclass(frozen=True)
class _Sending:
    payout_id: int
    batch_id: int
    amount: int
    currency: str
    destination: str
    email: str
    key: str
    attempt: int
    resumed: bool


def _claim(engine: Engine, payout_id: int) -> _Sending | None:
    """Commit status ``processing`` and the key before any call; None if not ours to send."""
    with transaction(engine) as session:
        payout = session.get(Payout, payout_id)
        if payout is None or payout.method != PayoutMethod.STRIPE:
            return None
        resumed = payout.status == PayoutStatus.PROCESSING
        if payout.status == PayoutStatus.PENDING:
            key = idempotency_key(payout_id, payout.attempt)
            result = session.execute(
                update(Payout)
                .where(col(Payout.id) == payout_id, col(Payout.status) == PayoutStatus.PENDING)
                .values(status=PayoutStatus.PROCESSING, idempotency_key=key, sent_at=utcnow())
            )
            if rowcount(result) != 1:
                return None
            payout.idempotency_key = key
        elif not resumed:
            return None
        influencer = session.get(Influencer, payout.influencer_id)
        return _Sending(
            payout_id=payout_id,
            batch_id=payout.batch_id,
            amount=payout.amount,
            currency=payout.currency,
            destination=payout.destination or "",
            email=influencer.email if influencer else "",
            key=payout.idempotency_key or idempotency_key(payout_id, payout.attempt),
            attempt=payout.attempt,
            resumed=resumed,
        )


def _finish_paid(engine: Engine, payout_id: int, transfer_id: str) -> None:
    """The transfer exists: the payout is paid (and with it, the entries it settles)."""
    with transaction(engine) as session:
        result = session.execute(
            update(Payout)
            .where(col(Payout.id) == payout_id, col(Payout.status) == PayoutStatus.PROCESSING)
            .values(
                status=PayoutStatus.PAID,
                reference=transfer_id,
                paid_at=utcnow(),
                failure_code=None,
                failure_message=None,
            )
        )
        if rowcount(result) == 1:
            announce(session, payout_id, "payout.paid")


def mark_failed(engine: Engine, payout_id: int, code: str | None, message: str | None) -> None:
    """A payout that could not even be sent: failed, its entries waiting for a retry or a
    cancel. One already sent (``processing``) is left as it is: only a lookup at Stripe may
    settle it, or money could leave twice."""
    with transaction(engine) as session:
        result = session.execute(
            update(Payout)
            .where(col(Payout.id) == payout_id, col(Payout.status) == PayoutStatus.PENDING)
            .values(status=PayoutStatus.FAILED, failure_code=code, failure_message=message)
        )
        if rowcount(result) == 1:
            announce(session, payout_id, "payout.failed")


def _finish_failed(engine: Engine, payout_id: int, code: str | None, message: str | None) -> None:
    with transaction(engine) as session:
        result = session.execute(
            update(Payout)
            .where(col(Payout.id) == payout_id, col(Payout.status) == PayoutStatus.PROCESSING)
            .values(status=PayoutStatus.FAILED, failure_code=code, failure_message=message)
        )
        if rowcount(result) == 1:
            announce(session, payout_id, "payout.failed")


def _note_unknown(engine: Engine, payout_id: int, code: str | None, message: str | None) -> None:
    with transaction(engine) as session:
        session.execute(
            update(Payout)
            .where(col(Payout.id) == payout_id, col(Payout.status) == PayoutStatus.PROCESSING)
            .values(failure_code=code, failure_message=f"outcome unknown: {message}")
        )


def _next_attempt(engine: Engine, sending: _Sending) -> _Sending | None:
    """A new key, committed before use; None if another process moved the payout on."""
    attempt = sending.attempt + 1
    key = idempotency_key(sending.payout_id, attempt)
    with transaction(engine) as session:
        result = session.execute(
            update(Payout)
            .where(
                col(Payout.id) == sending.payout_id,
                col(Payout.status) == PayoutStatus.PROCESSING,
                col(Payout.attempt) == sending.attempt,
            )
            .values(attempt=attempt, idempotency_key=key, sent_at=utcnow())
        )
        if rowcount(result) != 1:
            return None
    return _Sending(**{**sending.__dict__, "attempt": attempt, "key": key, "resumed": False})


def send_payout(engine: Engine, client: Any, payout_id: int) -> str:
    """Send one Stripe payout (or finish one left ``processing``); returns its status."""
    sending = _claim(engine, payout_id)
    if sending is None:
        return _status(engine, payout_id)
    group = transfer_group(sending.batch_id)
    if sending.resumed:
        found = stripe_client.find_transfer(client, transfer_group=group, payout_id=payout_id)
        if found:
            _finish_paid(engine, payout_id, found)
            return "paid"
    try:
        stripe_client.to_stripe_amount(sending.amount, sending.currency)
    except InvalidInput as error:
        _finish_failed(engine, payout_id, "amount_not_expressible", error.message)
        return PayoutStatus.FAILED
    new_keys = 0
    while True:
        outcome = stripe_client.create_transfer(
            client,
            amount=sending.amount,
            currency=sending.currency,
            destination=sending.destination,
            transfer_group=group,
            metadata={
                "payout_id": str(payout_id),
                "batch_id": str(sending.batch_id),
                "influencer_email": sending.email,
            },
            idempotency_key=sending.key,
        )
        if outcome.status == "paid":
            _finish_paid(engine, payout_id, outcome.transfer_id or "")
            return "paid"
        if outcome.status == "declined":
            _finish_failed(engine, payout_id, outcome.code, outcome.message)
            return PayoutStatus.FAILED
        found = stripe_client.find_transfer(client, transfer_group=group, payout_id=payout_id)
        if found:
            _finish_paid(engine, payout_id, found)
            return "paid"
        if outcome.answered and new_keys < _NEW_ATTEMPTS_PER_SEND:
            following = _next_attempt(engine, sending)
            if following is not None:
                sending, new_keys = following, new_keys + 1
                continue
        _note_unknown(engine, payout_id, outcome.code, outcome.message)
        return "processing"


def _status(engine: Engine, payout_id: int) -> str:
    with transaction(engine) as session:
        payout = session.get(Payout, payout_id)
        return payout.status if payout else "missing"


def stripe_payouts_to_send(engine: Engine) -> list[int]:
    """Stripe payouts not yet sent, or sent with an unknown outcome, from any batch."""
    with transaction(engine, readonly=True) as session:
        return list(
            session.scalars(
                select(col(Payout.id))
                .where(
                    col(Payout.method) == PayoutMethod.STRIPE,
                    col(Payout.status).in_((PayoutStatus.PENDING, PayoutStatus.PROCESSING)),
                )
                .order_by(col(Payout.id))
            )
        )


def announce(session: Session, payout_id: int, kind: str) -> None:
    """``payout.paid`` or ``payout.failed`` to subscribed endpoints, in the caller's transaction."""

    def data() -> dict[str, Any]:
        payout = session.get(Payout, payout_id, populate_existing=True)
        assert payout is not None
        return payout_records(session, [payout])[0]

    emit(session, kind, data)
