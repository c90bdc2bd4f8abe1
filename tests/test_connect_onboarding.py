"""Stripe Connect onboarding: influencers connect their own Express account through the portal
(or an operator's link), Stripe's state is recorded from the return page and ``account.updated``,
and payouts wait for accounts that cannot receive transfers yet. All over real HTTP against the
Stripe stand-in."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
import requests
import stripe
from builders import DAY, WEBHOOK_SECRET, cli_for, make_app
from payout_support import engine_of, entry, influencer, payouts_of
from portal_factory import csrf_of, signed_in_client
from sqlmodel import Session

from codecut.db import transaction
from codecut.models import Influencer
from codecut.state import get_state

CONNECT_SECRET = "whsec_connect_test"


@pytest.fixture
def capp(database_url, tmp_path, stripe_server):  # type: ignore[no-untyped-def]
    app = make_app(
        database_url,
        tmp_path,
        stripe_url=stripe_server.url,
        CODECUT_STRIPE_CONNECT_WEBHOOK_SECRET=CONNECT_SECRET,
        CODECUT_PUBLIC_URL="http://codecut.test",
    )
    yield app
    get_state(app).engine.dispose()


def _anna(app, account: str | None = None) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine_of(app)) as s:
        return influencer(s, "anna@example.com", account, name="Anna Berg")


def _row(app, influencer_id: int) -> Influencer:  # type: ignore[no-untyped-def]
    with Session(engine_of(app)) as s:
        row = s.get(Influencer, influencer_id)
        assert row is not None
        return row


def _start(client, path: str = "/portal/payouts", country: str = "DE"):  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": csrf_of(page.text), "country": country})


def _post_event(app, event: dict, secret: str = CONNECT_SECRET):  # type: ignore[no-untyped-def]
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    return app.test_client().post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def _complete_at_stripe(url: str) -> str:
    """Open the hosted form, press its button; returns where Stripe sends the browser back."""
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "Complete onboarding" in page.text
    done = requests.post(url, allow_redirects=False, timeout=10)
    assert done.status_code == 303
    return str(done.headers["Location"])


def test_the_portal_round_trip(capp, stripe_server) -> None:
    anna = _anna(capp)
    client = signed_in_client(capp)
    dashboard = client.get("/portal/")
    assert "Set up payouts with Stripe" in dashboard.text
    assert 'href="/portal/payouts"' in dashboard.text
    answer = _start(client, country="DE")
    assert answer.status_code == 303
    onboarding_url = answer.headers["Location"]
    assert onboarding_url.startswith(stripe_server.url + "/connect/onboarding/")
    row = _row(capp, anna)
    assert row.stripe_account_id and row.country == "DE"
    assert row.stripe_transfers == "inactive" and not row.stripe_details_submitted
    account = stripe_server.fake.connected[row.stripe_account_id]
    # Germany is not the platform's US: the cross-border recipient agreement, transfers only.
    assert account["tos_acceptance"] == {"service_agreement": "recipient"}
    assert account["email"] == "anna@example.com" and account["country"] == "DE"
    page = client.get("/portal/payouts")
    assert "Stripe needs your ID document" in page.text
    assert f"form-action 'self' {stripe_server.url}" in page.headers["Content-Security-Policy"]
    # Stripe's form, then back to the portal, which asks Stripe how far it got.
    back = _complete_at_stripe(onboarding_url)
    assert back == "http://codecut.test/portal/payouts/return"
    returned = client.get(urlsplit(back).path)
    assert returned.status_code == 302
    assert "Payouts are set up" in client.get("/portal/payouts").text
    row = _row(capp, anna)
    assert (row.stripe_transfers, row.stripe_details_submitted, row.stripe_payouts_enabled) == (
        "active",
        True,
        True,
    )
    assert "Set up payouts" not in client.get("/portal/").text
    # Set up once: posting again makes no second account.
    assert len(stripe_server.fake.connected) == 1


def test_same_country_takes_the_full_agreement_and_a_second_click_no_second_account(
    capp, stripe_server
) -> None:
    _anna(capp)
    client = signed_in_client(capp)
    assert _start(client, country="US").status_code == 303
    [account] = stripe_server.fake.connected.values()
    assert account["tos_acceptance"] == {"service_agreement": "full"}
    again = client.post(
        "/portal/payouts", data={"csrf_token": csrf_of(client.get("/portal/payouts").text)}
    )
    assert again.status_code == 303 and len(stripe_server.fake.connected) == 1


def test_a_stale_link_is_refreshed_never_an_error(capp, stripe_server) -> None:
    _anna(capp)
    client = signed_in_client(capp)
    first = _start(client).headers["Location"]
    stripe_server.fake.expire_links()
    stale = requests.get(first, allow_redirects=False, timeout=10)
    assert stale.status_code == 303
    assert stale.headers["Location"] == "http://codecut.test/portal/payouts/refresh"
    fresh = client.get("/portal/payouts/refresh")
    assert fresh.status_code == 303 and fresh.headers["Location"] != first
    assert _complete_at_stripe(fresh.headers["Location"]).endswith("/portal/payouts/return")


def test_bad_country_is_refused_and_nothing_is_made(capp, stripe_server) -> None:
    anna = _anna(capp)
    client = signed_in_client(capp)
    for country in ("", "XX", "Germany", "D€"):
        answer = _start(client, country=country)
        assert answer.status_code == 400 and "two-letter" in answer.text
    assert stripe_server.fake.connected == {} and _row(capp, anna).stripe_account_id is None


def test_account_updated_from_the_connect_endpoint_records_the_state(capp, stripe_server) -> None:
    anna = _anna(capp)
    client = signed_in_client(capp)
    url = _start(client).headers["Location"]
    _complete_at_stripe(url)
    account_id = _row(capp, anna).stripe_account_id
    # Stripe later wants an ID document: transfers stop.
    stripe_server.fake.require(
        account_id, ["individual.verification.document"], "requirements.past_due"
    )
    event = stripe_server.fake.events[-1]
    assert event["type"] == "account.updated" and event["account"] == account_id
    answer = _post_event(capp, event)
    assert answer.status_code == 200 and answer.get_json() == {"status": "recorded"}
    assert _post_event(capp, event).get_json() == {"status": "duplicate"}
    assert _row(capp, anna).stripe_transfers == "inactive"
    assert "Stripe needs your ID document" in client.get("/portal/payouts").text
    # An older event arriving late changes nothing.
    stale = {**stripe_server.fake.events[0], "id": "evt_old", "created": int(time.time()) - 3600}
    assert stale["type"] == "account.updated"
    assert _post_event(capp, stale).get_json() == {"status": "ignored"}
    assert _row(capp, anna).stripe_transfers == "inactive"
    # The platform endpoint's secret is accepted too; a wrong one is not.
    assert _post_event(capp, {**event, "id": "evt_x"}, WEBHOOK_SECRET).status_code == 200
    assert _post_event(capp, {**event, "id": "evt_y"}, "whsec_wrong").status_code == 400


def test_payouts_wait_for_onboarding_then_the_next_run_pays(capp, stripe_server) -> None:
    cli = cli_for(capp)
    stripe_server.fake.fund("usd", 100_000)
    anna = _anna(capp)
    with transaction(engine_of(capp)) as s:
        entry(s, anna, 6000)
        ben = influencer(s, "ben@example.com", "acct_1TypedIn", name="Ben")
        entry(s, ben, 7000)
    client = signed_in_client(capp)
    _start(client)  # an account exists, not yet able to receive transfers
    dry = cli("payouts", "run", "--as-of", DAY.isoformat(), "--dry-run", "--json")
    plan = json.loads(dry.stdout)
    assert [p["influencer_email"] for p in plan["payouts"]] == ["ben@example.com"]
    assert plan["waiting"] == [
        {
            "influencer_email": "anna@example.com",
            "currency": "USD",
            "amount": "60.00",
            "reason": "stripe_onboarding",
        }
    ]
    text = cli("payouts", "run", "--as-of", DAY.isoformat(), "--dry-run")
    assert "anna@example.com\t60.00 USD\tnot paid: stripe_onboarding" in text.output
    assert "1 waiting for Stripe onboarding" in text.output
    assert cli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    assert [(p.influencer_id, p.amount) for p in payouts_of(capp)] == [(ben, 7000)]
    # Onboarding completes (account.updated arrives); the next run pays her.
    account_id = _row(capp, anna).stripe_account_id
    stripe_server.fake.complete_onboarding(account_id)
    assert _post_event(capp, stripe_server.fake.events[-1]).get_json() == {"status": "recorded"}
    assert cli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    paid = [(p.influencer_id, p.amount, p.status, p.destination) for p in payouts_of(capp)]
    assert (anna, 6000, "paid", account_id) in paid


def test_an_operator_link_works_without_signing_in(capp, stripe_server) -> None:
    anna = _anna(capp)
    cli = cli_for(capp)
    result = cli("influencer", "payout-link", "anna@example.com")
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("http://codecut.test/portal/payouts/start/")
    assert "Set up payouts with Stripe" in result.output
    path = urlsplit(link).path
    client = capp.test_client()
    answer = _start(client, path, country="FR")
    assert answer.status_code == 303
    back = _complete_at_stripe(answer.headers["Location"])
    assert back == f"http://codecut.test{path}/return"
    done = client.get(path + "/return")
    assert done.status_code == 200 and "Payouts are set up" in done.text
    assert "Sign out" not in done.text  # it signed nobody in
    assert _row(capp, anna).country == "FR"
    # A forged or stale link is a friendly page, not an error.
    bad = client.get("/portal/payouts/start/not-a-token")
    assert bad.status_code == 400 and "not valid" in bad.text
    assert cli("influencer", "payout-link", "nobody@example.com").exit_code == 1


def test_without_stripe_there_is_nothing_to_set_up(app, cli) -> None:
    _anna(app)
    result = cli("influencer", "payout-link", "anna@example.com")
    assert result.exit_code == 1 and "CODECUT_STRIPE_API_KEY is not set" in result.output
    client = signed_in_client(app)
    assert "Set up payouts" not in client.get("/portal/").text
    assert client.get("/portal/payouts").status_code == 404
