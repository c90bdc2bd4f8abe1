"""Booking storefront events in the ledger: commissions, refund reversals and cancellations,
each exactly once.

Exactly once comes from the database, never from process memory: every entry a storefront fact
causes carries a ``dedupe_key`` (``commission:<order>``, ``refund:<refund id>``,
``cancel:<order>``) under ``UNIQUE(store_id, dedupe_key)``, and is written with
``INSERT ... ON CONFLICT DO NOTHING``; orders are unique per ``(store_id, external_id)`` the same
way. All work on one order is serialized: SQLite runs every writing transaction under ``BEGIN
IMMEDIATE``, and PostgreSQL takes a transaction-scoped advisory lock on (store, order) -- which
also covers an order that does not exist yet -- and then locks the order row ``FOR UPDATE``, so two
concurrent refunds never compute from the same "already reversed" sum.

Entries are never edited: refunds and cancellations are new, negative entries
(:mod:`codecut.commissions.reversal` computes how much).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ..dates import DEFAULT_ZONE, local_day
from ..models import EntryKind, EntryStatus, EventStatus, utcnow
from ..outbox.events import Outbox
from ..outbox.payloads import entry_payload
from ..storefronts.base import CancelEvent, Event, OrderEvent, RefundEvent
from . import leaks
from .approval import approved_through
from .attribution import (
    Attribution,
    attribute,
    attribution_of,
    is_self_referral,
    no_earning_reason,
    rule_for,
)
from .order_state import (
    ENTRIES,
    INSERTED_HAS_WAITING,
    ORDERS,
    SELECT_ENTRIES,
    SELECT_ORDER,
    EntryRow,
    OrderRow,
    OrderState,
)
from .reversal import next_reversal, reversal_target

#: ``reason`` of a reversal: it says which cumulative total its ``base_amount`` counts towards.
REFUND_GOODS = "refund"  # base_amount = refunded goods
REFUND_MONEY = "refund_amount"  # base_amount = refunded money (no goods detail)
CANCELLATION = "cancellation"

PROCESSED, IGNORED, WAITING = EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.WAITING
#: Why a code-less order is ignored; its refunds and cancellations are ignored with it.
NOT_OURS = "the order uses no code of ours"


@dataclass
class Result:
    """What applying one event did. ``status`` is processed, ignored or waiting."""

    status: str
    reason: str | None = None


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
        timezone: str = DEFAULT_ZONE,
        coupon_sites: frozenset[str] = frozenset(),
        subscriptions: str | None = None,
    ) -> None:
        self.connection = connection
        self.store_id = store_id
        self.currency = currency
        self.timezone = timezone  # the store's: holds and campaign dates count its days
        self.coupon_sites = coupon_sites  # the brand's own, beside the packaged list
        self.hold_days = hold_days
        self.now = now or utcnow()
        self.booked: list[str] = []
        self.unattributed: list[str] = []
        self._states: dict[str, OrderState | None] = {}
        self._through: date | None = None
        self._through_read = False
        self._dialect = connection.dialect.name
        self.outbox = Outbox(connection, self.now, subscriptions)

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
            key = leaks.repeat_buyer.customer_key(
                self.store_id, event.customer_id, event.buyer_email
            )
            attribution = attribute(self.connection, self.store_id, event.codes, key)
            if attribution is None:
                self.unattributed.append(event.order_id)
                return Result(IGNORED, NOT_OURS)
            state = self._create_order(event, attribution, key)
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
                and commission.status != EntryStatus.VOID
                and not state.has(key)
            ):
                left = commission.amount - state.reversed_so_far()
                if left > 0:
                    self._insert_entry(
                        state,
                        self._reversal_values(
                            state,
                            commission,
                            -left,
                            None,
                            CANCELLATION,
                            key,
                            "order cancelled",
                            happened=state.order.cancelled_at,
                        ),
                    )
            if state.changes:
                self.connection.execute(
                    update(ORDERS).where(ORDERS.c.id == state.order.id).values(**state.changes)
                )
                state.changes.clear()

    def may_have_waiting(self, external_id: str) -> bool:
        """Whether deliveries may wait for this order (False only when its read said none)."""
        state = self._states.get(external_id)
        return state is None or state.has_waiting

    # -- orders ----------------------------------------------------------------------------------

    def _state(self, external_id: str) -> OrderState | None:
        """The order and its entries, locked for this transaction (cached per transaction)."""
        if external_id in self._states:
            return self._states[external_id]
        self._lock(external_id)
        row = self.connection.execute(
            SELECT_ORDER, {"store_id": self.store_id, "external_id": external_id}
        ).first()
        state = None
        if row is not None:
            *columns, has_waiting = row
            order = OrderRow(*columns)
            entries = self.connection.execute(SELECT_ENTRIES, {"order_id": order.id}).all()
            state = OrderState(
                order, [EntryRow(*entry) for entry in entries], has_waiting=has_waiting
            )
        self._states[external_id] = state
        return state

    def _lock(self, external_id: str) -> None:
        """PostgreSQL: serialize all work on one (store, order), even before the order exists."""
        if self._dialect != "postgresql":
            return  # SQLite: BEGIN IMMEDIATE already serializes every writer
        digest = hashlib.blake2b(f"{self.store_id}:{external_id}".encode(), digest_size=8)
        key = int.from_bytes(digest.digest(), "big", signed=True)
        self.connection.execute(_ADVISORY_LOCK, {"key": key})

    def _create_order(
        self, event: OrderEvent, attribution: Attribution, key: str | None
    ) -> OrderState:
        values: dict[str, Any] = {
            "store_id": self.store_id,
            "external_id": event.order_id,
            "code_id": attribution.code_id,
            "influencer_id": attribution.influencer_id,
            "campaign_id": attribution.campaign_id,
            "code_as_entered": attribution.typed[:255],
            "currency": self.currency,
            "customer_key": key,
            "self_referral": is_self_referral(event.buyer_email, attribution.influencer_email)
            or attribution.customer_self_referred,
            "cancelled_at": (event.updated_at or self.now) if event.cancelled else None,
            "placed_at": event.placed_at or self.now,
            "created_at": self.now,
            **self._snapshot(event, attribution.typed),
        }
        inserted = self.connection.execute(_insert_ignoring(self._dialect, "order"), values).first()
        if inserted is None:  # another transaction created it: take the existing row
            self._states.pop(event.order_id, None)
            existing = self._state(event.order_id)
            assert existing is not None
            return existing
        order_id, has_waiting = inserted
        order = OrderRow(
            **{name: values[name] for name in OrderRow.__dataclass_fields__ if name != "id"},
            id=order_id,
        )
        state = OrderState(order, has_waiting=has_waiting)
        self._states[event.order_id] = state
        return state

    def _snapshot(self, event: OrderEvent, typed: str) -> dict[str, Any]:
        """The columns a newer snapshot replaces (``typed``: the attributed code as typed)."""
        return {
            "discount_amount": dict(event.discounts).get(typed, 0),
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

    def _update_order(self, state: OrderState, event: OrderEvent) -> None:
        for name, value in self._snapshot(event, state.order.code_as_entered).items():
            if name == "paid_at" and (value is None or state.order.paid_at is not None):
                continue  # the payment date is kept from the snapshot that first showed it
            if name in OrderRow.__dataclass_fields__:
                state.change(name, value)
            else:
                state.changes[name] = value

    def _mark_cancelled(self, state: OrderState, when: datetime | None) -> Result:
        if state.order.cancelled_at is not None:
            return Result(IGNORED, "order already cancelled")
        state.change("cancelled_at", when or self.now)
        return Result(PROCESSED, "order cancelled")

    # -- entries ---------------------------------------------------------------------------------

    def _book_commission(
        self, state: OrderState, event: OrderEvent, attribution: Attribution | None
    ) -> Result:
        order = state.order
        if attribution is None:
            attribution = attribution_of(self.connection, order.code_id, order.code_as_entered)
        placed = order.placed_at
        reason = no_earning_reason(
            attribution,
            test=order.test,
            buyer_email=event.buyer_email,
            placed_on=local_day(placed, self.timezone) if placed else None,
            known_self_referral=order.self_referral,
        )
        rule = rule_for(attribution)
        amount = 0 if reason else rule.commission(order.base_amount)
        hold = self.hold_days if attribution.hold_days is None else attribution.hold_days
        # Leak rules only hold what would be paid; a commission that earns nothing stays as is.
        flagged = (
            leaks.rules_for(
                self.connection,
                influencer_id=order.influencer_id,
                code_id=order.code_id,
                placed_at=order.placed_at or self.now,
                sources=event.sources,
                customer_key=order.customer_key,
                thresholds=leaks.Thresholds.stored(attribution.leak_thresholds),
                extra_coupon_sites=self.coupon_sites,
            )
            if amount > 0
            else []
        )
        entry = self._insert_entry(
            state,
            {
                **self._entry_base(state),
                "kind": EntryKind.COMMISSION,
                "status": EntryStatus.HELD if flagged else EntryStatus.PENDING,
                "amount": amount,
                "base_amount": order.base_amount,
                "rate_bps": rule.rate_bps,
                "available_on": local_day(order.paid_at or self.now, self.timezone)
                + timedelta(days=hold),
                "dedupe_key": f"commission:{order.external_id}",
                "reason": reason or (",".join(flagged) if flagged else None),
                "memo": f"earns nothing: {reason}" if reason else None,
                "occurred_at": order.placed_at or self.now,
            },
        )
        if entry is None:
            return Result(IGNORED, "commission already booked")
        self.booked.append(order.external_id)
        if flagged:
            return Result(PROCESSED, f"commission held for review ({', '.join(flagged)})")
        return Result(PROCESSED, f"commission {reason or 'booked'}")

    def _apply_refund(self, state: OrderState, refund: RefundEvent) -> Result:
        commission = state.commission
        if commission is None:
            return Result(WAITING, f"order {refund.order_id} is not paid yet")
        key = f"refund:{refund.refund_id}"
        if state.has(key):
            return Result(IGNORED, f"refund {refund.refund_id} already booked")
        if commission.amount == 0 or commission.status == EntryStatus.VOID:
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
            state,
            commission,
            -amount,
            value,
            reason,
            key,
            f"refund {refund.refund_id}",
            happened=refund.created_at,
        )
        if self._insert_entry(state, values) is None:
            return Result(IGNORED, f"refund {refund.refund_id} already booked")
        return Result(PROCESSED, f"refund {refund.refund_id} reversed")

    def _reversal_values(
        self,
        state: OrderState,
        commission: EntryRow,
        amount: int,
        base: int | None,
        reason: str,
        key: str,
        memo: str,
        *,
        happened: datetime | None,
    ) -> dict[str, Any]:
        """A reversal nets out with a pending commission, or is a clawback on an approved one.

        ``happened``: when the refund or cancellation took place (else: now, when Codecut hears
        of it).
        """
        when = happened or self.now
        held = commission.status == EntryStatus.HELD
        # A held commission's reversal follows it (review.py clears or voids the two together):
        # a refund must never claw back money that was never paid.
        pending = held or self._still_pending(commission)
        status = EntryStatus.PENDING if pending else EntryStatus.APPROVED
        return {
            **self._entry_base(state),
            "kind": EntryKind.REVERSAL,
            "status": EntryStatus.HELD if held else status,
            "amount": amount,
            "base_amount": base,
            "rate_bps": commission.rate_bps,
            "available_on": (
                commission.available_on if pending else local_day(self.now, self.timezone)
            ),
            "dedupe_key": key,
            "reason": reason,
            "memo": memo,
            "occurred_at": when,
            "refunded_at": when,
        }

    def _still_pending(self, commission: EntryRow) -> bool:
        """Inside its hold: booked pending and no approval has reached its day yet (the
        approval watermark is read once per transaction, and only when a reversal needs it)."""
        if commission.status != EntryStatus.PENDING:
            return False
        if not self._through_read:
            self._through, self._through_read = approved_through(self.connection), True
        return self._through is None or commission.available_on > self._through

    def _entry_base(self, state: OrderState) -> dict[str, Any]:
        order = state.order
        return {
            "influencer_id": order.influencer_id,
            "store_id": self.store_id,
            "campaign_id": order.campaign_id,
            "code_id": order.code_id,
            "order_id": order.id,
            "currency": self.currency,
            "created_at": self.now,
        }

    def _insert_entry(self, state: OrderState, values: dict[str, Any]) -> EntryRow | None:
        """Insert unless the store already has an entry with this dedupe key; None if it has."""
        entry_id = self.connection.execute(
            _insert_ignoring(self._dialect, "entry"), values
        ).scalar_one_or_none()
        if entry_id is None:
            return None
        entry = EntryRow(
            id=entry_id,
            **{name: values[name] for name in EntryRow.__dataclass_fields__ if name != "id"},
        )
        state.entries.append(entry)
        self._announce(entry)
        return entry

    def _announce(self, entry: EntryRow) -> None:
        """Tell subscribed endpoints, in this transaction: it commits with the entry or never."""

        def data() -> dict[str, Any]:
            return entry_payload(self.connection, entry.id)

        if entry.kind == EntryKind.COMMISSION:
            self.outbox.emit("commission.created", data)
            if entry.status == EntryStatus.HELD:
                self.outbox.emit("review.flagged", data)
        elif entry.kind == EntryKind.REVERSAL:
            self.outbox.emit("commission.reversed", data)


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


@lru_cache(maxsize=8)
def _insert_ignoring(dialect: str, what: str) -> Any:
    """``INSERT ... ON CONFLICT (natural key) DO NOTHING RETURNING id``, built once per dialect
    (an order also returns whether deliveries wait for it)."""
    module = postgresql if dialect == "postgresql" else sqlite
    if what == "order":
        insert = module.insert(ORDERS).on_conflict_do_nothing(index_elements=ORDER_KEY)
        return insert.returning(ORDERS.c.id, INSERTED_HAS_WAITING)
    insert = module.insert(ENTRIES).on_conflict_do_nothing(index_elements=ENTRY_KEY)
    return insert.returning(ENTRIES.c.id)


ORDER_KEY = ["store_id", "external_id"]
ENTRY_KEY = ["store_id", "dedupe_key"]


def _is_newer(new: datetime | None, stored: str | None) -> bool:
    """A snapshot applies when it is newer than the one kept; without stamps, the later arrival."""
    if new is None or stored is None:
        return True
    return new.astimezone(UTC) > datetime.fromisoformat(stored)


def combine(results: list[Result]) -> Result:
    """One status per delivery: waiting wins (it must run again), then processed, then ignored."""
    if not results:
        return Result(IGNORED, "nothing in this delivery concerns commissions")
    for status in (WAITING, PROCESSED):
        chosen = [r for r in results if r.status == status]
        if chosen:
            return Result(status, "; ".join(dict.fromkeys(r.reason for r in chosen if r.reason)))
    return Result(IGNORED, "; ".join(dict.fromkeys(r.reason for r in results if r.reason)))
