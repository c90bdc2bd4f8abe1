"""Manual corrections and money Stripe hands back: new approved entries, never edits."""

from __future__ import annotations

from sqlmodel import Session

from ..access import audit
from ..errors import InvalidInput
from ..models import EntryKind, EntryStatus, LedgerEntry, id_of, utcnow
from ..money import MoneyError, currency_code, format_minor, to_minor
from ..programme.influencers import get_influencer


def book_adjustment(
    session: Session,
    *,
    influencer_id: int,
    currency: str,
    amount: int,
    memo: str,
    reason: str,
) -> LedgerEntry:
    """An approved entry, payable today: corrections are owed (or taken back) at once."""
    now = utcnow()
    entry = LedgerEntry(
        influencer_id=influencer_id,
        kind=EntryKind.ADJUSTMENT,
        status=EntryStatus.APPROVED,
        currency=currency,
        amount=amount,
        available_on=now.date(),
        reason=reason,
        memo=memo,
        occurred_at=now,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def adjust(
    session: Session,
    *,
    influencer_email: str,
    amount: str,
    currency: str,
    memo: str,
    actor: str,
) -> LedgerEntry:
    """``codecut commissions adjust``: validated first, then booked with its audit event."""
    influencer = get_influencer(session, influencer_email)
    try:
        code = currency_code(currency)
        minor = to_minor(amount, code)
    except MoneyError as error:
        raise InvalidInput(str(error)) from None
    if minor == 0:
        raise InvalidInput("an adjustment of zero changes nothing")
    if not memo or not memo.strip():
        raise InvalidInput("an adjustment needs a memo saying why")
    entry = book_adjustment(
        session,
        influencer_id=id_of(influencer),
        currency=code,
        amount=minor,
        memo=memo.strip(),
        reason="manual",
    )
    audit.record(
        session,
        actor=actor,
        action="commission.adjust",
        subject_type="ledger_entry",
        subject_id=entry.id,
        detail={
            "influencer": influencer.email,
            "amount": format_minor(minor, code),
            "currency": code,
            "memo": entry.memo,
        },
    )
    return entry
