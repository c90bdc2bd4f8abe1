"""Booking commissions and reversals from normalized events, on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from programme import (
    INFLUENCER,
    amounts,
    book,
    entries,
    make_programme,
    order,
    order_ids,
    orders,
)
from sqlalchemy import select, update

from codecut.commissions.approval import approve
from codecut.commissions.posting import Posting
from codecut.db import transaction
from codecut.models import Code, LedgerEntry, Store
from codecut.programme import influencers, stores
from codecut.programme.codes import issue_code
from codecut.storefronts.base import CancelEvent, RefundEvent


def test_a_paid_order_books_ten_percent_pending_until_the_hold_ends(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, hold_days=14)
    assert book(engine, order(base=58700))[0].status == "processed"
    assert entries(engine) == [("commission:1", "commission", "pending", 5870, 58700, None)]
    with transaction(engine) as session:
        entry = session.scalars(select(LedgerEntry)).one()
        assert entry.available_on == date(2025, 3, 15)
        assert (entry.currency, entry.rate_bps) == ("USD", 1000)
        assert entry.code_id and entry.campaign_id and entry.order_id and entry.influencer_id


def test_an_unpaid_snapshot_records_the_order_and_books_nothing_until_paid(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(engine, order(paid=False))
    assert len(orders(engine)) == 1 and entries(engine) == []
    book(engine, order(paid=True, minute=5))
    book(engine, order(paid=True, minute=9))  # a later snapshot never books twice
    assert amounts(engine) == {"commission:1": 1000}


def test_no_code_of_ours_is_acknowledged_and_records_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    result = book(engine, order(codes=("WELCOME5",)))[0]
    assert result.status == "ignored" and "no code of ours" in (result.reason or "")
    assert orders(engine) == [] and entries(engine) == []


def test_the_first_of_our_codes_in_the_order_list_wins(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    make_programme(engine, domain="other.myshopify.com", codes=("ANNA2",), email="b@example.com")
    with transaction(engine) as session:
        store = stores.get_store(session, "shop.myshopify.com")
        influencers.add_influencer(session, email="ben@example.com", name="Ben")
        issue_code(
            session,
            influencer_email="ben@example.com",
            campaign_slug="shopify-launch",
            code="BEN10",
        )
        assert store.id
    book(engine, order(codes=("SPRING", " ben10", "TENOFF")))
    (recorded,) = orders(engine)
    assert recorded.code_as_entered == " ben10"
    with transaction(engine) as session:
        code = session.get(Code, recorded.code_id)
        assert code is not None and code.code == "BEN10"


def test_the_influencer_override_beats_the_campaign_and_flat_rules_ignore_the_base(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, override="12.5%")
    make_programme(
        engine,
        domain="flat.myshopify.com",
        commission="7.00 USD",
        codes=("FLAT7",),
        email="f@x.com",
    )
    book(engine, order("1", base=1004))
    assert amounts(engine) == {"commission:1": 126}  # 12.5% of 10.04 = 1.255 -> 1.26
    with transaction(engine) as session:
        store = stores.get_store(session, "flat.myshopify.com")
        posting = Posting(session.connection(), store.id, store.currency, hold_days=30)
        posting.apply(order("9", base=123456, codes=("flat7",)))
        posting.apply(RefundEvent("r9", "9", goods=30864))  # a quarter of the goods
        posting.settle()
    assert amounts(engine)["commission:9"] == 700
    assert amounts(engine)["refund:r9"] == -175


def test_test_orders_and_self_referrals_are_recorded_with_zero_and_a_reason(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(engine, order("1", test=True), order("2", buyer_email=" Anna@Example.COM "))
    book(engine, RefundEvent("r1", "1", goods=5000))
    assert entries(engine) == [
        ("commission:1", "commission", "pending", 0, 10000, "test_order"),
        ("commission:2", "commission", "pending", 0, 10000, "self_referral"),
    ]
    assert [o.self_referral for o in orders(engine)] == [False, True]


def test_paused_terminated_and_inactive_codes_earn_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    with transaction(engine) as session:
        influencer = influencers.get_influencer(session, INFLUENCER)
        influencers.set_influencer_status(session, influencer, "paused")
    book(engine, order("1"))
    with transaction(engine) as session:
        influencers.set_influencer_status(
            session, influencers.get_influencer(session, INFLUENCER), "active"
        )
        session.execute(update(Code).where(Code.code == "TENOFF").values(active=False))
    book(engine, order("2"))
    reasons = [reason for *_, reason in entries(engine)]
    assert reasons == ["influencer_paused", "code_inactive"]
    assert set(amounts(engine).values()) == {0}


def test_refunds_reverse_in_proportion_on_cumulative_totals_then_cancellation_takes_the_rest(
    engine,  # type: ignore[no-untyped-def]
) -> None:
    make_programme(engine)
    book(engine, order(base=58700))
    book(engine, RefundEvent("r1", "1", goods=19566))
    book(engine, RefundEvent("r1", "1", goods=19566))  # the same refund again: nothing
    book(engine, RefundEvent("r2", "1", goods=19567))
    book(engine, RefundEvent("ship", "1", goods=None, money=0))  # shipping only: nothing
    book(engine, CancelEvent("1"))
    book(engine, CancelEvent("1"))
    assert amounts(engine) == {
        "commission:1": 5870,
        "refund:r1": -1957,  # 19.566 -> 19.57
        "refund:r2": -1956,  # cumulative 39.133 -> 39.13, minus 19.57
        "cancel:1": -1957,
    }
    statuses = {status for _key, _kind, status, *_ in entries(engine)}
    assert statuses == {"pending"}


def test_money_only_refunds_are_measured_against_the_total_without_shipping(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(engine, order(base=40000, total=42940, shipping=1000))
    book(engine, RefundEvent("custom", "1", goods=None, money=4194))
    assert amounts(engine)["refund:custom"] == -400  # 10% of 41.94 / 419.40 of 40.00


def test_a_refund_after_approval_is_an_approved_clawback_dated_today(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(engine, order())
    with transaction(engine) as session:  # its hold ends and it is approved (then paid)
        approve(session, date(2100, 1, 1), actor="test")
    now = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    book(engine, RefundEvent("r1", "1", goods=10000), now=now)
    with transaction(engine) as session:
        reversal = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "reversal")).one()
        assert (reversal.status, reversal.amount, reversal.available_on) == (
            "approved",
            -1000,
            date(2025, 6, 1),
        )


def test_a_stale_snapshot_changes_nothing_but_a_cancellation_in_it_still_applies(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(engine, order(base=10000, minute=10))
    assert book(engine, order(base=99999, minute=5))[0].status == "ignored"
    assert orders(engine)[0].base_amount == 10000
    book(engine, order(base=99999, minute=1, cancelled=True))
    assert amounts(engine) == {"commission:1": 1000, "cancel:1": -1000}


def test_a_refund_before_its_order_waits(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    assert book(engine, RefundEvent("r1", "1", goods=5000))[0].status == "waiting"
    assert book(engine, CancelEvent("1"))[0].status == "waiting"
    assert entries(engine) == []


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    base=st.integers(min_value=1, max_value=5_000_000),
    bps=st.integers(min_value=0, max_value=10_000),
    parts=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=5),
)
def test_random_refund_sequences_through_the_database_net_to_exactly_zero(
    engine,  # type: ignore[no-untyped-def]
    base: int,
    bps: int,
    parts: list[int],
) -> None:
    if not _has_store(engine):
        make_programme(engine)
    with transaction(engine) as session:
        influencer = influencers.get_influencer(session, INFLUENCER)
        influencer.commission_rate_bps = bps
    order_id = str(next(order_ids))
    book(engine, order(order_id, base=base))
    shares = _split(base, parts)
    for index, share in enumerate(shares):
        book(engine, RefundEvent(f"{order_id}-{index}", order_id, goods=share))
        booked = _order_sum(engine, order_id)
        assert booked[0] + booked[1] >= 0 and booked[1] <= 0
    commission, reversed_ = _order_sum(engine, order_id)
    assert commission + reversed_ == 0


def _has_store(engine) -> bool:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return session.scalars(select(Store)).first() is not None


def _split(total: int, weights: list[int]) -> list[int]:
    """``total`` in parts proportional to ``weights`` adding up to it (the last takes the rest)."""
    whole = sum(weights)
    parts = [total * weight // whole for weight in weights[:-1]]
    parts.append(total - sum(parts))
    return [part for part in parts if part > 0] or [total]


def _order_sum(engine, order_id: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    values = {
        key: amount
        for key, amount in amounts(engine).items()
        if key == f"commission:{order_id}" or key.startswith(f"refund:{order_id}-")
    }
    commission = values.pop(f"commission:{order_id}")
    return commission, sum(values.values())
