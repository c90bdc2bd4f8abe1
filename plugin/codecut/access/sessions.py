"""Browser sessions kept on the server: started at sign-in, ended at sign-out.

The cookie holds a random token (256 bits); only its SHA-256 is stored, so the table leaks no
usable session. A session is valid while its row is not ended: signing out ends that one row,
signing out everywhere ends every row of the person. The portal and the console share this;
each names its ``subject``.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlmodel import Session, col

from ..models import WebSession, utcnow

INFLUENCER = "influencer"
STAFF = "staff"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, subject: str, subject_id: int) -> str:
    """A new session; returns the token for the cookie (never stored as such)."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_hash(token), subject=subject, subject_id=subject_id))
    session.flush()
    return token


def find(session: Session, subject: str, token: object) -> int | None:
    """Whose live session ``token`` is (their id), or None."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    found = session.scalars(
        select(col(WebSession.subject_id)).where(
            col(WebSession.token_hash) == _hash(token),
            col(WebSession.subject) == subject,
            col(WebSession.ended_at).is_(None),
        )
    ).first()
    return found


def end(session: Session, token: object) -> None:
    """Sign-out: this session ends, on the server."""
    if isinstance(token, str) and token:
        session.execute(
            update(WebSession)
            .where(col(WebSession.token_hash) == _hash(token), col(WebSession.ended_at).is_(None))
            .values(ended_at=utcnow())
        )


def end_all(session: Session, subject: str, subject_id: int) -> None:
    """Sign-out everywhere: every session of this person ends."""
    session.execute(
        update(WebSession)
        .where(
            col(WebSession.subject) == subject,
            col(WebSession.subject_id) == subject_id,
            col(WebSession.ended_at).is_(None),
        )
        .values(ended_at=utcnow())
    )
