"""The demo's outgoing-webhook step: a local receiver hears what the demo books, signed."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, select
from sqlmodel import col

from ..db import transaction
from ..devtools.webhook_receiver import Receiver
from ..models import WebhookEndpoint
from ..outbox import endpoints
from ..outbox.delivery import deliver_due
from ..outbox.events import EVENT_TYPES

DESCRIPTION = "codecut demo receiver"


def listen(engine: Engine, receiver: Receiver) -> int:
    """(Re)point the demo's endpoint at this run's receiver; returns the endpoint's id."""
    with transaction(engine) as session:
        for old in session.scalars(
            select(WebhookEndpoint).where(col(WebhookEndpoint.description) == DESCRIPTION)
        ):
            endpoints.remove_endpoint(session, old.id or 0, actor="codecut demo")
        endpoint = endpoints.add_endpoint(
            session,
            url=receiver.url,
            events=",".join(EVENT_TYPES),
            description=DESCRIPTION,
            actor="codecut demo",
        )
        receiver.state.secret = endpoint.secret
        return endpoint.id or 0


def deliver(engine: Engine, receiver: Receiver, timeout: float) -> Counter[str]:
    """What ``codecut worker --once`` does, now; returns the verified events by type."""
    deliver_due(engine, timeout=timeout)
    with receiver.state.lock:
        return Counter(r.event["type"] for r in receiver.state.received if r.verified)
