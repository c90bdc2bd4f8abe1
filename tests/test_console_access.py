"""The console's doors: signing in by a mailed one-time link into a cookie of its own, every
route refused to the roles it is not for (POSTs included, by the server), CSRF on every form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from payout_support import engine_of, entry, influencer

from codecut.access import staff
from codecut.db import transaction
from codecut.state import get_state

#: (method, path, the role it needs): every console route a signed-in person can reach.
ROUTES = [
    ("GET", "/console/", "read"),
    ("GET", "/console/campaigns", "read"),
    ("POST", "/console/campaigns", "marketing"),
    ("GET", "/console/campaigns/nope", "read"),
    ("POST", "/console/campaigns/nope", "marketing"),
    ("GET", "/console/influencers", "read"),
    ("GET", "/console/influencers/nobody@example.com", "read"),
    ("POST", "/console/influencers/nobody@example.com/adjustments", "finance"),
    ("GET", "/console/review", "marketing"),
    ("POST", "/console/review", "marketing"),
    ("GET", "/console/payouts", "finance"),
    ("POST", "/console/payouts/run", "finance"),
    ("GET", "/console/payouts/1", "finance"),
    ("GET", "/console/payouts/1/payouts.csv", "finance"),
    ("GET", "/console/deliveries", "admin"),
    ("GET", "/console/admin", "admin"),
    ("POST", "/console/deliveries/1/replay", "admin"),
    ("POST", "/console/campaigns/nope/push", "marketing"),
    ("GET", "/console/influencers/import", "marketing"),
    ("POST", "/console/influencers/import", "marketing"),
    ("POST", "/console/payouts/1/payouts/1/cancel", "finance"),
    ("GET", "/console/exports/payouts.csv", "finance"),
    ("GET", "/console/exports/ledger.xlsx", "finance"),
    ("POST", "/console/admin/endpoints", "admin"),
    ("POST", "/console/admin/endpoints/1/disable", "admin"),
    ("POST", "/console/admin/keys", "admin"),
    ("POST", "/console/admin/keys/1/revoke", "admin"),
]
ALLOWED = {
    "marketing": {"read", "marketing"},
    "finance": {"read", "finance"},
    "admin": {"read", "marketing", "finance", "admin"},
}


def signed_in(app: Any, role: str, email: str | None = None) -> Any:
    """A test client signed in to the console through a real link."""
    email = email or f"{role}@brand.example"
    with transaction(get_state(app).engine) as session:
        member = staff.get_staff_or_none(session, email) or staff.add_staff(
            session, email=email, role=role
        )
        token = staff.issue_token(session, member, app.config["CODECUT_SECRET_KEY"])
    client = app.test_client()
    assert client.get(f"/console/login/{token}").status_code == 200
    answer = client.post(f"/console/login/{token}")
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client


def csrf(client: Any, path: str = "/console/") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    return found.group(1) if found else ""


def test_the_list_covers_every_console_route(app) -> None:
    adapter = app.url_map.bind("localhost")
    listed = {(method, adapter.match(path, method=method)[0]) for method, path, _ in ROUTES}
    # Signing in and out is for everyone (test_a_link_works_once_and_sign_out_ends_the_session).
    open_doors = {"login", "request_link", "confirm", "sign_in", "logout"}
    every = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("codecut_console.")
        and rule.endpoint.split(".", 1)[1] not in open_doors
        for method in rule.methods or ()
        if method in ("GET", "POST")
    }
    assert every - listed == set()


def test_a_stranger_is_sent_to_sign_in(app) -> None:
    client = app.test_client()
    for method, path, _role in ROUTES:
        answer = client.open(path, method=method)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/login")


@pytest.mark.parametrize("role", ["marketing", "finance", "admin"])
def test_every_route_refuses_the_roles_it_is_not_for(app, role) -> None:
    client = signed_in(app, role)
    token = csrf(client)
    for method, path, needed in ROUTES:
        answer = client.open(path, method=method, data={"csrf_token": token})
        if needed in ALLOWED[role]:
            assert answer.status_code != 403, (role, method, path)
        else:
            assert answer.status_code == 403, (role, method, path, answer.status_code)
            assert "Not for your role" in answer.get_data(as_text=True)


def test_posts_need_the_session_s_csrf_token(app) -> None:
    client = signed_in(app, "admin")
    for path in ("/console/review", "/console/payouts/run", "/console/deliveries/1/replay"):
        for data in ({}, {"csrf_token": "0" * 64}):
            answer = client.post(path, data=data)
            assert answer.status_code == 400 and "This form has expired" in answer.get_data(
                as_text=True
            )
    other = signed_in(app, "admin", "other@brand.example")
    assert client.post("/console/payouts/run", data={"csrf_token": csrf(other)}).status_code == 400


def test_the_console_cookie_is_its_own(app) -> None:
    client = signed_in(app, "marketing")
    cookie = client.get_cookie("codecut_console", path="/console")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    assert client.get_cookie("session") is None  # the portal's cookie is never set
    assert client.get("/portal/").status_code == 302  # and it signs nobody in to the portal


def test_a_link_works_once_and_sign_out_ends_the_session(app) -> None:
    with transaction(get_state(app).engine) as session:
        member = staff.add_staff(session, email="m@brand.example", role="marketing")
        token = staff.issue_token(session, member, app.config["CODECUT_SECRET_KEY"])
    client = app.test_client()
    assert client.post(f"/console/login/{token}").status_code == 303
    assert client.post(f"/console/login/{token}").status_code == 410
    stolen = client.get_cookie("codecut_console", path="/console").value
    assert client.post("/console/logout").status_code == 303
    thief = app.test_client()
    thief.set_cookie("codecut_console", stolen, path="/console")
    assert thief.get("/console/").status_code == 302
    assert app.test_client().get("/console/login/not-a-token").status_code == 400


def test_removing_staff_ends_their_sessions(app, cli) -> None:
    client = signed_in(app, "finance")
    assert client.get("/console/payouts").status_code == 200
    assert cli("staff", "remove", "finance@brand.example").exit_code == 0
    assert client.get("/console/payouts").status_code == 302


def test_staff_commands(app, cli) -> None:
    assert cli("staff", "add", "--email", "Ann@Brand.example", "--role", "finance").exit_code == 0
    assert cli("staff", "add", "--email", "ann@brand.example", "--role", "admin").exit_code == 1
    assert cli("staff", "add", "--email", "x@brand.example", "--role", "owner").exit_code == 2
    assert cli("staff", "list").output.strip() == "ann@brand.example\tfinance"
    link = cli("staff", "link", "ann@brand.example")
    assert link.exit_code == 0 and "/console/login/" in link.stdout
    assert cli("staff", "link", "nobody@brand.example").exit_code == 1


def test_bad_form_input_is_a_page_not_a_500(app, papp) -> None:
    with transaction(engine_of(app)) as session:
        entry(session, influencer(session, "anna@example.com"), 6000, status="held")
    client = signed_in(app, "marketing")
    token = csrf(client, "/console/review")
    for data in (
        {"decision": "maybe", "memo": "x", "entry_id": "1"},
        {"decision": "clear", "memo": "", "entry_id": "1"},
        {"decision": "clear", "memo": "x"},
        {"decision": "clear", "memo": "x", "entry_id": "1e9"},
    ):
        answer = client.post("/console/review", data={**data, "csrf_token": token})
        assert answer.status_code == 400, (data, answer.status_code)
    assert client.get("/console/?from=2026-02-30").status_code == 400
    assert signed_in(app, "finance").get("/console/payouts/99").status_code == 404


def test_marketing_creates_and_changes_a_campaign(app, cli) -> None:
    assert (
        cli(
            "store",
            "add",
            "--platform",
            "shopify",
            "--domain",
            "c.myshopify.com",
            "--secret",
            "s",
            "--currency",
            "USD",
        ).exit_code
        == 0
    )
    client = signed_in(app, "marketing")
    token = csrf(client, "/console/campaigns")
    made = client.post(
        "/console/campaigns",
        data={
            "csrf_token": token,
            "store": "c.myshopify.com",
            "name": "Autumn",
            "commission": "12%",
            "hold_days": "14",
        },
    )
    assert made.status_code == 303 and made.headers["Location"].endswith(
        "/console/campaigns/autumn"
    )
    changed = client.post(
        "/console/campaigns/autumn",
        data={"csrf_token": token, "commission": "15%", "customer_discount": "10%"},
    )
    assert changed.status_code == 303
    listed = cli("campaign", "list", "--json").stdout
    assert '"commission": "15%"' in listed and '"customer_discount": "10%"' in listed
    for data, message in (
        ({"store": "c.myshopify.com", "name": "X", "commission": "15"}, "ambiguous"),
        ({"store": "nope.example.com", "name": "X"}, "no store"),
        ({"store": "c.myshopify.com", "name": "Y", "hold_days": "soon"}, "whole number"),
    ):
        refused = client.post("/console/campaigns", data={"csrf_token": token, **data})
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    finance = signed_in(app, "finance")
    assert finance.get("/console/campaigns/autumn").status_code == 200
    assert (
        finance.post(
            "/console/campaigns/autumn", data={"csrf_token": csrf(finance), "commission": "1%"}
        ).status_code
        == 403
    )


def test_the_admin_page_shows_keys_but_never_a_key(app, cli) -> None:
    key = cli("apikey", "create", "--name", "crm", "--scope", "read").stdout.strip()
    assert (
        cli(
            "webhook-endpoint", "add", "--url", "https://crm.example.com/h", "--events", "*"
        ).exit_code
        == 0
    )
    page = signed_in(app, "admin").get("/console/admin").get_data(as_text=True)
    assert "crm" in page and key[:10] in page and key not in page
    assert "https://crm.example.com/h" in page and "whsec_" not in page
    assert "apikey.create" in page and "webhook_endpoint.add" in page


def test_influencers_found_shown_and_adjusted_by_finance(app, cli) -> None:
    with transaction(engine_of(app)) as session:
        anna = influencer(session, "anna@example.com", name="Anna Berg")
        entry(session, anna, 6000)
        influencer(session, "ben@example.com", name="Ben Okafor")
    marketing = signed_in(app, "marketing")
    found = marketing.get("/console/influencers?q=berg").get_data(as_text=True)
    assert "anna@example.com" in found and "ben@example.com" not in found
    assert "ben@example.com" in marketing.get("/console/influencers?status=active").get_data(
        as_text=True
    )
    page = marketing.get("/console/influencers/anna@example.com").get_data(as_text=True)
    assert "60.00" in page and "Book the adjustment" not in page
    finance = signed_in(app, "finance")
    token = csrf(finance, "/console/influencers/anna@example.com")
    booked = finance.post(
        "/console/influencers/anna@example.com/adjustments",
        data={"csrf_token": token, "amount": "-5.00", "currency": "USD", "memo": "returned sample"},
    )
    assert booked.status_code == 303
    shown = finance.get(booked.headers["Location"]).get_data(as_text=True)
    assert "-5.00 USD booked" in shown and "55.00" in shown
    for data, message in (
        ({"amount": "abc", "currency": "USD", "memo": "x"}, "amount"),
        ({"amount": "1.00", "currency": "EUR", "memo": "x"}, "never earned in EUR"),
        ({"amount": "1.00", "currency": "USD", "memo": ""}, "memo"),
    ):
        refused = finance.post(
            "/console/influencers/anna@example.com/adjustments", data={"csrf_token": token, **data}
        )
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), data
    assert marketing.get("/console/influencers?campaign=nope").status_code == 404


@pytest.mark.parametrize("number", ["99999999999", "99999999999999999999"])
def test_an_id_the_database_cannot_hold_is_refused_not_a_500(app: Any, number: str) -> None:
    # Beyond PostgreSQL's integer, then beyond any 64-bit integer (SQLite's driver refuses it).
    client = signed_in(app, "admin")
    for path in (f"/console/payouts/{number}", f"/console/payouts/{number}/payouts.csv"):
        answer = client.get(path)
        assert answer.status_code in (400, 404), (path, answer.status_code)
        assert "Sorry, something broke" not in answer.get_data(as_text=True)
