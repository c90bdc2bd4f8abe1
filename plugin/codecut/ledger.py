"""The commission ledger: commissions, refund reversals and cancellations, each booked once.

Exactly once comes from the database, never from process memory: every entry a storefront fact
causes carries a ``dedupe_key`` (``commission:<order>``, ``refund:<refund id>``,
``cancel:<order>``) under ``UNIQUE(store_id, dedupe_key)``, and is written with
``INSERT ... ON CONFLICT DO NOTHING``; orders are unique per ``(store_id, external_id)`` the same
way. All work on one order is serialized: SQLite runs every transaction under ``BEGIN
IMMEDIATE``, and PostgreSQL takes a transaction-scoped advisory lock on (store, order) -- which
also covers an order that does not exist yet -- and then locks the order row ``FOR UPDATE``, so two
concurrent refunds never compute from the same "already reversed" sum.

Refunds are proportional and computed on cumulative totals (:func:`reversal_target`), so refunding
everything reverses exactly the commission, to the minor unit. Entries are never edited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from .attribution import Attribution, attribute, attribution_of, no_earning_reason, rule_for
from .models import LedgerEntry, Order, utcnow
from .money import divide_half_up
from .storefronts.base import CancelEvent, Event, OrderEvent, RefundEvent

#: ``reason`` of a reversal: it says which cumulative total its ``base_amount`` counts towards.
REFUND_GOODS = "refund"  # base_amount = refunded goods
REFUND_MONEY = "refund_amount"  # base_amount = refunded money (no goods detail)
CANCELLATION = "cancellation"

PROCESSED, IGNORED, WAITING = "processed", "ignored", "waiting"


# -- the arithmetic ------------------------------------------------------------------------------


def reversal_target(
    commission: int, base: int, money_base: int, refunded_goods: int, refunded_money: int
) -> int:
    """How much of ``commission`` all refunds so far take back, rounded half-up once.

    The refunded fraction is ``min(goods, base) / base`` plus ``min(money, money_base) /
    money_base`` (refunds with goods detail count as goods, the others as money; ``money_base`` is
    the order total without shipping), capped at 1. A zero base with something refunded counts
    as fully refunded. Computed exactly with integers: no floats, one rounding.
    """
    goods_num, goods_den = _fraction(refunded_goods, base)
    money_num, money_den = _fraction(refunded_money, money_base)
    numerator = goods_num * money_den + money_num * goods_den
    denominator = goods_den * money_den
    if numerator >= denominator:
        return commission
    return divide_half_up(commission * numerator, denominator)


def _fraction(part: int, whole: int) -> tuple[int, int]:
    part = max(part, 0)
    if whole <= 0:
        return (1 if part > 0 else 0), 1
    return min(part, whole), whole


def next_reversal(commission: int, already_reversed: int, target: int) -> int:
    """What one more reversal takes back (positive): up to the target, never past the commission."""
    return max(0, min(target, commission) - already_reversed)


# -- booking -------------------------------------------------------------------------------------


@dataclass
class Result:
    """What applying one event did. ``status`` is processed, ignored or waiting."""

    status: str
    reason: str | None = None


@dataclass
class _Entry:
    """The columns of a ledger entry that booking reads back."""

    id: int
    kind: str
    status: str
    amount: int
    base_amount: int | None
    rate_bps: int | None
    available_on: date
    dedupe_key: str | None
    reason: str | None


@dataclass
class _Order:
    """The columns of an order that booking reads and changes."""

    id: int
    external_id: str
    influencer_id: int
    campaign_id: int
    code_id: int
    code_as_entered: str
    base_amount: int
    order_total: int
    shipping_amount: int
    test: bool
    taxes_included: bool
    cancelled_at: datetime | None
    paid_at: datetime | None
    placed_at: datetime | None
    source_updated_at: str | None


# The hot path's statements are built once, on table columns with bound parameters: building a
# SQLAlchemy statement per request costs more than running it.
_ORDERS = Order.__table__  # type: ignore[attr-defined]
_ENTRIES = LedgerEntry.__table__  # type: ignore[attr-defined]
_SELECT_ORDER = (
    select(*(_ORDERS.c[name] for name in _Order.__dataclass_fields__))
    .where(_ORDERS.c.store_id == bindparam("store_id"))
    .where(_ORDERS.c.external_id == bindparam("external_id"))
    .with_for_update()
)
_SELECT_ENTRIES = (
    select(*(_ENTRIES.c[name] for name in _Entry.__dataclass_fields__))
    .where(_ENTRIES.c.order_id == bindparam("order_id"))
    .order_by(_ENTRIES.c.id)
)


@dataclass
class _OrderState:
    order: _Order
    entries: list[_Entry] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)  # written once, in settle()

    @property
    def commission(self) -> _Entry | None:
        return next((e for e in self.entries if e.kind == "commission"), None)

    def has(self, dedupe_key: str) -> bool:
        return any(e.dedupe_key == dedupe_key for e in self.entries)

    def reversed_so_far(self) -> int:
        return -sum(e.amount for e in self.entries if e.kind == "reversal")

    def refunded(self, reason: str) -> int:
        return sum(e.base_amount or 0 for e in self.entries if e.reason == reason)

    def change(self, name: str, value: Any) -> None:
        setattr(self.order, name, value)
        self.changes[name] = value


class Posting:
    """One transaction's bookings for one store. Call :meth:`apply` per event, then :meth:`settle`.

    It works through SQLAlchemy Core on the caller's connection (the hot path of every webhook:
    a handful of cached statements, no ORM objects). ``booked`` lists the orders whose commission
    this transaction booked (their waiting refunds can now be applied); ``unattributed`` the order
    ids found to carry no code of ours.
    """

    def __init__(
        self,
        connection: Connection,
        store_id: int,
        currency: str,
        *,
        hold_days: int,
        now: datetime | None = None,
    ) -> None:
        self.connection = connection
        self.store_id = store_id
        self.currency = currency
        self.hold_days = hold_days
        self.now = now or utcnow()
        self.booked: list[str] = []
        self.unattributed: list[str] = []
        self._states: dict[str, _OrderState | None] = {}
        self._dialect = connection.dialect.name

    # -- events ----------------------------------------------------------------------------------

    def apply(self, event: Event) -> Result:
        if isinstance(event, OrderEvent):
            return self.apply_order(event)
        if isinstance(event, RefundEvent):
            state = self._state(event.order_id)
            if state is None:
                return Result(WAITING, f"order {event.order_id} has not arrived yet")
            return self._apply_refund(state, event)
        if isinstance(event, CancelEvent):
            state = self._state(event.order_id)
            if state is None:
                return Result(WAITING, f"order {event.order_id} has not arrived yet")
            return self._mark_cancelled(state, event.cancelled_at)
        raise TypeError(f"not a storefront event: {event!r}")

    def apply_order(self, event: OrderEvent) -> Result:
        """Create or update the order, book its commission once paid, apply what it embeds."""
        state = self._state(event.order_id)
        attribution: Attribution | None = None
        if state is None:
            attribution = attribute(self.connection, self.store_id, event.codes)
            if attribution is None:
                self.unattributed.append(event.order_id)
                return Result(IGNORED, "the order uses no code of ours")
            state = self._create_order(event, attribution)
            applied, results = True, [Result(PROCESSED, "order recorded")]
        else:
            applied = _is_newer(event.updated_at, state.order.source_updated_at)
            results = [Result(PROCESSED, "order updated")] if applied else []
            if applied:
                self._update_order(state, event)
        if applied and event.paid and state.commission is None:
            results.append(self._book_commission(state, event, attribution))
        for refund in event.refunds:
            outcome = self._apply_refund(state, refund)
            if outcome.status == PROCESSED:
                results.append(outcome)
        if event.cancelled:
            outcome = self._mark_cancelled(state, event.updated_at)
            if outcome.status == PROCESSED:
                results.append(outcome)
        if not results:
            return Result(IGNORED, "duplicate or older snapshot: nothing new")
        return Result(PROCESSED, "; ".join(r.reason for r in results if r.reason))

    def settle(self) -> None:
        """Reverse what is left on every cancelled order touched here, and write order changes.

        Runs after all of a delivery's refunds (and any waiting ones) are applied, so a
        cancellation always takes back what the refunds did not, whatever the arrival order.
        """
        for state in self._states.values():
            if state is None:
                continue
            commission = state.commission
            key = f"cancel:{state.order.external_id}"
            if (
                state.order.cancelled_at is not None
                and commission is not None
                and commission.status != "void"
                and not state.has(key)
            ):
                left = commission.amount - state.reversed_so_far()
                if left > 0:
                    self._insert_entry(
                        state,
                        self._reversal_values(
                            state, commission, -left, None, CANCELLATION, key, "order cancelled"
                        ),
                    )
            if state.changes:
                self.connection.execute(
                    update(_ORDERS).where(_ORDERS.c.id == state.order.id).values(**state.changes)
                )
                state.changes.clear()

    # -- orders ----------------------------------------------------------------------------------

    def _state(self, external_id: str) -> _OrderState | None:
        """The order and its entries, locked for this transaction (cached per transaction)."""
        if external_id in self._states:
            return self._states[external_id]
        self._lock(external_id)
        row = self.connection.execute(
            _SELECT_ORDER, {"store_id": self.store_id, "external_id": external_id}
        ).first()
        state = None
        if row is not None:
            order = _Order(*row)
            entries = self.connection.execute(_SELECT_ENTRIES, {"order_id": order.id}).all()
            state = _OrderState(order, [_Entry(*entry) for entry in entries])
        self._states[external_id] = state
        return state

    def _lock(self, external_id: str) -> None:
        """PostgreSQL: serialize all work on one (store, order), even before the order exists."""
        if self._dialect != "postgresql":
            return  # SQLite: BEGIN IMMEDIATE already serializes every writer
        digest = hashlib.blake2b(f"{self.store_id}:{external_id}".encode(), digest_size=8)
        key = int.from_bytes(digest.digest(), "big", signed=True)
        self.connection.execute(_ADVISORY_LOCK, {"key": key})

    def _create_order(self, event: OrderEvent, attribution: Attribution) -> _OrderState:
        values: dict[str, Any] = {
            "store_id": self.store_id,
            "external_id": event.order_id,
            "code_id": attribution.code_id,
            "influencer_id": attribution.influencer_id,
            "campaign_id": attribution.campaign_id,
            "code_as_entered": attribution.typed[:255],
            "currency": self.currency,
            "self_referral": _same_email(event.buyer_email, attribution.influencer_email),
            "cancelled_at": (event.updated_at or self.now) if event.cancelled else None,
            "placed_at": event.placed_at or self.now,
            "created_at": self.now,
            **self._snapshot(event),
        }
        order_id = self.connection.execute(
            _insert_ignoring(self._dialect, "order"), values
        ).scalar_one_or_none()
        if order_id is None:  # another transaction created it: take the existing row
            self._states.pop(event.order_id, None)
            existing = self._state(event.order_id)
            assert existing is not None
            return existing
        order = _Order(
            **{name: values[name] for name in _Order.__dataclass_fields__ if name != "id"},
            id=order_id,
        )
        state = _OrderState(order)
        self._states[event.order_id] = state
        return state

    def _snapshot(self, event: OrderEvent) -> dict[str, Any]:
        """The columns a newer snapshot replaces."""
        return {
            "order_number": event.order_number,
            "base_amount": event.base_amount,
            "order_total": event.total,
            "shipping_amount": event.shipping,
            "financial_status": event.financial_status,
            "test": event.test,
            "taxes_included": event.taxes_included,
            "paid_at": (event.placed_at or self.now) if event.paid else None,
            "source_updated_at": event.updated_at.astimezone(UTC).isoformat()
            if event.updated_at
            else None,
            "updated_at": self.now,
        }

    def _update_order(self, state: _OrderState, event: OrderEvent) -> None:
        for name, value in self._snapshot(event).items():
            if name == "paid_at" and (value is None or state.order.paid_at is not None):
                continue  # the payment date is kept from the snapshot that first showed it
            if name in _Order.__dataclass_fields__:
                state.change(name, value)
            else:
                state.changes[name] = value

    def _mark_cancelled(self, state: _OrderState, when: datetime | None) -> Result:
        if state.order.cancelled_at is not None:
            return Result(IGNORED, "order already cancelled")
        state.change("cancelled_at", when or self.now)
        return Result(PROCESSED, "order cancelled")

    # -- entries ---------------------------------------------------------------------------------

    def _book_commission(
        self, state: _OrderState, event: OrderEvent, attribution: Attribution | None
    ) -> Result:
        order = state.order
        if attribution is None:
            attribution = attribution_of(self.connection, order.code_id, order.code_as_entered)
        placed = order.placed_at
        reason = no_earning_reason(
            attribution,
            test=order.test,
            buyer_email=event.buyer_email,
            placed_on=placed.date() if placed else None,
        )
        rule = rule_for(attribution)
        amount = 0 if reason else rule.commission(order.base_amount)
        hold = self.hold_days if attribution.hold_days is None else attribution.hold_days
        entry = self._insert_entry(
            state,
            {
                **self._entry_base(state),
                "kind": "commission",
                "status": "pending",
                "amount": amount,
                "base_amount": order.base_amount,
                "rate_bps": rule.rate_bps,
                "available_on": _day(order.paid_at or self.now) + timedelta(days=hold),
                "approved_at": None,
                "dedupe_key": f"commission:{order.external_id}",
                "reason": reason,
                "memo": f"earns nothing: {reason}" if reason else None,
            },
        )
        if entry is None:
            return Result(IGNORED, "commission already booked")
        self.booked.append(order.external_id)
        return Result(PROCESSED, f"commission {reason or 'booked'}")

    def _apply_refund(self, state: _OrderState, refund: RefundEvent) -> Result:
        commission = state.commission
        if commission is None:
            return Result(WAITING, f"order {refund.order_id} is not paid yet")
        key = f"refund:{refund.refund_id}"
        if state.has(key):
            return Result(IGNORED, f"refund {refund.refund_id} already booked")
        if commission.amount == 0 or commission.status == "void":
            return Result(IGNORED, "the order earned nothing: nothing to reverse")
        goods = refund.goods_net_of_tax(state.order.taxes_included)
        if goods is not None:
            reason, value = REFUND_GOODS, goods
        else:
            reason, value = REFUND_MONEY, refund.money or 0
        if value <= 0:
            return Result(IGNORED, f"refund {refund.refund_id} returns no goods: nothing reversed")
        order = state.order
        target = reversal_target(
            commission.amount,
            commission.base_amount or 0,
            order.order_total - order.shipping_amount,
            state.refunded(REFUND_GOODS) + (value if reason == REFUND_GOODS else 0),
            state.refunded(REFUND_MONEY) + (value if reason == REFUND_MONEY else 0),
        )
        amount = next_reversal(commission.amount, state.reversed_so_far(), target)
        values = self._reversal_values(
            state, commission, -amount, value, reason, key, f"refund {refund.refund_id}"
        )
        if self._insert_entry(state, values) is None:
            return Result(IGNORED, f"refund {refund.refund_id} already booked")
        return Result(PROCESSED, f"refund {refund.refund_id} reversed")

    def _reversal_values(
        self,
        state: _OrderState,
        commission: _Entry,
        amount: int,
        base: int | None,
        reason: str,
        key: str,
        memo: str,
    ) -> dict[str, Any]:
        """A reversal nets out with a pending commission, or is a clawback on an approved one."""
        pending = commission.status == "pending"
        return {
            **self._entry_base(state),
            "kind": "reversal",
            "status": "pending" if pending else "approved",
            "amount": amount,
            "base_amount": base,
            "rate_bps": commission.rate_bps,
            "available_on": commission.available_on if pending else _day(self.now),
            "approved_at": None if pending else self.now,
            "dedupe_key": key,
            "reason": reason,
            "memo": memo,
        }

    def _entry_base(self, state: _OrderState) -> dict[str, Any]:
        order = state.order
        return {
            "influencer_id": order.influencer_id,
            "store_id": self.store_id,
            "campaign_id": order.campaign_id,
            "code_id": order.code_id,
            "order_id": order.id,
            "currency": self.currency,
            "payout_id": None,
            "created_at": self.now,
        }

    def _insert_entry(self, state: _OrderState, values: dict[str, Any]) -> _Entry | None:
        """Insert unless the store already has an entry with this dedupe key; None if it has."""
        entry_id = self.connection.execute(
            _insert_ignoring(self._dialect, "entry"), values
        ).scalar_one_or_none()
        if entry_id is None:
            return None
        entry = _Entry(
            id=entry_id,
            **{name: values[name] for name in _Entry.__dataclass_fields__ if name != "id"},
        )
        state.entries.append(entry)
        return entry


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


@lru_cache(maxsize=8)
def _insert_ignoring(dialect: str, what: str) -> Any:
    """``INSERT ... ON CONFLICT (natural key) DO NOTHING RETURNING id``, built once per dialect."""
    module = postgresql if dialect == "postgresql" else sqlite
    table, key = (
        (_ORDERS, ["store_id", "external_id"])
        if what == "order"
        else (
            _ENTRIES,
            ["store_id", "dedupe_key"],
        )
    )
    return module.insert(table).on_conflict_do_nothing(index_elements=key).returning(table.c.id)


def _is_newer(new: datetime | None, stored: str | None) -> bool:
    """A snapshot applies when it is newer than the one kept; without stamps, the later arrival."""
    if new is None or stored is None:
        return True
    return new.astimezone(UTC) > datetime.fromisoformat(stored)


def _same_email(buyer: str | None, influencer: str) -> bool:
    return bool(buyer) and buyer.strip().lower() == influencer.lower()  # type: ignore[union-attr]


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()


def combine(results: list[Result]) -> Result:
    """One status per delivery: waiting wins (it must run again), then processed, then ignored."""
    if not results:
        return Result(IGNORED, "nothing in this delivery concerns commissions")
    for status in (WAITING, PROCESSED):
        chosen = [r for r in results if r.status == status]
        if chosen:
            return Result(status, "; ".join(dict.fromkeys(r.reason for r in chosen if r.reason)))
    return Result(IGNORED, "; ".join(dict.fromkeys(r.reason for r in results if r.reason)))
