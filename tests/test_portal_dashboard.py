"""The earnings pages: figures that match the ledger, in the viewer's locale, and only one's own."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from builders import make_app
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from payout_support import entry_views
from portal_factory import at, csrf_of, order, payout, seller, signed_in_client

from codecut.db import transaction
from codecut.models import LedgerEntry, utcnow
from codecut.programme import influencers
from codecut.reads.exports import LEDGER_COLUMNS
from codecut.state import get_state

PUBLIC = "https://earn.example.com"


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]+)<', html))


@pytest.fixture
def shop(database_url, tmp_path):  # type: ignore[no-untyped-def]
    """Anna with one order in every state, Ben with his own orders, on one store."""
    app = make_app(database_url, tmp_path, CODECUT_PUBLIC_URL=PUBLIC)
    today = utcnow().date()
    with transaction(get_state(app).engine) as s:
        anna = seller(s)
        ben = seller(s, email="ben@example.com", name="Ben Okafor", code="BEN10")
        paid_out = payout(
            s, anna, amount=2000, reference="tr_anna_1", created=at(today - timedelta(days=40))
        )
        order(s, anna, number="#1001", base=10000, placed=at(today - timedelta(days=2)))
        order(
            s,
            anna,
            number="#1002",
            base=5000,
            placed=at(today - timedelta(days=35)),
            status="approved",
        )
        order(
            s,
            anna,
            number="#1003",
            base=20000,
            placed=at(today - timedelta(days=70)),
            status="paid",
            payout=paid_out,
        )
        order(
            s,
            anna,
            number="#1004",
            base=8000,
            placed=at(today - timedelta(days=33)),
            status="approved",
            refunded=8000,
        )
        order(
            s,
            anna,
            number="#1005",
            base=10000,
            placed=at(today - timedelta(days=34)),
            status="approved",
            refunded=4000,
        )
        order(s, anna, number="#1006", base=9000, placed=at(today - timedelta(days=3)), test=True)
        order(
            s,
            anna,
            number="#1007",
            base=7000,
            placed=at(today - timedelta(days=4)),
            self_referral=True,
        )
        order(
            s,
            anna,
            number="#1008",
            base=6000,
            placed=at(today - timedelta(days=36)),
            status="approved",
            refunded=6000,
            refund_reason="cancel",
        )
        order(s, ben, number="#2001", base=99900, placed=at(today - timedelta(days=1)))
        payout(
            s, ben, amount=77700, reference="tr_ben_secret", created=at(today - timedelta(days=5))
        )
        ids = {"anna": anna.id, "ben": ben.id}
    app.config["ids"] = ids
    yield app
    get_state(app).engine.dispose()


def test_headline_figures_match_the_ledger(shop: Flask) -> None:
    client = signed_in_client(shop)
    page = client.get("/portal/", headers={"Accept-Language": "en-US"})
    assert page.status_code == 200
    # pending: #1001 10.00; approved: #1002 5.00, #1004 8.00-8.00, #1005 10.00-4.00, #1008 6.00-6.00
    assert figures(page.text) == {
        "payable": "$11.00",
        "pending": "$10.00",
        "paid": "$20.00",
        "reversed": "$18.00",
    }
    assert "You have earned <strong>$41.00</strong>" in page.text
    payable_on = utcnow().date() - timedelta(days=2) + timedelta(days=30)
    assert (
        f"Next part payable on <strong>{payable_on:%b} {payable_on.day}, {payable_on.year}"
        in page.text
    )
    assert "$39.00 to go until the $50.00 payout minimum" in page.text
    with transaction(get_state(shop).engine) as s:
        entries = [e for e in entry_views(s) if e.influencer_id == shop.config["ids"]["anna"]]
    assert sum(e.amount for e in entries if e.status == "approved") == 1100
    assert sum(e.amount for e in entries if e.status == "pending") == 1000
    assert -sum(e.amount for e in entries if e.kind == "reversal") == 1800


def test_orders_show_status_and_why_but_no_customer_data(shop: Flask) -> None:
    page = signed_in_client(shop).get("/portal/orders").text
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    text = {
        re.search(r"#\d+", row).group(0): re.sub(r"<[^>]+>|\s+", " ", row)
        for row in rows
        if "#" in row
    }
    assert list(text) == ["#1001", "#1006", "#1007", "#1004", "#1005", "#1002", "#1008", "#1003"]
    assert "Pending" in text["#1001"] and "$100.00" in text["#1001"] and "$10.00" in text["#1001"]
    assert "Reversed" in text["#1004"] and "order refunded" in text["#1004"]
    assert "Partly reversed" in text["#1005"] and "$6.00" in text["#1005"]
    assert "Reversed" in text["#1008"] and "order cancelled" in text["#1008"]
    assert "test order" in text["#1006"] and "your own order" in text["#1007"]
    assert "Paid" in text["#1003"] and "Approved" in text["#1002"]
    assert not re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", page)  # no email addresses at all


def test_payouts_and_codes_with_share_links(shop: Flask) -> None:
    page = signed_in_client(shop).get("/portal/").text
    assert "tr_anna_1" in page and "Paid" in page
    assert "ANNA15" in page and f'value="{PUBLIC}/r/ANNA15"' in page
    assert 'data-copy="ANNA15"' in page


def test_weekly_chart_and_its_table_add_up(shop: Flask) -> None:
    page = signed_in_client(shop).get("/portal/").text
    assert '<svg class="chart"' in page and 'role="img"' in page
    table = page.split("Show as a table", 1)[1].split("</table>", 1)[0]
    weeks = re.findall(r"<td>([^<]+)</td><td class=\"num\">([^<]+)</td>", table)
    assert len(weeks) == 26
    total = sum(
        int(amount.replace("$", "").replace(".", "").replace(",", "").replace("-", ""))
        * (-1 if "-" in amount else 1)
        for _, amount in weeks
    )
    # Everything booked in the last 26 weeks: 10 + 5 + 20 + (8 - 8) + (10 - 4) + (6 - 6).
    assert total == 4100
    assert "Total $41.00 over 26 weeks." in page


@pytest.mark.parametrize(
    ("header", "payable"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "11,00\xa0$"),
        ("fr-CH, fr;q=0.9", "11,00\xa0$US"),
        ("en-GB", "US$11.00"),
        ("xx-YY, *;q=0.1", "$11.00"),
        ("", "$11.00"),
    ],
)
def test_money_is_formatted_for_the_viewer(shop: Flask, header: str, payable: str) -> None:
    page = signed_in_client(shop).get("/portal/", headers={"Accept-Language": header}).text
    assert figures(page)["payable"] == payable


def test_default_locale_setting_applies(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path, CODECUT_DEFAULT_LOCALE="de_DE")
    with transaction(get_state(app).engine) as s:
        order(s, seller(s), number="#1", base=10000, placed=datetime.now(UTC), status="approved")
    page = signed_in_client(app).get("/portal/").text
    assert figures(page)["payable"] == "10,00\xa0$"
    get_state(app).engine.dispose()


@pytest.mark.parametrize(
    ("currency", "base", "expected_en", "expected_de"),
    [
        ("JPY", 15000, "¥1,500", "1.500\xa0¥"),
        ("KWD", 12345, "KWD1.235", "1,235\xa0KWD"),
        ("EUR", 999, "€1.00", "1,00\xa0€"),
    ],
)
def test_decimals_follow_the_currency(
    database_url, tmp_path, currency, base, expected_en, expected_de
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path)
    with transaction(get_state(app).engine) as s:
        who = seller(s, currency=currency, code=f"ANNA{currency}")
        order(s, who, number="#1", base=base, placed=datetime.now(UTC), status="approved")
    client = signed_in_client(app)
    assert (
        figures(client.get("/portal/", headers={"Accept-Language": "en-US"}).text)["payable"]
        == expected_en
    )
    assert (
        figures(client.get("/portal/", headers={"Accept-Language": "de-DE"}).text)["payable"]
        == expected_de
    )
    get_state(app).engine.dispose()


def test_orders_are_paginated_newest_first(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction(get_state(app).engine) as s:
        who = seller(s)
        for n in range(30):
            order(s, who, number=f"#{n:03d}", base=1000, placed=start + timedelta(hours=n))
    client = signed_in_client(app)

    def numbers(query: str) -> list[str]:
        return re.findall(r'data-label="Order">(#\d+)<', client.get(f"/portal/orders{query}").text)

    assert numbers("") == [f"#{n:03d}" for n in range(29, 4, -1)]
    assert numbers("?page=2") == [f"#{n:03d}" for n in range(4, -1, -1)]
    assert numbers("?page=999") == numbers("?page=2")
    assert numbers("?page=abc") == numbers("?page=-1") == numbers("")
    assert "Page 2 of 2" in client.get("/portal/orders?page=2").text
    get_state(app).engine.dispose()


def test_ledger_csv_is_the_influencers_own_and_spreadsheet_safe(shop: Flask) -> None:
    with transaction(get_state(shop).engine) as s:
        row = LedgerEntry(
            influencer_id=shop.config["ids"]["anna"],
            kind="adjustment",
            status="approved",
            currency="USD",
            amount=-150,
            available_on=date.today(),
            memo='=HYPERLINK("x")',
        )
        s.add(row)
        s.flush()
        hostile = row.id
    response = signed_in_client(shop).get("/portal/ledger.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == LEDGER_COLUMNS
    assert {row["influencer_email"] for row in rows} == {"anna@example.com"}
    assert "#2001" not in response.text and "BEN10" not in response.text
    adjustment = next(row for row in rows if row["entry_id"] == str(hostile))
    assert adjustment["memo"] == '\'=HYPERLINK("x")' and adjustment["amount"] == "-1.50"
    assert sum(int(row["amount"].replace(".", "")) for row in rows) == 4100 - 150 + 0


def test_pages_send_a_strict_content_security_policy(shop: Flask) -> None:
    client = signed_in_client(shop)
    for path in ("/portal/", "/portal/orders", "/portal/login", "/portal/login/bad", "/r/nothing"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, path
        assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/portal/").text
    assert (
        "<script>" not in page and "style=" not in page and "http://" not in page.split("<body>")[0]
    )


def test_strangers_are_sent_to_sign_in(shop: Flask) -> None:
    client = shop.test_client()
    for path in ("/portal/", "/portal/orders", "/portal/ledger.csv"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/portal/login"
        )


# -- nobody sees anyone else's data -------------------------------------------------------------

BEN_SECRETS = ("#2001", "BEN10", "tr_ben_secret", "Ben", "ben@example.com", "$999.00", "$777.00")


def assert_only_annas(text: str) -> None:
    for secret in BEN_SECRETS:
        assert secret not in text, secret


def test_no_id_in_a_url_query_or_form_shows_another_influencers_data(shop: Flask) -> None:
    ben = shop.config["ids"]["ben"]
    client = signed_in_client(shop)
    tries = [
        f"?influencer_id={ben}",
        f"?influencer={ben}",
        f"?id={ben}",
        f"?user={ben}",
        "?email=ben@example.com",
        f"?page=1&influencer_id={ben}",
        "?code=BEN10",
    ]
    for path in ("/portal/", "/portal/orders", "/portal/ledger.csv"):
        for query in tries:
            response = client.get(path + query)
            assert response.status_code == 200, (path, query)
            assert_only_annas(response.text)
    for path in (
        f"/portal/{ben}",
        f"/portal/orders/{ben}",
        f"/portal/influencers/{ben}",
        f"/portal/ledger/{ben}.csv",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert_only_annas(response.text)
    page = client.get("/portal/").text
    token = csrf_of(page)
    for path in ("/portal/logout-everywhere",):
        client.post(
            path, data={"csrf_token": token, "influencer_id": ben, "email": "ben@example.com"}
        )
    # Anna's sign-out everywhere touched only Anna: Ben's session still works.
    ben_client = signed_in_client(shop, "ben@example.com")
    assert "Hi Ben" in ben_client.get("/portal/").text
    assert client.get("/portal/").status_code == 302  # Anna is out


def test_a_forged_session_cookie_is_ignored(shop: Flask) -> None:
    ben = shop.config["ids"]["ben"]
    forger = Flask("forger")
    forger.secret_key = "not-the-real-key"
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    forged = serializer.dumps({"codecut_portal_id": ben, "codecut_portal_nonce": "guess"})
    client = shop.test_client()
    client.set_cookie("session", forged)
    assert client.get("/portal/").status_code == 302
    # A correctly signed cookie (someone holding the key) still needs Ben's session nonce.
    real = SecureCookieSessionInterface().get_signing_serializer(shop)
    client.set_cookie(
        "session", real.dumps({"codecut_portal_id": ben, "codecut_portal_nonce": "guess"})
    )
    assert client.get("/portal/").status_code == 302


def test_a_link_for_one_influencer_signs_in_only_that_influencer(shop: Flask) -> None:
    client = signed_in_client(shop)  # Anna
    client = signed_in_client(shop, "ben@example.com")
    assert "Hi Ben" in client.get("/portal/").text


# -- share links ---------------------------------------------------------------------------------


def test_share_links_redirect_to_the_store_with_the_code(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path, CODECUT_PUBLIC_URL=PUBLIC)
    with transaction(get_state(app).engine) as s:
        seller(s, url="https://shop.example.com/")
        seller(
            s,
            email="wu@example.com",
            name="Wu",
            code="WU-20",
            platform="woocommerce",
            url=None,
            domain="woo.example.org",
        )
        both = seller(s, email="twin@example.com", name="Twin", code="TWIN", domain="a.example.com")
        seller(
            s,
            email="twin@example.com",
            name="Twin",
            code="TWIN",
            domain="b.example.com",
            platform="woocommerce",
            url="https://b.example.com",
        )
        gone = seller(s, email="gone@example.com", name="Gone", code="GONE")
        influencers.set_influencer_status(s, gone.influencer, "terminated")
        assert both
    client = app.test_client()

    def target(path: str) -> tuple[int, str | None]:
        response = client.get(path)
        return response.status_code, response.headers.get("Location")

    assert target("/r/anna15") == (302, "https://shop.example.com/discount/ANNA15")
    assert target("/r/WU-20") == (302, "https://woo.example.org/?coupon=WU-20")
    assert target("/r/GONE") == (302, "https://shop.example.com")
    assert target("/r/TWIN?store=b.example.com") == (302, "https://b.example.com/?coupon=TWIN")
    status, _ = target("/r/TWIN")
    assert status == 404
    missing = client.get("/r/NOPE")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    twin_page = signed_in_client(app, "twin@example.com").get("/portal/").text
    assert f"{PUBLIC}/r/TWIN?store=a.example.com" in twin_page
    assert f"{PUBLIC}/r/TWIN?store=b.example.com" in twin_page
    get_state(app).engine.dispose()


def test_a_new_influencer_sees_an_empty_but_friendly_page(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path)
    with transaction(get_state(app).engine) as s:
        seller(s)
    page = signed_in_client(app).get("/portal/").text
    assert "No earnings yet" in page and "No payouts yet" in page and "ANNA15" in page
    get_state(app).engine.dispose()


def _figure_notes(html: str) -> dict[str, str]:
    return {
        name: " ".join(re.sub(r"<[^>]+>", "", text).split())
        for name, text in re.findall(r'data-test="([\w-]+-note)">(.*?)</p>', html, re.S)
    }


def test_each_card_says_one_true_thing(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A payout on its way has its own card with its date, a refund after payment makes the
    balance negative and says which order did it, an emptied pending card names no date."""
    app = make_app(database_url, tmp_path)
    today = utcnow().date()
    with transaction(get_state(app).engine) as s:
        anna = seller(s)
        sent = payout(
            s,
            anna,
            amount=5600,
            status="pending",
            reference=None,
            created=at(today - timedelta(days=1)),
        )
        # 56.00 settled into the pending payout; nothing else approved.
        order(
            s,
            anna,
            number="#3001",
            base=56000,
            placed=at(today - timedelta(days=40)),
            status="paid",
            payout=sent,
        )
        # A cancelled order whose commission was still pending: pending nets to zero.
        order(
            s,
            anna,
            number="#3002",
            base=9000,
            placed=at(today - timedelta(days=3)),
            refunded=9000,
            refund_reason="cancel",
        )
    page = signed_in_client(app).get("/portal/", headers={"Accept-Language": "en-US"}).text
    assert figures(page) == {
        "payable": "$0.00",
        "in_payout": "$56.00",
        "pending": "$0.00",
        "paid": "$0.00",
        "reversed": "$9.00",
    }
    notes = _figure_notes(page)
    assert notes["payable-note"] == "Nothing to pay out yet."
    assert notes["in-payout-note"] == f"In the payout of {_day(today - timedelta(days=1))}."
    assert notes["pending-note"] == "Nothing waiting."
    assert "of it is being paid out now" not in page

    # A refund after the payout was scheduled: taken from the next payouts, and said so.
    with transaction(get_state(app).engine) as s:
        who = seller(s, email="cora@example.com", name="Cora", code="CORA10")
        other = payout(
            s, who, amount=396500, created=at(today - timedelta(days=2)), status="pending"
        )
        placed = at(today - timedelta(days=50))
        row = order(
            s, who, number="#4001", base=3965000, placed=placed, status="paid", payout=other
        )
        s.add(
            LedgerEntry(
                influencer_id=who.id,
                store_id=who.store.id,
                order_id=row.id,
                kind="reversal",
                status="approved",
                currency="USD",
                amount=-2410,
                available_on=today,
                dedupe_key="refund:late",
                reason="refund",
                refunded_at=at(today),
                occurred_at=at(today),
            )
        )
    page = (
        signed_in_client(app, email="cora@example.com")
        .get("/portal/", headers={"Accept-Language": "en-US"})
        .text
    )
    assert figures(page)["payable"] == "-$24.10"
    assert figures(page)["in_payout"] == "$3,965.00"
    assert _figure_notes(page)["payable-note"] == (
        "Refunds that came after a payout are taken from your next payouts."
    )
    assert f"Order #4001: -$24.10, refunded {_day(today)}" in " ".join(page.split())
    get_state(app).engine.dispose()


def _day(value: date) -> str:
    return f"{value:%b} {value.day}, {value.year}"
