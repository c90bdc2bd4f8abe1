"""What a payout run would pay, computed without writing anything (``payouts run --dry-run``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from ..commissions.approval import approved_through
from ..models import PayoutMethod
from ..money import format_minor
from ..reads.balances import PayableGroup, payable_groups
from .methods import (
    STRIPE_ONBOARDING,
    check_method,
    destination_for,
    method_for,
    waits_for_onboarding,
)
from .minimum import PayoutMinimum


@dataclass(frozen=True)
class PlannedPayout:
    influencer_id: int
    influencer_email: str
    currency: str
    amount: int
    entries: int
    method: str
    destination: str

    def as_record(self) -> dict[str, Any]:
        return {
            "influencer_email": self.influencer_email,
            "currency": self.currency,
            "amount": format_minor(self.amount, self.currency),
            "entries": self.entries,
            "method": self.method,
            "destination": self.destination,
        }


@dataclass(frozen=True)
class Waiting:
    """A balance a run leaves unpaid for a reason the influencer can fix (Stripe onboarding)."""

    influencer_id: int
    influencer_email: str
    currency: str
    amount: int
    reason: str

    def as_record(self) -> dict[str, Any]:
        return {
            "influencer_email": self.influencer_email,
            "currency": self.currency,
            "amount": format_minor(self.amount, self.currency),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Plan:
    as_of: date
    payouts: list[PlannedPayout]
    carried_forward: int  # influencer-currency balances left for a later run
    waiting: list[Waiting] = field(default_factory=list)  # at or over the minimum, not payable yet


def payable_by_method(
    session: Session, *, as_of: date | None, method: str | None
) -> list[PayableGroup]:
    """Every payable balance of ``method`` (None: every method) as of ``as_of``."""
    through = approved_through(session, as_of)
    with_account = None if method is None else method == PayoutMethod.STRIPE
    return [
        group
        for group in payable_groups(session, through=through, with_account=with_account)
        if method is None or method_for(group.stripe_account_id) == method
    ]


def groups_to_pay(
    session: Session, *, as_of: date | None, method: str | None
) -> list[PayableGroup]:
    """The payable balances a run of ``method`` on ``as_of`` would pay (minimum aside): not those
    whose Stripe account cannot receive transfers yet."""
    return [
        group
        for group in payable_by_method(session, as_of=as_of, method=method)
        if not waits_for_onboarding(group.stripe_account_id, group.stripe_transfers)
    ]


def plan(
    session: Session, *, as_of: date, minimum: PayoutMinimum, method: str | None = None
) -> Plan:
    """What a run on ``as_of`` would pay."""
    check_method(method)
    payouts: list[PlannedPayout] = []
    waiting: list[Waiting] = []
    carried = 0
    reached = minimum.checker()
    for group in payable_by_method(session, as_of=as_of, method=method):
        if not reached(group.amount, group.currency):
            carried += 1
            continue
        if waits_for_onboarding(group.stripe_account_id, group.stripe_transfers):
            waiting.append(
                Waiting(
                    group.influencer_id,
                    group.email,
                    group.currency,
                    group.amount,
                    STRIPE_ONBOARDING,
                )
            )
            continue
        payouts.append(
            PlannedPayout(
                influencer_id=group.influencer_id,
                influencer_email=group.email,
                currency=group.currency,
                amount=group.amount,
                entries=group.entries,
                method=method_for(group.stripe_account_id),
                destination=destination_for(group.stripe_account_id, group.email),
            )
        )
    return Plan(as_of=as_of, payouts=payouts, carried_forward=carried, waiting=waiting)
