"""Stripping buyers' personal data from old raw deliveries (``codecut events purge``).

Raw storefront deliveries are kept so they can be replayed, but they carry buyers' names, emails,
phone numbers, addresses and IPs. After ``CODECUT_RAW_RETENTION_DAYS`` (default 400) days each is
rewritten without them: every key in :data:`PERSONAL_KEYS` is removed at any depth, the
``customer`` object keeps only its ``id``, and the order's WooCommerce ``meta_data`` keeps only the
order attribution entries. What replay and the leak rules need stays: ids, codes, lines,
amounts, dates, statuses, refunds, the customer id and where the buyer came from. (A replayed
guest order then has no email: it counts as no one's repeat order and as no self-referral, which
only matters for an order never booked in 400 days.) A body that is not JSON (a delivery
rejected on arrival) is emptied. Stripe events carry no buyer data and are left as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import col

from ..db import transaction
from ..models import WebhookEvent, utcnow
from ..storefronts.woocommerce import ATTRIBUTION_KEYS

#: Removed wherever they appear in a delivery's JSON.
PERSONAL_KEYS = frozenset(
    {
        "email",
        "contact_email",
        "phone",
        "first_name",
        "last_name",
        "billing",
        "shipping",  # WooCommerce's shipping address (Shopify's charges are shipping_lines)
        "billing_address",
        "shipping_address",
        "addresses",
        "default_address",
        "browser_ip",
        "client_details",
        "customer_ip_address",
        "customer_user_agent",
        "customer_note",
        "note",
        "note_attributes",
        "payment_details",
        "payment_method_title",
    }
)
#: Deliveries rewritten per transaction.
BATCH = 500


@dataclass(frozen=True)
class PurgeReport:
    before: datetime  # deliveries received before this were examined
    examined: int
    stripped: int  # rewritten (the others held nothing personal any more)


def strip(value: Any, *, top: bool = True) -> Any:
    """``value`` (parsed JSON) without personal data."""
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for key, item in value.items():
            if key in PERSONAL_KEYS:
                continue
            if key == "customer" and isinstance(item, dict):
                kept[key] = {"id": item["id"]} if "id" in item else {}
            elif key == "meta_data" and top and isinstance(item, list):
                kept[key] = [
                    m for m in item if isinstance(m, dict) and m.get("key") in ATTRIBUTION_KEYS
                ]
            else:
                kept[key] = strip(item, top=False)
        return kept
    if isinstance(value, list):
        return [strip(item, top=False) for item in value]
    return value


def stripped_body(body: bytes) -> bytes:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return b""
    return json.dumps(strip(parsed), separators=(",", ":"), ensure_ascii=False).encode()


def purge(engine: Engine, *, retention_days: int, now: datetime | None = None) -> PurgeReport:
    """Strip every storefront delivery received more than ``retention_days`` ago, in batches
    of :data:`BATCH` (each its own transaction, so a long purge never blocks webhooks for long)."""
    before = (now or utcnow()) - timedelta(days=retention_days)
    examined = stripped = 0
    last_id = 0
    while True:
        with transaction(engine) as session:
            rows = session.execute(
                select(col(WebhookEvent.id), col(WebhookEvent.body))
                .where(
                    col(WebhookEvent.received_at) < before,
                    col(WebhookEvent.source) != "stripe",
                    col(WebhookEvent.id) > last_id,
                )
                .order_by(col(WebhookEvent.id))
                .limit(BATCH)
            ).all()
            for event_id, body in rows:
                new = stripped_body(bytes(body))
                if new != bytes(body):
                    session.execute(
                        update(WebhookEvent)
                        .where(col(WebhookEvent.id) == event_id)
                        .values(body=new)
                    )
                    stripped += 1
        if not rows:
            break
        examined += len(rows)
        last_id = rows[-1][0]
    return PurgeReport(before=before, examined=examined, stripped=stripped)
