"""The portal in a real browser (Debian's Chromium through Playwright), on a laptop and a phone.

Request a link, follow it from the mail a real SMTP server caught, press Sign in, check the
figures against the ledger, download the CSV, sign out. Screenshots go to ``test-artifacts/``.
Without /usr/bin/chromium these tests skip, unless CODECUT_REQUIRE_BROWSER=1 makes them fail.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_currency
from builders import make_app
from payout_support import entry_views
from portal_factory import at, order, payout, seller, smtp_server
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.serving import make_server

from codecut.db import transaction
from codecut.models import Influencer, Payout, utcnow
from codecut.state import get_state

#: Debian's Chromium; CODECUT_CHROMIUM points elsewhere (e.g. to check the skip/fail behaviour).
CHROMIUM = os.environ.get("CODECUT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = pytest.mark.browser


def _browser_missing(reason: str) -> None:
    if os.environ.get("CODECUT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CODECUT_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        _browser_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(sqlite_template, tmp_path_factory) -> Iterator[tuple]:  # type: ignore[no-untyped-def,type-arg]
    """The app on a free loopback port with a real SMTP server, and Anna's programme."""
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "codecut.sqlite3"
    shutil.copyfile(sqlite_template, database)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with smtp_server() as (catcher, smtp_port):
        app = make_app(
            f"sqlite:///{database}",
            folder,
            CODECUT_PUBLIC_URL=base,
            CODECUT_MAIL_SERVER="127.0.0.1",
            CODECUT_MAIL_PORT=smtp_port,
        )
        app.config["TESTING"] = False
        today = utcnow().date()
        with transaction(get_state(app).engine) as s:
            anna = seller(s)
            paid = payout(
                s,
                anna,
                amount=4200,
                reference="tr_1Browser",
                created=at(today - timedelta(days=20)),
            )
            for n in range(14):
                order(
                    s,
                    anna,
                    number=f"#{5000 + n}",
                    base=4000 + 731 * n,
                    placed=at(today - timedelta(days=5 * n + 1)),
                    status="pending" if n < 6 else "approved" if n < 11 else "paid",
                    refunded=2000 if n in (2, 8) else 0,
                    payout=paid if n >= 11 else None,
                )
            other = seller(s, email="ben@example.com", name="Ben Okafor", code="BEN10")
            order(s, other, number="#9999", base=50000, placed=at(today))
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield app, base, catcher
        finally:
            server.shutdown()
            get_state(app).engine.dispose()


def usd(minor: int) -> str:
    return format_currency(Decimal(minor).scaleb(-2), "USD", locale="en_US")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["laptop", "phone"])
def test_sign_in_check_figures_download_and_sign_out(browser, served, width, height) -> None:  # type: ignore[no-untyped-def]
    app, base, catcher = served
    ARTIFACTS.mkdir(exist_ok=True)
    shot = lambda name: ARTIFACTS / f"portal-{width}-{name}.png"  # noqa: E731
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="en-US", accept_downloads=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{base}/portal/login")
    page.get_by_label("Email address").fill("anna@example.com")
    before = len(catcher.messages)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    link = catcher.link(catcher.wait_for(before + 1))
    assert link.startswith(f"{base}/portal/login/")
    page.goto(link)
    page.screenshot(path=shot("1-confirm"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/portal/")

    with transaction(get_state(app).engine) as s:
        entries = [e for e in entry_views(s) if e.influencer_id == 1]
        paid_total = sum(p.amount for p in s.scalars(select(Payout).where(Payout.status == "paid")))
    expected = {
        "pending": usd(sum(e.amount for e in entries if e.status == "pending")),
        "payable": usd(
            sum(e.amount for e in entries if e.status == "approved" and e.payout_id is None)
        ),
        "paid": usd(paid_total),
        "reversed": usd(-sum(e.amount for e in entries if e.kind == "reversal")),
    }
    for name, text in expected.items():
        assert page.locator(f'[data-figure="{name}"]').inner_text() == text, name
    assert page.locator("svg.chart").is_visible()
    assert page.get_by_text("#5000", exact=True).is_visible()
    assert page.get_by_text("tr_1Browser").is_visible()
    assert page.get_by_text("#9999").count() == 0  # Ben's order is not here
    page.screenshot(path=shot("2-dashboard"), full_page=True)
    page.screenshot(path=shot("3-first-screen"))

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all entries (CSV)").click()
    download = download_info.value
    target = ARTIFACTS / f"portal-{width}-ledger.csv"
    download.save_as(target)
    with open(target, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(int(r["entry_id"]) for r in rows) == sorted(e.id for e in entries)

    page.get_by_role("link", name="Orders", exact=True).click()
    page.wait_for_url(f"{base}/portal/orders")
    page.screenshot(path=shot("4-orders"), full_page=True)

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_text("You are signed out.").wait_for()
    page.goto(f"{base}/portal/")
    assert page.url.startswith(f"{base}/portal/login")
    assert problems == []
    context.close()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)], ids=["phone", "laptop"])
