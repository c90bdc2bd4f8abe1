"""Stripe payouts against the local fake Stripe over real HTTP: transfer parameters, exponents,
idempotency across crashes, 5xx answers, declines, retry and cancel."""

from __future__ import annotations

import pytest
import stripe
from builders import DAY, STRIPE_KEY, make_app
from payout_support import engine_of, entries_of, entry, influencer, payouts_of

from codecut.db import transaction
from codecut.errors import InvalidInput
from codecut.payouts import sending as payout_sending
from codecut.payouts import stripe_client as stripe_transfers
from codecut.payouts.run import run
from codecut.state import get_state


def _anna(app, amount: int = 6000, currency: str = "USD") -> int:  # type: ignore[no-untyped-def]
    with transaction(engine_of(app)) as s:
        anna = influencer(s, "anna@example.com", "acct_anna")
        entry(s, anna, amount, currency)
        return anna


def _run(pcli):  # type: ignore[no-untyped-def]
    result = pcli("payouts", "run", "--as-of", DAY.isoformat())
    assert result.exit_code == 0, result.stderr
    return result


def test_exponents_follow_stripe_not_iso() -> None:
    assert stripe_transfers.to_stripe_amount(1234, "USD") == 1234
    assert stripe_transfers.to_stripe_amount(1500, "JPY") == 1500
    assert stripe_transfers.to_stripe_amount(1234, "KWD") == 1234  # 1.234 KWD
    assert stripe_transfers.to_stripe_amount(15, "ISK") == 1500  # ISO 0, Stripe 2 decimals
    assert stripe_transfers.to_stripe_amount(12300, "MGA") == 123  # ISO 2, Stripe 0 decimals
    with pytest.raises(InvalidInput):
        stripe_transfers.to_stripe_amount(12345, "MGA")  # 123.45 MGA cannot be sent
    assert stripe_transfers.from_stripe_amount(1500, "ISK") == 15


