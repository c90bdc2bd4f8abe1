"""Portal sign-in throttling, per email and per client address, kept in the database.

Counting rows in ``codecut_login_attempt`` (not process memory) makes the limit hold across
gunicorn workers and across machines sharing PostgreSQL. Each check records the attempt and counts
within the window in the same transaction; on PostgreSQL an advisory lock per key serialises
concurrent checks of one key (SQLite's ``BEGIN IMMEDIATE`` already does). Rows older than the
window are deleted as keys are checked, so the table stays small.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlmodel import Session, col

from ..dates import as_utc
from ..errors import RateLimited
from ..models import LoginAttempt, utcnow

#: Link requests per email address per window: enough for typos and a lost mail, not for spam.
EMAIL_LIMIT = 5
#: Sign-in attempts (link requests and link uses) per client address per window; an office or a
#: mobile carrier's NAT may put several influencers behind one address.
ADDRESS_LIMIT = 30
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int


def email_limit(email: str) -> Limit:
    return Limit(f"email:{email.strip().lower()[:290]}", EMAIL_LIMIT)


def address_limit(address: str | None) -> Limit:
    return Limit(f"ip:{(address or 'unknown')[:290]}", ADDRESS_LIMIT)


def _lock(session: Session, key: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(key.encode())})


def hit(session: Session, *limits: Limit, window: timedelta = WINDOW) -> None:
    """Record one attempt under every key; raise :class:`RateLimited` if any key is over its limit.

    The attempt is recorded even when refused, so hammering keeps the window full. The caller
    commits either way (the refusal is not an error to roll back).
    """
    now = utcnow()
    since = now - window
    oldest_over: list[datetime] = []
    for limit in sorted(limits, key=lambda item: item.key):
        _lock(session, limit.key)
        session.execute(
            delete(LoginAttempt).where(
                col(LoginAttempt.key) == limit.key, col(LoginAttempt.at) < since
            )
        )
        count = session.scalar(
            select(func.count()).where(
                col(LoginAttempt.key) == limit.key, col(LoginAttempt.at) >= since
            )
        )
        session.add(LoginAttempt(key=limit.key, at=now))
        if (count or 0) >= limit.limit:
            oldest = session.scalar(
                select(func.min(col(LoginAttempt.at))).where(
                    col(LoginAttempt.key) == limit.key, col(LoginAttempt.at) >= since
                )
            )
            oldest_over.append(as_utc(oldest) if oldest else now)
    session.flush()
    if oldest_over:
        retry_after = max(1, int((min(oldest_over) + window - now).total_seconds()) + 1)
        raise RateLimited("too many sign-in attempts; try again in a few minutes", retry_after)