def test_the_cards_say_one_true_thing_in_the_browser(  # type: ignore[no-untyped-def]
    browser, sqlite_template, tmp_path, width, height
) -> None:
    """A payout on its way has its own card and date, a refund after it makes the balance
    negative and names the order, an emptied pending card names no date, the chart says what
    it counts: read by a person on a phone."""
    from codecut.access.login_links import issue_token
    from codecut.models import Influencer, LedgerEntry

    database = tmp_path / "codecut.sqlite3"
    shutil.copyfile(sqlite_template, database)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = make_app(f"sqlite:///{database}", tmp_path, CODECUT_PUBLIC_URL=base)
    app.config["TESTING"] = False
    today = utcnow().date()
    with transaction(get_state(app).engine) as s:
        cora = seller(s, email="cora@example.com", name="Cora", code="CORA10")
        sent = payout(
            s, cora, amount=396500, created=at(today - timedelta(days=2)), status="pending"
        )
        row = order(
            s, cora, number="#4001", base=3965000, placed=at(today - timedelta(days=50)),
            status="paid", payout=sent,
        )  # fmt: skip
        order(
            s, cora, number="#4002", base=9000, placed=at(today - timedelta(days=3)),
            refunded=9000, refund_reason="cancel",
        )  # fmt: skip
        s.add(
            LedgerEntry(
                influencer_id=cora.id, store_id=cora.store.id, order_id=row.id, kind="reversal",
                status="approved", currency="USD", amount=-2410, available_on=today,
                dedupe_key="refund:late", reason="refund", refunded_at=at(today),
                occurred_at=at(today),
            )
        )  # fmt: skip
    with transaction(get_state(app).engine) as s:
        who = s.scalars(select(Influencer).where(Influencer.email == "cora@example.com")).one()
        link = f"{base}/portal/login/{issue_token(s, who, app.config['SECRET_KEY'])}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    try:
        page = context.new_page()
        page.goto(link)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/portal/")
        figure = lambda name: page.locator(f'[data-figure="{name}"]')  # noqa: E731
        note = lambda name: page.locator(f'[data-test="{name}"]')  # noqa: E731
        assert figure("payable").inner_text() == "-$24.10"
        assert figure("in_payout").inner_text() == "$3,965.00"
        assert figure("pending").inner_text() == "$0.00"
        for name in ("payable", "in_payout", "pending"):
            assert figure(name).is_visible(), name
        assert note("payable-note").inner_text() == (
            "Refunds that came after a payout are taken from your next payouts."
        )
        assert note("in-payout-note").inner_text().startswith("In the payout of ")
        assert note("pending-note").inner_text() == "Nothing waiting."
        clawbacks = note("clawbacks")
        assert clawbacks.is_visible() and "Order #4001: -$24.10, refunded" in clawbacks.inner_text()
        assert "of it is being paid out now" not in page.content()
        assert (
            page.get_by_text("Each order counts in the week it was placed", exact=False).count()
            >= 1
        )
        # Nothing is wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"portal-{width}-cards.png", full_page=True)
    finally:
        context.close()
        server.shutdown()
        get_state(app).engine.dispose()


def test_a_held_order_reads_under_review_on_a_phone(browser, sqlite_template, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The leak rules' hold, as the influencer sees it: "Under review" with a plain reason,
    never a score or a rule's name."""
    from programme import PLACED, book, make_programme, order

    from codecut.access.login_links import issue_token
    from codecut.models import Influencer

    database = tmp_path / "codecut.sqlite3"
    shutil.copyfile(sqlite_template, database)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = make_app(f"sqlite:///{database}", tmp_path, CODECUT_PUBLIC_URL=base)
    app.config["TESTING"] = False
    engine = get_state(app).engine
    make_programme(engine)
    book(engine, order("1", sources=("www.retailmenot.com",), placed_at=PLACED))
    with transaction(engine) as s:
        anna = s.scalars(select(Influencer).where(Influencer.email == "anna@example.com")).one()
        link = f"{base}/portal/login/{issue_token(s, anna, app.config['SECRET_KEY'])}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        page = context.new_page()
        page.goto(link)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/portal/")
        page.goto(f"{base}/portal/orders")
        held = page.get_by_text("Under review", exact=False).first
        assert held.is_visible()
        text = page.locator("main").inner_text()
        assert "the buyer came from a coupon site" in text
        assert "coupon_site" not in text and "score" not in text.lower()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "portal-390-under-review.png", full_page=True)
    finally:
        context.close()
        server.shutdown()
        engine.dispose()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)], ids=["phone", "laptop"])
