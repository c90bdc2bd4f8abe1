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

from sqlalchemy import Connection, insert, select
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
_SUBSCRIPTIONS = select(_ENDPOINTS.c.id, _ENDPOINTS.c.events).where(_ENDPOINTS.c.enabled)

Data = dict[str, Any] | Callable[[], dict[str, Any]]


class Outbox:
    """One transaction's outgoing events. Subscriptions are read once, on the first emit."""

    def __init__(self, connection: Connection, now: datetime | None = None) -> None:
        self.connection = connection
        self.now = now
        self._subscribed: dict[str, list[int]] | None = None

    def subscribers(self, kind: str) -> list[int]:
        if self._subscribed is None:
            self._subscribed = {}
            for endpoint_id, events in self.connection.execute(_SUBSCRIPTIONS):
                for name in events.split(","):
                    self._subscribed.setdefault(name, []).append(endpoint_id)
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
