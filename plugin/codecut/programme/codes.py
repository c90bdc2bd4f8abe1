"""Discount codes: normalizing what customers type, generating readable codes, issuing them.

Uniqueness is the database's job (``UNIQUE(store_id, code)``); generation only makes collisions
unlikely, and issuing retries when the constraint says no.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

from anyascii import anyascii
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from ..access import audit
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Campaign, Code, Influencer, Store, id_of, utcnow
from ..outbox.events import emit
from ..reads.records import code_record
from .campaigns import get_campaign
from .influencers import get_influencer

#: Letters and digits that cannot be mistaken for one another: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SUFFIX_LENGTH = 4
PREFIX_MAX = 8

_VANITY = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,31}")


_UPPER_ASCII = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalize(code: str) -> str:
    """The form codes are stored and matched in: NFKC, trimmed, the letters a-z upper-cased.

    Storefronts echo codes as the customer typed them (``" anna15"``); this is the one place that
    decides two spellings are the same code. NFKC turns compatibility forms into their plain
    letters (full-width ANNA15 is ANNA15); only a-z are upper-cased, so no other script's letter
    becomes a Latin one (Turkish dotless i, U+0131, would upper-case to I). Issued codes are
    ASCII, so anything still non-ASCII here (a dotless i, a Cyrillic A, a zero-width space)
    matches no code.
    """
    return unicodedata.normalize("NFKC", code).strip().translate(_UPPER_ASCII)


def could_be_code(normalized: str) -> bool:
    """Whether a normalized text has the shape every issued code has, so that text no code can
    match (a NUL, a look-alike letter, a kilobyte of junk) is turned away before any query."""
    return _VANITY.fullmatch(normalized) is not None


def validate_vanity(code: str) -> str:
    """Normalize an operator-chosen code and check it is one a store will accept."""
    normalized = normalize(code)
    if not could_be_code(normalized):
        raise InvalidInput(
            f"code {code!r} must be 2-32 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return normalized


def name_prefix(name: str) -> str:
    """Up to eight ASCII letters of a person's name, transliterated first:
    ``"Anna Müller"`` -> ``"ANNAMULL"``, ``"Søren Lindqvist"`` -> ``"SORENLIN"``."""
    ascii_name = anyascii(name)
    letters = re.sub(r"[^A-Za-z]", "", ascii_name).upper()
    return letters[:PREFIX_MAX] or "CODE"


def random_suffix(length: int = SUFFIX_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def generate(name: str, taken: set[str] | frozenset[str] = frozenset(), attempts: int = 50) -> str:
    """A new code like ``ANNA7K3Q`` that is not in ``taken``.

    The suffix grows by one character after every few misses, so even a crowded prefix finds room
    quickly; ``taken`` is an optimisation, the unique constraint remains the guarantee.
    """
    prefix = name_prefix(name)
    for attempt in range(attempts):
        candidate = prefix + random_suffix(SUFFIX_LENGTH + attempt // 5)
        if candidate not in taken:
            return candidate
    raise RuntimeError(f"could not find a free code for prefix {prefix}")


_ISSUE_RETRIES = 5


def taken_codes(session: Session, store_id: int) -> set[str]:
    """Every code the store has issued (to skip them when generating new ones)."""
    return set(session.scalars(select(col(Code.code)).where(col(Code.store_id) == store_id)))


def issue_code(
    session: Session, *, influencer_email: str, campaign_slug: str, code: str | None = None
) -> Code:
    """Issue a vanity code, or generate one from the influencer's name.

    A generated code that loses a race to a concurrent issuer hits the unique constraint; the
    savepoint is rolled back and another is drawn, a bounded number of times.
    """
    influencer = get_influencer(session, influencer_email)
    campaign = get_campaign(session, campaign_slug)
    candidates: Iterable[str]
    if code is not None:
        normalized = validate_vanity(code)
        if normalized in taken_codes(session, campaign.store_id):
            raise Conflict(f"code {normalized} is taken in this store")
        candidates = [normalized]
    else:
        taken = taken_codes(session, campaign.store_id)
        candidates = (generate(influencer.name, taken) for _ in range(_ISSUE_RETRIES))
    for candidate in candidates:
        row = Code(
            code=candidate,
            store_id=campaign.store_id,
            campaign_id=id_of(campaign),
            influencer_id=id_of(influencer),
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        store = session.get(Store, campaign.store_id)
        assert store is not None
        emit(session, "code.created", code_record(row, influencer, campaign, store))
        return row
    raise Conflict(f"code {code or ''} could not be issued: it is taken in this store".strip())


def rotate_code(
    session: Session, code: str, *, reason: str | None, actor: str
) -> tuple[Code, Code, Influencer]:
    """``codecut code rotate``: mark a leaked code ``leaked`` and inactive, and issue its
    influencer a fresh generated code in the same campaign. Orders that still use the old code
    earn what the campaign's leaked-code policy says. Returns (old, new, influencer)."""
    normalized = normalize(code)
    found = list(session.scalars(select(Code).where(col(Code.code) == normalized)))
    if not found:
        raise NotFound(f"no code {normalized}")
    if len(found) > 1:
        raise Conflict(f"code {normalized} exists in several stores: rotate it in the store")
    old = found[0]
    if old.leaked_at is not None:
        raise Conflict(f"code {normalized} was rotated already")
    influencer = session.get(Influencer, old.influencer_id)
    campaign = session.get(Campaign, old.campaign_id)
    assert influencer is not None and campaign is not None
    old.active = False
    old.leaked_at = utcnow()
    session.add(old)
    new = issue_code(session, influencer_email=influencer.email, campaign_slug=campaign.slug)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="code.rotate",
        subject_type="code",
        subject_id=old.id,
        detail={"code": old.code, "new_code": new.code, "reason": (reason or "").strip()},
    )
    return old, new, influencer
