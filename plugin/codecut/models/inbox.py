"""The raw webhook inbox: every signed delivery, exactly as it arrived."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from .base import utcnow


class EventStatus(StrEnum):
    """What processing made of a stored delivery."""

    #: It changed the ledger or the order it describes.
    PROCESSED = "processed"
    #: Nothing to do: no code of ours, a stale snapshot, a duplicate.
    IGNORED = "ignored"
    #: A refund or cancellation whose order has not arrived yet.
    WAITING = "waiting"
    #: The sender's fault: not JSON, or JSON without what Codecut needs (``reason`` says what).
    REJECTED = "rejected"
    #: Processing failed on our side; replay it with ``codecut events replay`` once fixed.
    FAILED = "failed"


class WebhookEvent(SQLModel, table=True):
    """One signed delivery from a storefront, stored raw so it can be replayed.

    ``status`` is an :class:`EventStatus`.
    """

    __tablename__ = "codecut_webhook_event"
    __table_args__ = (
        Index(None, "status", "id"),
        Index(None, "store_id", "order_external_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int | None = Field(default=None, foreign_key="codecut_store.id")
    source: str = Field(max_length=20)  # shopify | woocommerce | generic | stripe
    # How it reached Codecut: ``webhook`` (the store sent it) or ``reconcile`` (Codecut pulled
    # it from the store's Admin API because the webhook was missed).
    via: str = Field(
        default="webhook", max_length=20, sa_column_kwargs={"server_default": "webhook"}
    )
    topic: str = Field(default="", max_length=100)
    delivery_id: str | None = Field(default=None, max_length=255)
    event_id: str | None = Field(default=None, max_length=255)
    triggered_at: str | None = Field(default=None, max_length=64)
    # The storefront's order id this delivery is about (as a string: ids exceed 2^53).
    order_external_id: str | None = Field(default=None, max_length=64)
    headers: str = Field(default="{}", sa_type=Text)  # JSON of the headers that matter
    body: bytes = Field(sa_type=LargeBinary)
    status: str = Field(default="processed", max_length=20)
    reason: str | None = Field(default=None, sa_type=Text)
    attempts: int = Field(default=1)
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = Field(default=None)
