"""``codecut reconcile``: orders whose webhooks were missed, pulled from the store and booked.

WooCommerce never retries a failed delivery and disables a hook after five failures; Shopify
gives up after eight tries over four hours. Reconcile pulls every order changed since the store's
high-water mark and runs it through the webhook's own processing (:mod:`codecut.inbox.pulled`):
a missed order is booked, one already booked changes nothing.

The mark advances only once a page is processed: on Shopify after each page (pages come in update
order), on WooCommerce after the last (its pages come in id order, so a later page may hold an
earlier change). A killed run therefore starts again no later than where it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from ..dates import as_utc
from ..db import transaction
from ..errors import InvalidInput
from ..inbox.pulled import ingest
from ..models import EventStatus, Platform, Store
from ..programme.stores import get_store
from ..storefronts import get_adapter
from .shopify_admin import ShopifyAdmin
from .shopify_orders import to_webhook_payload
from .woocommerce_rest import WooCommerceRest

#: How far back the first reconcile of a store looks when no --since is given.
FIRST_LOOK_BACK = timedelta(days=30)
TOPICS = {Platform.SHOPIFY: "orders/updated", Platform.WOOCOMMERCE: "order.updated"}


@dataclass
class PullReport:
    store: str
    platform: str
    since: datetime
    dry_run: bool
    orders: int = 0
    booked: list[str] = field(default_factory=list)  # what the webhooks had missed, in words
    commissions: int = 0
    refunds: int = 0
    cancellations: int = 0
    failed: list[str] = field(default_factory=list)
    high_water: datetime | None = None
    calls: int = 0
    waited: float = 0.0
    seconds: float = 0.0

    def summary(self) -> str:
        verb = "would book" if self.dry_run else "booked"
        return (
            f"{self.store}: {self.orders} order(s) changed since {self.since:%Y-%m-%d %H:%M} UTC; "
            f"{verb} {self.commissions} missed commission(s), {self.refunds} refund(s), "
            f"{self.cancellations} cancellation(s)"
            + (
                f"; {len(self.failed)} failed (codecut events list --status failed)"
                if self.failed
                else ""
            )
        )

    def as_record(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "platform": self.platform,
            "since": self.since.isoformat(),
            "dry_run": self.dry_run,
            "orders": self.orders,
            "commissions_booked": self.commissions,
            "refunds_reversed": self.refunds,
            "cancellations": self.cancellations,
            "missed": self.booked,
            "failed": self.failed,
            "high_water": self.high_water.isoformat() if self.high_water else None,
            "calls": self.calls,
            "seconds": round(self.seconds, 3),
            "seconds_waiting_on_store": round(self.waited, 3),
        }


def connected_stores(engine: Engine) -> list[str]:
    """Every store with Admin API credentials (``codecut reconcile --all``)."""
    with transaction(engine, readonly=True) as session:
        return list(
            session.scalars(
                select(col(Store.domain))
                .where(col(Store.admin_credentials).is_not(None))
                .order_by(col(Store.id))
            )
        )


def reconcile_store(
    engine: Engine,
    domain: str,
    api_for: Callable[[Store], ShopifyAdmin | WooCommerceRest],
    *,
    hold_days: int,
    coupon_sites: frozenset[str] = frozenset(),
    since: datetime | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PullReport:
    started = time.perf_counter()
    with transaction(engine, readonly=True) as session:
        store = get_store(session, domain)
    adapter = get_adapter(store.platform)
    if adapter is None or store.platform not in TOPICS:
        raise InvalidInput(f"{store.platform} stores have no Admin API to reconcile with")
    mark = as_utc(store.orders_synced_through) if store.orders_synced_through else None
    start = since or mark or (now or datetime.now(UTC)) - FIRST_LOOK_BACK
    report = PullReport(store.domain, store.platform, start, dry_run)
    api = api_for(store)
    newest: datetime | None = None
    try:
        for page in api.orders_since(start):
            for order in page:
                payload = to_webhook_payload(order) if isinstance(api, ShopifyAdmin) else order
                _book(engine, store, adapter, payload, report, hold_days, coupon_sites, dry_run)
                changed = _changed_at(payload)
                if changed is not None and (newest is None or changed > newest):
                    newest = changed
            if isinstance(api, ShopifyAdmin) and not dry_run and newest is not None:
                _advance(engine, store.id or 0, newest)
        if not dry_run and newest is not None:
            _advance(engine, store.id or 0, newest)
        report.high_water = newest if not dry_run else mark
    finally:
        report.calls, report.waited = api.http.calls, api.http.waited
        report.seconds = time.perf_counter() - started
    return report


def _book(
    engine: Engine,
    store: Store,
    adapter: Any,
    payload: dict[str, Any],
    report: PullReport,
    hold_days: int,
    coupon_sites: frozenset[str],
    dry_run: bool,
) -> None:
    report.orders += 1
    receipt = ingest(
        engine,
        store,
        adapter,
        TOPICS[Platform(store.platform)],
        payload,
        hold_days=hold_days,
        coupon_sites=coupon_sites,
        dry_run=dry_run,
    )
    label = f"order {payload.get('name') or payload.get('number') or payload.get('id')}"
    reason = receipt.reason or ""
    if receipt.status == EventStatus.FAILED:
        report.failed.append(f"{label}: {reason[:200]}")
        return
    if receipt.status != EventStatus.PROCESSED:
        return
    found = []
    if "commission booked" in reason or "commission held" in reason:
        report.commissions += 1
        found.append("commission booked" if "booked" in reason else "commission held for review")
    refunds = reason.count(" reversed")
    if refunds:
        report.refunds += refunds
        found.append(f"{refunds} refund(s) reversed")
    if "order cancelled" in reason:
        report.cancellations += 1
        found.append("cancelled")
    if found:
        report.booked.append(f"{label}: {', '.join(found)}")


def _changed_at(payload: dict[str, Any]) -> datetime | None:
    value = payload.get("updated_at") or payload.get("date_modified_gmt")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return as_utc(parsed)


def _advance(engine: Engine, store_id: int, newest: datetime) -> None:
    """Move the mark forward (never back: two runs may overlap)."""
    with transaction(engine) as session:
        store = session.get(Store, store_id, with_for_update=True)
        assert store is not None
        current = as_utc(store.orders_synced_through) if store.orders_synced_through else None
        if current is None or newest > current:
            store.orders_synced_through = newest
