"""Signing in to the portal: a link mailed through a real SMTP server, one click, and out again."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from builders import make_app
from flask import Flask
from portal_factory import csrf_of, seller, sign_in_with_token, smtp_server

from codecut.access.ratelimit import ADDRESS_LIMIT, EMAIL_LIMIT
from codecut.db import transaction
from codecut.models import Influencer
from codecut.programme import influencers
from codecut.state import get_state

PUBLIC = "https://earn.example.com"


@pytest.fixture
def mail() -> Iterator[tuple]:  # type: ignore[type-arg]
    with smtp_server() as server:
        yield server


def _app(database_url: str, tmp_path, **config) -> Flask:  # type: ignore[no-untyped-def]
    app = make_app(database_url, tmp_path, CODECUT_PUBLIC_URL=PUBLIC, **config)
    with transaction(get_state(app).engine) as session:
        if influencers.get_influencer_or_none(session, "anna@example.com") is None:
            seller(session)
            seller(session, email="pia@example.com", name="Pia Paused", code="PIA5")
            influencers.set_influencer_status(
                session, influencers.get_influencer(session, "pia@example.com"), "paused"
            )
    return app


@pytest.fixture
def portal(database_url, tmp_path, mail) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    _catcher, port = mail
    app = _app(
        database_url,
        tmp_path,
        CODECUT_MAIL_SERVER="127.0.0.1",
        CODECUT_MAIL_PORT=port,
        CODECUT_MAIL_SENDER="earnings@brand.example",
    )
    yield app
    get_state(app).engine.dispose()


def ask_for_link(client, email: str, **kwargs):  # type: ignore[no-untyped-def]
    page = client.get("/portal/login", **kwargs)
    return client.post(
        "/portal/login", data={"email": email, "csrf_token": csrf_of(page.text)}, **kwargs
    )


def test_link_from_the_mail_signs_in_once_and_logout_signs_out(portal, mail) -> None:  # type: ignore[no-untyped-def]
    catcher, _port = mail
    client = portal.test_client()
    answer = ask_for_link(client, "Anna@Example.com ")
    assert answer.status_code == 200
    assert "Check your email" in answer.text

    message = catcher.wait_for(1)
    assert message["To"] == "Anna Berg <anna@example.com>"
    assert message["From"] == "earnings@brand.example"
    link = catcher.link(message)
    assert link.startswith(f"{PUBLIC}/portal/login/")
    path = urlsplit(link).path

    # Opening the link (as a mail scanner would, twice) does not sign in or use it up.
    for _ in range(2):
        page = client.get(path)
        assert page.status_code == 200
        assert "Sign in" in page.text and "Anna" in page.text
    assert client.get("/portal/").status_code == 302

    signed = client.post(path, data={"csrf_token": csrf_of(page.text)})
    assert signed.status_code == 303
    assert signed.headers["Location"].endswith("/portal/")
    dashboard = client.get("/portal/")
    assert dashboard.status_code == 200
    assert "Hi Anna" in dashboard.text

    # The same link again: refused with a friendly page.
    again = portal.test_client().get(path)
    assert again.status_code == 410
    assert "has been used" in again.text and again.mimetype == "text/html"

    out = client.post("/portal/logout", data={"csrf_token": csrf_of(dashboard.text)})
    assert out.status_code == 303
    assert client.get("/portal/").status_code == 302
    assert "signed out" in client.get("/portal/login?out=1").text


def test_the_answer_is_the_same_for_unknown_and_inactive_emails(portal, mail) -> None:  # type: ignore[no-untyped-def]
    catcher, _port = mail
    answers = {
        email: ask_for_link(portal.test_client(), email)
        for email in ("anna@example.com", "nobody@example.com", "pia@example.com")
    }
    catcher.wait_for(1)

    def normalised(text: str, email: str) -> str:
        return re.sub(r'value="[^"]+"', "", text).replace(email, "EMAIL")

    texts = {normalised(r.text, email) for email, r in answers.items()}
    assert len(texts) == 1
    assert {r.status_code for r in answers.values()} == {200}
    assert len(catcher.messages) == 1  # only Anna, who is active, got a mail


def test_session_cookie_is_httponly_lax_and_secure_over_https(portal) -> None:  # type: ignore[no-untyped-def]
    plain = portal.test_client().get("/portal/login")
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = portal.test_client().get("/portal/login", base_url="https://earn.example.com")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_every_form_needs_the_csrf_token(portal) -> None:  # type: ignore[no-untyped-def]
    client = portal.test_client()
    client.get("/portal/login")
    refused = client.post("/portal/login", data={"email": "anna@example.com"})
    assert refused.status_code == 400 and "form has expired" in refused.text
    assert (
        client.post("/portal/login", data={"email": "a@b.co", "csrf_token": "x"}).status_code == 400
    )

    with transaction(get_state(portal).engine) as session:
        from codecut.access import login_links

        token = login_links.token_for_email(session, "anna@example.com", "test-secret-key")
    client.get(f"/portal/login/{token}")
    assert client.post(f"/portal/login/{token}").status_code == 400
    assert sign_in_with_token(client, token).status_code == 303  # not used up by the refusal

    page = client.get("/portal/")
    for path in ("/portal/logout", "/portal/logout-everywhere"):
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/portal/").status_code == 200  # still signed in
    assert csrf_of(page.text)


def test_another_sites_form_cannot_sign_someone_out(portal) -> None:  # type: ignore[no-untyped-def]
    from portal_factory import signed_in_client

    client = signed_in_client(portal)
    assert client.post("/portal/logout").status_code == 400
    assert client.get("/portal/").status_code == 200


@pytest.mark.parametrize(
    ("mangle", "status", "words"),
    [
        (lambda t: t[:-3] + ("xyz" if not t.endswith("xyz") else "abc"), 400, "does not work"),
        (lambda t: "garbage", 400, "does not work"),
        (lambda t: t.replace(".", "", 1), 400, "does not work"),
    ],
)
def test_tampered_links_get_a_friendly_page(portal, mangle, status, words) -> None:  # type: ignore[no-untyped-def]
    from codecut.access import login_links

    with transaction(get_state(portal).engine) as session:
        token = login_links.token_for_email(session, "anna@example.com", "test-secret-key")
    client = portal.test_client()
    for method in ("get", "post"):
        client.get("/portal/login")
        response = getattr(client, method)(
            f"/portal/login/{mangle(token)}",
            data={"csrf_token": csrf_of(client.get("/portal/login").text)},
        )
        assert response.status_code == status
        assert response.mimetype == "text/html"
        assert words in response.text and "Get a new sign-in link" in response.text
        assert "Traceback" not in response.text


def test_expired_links_get_a_friendly_page(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from codecut.access import login_links

    app = _app(database_url, tmp_path, CODECUT_LOGIN_TOKEN_MAX_AGE=-1)
    with transaction(get_state(app).engine) as session:
        token = login_links.token_for_email(session, "anna@example.com", "test-secret-key")
    response = app.test_client().get(f"/portal/login/{token}")
    assert response.status_code == 410
    assert "has expired" in response.text and response.mimetype == "text/html"
    get_state(app).engine.dispose()


def test_requests_for_links_are_rate_limited_per_email_across_workers(
    database_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Two apps on one database stand for two gunicorn workers: the count is shared."""
    workers = [_app(database_url, tmp_path), _app(database_url, tmp_path)]
    for attempt in range(EMAIL_LIMIT):
        worker = workers[attempt % 2]
        assert ask_for_link(worker.test_client(), "nobody@example.com").status_code == 200
    refused = ask_for_link(workers[0].test_client(), "NOBODY@example.com")
    assert refused.status_code == 429
    assert "Please wait" in refused.text and refused.mimetype == "text/html"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # Another email from the same address still gets an answer.
    assert ask_for_link(workers[1].test_client(), "anna@example.com").status_code == 200
    for worker in workers:
        get_state(worker).engine.dispose()


