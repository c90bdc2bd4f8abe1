"""Payout set-up links an operator sends (``codecut influencer payout-link``).

Stripe's own onboarding links are single-use and last minutes, so they are never mailed: the
influencer gets a Codecut URL, valid for a week, that mints a fresh Stripe link on each click. It
only opens the payout set-up of the influencer it names (it signs nobody in), and stops working
if their email changes or they are no longer active.
"""

from __future__ import annotations

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session

from ..errors import InvalidInput
from ..models import Influencer, InfluencerStatus, id_of

_SALT = "codecut-payout-setup"
MAX_AGE_SECONDS = 7 * 24 * 3600


class PayoutLinkError(InvalidInput):
    """The link is not valid (any more); the person should ask for a new one."""


def issue(influencer: Influencer, secret_key: str | bytes) -> str:
    if influencer.status != InfluencerStatus.ACTIVE:
        raise InvalidInput(f"{influencer.email} is {influencer.status}: no payout link is issued")
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    return serializer.dumps({"i": id_of(influencer), "e": influencer.email})


def check(session: Session, token: str, secret_key: str | bytes) -> Influencer:
    """The active influencer the token names, or :class:`PayoutLinkError`."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    try:
        payload = serializer.loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        raise PayoutLinkError("this payout set-up link has expired; ask for a new one") from None
    except BadData:
        raise PayoutLinkError("this payout set-up link is not valid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
        raise PayoutLinkError("this payout set-up link is not valid")
    influencer = session.get(Influencer, payload["i"])
    if (
        influencer is None
        or influencer.email != payload.get("e")
        or influencer.status != InfluencerStatus.ACTIVE
    ):
        raise PayoutLinkError("this payout set-up link is not valid any more; ask for a new one")
    return influencer
