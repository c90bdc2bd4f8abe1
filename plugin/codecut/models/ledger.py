"""Attributed orders and the append-only commission ledger."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from .base import utcnow


class EntryKind(StrEnum):
    COMMISSION = "commission"
    REVERSAL = "reversal"  # a refund or cancellation taking (part of) a commission back
    ADJUSTMENT = "adjustment"  # a manual correction, or money Stripe handed back


class EntryStatus(StrEnum):
    """The statuses people see in exports and the API (derived in :mod:`codecut.reads.balances`).

    An entry stores ``pending`` or ``approved`` when booked (approved for adjustments and clawbacks,
    which have no hold) and ``held`` or ``void`` when a person reviews it. Approval and payment
    never rewrite it: an entry is approved once an approval (:class:`Approval`) reaches its
    ``available_on``, and paid once a paid payout settles it (:class:`~.payouts.Settlement`).
    """

    PENDING = "pending"  # inside its hold
    APPROVED = "approved"  # hold ended: payable, or in a payout not yet paid
    HELD = "held"  # flagged for review: in no balance that is paid
    PAID = "paid"  # in a paid payout (derived, never stored)
    VOID = "void"  # never paid


class Order(SQLModel, table=True):
    """A storefront order that used one of our codes: the latest snapshot Codecut accepted."""

    __tablename__ = "codecut_order"
    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index(None, "influencer_id", "placed_at"),
        # The repeat-buyer rule counts one customer's orders with a code in a window of days.
        Index(None, "code_id", "customer_key", "placed_at"),
        # The spike rule reads a code's first order and its orders per day (leaks.spike).
        # It leads with the influencer so the repeat-buyer count never mistakes it for its own.
        Index(None, "influencer_id", "code_id", "placed_at"),
        # The customers who self-referred, per influencer: a few orders, found without reading
        # every order of an influencer on each booking (leaks.repeat_buyer).
        Index(
            "ix_codecut_order_self_referral",
            "influencer_id",
            "customer_key",
            sqlite_where=text("self_referral IS 1"),
            postgresql_where=text("self_referral IS true"),
        ),
        # What changed since the campaign figures were last kept (codecut.reads.kpi_days).
        Index(None, "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="codecut_store.id")
    external_id: str = Field(max_length=64)  # the storefront's own id, kept as text
    order_number: str | None = Field(default=None, max_length=64)
    code_id: int = Field(foreign_key="codecut_code.id")
    influencer_id: int = Field(foreign_key="codecut_influencer.id")
    campaign_id: int = Field(foreign_key="codecut_campaign.id")
    code_as_entered: str = Field(max_length=255)
    currency: str = Field(max_length=3)
    # Goods after discounts, without shipping, tax, duties and tips, in the shop's currency.
    base_amount: int = Field(default=0, sa_type=BigInteger)
    order_total: int = Field(default=0, sa_type=BigInteger)
    # What the attributed code took off the order (shop money): the discount cost in reports.
    discount_amount: int = Field(default=0, sa_type=BigInteger)
    # Shipping inside order_total: money-only refunds are measured against total - shipping.
    shipping_amount: int = Field(default=0, sa_type=BigInteger)
    financial_status: str | None = Field(default=None, max_length=40)
    test: bool = Field(default=False)
    # Prices include tax: refunded line subtotals then carry tax the base does not.
    taxes_included: bool = Field(default=False)
    self_referral: bool = Field(default=False)
    # SHA-256 of the store's customer id, or of the buyer's lowercased email for a guest: the
    # repeat-buyer rule counts one customer's orders on a code without keeping who they are.
    customer_key: str | None = Field(default=None, max_length=64)
    cancelled_at: datetime | None = Field(default=None)
    paid_at: datetime | None = Field(default=None)
    placed_at: datetime = Field(default_factory=utcnow)
    # The storefront's own modification time, as sent: snapshots only move forward.
    source_updated_at: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LedgerEntry(SQLModel, table=True):
    """One line of the append-only ledger. Money is never edited: corrections are new entries.

    ``dedupe_key`` carries the exactly-once rule: it names the storefront fact an entry books
    (``commission:<order>``, ``refund:<refund id>``, ``cancel:<order>``), unique per store, so a
    duplicate delivery -- in any worker, on any machine -- fails the insert instead of paying twice.
    Adjustments have none.
    """

    __tablename__ = "codecut_ledger_entry"
    __table_args__ = (
        UniqueConstraint("store_id", "dedupe_key"),
        # One influencer's entries by when their facts happened; it also carries what the
        # portal's weekly chart sums, so that query never visits the table.
        Index(
            "ix_codecut_ledger_entry_influencer_time",
            "influencer_id",
            "occurred_at",
            "currency",
            "status",
            "amount",
        ),
        # An influencer's balances (codecut.reads.balances), covering, so they are read from the
        # index alone.
        Index(
            "ix_codecut_ledger_entry_influencer_status",
            "influencer_id",
            "status",
            "kind",
            "currency",
            "amount",
            "available_on",
        ),
        Index(None, "status", "available_on"),
        Index(None, "order_id"),
        # Commissions with a reason (a leak rule, a test or own order): a few in a million, so
        # the codes a rule flagged lately are found without reading the month's commissions.
        Index(
            "ix_codecut_ledger_entry_with_reason",
            "occurred_at",
            "code_id",
            "influencer_id",
            sqlite_where=text("kind = 'commission' AND reason IS NOT NULL"),
            postgresql_where=text("kind = 'commission' AND reason IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    influencer_id: int = Field(foreign_key="codecut_influencer.id")
    store_id: int | None = Field(default=None, foreign_key="codecut_store.id")
    campaign_id: int | None = Field(default=None, foreign_key="codecut_campaign.id")
    code_id: int | None = Field(default=None, foreign_key="codecut_code.id")
    order_id: int | None = Field(default=None, foreign_key="codecut_order.id")
    kind: str = Field(max_length=20)  # an EntryKind
    status: str = Field(default=EntryStatus.PENDING, max_length=20)  # an EntryStatus
    currency: str = Field(max_length=3)
    amount: int = Field(sa_type=BigInteger)  # signed minor units
    # The goods value the amount was computed from (commission) or that was refunded (reversal).
    base_amount: int | None = Field(default=None, sa_type=BigInteger)
    rate_bps: int | None = Field(default=None)
    available_on: date  # the day the hold ends: approved once an approval reaches it
    dedupe_key: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(
        default=None, max_length=40
    )  # test_order, self_referral, refund, ...
    memo: str | None = Field(default=None, sa_type=Text)
    # When the fact happened: the order was placed (commissions), refunded or cancelled
    # (reversals), or the correction was made (adjustments). Reports by order date use it;
    # ``created_at`` is when Codecut recorded it, which a late webhook or a replay moves.
    occurred_at: datetime = Field(default_factory=utcnow)
    # The refund's own time (or the cancellation's), for reversals.
    refunded_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class Approval(SQLModel, table=True):
    """One approval: every entry whose hold ends by ``approved_through`` is approved.

    Approving a million entries is one row, not a million updates; the latest (largest) day is
    the one that counts, so approvals only ever move forward.
    """

    __tablename__ = "codecut_approval"

    id: int | None = Field(default=None, primary_key=True)
    approved_through: date = Field(index=True)
    approved_at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
