"""One order and its ledger entries as booking sees them, read once per transaction.

Plain dataclasses over the columns booking reads and changes, and the prebuilt Core statements
that load them: the hot path of every webhook uses no ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, literal_column, select

from ..models import EntryKind, EventStatus, LedgerEntry, Order, WebhookEvent, table_of


@dataclass
class EntryRow:
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
class OrderRow:
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
    customer_key: str | None
    self_referral: bool


# The hot path's statements are built once, on table columns with bound parameters: building a
# SQLAlchemy statement per request costs more than running it.
ORDERS = table_of(Order)
ENTRIES = table_of(LedgerEntry)
EVENTS = table_of(WebhookEvent)


def waiting_for(store_id: Any, external_id: Any) -> tuple[ColumnElement[bool], ...]:
    """Stored deliveries that wait for the order (``store_id``, ``external_id``: columns or
    bound parameters): refunds and cancellations that came before the order or its payment."""
    return (
        EVENTS.c.store_id == store_id,
        EVENTS.c.order_external_id == external_id,
        EVENTS.c.status == EventStatus.WAITING.value,
    )


#: Read with the order (selected, or returned by its insert), so that a booking looks for
#: waiting deliveries only when there are some: most orders never have any.
HAS_WAITING = exists().where(*waiting_for(ORDERS.c.store_id, ORDERS.c.external_id))
#: The same, in an insert's RETURNING: the inserted row's columns named in full by hand, because
#: SQLAlchemy does not correlate a subquery there (it would join every order).
INSERTED_HAS_WAITING = exists().where(
    *waiting_for(
        literal_column(f"{ORDERS.name}.store_id"), literal_column(f"{ORDERS.name}.external_id")
    )
)
SELECT_ORDER = (
    select(*(ORDERS.c[name] for name in OrderRow.__dataclass_fields__), HAS_WAITING)
    .where(ORDERS.c.store_id == bindparam("store_id"))
    .where(ORDERS.c.external_id == bindparam("external_id"))
    .with_for_update()
)
SELECT_ENTRIES = (
    select(*(ENTRIES.c[name] for name in EntryRow.__dataclass_fields__))
    .where(ENTRIES.c.order_id == bindparam("order_id"))
    .order_by(ENTRIES.c.id)
)


@dataclass
class OrderState:
    """An order, its entries, and the column changes waiting to be written."""

    order: OrderRow
    entries: list[EntryRow] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)  # written once, in settle()
    has_waiting: bool = True  # deliveries wait for this order (:data:`HAS_WAITING`)

    @property
    def commission(self) -> EntryRow | None:
        return next((e for e in self.entries if e.kind == EntryKind.COMMISSION), None)

    def has(self, dedupe_key: str) -> bool:
        return any(e.dedupe_key == dedupe_key for e in self.entries)

    def reversed_so_far(self) -> int:
        return -sum(e.amount for e in self.entries if e.kind == EntryKind.REVERSAL)

    def refunded(self, reason: str) -> int:
        return sum(e.base_amount or 0 for e in self.entries if e.reason == reason)

    def change(self, name: str, value: Any) -> None:
        setattr(self.order, name, value)
        self.changes[name] = value
