"""``/r/<code>``: landing pages on the store (never an open redirect), unknown codes that still
lead to the shop, and clicks counted for people only, with no address or user agent kept."""

from __future__ import annotations

from datetime import date

import pytest
from builders import make_app
from portal_factory import seller
from sqlalchemy import func, select

from codecut import clicks
from codecut.db import transaction
from codecut.models import Campaign, Click, Code
from codecut.state import get_state

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile"


@pytest.fixture
def shop(database_url, tmp_path):  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path)
    with transaction(get_state(app).engine) as s:
        seller(s, url="https://shop.example.com/")
        seller(
            s, email="wu@example.com", name="Wu", code="WU-20", platform="woocommerce",
            url=None, domain="woo.example.org",
        )  # fmt: skip
    yield app
    get_state(app).engine.dispose()


def _go(app, path: str, **headers: str) -> tuple[int, str | None]:  # type: ignore[no-untyped-def]
    response = app.test_client().get(path, headers={"User-Agent": BROWSER, **headers})
    return response.status_code, response.headers.get("Location")


def _clicks(app) -> list[Click]:  # type: ignore[no-untyped-def]
    with transaction(get_state(app).engine, readonly=True) as s:
        return list(s.scalars(select(Click).order_by(Click.id)))


def test_a_path_on_the_store_is_honoured(shop) -> None:  # type: ignore[no-untyped-def]
    assert _go(shop, "/r/ANNA15?path=/products/strap") == (
        302, "https://shop.example.com/discount/ANNA15?redirect=%2Fproducts%2Fstrap",
    )  # fmt: skip
    assert _go(shop, "/r/WU-20?path=/products/strap") == (
        302, "https://woo.example.org/products/strap?coupon=WU-20",
    )  # fmt: skip
    assert _go(shop, "/r/WU-20?path=/shop?size=m") == (
        302, "https://woo.example.org/shop?size=m&coupon=WU-20",
    )  # fmt: skip


@pytest.mark.parametrize(
    "evil",
    ["//evil.com", "https://evil.com", "/\\evil.com", "%2F%2Fevil.com", "/%2Fevil.com",
     "/%5Cevil.com", "/\tevil", "javascript:alert(1)", "evil.com"],
)  # fmt: skip
def test_never_an_open_redirect(shop, evil: str) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote

    status, location = _go(shop, f"/r/ANNA15?path={quote(evil)}")
    assert (status, location) == (302, "https://shop.example.com/discount/ANNA15")


def test_unknown_codes_still_lead_to_a_shop(shop) -> None:  # type: ignore[no-untyped-def]
    assert _go(shop, "/r/NOPE?store=woo.example.org") == (302, "https://woo.example.org")
    assert _go(shop, "/r/NOPE")[0] == 404  # two shops and no ?store=: nowhere to guess


def test_the_only_store_is_where_an_unknown_code_goes(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path)
    with transaction(get_state(app).engine) as s:
        seller(s, url="https://shop.example.com/")
    assert _go(app, "/r/NOPE") == (302, "https://shop.example.com")
    assert _clicks(app) == []
    get_state(app).engine.dispose()


def test_people_are_counted_bots_and_prefetches_are_not(shop) -> None:  # type: ignore[no-untyped-def]
    assert _go(shop, "/r/ANNA15")[0] == 302
    assert _go(shop, "/r/anna15", **{"X-Forwarded-For": "1.2.3.4"})[0] == 302  # same visitor
    for agent in (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "WhatsApp/2.23.20.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "",
    ):
        assert _go(shop, "/r/ANNA15", **{"User-Agent": agent})[0] == 302
    assert _go(shop, "/r/ANNA15", Purpose="prefetch")[0] == 302
    assert _go(shop, "/r/ANNA15", **{"Sec-Purpose": "prefetch;prerender"})[0] == 302
    head = shop.test_client().head("/r/ANNA15", headers={"User-Agent": BROWSER})
    assert head.status_code == 302
    assert _go(shop, "/r/NOPE?store=woo.example.org")[0] == 302  # unknown code: no click
    counted = _clicks(shop)
    assert len(counted) == 2
    assert len({(c.day, c.visitor) for c in counted}) == 1  # one unique visitor that day
    assert all(len(c.visitor) == 32 and "127.0.0.1" not in c.visitor for c in counted)


def test_visitors_are_pseudonyms_that_change_every_day() -> None:
    today, tomorrow = date(2026, 12, 4), date(2026, 12, 5)
    anna = clicks.visitor("key", today, "203.0.113.9", BROWSER)
    assert anna == clicks.visitor("key", today, "203.0.113.9", BROWSER)
    assert anna != clicks.visitor("key", tomorrow, "203.0.113.9", BROWSER)
    assert anna != clicks.visitor("key", today, "203.0.113.10", BROWSER)
    assert anna != clicks.visitor("other key", today, "203.0.113.9", BROWSER)
    assert "203.0.113.9" not in anna


def test_a_code_that_no_longer_earns_counts_nothing(shop) -> None:  # type: ignore[no-untyped-def]
    from codecut.programme import influencers

    with transaction(get_state(shop).engine) as s:
        influencers.set_influencer_status(
            s, influencers.get_influencer(s, "anna@example.com"), "paused"
        )
    assert _go(shop, "/r/ANNA15") == (302, "https://shop.example.com")
    with transaction(get_state(shop).engine, readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Click)) == 0


