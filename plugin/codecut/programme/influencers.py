"""Influencers: who earns commission on the orders that use their codes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..commissions.rule import CommissionRule
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Influencer, InfluencerStatus, overlong, storable, table_of
from ..money import format_rate
from ..outbox.events import emit
from ..reads.records import influencer_record

INFLUENCER_STATUSES = tuple(s.value for s in InfluencerStatus)
_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[A-Za-z]{2,}$")
_STRIPE_ACCOUNT = re.compile(r"^acct_[A-Za-z0-9]+$")


def normalize_email(email: str) -> str:
    normalized = email.strip().lower()
    if not _EMAIL.match(normalized) or len(normalized) > 254:
        raise InvalidInput(f"{email!r} is not a valid email address")
    return normalized


def influencer_values(
    *,
    email: str,
    name: str,
    handle: str | None = None,
    platform: str | None = None,
    followers: int | str | None = None,
    commission: str | None = None,
    stripe_account: str | None = None,
) -> dict[str, Any]:
    """Validate one influencer's fields into column values (shared by add and import)."""
    if not name or not name.strip():
        raise InvalidInput("the name must not be empty")
    if not all(storable(text) for text in (email, name, handle, platform, stripe_account) if text):
        raise InvalidInput("text may not hold NUL characters or undecodable bytes")
    count: int | None
    if followers in ("", None):
        count = None
    else:
        try:
            count = int(str(followers).strip())
        except ValueError:
            raise InvalidInput(f"followers must be a whole number, not {followers!r}") from None
        if count < 0:
            raise InvalidInput("followers must not be negative")
    account = (stripe_account or "").strip() or None
    if account and not _STRIPE_ACCOUNT.match(account):
        raise InvalidInput(f"{account!r} is not a Stripe account id (acct_...)")
    values = {
        "email": normalize_email(email),
        "name": name.strip(),
        "handle": (handle or "").strip().lstrip("@") or None,
        "platform": (platform or "").strip().lower() or None,
        "followers": count,
        "commission_rate_bps": (
            CommissionRule.parse_override(commission).rate_bps if commission else None
        ),
        "stripe_account_id": account,
    }
    why = overlong(table_of(Influencer), values)  # the import inserts without the ORM's check
    if why is not None:
        raise InvalidInput(why)
    return values


def add_influencer(session: Session, **fields: Any) -> Influencer:
    values = influencer_values(**fields)
    if get_influencer_or_none(session, values["email"]) is not None:
        raise Conflict(f"an influencer with email {values['email']} exists already")
    influencer = Influencer(**values)
    session.add(influencer)
    session.flush()
    emit(session, "influencer.created", influencer_record(influencer))
    return influencer


#: What ``update_influencer`` may change; each is validated as ``influencer_values`` does.
UPDATABLE = ("name", "handle", "platform", "followers", "commission", "stripe_account")
#: Given for ``commission`` or ``stripe_account``, removes the override or the account.
CLEAR = "none"


def update_influencer(session: Session, influencer: Influencer, **changes: Any) -> Influencer:
    """Change the given fields (``None`` leaves a field as it is; ``"none"`` clears the
    commission override or the Stripe account), validated by the same rules as a new one."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise InvalidInput(f"cannot update {', '.join(sorted(unknown))}")
    current: dict[str, Any] = {
        "email": influencer.email,
        "name": influencer.name,
        "handle": influencer.handle,
        "platform": influencer.platform,
        "followers": influencer.followers,
        "commission": (
            None
            if influencer.commission_rate_bps is None
            else format_rate(influencer.commission_rate_bps)
        ),
        "stripe_account": influencer.stripe_account_id,
    }
    for field, value in changes.items():
        if value is None:
            continue
        clears = field in ("commission", "stripe_account") and value.strip().lower() == CLEAR
        current[field] = None if clears else value
    for column, value in influencer_values(**current).items():
        setattr(influencer, column, value)
    session.add(influencer)
    session.flush()
    return influencer


def get_influencer_or_none(session: Session, email: str) -> Influencer | None:
    return session.scalars(
        select(Influencer).where(col(Influencer.email) == email.strip().lower())
    ).first()


def get_influencer(session: Session, email: str) -> Influencer:
    influencer = get_influencer_or_none(session, email)
    if influencer is None:
        raise NotFound(f"no influencer with email {email}")
    return influencer


def set_influencer_status(session: Session, influencer: Influencer, status: str) -> Influencer:
    if status not in INFLUENCER_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(INFLUENCER_STATUSES)}")
    influencer.status = status
    session.add(influencer)
    session.flush()
    return influencer
