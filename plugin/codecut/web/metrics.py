"""``GET /metrics`` for Prometheus (``CODECUT_METRICS=1``; a bearer token when
``CODECUT_METRICS_TOKEN`` is set), made with ``prometheus_client``.

Two kinds of figures:

* counted as they happen, in each process: webhook deliveries by platform and outcome, and how
  long they took. Under gunicorn every worker counts its own; with ``PROMETHEUS_MULTIPROC_DIR``
  set (an empty directory, made anew at each start) the library's multiprocess mode sums them, so
  a scrape that lands on any worker sees them all;
* read from the database at scrape time, so they are right whichever process answers and
  whatever wrote them (webhooks, replays, the CLI): ledger entries by kind, payouts by status,
  counted share-link clicks, and inbox events that need a person (failed, waiting).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator

from flask import Blueprint, Response, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlmodel import col

from ..db import transaction
from ..models import (
    Click,
    DeliveryStatus,
    EventStatus,
    LedgerEntry,
    Payout,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from ..state import get_state
from .errors import error_response, register_blueprint_errors

metrics = Blueprint("codecut_metrics", __name__)
register_blueprint_errors(metrics)

#: This process's own counters (in multiprocess mode their values live in files instead).
_OWN = CollectorRegistry()
WEBHOOK_DELIVERIES = Counter(
    "codecut_webhook_deliveries",
    "Signed storefront deliveries answered, by platform and outcome.",
    ["platform", "outcome"],
    registry=_OWN,
)
WEBHOOK_SECONDS = Histogram(
    "codecut_webhook_seconds",
    "Time to verify, store and book one storefront delivery.",
    registry=_OWN,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def count_webhook(platform: str, outcome: str, seconds: float) -> None:
    """Called by the webhook view for every signed delivery it answers."""
    if get_state().settings.metrics:
        WEBHOOK_DELIVERIES.labels(platform, outcome).inc()
        WEBHOOK_SECONDS.observe(seconds)


class _DatabaseFigures(Collector):
    """Figures the database knows, read at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        with transaction(self.engine, readonly=True) as session:
            kinds = session.execute(
                select(col(LedgerEntry.kind), func.count()).group_by(col(LedgerEntry.kind))
            ).all()
            payouts = session.execute(
                select(col(Payout.status), func.count()).group_by(col(Payout.status))
            ).all()
            clicked = session.scalar(select(func.count()).select_from(Click)) or 0
            events = session.execute(
                select(col(WebhookEvent.status), func.count())
                .where(col(WebhookEvent.status).in_((EventStatus.FAILED, EventStatus.WAITING)))
                .group_by(col(WebhookEvent.status))
            ).all()
            outbox = session.execute(
                select(col(WebhookDelivery.status), func.count())
                .where(col(WebhookDelivery.status) != DeliveryStatus.DELIVERED)
                .group_by(col(WebhookDelivery.status))
            ).all()
            disabled = session.scalar(
                select(func.count()).where(col(WebhookEndpoint.enabled).is_(False))
            )
        entries = CounterMetricFamily(
            "codecut_ledger_entries", "Ledger entries booked, by kind.", labels=["kind"]
        )
        for kind, count in kinds:
            entries.add_metric([str(kind)], count)
        yield entries
        by_status = GaugeMetricFamily(
            "codecut_payouts_total", "Payouts, by status.", labels=["status"]
        )
        for status, count in payouts:
            by_status.add_metric([str(status)], count)
        yield by_status
        yield CounterMetricFamily(
            "codecut_clicks", "Share-link clicks counted (people, not bots).", value=clicked
        )
        waiting = dict(events)
        stuck = GaugeMetricFamily(
            "codecut_events", "Inbox events that need a person, by status.", labels=["status"]
        )
        for status in (EventStatus.FAILED, EventStatus.WAITING):
            stuck.add_metric([status.value], waiting.get(status.value, 0))
        yield stuck
        undelivered = dict(outbox)
        yield GaugeMetricFamily(
            "codecut_outbox_pending",
            "Outgoing webhook deliveries not yet delivered (retries included).",
            value=undelivered.get(DeliveryStatus.PENDING.value, 0),
        )
        yield GaugeMetricFamily(
            "codecut_outbox_failed",
            "Outgoing webhook deliveries given up after about three days, or refused with 410.",
            value=undelivered.get(DeliveryStatus.FAILED.value, 0),
        )
        yield GaugeMetricFamily(
            "codecut_webhook_endpoints_disabled",
            "Outgoing webhook endpoints disabled (by their owner or after failures).",
            value=disabled or 0,
        )


@metrics.get("/metrics")
def scrape() -> Response | tuple[Response, int]:
    settings = get_state().settings
    if not settings.metrics:
        return error_response(404, "not_found", "metrics are off (CODECUT_METRICS)")
    if settings.metrics_token:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not hmac.compare_digest(token, settings.metrics_token):
            response, status = error_response(401, "unauthorized", "a metrics token is needed")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response, status
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Own())
    registry.register(_DatabaseFigures(get_state().engine))
    response = Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
    response.headers["Cache-Control"] = "no-store"
    return response


class _Own(Collector):
    """This process's counters, when there is no multiprocess directory to sum."""

    def collect(self) -> Iterator[Metric]:
        yield from _OWN.collect()