def test_a_code_in_two_stores_counts_only_where_the_link_names_the_store(shop) -> None:  # type: ignore[no-untyped-def]
    """The same code in two shops: without ``?store=`` the link leads nowhere and counts nothing;
    with it, one click for that shop's code (both databases' paths)."""
    from codecut.programme.codes import issue_code

    with transaction(get_state(shop).engine) as s:
        woo, other = (c.slug for c in s.scalars(select(Campaign).order_by(Campaign.id.desc())))
        issue_code(s, influencer_email="wu@example.com", campaign_slug=woo, code="TWIN")
        issue_code(s, influencer_email="anna@example.com", campaign_slug=other, code="TWIN")
    assert _go(shop, "/r/TWIN")[0] == 404
    assert _clicks(shop) == []
    assert _go(shop, "/r/TWIN?store=woo.example.org") == (
        302,
        "https://woo.example.org/?coupon=TWIN",
    )
    [click] = _clicks(shop)
    with transaction(get_state(shop).engine, readonly=True) as s:
        code = s.get(Code, click.code_id)
        assert code is not None and code.code == "TWIN" and code.influencer_id == 2


def test_a_click_records_when_and_the_days_pseudonym_on_both_paths(shop) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL looks the code up and appends the click in one statement, SQLite in two: the
    row is the same (time, day, the visitor's pseudonym under the app's key), and a code that
    is looked up but does not earn, or a bot, appends nothing."""
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC)
    assert _go(shop, "/r/ANNA15?path=/products/strap")[0] == 302
    after = datetime.now(UTC)
    [click] = _clicks(shop)
    at = click.clicked_at if click.clicked_at.tzinfo else click.clicked_at.replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= at <= after + timedelta(seconds=1)
    assert click.day == at.date()
    secret = get_state(shop).settings.secret_key or ""
    assert click.visitor == clicks.visitor(secret, click.day, "127.0.0.1", BROWSER)
    assert _go(shop, "/r/ANNA15", **{"User-Agent": "Twitterbot/1.0"})[0] == 302
    assert _go(shop, "/r/ANNA15?store=woo.example.org") == (302, "https://woo.example.org")
    assert len(_clicks(shop)) == 1
    # PostgreSQL's click runs in autocommit: its connection goes back to the pool transactional.
    engine = get_state(shop).engine
    with pytest.raises(RuntimeError), transaction(engine) as s:
        s.add(Click(code_id=click.code_id, clicked_at=at, day=click.day, visitor="x" * 32))
        s.flush()
        raise RuntimeError("rolled back")
    assert len(_clicks(shop)) == 1


def test_a_redirect_carries_every_page_header_once(shop) -> None:  # type: ignore[no-untyped-def]
    """The security headers are appended to a redirect (it has none of its own), and a header
    a view set is replaced, never sent twice."""
    from flask import Response

    from codecut.web.pages import CONTENT_SECURITY_POLICY, secure_headers

    response = shop.test_client().get("/r/ANNA15", headers={"User-Agent": BROWSER})
    assert response.status_code == 302
    expected = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Vary": "Cookie",
    }
    for name, value in expected.items():
        assert response.headers.getlist(name) == [value], name
    assert len(response.headers.getlist("X-Request-Id")) == 1
    with shop.test_request_context("/r/ANNA15"):
        shop.preprocess_request()
        mine = Response("x", headers={"X-Frame-Options": "SAMEORIGIN", "Vary": "Accept"})
        mine.headers["Content-Security-Policy"] = "default-src 'self' https://stripe.example"
        mine.headers["Cache-Control"] = "max-age=60"
        secured = secure_headers(mine).headers
    assert secured.getlist("X-Frame-Options") == ["DENY"]
    assert secured.getlist("Vary") == ["Accept, Cookie"]
    assert secured.getlist("Cache-Control") == ["no-store"]
    assert secured.getlist("Content-Security-Policy") == [
        "default-src 'self' https://stripe.example"
    ]


def test_a_click_is_stored_as_the_orm_stores_it(shop) -> None:  # type: ignore[no-untyped-def]
    """The click's append runs on the driver's cursor (codecut.driver_sql) with SQLAlchemy's
    bind processors: the stored time and day are the very text or values an ORM insert
    writes."""
    from sqlalchemy import text

    from codecut.models import utcnow

    engine = get_state(shop).engine
    at = utcnow()
    with engine.begin() as connection:
        clicks.record(connection, 1, at, "a" * 32)
    with transaction(engine) as s:
        s.add(Click(code_id=1, clicked_at=at, day=at.date(), visitor="b" * 32))
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT clicked_at, day FROM codecut_click ORDER BY visitor")
        ).all()
    assert stored[0] == stored[1]


def test_a_connection_lost_during_a_click_is_a_503_page_and_dropped(shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A driver error on the cursor is raised as SQLAlchemy's: the page says 503 (try again),
    the lost connection is never handed out again, and the next click is counted."""
    from codecut.driver_sql import Prepared

    real = Prepared.rows

    def lose_connection(self, connection, params):  # type: ignore[no-untyped-def]
        driver = connection.connection.dbapi_connection
        if hasattr(driver, "pgconn"):
            driver.pgconn.finish()  # psycopg: the socket is gone under the driver
        else:
            driver.close()  # sqlite3
        return real(self, connection, params)

    monkeypatch.setattr(Prepared, "rows", lose_connection)
    response = shop.test_client().get("/r/ANNA15", headers={"User-Agent": BROWSER})
    monkeypatch.undo()
    assert response.status_code == 503 and "try again" in response.text
    assert _go(shop, "/r/ANNA15") == (302, "https://shop.example.com/discount/ANNA15")
    assert len(_clicks(shop)) == 1