def test_sign_in_attempts_are_rate_limited_per_address(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = _app(database_url, tmp_path)
    here = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    for n in range(ADDRESS_LIMIT):
        assert ask_for_link(app.test_client(), f"user{n}@example.com", **here).status_code == 200
    assert ask_for_link(app.test_client(), "anna@example.com", **here).status_code == 429
    client = app.test_client()
    client.get("/portal/login", **here)
    link_use = client.post(
        "/portal/login/anything",
        data={"csrf_token": csrf_of(client.get("/portal/login", **here).text)},
        **here,
    )
    assert link_use.status_code == 429
    elsewhere = {"environ_base": {"REMOTE_ADDR": "198.51.100.1"}}
    assert ask_for_link(app.test_client(), "anna@example.com", **elsewhere).status_code == 200
    get_state(app).engine.dispose()


def test_log_out_everywhere_ends_other_sessions_and_unused_links(portal) -> None:  # type: ignore[no-untyped-def]
    from portal_factory import signed_in_client

    from codecut.access import login_links

    laptop, phone = signed_in_client(portal), signed_in_client(portal)
    with transaction(get_state(portal).engine) as session:
        unused = login_links.token_for_email(session, "anna@example.com", "test-secret-key")
    page = phone.get("/portal/")
    assert laptop.get("/portal/").status_code == 200
    out = phone.post("/portal/logout-everywhere", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    assert laptop.get("/portal/").status_code == 302
    assert phone.get("/portal/").status_code == 302
    assert portal.test_client().get(f"/portal/login/{unused}").status_code == 410


def test_pausing_an_influencer_ends_their_session(portal) -> None:  # type: ignore[no-untyped-def]
    from portal_factory import signed_in_client

    client = signed_in_client(portal)
    with transaction(get_state(portal).engine) as session:
        influencer = influencers.get_influencer(session, "anna@example.com")
        influencers.set_influencer_status(session, influencer, "terminated")
    response = client.get("/portal/")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]


def test_a_failing_mail_server_gives_the_same_answer_and_is_logged(
    database_url, tmp_path, caplog
) -> None:  # type: ignore[no-untyped-def]
    from portal_factory import smtp_server

    with smtp_server() as (_catcher, port):
        pass  # the port is now closed: nothing listens there
    app = _app(database_url, tmp_path, CODECUT_MAIL_SERVER="127.0.0.1", CODECUT_MAIL_PORT=port)
    with caplog.at_level(logging.ERROR, logger="codecut"):
        response = ask_for_link(app.test_client(), "anna@example.com")
    assert response.status_code == 200 and "Check your email" in response.text
    assert "sign-in mail to anna@example.com failed" in caplog.text
    get_state(app).engine.dispose()


def test_without_a_mail_server_the_link_is_logged(database_url, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    app = _app(database_url, tmp_path)
    with caplog.at_level(logging.WARNING, logger="codecut"):
        ask_for_link(app.test_client(), "anna@example.com")
    link = re.search(rf"{PUBLIC}/portal/login/\S+", caplog.text)
    assert link
    client = app.test_client()
    token = link.group(0).rsplit("/", 1)[1]
    assert sign_in_with_token(client, token).status_code == 303
    get_state(app).engine.dispose()


def test_cli_prints_a_working_link_alone_on_stdout(app, cli) -> None:  # type: ignore[no-untyped-def]
    with transaction(get_state(app).engine) as session:
        seller(session)
    result = cli("portal", "link", "ANNA@example.com")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("http://127.0.0.1:5000/portal/login/")
    client = app.test_client()
    assert sign_in_with_token(client, lines[0].rsplit("/", 1)[1]).status_code == 303


def test_cli_refuses_unknown_and_inactive_emails(app, cli) -> None:  # type: ignore[no-untyped-def]
    with transaction(get_state(app).engine) as session:
        seller(session)
        influencers.set_influencer_status(
            session, influencers.get_influencer(session, "anna@example.com"), "paused"
        )
    for email, words in (("nobody@example.com", "no influencer"), ("anna@example.com", "paused")):
        result = cli("portal", "link", email)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    with transaction(get_state(app).engine) as session:
        assert session.get(Influencer, 1).login_nonce == ""  # nothing written


def test_sign_out_ends_the_session_on_the_server(portal) -> None:  # type: ignore[no-untyped-def]
    """A cookie copied before "Sign out" no longer opens the dashboard; other devices stay in."""
    from portal_factory import signed_in_client

    laptop, phone = signed_in_client(portal), signed_in_client(portal)
    cookie = laptop.get_cookie("session")
    assert cookie is not None
    copied = portal.test_client()
    copied.set_cookie("session", cookie.value)
    assert copied.get("/portal/").status_code == 200
    page = laptop.get("/portal/")
    assert laptop.post("/portal/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    response = copied.get("/portal/")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]
    assert phone.get("/portal/").status_code == 200
