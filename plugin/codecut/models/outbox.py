"""Outgoing webhooks: endpoints other systems registered, the events written for them in the
same transaction as the facts they report, and one delivery per event and endpoint."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import utcnow

#: 64-bit on PostgreSQL; SQLite's rowid is 64-bit already and must be spelt INTEGER.
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at ``next_attempt_at`` (retries included)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up: about three days of retries, or the receiver answered 410


class WebhookEndpoint(SQLModel, table=True):
    """A URL that hears the event types it subscribed to, signed with its own secret."""

    __tablename__ = "codecut_webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    events: str = Field(max_length=500)  # comma-separated event types
    # Signs every delivery (shown once when made or rotated). A rotated-out secret keeps signing
    # beside the new one until ``previous_secret_expires_at``, so receivers can switch over.
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = Field(default=None)
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, sa_type=Text)
    consecutive_failures: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class OutboxEvent(SQLModel, table=True):
    """One event as it is sent: ``body`` is the JSON ``{"id", "type", "created", "data"}``."""

    __tablename__ = "codecut_outbox_event"

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    public_id: str = Field(max_length=40, unique=True)  # evt_...
    type: str = Field(max_length=50)
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event to one endpoint: retried until delivered or given up."""

    __tablename__ = "codecut_webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BIG_ID, primary_key=True))
    event_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("codecut_outbox_event.id"), nullable=False)
    )
    endpoint_id: int = Field(foreign_key="codecut_webhook_endpoint.id")
    status: str = Field(default=DeliveryStatus.PENDING, max_length=20)
    attempts: int = Field(default=0)
    # When it is next due; a worker that claims it moves this past its own lease.
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=500)
    last_response: str | None = Field(default=None, max_length=500)  # an excerpt
    last_attempt_at: datetime | None = Field(default=None)
    delivered_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
