"""API keys for the admin and finance API: shown once, stored as SHA-256 only.

A key is 256 random bits, so a fast hash is enough (there is nothing to brute-force); the lookup is
by hash, in constant time in the database index, never by comparing secrets in Python.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlmodel import Session, col

from ..errors import InvalidInput, NotFound
from ..models import ApiKey, utcnow
from . import audit

#: ``read`` may read everything; ``marketing`` also runs the programme (campaigns, influencers,
#: codes, posts, seeding, review); ``finance`` also moves money (payouts, adjustments, exports);
#: ``admin`` may do everything, stores, keys and webhook endpoints included.
SCOPES = ("read", "marketing", "finance", "admin")
_GRANTS = {
    "read": {"read"},
    "marketing": {"read", "marketing"},
    "finance": {"read", "finance"},
    "admin": {"read", "marketing", "finance", "admin"},
}
KEY_PREFIX = "cc_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def allows(scope: str, needed: str) -> bool:
    """Whether a key of ``scope`` may do what needs ``needed``."""
    return needed in _GRANTS.get(scope, set())


def create_key(session: Session, *, name: str, scope: str, actor: str) -> tuple[ApiKey, str]:
    """Store a new key's hash (audited); return the row and the key, which is never available
    again."""
    name = name.strip()
    if not name:
        raise InvalidInput("the key needs a name")
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, scope=scope, prefix=key[:10], key_hash=hash_key(key))
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="apikey.create",
        subject_type="api_key",
        subject_id=row.id,
        detail={"name": row.name, "scope": row.scope},
    )
    return row, key


def verify_key(session: Session, key: str) -> ApiKey | None:
    """The live key ``key`` names, with its last use recorded; None if unknown or revoked."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = session.scalars(select(ApiKey).where(col(ApiKey.key_hash) == hash_key(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    return row


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(col(ApiKey.id))))


def revoke_key(session: Session, key_id: int, *, actor: str) -> ApiKey:
    """Revoke a key at once (audited); revoking a revoked key changes nothing."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(
            session, actor=actor, action="apikey.revoke", subject_type="api_key", subject_id=key_id
        )
    return row
