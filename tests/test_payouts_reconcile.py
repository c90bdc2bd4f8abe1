"""``codecut payouts reconcile``: payouts against the platform's transfers, over real HTTP to the
Stripe stand-in; it changes nothing and exits 1 naming each difference."""

from __future__ import annotations

import json

from builders import DAY
from payout_support import count, engine_of, entry, influencer, payouts_of

from codecut.db import transaction
from codecut.models import LedgerEntry, Payout


def _paid_run(papp, pcli, stripe_server) -> None:  # type: ignore[no-untyped-def]
    stripe_server.fake.fund("usd", 100_000)
    with transaction(engine_of(papp)) as s:
        entry(s, influencer(s, "anna@example.com", "acct_1Anna"), 6000)
        entry(s, influencer(s, "ben@example.com", "acct_1Ben"), 7500)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0


def _reconcile(pcli) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = pcli("payouts", "reconcile", "--json")
    return result.exit_code, json.loads(result.stdout)


def test_everything_matches(papp, pcli, stripe_server) -> None:
    _paid_run(papp, pcli, stripe_server)
    stripe_server.fake.transfers.append(  # someone else's transfer on the platform: not ours
        {
            **stripe_server.fake.transfers[0],
            "id": "tr_other",
            "transfer_group": None,
            "metadata": {},
        }
    )
    code, report = _reconcile(pcli)
    assert code == 0, report
    assert (report["ok"], report["transfers"], report["paid_payouts"]) == (True, 2, 2)
    text = pcli("payouts", "reconcile")
    assert (
        text.exit_code == 0
        and "2 Codecut transfer(s) at Stripe, 2 payout(s) paid; all match" in text.output
    )


def test_each_kind_of_difference_is_named(papp, pcli, stripe_server) -> None:
    _paid_run(papp, pcli, stripe_server)
    fake = stripe_server.fake
    anna, ben = sorted(payouts_of(papp), key=lambda p: p.amount)
    # Stripe took 20.00 back from Anna's transfer; the event never reached Codecut.
    fake.reverse(anna.reference, 2000)
    # Ben's transfer says another amount and destination than his payout.
    ben_transfer = next(t for t in fake.transfers if t["id"] == ben.reference)
    ben_transfer.update(amount=7400, destination="acct_1Someone")
    # A transfer in a Codecut batch group that no payout records.
    fake.transfers.append(
        {
            **ben_transfer,
            "id": "tr_stray",
            "amount": 999,
            "transfer_group": "codecut-batch-1",
            "metadata": {},
        }
    )
    entries_before = count(papp, LedgerEntry)
    code, report = _reconcile(pcli)
    assert code == 1
    kinds = sorted((d["kind"], d["payout_id"], d["transfer_id"]) for d in report["differences"])
    assert kinds == [
        ("amount_differs", ben.id, ben.reference),
        ("destination_differs", ben.id, ben.reference),
        ("reversal_not_recorded", anna.id, anna.reference),
        ("unknown_transfer", None, "tr_stray"),
    ]
    reversal = next(d for d in report["differences"] if d["kind"] == "reversal_not_recorded")
    assert (
        "Stripe reversed 20.00 USD" in reversal["detail"]
        and "0.00 is booked back" in reversal["detail"]
    )
    # It changed nothing.
    assert count(papp, LedgerEntry) == entries_before
    text = pcli("payouts", "reconcile")
    assert text.exit_code == 1 and "4 difference(s)" in text.output
    assert "unknown_transfer\ttr_stray" in text.output


def test_a_paid_payout_stripe_does_not_list(papp, pcli, stripe_server) -> None:
    _paid_run(papp, pcli, stripe_server)
    payout = payouts_of(papp)[0]
    stripe_server.fake.transfers[:] = [
        t for t in stripe_server.fake.transfers if t["id"] != payout.reference
    ]
    code, report = _reconcile(pcli)
    assert code == 1
    assert [(d["kind"], d["payout_id"]) for d in report["differences"]] == [
        ("paid_without_transfer", payout.id)
    ]


def test_a_transfer_for_a_payout_not_marked_paid(papp, pcli, stripe_server) -> None:
    _paid_run(papp, pcli, stripe_server)
    payout = payouts_of(papp)[0]
    with transaction(engine_of(papp)) as s:  # as a run killed after Stripe answered leaves it
        row = s.get(Payout, payout.id)
        row.status, row.reference = "processing", None
    code, report = _reconcile(pcli)
    assert code == 1
    assert [(d["kind"], d["payout_id"]) for d in report["differences"]] == [
        ("not_recorded_paid", payout.id)
    ]


def test_since_and_errors(papp, pcli, app, cli) -> None:
    assert pcli("payouts", "reconcile", "--since", "2026-13-01").exit_code == 2
    result = cli("payouts", "reconcile")  # no Stripe key
    assert result.exit_code == 1 and "CODECUT_STRIPE_API_KEY is not set" in result.output
