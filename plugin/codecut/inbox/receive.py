"""Receiving one storefront delivery: verify it, store it raw, book it, in one transaction.

A crash therefore leaves nothing (the storefront retries onto a clean slate) or everything. A
delivery whose processing raises is rolled back and stored again, alone, as ``failed``;
:mod:`codecut.inbox.replay` runs stored deliveries through this very code path once the cause is
fixed. Refunds and cancellations that arrive before their order are stored as ``waiting`` and
applied, in arrival order, by the transaction that books the order's commission.

Every signed delivery is kept, duplicates included: a duplicate is stored with status ``ignored``
and the reason, and changes nothing else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from ..commissions.order_state import waiting_for
from ..commissions.posting import NOT_OURS, Posting, Result, combine
from ..db import connection_transaction, is_transient, transaction
from ..errors import Unauthorized
from ..models import EventStatus, Store, WebhookEvent, table_of, utcnow
from ..outbox.events import SUBSCRIPTIONS
from ..storefronts.base import Event, Rejected, StorefrontAdapter, header
from ..writer_queue import writer_queue

log = logging.getLogger("codecut")

STATUSES = tuple(s.value for s in EventStatus)
NOT_JSON = "the body is not JSON"


@dataclass(frozen=True)
class Receipt:
    """What happened to one delivery: its status, why, and the stored event's id."""

    status: str
    reason: str | None = None
    event_id: int | None = None

    @property
    def not_json(self) -> bool:
        return self.status == EventStatus.REJECTED and self.reason == NOT_JSON

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "event": self.event_id}


def kept_headers(headers: Mapping[str, str]) -> str:
    """The headers worth keeping with the body: the platform's ``X-*`` ones and the content type."""
    kept = {
        name: value
        for name, value in headers.items()
        if name.lower().startswith("x-") or name.lower() in ("content-type", "user-agent")
    }
    return json.dumps(kept, sort_keys=True)


@dataclass
class Row:
    """The part of a stored delivery that processing reads and sets."""

    topic: str
    body: bytes
    id: int | None = None
    status: str = EventStatus.PROCESSED
    reason: str | None = None
    order_external_id: str | None = None
    processed_at: datetime | None = None


_EVENTS = table_of(WebhookEvent)
_STORES = table_of(Store)
# The hot path's statements, built once (building one costs more than running it).
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_SELECT_STORE = select(
    _STORES.c.id,
    _STORES.c.currency,
    _STORES.c.timezone,
    _STORES.c.webhook_secret,
    _STORES.c.previous_webhook_secret,
    SUBSCRIPTIONS.label("subscriptions"),  # who listens to what booking emits, in this read
).where(_STORES.c.domain == bindparam("domain"), _STORES.c.platform == bindparam("platform"))
_WAITING = waiting_for(bindparam("for_store"), bindparam("for_order"))
_SELECT_WAITING = (
    select(_EVENTS.c.id, _EVENTS.c.topic, _EVENTS.c.body).where(*_WAITING).order_by(_EVENTS.c.id)
)
_IGNORE_WAITING = (
    update(_EVENTS)
    .where(*_WAITING)
    .values(
        status=EventStatus.IGNORED.value,
        reason=NOT_OURS,
        processed_at=bindparam("at"),
    )
)
#: A delivery of this order was ignored for carrying no code of ours.
_NOT_OURS = (
    select(_EVENTS.c.id)
    .where(
        _EVENTS.c.store_id == bindparam("for_store"),
        _EVENTS.c.order_external_id == bindparam("for_order"),
        _EVENTS.c.status == EventStatus.IGNORED.value,
        _EVENTS.c.reason == NOT_OURS,
    )
    .limit(1)
)
_SET_STATUS = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event"))
    .values(status=bindparam("new_status"), reason=bindparam("why"), processed_at=bindparam("at"))
)


def receive(
    engine: Engine,
    adapter: StorefrontAdapter,
    body: bytes,
    headers: Mapping[str, str],
    *,
    hold_days: int,
    coupon_sites: frozenset[str] = frozenset(),
) -> Receipt:
    """Verify, store and process one delivery in one transaction.

    The store and its secrets are read first and the signature checked before anything of the
    body is parsed (on SQLite in a read-only transaction of its own, before the write lock; on
    PostgreSQL first thing in the one transaction). Raises :class:`~codecut.errors.Unauthorized`
    (nothing written) for an unknown store or a bad signature, and lets transient database errors
    through (the transaction rolled back).
    """
    delivery = adapter.delivery(headers)
    fields: dict[str, Any] = {
        "source": adapter.platform,
        "topic": delivery.topic[:100],
        "delivery_id": _clip(delivery.delivery_id, 255),
        "event_id": _clip(delivery.event_id, 255),
        "triggered_at": _clip(delivery.triggered_at, 64),
        "headers": kept_headers(headers),
        "body": body,
        "received_at": utcnow(),
    }
    if engine.dialect.name == "sqlite":
        # SQLite has one write lock: verify and read the body before taking it, so that
        # unsigned junk never holds it and the lock is held only for the booking itself.
        with connection_transaction(engine, readonly=True) as connection:
            store = _signed_store(connection, adapter, body, headers)
        reading = read(adapter, fields["topic"], body, store.currency)
    else:
        store = reading = None  # PostgreSQL locks rows, not the database: one transaction
    try:
        with writer_queue(engine), connection_transaction(engine) as connection:
            if store is None:
                store = _signed_store(connection, adapter, body, headers)
            fields["store_id"] = store.id
            row = Row(fields["topic"], body)
            process(
                connection,
                store,
                adapter,
                row,
                hold_days=hold_days,
                reading=reading,
                coupon_sites=coupon_sites,
                subscriptions=store.subscriptions,
            )
            row.id = insert_event(connection, fields, row)
            return Receipt(row.status, row.reason, row.id)
    except Unauthorized:
        raise
    except Exception as error:
        if is_transient(error):
            raise
        return store_failed(engine, fields, error)


