"""The webhook inbox: every signed delivery is stored raw in the transaction that processes it.

A crash therefore leaves nothing (the storefront retries onto a clean slate) or everything. A
delivery whose processing raises is rolled back and stored again, alone, as ``failed``; ``replay``
runs stored deliveries through the very same code path once the cause is fixed. Refunds and
cancellations that arrive before their order are stored as ``waiting`` and applied, in arrival
order, by the transaction that books the order's commission.

Every signed delivery is kept, duplicates included: a duplicate is stored with status ``ignored``
and the reason, and changes nothing else.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlmodel import Session

from .db import is_transient, transaction
from .errors import CodecutError, NotFound
from .ledger import IGNORED, WAITING, Posting, Result, combine
from .models import Store, WebhookEvent, utcnow
from .storefronts.base import (
    CancelEvent,
    Event,
    OrderEvent,
    RefundEvent,
    Rejected,
    StorefrontAdapter,
)

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("codecut")

STATUSES = ("processed", "ignored", "waiting", "rejected", "failed")

AdapterLookup = Callable[[str], StorefrontAdapter | None]


class Unauthorized(CodecutError):
    """Unknown store or a signature that does not match: answered 401, nothing stored."""

    status_code = 401
    code = "unauthorized"


@dataclass(frozen=True)
class Receipt:
    """What happened to one delivery, and the HTTP status that tells the storefront."""

    http_status: int
    status: str
    reason: str | None = None
    event_id: int | None = None

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
class _Row:
    """The part of a stored delivery that processing reads and sets."""

    topic: str
    body: bytes
    id: int | None = None
    status: str = "processed"
    reason: str | None = None
    order_external_id: str | None = None
    processed_at: datetime | None = None


_EVENTS = WebhookEvent.__table__  # type: ignore[attr-defined]
_STORES = Store.__table__  # type: ignore[attr-defined]
# The hot path's statements, built once (building one costs more than running it).
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_SELECT_STORE = select(
    _STORES.c.id, _STORES.c.currency, _STORES.c.webhook_secret, _STORES.c.previous_webhook_secret
).where(_STORES.c.domain == bindparam("domain"), _STORES.c.platform == bindparam("platform"))
_WAITING = (
    _EVENTS.c.store_id == bindparam("for_store"),
    _EVENTS.c.order_external_id == bindparam("for_order"),
    _EVENTS.c.status == WAITING,
)
_SELECT_WAITING = (
    select(_EVENTS.c.id, _EVENTS.c.topic, _EVENTS.c.body).where(*_WAITING).order_by(_EVENTS.c.id)
)
_IGNORE_WAITING = (
    update(_EVENTS)
    .where(*_WAITING)
    .values(status=IGNORED, reason="the order uses no code of ours", processed_at=bindparam("at"))
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
) -> Receipt:
    """Verify, store and process one delivery in one transaction.

    Raises :class:`Unauthorized` (nothing written) for an unknown store or a bad signature, and
    lets transient database errors through (the caller answers 503; the transaction rolled back).
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
    payload = _decode(body)  # before any lock: parsing is the slowest step that needs none
    try:
        with _writer_queue(engine), transaction(engine) as session:
            connection = session.connection()
            store = _signed_store(connection, adapter, body, headers)
            fields["store_id"] = store.id
            row = _Row(fields["topic"], body)
            _process(connection, store, adapter, row, hold_days=hold_days, payload=payload)
            row.id = connection.execute(
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
            return Receipt(400 if _not_json(row) else 200, row.status, row.reason, row.id)
    except Unauthorized:
        raise
    except Exception as error:
        if is_transient(error) or "store_id" not in fields:
            raise
        return _store_failed(engine, fields, error)


def replay(engine: Engine, event_id: int, adapters: AdapterLookup, *, hold_days: int) -> Receipt:
    """Process a stored delivery again, exactly as if it had just arrived (signature excepted:
    it was checked when it arrived)."""
    try:
        with transaction(engine) as session:
            stored = session.get(WebhookEvent, event_id)
            if stored is None:
                raise NotFound(f"no stored delivery with id {event_id}")
            adapter = adapters(stored.source)
            store = session.get(Store, stored.store_id) if stored.store_id else None
            if adapter is None or store is None:
                raise NotFound(f"delivery {event_id} is not from a storefront Codecut knows")
            row = _Row(stored.topic, stored.body, id=stored.id)
            _process(session.connection(), store, adapter, row, hold_days=hold_days)
            receipt = Receipt(200, row.status, row.reason, row.id)
            if not (stored.status == "processed" and row.status == IGNORED):
                # (replaying a processed delivery that changes nothing keeps why it was processed)
                stored.status, stored.reason = row.status, row.reason
            stored.order_external_id = row.order_external_id or stored.order_external_id
            stored.processed_at = row.processed_at
            stored.attempts += 1
            return receipt
    except CodecutError:
        raise
    except Exception as error:
        if is_transient(error):
            raise
        return _mark_failed(engine, event_id, error)


def replay_failed(engine: Engine, adapters: AdapterLookup, *, hold_days: int) -> Iterable[Receipt]:
    """Replay every ``failed`` delivery, oldest first, each in its own transaction."""
    with Session(engine) as session:
        ids = list(
            session.scalars(
                select(WebhookEvent.id)
                .where(WebhookEvent.status == "failed")
                .order_by(WebhookEvent.id)
            )
        )
    for event_id in ids:
        yield replay(engine, event_id, adapters, hold_days=hold_days)


def list_events(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[WebhookEvent]:
    query = select(WebhookEvent).order_by(WebhookEvent.id.desc()).limit(limit)
    if status:
        query = query.where(WebhookEvent.status == status)
    return list(session.scalars(query))


# -- the one code path ---------------------------------------------------------------------------


_queues: dict[str, tuple[threading.Lock, int]] = {}


@contextmanager
def _writer_queue(engine: Engine) -> Iterator[None]:
    """SQLite file: webhook writers wait their turn on an OS file lock before ``BEGIN IMMEDIATE``.

    Correctness needs none of this (SQLite's own lock serializes writers); it is about speed.
    A writer that finds SQLite's lock taken sleeps in the busy handler's back-off (1, 2, 5, 10...
    ms) however soon the lock frees, which collapses throughput when several gunicorn workers
    take turns; a blocked ``flock`` wakes the moment the previous writer commits.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or fcntl is None:
        yield
        return
    path = os.path.abspath(database) + ".codecut-webhooks.lock"
    if path not in _queues:
        _queues[path] = (threading.Lock(), os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    thread_lock, descriptor = _queues[path]
    with thread_lock:  # flock does not exclude threads sharing one descriptor
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


def _signed_store(
    connection: Connection, adapter: StorefrontAdapter, body: bytes, headers: Mapping[str, str]
) -> Any:
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


_NOT_DECODED = object()


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return _NOT_DECODED


def _process(
    connection: Connection,
    store: Any,
    adapter: StorefrontAdapter,
    row: _Row,
    *,
    hold_days: int,
    payload: Any = None,
) -> None:
    """Parse the raw body and apply its events; sets the row's status and reason.

    ``store`` is anything with ``id`` and ``currency`` (a Store, or a row of those columns).
    """
    row.processed_at = utcnow()
    if payload is None:
        payload = _decode(row.body)
    if payload is _NOT_DECODED:
        _set(row, Result("rejected", _NOT_JSON))
        return
    try:
        events = adapter.parse(row.topic, payload, store.currency)
    except Rejected as rejected:
        _set(row, Result("rejected", rejected.reason))
        return
    row.order_external_id = next((_order_of(e) for e in events), None)
    posting = Posting(
        connection, store.id, store.currency, hold_days=hold_days, now=row.processed_at
    )
    result = combine([posting.apply(event) for event in events])
    _drain(connection, store, adapter, posting, exclude=row.id)
    posting.settle()
    _set(row, result)


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


def _order_of(event: Event) -> str | None:
    if isinstance(event, OrderEvent | RefundEvent | CancelEvent):
        return event.order_id
    return None


def _set(row: _Row, result: Result) -> None:
    row.status = result.status
    row.reason = result.reason


_NOT_JSON = "the body is not JSON"


def _not_json(row: _Row) -> bool:
    return row.status == "rejected" and row.reason == _NOT_JSON


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _store_failed(engine: Engine, fields: dict[str, Any], error: Exception) -> Receipt:
    """The processing transaction rolled back: keep the raw delivery, alone, as failed."""
    log.exception("webhook processing failed; stored as failed for `codecut events replay`")
    failed = WebhookEvent(**fields, status="failed", reason=_describe(error), processed_at=utcnow())
    with transaction(engine) as session:
        session.add(failed)
        session.flush()
        return Receipt(200, failed.status, failed.reason, failed.id)


def _mark_failed(engine: Engine, event_id: int, error: Exception) -> Receipt:
    log.exception("replaying delivery %s failed", event_id)
    reason = _describe(error)
    with transaction(engine) as session:
        row = session.get(WebhookEvent, event_id)
        assert row is not None
        row.status, row.reason, row.processed_at = "failed", reason, utcnow()
        row.attempts += 1
    return Receipt(200, "failed", reason, event_id)


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else value
