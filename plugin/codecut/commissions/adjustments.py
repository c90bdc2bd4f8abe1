"""Manual corrections and money Stripe hands back: new approved entries, never edits."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from ..access import audit
from ..errors import InvalidInput
from ..models import Code, EntryKind, EntryStatus, LedgerEntry, Store, id_of, utcnow
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


def _currencies_of(session: Session, influencer_id: int) -> set[str]:
    """The currencies an influencer earns in: their entries' and their codes' stores'."""
    booked = select(col(LedgerEntry.currency)).where(
        col(LedgerEntry.influencer_id) == influencer_id
    )
    selling = (
        select(col(Store.currency))
        .join(Code, col(Code.store_id) == col(Store.id))
        .where(col(Code.influencer_id) == influencer_id)
    )
    return set(session.scalars(booked.union(selling)))


def adjust(
    session: Session,
    *,
    influencer_email: str,
    amount: str,
    currency: str,
    memo: str,
    actor: str,
    new_currency: bool = False,
) -> LedgerEntry:
    """``codecut commissions adjust``: validated first, then booked with its audit event.

    A currency the influencer has never earned in (no entry in it, no code in a store selling in
    it) is most likely a slip (EUR for USD), and would open a balance of its own: refused unless
    ``new_currency`` says it is meant.
    """
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
    known = _currencies_of(session, id_of(influencer))
    if code not in known and not new_currency:
        raise InvalidInput(
            f"{influencer.email} has never earned in {code} "
            f"({'only in ' + ', '.join(sorted(known)) if known else 'nothing yet'}); "
            "give --yes to book an adjustment in a new currency"
        )
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
