"""Campaign KPIs worked out by hand for every measure, the report commands, and a property: the
campaign's totals are the sums of its influencers' rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from programme import book, make_programme, order
from sqlalchemy import select

from codecut import clicks
from codecut.db import transaction
from codecut.models import Code
from codecut.programme import influencers, marketing
from codecut.programme.codes import issue_code
from codecut.reads.kpis import campaign_overview, campaign_report, refreshed, tier
from codecut.storefronts.base import CancelEvent, RefundEvent

SLUG = "shopify-launch"
DAY1 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _programme(engine) -> None:  # type: ignore[no-untyped-def]
    make_programme(engine, codes=("TENOFF",))
    with transaction(engine) as s:
        influencers.update_influencer(
            s, influencers.get_influencer(s, "anna@example.com"), followers="1200"
        )
        influencers.add_influencer(s, email="ben@example.com", name="Ben", followers=500)
        issue_code(s, influencer_email="ben@example.com", campaign_slug=SLUG, code="BEN10")


def _click(engine, code: str, at: datetime, who: str) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        code_id = s.scalars(select(Code.id).where(Code.code == code)).one()
        clicks.record(s.connection(), code_id, at, clicks.visitor("k", at.date(), who, "agent"))


def _seed_worked_example(engine) -> None:  # type: ignore[no-untyped-def]
    _programme(engine)
    later = DAY1 + timedelta(hours=1)
    book(
        engine,
        # Anna: 100.00 with 10.00 off (commission 10.00); 50.00 with 5.00 off, 20.00 of it
        # refunded (commission 5.00, 2.00 of it back); a test order; 40.00 later cancelled.
        order("1", base=10000, codes=("TENOFF",), discounts=(("TENOFF", 1000),), placed_at=DAY1),
        order("2", base=5000, codes=("TENOFF",), discounts=(("TENOFF", 500),), placed_at=DAY1),
        RefundEvent("r2", "2", goods=2000, created_at=later),
        order("3", base=3000, codes=("TENOFF",), test=True, placed_at=DAY1),
        order("4", base=4000, codes=("TENOFF",), placed_at=DAY1),
        CancelEvent("4", cancelled_at=later),
        # Ben: 200.00, no discount (commission 20.00).
        order("5", base=20000, codes=("BEN10",), placed_at=DAY1),
    )
    # Anna's link: A, A, B on day one; A and C on day two: 5 clicks, 4 unique (day, visitor).
    for at, who in [(DAY1, "A"), (DAY1, "A"), (DAY1, "B")]:
        _click(engine, "TENOFF", at, who)
    for who in ("A", "C"):
        _click(engine, "TENOFF", DAY1 + timedelta(days=1), who)
    with transaction(engine) as s:
        marketing.add_post(
            s, influencer_email="anna@example.com", campaign_slug=SLUG,
            url="https://instagram.com/p/anna1", posted_on=DAY1.date(), platform="instagram",
            reach=1000, likes=50, comments=10, shares=5, saves=5, fee="20.00",
        )  # fmt: skip
        marketing.add_post(
            s, influencer_email="ben@example.com", campaign_slug=SLUG,
            url="https://tiktok.com/@ben/1", posted_on=DAY1.date(), platform="tiktok",
            likes=40, comments=10,
        )  # fmt: skip
        marketing.add_seeding(
            s, influencer_email="anna@example.com", campaign_slug=SLUG, cost="15.00",
            sent_on=DAY1.date(),
        )  # fmt: skip


def test_every_measure_worked_by_hand(engine) -> None:  # type: ignore[no-untyped-def]
    _seed_worked_example(engine)
    with refreshed(engine) as s:
        report = campaign_report(s, SLUG)
    anna, ben = report.influencers
    assert anna == {
        "email": "anna@example.com",
        "name": "Anna Berg",
        "clicks": 5,
        "unique_clicks": 4,
        "orders": 3,  # the test order is left out, the cancelled one stays in
        "conversion_rate": 0.75,  # 3 / 4
        "revenue": "130.00",  # 100 + 50 + 40 of goods, less 20 refunded and 40 cancelled
        "average_order_value": "43.33",  # 130 / 3
        "refund_rate": 0.3158,  # 60 / 190
        "commission_cost": "13.00",  # 10 + (5 - 2) + (4 - 4)
        "discount_cost": "15.00",
        "seeding_cost": "15.00",
        "fees": "20.00",
        "spend": "63.00",  # 13 + 15 + 15 + 20
        "roas": 2.0635,  # 130 / 63
        "roi": 1.0635,  # (130 - 63) / 63
        "epc": "2.60",  # 13.00 / 5 clicks
        "posts": 1,
        "reach": 1000,
        "engagement_rate": 0.07,  # (50 + 10 + 5 + 5) / 1000
        "engagement_basis": "reach",
        "followers": 1200,
        "tier": "micro",
    }
    assert (ben["orders"], ben["revenue"], ben["commission_cost"], ben["spend"]) == (
        1, "200.00", "20.00", "20.00",
    )  # fmt: skip
    assert (ben["conversion_rate"], ben["epc"], ben["refund_rate"]) == (None, None, 0.0)
    assert (ben["roas"], ben["roi"], ben["tier"]) == (10.0, 9.0, "nano")
    assert (ben["engagement_rate"], ben["engagement_basis"]) == (0.1, "followers")  # 50 / 500
    total = report.campaign
    assert (total["currency"], total["influencers"], total["orders"], total["revenue"]) == (
        "USD", 2, 4, "330.00",
    )  # fmt: skip
    assert (total["spend"], total["roas"], total["refund_rate"]) == ("83.00", 3.9759, 0.1538)
    assert (total["engagement_rate"], total["engagement_basis"]) == (0.08, "reach and followers")
    assert (total["followers"], total["tier"]) == (1700, None)


def test_the_period_is_order_days(engine) -> None:  # type: ignore[no-untyped-def]
    _seed_worked_example(engine)
    with refreshed(engine) as s:
        after = campaign_report(s, SLUG, first=DAY1.date() + timedelta(days=1))
        only = campaign_report(s, SLUG, first=DAY1.date(), last=DAY1.date())
    assert after.campaign["orders"] == 0 and after.campaign["clicks"] == 2  # day two's clicks
    assert after.campaign["roas"] is None  # no spend in the period
    assert only.campaign["orders"] == 4 and only.campaign["clicks"] == 3


def test_tiers() -> None:
    assert [tier(n) for n in (None, 0, 999, 1000, 100_000, 100_001)] == [
        None, "nano", "nano", "micro", "micro", "macro",
    ]  # fmt: skip


def test_report_commands(app, engine, cli) -> None:  # type: ignore[no-untyped-def]
    _seed_worked_example(engine)
    as_json = cli("report", "campaign", SLUG, "--format", "json")
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["campaign"]["revenue"] == "330.00"
    table = cli("report", "campaign", SLUG)
    assert "anna@example.com" in table.stdout and "TOTAL" in table.stdout
    rows = cli("report", "campaign", SLUG, "--format", "csv").stdout.splitlines()
    assert rows[0].startswith("email,name,clicks,unique_clicks,orders,conversion_rate,revenue")
    assert len(rows) == 3
    board = json.loads(cli("report", "leaderboard", "--by", "revenue", "--format", "json").stdout)
    assert [r["email"] for r in board] == ["ben@example.com", "anna@example.com"]
    fewer = cli("report", "leaderboard", "--by", "revenue", "--min-orders", "2", "--format", "json")
    assert [r["email"] for r in json.loads(fewer.stdout)] == ["anna@example.com"]
    for args in (
        ("report", "campaign", "nosuch"),
        ("report", "campaign", SLUG, "--from", "2025-13-01"),
        ("report", "campaign", SLUG, "--from", "2025-03-02", "--to", "2025-03-01"),
        ("report", "leaderboard", "--by", "nonsense"),
        ("report", "leaderboard", "--by", "revenue", "--limit", "0"),
    ):
        result = cli(*args)
        assert result.exit_code != 0 and "Traceback" not in result.output + result.stderr, args


def test_posts_and_seeding_commands(app, engine, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _programme(engine)
    added = cli(
        "post", "add", "--influencer", "anna@example.com", "--campaign", SLUG, "--url",
        "https://instagram.com/p/x", "--posted-on", "2025-03-01", "--reach", "900", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert json.loads(added.stdout)["reach"] == 900
    again = cli(
        "post", "add", "--influencer", "anna@example.com", "--campaign", SLUG, "--url",
        "https://instagram.com/p/x", "--posted-on", "2025-03-01",
    )  # fmt: skip
    assert again.exit_code == 1 and "exists already" in again.stderr
    updated = cli("post", "update", "https://instagram.com/p/x", "--likes", "12", "--json")
    assert json.loads(updated.stdout)["likes"] == 12
    path = tmp_path / "posts.csv"
    header = (
        "influencer_email,campaign,url,posted_on,platform,reach,likes,comments,shares,saves,fee"
    )
    path.write_text(
        f"{header}\n"
        f"anna@example.com,{SLUG},https://instagram.com/p/x,2025-03-01,instagram,950,,,,,\n"
        f"ben@example.com,{SLUG},https://tiktok.com/1,2025-03-02,tiktok,100,1,2,3,4,25.00\n"
    )
    imported = cli("post", "import", str(path), "--json")
    assert json.loads(imported.stdout) == {"added": 1, "updated": 1}
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header}\nnobody@example.com,{SLUG},https://t.co/2,2025-03-02,,,,,,,\n")
    refused = cli("post", "import", str(bad))
    assert refused.exit_code == 1 and "row 2: no influencer" in refused.stderr
    bad.write_text(f"{header}\nanna@example.com,{SLUG},https://t.co/3\x00x,2025-03-02,,,,,,,\n")
    refused = cli("post", "import", str(bad))  # PostgreSQL's text holds no NUL: the row says so
    assert refused.exit_code == 1 and "row 2: text may not hold NUL" in refused.stderr
    seeded = cli(
        "seeding", "add", "--influencer", "ben@example.com", "--campaign", SLUG,
        "--cost", "30.00", "--note", "spring box", "--json",
    )  # fmt: skip
    assert seeded.exit_code == 0, seeded.stderr
    for args in (("--cost", "0"), ("--cost", "-1.00"), ("--cost", "abc")):
        result = cli("seeding", "add", "--influencer", "ben@example.com", "--campaign", SLUG, *args)
        assert result.exit_code == 1, args


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    bases=st.lists(
        st.tuples(st.sampled_from(["TENOFF", "BEN10"]), st.integers(0, 50_000), st.booleans()),
        max_size=8,
    ),
    clicked=st.lists(st.tuples(st.sampled_from(["TENOFF", "BEN10"]), st.integers(0, 3))),
)
def test_totals_are_the_sums_of_the_rows(engine, bases, clicked) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        for table in ("codecut_kpi_mark", "codecut_click", "codecut_ledger_entry", "codecut_order"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    with transaction(engine, readonly=True) as s:
        ready = s.scalars(select(Code.id)).first() is not None
    if not ready:
        _programme(engine)
    events = []
    for number, (code, base, refunded) in enumerate(bases):
        events.append(order(f"p{number}", base=base, codes=(code,), placed_at=DAY1))
        if refunded and base:
            events.append(RefundEvent(f"pr{number}", f"p{number}", goods=base // 3))
    if events:
        book(engine, *events)
    for code, who in clicked:
        _click(engine, code, DAY1, str(who))
    with refreshed(engine) as s:
        report = campaign_report(s, SLUG)
    for measure in ("clicks", "unique_clicks", "orders", "posts", "reach"):
        assert report.campaign[measure] == sum(r[measure] for r in report.influencers)
    for measure in ("revenue", "commission_cost", "discount_cost", "spend"):
        assert Decimal(report.campaign[measure]) == sum(
            Decimal(r[measure]) for r in report.influencers
        )


def test_the_overview_s_totals_are_the_report_s(engine) -> None:  # type: ignore[no-untyped-def]
    _seed_worked_example(engine)
    with refreshed(engine) as s:
        for period in ({}, {"first": DAY1.date(), "last": DAY1.date()}):
            overview = campaign_overview(s, SLUG, **period)
            report = campaign_report(s, SLUG, **period)
            assert overview.campaign == report.campaign
            by_revenue = sorted(report.influencers, key=lambda r: -Decimal(r["revenue"]))
            assert [r["email"] for r in overview.top] == [r["email"] for r in by_revenue]
            assert overview.top[0] == by_revenue[0]  # every measure, as the report has it
