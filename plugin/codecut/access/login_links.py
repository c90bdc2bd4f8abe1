"""Magic sign-in links for the influencer portal: signed, expiring, and good for one use.

A token is an itsdangerous timed signature over ``{"i": influencer id, "n": login nonce}``. The
nonce lives in the database, so a link stops working the moment the nonce changes: when any link
is used (links issued together die together, which is what "works once" means to a person with two
mails in the inbox) and when the influencer logs out everywhere. Using a link swaps the nonce with a
conditional UPDATE, so two workers racing on the same link cannot both win.

Using a link starts a server-side session (:mod:`codecut.access.sessions`): signing in on a phone
does not sign out the laptop, and signing out ends exactly that session.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlmodel import Session, col

from ..config import Settings
from ..db import rowcount
from ..errors import CodecutError, InvalidInput, NotFound
from ..models import Influencer, InfluencerStatus, id_of
from ..programme.influencers import get_influencer_or_none, normalize_email
from . import sessions

_SALT = "codecut.portal.login"


class LinkError(CodecutError):
    """A sign-in link that cannot be used: tampered with, or not anyone's."""


class LinkExpired(LinkError):
    """Older than ``CODECUT_LOGIN_TOKEN_MAX_AGE``."""


class LinkUsed(LinkError):
    """Used already, or replaced: a newer link was used, or the influencer logged out everywhere."""


def signing_key(settings: Settings, app_secret_key: str | bytes | None) -> str | bytes:
    """``CODECUT_SECRET_KEY`` if set, else the app's ``SECRET_KEY``: every caller must agree."""
    return settings.secret_key or app_secret_key or ""


def _serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    if not secret_key:
        raise RuntimeError("sign-in links need SECRET_KEY (or CODECUT_SECRET_KEY) to be set")
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def _new_nonce() -> str:
    return secrets.token_urlsafe(24)


def active_influencer(session: Session, email: str) -> Influencer | None:
    """The active influencer with this email, or None (unknown, paused or terminated)."""
    try:
        normalized = normalize_email(email)
    except InvalidInput:
        return None
    influencer = get_influencer_or_none(session, normalized)
    if influencer is None or influencer.status != InfluencerStatus.ACTIVE:
        return None
    return influencer


def issue_token(session: Session, influencer: Influencer, secret_key: str | bytes) -> str:
    """A sign-in token for an active influencer; gives them a nonce first if they have none."""
    if influencer.status != InfluencerStatus.ACTIVE:
        raise InvalidInput(f"{influencer.email} is {influencer.status}: no sign-in link is issued")
    if not influencer.login_nonce:
        influencer.login_nonce = _new_nonce()
        session.add(influencer)
        session.flush()
    return _serializer(secret_key).dumps({"i": influencer.id, "n": influencer.login_nonce})


def token_for_email(session: Session, email: str, secret_key: str | bytes) -> str:
    """For support (``codecut portal link``): a token, or an error naming why there is none."""
    influencer = get_influencer_or_none(session, email)
    if influencer is None:
        raise NotFound(f"no influencer with email {email.strip()}")
    return issue_token(session, influencer, secret_key)


def _load(token: str, secret_key: str | bytes, max_age: int) -> tuple[int, str]:
    try:
        payload = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkExpired("this sign-in link has expired") from None
    except BadData:
        raise LinkError("this sign-in link is not valid") from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("i"), int)
        or not isinstance(payload.get("n"), str)
        or not payload["n"]
    ):
        raise LinkError("this sign-in link is not valid")
    return payload["i"], payload["n"]


def check_token(session: Session, token: str, secret_key: str | bytes, max_age: int) -> Influencer:
    """The influencer a still-usable token belongs to, without using it up (the confirm page)."""
    influencer_id, nonce = _load(token, secret_key, max_age)
    influencer = session.get(Influencer, influencer_id)
    if influencer is None or influencer.status != InfluencerStatus.ACTIVE:
        raise LinkError("this sign-in link is not valid")
    if not secrets.compare_digest(influencer.login_nonce, nonce):
        raise LinkUsed("this sign-in link has been used already")
    return influencer


def redeem_token(session: Session, token: str, secret_key: str | bytes, max_age: int) -> str:
    """Use a token: it signs in once, and starts a session whose cookie token is returned. The
    nonce swap is one conditional UPDATE, so two workers racing on one link cannot both win."""
    influencer = check_token(session, token, secret_key, max_age)
    swapped = session.execute(
        update(Influencer)
        .where(
            col(Influencer.id) == influencer.id,
            col(Influencer.login_nonce) == influencer.login_nonce,
        )
        .values(login_nonce=_new_nonce())
        .execution_options(synchronize_session=False)
    )
    if rowcount(swapped) != 1:  # another request used it between our read and our write
        raise LinkUsed("this sign-in link has been used already")
    session.expire(influencer)
    return sessions.start(session, sessions.INFLUENCER, id_of(influencer))


def session_influencer(session: Session, cookie_token: object) -> Influencer | None:
    """The influencer a session cookie names, if that session is live and they are active."""
    influencer_id = sessions.find(session, sessions.INFLUENCER, cookie_token)
    if influencer_id is None:
        return None
    influencer = session.get(Influencer, influencer_id)
    if influencer is None or influencer.status != InfluencerStatus.ACTIVE:
        return None
    return influencer


def log_out_everywhere(session: Session, influencer_id: int) -> None:
    """End every session and kill every unused link of this influencer."""
    sessions.end_all(session, sessions.INFLUENCER, influencer_id)
    session.execute(
        update(Influencer)
        .where(col(Influencer.id) == influencer_id)
        .values(login_nonce=_new_nonce())
        .execution_options(synchronize_session=False)
    )
