"""Orders Codecut pulled from a store's Admin API (``codecut reconcile``), booked by the very
code path a webhook takes (:func:`codecut.inbox.receive.process`).

What was pulled is stored in the event log like a delivery, in the webhook's own shape and with
the platform as its ``source`` (so ``codecut events replay`` works on it) and ``via`` set to
``reconcile``. No signature is checked: Codecut fetched it itself, with the store's credentials.
An order already booked from its webhook changes nothing (the same unique keys absorb it); a
dry run processes it in a transaction that is rolled back, to say what would be booked.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine

from ..db import is_transient, transaction
from ..models import utcnow
from ..storefronts.base import StorefrontAdapter
from ..writer_queue import writer_queue
from .receive import Receipt, Row, insert_event, process, store_failed

VIA_RECONCILE = "reconcile"


class _RollBack(Exception):
    def __init__(self, receipt: Receipt) -> None:
        self.receipt = receipt


def ingest(
    engine: Engine,
    store: Any,
    adapter: StorefrontAdapter,
    topic: str,
    payload: dict[str, Any],
    *,
    hold_days: int,
    coupon_sites: frozenset[str] = frozenset(),
    dry_run: bool = False,
) -> Receipt:
    """Book one pulled order (``store`` has ``id``, ``currency`` and ``timezone``)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    fields: dict[str, Any] = {
        "store_id": store.id,
        "source": adapter.platform,
        "via": VIA_RECONCILE,
        "topic": topic,
        "event_id": f"reconcile:{payload.get('id')}:{_changed(payload)}"[:255],
        "headers": "{}",
        "body": body,
        "received_at": utcnow(),
    }
    try:
        with writer_queue(engine), transaction(engine) as session:
            connection = session.connection()
            row = Row(topic, body)
            process(connection, store, adapter, row, hold_days=hold_days, coupon_sites=coupon_sites)
            if dry_run:
                raise _RollBack(Receipt(row.status, row.reason))
            row.id = insert_event(connection, fields, row)
            return Receipt(row.status, row.reason, row.id)
    except _RollBack as rolled_back:
        return rolled_back.receipt
    except Exception as error:
        if is_transient(error):
            raise
        return store_failed(engine, fields, error)


def _changed(payload: dict[str, Any]) -> str:
    return str(payload.get("updated_at") or payload.get("date_modified_gmt") or "")
