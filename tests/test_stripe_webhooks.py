"""``POST /webhooks/stripe``: signatures, duplicates, and transfer.reversed booking money back."""

from __future__ import annotations

import json
import time

import stripe
from builders import DAY, WEBHOOK_SECRET
from payout_support import count, engine_of, entries_of, entry, influencer, payouts_of

from codecut.db import transaction
from codecut.models import StripeEvent


def _post(app, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):  # type: ignore[no-untyped-def]
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return app.test_client().post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def _event(event_id: str, transfer: dict) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": "transfer.reversed",
        "created": int(time.time()),
        "data": {"object": transfer},
    }


def _paid_transfer(app, pcli, stripe_server):  # type: ignore[no-untyped-def]
    stripe_server.fake.fund("usd", 10_000)
    with transaction(engine_of(app)) as s:
        entry(s, influencer(s, "anna@example.com", "acct_anna"), 6000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    return stripe_server.fake.transfers[0]["id"]


def test_reversal_books_the_money_back_once(papp, pcli, stripe_server) -> None:
    transfer_id = _paid_transfer(papp, pcli, stripe_server)
    reversed_ = stripe_server.fake.reverse(transfer_id, 2000)  # 20.00 taken back
    response = _post(papp, _event("evt_1", reversed_))
    assert response.status_code == 200 and response.get_json() == {"status": "booked"}
    assert _post(papp, _event("evt_1", reversed_)).get_json() == {"status": "duplicate"}
    # Another event id for the same state books nothing more (amount_reversed is cumulative).
    assert _post(papp, _event("evt_2", reversed_)).get_json() == {"status": "ignored"}
    owed = [e for e in entries_of(papp) if e.kind == "adjustment"]
    assert [(e.amount, e.status, e.payout_id) for e in owed] == [(2000, "approved", None)]
    assert f"transfer {transfer_id} of payout 1" in owed[0].memo
    # The rest of it later: only the difference, 40.00, is booked.
    rest = stripe_server.fake.reverse(transfer_id)
    assert _post(papp, _event("evt_3", rest)).get_json() == {"status": "booked"}
    assert sorted(e.amount for e in entries_of(papp) if e.kind == "adjustment") == [2000, 4000]
    assert count(papp, StripeEvent) == 3
    # 60.00 owed again: the next run pays it (the platform got the money back).
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    assert [(p.amount, p.status) for p in payouts_of(papp)][-1] == (6000, "paid")


def test_bad_signatures_are_refused(papp, pcli, stripe_server) -> None:
    transfer_id = _paid_transfer(papp, pcli, stripe_server)
    event = _event("evt_9", stripe_server.fake.reverse(transfer_id))
    assert _post(papp, event, secret="whsec_other").status_code == 400
    stale = _post(papp, event, timestamp=int(time.time()) - 301)
    assert stale.status_code == 400 and stale.get_json()["error"]["code"] == "invalid_signature"
    unsigned = papp.test_client().post("/webhooks/stripe", data=json.dumps(event))
    assert unsigned.status_code == 400
    assert count(papp, StripeEvent) == 0
    assert [e.kind for e in entries_of(papp)] == ["commission"]


def test_other_events_are_recorded_and_ignored(papp) -> None:
    event = {"id": "evt_x", "type": "payout.paid", "data": {"object": {"id": "po_1"}}}
    assert _post(papp, event).get_json() == {"status": "ignored"}
    assert _post(papp, event).get_json() == {"status": "duplicate"}
    body = "not json"
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    response = papp.test_client().post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
