"""Leak rules hold commissions at booking; a person clears or voids them with ``codecut review``.

Hand-built order streams with exact expected flags, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from programme import PLACED, book, entries, make_programme, order, order_ids
from sqlalchemy import delete, func, select

from codecut.commissions.leaks.spike import is_spike, threshold
from codecut.commissions.rule import CommissionRule
from codecut.db import transaction
from codecut.models import AuditEvent, Campaign, LedgerEntry, Order, Payout
from codecut.payouts import run as payouts
from codecut.payouts.minimum import PayoutMinimum
from codecut.reads.balances import balances

DAY0 = PLACED.date()
TEN_PERCENT = CommissionRule.parse("10%", "USD")


def _quiet_then_spike(engine, spike_orders: int) -> None:  # type: ignore[no-untyped-def]
    """One order a day for 20 days, then ``spike_orders`` on day 20 (order ids d0..d19, s1..)."""
    book(engine, *(order(f"d{n}", placed_at=PLACED + timedelta(days=n)) for n in range(20)))
    day20 = PLACED + timedelta(days=20)
    for n in range(1, spike_orders + 1):  # one delivery per order, as webhooks arrive
        book(engine, order(f"s{n}", placed_at=day20 + timedelta(minutes=n)))


def _statuses(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {key: status for key, _k, status, _a, _b, _r in entries(engine)}


def _count(engine, table) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine, readonly=True) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_threshold_and_spike_by_hand() -> None:
    assert threshold([0] * 28) == 10  # a quiet code: more than 10 orders in a day
    assert threshold([4] * 15 + [0] * 13) == 20  # median 4: 5 x 4
    day = date(2025, 4, 1)
    counts = {day: 11}
    assert is_spike(day - timedelta(days=14), day, counts)
    assert not is_spike(day - timedelta(days=13), day, counts)  # code too young: launch
    assert not is_spike(day - timedelta(days=30), day, {day: 10})  # 10 is not more than 10


def test_a_spike_day_holds_the_orders_past_the_threshold(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    _quiet_then_spike(engine, 13)
    statuses = _statuses(engine)
    # Baseline: 20 days with 1 order, 8 with none -> median 1 -> threshold max(10, 5) = 10.
    assert [statuses[f"commission:s{n}"] for n in range(1, 14)] == ["pending"] * 10 + ["held"] * 3
    assert {statuses[f"commission:d{n}"] for n in range(20)} == {"pending"}
    assert {r for k, _k, _s, _a, _b, r in entries(engine) if k.startswith("commission:s1")} >= {
        "spike"
    }


def test_a_busy_codes_threshold_is_five_times_its_median_day_in_utc_days(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    midnight = datetime.combine(DAY0, time.min, tzinfo=UTC)
    # 28 days of 3 orders: at 00:00:00, at noon and at 23:59:59 UTC.
    book(
        engine,
        *(
            order(f"b{day}-{n}", placed_at=midnight + timedelta(days=day, seconds=second))
            for day in range(28)
            for n, second in enumerate((0, 43_200, 86_399))
        ),
    )
    day28 = midnight + timedelta(days=28)
    for n in range(1, 17):  # the first at 00:00:00 of day 28, one a second
        book(engine, order(f"s{n}", placed_at=day28 + timedelta(seconds=n - 1)))
    statuses = _statuses(engine)
    # Median 3 -> threshold max(10, 5 x 3) = 15: the 16th order of day 28 is the first held (the
    # 23:59:59 order of day 27 counted on day 28 would have held the 15th).
    assert [statuses[f"commission:s{n}"] for n in range(1, 17)] == ["pending"] * 15 + ["held"]
    assert {s for k, s in statuses.items() if k.startswith("commission:b")} == {"pending"}


def test_a_launch_day_is_not_a_leak(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(engine, *(order(f"l{n}", placed_at=PLACED + timedelta(minutes=n)) for n in range(40)))
    assert set(_statuses(engine).values()) == {"pending"}


def test_a_held_commissions_refund_follows_it_and_balances_and_runs_skip_it(engine) -> None:  # type: ignore[no-untyped-def]
    from codecut.storefronts.base import RefundEvent

    make_programme(engine)
    _quiet_then_spike(engine, 12)
    book(engine, RefundEvent("r12", "s12", goods=5000))  # half the goods of a held order
    rows = {k: (s, a) for k, _k, s, a, _b, _r in entries(engine)}
    assert rows["commission:s11"] == ("held", 1000)
    assert rows["refund:r12"] == ("held", -500)  # held with its commission, not a clawback
    (balance,) = balances_now(engine)
    # 30 commissions of 10.00; s11 (10.00) and s12 (10.00 - 5.00) held.
    assert (balance.held, balance.taken_back) == (1500, 0)
    # Long after every hold has ended, a run pays everything but the held entries.
    payouts.run(
        engine,
        as_of=DAY0 + timedelta(days=120),
        minimum=PayoutMinimum.parse("1.00"),
        actor="test",
    )
    with transaction(engine, readonly=True) as session:
        (payout,) = session.scalars(select(Payout))
    assert payout.amount == 30 * 1000 and payout.entry_count == 30


def balances_now(engine):  # type: ignore[no-untyped-def]
    with transaction(engine, readonly=True) as session:
        return balances(session, as_of=DAY0 + timedelta(days=120))


def test_review_list_show_clear_void_and_the_audit_log(engine, cli) -> None:  # type: ignore[no-untyped-def]
    from codecut.storefronts.base import RefundEvent

    make_programme(engine)
    _quiet_then_spike(engine, 13)
    book(engine, RefundEvent("r12", "s12", goods=10000))
    listed = cli("review", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert [(r["order_id"], r["code"], r["rules"], r["amount"], r["status"]) for r in records] == [
        (f"s{n}", "TENOFF", ["spike"], "10.00", "held") for n in (11, 12, 13)
    ]
    assert set(records[0]) >= {
        "entry_id", "order_id", "code", "influencer_email", "rules", "amount", "currency",
        "status",
    }  # fmt: skip
    assert records[0]["influencer_email"] == "anna@example.com"
    assert json.loads(cli("review", "list", "--rule", "spike", "--json").stdout) == records
    assert json.loads(cli("review", "list", "--campaign", "nope", "--json").stdout) == []
    s11, s12, _s13 = (r["entry_id"] for r in records)
    shown = cli("review", "show", str(s11), "--json")
    assert json.loads(shown.stdout)["rules"] == ["spike"]

    assert cli("review", "clear", str(s11), "--memo", "a real launch post").exit_code == 0
    assert cli("review", "void", str(s12), "--memo", "coupon site").exit_code == 0
    statuses = _statuses(engine)
    assert (statuses["commission:s11"], statuses["commission:s12"]) == ("pending", "void")
    assert statuses["refund:r12"] == "void"  # voided with its commission
    assert statuses["commission:s13"] == "held"
    with transaction(engine, readonly=True) as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        voided = session.get(LedgerEntry, s12)
        assert voided is not None and voided.memo == "voided after review: coupon site"
    assert [(e.action, e.subject_id) for e in events] == [
        ("review.clear", str(s11)),
        ("review.void", str(s12)),
    ]
    assert events[0].actor and json.loads(events[0].detail)["memo"] == "a real launch post"
    # Bulk by code.
    assert cli("review", "clear", "--code", "tenoff", "--memo", "ok").exit_code == 0
    assert _statuses(engine)["commission:s13"] == "pending"
    assert json.loads(cli("review", "list", "--json").stdout) == []


def test_review_bad_input_is_one_line_exit_1_and_writes_nothing(engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    _quiet_then_spike(engine, 11)
    (held,) = json.loads(cli("review", "list", "--json").stdout)
    with transaction(engine, readonly=True) as session:
        pending = session.scalars(
            select(LedgerEntry.id).where(LedgerEntry.dedupe_key == "commission:s1")
        ).one()
    before = entries(engine)
    for args, message in [
        (["clear", "999999", "--memo", "m"], "no commission entry 999999"),
        (["void", str(pending), "--memo", "m"], f"entry {pending} is not held"),
        (["clear", str(held["entry_id"])], "needs a memo"),
        (["void", str(held["entry_id"]), "--memo", "  "], "needs a memo"),
        (["clear", "--memo", "m"], "name the entries"),
        (["clear", "--rule", "nope", "--memo", "m"], "unknown rule"),
        (["clear", str(held["entry_id"]), str(pending), "--memo", "m"], "is not held"),
        (["show", "999999"], "no commission entry"),
    ]:
        result = cli("review", *args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, args
    assert entries(engine) == before
    assert _count(engine, AuditEvent) == 0


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 30), st.integers(1, 50000)),
        min_size=1,
        max_size=12,
    )
)
def test_property_rules_only_hold_and_never_change_an_amount(engine, days) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        session.execute(delete(LedgerEntry))
        session.execute(delete(Order))
    with transaction(engine, readonly=True) as session:
        made = session.execute(select(func.count()).select_from(Campaign)).scalar_one()
    if not made:
        make_programme(engine)
    events = []
    for day, how_many, base in days:
        for n in range(how_many):
            events.append(
                order(
                    str(next(order_ids)),
                    base=base,
                    placed_at=PLACED + timedelta(days=day, minutes=n),
                )
            )
    book(engine, *events)
    booked = entries(engine)
    assert len(booked) == len(events)
    by_key = {f"commission:{e.order_id}": e.base_amount for e in events}
    for key, kind, status, amount, base, reason in booked:
        assert kind == "commission" and status in ("pending", "held")
        # The campaign's 10%, whatever the rules said.
        assert (amount, base) == (TEN_PERCENT.commission(by_key[key]), by_key[key])
        assert (status == "held") == (reason == "spike")


def test_coupon_site_sources_from_shopify_and_woocommerce() -> None:
    from storefront_payloads import load_fixture_json, woo_order

    from codecut.storefronts.shopify import ShopifyAdapter
    from codecut.storefronts.woocommerce import WooCommerceAdapter

    payload = load_fixture_json("shopify_order_cancelled_refunded")
    (event,) = ShopifyAdapter().parse("orders/updated", payload, "USD")
    assert event.sources == ("example.com", "otherexample.com")  # type: ignore[union-attr]
    assert event.customer_id == "207119551"  # type: ignore[union-attr]
    payload["referring_site"] = "https://www.retailmenot.com/view/shop.com"
    payload["landing_site"] = "/products/tee?utm_source=Honey&utm_medium=ext"
    (event,) = ShopifyAdapter().parse("orders/updated", payload, "USD")
    assert event.sources == ("honey", "retailmenot.com")  # type: ignore[union-attr]
    woo = woo_order()
    woo["meta_data"] = [
        {
            "id": 1,
            "key": "_wc_order_attribution_referrer",
            "value": "https://uk.slickdeals.net/f/1",
        },
        {"id": 2, "key": "_wc_order_attribution_utm_source", "value": "(direct)"},
        {"id": 3, "key": "_billing_phone", "value": "555"},
        {"id": 4, "key": "_wc_order_attribution_session_entry", "value": 7},  # not text: skipped
    ]
    (event,) = WooCommerceAdapter().parse("order.updated", woo, "USD")
    assert event.sources == ("uk.slickdeals.net", "(direct)")  # type: ignore[union-attr]
    assert event.customer_id == "12"  # type: ignore[union-attr]
    woo["customer_id"] = 0  # a guest
    (event,) = WooCommerceAdapter().parse("order.updated", woo, "USD")
    assert event.customer_id is None  # type: ignore[union-attr]
    payload.pop("customer")
    (event,) = ShopifyAdapter().parse("orders/updated", payload, "USD")
    assert event.customer_id is None  # type: ignore[union-attr]


def test_coupon_site_matching_by_hand() -> None:
    from codecut.commissions.leaks.coupon_site import fires, matches

    assert matches("retailmenot.com") and matches("uk.retailmenot.com")
    assert matches("capitaloneshopping.com") and matches("couponfollow") and matches("wethrift")
    assert not matches("notretailmenot.com") and not matches("instagram.com")
    assert not matches("(direct)") and not matches("com")
    assert fires(["instagram.com", "knoji.com"]) and not fires([])


def test_orders_from_coupon_sites_are_held_and_listed_by_rule(engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(
        engine,
        order("1", sources=("instagram.com",)),
        order("2", sources=("www.retailmenot.com",)),
        order("3", sources=("groupon",)),
        order("4"),
    )
    assert _statuses(engine) == {
        "commission:1": "pending",
        "commission:2": "held",
        "commission:3": "held",
        "commission:4": "pending",
    }
    listed = json.loads(cli("review", "list", "--rule", "coupon_site", "--json").stdout)
    assert [(r["order_id"], r["rules"]) for r in listed] == [
        ("2", ["coupon_site"]),
        ("3", ["coupon_site"]),
    ]
    assert json.loads(cli("review", "list", "--rule", "spike", "--json").stdout) == []
    assert cli("review", "void", "--rule", "coupon_site", "--memo", "leaked").exit_code == 0
    assert _statuses(engine)["commission:3"] == "void"


def test_self_referrals_are_listed_for_information_and_never_held(engine, cli) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(engine, order("1", buyer_email="Anna@Example.com"), order("2"))
    listed = json.loads(cli("review", "list", "--rule", "self_referral", "--json").stdout)
    assert [(r["order_id"], r["rules"], r["amount"], r["status"]) for r in listed] == [
        ("1", ["self_referral"], "0.00", "pending")
    ]
    assert json.loads(cli("review", "list", "--json").stdout) == []
    result = cli("review", "clear", "--rule", "self_referral", "--memo", "m")
    assert result.exit_code == 1 and "never held" in result.stderr


def test_one_customer_using_a_code_12_times_flags_the_4th_and_later_in_30_days(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    # The same customer id with changing emails; every 2 days (12 orders over 22 days).
    book(
        engine,
        *(
            order(
                f"c{n}",
                customer_id="5551",
                buyer_email=f"buyer+{n}@example.com",
                placed_at=PLACED + timedelta(days=2 * n),
            )
            for n in range(1, 13)
        ),
        order("other", customer_id="777", placed_at=PLACED + timedelta(days=3)),
    )
    statuses = _statuses(engine)
    assert [statuses[f"commission:c{n}"] for n in range(1, 13)] == ["pending"] * 3 + ["held"] * 9
    assert statuses["commission:other"] == "pending"
    reasons = {k: r for k, _k, _s, _a, _b, r in entries(engine)}
    assert reasons["commission:c4"] == "repeat_buyer"
    # Only a hash is kept; guests are told apart by their email's hash, in any case.
    with transaction(engine, readonly=True) as session:
        keys = set(session.scalars(select(Order.customer_key)))
    assert len(keys) == 2 and all(k is not None and len(k) == 64 for k in keys)
    assert not any("5551" in (k or "") for k in keys)


def test_repeat_buyer_window_is_30_days_and_guests_count_by_email(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    days = (0, 10, 20, 31, 32)  # on day 31 the day-0 order has left the window: 3 in 30 days
    book(
        engine,
        *(
            order(f"g{d}", buyer_email="Guest@Example.com" if d % 2 else "guest@example.com",
                  placed_at=PLACED + timedelta(days=d))
            for d in days
        ),
    )  # fmt: skip
    statuses = _statuses(engine)
    # Day 31: orders on 10, 20, 31 -> 3; day 32: 10, 20, 31, 32 -> 4, flagged.
    assert [statuses[f"commission:g{d}"] for d in days] == ["pending"] * 4 + ["held"]


def test_orders_naming_no_buyer_are_never_repeat_buyers(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    days = (0, 1, 2, 3, 4)  # five orders in five days, with neither a customer id nor an email
    book(
        engine,
        *(
            order(f"n{d}", customer_id=None, buyer_email=None, placed_at=PLACED + timedelta(days=d))
            for d in days
        ),
    )
    statuses = _statuses(engine)
    assert [statuses[f"commission:n{d}"] for d in days] == ["pending"] * 5


def test_self_referral_by_email_then_by_customer_id(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine)
    book(engine, order("1", customer_id="42", buyer_email="ANNA@example.com"))
    book(engine, order("2", customer_id="42", buyer_email="someone@else.com"))
    book(engine, order("3", customer_id="43", buyer_email="someone@else.com"))
    assert [(k, s, a, r) for k, _k, s, a, _b, r in entries(engine)] == [
        ("commission:1", "pending", 0, "self_referral"),
        ("commission:2", "pending", 0, "self_referral"),  # the same store customer
        ("commission:3", "pending", 1000, None),
    ]


def test_the_portal_shows_held_orders_under_review_with_a_plain_reason(engine, cli) -> None:  # type: ignore[no-untyped-def]
    from codecut.reads.portal import orders_page

    make_programme(engine)
    book(
        engine,
        order("1", sources=("retailmenot.com",), placed_at=PLACED),
        order("2", sources=("groupon.com",), placed_at=PLACED + timedelta(minutes=1)),
        order("3", placed_at=PLACED + timedelta(minutes=2)),
    )

    def lines() -> dict[str, tuple[str, str | None, int]]:
        with transaction(engine, readonly=True) as session:
            (anna,) = {o.influencer_id for o in session.scalars(select(Order))}
            page = orders_page(session, anna)
        return {line.order_number: (line.status, line.why, line.commission) for line in page.lines}

    assert lines() == {
        "#1": ("held", "the buyer came from a coupon site", 1000),
        "#2": ("held", "the buyer came from a coupon site", 1000),
        "#3": ("pending", None, 1000),
    }
    (first, _second) = json.loads(cli("review", "list", "--json").stdout)
    assert cli("review", "void", str(first["entry_id"]), "--memo", "code leaked").exit_code == 0
    assert lines()["#1"] == ("void", "voided after review: code leaked", 0)


def test_leak_score_per_code_with_reasons(engine, cli) -> None:  # type: ignore[no-untyped-def]
    from codecut.models import utcnow

    make_programme(engine)
    now = utcnow()
    # TENOFF: 3 orders, 1 from a coupon site -> 33; FAKE30: 2 orders, both flagged -> 100.
    book(
        engine,
        order("1", placed_at=now),
        order("2", placed_at=now),
        order("3", sources=("knoji.com",), placed_at=now),
        order("4", codes=("FAKE30",), sources=("groupon",), placed_at=now),
        order("5", codes=("FAKE30",), sources=("wethrift.com",), placed_at=now),
        order("6", codes=("FAKE30",), placed_at=now - timedelta(days=31)),  # outside the window
    )
    result = cli("review", "codes", "--json")
    assert result.exit_code == 0, result.stderr
    assert [(r["code"], r["orders"], r["flagged"], r["score"], r["reasons"])
            for r in json.loads(result.stdout)] == [
        ("FAKE30", 2, 2, 100, {"coupon_site": 2}),
        ("TENOFF", 3, 1, 33, {"coupon_site": 1}),
    ]  # fmt: skip
    assert "TENOFF\t 33\t1/3 orders" in cli("review", "codes").stdout
    # The console's quick path (flagged codes only, through the partial index) agrees.
    from codecut.commissions.leaks.score import code_scores
    from codecut.db import transaction

    with transaction(engine, readonly=True) as session:
        every = code_scores(session)
        assert code_scores(session, flagged_only=True) == [s for s in every if s.flagged]