def insert_event(connection: Connection, fields: dict[str, Any], row: Row) -> int:
    """Store a processed delivery (or pulled order) with what processing made of it."""
    return int(
        connection.execute(
            _INSERT_EVENT,
            {
                **fields,
                "status": row.status,
                "reason": row.reason,
                "order_external_id": row.order_external_id,
                "processed_at": row.processed_at,
                "attempts": 1,
            },
        ).scalar_one()
    )


# -- the one code path ---------------------------------------------------------------------------


def _signed_store(
    connection: Connection, adapter: StorefrontAdapter, body: bytes, headers: Mapping[str, str]
) -> Any:
    for name in (adapter.store_header, adapter.signature_header):
        if not header(headers, name):
            raise Unauthorized(f"missing header {name}")
    domain = adapter.store_domain(headers)
    store = (
        connection.execute(
            _SELECT_STORE, {"domain": domain.strip().lower(), "platform": adapter.platform}
        ).first()
        if domain
        else None
    )
    if store is None:
        raise Unauthorized("unknown store: no store of this platform has that domain")
    secrets = [s for s in (store.webhook_secret, store.previous_webhook_secret) if s]
    if not adapter.verify(body, headers, secrets):
        raise Unauthorized("the signature does not match the store's webhook secret")
    return store


#: What a verified body says: the events it carries, or why it is rejected.
Reading = tuple[Event, ...] | Result


def read(adapter: StorefrontAdapter, topic: str, body: bytes, currency: str) -> Reading:
    """Decode and parse a verified body (pure: no database, so it can run before any lock)."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Result(EventStatus.REJECTED, NOT_JSON)
    try:
        return tuple(adapter.parse(topic, payload, currency))
    except Rejected as rejected:
        return Result(EventStatus.REJECTED, rejected.reason)


def process(
    connection: Connection,
    store: Any,
    adapter: StorefrontAdapter,
    row: Row,
    *,
    hold_days: int,
    reading: Reading | None = None,
    coupon_sites: frozenset[str] = frozenset(),
    subscriptions: str | None = None,
) -> None:
    """Apply the events of the raw body (``reading``, when it was read already); sets the row's
    status and reason.

    ``store`` is anything with ``id`` and ``currency`` (a Store, or a row of those columns);
    ``subscriptions`` the outbox's, when they were read with it (else read when needed).
    """
    row.processed_at = utcnow()
    events = read(adapter, row.topic, row.body, store.currency) if reading is None else reading
    if isinstance(events, Result):
        _set(row, events)
        return
    row.order_external_id = events[0].order_id if events else None
    posting = Posting(
        connection,
        store.id,
        store.currency,
        hold_days=hold_days,
        now=row.processed_at,
        timezone=store.timezone,
        coupon_sites=coupon_sites,
        subscriptions=subscriptions,
    )
    result = combine([posting.apply(event) for event in events])
    _drain(connection, store, adapter, posting, exclude=row.id)
    posting.settle()
    if result.status == EventStatus.WAITING and _order_not_ours(connection, store, row):
        # The order came first and carried none of our codes: nothing will ever arrive to wait for.
        result = Result(EventStatus.IGNORED, NOT_OURS)
    _set(row, result)


def _order_not_ours(connection: Connection, store: Any, row: Row) -> bool:
    if row.order_external_id is None:
        return False
    found = connection.execute(
        _NOT_OURS, {"for_store": store.id, "for_order": row.order_external_id}
    ).first()
    return found is not None


def _drain(
    connection: Connection,
    store: Any,
    adapter: StorefrontAdapter,
    posting: Posting,
    *,
    exclude: int | None,
) -> None:
    """Apply the waiting deliveries of orders this transaction booked or found not to be ours."""
    for external_id in posting.unattributed:
        connection.execute(
            _IGNORE_WAITING, {"for_store": store.id, "for_order": external_id, "at": utcnow()}
        )
    done: set[str] = set()
    while pending := [o for o in posting.booked if o not in done]:
        external_id = pending[0]
        done.add(external_id)
        if not posting.may_have_waiting(external_id):
            continue
        rows = connection.execute(
            _SELECT_WAITING, {"for_store": store.id, "for_order": external_id}
        ).all()
        for event_id, topic, body in rows:
            if event_id == exclude:
                continue
            events = adapter.parse(topic, json.loads(body), store.currency)
            result = combine([posting.apply(event) for event in events])
            connection.execute(
                _SET_STATUS,
                {
                    "event": event_id,
                    "new_status": result.status,
                    "why": result.reason,
                    "at": posting.now,
                },
            )


def _set(row: Row, result: Result) -> None:
    row.status = result.status
    row.reason = result.reason


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def store_failed(engine: Engine, fields: dict[str, Any], error: Exception) -> Receipt:
    """The processing transaction rolled back: keep the raw delivery, alone, as failed."""
    log.exception("webhook processing failed; stored as failed for `codecut events replay`")
    failed = WebhookEvent(
        **fields, status=EventStatus.FAILED, reason=describe(error), processed_at=utcnow()
    )
    with transaction(engine) as session:
        session.add(failed)
        session.flush()
        return Receipt(failed.status, failed.reason, failed.id)


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else value
