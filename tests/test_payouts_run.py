"""Payout runs over manual payouts: approval, minimum, carry-forward, clawbacks, currencies,
dry runs, the run lock, mark-paid, cancel, verify -- with figures worked by hand."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from builders import DAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payout_support import count, engine_of, entries_of, entry, entry_views, influencer, payouts_of
from sqlalchemy import delete, select

from codecut.config import ConfigError
from codecut.db import transaction
from codecut.models import (
    Approval,
    AuditEvent,
    LedgerEntry,
    Payout,
    PayoutBatch,
    Settlement,
    utcnow,
)
from codecut.payouts import run as payouts
from codecut.payouts.minimum import PayoutMinimum
from codecut.payouts.verify import verify


def _seed(app):  # type: ignore[no-untyped-def]
    with transaction(engine_of(app)) as s:
        ids = {e: influencer(s, f"{e}@example.com") for e in ("anna", "ben", "chloe", "dan", "eve")}
        ids["frank"] = influencer(s, "frank@example.com")
        entry(s, ids["anna"], 3000)
        entry(s, ids["anna"], 2500)
        entry(s, ids["ben"], 4999)
        entry(s, ids["chloe"], 8000)
        entry(s, ids["chloe"], -3500)
        entry(s, ids["dan"], 6000, status="pending", available_on=DAY + timedelta(days=10))
        entry(s, ids["eve"], 6000)
        entry(s, ids["eve"], 4000, "EUR")
        entry(s, ids["frank"], -2000)
    return ids


def _by_email(app):  # type: ignore[no-untyped-def]
    result = pcli_json(app, "payouts", "list", "--json")
    return {(p["influencer_email"].split("@")[0], p["currency"]): p for p in result}


def pcli_json(app, *args):  # type: ignore[no-untyped-def]
    from builders import cli_for

    result = cli_for(app)(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def test_minimum_carry_forward_and_currencies(papp, pcli) -> None:
    ids = _seed(papp)
    result = pcli("payouts", "run", "--as-of", DAY.isoformat())
    assert result.exit_code == 0, result.stderr
    paid = _by_email(papp)
    # anna 30.00 + 25.00 reaches 50.00; eve's USD 60.00 does, her EUR 40.00 does not.
    assert {k: (p["amount"], p["method"], p["status"]) for k, p in paid.items()} == {
        ("anna", "USD"): ("55.00", "manual", "pending"),
        ("eve", "USD"): ("60.00", "manual", "pending"),
    }
    # ben 49.99, chloe 80.00 - 35.00 = 45.00, eve 40.00 EUR, frank -20.00 carry forward.
    unsettled = {(e.influencer_id, e.currency) for e in entries_of(papp) if e.payout_id is None}
    assert unsettled == {
        (ids["ben"], "USD"),
        (ids["chloe"], "USD"),
        (ids["dan"], "USD"),
        (ids["eve"], "EUR"),
        (ids["frank"], "USD"),
    }
    # dan's entry was still in its hold on DAY.
    assert [e.status for e in entries_of(papp) if e.influencer_id == ids["dan"]] == ["pending"]

    with transaction(engine_of(papp)) as s:
        entry(s, ids["chloe"], 1000)
    result = pcli("payouts", "run", "--as-of", (DAY + timedelta(days=10)).isoformat())
    assert result.exit_code == 0, result.stderr
    second = {k: p["amount"] for k, p in _by_email(papp).items() if p["batch_id"] == 2}
    # chloe 80.00 - 35.00 + 10.00 = 55.00 (three entries); dan's 60.00 is now approved.
    assert second == {("chloe", "USD"): "55.00", ("dan", "USD"): "60.00"}
    chloe = next(p for p in payouts_of(papp) if p.influencer_id == ids["chloe"])
    assert chloe.entry_count == 3
    for batch in (1, 2):
        assert pcli("payouts", "verify", str(batch)).exit_code == 0


def test_clawback_lowers_next_payout(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        anna = influencer(s, "anna@example.com")
        entry(s, anna, 6000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    first = payouts_of(papp)[0]
    result = pcli("payouts", "mark-paid", str(first.id), "--reference", "BANK-1")
    assert result.exit_code == 0, result.stderr
    assert {e.status for e in entries_of(papp)} == {"paid"}
    # The order behind 15.00 of it is refunded after payment: a clawback, approved at once.
    with transaction(engine_of(papp)) as s:
        entry(s, anna, -1500, memo="refund after payment")
        entry(s, anna, 7000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    second = payouts_of(papp)[1]
    assert (second.amount, second.entry_count) == (5500, 2)  # 70.00 - 15.00


def test_clawback_larger_than_new_earnings_carries_forward(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        anna = influencer(s, "anna@example.com")
        entry(s, anna, -9000)
        entry(s, anna, 6000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    assert payouts_of(papp) == []
    with transaction(engine_of(papp)) as s:
        entry(s, anna, 8000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    assert [(p.amount, p.entry_count) for p in payouts_of(papp)] == [(5000, 3)]


def test_dry_run_writes_nothing(papp, pcli) -> None:
    _seed(papp)
    before = [(e.id, e.status, e.payout_id) for e in entries_of(papp)]
    later = (DAY + timedelta(days=10)).isoformat()
    result = pcli("payouts", "run", "--as-of", later, "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert sorted((p["influencer_email"], p["amount"]) for p in plan["payouts"]) == [
        ("anna@example.com", "55.00"),
        ("dan@example.com", "60.00"),
        ("eve@example.com", "60.00"),
    ]
    assert plan["carried_forward"] == 4
    assert [(e.id, e.status, e.payout_id) for e in entries_of(papp)] == before
    assert count(papp, PayoutBatch) == count(papp, Payout) == count(papp, AuditEvent) == 0
    text = pcli("payouts", "run", "--dry-run", "--as-of", later)
    assert "anna@example.com\t55.00 USD\tmanual" in text.stdout
    assert "nothing was written" in text.stderr


def test_method_limits_the_run(papp, pcli, stripe_server) -> None:
    stripe_server.fake.fund("usd", 100_000)
    with transaction(engine_of(papp)) as s:
        entry(s, influencer(s, "anna@example.com", "acct_anna"), 6000)
        entry(s, influencer(s, "ben@example.com"), 7000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat(), "--method", "manual").exit_code == 0
    assert [(p.method, p.amount) for p in payouts_of(papp)] == [("manual", 7000)]
    assert stripe_server.fake.created == 0
    assert pcli("payouts", "run", "--as-of", DAY.isoformat(), "--method", "stripe").exit_code == 0
    assert [(p.method, p.amount, p.status) for p in payouts_of(papp)][1] == ("stripe", 6000, "paid")


def test_approve_command(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        anna = influencer(s, "anna@example.com")
        entry(s, anna, 100, status="pending", available_on=DAY)
        entry(s, anna, 200, status="pending", available_on=DAY + timedelta(days=1))
    result = pcli("commissions", "approve", "--as-of", DAY.isoformat())
    assert result.exit_code == 0 and "1 entry approved" in result.stderr
    assert [e.status for e in entries_of(papp)] == ["approved", "pending"]
    assert pcli("commissions", "approve", "--as-of", "2026-02-30").exit_code != 0


def test_bad_input_writes_nothing(papp, pcli, database_url, tmp_path, stripe_server) -> None:
    from builders import make_app

    _seed(papp)
    for args in (
        ["payouts", "run", "--as-of", "31/01/2026"],
        ["payouts", "mark-paid", "999", "--reference", "X"],
        ["payouts", "retry", "999"],
        ["payouts", "cancel", "999"],
        ["payouts", "verify", "999"],
    ):
        result = pcli(*args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output + result.stderr
    with pytest.raises(ConfigError, match="CODECUT_PAYOUT_MINIMUM"):
        make_app(database_url, tmp_path, stripe_url=stripe_server.url, CODECUT_PAYOUT_MINIMUM="-1")
    assert count(papp, PayoutBatch) == count(papp, Payout) == 0
    assert {e.status for e in entries_of(papp)} == {"approved", "pending"}


def test_mark_paid_and_cancel_rules(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        entry(s, influencer(s, "anna@example.com"), 6000)
        entry(s, influencer(s, "ben@example.com"), 6000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    anna, ben = payouts_of(papp)
    assert pcli("payouts", "mark-paid", str(anna.id), "--reference", " ").exit_code == 1
    assert pcli("payouts", "mark-paid", str(anna.id), "--reference", "WIRE-7").exit_code == 0
    again = pcli("payouts", "mark-paid", str(anna.id), "--reference", "WIRE-8")
    assert again.exit_code == 1 and "already paid" in again.stderr
    assert pcli("payouts", "cancel", str(anna.id)).exit_code == 1
    assert pcli("payouts", "retry", str(ben.id)).exit_code == 1  # pending, not failed
    assert pcli("payouts", "cancel", str(ben.id)).exit_code == 0
    assert pcli("payouts", "mark-paid", str(ben.id), "--reference", "X").exit_code == 1
    statuses = {p.id: (p.status, p.reference) for p in payouts_of(papp)}
    assert statuses == {anna.id: ("paid", "WIRE-7"), ben.id: ("cancelled", None)}
    # ben's entry is payable again and the next run pays it in a new payout.
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    assert [(p.batch_id, p.amount) for p in payouts_of(papp)][2] == (2, 6000)
    assert pcli("payouts", "verify", "1").exit_code == 0
    with transaction(engine_of(papp)) as s:
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "payout.mark_paid" in actions and "payout.cancel" in actions


def test_verify_detects_a_mismatch(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        entry(s, influencer(s, "anna@example.com"), 6000)
    assert pcli("payouts", "run", "--as-of", DAY.isoformat()).exit_code == 0
    with transaction(engine_of(papp)) as s:
        s.get(Payout, 1).amount = 6001  # tampered with outside Codecut
    result = pcli("payouts", "verify", "1")
    assert result.exit_code == 1
    assert "60.01 USD but its 1 entries sum to 60.00" in result.stderr


def test_concurrent_run_is_refused(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        entry(s, influencer(s, "anna@example.com"), 6000)
        s.add(
            PayoutBatch(
                as_of=DAY,
                status="running",
                owner=f"elsewhere.example:{os.getpid()}:abcd",
                lease_expires_at=utcnow() + timedelta(minutes=2),
            )
        )
    result = pcli("payouts", "run", "--as-of", DAY.isoformat())
    assert result.exit_code == 1
    assert "another payout run is in progress (batch 1" in result.stderr
    assert count(papp, Payout) == 0 and count(papp, PayoutBatch) == 1


def test_expired_lease_is_taken_over_and_finished(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        entry(s, influencer(s, "anna@example.com"), 6000)
        s.add(
            PayoutBatch(
                as_of=DAY,
                status="running",
                owner="elsewhere.example:1:abcd",
                lease_expires_at=utcnow() - timedelta(seconds=1),
            )
        )
    result = pcli("payouts", "run", "--as-of", DAY.isoformat(), "--json")
    assert result.exit_code == 0, result.stderr
    reports = json.loads(result.stdout)
    assert [(r["batch_id"], r["taken_over"], r["payouts"]) for r in reports] == [
        (1, True, 1),
        (2, False, 0),
    ]
    with transaction(engine_of(papp)) as s:
        assert {b.status for b in s.scalars(select(PayoutBatch))} == {"completed"}


def test_adjust_books_an_entry_and_audits_the_operator(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        influencer(s, "anna@example.com")
    result = pcli(
        "commissions", "adjust", "--influencer", "Anna@Example.com", "--amount", "-5.00",
        "--currency", "usd", "--memo", "duplicate order", "--json", "--yes",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["amount"] == "-5.00"
    (row,) = entries_of(papp)
    assert (row.kind, row.status, row.amount, row.currency, row.memo) == (
        "adjustment", "approved", -500, "USD", "duplicate order",
    )  # fmt: skip
    assert row.available_on == utcnow().date()
    with transaction(engine_of(papp)) as s:
        (event,) = s.scalars(select(AuditEvent))
    assert event.action == "commission.adjust" and event.subject_id == str(row.id)
    assert event.actor and json.loads(event.detail)["memo"] == "duplicate order"
    for bad in (["--amount", "1.001"], ["--amount", "0"], ["--currency", "XYZ"], ["--memo", " "]):
        args = {"--amount": "1.00", "--currency": "USD", "--memo": "m"}
        args[bad[0]] = bad[1]
        flat = [x for kv in args.items() for x in kv]
        result = pcli("commissions", "adjust", "--influencer", "anna@example.com", *flat)
        assert result.exit_code == 1, bad
    assert pcli(
        "commissions", "adjust", "--influencer", "nobody@example.com", "--amount", "1",
        "--currency", "USD", "--memo", "m",
    ).exit_code == 1  # fmt: skip
    assert count(papp, LedgerEntry) == 1


def test_adjust_in_a_currency_never_earned_in_needs_yes(papp, pcli) -> None:
    with transaction(engine_of(papp)) as s:
        entry(s, influencer(s, "anna@example.com"), 6000, "USD")
    euros = ["commissions", "adjust", "--influencer", "anna@example.com", "--amount", "5.00"]
    euros += ["--currency", "EUR", "--memo", "bonus"]
    refused = pcli(*euros)
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "Error: anna@example.com has never earned in EUR (only in USD); "
        "give --yes to book an adjustment in a new currency"
    )
    assert count(papp, LedgerEntry) == 1
    dollars = [*euros[:-4], "--currency", "USD", "--memo", "bonus"]
    assert pcli(*dollars).exit_code == 0
    assert pcli(*euros, "--yes").exit_code == 0
    assert sorted(e.currency for e in entries_of(papp)) == ["EUR", "USD", "USD"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from(["USD", "EUR", "JPY"]),
            st.integers(-8000, 9000),
            st.sampled_from(["approved", "approved", "pending", "held"]),
        ),
        max_size=40,
    )
)
def test_property_payouts_sum_to_their_entries(papp, rows) -> None:
    engine = engine_of(papp)
    with transaction(engine) as s:
        for table in (Settlement, LedgerEntry, Payout, PayoutBatch, Approval):
            s.execute(delete(table))
        people = [influencer(s, f"p{i}-{os.urandom(3).hex()}@example.com") for i in range(4)]
        for who, currency, amount, status in rows:
            entry(s, people[who], amount, currency, status=status, available_on=DAY)
    minimum = PayoutMinimum.parse("50.00")
    for _ in range(2):
        payouts.run(engine, as_of=DAY, minimum=minimum, actor="test")
    with transaction(engine) as s:
        made = list(s.scalars(select(Payout)))
        views = entry_views(s)
        settled = [e for e in views if e.payout_id is not None]
        for payout in made:
            mine = [e for e in settled if e.payout_id == payout.id]
            assert payout.amount == sum(e.amount for e in mine)
            assert payout.entry_count == len(mine)
            assert {(e.influencer_id, e.currency) for e in mine} == {
                (payout.influencer_id, payout.currency)
            }
            assert payout.amount >= minimum.minor(payout.currency)
        # What is left unsettled per influencer and currency is below the minimum.
        left: dict[tuple[int, str], int] = {}
        for e in views:
            if e.payout_id is not None or e.status != "approved":
                continue
            left[(e.influencer_id, e.currency)] = (
                left.get((e.influencer_id, e.currency), 0) + e.amount
            )
        assert all(not minimum.reached(total, cur) for (_, cur), total in left.items())
        assert all(verify(s, b).ok for b in s.scalars(select(PayoutBatch.id)))