def test_setting_up_stripe_payouts_in_the_browser(  # type: ignore[no-untyped-def]
    browser, sqlite_template, tmp_path, width, height
) -> None:
    """Set up payouts, pick a country, fill in Stripe's (stand-in) form, come back set up: the
    form's CSP lets it go on to Stripe and nowhere else."""
    from builders import STRIPE_KEY

    from codecut.access.login_links import issue_token
    from codecut.devtools.fake_stripe import StripeServer
    from codecut.models import Influencer

    database = tmp_path / "codecut.sqlite3"
    shutil.copyfile(sqlite_template, database)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with StripeServer() as stripe_server:
        app = make_app(
            f"sqlite:///{database}",
            tmp_path,
            CODECUT_PUBLIC_URL=base,
            CODECUT_STRIPE_API_KEY=STRIPE_KEY,
            CODECUT_STRIPE_API_BASE=stripe_server.url,
        )
        app.config["TESTING"] = False
        with transaction(get_state(app).engine) as s:
            dana = seller(s, email="dana@example.com", name="Dana Ruiz", code="DANA10")
            token = issue_token(s, s.get(Influencer, dana.id), app.config["CODECUT_SECRET_KEY"])
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        try:
            page.goto(f"{base}/portal/login/{token}")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/portal/")
            page.get_by_role("link", name="Set up payouts").first.click()
            page.wait_for_url(f"{base}/portal/payouts")
            page.get_by_label("Where you live").select_option("DE")
            page.screenshot(path=ARTIFACTS / f"payouts-{width}-1-setup.png")
            page.get_by_role("button", name="Set up payouts").click()
            page.wait_for_url(f"{stripe_server.url}/connect/onboarding/*")
            page.get_by_role("button", name="Complete onboarding").click()
            page.wait_for_url(f"{base}/portal/payouts")
            assert "Payouts are set up" in page.locator('[data-test="payout-state"]').inner_text()
            page.screenshot(path=ARTIFACTS / f"payouts-{width}-2-done.png")
        finally:
            context.close()
            server.shutdown()
            get_state(app).engine.dispose()
    with Session(get_state(app).engine) as s:
        row = s.get(Influencer, dana.id)
        assert row is not None and row.stripe_transfers == "active" and row.country == "DE"
    assert problems == []


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["laptop", "phone"])
def test_the_console_for_marketing_and_finance(  # type: ignore[no-untyped-def]
    browser, sqlite_template, tmp_path, width, height
) -> None:
    """Marketing signs in from the mailed link, sees the campaign's figures as the report gives
    them and clears a held commission; finance previews a run, runs it through the Stripe
    stand-in and downloads the batch, whose total equals the preview; marketing is refused the
    payouts page."""
    import json

    from builders import STRIPE_KEY, cli_for

    from codecut.devtools.fake_stripe import StripeServer
    from codecut.models import LedgerEntry

    database = tmp_path / "codecut.sqlite3"
    shutil.copyfile(sqlite_template, database)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    with StripeServer() as stripe_server, smtp_server() as (catcher, smtp_port):
        stripe_server.fake.fund("usd", 10**8)
        app = make_app(
            f"sqlite:///{database}",
            tmp_path,
            CODECUT_PUBLIC_URL=base,
            CODECUT_MAIL_SERVER="127.0.0.1",
            CODECUT_MAIL_PORT=smtp_port,
            CODECUT_STRIPE_API_KEY=STRIPE_KEY,
            CODECUT_STRIPE_API_BASE=stripe_server.url,
        )
        app.config["TESTING"] = False
        cli = cli_for(app)
        today = utcnow().date()
        with transaction(get_state(app).engine) as s:
            anna = seller(s)
            for n in range(3):
                order(
                    s,
                    anna,
                    number=f"#70{n}",
                    base=30000 + 1000 * n,
                    placed=at(today - timedelta(days=40 + n)),
                    status="approved",
                )
            held = order(s, anna, number="#799", base=9000, placed=at(today - timedelta(days=2)))
            held_entry = s.scalars(select(LedgerEntry).where(LedgerEntry.order_id == held.id)).one()
            held_entry.status, held_entry.reason = "held", "coupon_site"
            s.execute(
                Influencer.__table__.update()  # type: ignore[attr-defined]
                .where(Influencer.id == anna.id)
                .values(stripe_account_id="acct_1Browser")
            )
        assert (
            cli("staff", "add", "--email", "mia@brand.example", "--role", "marketing").exit_code
            == 0
        )
        assert (
            cli("staff", "add", "--email", "finn@brand.example", "--role", "finance").exit_code == 0
        )
        slug = json.loads(cli("campaign", "list", "--json").stdout)[0]["campaign"]
        expected = json.loads(cli("report", "campaign", slug, "--format", "json").stdout)[
            "campaign"
        ]
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="en-US", accept_downloads=True
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        try:
            # Marketing: sign in from the mail.
            page.goto(f"{base}/console/login")
            page.get_by_label("Email address").fill("mia@brand.example")
            before = len(catcher.messages)
            page.get_by_role("button", name="Email me a sign-in link").click()
            page.get_by_role("heading", name="Check your email").wait_for()
            link = catcher.link(catcher.wait_for(before + 1))
            assert link.startswith(f"{base}/console/login/")
            page.goto(link)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/console/")
            for measure in ("clicks", "orders", "revenue", "spend"):
                shown = page.locator(
                    f'[data-campaign="{slug}"] [data-measure="{measure}"]'
                ).inner_text()
                assert shown == str(expected[measure]), measure
            for ratio in ("roas", "roi", "refund_rate", "conversion_rate"):
                card = page.locator(f'[data-campaign="{slug}"] [data-measure="{ratio}"]')
                wanted = expected[ratio]
                assert card.get_attribute("data-value") == ("" if wanted is None else str(wanted))
            page.screenshot(path=ARTIFACTS / f"console-{width}-1-overview.png", full_page=True)
            # Marketing creates a campaign and imports its influencers from a CSV file.
            page.get_by_role("link", name="Campaigns").click()
            page.get_by_label("Name", exact=True).fill("Winter drop")
            page.get_by_label("Short name (optional)").fill("winter")
            page.get_by_role("button", name="Create campaign").click()
            page.wait_for_url(f"{base}/console/campaigns/winter")
            page.get_by_role("link", name="Influencers").click()
            page.get_by_role("link", name="Import from CSV").click()
            roster = tmp_path / "roster.csv"
            roster.write_text(
                "email,name,followers\nmia@example.com,Mia,1200\nleo@example.com,Leo,90\n"
            )
            page.get_by_label("Campaign (their codes are issued in it)").select_option("winter")
            page.get_by_label("CSV file").set_input_files(roster)
            page.get_by_role("button", name="Import").click()
            page.get_by_text("2 influencer(s) imported into winter").wait_for()
            page.screenshot(path=ARTIFACTS / f"console-{width}-1b-import.png", full_page=True)
            page.get_by_role("link", name="Review").click()
            page.wait_for_url(f"{base}/console/review")
            page.get_by_label(f"Decide entry {held_entry.id}").check()
            page.get_by_label("Memo (kept with the decision)").fill("checked with the creator")
            page.get_by_role("button", name="Clear", exact=True).click()
            page.get_by_text("1 cleared.").wait_for()
            page.screenshot(path=ARTIFACTS / f"console-{width}-2-review.png", full_page=True)
            assert problems == []
            refused = page.goto(f"{base}/console/payouts")
            assert refused is not None and refused.status == 403
            problems.clear()  # the browser reports the 403 it was just shown
            page.goto(f"{base}/console/")
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{base}/console/login?out=1")
            # Finance: preview, run, download.
            before = len(catcher.messages)
            page.get_by_label("Email address").fill("finn@brand.example")
            page.get_by_role("button", name="Email me a sign-in link").click()
            page.get_by_role("heading", name="Check your email").wait_for()
            page.goto(catcher.link(catcher.wait_for(before + 1)))
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name="Payouts").click()
            preview = page.locator('[data-currency="USD"] [data-figure="total"]').inner_text()
            page.screenshot(path=ARTIFACTS / f"console-{width}-3-payouts.png", full_page=True)
            page.get_by_role("button", name="Run payouts now").click()
            page.get_by_role("heading", name="Payout batch 1").wait_for()
            # The run goes on in the background; the page follows it until it is done.
            page.locator('[data-test="batch-status"]', has_text="completed").wait_for(
                timeout=30_000
            )
            assert page.locator("[data-payout]").count() == 1
            with page.expect_download() as download_info:
                page.get_by_role("link", name="Download CSV").click()
            target = ARTIFACTS / f"console-{width}-payouts.csv"
            download_info.value.save_as(target)
            page.screenshot(path=ARTIFACTS / f"console-{width}-4-batch.png", full_page=True)
        finally:
            context.close()
            server.shutdown()
            get_state(app).engine.dispose()
    with open(target, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(preview)
    assert [r["status"] for r in rows] == ["paid"] and len(stripe_server.fake.transfers) == 1
    assert problems == []
