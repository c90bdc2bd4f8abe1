"""The dashboard's queries agree with plain sums over the same ledger, whatever it holds."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_factory import seller
from sqlalchemy import delete

from codecut.db import transaction
from codecut.models import LedgerEntry
from codecut.reads import portal as portal_queries

TODAY = date(2026, 6, 17)  # a Wednesday


def at_age(age: int) -> datetime:
    return datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) - timedelta(
        days=age, hours=age % 24
    )


def booked_on(age: int) -> date:
    return at_age(age).date()


entries = st.lists(
    st.tuples(
        st.sampled_from(["commission", "reversal", "adjustment"]),
        st.sampled_from(["pending", "approved", "held", "void"]),
        st.sampled_from(["USD", "JPY"]),
        st.integers(min_value=-50_000, max_value=50_000),
        st.integers(min_value=0, max_value=400),  # age in days
    ),
    max_size=30,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=entries)
def test_weekly_chart_matches_naive_sums(engine, rows) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        s.execute(delete(LedgerEntry))
        who = seller(s, code=None)  # examples reuse the influencers; each gets a new code
        other = seller(s, email="ben@example.com", name="Ben", code=None)
        for kind, status, currency, amount, age in rows:
            created = at_age(age)
            for owner in (who, other):
                s.add(
                    LedgerEntry(
                        influencer_id=owner.id,
                        kind=kind,
                        status=status,
                        currency=currency,
                        amount=amount,
                        available_on=created.date() + timedelta(days=30),
                        created_at=created,
                        occurred_at=created,
                    )
                )
        influencer_id = who.id
    with transaction(engine) as s:
        weekly = portal_queries.weekly_earnings(s, influencer_id, today=TODAY)

    live = [r for r in rows if r[1] != "void"]
    first_week = TODAY - timedelta(days=TODAY.weekday()) - timedelta(weeks=25)
    expected: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for _kind, _status, currency, amount, age in live:
        day = booked_on(age)
        if day >= first_week:
            expected[currency][day - timedelta(days=day.weekday())] += amount
    assert set(weekly) == set(expected)
    for currency, weeks in weekly.items():
        assert len(weeks) == 26 and weeks[0].starts_on == first_week
        assert {w.starts_on: w.amount for w in weeks if w.amount} == {
            k: v for k, v in expected[currency].items() if v
        }


def test_clawbacks_are_read_only_for_currencies_below_zero(engine) -> None:  # type: ignore[no-untyped-def]
    from portal_factory import order, payout

    from codecut.payouts.minimum import PayoutMinimum

    placed = at_age(60)
    minimum = PayoutMinimum.parse("50.00")
    with transaction(engine) as s:
        anna = seller(s)
        # Approved and refunded in part before any payout: 10.00 earned, 4.00 taken back.
        order(s, anna, number="#1", base=10_000, placed=placed, status="approved", refunded=4_000)
        headlines = portal_queries.headline(s, anna.id, minimum=minimum)
        assert [(h.currency, h.payable) for h in headlines] == [("USD", 600)]
        assert portal_queries.below_zero(headlines) == []
        assert portal_queries.clawbacks(s, anna.id, []) == []  # nothing read, nothing shown
        assert [c.amount for c in portal_queries.clawbacks(s, anna.id, ["USD"])] == [-400]
        # Paid out, then refunded: 20.00 back from money already paid -> below zero.
        paid = payout(s, anna, amount=2_000, created=placed)
        order(
            s, anna, number="#2", base=20_000, placed=placed, status="paid", payout=paid,
            refunded=20_000,
        )  # fmt: skip
        headlines = portal_queries.headline(s, anna.id, minimum=minimum)
        assert [(h.currency, h.payable) for h in headlines] == [("USD", -1_400)]
        assert portal_queries.below_zero(headlines) == ["USD"]
        clawed = portal_queries.clawbacks(s, anna.id, portal_queries.below_zero(headlines))
        assert [(c.order_number, c.amount) for c in clawed] == [("#2", -2_000), ("#1", -400)]
        assert portal_queries.clawbacks(s, anna.id, ["EUR"]) == []
