"""Magic-link tokens: signed, expiring, single-use, bound to one influencer, killed by logout."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer
from portal_factory import seller
from sqlalchemy import update

from codecut.access import login_links, sessions
from codecut.db import transaction
from codecut.errors import InvalidInput, NotFound
from codecut.models import Influencer
from codecut.programme import influencers
from codecut.web.statuses import status_of

SECRET = "test-secret-key"
MAX_AGE = 900


@pytest.fixture
def anna(engine):  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return seller(session).influencer


def issue(engine, email: str = "anna@example.com") -> str:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return login_links.token_for_email(session, email, SECRET)


def redeem(engine, token: str, *, secret: str = SECRET, max_age: int = MAX_AGE):  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return login_links.redeem_token(session, token, secret, max_age)


def test_a_link_signs_in_once(engine, anna) -> None:  # type: ignore[no-untyped-def]
    token = issue(engine)
    started = redeem(engine, token)
    with transaction(engine) as session:
        assert login_links.session_influencer(session, started).id == anna.id
    with pytest.raises(login_links.LinkUsed):
        redeem(engine, token)


def test_using_one_link_kills_the_others_sent_before(engine, anna) -> None:  # type: ignore[no-untyped-def]
    first, second = issue(engine), issue(engine)
    redeem(engine, second)
    with pytest.raises(login_links.LinkUsed):
        redeem(engine, first)


def test_expired_link_is_refused(engine, anna, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = issue(engine)
    with pytest.raises(login_links.LinkExpired) as refused:
        redeem(engine, token, max_age=-1)
    assert status_of(refused.value)[0] == 410
    started = redeem(engine, token)  # refusing did not use it up
    with transaction(engine) as session:
        assert login_links.session_influencer(session, started).id == anna.id


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "x" + t,
        lambda t: t.split(".")[0],
        lambda t: "not-a-token",
    ],
)
def test_tampered_link_is_refused(engine, anna, mangle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(login_links.LinkError) as refused:
        redeem(engine, mangle(issue(engine)))
    assert status_of(refused.value)[0] == 400


def test_link_signed_with_another_key_is_refused(engine, anna) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(login_links.LinkError):
        redeem(engine, issue(engine), secret="another-key")


def test_token_naming_another_influencer_is_refused(engine, anna) -> None:  # type: ignore[no-untyped-def]
    """A correctly signed token carrying Ben's id with Anna's nonce does not open Ben's account."""
    with transaction(engine) as session:
        ben = seller(session, email="ben@example.com", name="Ben Okafor", code="BEN10").influencer
    issue(engine, "ben@example.com")
    issue(engine)  # gives Anna a nonce
    with transaction(engine) as session:
        anna_nonce = session.get(Influencer, anna.id).login_nonce
    forged = URLSafeTimedSerializer(SECRET, salt="codecut.portal.login").dumps(
        {"i": ben.id, "n": anna_nonce}
    )
    with pytest.raises(login_links.LinkUsed):
        redeem(engine, forged)


def test_inactive_influencers_get_no_link_and_cannot_use_one(engine, anna) -> None:  # type: ignore[no-untyped-def]
    token = issue(engine)
    with transaction(engine) as session:
        influencers.set_influencer_status(session, session.get(Influencer, anna.id), "paused")
    with pytest.raises(InvalidInput, match="paused"):
        issue(engine)
    with pytest.raises(login_links.LinkError):
        redeem(engine, token)
    with transaction(engine) as session:
        assert login_links.active_influencer(session, "anna@example.com") is None


def test_unknown_email_gets_no_link(engine, anna) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        issue(engine, "nobody@example.com")
    with transaction(engine) as session:
        assert login_links.active_influencer(session, "nobody@example.com") is None
        assert login_links.active_influencer(session, "not an email") is None
        assert login_links.active_influencer(session, " ANNA@example.com ").id == anna.id


def test_sessions_survive_a_second_sign_in_sign_out_ends_one_everywhere_all(engine, anna) -> None:  # type: ignore[no-untyped-def]
    laptop = redeem(engine, issue(engine))
    phone = redeem(engine, issue(engine))
    tablet = redeem(engine, issue(engine))
    assert len({laptop, phone, tablet}) == 3
    with transaction(engine) as session:
        assert login_links.session_influencer(session, laptop).id == anna.id
        assert login_links.session_influencer(session, phone).id == anna.id
        sessions.end(session, tablet)  # plain sign-out on the tablet
    with transaction(engine) as session:
        assert login_links.session_influencer(session, tablet) is None
        assert login_links.session_influencer(session, phone).id == anna.id
    unused = issue(engine)
    with transaction(engine) as session:
        login_links.log_out_everywhere(session, anna.id)
    with transaction(engine) as session:
        assert login_links.session_influencer(session, laptop) is None
        assert login_links.session_influencer(session, phone) is None
    with pytest.raises(login_links.LinkUsed):
        redeem(engine, unused)


def test_session_check_rejects_wrong_shapes(engine, anna) -> None:  # type: ignore[no-untyped-def]
    started = redeem(engine, issue(engine))
    with transaction(engine) as session:
        assert login_links.session_influencer(session, started.upper()) is None
        assert login_links.session_influencer(session, "") is None
        assert login_links.session_influencer(session, anna.id) is None
        assert login_links.session_influencer(session, None) is None
        assert login_links.session_influencer(session, "x" * 10_000) is None
        assert sessions.find(session, sessions.STAFF, started) is None  # a portal session only


def test_a_stale_read_of_the_nonce_cannot_swap_it(engine, anna) -> None:  # type: ignore[no-untyped-def]
    """Two requests racing on one link both read the nonce; the conditional UPDATE lets one win."""
    token = issue(engine)
    with transaction(engine) as session:
        influencer = login_links.check_token(session, token, SECRET, MAX_AGE)
        stale_nonce = influencer.login_nonce
    redeem(engine, token)
    with transaction(engine) as session:
        result = session.execute(
            update(Influencer)
            .where(Influencer.id == anna.id, Influencer.login_nonce == stale_nonce)
            .values(login_nonce="x")
        )
        assert result.rowcount == 0
