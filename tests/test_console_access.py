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
    ("GET", "/console/review", "marketing"),
    ("POST", "/console/review", "marketing"),
    ("GET", "/console/payouts", "finance"),
    ("POST", "/console/payouts/run", "finance"),
    ("GET", "/console/payouts/1", "finance"),
    ("GET", "/console/payouts/1/payouts.csv", "finance"),
    ("GET", "/console/deliveries", "admin"),
    ("POST", "/console/deliveries/1/replay", "admin"),
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
