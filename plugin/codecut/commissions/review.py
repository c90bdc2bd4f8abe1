"""Deciding held commissions: a person clears them (they go on to be paid) or voids them.

A commission a leak rule flags (:mod:`codecut.commissions.leaks`) is booked ``held``: in no
payable balance and in no payout run until someone decides. Its refund reversals are booked
held too, and every decision moves them with it: cleared, both continue their normal hold
(``pending`` until an approval reaches their day, then payable); voided, both are ``void`` and
never paid. No money entry is written and no amount changes; each decision is in the audit log
with its operator and memo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from ..access import audit
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Campaign, Code, EntryKind, EntryStatus, Influencer, LedgerEntry, Order
from ..money import format_minor
from . import leaks

#: ``review list --rule``: the leak rules, and self-referral (listed for information, never held).
SELF_REFERRAL = "self_referral"
RULE_NAMES = (*leaks.RULES, SELF_REFERRAL)


#: How a decision's memo starts on the entry (the reviewer's words follow).
_DECIDED = ("cleared after review: ", "voided after review: ")


def is_review_memo(memo: str | None) -> bool:
    """Whether a memo is a review decision's (the portal shows those to the influencer)."""
    return memo is not None and memo.startswith(_DECIDED)


def rules_of(entry: LedgerEntry) -> list[str]:
    """The rule names an entry's ``reason`` records (comma-separated when several fired)."""
    return [name for name in (entry.reason or "").split(",") if name in RULE_NAMES]


@dataclass(frozen=True)
class Reviewed:
    """One commission under (or after) review, as ``review list`` and ``review show`` print it."""

    entry: LedgerEntry
    order_id: str | None
    code: str | None
    influencer_email: str
    campaign: str | None

    def as_record(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry.id,
            "order_id": self.order_id,
            "code": self.code,
            "influencer_email": self.influencer_email,
            "campaign": self.campaign,
            "rules": rules_of(self.entry),
            "amount": format_minor(self.entry.amount, self.entry.currency),
            "currency": self.entry.currency,
            "status": self.entry.status,
            "memo": self.entry.memo,
        }


def _query() -> Any:
    return (
        select(
            LedgerEntry,
            col(Order.external_id),
            col(Code.code),
            col(Influencer.email),
            col(Campaign.slug),
        )
        .join(Influencer, col(Influencer.id) == col(LedgerEntry.influencer_id))
        .outerjoin(Order, col(Order.id) == col(LedgerEntry.order_id))
        .outerjoin(Code, col(Code.id) == col(LedgerEntry.code_id))
        .outerjoin(Campaign, col(Campaign.id) == col(LedgerEntry.campaign_id))
        .where(col(LedgerEntry.kind) == EntryKind.COMMISSION)
    )


def _check_rule(rule: str | None) -> None:
    if rule is not None and rule not in RULE_NAMES:
        raise InvalidInput(f"unknown rule {rule!r}: use one of {', '.join(RULE_NAMES)}")


def held(
    session: Session,
    *,
    campaign: str | None = None,
    rule: str | None = None,
    code: str | None = None,
) -> list[Reviewed]:
    """Held commissions, oldest first; ``rule="self_referral"`` lists the self-referrals instead
    (they earn nothing and are never held: shown for information)."""
    _check_rule(rule)
    query = _query()
    if rule == SELF_REFERRAL:
        query = query.where(col(LedgerEntry.reason) == SELF_REFERRAL)
    else:
        query = query.where(col(LedgerEntry.status) == EntryStatus.HELD)
        if rule is not None:
            query = query.where(col(LedgerEntry.reason).contains(rule))
    if campaign is not None:
        query = query.where(col(Campaign.slug) == campaign.strip().lower())
    if code is not None:
        query = query.where(col(Code.code) == code.strip().upper())
    rows = session.execute(query.order_by(col(LedgerEntry.id))).all()
    found = [Reviewed(*row) for row in rows]
    if rule is not None and rule != SELF_REFERRAL:
        found = [r for r in found if rule in rules_of(r.entry)]
    return found


def show(session: Session, entry_id: int) -> Reviewed:
    """One commission entry with its order, code and rules; NotFound for any other id."""
    row = session.execute(_query().where(col(LedgerEntry.id) == entry_id)).first()
    if row is None:
        raise NotFound(f"no commission entry {entry_id}")
    return Reviewed(*row)


def _targets(
    session: Session, entry_ids: Sequence[int], code: str | None, rule: str | None
) -> list[Reviewed]:
    if not entry_ids and code is None and rule is None:
        raise InvalidInput("name the entries to decide: ENTRY_ID..., --code CODE or --rule RULE")
    if rule == SELF_REFERRAL:
        raise InvalidInput("self-referrals are never held: there is nothing to decide")
    targets = [show(session, entry_id) for entry_id in dict.fromkeys(entry_ids)]
    for target in targets:
        if target.entry.status != EntryStatus.HELD:
            raise Conflict(f"entry {target.entry.id} is not held (it is {target.entry.status})")
    if code is not None or rule is not None:
        found = held(session, code=code, rule=rule)
        if not found:
            raise NotFound("no held commission matches --code/--rule")
        known = {t.entry.id for t in targets}
        targets += [r for r in found if r.entry.id not in known]
    return targets


def _decide(
    session: Session,
    status: EntryStatus,
    entry_ids: Sequence[int],
    *,
    memo: str,
    actor: str,
    code: str | None,
    rule: str | None,
) -> list[Reviewed]:
    if not memo or not memo.strip():
        raise InvalidInput("a review decision needs a memo saying why")
    memo = memo.strip()
    targets = _targets(session, entry_ids, code, rule)
    for target in targets:
        entry = target.entry
        # The held reversals of the same order follow the commission.
        session.execute(
            update(LedgerEntry)
            .where(
                col(LedgerEntry.order_id) == entry.order_id,
                col(LedgerEntry.kind) == EntryKind.REVERSAL,
                col(LedgerEntry.status) == EntryStatus.HELD,
            )
            .values(status=status)
        )
        rules = rules_of(entry)
        entry.status = status
        entry.memo = f"{_DECIDED[0] if status == EntryStatus.PENDING else _DECIDED[1]}{memo}"
        session.add(entry)
        audit.record(
            session,
            actor=actor,
            action=f"review.{'clear' if status == EntryStatus.PENDING else 'void'}",
            subject_type="ledger_entry",
            subject_id=entry.id,
            detail={
                "order_id": target.order_id,
                "code": target.code,
                "rules": rules,
                "amount": format_minor(entry.amount, entry.currency),
                "currency": entry.currency,
                "memo": memo,
            },
        )
    session.flush()
    return targets


def clear(
    session: Session,
    entry_ids: Sequence[int],
    *,
    memo: str,
    actor: str,
    code: str | None = None,
    rule: str | None = None,
) -> list[Reviewed]:
    """Release held commissions (and their held reversals) to their normal hold."""
    return _decide(
        session, EntryStatus.PENDING, entry_ids, memo=memo, actor=actor, code=code, rule=rule
    )


def void(
    session: Session,
    entry_ids: Sequence[int],
    *,
    memo: str,
    actor: str,
    code: str | None = None,
    rule: str | None = None,
) -> list[Reviewed]:
    """Void held commissions (and their held reversals): never paid, no new money entry."""
    return _decide(
        session, EntryStatus.VOID, entry_ids, memo=memo, actor=actor, code=code, rule=rule
    )
