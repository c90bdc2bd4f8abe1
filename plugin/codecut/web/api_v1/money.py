"""Payouts and their batches, orders, ledger entries and adjustments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from flask import request
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response as Documented
from sqlalchemy import select
from sqlmodel import col

from ...commissions.adjustments import adjust
from ...dates import check_period
from ...db import transaction
from ...errors import NotFound
from ...models import (
    Campaign,
    Code,
    EntryStatus,
    Influencer,
    LedgerEntry,
    Order,
    Payout,
    PayoutBatch,
    PayoutStatus,
    Store,
)
from ...programme import influencers
from ...reads import exports
from ...reads.records import entry_record, iso, order_record, payout_records
from ..downloads import download
from .base import (
    MAX_ID,
    PageQuery,
    actor,
    api_v1,
    engine,
    keyset,
    narrowed,
    needs,
    page,
    spec,
)
from .catalog import ERRORS, WRITE_ERRORS, Open


class PayoutOut(Open):
    payout_id: int
    batch_id: int
    influencer_email: str
    currency: str
    amount: str
    status: str
    method: str


class PayoutList(BaseModel):
    items: list[PayoutOut]
    next_cursor: str | None = None


class PayoutQuery(PageQuery):
    batch: int | None = Field(None, ge=1, le=MAX_ID)
    status: PayoutStatus | None = None
    influencer: str | None = Field(None, max_length=254)


class BatchOut(BaseModel):
    batch_id: int
    as_of: str
    method: str | None
    status: str
    created_by: str | None
    created_at: str
    completed_at: str | None


class BatchList(BaseModel):
    items: list[BatchOut]
    next_cursor: str | None = None


class Dated(PageQuery):
    campaign: str | None = Field(None, max_length=100)
    influencer: str | None = Field(None, max_length=254)
    first: date | None = Field(None, alias="from")
    last: date | None = Field(None, alias="to")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OrderOut(BaseModel):
    store: str
    order_id: str
    order_number: str | None
    code: str
    influencer_email: str
    campaign: str
    currency: str
    base_amount: str
    order_total: str
    discount_amount: str
    placed_at: str
    cancelled_at: str | None
    test: bool
    self_referral: bool


class OrderList(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = None


class EntryQuery(Dated):
    status: EntryStatus | None = None
    kind: Literal["commission", "reversal", "adjustment"] | None = None


class EntryOut(BaseModel):
    entry_id: int
    influencer_email: str
    kind: str
    status: str
    currency: str
    amount: str
    reason: str | None
    memo: str | None
    available_on: str
    occurred_at: str
    order_id: str | None


class EntryList(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None = None


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    influencer: str = Field(max_length=254)
    amount: str = Field(max_length=30, description="Signed, e.g. -12.50.")
    currency: str = Field(min_length=3, max_length=3)
    memo: str = Field(min_length=1, max_length=500)
    new_currency: bool = False


def _window(statement: Any, column: Any, query: Dated) -> Any:
    check_period(query.first, query.last)
    if query.first:
        statement = statement.where(column >= datetime.combine(query.first, time(), UTC))
    if query.last:
        statement = statement.where(
            column < datetime.combine(query.last + timedelta(days=1), time(), UTC)
        )
    return statement


@api_v1.get("/api/v1/payouts")
@needs("read")
@spec.validate(query=PayoutQuery, resp=Documented(HTTP_200=PayoutList, **ERRORS), tags=["payouts"])
def list_payouts() -> Any:
    query: PayoutQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        statement = select(Payout)
        if query.batch:
            statement = statement.where(col(Payout.batch_id) == query.batch)
        if query.status:
            statement = statement.where(col(Payout.status) == query.status.value)
        if query.influencer:
            statement = statement.where(
                col(Payout.influencer_id)
                == influencers.get_influencer(session, query.influencer).id
            )
        rows = list(session.scalars(keyset(statement, col(Payout.id), query)))
        return page(payout_records(session, rows), [p.id or 0 for p in rows], query.limit)


@api_v1.get("/api/v1/payout-batches")
@needs("read")
@spec.validate(query=PageQuery, resp=Documented(HTTP_200=BatchList, **ERRORS), tags=["payouts"])
def list_batches() -> Any:
    query: PageQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        rows = session.scalars(keyset(select(PayoutBatch), col(PayoutBatch.id), query)).all()
        items = [
            {
                "batch_id": b.id,
                "as_of": iso(b.as_of),
                "method": b.method,
                "status": b.status,
                "created_by": b.created_by,
                "created_at": iso(b.created_at),
                "completed_at": iso(b.completed_at),
            }
            for b in rows
        ]
        return page(items, [b.id or 0 for b in rows], query.limit)


@api_v1.get("/api/v1/orders")
@needs("read")
@spec.validate(query=Dated, resp=Documented(HTTP_200=OrderList, **ERRORS), tags=["orders"])
def list_orders() -> Any:
    """Orders that used a code of ours, by id; ``from``/``to`` filter by the day placed (UTC)."""
    query: Dated = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        statement = (
            select(Order, Store.domain, Code.code, Influencer.email, Campaign.slug)  # type: ignore[call-overload]
            .join(Store, col(Store.id) == col(Order.store_id))
            .join(Code, col(Code.id) == col(Order.code_id))
            .join(Influencer, col(Influencer.id) == col(Order.influencer_id))
            .join(Campaign, col(Campaign.id) == col(Order.campaign_id))
        )
        statement = narrowed(
            session,
            statement,
            campaign=query.campaign,
            influencer=query.influencer,
            campaign_column=col(Order.campaign_id),
            influencer_column=col(Order.influencer_id),
        )
        statement = _window(statement, col(Order.placed_at), query)
        rows = session.execute(keyset(statement, col(Order.id), query)).all()
        items = [order_record(*row) for row in rows]
        return page(items, [row[0].id for row in rows], query.limit)


@api_v1.get("/api/v1/ledger-entries")
@needs("read")
@spec.validate(query=EntryQuery, resp=Documented(HTTP_200=EntryList, **ERRORS), tags=["ledger"])
def list_entries() -> Any:
    """Ledger entries by id, as booked (``status`` is the stored one: pending, approved, held,
    void; ``paid`` is derived and shown by the exports)."""
    query: EntryQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        statement = (
            select(LedgerEntry, Influencer.email, Order.external_id)  # type: ignore[call-overload]
            .join(Influencer, col(Influencer.id) == col(LedgerEntry.influencer_id))
            .outerjoin(Order, col(Order.id) == col(LedgerEntry.order_id))
        )
        statement = narrowed(
            session,
            statement,
            campaign=query.campaign,
            influencer=query.influencer,
            campaign_column=col(LedgerEntry.campaign_id),
            influencer_column=col(LedgerEntry.influencer_id),
        )
        if query.status:
            statement = statement.where(col(LedgerEntry.status) == query.status.value)
        if query.kind:
            statement = statement.where(col(LedgerEntry.kind) == query.kind)
        statement = _window(statement, col(LedgerEntry.occurred_at), query)
        rows = session.execute(keyset(statement, col(LedgerEntry.id), query)).all()
        items = [entry_record(e, email, external) for e, email, external in rows]
        return page(items, [row[0].id for row in rows], query.limit)


@api_v1.post("/api/v1/adjustments")
@needs("finance")
@spec.validate(
    json=AdjustmentIn, resp=Documented(HTTP_201=EntryOut, **WRITE_ERRORS), tags=["ledger"]
)
def add_adjustment() -> Any:
    """A manual correction, booked and audited (as `codecut commissions adjust`)."""
    body: AdjustmentIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        entry = adjust(
            session,
            influencer_email=body.influencer,
            amount=body.amount,
            currency=body.currency,
            memo=body.memo,
            actor=actor(),
            new_currency=body.new_currency,
        )
        influencer = session.get(Influencer, entry.influencer_id)
        assert influencer is not None
        return entry_record(entry, influencer.email, None), 201


# -- exports (finance) ---------------------------------------------------------------------------


class BatchExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch: int | None = Field(None, ge=1, le=MAX_ID)


class LedgerExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: date | None = Field(None, alias="from")
    last: date | None = Field(None, alias="to")
    by: Literal["recorded", "order"] = "recorded"


_FILES = Documented(HTTP_200=None, **ERRORS)


@api_v1.get("/api/v1/exports/payouts.<any(csv, xlsx):fmt>")
@needs("finance")
@spec.validate(query=BatchExportQuery, resp=_FILES, tags=["exports"])
def export_payouts(fmt: str) -> Any:
    """The payout export (all, or one batch's) as CSV or XLSX, as the finance API sends it."""
    query: BatchExportQuery = request.context.query  # type: ignore[attr-defined]
    if query.batch is not None:
        with transaction(engine(), readonly=True) as session:
            if session.get(PayoutBatch, query.batch) is None:
                raise NotFound(f"no payout batch with id {query.batch}")
    return download(exports.payouts_export(batch_id=query.batch), fmt)


@api_v1.get("/api/v1/exports/ledger.<any(csv, xlsx):fmt>")
@needs("finance")
@spec.validate(query=LedgerExportQuery, resp=_FILES, tags=["exports"])
def export_ledger(fmt: str) -> Any:
    """The ledger over a period (days in each store's zone) as CSV or XLSX."""
    query: LedgerExportQuery = request.context.query  # type: ignore[attr-defined]
    which = exports.LedgerFilter(date_from=query.first, date_to=query.last, by=query.by)
    return download(exports.ledger_export(which), fmt)