def test_paid_transfer_has_stripes_shape(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("usd", 10_000)
    _anna(papp)
    result = _run(pcli)
    assert "1 paid" in result.stderr
    (payout,) = payouts_of(papp)
    (transfer,) = stripe_server.fake.transfers
    assert transfer["amount"] == 6000 and transfer["currency"] == "usd"
    assert transfer["destination"] == "acct_anna"
    assert transfer["transfer_group"] == f"codecut-batch-{payout.batch_id}"
    assert transfer["metadata"] == {
        "payout_id": str(payout.id),
        "batch_id": str(payout.batch_id),
        "influencer_email": "anna@example.com",
    }
    assert (payout.status, payout.reference) == ("paid", transfer["id"])
    assert payout.idempotency_key == f"codecut-payout-{payout.id}-attempt-1"
    assert payout.paid_at is not None
    assert {e.status for e in entries_of(papp)} == {"paid"}
    assert stripe_server.fake.balance["usd"] == 4000
    # A second run finds nothing to pay and sends nothing.
    _run(pcli)
    assert stripe_server.fake.created == 1


def test_jpy_and_kwd_amounts(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("jpy", 100_000)
    stripe_server.fake.fund("kwd", 100_000)
    with transaction(engine_of(papp)) as s:
        anna = influencer(s, "anna@example.com", "acct_anna")
        entry(s, anna, 7000, "JPY")  # 7000 yen, minimum 50 yen
        entry(s, anna, 51234, "KWD")  # 51.234 KWD, minimum 50.000
    _run(pcli)
    amounts = sorted((t["currency"], t["amount"]) for t in stripe_server.fake.transfers)
    assert amounts == [("jpy", 7000), ("kwd", 51234)]


def test_dropped_answer_is_retried_with_the_same_key(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("usd", 10_000)
    stripe_server.fake.drop_next(after_create=True)  # made at Stripe, answer lost
    _anna(papp)
    _run(pcli)
    assert stripe_server.fake.created == 1
    posts = [r for r in stripe_server.fake.requests if r[0] == "POST"]
    assert [key for *_, key in posts] == ["codecut-payout-1-attempt-1"] * 2
    assert payouts_of(papp)[0].status == "paid"


def test_crash_after_the_call_does_not_pay_twice(papp, pcli, stripe_server, monkeypatch) -> None:
    stripe_server.fake.fund("usd", 10_000)
    _anna(papp)
    real_finish = payout_sending._finish_paid

    def crash(*args: object) -> None:
        raise KeyboardInterrupt  # the process dies after Stripe answered, before the update

    monkeypatch.setattr(payout_sending, "_finish_paid", crash)
    result = pcli("payouts", "run", "--as-of", DAY.isoformat())
    assert result.exit_code != 0
    (payout,) = payouts_of(papp)
    assert payout.status == "processing" and stripe_server.fake.created == 1
    monkeypatch.setattr(payout_sending, "_finish_paid", real_finish)
    # Stripe has forgotten the key (they are pruned after 24 hours): only the lookup saves us.
    stripe_server.fake.idempotent.clear()
    result = pcli("payouts", "run", "--as-of", DAY.isoformat(), "--json")
    assert result.exit_code == 0, result.stderr
    assert stripe_server.fake.created == 1
    (payout,) = payouts_of(papp)
    assert (payout.status, payout.reference) == ("paid", stripe_server.fake.transfers[0]["id"])
    assert {e.status for e in entries_of(papp)} == {"paid"}


def test_lost_answer_is_settled_by_lookup_without_retries(
    database_url,
    tmp_path,
    stripe_server,
) -> None:
    from builders import cli_for

    app = make_app(
        database_url, tmp_path, stripe_url=stripe_server.url, CODECUT_STRIPE_MAX_NETWORK_RETRIES=0
    )
    stripe_server.fake.fund("usd", 10_000)
    stripe_server.fake.drop_next(after_create=True)
    _anna(app)
    result = cli_for(app)("payouts", "run", "--as-of", DAY.isoformat())
    assert result.exit_code == 0, result.stderr
    assert stripe_server.fake.created == 1 and payouts_of(app)[0].status == "paid"
    app.extensions["codecut"].engine.dispose()


def test_lost_request_is_sent_again_after_the_lookup(
    database_url,
    tmp_path,
    stripe_server,
) -> None:
    from builders import cli_for

    app = make_app(
        database_url, tmp_path, stripe_url=stripe_server.url, CODECUT_STRIPE_MAX_NETWORK_RETRIES=0
    )
    cli = cli_for(app)
    stripe_server.fake.fund("usd", 10_000)
    stripe_server.fake.drop_next(after_create=False)  # never reached the endpoint
    _anna(app)
    cli("payouts", "run", "--as-of", DAY.isoformat())
    assert payouts_of(app)[0].status == "processing" and stripe_server.fake.created == 0
    cli("payouts", "run", "--as-of", DAY.isoformat())
    assert stripe_server.fake.created == 1 and payouts_of(app)[0].status == "paid"
    # Looked up first, then the same key once more.
    posts = [key for method, _, key in stripe_server.fake.requests if method == "POST"]
    assert posts == ["codecut-payout-1-attempt-1"] * 2
    app.extensions["codecut"].engine.dispose()


def test_500_after_the_transfer_was_made_is_settled_by_lookup(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("usd", 10_000)
    stripe_server.fake.fail_next(after_create=True)
    _anna(papp)
    _run(pcli)
    assert stripe_server.fake.created == 1
    (payout,) = payouts_of(papp)
    assert (payout.status, payout.attempt) == ("paid", 1)
    assert payout.reference == stripe_server.fake.transfers[0]["id"]
    gets = [path for method, path, _ in stripe_server.fake.requests if method == "GET"]
    assert gets == ["/v1/transfers"]


def test_500_without_a_transfer_gets_a_new_attempt(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("usd", 10_000)
    stripe_server.fake.fail_next(after_create=False)
    _anna(papp)
    _run(pcli)
    posts = [key for method, _, key in stripe_server.fake.requests if method == "POST"]
    # The 500 is stored under attempt 1 and would be replayed forever: a new key is needed,
    # and only after the lookup showed no transfer.
    assert posts == ["codecut-payout-1-attempt-1", "codecut-payout-1-attempt-2"]
    assert stripe_server.fake.created == 1
    (payout,) = payouts_of(papp)
    assert (payout.status, payout.attempt) == ("paid", 2)


def test_decline_keeps_entries_until_retry(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("usd", 1_000)  # not enough for 60.00
    _anna(papp)
    result = _run(pcli)
    assert "balance_insufficient" in result.stderr
    (payout,) = payouts_of(papp)
    assert (payout.status, payout.failure_code) == ("failed", "balance_insufficient")
    assert "insufficient available funds" in payout.failure_message
    assert {e.payout_id for e in entries_of(papp)} == {payout.id}
    # A later run does not pay those entries again.
    _run(pcli)
    assert len(payouts_of(papp)) == 1 and stripe_server.fake.created == 0
    stripe_server.fake.fund("usd", 10_000)
    result = pcli("payouts", "retry", str(payout.id))
    assert result.exit_code == 0, result.stderr
    (payout,) = payouts_of(papp)
    assert (payout.status, payout.attempt, payout.failure_code) == ("paid", 2, None)
    assert payout.idempotency_key == f"codecut-payout-{payout.id}-attempt-2"
    assert stripe_server.fake.created == 1
    assert {e.status for e in entries_of(papp)} == {"paid"}
    assert pcli("payouts", "retry", str(payout.id)).exit_code == 1  # paid, not failed


def test_restricted_account_then_cancel(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("usd", 10_000)
    stripe_server.fake.mark_account("acct_anna", "restricted")
    _anna(papp)
    _run(pcli)
    (payout,) = payouts_of(papp)
    assert payout.failure_code == "insufficient_capabilities_for_transfer"
    result = pcli("payouts", "cancel", str(payout.id))
    assert result.exit_code == 0, result.stderr
    assert {e.payout_id for e in entries_of(papp)} == {None}
    assert pcli("payouts", "verify", str(payout.batch_id)).exit_code == 0
    stripe_server.fake.mark_account("acct_anna", "active")
    _run(pcli)
    statuses = [(p.status, p.amount) for p in payouts_of(papp)]
    assert statuses == [("cancelled", 6000), ("paid", 6000)]
    assert stripe_server.fake.created == 1


def test_retry_goes_to_the_fixed_account(papp, pcli, stripe_server) -> None:
    from codecut.programme import influencers

    stripe_server.fake.fund("usd", 10_000)
    stripe_server.fake.mark_account("acct_anna", "invalid")
    _anna(papp)
    _run(pcli)
    assert payouts_of(papp)[0].failure_code == "account_invalid"
    with transaction(engine_of(papp)) as s:
        influencers.get_influencer(s, "anna@example.com").stripe_account_id = "acct_anna2"
    assert pcli("payouts", "retry", "1").exit_code == 0
    assert stripe_server.fake.transfers[0]["destination"] == "acct_anna2"


def test_wrong_api_key_stops_the_run(database_url, tmp_path, stripe_server) -> None:
    from builders import cli_for

    app = make_app(
        database_url, tmp_path, stripe_url=stripe_server.url, CODECUT_STRIPE_API_KEY="rk_bad"
    )
    _anna(app)
    result = cli_for(app)("payouts", "run", "--as-of", DAY.isoformat())
    assert result.exit_code == 1 and "Stripe refused the API key" in result.stderr
    # Nothing failed for a platform problem; the next run (with a good key) finishes the job.
    assert [p.status for p in payouts_of(app)] == ["processing"]
    app.extensions["codecut"].engine.dispose()
    good = make_app(database_url, tmp_path, stripe_url=stripe_server.url)
    stripe_server.fake.fund("usd", 10_000)
    result = cli_for(good)("payouts", "run", "--as-of", DAY.isoformat(), "--json")
    assert result.exit_code == 0, result.stderr
    assert [p.status for p in payouts_of(good)] == ["paid"]
    good.extensions["codecut"].engine.dispose()


def test_not_expressible_amount_fails_clearly(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("mga", 10**9)
    _anna(papp, amount=600_050, currency="MGA")  # 6000.50 MGA; Stripe's MGA has no decimals
    _run(pcli)
    (payout,) = payouts_of(papp)
    assert (payout.status, payout.failure_code) == ("failed", "amount_not_expressible")
    assert stripe_server.fake.created == 0


def test_fake_stripe_idempotency_rules(stripe_server) -> None:
    stripe_server.fake.fund("usd", 10_000)
    client = stripe.StripeClient(
        STRIPE_KEY, base_addresses={"api": stripe_server.url}, max_network_retries=0
    )
    params = {"amount": 100, "currency": "usd", "destination": "acct_x"}
    first = client.v1.transfers.create(params, {"idempotency_key": "k1"})
    again = client.v1.transfers.create(params, {"idempotency_key": "k1"})
    assert first.id == again.id and stripe_server.fake.created == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.transfers.create({**params, "amount": 101}, {"idempotency_key": "k1"})
    stripe_server.fake.fail_next()
    for _ in range(2):  # the 500 is stored and replayed
        with pytest.raises(stripe.APIError):
            client.v1.transfers.create(params, {"idempotency_key": "k2"})
    with pytest.raises(stripe.InvalidRequestError) as declined:
        client.v1.transfers.create({**params, "amount": 10**6}, {"idempotency_key": "k3"})
    assert declined.value.code == "balance_insufficient"
    assert client.v1.transfers.retrieve(first.id).amount == 100
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient(
            "sk_live_x", base_addresses={"api": stripe_server.url}
        ).v1.transfers.list()


def test_the_core_run_takes_what_the_app_hands_it(papp, stripe_server) -> None:
    """The core entry point for callers without the CLI (the demo, a scheduler): the engine,
    the minimum and a Stripe client factory, never the app's state object."""
    stripe_server.fake.fund("usd", 10_000)
    _anna(papp)
    state = get_state(papp)
    reports = run(
        state.engine,
        as_of=DAY,
        minimum=state.settings.payout_minimum,
        actor="demo",
        client_factory=state.stripe_client,
    )
    assert [(r.batch_id, r.statuses) for r in reports] == [(1, {"paid": 1})]
