"""``codecut events purge``: old raw deliveries lose buyers' personal data, replay still works."""

from __future__ import annotations

import json
from datetime import timedelta

from programme import amounts, make_programme, shopify_post
from sqlalchemy import select, update
from storefront_payloads import load_fixture_json

from codecut.db import transaction
from codecut.inbox.purge import stripped_body
from codecut.models import WebhookEvent, utcnow

ORDER = "shopify_order_code_FAKE30_manual_application"


def _bodies(engine) -> list[bytes]:  # type: ignore[no-untyped-def]
    with transaction(engine, readonly=True) as session:
        return [
            bytes(b) for b in session.scalars(select(WebhookEvent.body).order_by(WebhookEvent.id))
        ]


def test_stripping_by_hand() -> None:
    body = json.dumps(
        {
            "id": 1,
            "email": "a@b.com",
            "customer": {"id": 9, "email": "a@b.com", "first_name": "A"},
            "billing_address": {"address1": "1 Road"},
            "line_items": [{"id": 3, "price": "1.00", "meta_data": [{"key": "_x", "value": 1}]}],
            "meta_data": [
                {"key": "_billing_phone", "value": "555"},
                {"key": "_wc_order_attribution_referrer", "value": "https://knoji.com/"},
            ],
            "shipping_lines": [{"price": "5.00"}],
        }
    ).encode()
    assert json.loads(stripped_body(body)) == {
        "id": 1,
        "customer": {"id": 9},
        "line_items": [{"id": 3, "price": "1.00", "meta_data": [{"key": "_x", "value": 1}]}],
        "meta_data": [{"key": "_wc_order_attribution_referrer", "value": "https://knoji.com/"}],
        "shipping_lines": [{"price": "5.00"}],
    }
    assert stripped_body(b"not json") == b""


def test_purge_strips_only_old_deliveries_and_replay_still_books(app, engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    client = app.test_client()
    payload = load_fixture_json(ORDER)
    assert shopify_post(client, payload, "orders/create").status_code == 200
    assert shopify_post(client, payload, "orders/paid").status_code == 200
    booked = amounts(engine)
    assert booked
    with transaction(engine) as session:  # the first delivery is 401 days old
        first = session.scalars(select(WebhookEvent.id).order_by(WebhookEvent.id)).first()
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == first)
            .values(received_at=utcnow() - timedelta(days=401))
        )
    before = _bodies(engine)
    assert all(b"@" in body for body in before)  # buyers' emails as they arrived
    result = cli("events", "purge", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["examined"], report["stripped"]) == (1, 1)
    old, recent = _bodies(engine)
    assert b"@" not in old and recent == before[1]
    parsed = json.loads(old)
    assert parsed["customer"] == {"id": payload["customer"]["id"]}
    assert parsed["line_items"] and parsed["discount_codes"]
    # Purging again strips nothing; replaying the stripped delivery books nothing twice.
    again = json.loads(cli("events", "purge", "--json").stdout)
    assert (again["examined"], again["stripped"]) == (1, 0)
    replayed = cli("events", "replay", str(first), "--json")
    assert replayed.exit_code == 0, replayed.stderr
    assert json.loads(replayed.stdout)[0]["status"] in ("processed", "ignored")
    assert amounts(engine) == booked
