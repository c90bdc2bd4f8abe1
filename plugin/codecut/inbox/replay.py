"""Running stored deliveries again, through the very code path that received them.

A replay re-parses the stored raw body (its signature was checked when it arrived) and books
whatever the ledger does not have yet; what it has already is absorbed by the same unique keys
that absorb duplicate deliveries, so a replay never books anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from ..db import is_transient, transaction
from ..errors import CodecutError, NotFound
from ..models import EventStatus, Store, WebhookEvent, utcnow
from ..storefronts.base import StorefrontAdapter
from .receive import Receipt, Row, describe, process

log = logging.getLogger("codecut")

AdapterLookup = Callable[[str], StorefrontAdapter | None]


def replay(
    engine: Engine,
    event_id: int,
    adapters: AdapterLookup,
    *,
    hold_days: int,
    coupon_sites: frozenset[str] = frozenset(),
) -> Receipt:
    """Process a stored delivery again, exactly as if it had just arrived."""
    try:
        with transaction(engine) as session:
            stored = session.get(WebhookEvent, event_id)
            if stored is None:
                raise NotFound(f"no stored delivery with id {event_id}")
            adapter = adapters(stored.source)
            store = session.get(Store, stored.store_id) if stored.store_id else None
            if adapter is None or store is None:
                raise NotFound(f"delivery {event_id} is not from a storefront Codecut knows")
            row = Row(stored.topic, stored.body, id=stored.id)
            process(
                session.connection(),
                store,
                adapter,
                row,
                hold_days=hold_days,
                coupon_sites=coupon_sites,
            )
            receipt = Receipt(row.status, row.reason, row.id)
            if not (stored.status == EventStatus.PROCESSED and row.status == EventStatus.IGNORED):
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


def replay_failed(
    engine: Engine,
    adapters: AdapterLookup,
    *,
    hold_days: int,
    coupon_sites: frozenset[str] = frozenset(),
) -> Iterable[Receipt]:
    """Replay every ``failed`` delivery, oldest first, each in its own transaction."""
    with transaction(engine, readonly=True) as session:
        ids = list(
            session.scalars(
                select(col(WebhookEvent.id))
                .where(col(WebhookEvent.status) == EventStatus.FAILED)
                .order_by(col(WebhookEvent.id))
            )
        )
    for event_id in ids:
        if event_id is not None:
            yield replay(engine, event_id, adapters, hold_days=hold_days, coupon_sites=coupon_sites)


def list_events(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[WebhookEvent]:
    """The newest stored deliveries first, optionally of one status."""
    query = select(WebhookEvent).order_by(col(WebhookEvent.id).desc()).limit(limit)
    if status:
        query = query.where(col(WebhookEvent.status) == status)
    return list(session.scalars(query))


def _mark_failed(engine: Engine, event_id: int, error: Exception) -> Receipt:
    log.exception("replaying delivery %s failed", event_id)
    reason = describe(error)
    with transaction(engine) as session:
        row = session.get(WebhookEvent, event_id)
        if row is None:
            raise NotFound(f"no stored delivery with id {event_id}") from error
        row.status, row.reason, row.processed_at = EventStatus.FAILED, reason, utcnow()
        row.attempts += 1
    return Receipt(EventStatus.FAILED, reason, event_id)
