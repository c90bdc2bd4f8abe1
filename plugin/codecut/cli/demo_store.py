"""The demo's store-sync step: its codes pushed to a local Shopify stand-in, and a reconcile that
finds an order whose webhook the demo "lost"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlmodel import col

from ..config import Settings
from ..db import transaction
from ..devtools.demo_data import DemoProgramme
from ..devtools.demo_orders import shopify_order
from ..devtools.fake_shopify import ShopifyServer, graphql_order
from ..models import Campaign, Code, CodePush
from ..programme.stores import get_store
from ..storesync import connection, pull, push
from ..storesync.connection import Keys
from ..storesync.http import HttpClient
from ._common import info

#: The order whose webhook the demo never sends (a fixed id: booked once however often it runs).
LOST_ORDER_ID = 9_400_000
CUSTOMER_DISCOUNT = "15%"


def sync(
    engine: Engine,
    settings: Settings,
    keys: Keys,
    programme: DemoProgramme,
    shop: ShopifyServer,
    command: str,
) -> None:
    """Connect the demo store to ``shop``, push the codes, lose a webhook, reconcile."""
    http = HttpClient()
    with transaction(engine) as session:
        store = get_store(session, programme.store)
        connection.connect(
            session,
            store,
            {"admin_token": shop.fake.token},
            api_base=shop.url,
            settings=settings,
            keys=keys,
            http=http,
        )
        campaign = session.scalars(
            select(Campaign).where(col(Campaign.slug) == programme.campaign)
        ).one()
        campaign.customer_discount = campaign.customer_discount or CUSTOMER_DISCOUNT
        # The stand-in is new each run: forget what was pushed to the last one.
        campaign.shop_discount_id = None
        code_ids = select(col(Code.id)).where(col(Code.campaign_id) == campaign.id)
        session.execute(delete(CodePush).where(col(CodePush.code_id).in_(code_ids)))

    def api_for(store: object) -> connection.StoreApi:
        return connection.open_api(store, settings, keys, http)  # type: ignore[arg-type]

    pushed = push.push_codes(engine, programme.campaign, api_for)
    code = programme.codes["chloe@example.com"]
    lost = shopify_order(
        LOST_ORDER_ID,
        code,
        prices=["80.00"],
        discount="12.00",
        at=datetime.now(UTC) - timedelta(days=1),
    )
    shop.fake.add_order(graphql_order(lost))
    found = pull.reconcile_store(
        engine,
        programme.store,
        api_for,
        hold_days=settings.hold_days,
        coupon_sites=settings.coupon_sites,
    )
    info("")
    info(
        f"Store sync: {len(pushed.pushed) + pushed.already} codes are in the local Shopify "
        f"stand-in under one {CUSTOMER_DISCOUNT} discount"
    )
    info(f"  ({pushed.calls} Admin API calls; a bulk job added them and was polled until done).")
    info(f"  Order #{LOST_ORDER_ID} with {code} reached the shop but its webhook was lost;")
    for line in found.booked or ["(booked on an earlier run of the demo)"]:
        info(f"  reconcile found it: {line}")
    info(f"  Push codes        {command} code push --campaign {programme.campaign}")
    info(f"  Missed orders     {command} reconcile --store {programme.store}   (while serving)")
