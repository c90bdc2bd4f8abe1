"""Writing events to the outbox, inside the caller's transaction.

Only endpoints that subscribed to a type get a delivery, and nothing at all is written when none
did: the webhook hot path then pays one indexed read per transaction and nothing else.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, cast, func, insert, select
from sqlmodel import Session

from ..models import OutboxEvent, WebhookDelivery, WebhookEndpoint, table_of, utcnow

#: Every event type an endpoint may subscribe to; the one list the CLI, API and docs use.
EVENT_TYPES = (
    "commission.created",
    "commission.reversed",
    "review.flagged",
    "payout.paid",
    "payout.failed",
    "code.created",
    "influencer.created",
)

_EVENTS = table_of(OutboxEvent)
_DELIVERIES = table_of(WebhookDelivery)
_ENDPOINTS = table_of(WebhookEndpoint)
#: Who listens, as one text (``id:type,type;id:type``; empty when nobody does): a column a
#: statement that reads something else anyway can carry (the webhook's store lookup does), so
#: that the hot path spends no round trip on it. :class:`Outbox` reads it itself otherwise.
SUBSCRIPTIONS = func.coalesce(
    select(func.aggregate_strings(cast(_ENDPOINTS.c.id, String) + ":" + _ENDPOINTS.c.events, ";"))
    .where(_ENDPOINTS.c.enabled)
    .scalar_subquery(),
    "",
)
_SELECT_SUBSCRIPTIONS = select(SUBSCRIPTIONS)

Data = dict[str, Any] | Callable[[], dict[str, Any]]


class Outbox:
    """One transaction's outgoing events. Subscriptions are read once, on the first emit, unless
    the caller read them already (``subscriptions``: the text of :data:`SUBSCRIPTIONS`)."""

    def __init__(
        self,
        connection: Connection,
        now: datetime | None = None,
        subscriptions: str | None = None,
    ) -> None:
        self.connection = connection
        self.now = now
        self._subscriptions = subscriptions
        self._subscribed: dict[str, list[int]] | None = None

    def subscribers(self, kind: str) -> list[int]:
        if self._subscribed is None:
            text = self._subscriptions
            if text is None:
                text = self.connection.execute(_SELECT_SUBSCRIPTIONS).scalar_one()
            self._subscribed = {}
            for subscription in filter(None, text.split(";")):
                endpoint_id, _, events = subscription.partition(":")
                for name in events.split(","):
                    self._subscribed.setdefault(name, []).append(int(endpoint_id))
        return self._subscribed.get(kind, [])

    def emit(self, kind: str, data: Data) -> str | None:
        """Queue ``kind`` for every endpoint subscribed to it; returns the event id, or None
        when no endpoint listens (``data`` may be a function, then called only if one does)."""
        if kind not in EVENT_TYPES:
            raise ValueError(f"unknown event type {kind!r}")
        endpoints = self.subscribers(kind)
        if not endpoints:
            return None
        now = self.now or utcnow()
        public_id = "evt_" + secrets.token_hex(12)
        payload = data() if callable(data) else data
        body = json.dumps(
            {"id": public_id, "type": kind, "created": int(now.timestamp()), "data": payload},
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        event_id = self.connection.execute(
            insert(_EVENTS)
            .values(public_id=public_id, type=kind, body=body, created_at=now)
            .returning(_EVENTS.c.id)
        ).scalar_one()
        self.connection.execute(
            insert(_DELIVERIES),
            [
                {
                    "event_id": event_id,
                    "endpoint_id": endpoint_id,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for endpoint_id in endpoints
            ],
        )
        return public_id


def emit(session: Session, kind: str, data: Data) -> str | None:
    """One event from ORM code (payouts, codes, influencers), in the session's transaction."""
    return Outbox(session.connection()).emit(kind, data)
