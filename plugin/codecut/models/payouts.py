"""Payout batches and the payouts that settle ledger entries."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from .base import utcnow


class BatchStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


class PayoutStatus(StrEnum):
    PENDING = "pending"  # made, not sent (manual payouts wait here until marked paid)
    PROCESSING = "processing"  # sent to Stripe, outcome not known yet
    PAID = "paid"
    FAILED = "failed"  # Stripe declined; its entries wait for a retry or a cancel
    CANCELLED = "cancelled"  # its entries went back to the payable balance


class PayoutMethod(StrEnum):
    STRIPE = "stripe"  # a transfer to the influencer's connected account
    MANUAL = "manual"  # paid outside Codecut, then marked paid with a reference


class PayoutBatch(SQLModel, table=True):
    """One payout run. At most one is ``running`` at a time (a partial unique index)."""

    __tablename__ = "codecut_payout_batch"
    __table_args__ = (
        Index(
            "uq_codecut_payout_batch_one_running",
            "status",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    method: str | None = Field(default=None, max_length=20)  # a PayoutMethod; None: every one
    status: str = Field(default=BatchStatus.RUNNING, max_length=20)
    # A crashed run leaves its batch running; a new run may take it over once the lease expires.
    lease_expires_at: datetime | None = Field(default=None)
    # The process holding the lease ("host:pid:token"), so a dead owner can be proven gone.
    owner: str | None = Field(default=None, max_length=200)
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = Field(default=None)


class Payout(SQLModel, table=True):
    """Money owed to one influencer in one currency, settled as one transfer or manual payment."""

    __tablename__ = "codecut_payout"
    __table_args__ = (
        UniqueConstraint("batch_id", "influencer_id", "currency"),
        Index(None, "influencer_id", "created_at"),
        Index(None, "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="codecut_payout_batch.id")
    influencer_id: int = Field(foreign_key="codecut_influencer.id")
    currency: str = Field(max_length=3)
    amount: int = Field(sa_type=BigInteger)
    entry_count: int = Field(default=0)
    method: str = Field(max_length=20)  # a PayoutMethod
    destination: str | None = Field(default=None, max_length=255)  # acct_... or the email
    status: str = Field(default=PayoutStatus.PENDING, max_length=20)
    reference: str | None = Field(default=None, max_length=255)  # tr_... or the manual reference
    attempt: int = Field(default=1)
    # Derived from the payout and attempt and stored before Stripe is called.
    idempotency_key: str | None = Field(default=None, max_length=255)
    failure_code: str | None = Field(default=None, max_length=100)
    failure_message: str | None = Field(default=None, sa_type=Text)
    period_end: date
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None)
    paid_at: datetime | None = Field(default=None)


class Settlement(SQLModel, table=True):
    """Which payout settles a ledger entry: the entry's id is the key, so an entry is settled by
    at most one payout -- a database constraint, whatever runs, crashes or retries.

    A narrow table written once per entry (never an update of the ledger), removed for a
    cancelled payout so its entries become payable again. It has no foreign keys on purpose:
    their per-row checks were two thirds of a million-entry settlement's time, and settlement only
    ever links entries and payouts it has just read; ``codecut verify`` checks that every row
    names an existing entry and payout.

    On PostgreSQL the payout's index is a BRIN one: a run appends its rows together and payout
    ids only grow, so the block ranges of one batch are found as fast (a payout's rows are read
    from its batch's blocks), while keeping a b-tree up to date was a third of settling a
    million entries. SQLite keeps a b-tree.
    """

    __tablename__ = "codecut_settlement"
    __table_args__ = (
        Index("ix_codecut_settlement_payout_id", "payout_id", postgresql_using="brin"),
    )

    entry_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    payout_id: int


class StripeEvent(SQLModel, table=True):
    """A Stripe webhook event already handled; the unique id absorbs Stripe's redeliveries."""

    __tablename__ = "codecut_stripe_event"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=255, unique=True)
    type: str = Field(max_length=100)
    body: str = Field(sa_type=Text)
    received_at: datetime = Field(default_factory=utcnow)
