"""The brand's console users: who they are, their role, and their one-time sign-in links.

Roles are the API keys' scopes (:func:`codecut.access.apikeys.allows` decides for both): a
``marketing`` user runs the programme, a ``finance`` user moves money, an ``admin`` does all.
Sign-in links work as the portal's do (:mod:`.login_links`): a timed signature over the staff
member's id and a nonce that changes when a link is used, so a link works once.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlmodel import Session, col

from ..db import rowcount
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Staff, StaffRole, id_of
from ..programme.influencers import normalize_email
from . import apikeys, sessions
from .login_links import LinkError, LinkExpired, LinkUsed

ROLES = tuple(role.value for role in StaffRole)
_SALT = "codecut.console.login"


def allows(role: str, needed: str) -> bool:
    """Whether a staff member of ``role`` may do what needs ``needed`` (read, marketing,
    finance, admin): the API keys' rule."""
    return apikeys.allows(role, needed)


def add_staff(session: Session, *, email: str, role: str) -> Staff:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    address = normalize_email(email)
    if get_staff_or_none(session, address) is not None:
        raise Conflict(f"{address} is staff already")
    member = Staff(email=address, role=role)
    session.add(member)
    session.flush()
    return member


def get_staff_or_none(session: Session, email: str) -> Staff | None:
    try:
        address = normalize_email(email)
    except InvalidInput:
        return None
    return session.scalars(select(Staff).where(col(Staff.email) == address)).first()


def get_staff(session: Session, email: str) -> Staff:
    member = get_staff_or_none(session, email)
    if member is None:
        raise NotFound(f"no staff member with email {email.strip()}")
    return member


def list_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(col(Staff.id))))


def remove_staff(session: Session, email: str) -> Staff:
    """They can no longer sign in, and every session of theirs ends now."""
    member = get_staff(session, email)
    sessions.end_all(session, sessions.STAFF, id_of(member))
    session.delete(member)
    return member


def _serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def issue_token(session: Session, member: Staff, secret_key: str | bytes) -> str:
    if not member.login_nonce:
        member.login_nonce = secrets.token_urlsafe(24)
        session.add(member)
        session.flush()
    return _serializer(secret_key).dumps({"s": member.id, "n": member.login_nonce})


def check_token(session: Session, token: str, secret_key: str | bytes, max_age: int) -> Staff:
    try:
        payload = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkExpired("this sign-in link has expired") from None
    except BadData:
        raise LinkError("this sign-in link is not valid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise LinkError("this sign-in link is not valid")
    member = session.get(Staff, payload["s"])
    if member is None:
        raise LinkError("this sign-in link is not valid")
    if not member.login_nonce or not secrets.compare_digest(
        member.login_nonce, str(payload.get("n"))
    ):
        raise LinkUsed("this sign-in link has been used already")
    return member


def redeem_token(session: Session, token: str, secret_key: str | bytes, max_age: int) -> str:
    """Use a link once (a conditional nonce swap) and start a console session; its token."""
    member = check_token(session, token, secret_key, max_age)
    swapped = session.execute(
        update(Staff)
        .where(col(Staff.id) == member.id, col(Staff.login_nonce) == member.login_nonce)
        .values(login_nonce=secrets.token_urlsafe(24))
        .execution_options(synchronize_session=False)
    )
    if rowcount(swapped) != 1:
        raise LinkUsed("this sign-in link has been used already")
    return sessions.start(session, sessions.STAFF, id_of(member))


def signed_in(session: Session, token: object) -> Staff | None:
    staff_id = sessions.find(session, sessions.STAFF, token)
    return session.get(Staff, staff_id) if staff_id is not None else None
