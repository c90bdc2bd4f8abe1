"""Webhook endpoints: made, listed, paused and rotated by an admin (CLI and API alike).

A secret is shown once, when the endpoint is made or its secret rotated; a rotated-out secret
keeps signing beside the new one for a day, so a receiver can switch without dropping events.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from ..access import audit
from ..errors import InvalidInput, NotFound
from ..http_urls import is_http_url
from ..models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, id_of, utcnow
from .events import EVENT_TYPES

SECRET_PREFIX = "whsec_"
#: How long a rotated-out secret still signs deliveries.
ROTATION_OVERLAP = timedelta(hours=24)
#: When a disabled endpoint's pending deliveries are due: never, until it is enabled. Parked
#: beyond any due time, a dead receiver's backlog is outside the range every claim reads
#: (the delivery loop walked all of it on each poll when only the endpoint said "disabled").
PARKED = datetime(9999, 12, 31, tzinfo=UTC)


def parse_events(text: str) -> list[str]:
    """``commission.created,payout.paid`` (or ``*`` for every type) -> the checked list."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["*"]:
        return list(EVENT_TYPES)
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"unknown event type {unknown[0]!r}; choose from {', '.join(EVENT_TYPES)} (or *)"
        )
    if not names:
        raise InvalidInput(f"name at least one event type: {', '.join(EVENT_TYPES)} (or *)")
    return sorted(set(names), key=EVENT_TYPES.index)


def check_url(url: str) -> str:
    url = url.strip()
    if not is_http_url(url):
        raise InvalidInput(f"the endpoint URL must be http:// or https:// with a host, not {url!r}")
    if len(url) > 2000:
        raise InvalidInput("the endpoint URL is longer than 2,000 characters")
    return url


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def add_endpoint(
    session: Session, *, url: str, events: str, description: str | None, actor: str
) -> WebhookEndpoint:
    """A new enabled endpoint; its ``secret`` is on the returned row, to be shown once."""
    endpoint = WebhookEndpoint(
        url=check_url(url),
        events=",".join(parse_events(events)),
        description=(description or "").strip()[:500] or None,
        secret=new_secret(),
    )
    session.add(endpoint)
    session.flush()
    _audit(session, actor, "webhook_endpoint.add", endpoint, {"url": endpoint.url})
    return endpoint


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    return endpoint


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))))


def disable(session: Session, endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending to ``endpoint`` and park its pending deliveries until it is enabled: the one
    way an endpoint is disabled, by its owner or by the delivery loop."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    _schedule_pending(session, endpoint, PARKED)


def _schedule_pending(session: Session, endpoint: WebhookEndpoint, at: datetime) -> None:
    """Make every delivery still pending for ``endpoint`` due at ``at``."""
    session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == id_of(endpoint),
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
        )
        .values(next_attempt_at=at)
    )


def disable_endpoint(session: Session, endpoint_id: int, *, actor: str) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    disable(session, endpoint, f"disabled by {actor}")
    _audit(session, actor, "webhook_endpoint.disable", endpoint)
    return endpoint


def enable_endpoint(session: Session, endpoint_id: int, *, actor: str) -> WebhookEndpoint:
    """Deliveries still pending are sent again from now on; the failure count starts afresh."""
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.enabled = True
    endpoint.disabled_reason = None
    endpoint.consecutive_failures = 0
    _schedule_pending(session, endpoint, utcnow())
    _audit(session, actor, "webhook_endpoint.enable", endpoint)
    return endpoint


def rotate_secret(session: Session, endpoint_id: int, *, actor: str) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    _audit(session, actor, "webhook_endpoint.rotate_secret", endpoint)
    return endpoint


def remove_endpoint(session: Session, endpoint_id: int, *, actor: str) -> None:
    """The endpoint and its delivery history go; the events stay for other endpoints."""
    endpoint = get_endpoint(session, endpoint_id)
    session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id))
    _audit(session, actor, "webhook_endpoint.remove", endpoint, {"url": endpoint.url})
    session.delete(endpoint)


def pending_count(session: Session, endpoint_id: int | None = None) -> int:
    query = select(func.count()).where(col(WebhookDelivery.status) == DeliveryStatus.PENDING)
    if endpoint_id is not None:
        query = query.where(col(WebhookDelivery.endpoint_id) == endpoint_id)
    return int(session.scalar(query) or 0)


def endpoint_record(session: Session, endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What listings show: never the secret."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events.split(","),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "consecutive_failures": endpoint.consecutive_failures,
        "pending_deliveries": pending_count(session, id_of(endpoint)),
        "created_at": endpoint.created_at.isoformat(),
    }


def _audit(
    session: Session,
    actor: str,
    action: str,
    endpoint: WebhookEndpoint,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        subject_type="webhook_endpoint",
        subject_id=id_of(endpoint),
        detail=detail,
    )


def list_deliveries(
    session: Session, endpoint_id: int, *, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """An endpoint's deliveries, newest first, with what its receiver last answered."""
    from ..models import OutboxEvent

    endpoint = get_endpoint(session, endpoint_id)
    if status is not None and status not in tuple(DeliveryStatus):
        raise InvalidInput(f"status must be one of {', '.join(DeliveryStatus)}, not {status!r}")
    query = (
        select(WebhookDelivery, OutboxEvent)
        .join(OutboxEvent, col(OutboxEvent.id) == col(WebhookDelivery.event_id))
        .where(col(WebhookDelivery.endpoint_id) == endpoint_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(max(1, min(limit, 1000)))
    )
    if status is not None:
        query = query.where(col(WebhookDelivery.status) == status)
    return [
        {
            "delivery_id": delivery.id,
            "event_id": event.public_id,
            "type": event.type,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error,
            "last_response": delivery.last_response,
            "last_attempt_at": delivery.last_attempt_at,
            "next_attempt_at": (  # none while the endpoint is disabled: parked
                delivery.next_attempt_at
                if delivery.status == DeliveryStatus.PENDING and endpoint.enabled
                else None
            ),
            "delivered_at": delivery.delivered_at,
        }
        for delivery, event in session.execute(query)
    ]
