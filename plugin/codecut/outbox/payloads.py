"""What an event's ``data`` holds: the same records the CLI and the API print, read inside the
transaction that booked the fact (so the event says exactly what was committed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from ..models import Campaign, Code, Influencer, LedgerEntry, Order, Store, table_of
from ..money import format_minor
from ..reads.records import iso

_ENTRY = table_of(LedgerEntry)
_INFLUENCER = table_of(Influencer)
_CODE = table_of(Code)
_CAMPAIGN = table_of(Campaign)
_STORE = table_of(Store)
_ORDER = table_of(Order)

_SELECT_ENTRY = (
    select(
        _ENTRY.c.id,
        _ENTRY.c.kind,
        _ENTRY.c.status,
        _ENTRY.c.amount,
        _ENTRY.c.currency,
        _ENTRY.c.reason,
        _ENTRY.c.available_on,
        _ENTRY.c.occurred_at,
        _INFLUENCER.c.id.label("influencer_id"),
        _INFLUENCER.c.email,
        _INFLUENCER.c.name,
        _CODE.c.code,
        _CAMPAIGN.c.slug,
        _STORE.c.domain,
        _ORDER.c.external_id,
        _ORDER.c.order_number,
    )
    .join(_INFLUENCER, _INFLUENCER.c.id == _ENTRY.c.influencer_id)
    .outerjoin(_CODE, _CODE.c.id == _ENTRY.c.code_id)
    .outerjoin(_CAMPAIGN, _CAMPAIGN.c.id == _ENTRY.c.campaign_id)
    .outerjoin(_STORE, _STORE.c.id == _ENTRY.c.store_id)
    .outerjoin(_ORDER, _ORDER.c.id == _ENTRY.c.order_id)
)


def entry_payload(connection: Connection, entry_id: int) -> dict[str, Any]:
    """A ledger entry with who earned it, on which code, order and store."""
    row = connection.execute(_SELECT_ENTRY.where(_ENTRY.c.id == entry_id)).one()
    return {
        "entry_id": row.id,
        "kind": row.kind,
        "status": row.status,
        "amount": format_minor(row.amount, row.currency),
        "amount_minor": row.amount,
        "currency": row.currency,
        "reason": row.reason,
        "available_on": iso(row.available_on),
        "occurred_at": iso(row.occurred_at),
        "influencer": {"id": row.influencer_id, "email": row.email, "name": row.name},
        "code": row.code,
        "campaign": row.slug,
        "store": row.domain,
        "order": (
            {"id": row.external_id, "number": row.order_number}
            if row.external_id is not None
            else None
        ),
    }
