"""A small commission programme for the engine's tests, and ways to read back what was booked."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session
from storefront_payloads import dumps, shopify_headers

from codecut.commissions.posting import Posting, Result
from codecut.db import transaction
from codecut.models import LedgerEntry, Order, WebhookEvent
from codecut.programme import campaigns, influencers, stores
from codecut.programme.codes import issue_code
from codecut.storefronts.base import Line, OrderEvent

SHOP = "shop.myshopify.com"
SECRET = "shpss_test_secret"
INFLUENCER = "anna@example.com"


def make_programme(
    engine: Engine,
    *,
    platform: str = "shopify",
    domain: str = SHOP,
    secret: str = SECRET,
    currency: str = "USD",
    commission: str = "10%",
    hold_days: int | None = 30,
    codes: tuple[str, ...] = ("TENOFF", "FAKE30"),
    email: str = INFLUENCER,
    override: str | None = None,
) -> None:
    """A store, one campaign, one influencer holding ``codes``."""
    with transaction(engine) as session:
        stores.add_store(
            session, platform=platform, domain=domain, secret=secret, currency=currency
        )
        slug = f"{platform}-launch" if domain == SHOP else f"launch-{domain.split('.')[0]}"
        campaigns.add_campaign(
            session,
            store_domain=domain,
            name="Launch",
            slug=slug,
            commission=commission,
            hold_days=hold_days,
        )
        if influencers.get_influencer_or_none(session, email) is None:
            influencers.add_influencer(session, email=email, name="Anna Berg", commission=override)
        for code in codes:
            issue_code(session, influencer_email=email, campaign_slug=slug, code=code)


def shopify_post(
    client: Any,
    payload: dict[str, Any] | bytes,
    topic: str,
    *,
    secret: str = SECRET,
    domain: str = SHOP,
    **headers: Any,
) -> Any:
    """POST a delivery to the test client, signed as Shopify signs it."""
    body = payload if isinstance(payload, bytes) else dumps(payload)
    return client.post(
        "/webhooks/shopify",
        data=body,
        headers=shopify_headers(body, secret, topic, domain, **headers),
    )


def entries(engine: Engine) -> list[tuple[Any, ...]]:
    """The ledger as (dedupe_key, kind, status, amount, base_amount, reason), in id order."""
    with Session(engine) as session:
        return [
            (e.dedupe_key, e.kind, e.status, e.amount, e.base_amount, e.reason)
            for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
        ]


def amounts(engine: Engine) -> dict[str, int]:
    """dedupe_key -> amount."""
    return {key: amount for key, _kind, _status, amount, _base, _reason in entries(engine)}


def deliveries(engine: Engine) -> list[tuple[str, str | None]]:
    """The inbox as (status, reason), in arrival order."""
    with Session(engine) as session:
        rows = session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))
        return [(row.status, row.reason) for row in rows]


def orders(engine: Engine) -> list[Order]:
    with Session(engine) as session:
        return list(session.scalars(select(Order).order_by(Order.id)))


def body_json(response: Any) -> dict[str, Any]:
    return json.loads(response.get_data())


# -- booking storefront events directly (the engine without the HTTP layer) ----------------------


PLACED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
#: Fresh order ids for tests that book many orders.
order_ids = itertools.count(1000)


def order(
    order_id: str = "1",
    *,
    base: int = 10000,
    total: int | None = None,
    codes: tuple[str, ...] = ("tenoff ",),
    paid: bool = True,
    minute: int = 0,
    **fields: object,
) -> OrderEvent:
    """A paid order of ``SHOP`` placed at ``PLACED``, using TENOFF as the customer typed it."""
    return OrderEvent(
        order_id=order_id,
        order_number=f"#{order_id}",
        currency="USD",
        codes=codes,
        lines=(Line("l1", base, 1),),
        base_amount=base,
        total=base if total is None else total,
        paid=paid,
        **{
            "placed_at": PLACED,
            "updated_at": PLACED + timedelta(minutes=minute),
            **fields,
        },  # type: ignore[arg-type]
    )


def book(engine, *events, now: datetime | None = None) -> list[Result]:  # type: ignore[no-untyped-def]
    """Apply storefront events to ``SHOP``'s ledger in one transaction, as a delivery would."""
    with transaction(engine) as session:
        store = stores.get_store(session, SHOP)
        posting = Posting(session.connection(), store.id, store.currency, hold_days=30, now=now)
        results = [posting.apply(event) for event in events]
        posting.settle()
    return results
