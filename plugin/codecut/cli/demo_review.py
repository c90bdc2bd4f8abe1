"""The demo's leak-review step: an order arriving from a coupon site is held for review."""

from __future__ import annotations

from ..devtools.demo_data import DemoProgramme
from ..devtools.demo_orders import send, shopify_order
from ._common import info

#: The demo's leaked order (a fixed id: running the demo again sends a duplicate, booked once).
LEAKED_ORDER_ID = 9_300_000


def send_leaked_order(base_url: str, programme: DemoProgramme, command: str) -> None:
    """Send one order whose buyer came from RetailMeNot and say where to review it."""
    code = programme.codes["anna@example.com"]
    order = shopify_order(
        LEAKED_ORDER_ID,
        code,
        prices=["60.00"],
        referring_site="https://www.retailmenot.com/view/codecut-demo.myshopify.com",
    )
    sent = send(base_url, programme.store, programme.secret, "orders/paid", order)
    info("")
    info(f"Leak review: order #{LEAKED_ORDER_ID} with {code} came from a coupon site")
    info(f"  (HTTP {sent.status}): its commission is held, in no payout until someone decides.")
    info(f"  Held commissions  {command} review list")
    info(f"  Decide            {command} review clear|void ENTRY_ID --memo TEXT")
