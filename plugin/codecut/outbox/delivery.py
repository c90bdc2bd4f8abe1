"""Delivering the outbox: claim what is due, POST it signed, record what the receiver said.

* At least once. A claim moves the row's ``next_attempt_at`` past a lease and commits before any
  request is made, so no database lock is held while a receiver is slow; a worker that dies
  mid-request leaves the row to be claimed again when the lease ends. On PostgreSQL several
  workers claim with ``FOR UPDATE SKIP LOCKED`` and never take the same row; on SQLite the claim
  runs under the database's single write lock.
* Retries back off exponentially (30 s doubling to at most 12 h) for about three days, then the
  delivery is given up (``failed``). An answer of 410 Gone disables the endpoint at once; 20
  failed attempts in a row disable it too, with the reason kept for its owner. A disabled
  endpoint's pending deliveries are parked (:data:`~.endpoints.PARKED`) until it is enabled.
* Redirects are not followed: a receiver answers where it was registered.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlmodel import col

from ..db import transaction
from ..models import DeliveryStatus, OutboxEvent, WebhookDelivery, WebhookEndpoint, utcnow
from . import signing
from .endpoints import PARKED, disable

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=12)
GIVE_UP_AFTER = timedelta(days=3)
DISABLE_AFTER_FAILURES = 20
EXCERPT = 500
USER_AGENT = "Codecut-Webhooks/1"


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, ... 12 h."""
    doubled: timedelta = FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20))
    return min(doubled, LONGEST_WAIT)


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    endpoint_id: int
    url: str
    secrets: list[str]
    event_id: str
    event_type: str
    body: bytes
    event_created_at: datetime
    attempt: int  # this attempt's number, from 1


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no HTTP answer (refused, timed out)
    excerpt: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Summary:
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0
    endpoints_disabled: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.given_up


def claim(
    engine: Engine, *, limit: int, lease: timedelta, now: datetime | None = None
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries of enabled endpoints for this worker."""
    now = now or utcnow()
    with transaction(engine) as session:
        ids = list(
            session.scalars(
                select(col(WebhookDelivery.id))
                .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
                .where(
                    col(WebhookDelivery.status) == DeliveryStatus.PENDING,
                    col(WebhookDelivery.next_attempt_at) <= now,
                    col(WebhookEndpoint.enabled),
                )
                .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
                .limit(limit)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            )
        )
        if not ids:
            return []
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(ids))
            .values(next_attempt_at=now + lease)
        )
        rows = session.execute(
            select(WebhookDelivery, WebhookEndpoint, OutboxEvent)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .join(OutboxEvent, col(OutboxEvent.id) == col(WebhookDelivery.event_id))
            .where(col(WebhookDelivery.id).in_(ids))
            .order_by(col(WebhookDelivery.id))
        ).all()
        return [
            Claimed(
                delivery_id=delivery.id,
                endpoint_id=endpoint.id,
                url=endpoint.url,
                secrets=_live_secrets(endpoint, now),
                event_id=event.public_id,
                event_type=event.type,
                body=event.body.encode(),
                event_created_at=event.created_at,
                attempt=delivery.attempts + 1,
            )
            for delivery, endpoint, event in rows
        ]


def _live_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(claimed: Claimed, *, timeout: float) -> Answer:
    """One signed POST; any answer or failure becomes an :class:`Answer`, never an exception."""
    timestamp = int(time.time())
    request = urllib.request.Request(
        claimed.url,
        data=claimed.body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            signing.HEADER: signing.sign(claimed.secrets, timestamp, claimed.body),
            "Codecut-Event-Id": claimed.event_id,
            "Codecut-Event-Type": claimed.event_type,
            "Codecut-Delivery-Attempt": str(claimed.attempt),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Answer(response.status, _excerpt(response.read(EXCERPT)), None)
    except urllib.error.HTTPError as error:
        return Answer(error.code, _excerpt(error.read(EXCERPT)), None)
    except (OSError, ValueError) as error:  # refused, timed out, reset, bad URL
        reason = getattr(error, "reason", None) or error
        return Answer(None, None, f"{type(error).__name__}: {reason}"[:EXCERPT])


def _excerpt(raw: bytes) -> str | None:
    return raw.decode("utf-8", "replace")[:EXCERPT] or None


def record(engine: Engine, claimed: Claimed, answer: Answer, summary: Summary) -> None:
    """Write what the receiver said; back off, give up or disable as the rules above say."""
    now = utcnow()
    with transaction(engine) as session:
        attempt = {
            "attempts": claimed.attempt,
            "last_status_code": answer.status_code,
            "last_error": answer.error,
            "last_response": answer.excerpt,
            "last_attempt_at": now,
        }
        still_ours = (
            col(WebhookDelivery.id) == claimed.delivery_id,
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
        )
        endpoint = session.get(WebhookEndpoint, claimed.endpoint_id, with_for_update=True)
        if answer.ok:
            session.execute(
                update(WebhookDelivery)
                .where(*still_ours)
                .values(status=DeliveryStatus.DELIVERED, delivered_at=now, **attempt)
            )
            if endpoint is not None:
                endpoint.consecutive_failures = 0
            summary.delivered += 1
            return
        gone = answer.status_code == 410
        give_up = gone or now - claimed.event_created_at >= GIVE_UP_AFTER
        parked = endpoint is not None and not endpoint.enabled  # disabled while this was sent
        session.execute(
            update(WebhookDelivery)
            .where(*still_ours)
            .values(
                status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
                next_attempt_at=PARKED if parked else now + retry_delay(claimed.attempt),
                **attempt,
            )
        )
        if give_up:
            summary.given_up += 1
        else:
            summary.retrying += 1
        if endpoint is None:
            return
        endpoint.consecutive_failures += 1
        reason = None
        if gone:
            reason = f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC"
        elif endpoint.consecutive_failures >= DISABLE_AFTER_FAILURES:
            last = f"HTTP {answer.status_code}" if answer.status_code is not None else answer.error
            reason = (
                f"{endpoint.consecutive_failures} failed deliveries in a row; the last on "
                f"{now:%Y-%m-%d %H:%M} UTC: {last}"
            )
        if reason and endpoint.enabled:
            disable(session, endpoint, reason)
            summary.endpoints_disabled.append(claimed.endpoint_id)


def deliver_due(
    engine: Engine,
    *,
    timeout: float,
    concurrency: int = 4,
    batch: int = 50,
) -> Summary:
    """Deliver everything due now (claimed in batches), ``concurrency`` requests at a time."""
    summary = Summary()
    # A claim outlives the slowest batch it could take: every request timing out in turn.
    lease = timedelta(seconds=timeout * -(-batch // concurrency) + 30)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        while True:
            claimed = claim(engine, limit=batch, lease=lease)
            if not claimed:
                return summary
            answers = list(pool.map(lambda c: post(c, timeout=timeout), claimed))
            for item, answer in zip(claimed, answers, strict=True):
                record(engine, item, answer, summary)
