"""Setting up the programme: stores, campaigns, influencers, and issuing their codes.

Every function takes an open session, validates everything before it writes, and raises a
:class:`~codecut.errors.CodecutError` naming the problem; the caller's transaction then rolls back,
so bad input writes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from . import codes as codegen
from .errors import Conflict, InvalidInput, NotFound

__all__ = ["Conflict", "InvalidInput", "NotFound"]
from .models import Campaign, Code, Influencer, Store
from .money import MoneyError, currency_code, parse_rate, to_minor

PLATFORMS = ("shopify", "woocommerce", "generic")
INFLUENCER_STATUSES = ("active", "paused", "terminated")
_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[A-Za-z]{2,}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_STRIPE_ACCOUNT = re.compile(r"^acct_[A-Za-z0-9]+$")
_CODE_RETRIES = 5


# -- stores --------------------------------------------------------------------------------------


def normalize_domain(value: str) -> str:
    """``https://Shop.Example.com/`` -> ``shop.example.com``: how stores are looked up by host."""
    text = value.strip()
    host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    if not host or "." not in host:
        raise InvalidInput(f"{value!r} is not a store domain (expected e.g. shop.myshopify.com)")
    return host.lower()


def add_store(
    session: Session,
    *,
    platform: str,
    domain: str,
    secret: str,
    currency: str,
    url: str | None = None,
) -> Store:
    if platform not in PLATFORMS:
        raise InvalidInput(f"platform must be one of {', '.join(PLATFORMS)}, not {platform!r}")
    if not secret or not secret.strip():
        raise InvalidInput("the webhook secret must not be empty")
    try:
        currency = currency_code(currency)
    except MoneyError as error:
        raise InvalidInput(str(error)) from None
    domain = normalize_domain(domain)
    if session.scalars(select(Store.id).where(Store.domain == domain)).first():
        raise Conflict(f"a store with domain {domain} exists already")
    store = Store(
        platform=platform, domain=domain, webhook_secret=secret, currency=currency, url=url
    )
    session.add(store)
    session.flush()
    return store


def get_store(session: Session, domain: str) -> Store:
    store = session.scalars(select(Store).where(Store.domain == normalize_domain(domain))).first()
    if store is None:
        raise NotFound(f"no store with domain {domain}")
    return store


def rotate_store_secret(session: Session, store: Store, new_secret: str) -> Store:
    """Start a rotation: the old secret stays valid beside the new one until the next rotation."""
    if not new_secret.strip():
        raise InvalidInput("the webhook secret must not be empty")
    store.previous_webhook_secret = store.webhook_secret
    store.webhook_secret = new_secret
    session.add(store)
    session.flush()
    return store


# -- commission rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommissionRule:
    """A percentage in basis points, or a flat amount per order in minor units."""

    rate_bps: int | None = None
    flat: int | None = None


def parse_commission(text: str, currency: str) -> CommissionRule:
    """``"10%"`` -> a rate, ``"5.00"`` -> a flat amount in ``currency``; never below 0 or > 100%."""
    raw = str(text).strip()
    try:
        if raw.endswith("%"):
            return CommissionRule(rate_bps=parse_rate(raw))
        flat = to_minor(raw, currency)
    except MoneyError as error:
        raise InvalidInput(f"commission: {error}") from None
    if flat < 0:
        raise InvalidInput(f"commission {raw} must not be negative")
    return CommissionRule(flat=flat)


def parse_rate_override(text: str) -> int:
    """An influencer's override is a percentage: it must mean the same in every currency."""
    raw = str(text).strip()
    if not raw.endswith("%"):
        raise InvalidInput(f"an influencer's commission must be a percentage like 12%, not {raw!r}")
    try:
        return parse_rate(raw)
    except MoneyError as error:
        raise InvalidInput(str(error)) from None


# -- campaigns -----------------------------------------------------------------------------------


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:100] or "campaign"


def add_campaign(
    session: Session,
    *,
    store_domain: str,
    name: str,
    slug: str | None = None,
    commission: str = "10%",
    hold_days: int | None = None,
) -> Campaign:
    store = get_store(session, store_domain)
    if not name.strip():
        raise InvalidInput("the campaign name must not be empty")
    slug = slug.strip().lower() if slug else slugify(name)
    if not _SLUG.match(slug):
        raise InvalidInput(f"slug {slug!r} may hold only lowercase letters, digits and dashes")
    if hold_days is not None and hold_days < 0:
        raise InvalidInput("hold days must not be negative")
    rule = parse_commission(commission, store.currency)
    if session.scalars(select(Campaign.id).where(Campaign.slug == slug)).first():
        raise Conflict(f"a campaign with slug {slug} exists already")
    campaign = Campaign(
        store_id=store.id,
        name=name.strip(),
        slug=slug,
        commission_rate_bps=rule.rate_bps,
        commission_flat=rule.flat,
        hold_days=hold_days,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, slug: str) -> Campaign:
    campaign = session.scalars(
        select(Campaign).where(Campaign.slug == slug.strip().lower())
    ).first()
    if campaign is None:
        raise NotFound(f"no campaign with slug {slug}")
    return campaign


# -- influencers ---------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    normalized = email.strip().lower()
    if not _EMAIL.match(normalized) or len(normalized) > 254:
        raise InvalidInput(f"{email!r} is not a valid email address")
    return normalized


def _influencer_values(
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
    if followers in ("", None):
        followers = None
    else:
        try:
            followers = int(str(followers).strip())
        except ValueError:
            raise InvalidInput(f"followers must be a whole number, not {followers!r}") from None
        if followers < 0:
            raise InvalidInput("followers must not be negative")
    stripe_account = (stripe_account or "").strip() or None
    if stripe_account and not _STRIPE_ACCOUNT.match(stripe_account):
        raise InvalidInput(f"{stripe_account!r} is not a Stripe account id (acct_...)")
    return {
        "email": normalize_email(email),
        "name": name.strip(),
        "handle": (handle or "").strip().lstrip("@") or None,
        "platform": (platform or "").strip().lower() or None,
        "followers": followers,
        "commission_rate_bps": parse_rate_override(commission) if commission else None,
        "stripe_account_id": stripe_account,
        "payout_method": "stripe" if stripe_account else "manual",
    }


def add_influencer(session: Session, **fields: Any) -> Influencer:
    values = _influencer_values(**fields)
    if get_influencer_or_none(session, values["email"]) is not None:
        raise Conflict(f"an influencer with email {values['email']} exists already")
    influencer = Influencer(**values)
    session.add(influencer)
    session.flush()
    return influencer


def get_influencer_or_none(session: Session, email: str) -> Influencer | None:
    return session.scalars(
        select(Influencer).where(Influencer.email == email.strip().lower())
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


# -- codes ---------------------------------------------------------------------------------------


def _taken_codes(session: Session, store_id: int) -> set[str]:
    return set(session.scalars(select(Code.code).where(Code.store_id == store_id)))


def issue_code(
    session: Session, *, influencer_email: str, campaign_slug: str, code: str | None = None
) -> Code:
    """Issue a vanity code, or generate one from the influencer's name.

    A generated code that loses a race to a concurrent issuer hits the unique constraint; the
    savepoint is rolled back and another is drawn, a bounded number of times.
    """
    influencer = get_influencer(session, influencer_email)
    campaign = get_campaign(session, campaign_slug)
    if code is not None:
        normalized = codegen.validate_vanity(code)
        if normalized in _taken_codes(session, campaign.store_id):
            raise Conflict(f"code {normalized} is taken in this store")
        candidates: Iterable[str] = [normalized]
    else:
        taken = _taken_codes(session, campaign.store_id)
        candidates = (codegen.generate(influencer.name, taken) for _ in range(_CODE_RETRIES))
    for candidate in candidates:
        row = Code(
            code=candidate,
            store_id=campaign.store_id,
            campaign_id=campaign.id,
            influencer_id=influencer.id,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row
    raise Conflict(f"code {code or ''} could not be issued: it is taken in this store".strip())


# -- bulk import ---------------------------------------------------------------------------------

IMPORT_COLUMNS = ("email", "name", "handle", "followers", "commission", "code")
_IMPORT_BATCH = 1000


@dataclass(frozen=True)
class ImportResult:
    influencers: int
    codes: list[tuple[str, str]]  # (email, code)


def import_influencers(
    session: Session,
    stream: io.TextIOBase,
    *,
    campaign_slug: str,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create influencers from CSV and issue each a code in ``campaign_slug``; all or nothing.

    Every row is validated before anything is written; the first bad row raises with its line
    number in the file (the header is line 1). Writes go in batches of multi-row inserts, which is
    what makes 10,000 rows take seconds.
    """
    campaign = get_campaign(session, campaign_slug)
    reader = csv.DictReader(stream)
    header = [column.strip().lower() for column in (reader.fieldnames or [])]
    missing = {"email", "name"} - set(header)
    if missing:
        raise InvalidInput(f"the CSV header must name the columns {', '.join(IMPORT_COLUMNS)}")
    unknown = set(header) - set(IMPORT_COLUMNS)
    if unknown:
        raise InvalidInput(f"unknown CSV column(s): {', '.join(sorted(unknown))}")
    reader.fieldnames = header

    existing_emails = set(session.scalars(select(Influencer.email)))
    taken = _taken_codes(session, campaign.store_id)
    rows: list[dict[str, Any]] = []
    wanted_codes: list[str | None] = []
    seen_emails: set[str] = set()
    seen_codes: set[str] = set()
    try:
        for record in reader:
            line = reader.line_num
            if None in record or any(value is None for value in record.values()):
                raise InvalidInput(f"row {line}: expected {len(header)} columns")
            try:
                values = _influencer_values(
                    email=record.get("email", ""),
                    name=record.get("name", ""),
                    handle=record.get("handle"),
                    followers=record.get("followers"),
                    commission=(record.get("commission") or "").strip() or None,
                )
                vanity = (record.get("code") or "").strip()
                vanity = codegen.validate_vanity(vanity) if vanity else None
            except InvalidInput as error:
                raise InvalidInput(f"row {line}: {error.message}") from None
            email = values["email"]
            if email in existing_emails:
                raise Conflict(f"row {line}: an influencer with email {email} exists already")
            if email in seen_emails:
                raise Conflict(f"row {line}: email {email} appears twice in the file")
            if vanity and (vanity in taken or vanity in seen_codes):
                raise Conflict(f"row {line}: code {vanity} is taken in this store")
            seen_emails.add(email)
            if vanity:
                seen_codes.add(vanity)
            rows.append(values)
            wanted_codes.append(vanity)
    except csv.Error as error:
        raise InvalidInput(f"row {reader.line_num}: malformed CSV ({error})") from None
    if not rows:
        raise InvalidInput("the CSV file has no rows")

    taken |= seen_codes
    issued: list[tuple[str, str]] = []
    for start in range(0, len(rows), _IMPORT_BATCH):
        chunk = rows[start : start + _IMPORT_BATCH]
        ids = session.execute(
            insert(Influencer).returning(Influencer.id, sort_by_parameter_order=True),
            [{**values, "login_nonce": ""} for values in chunk],
        ).scalars()
        code_rows = []
        for influencer_id, values, vanity in zip(
            ids, chunk, wanted_codes[start : start + len(chunk)], strict=True
        ):
            code = vanity or codegen.generate(values["name"], taken)
            taken.add(code)
            code_rows.append(
                {
                    "code": code,
                    "store_id": campaign.store_id,
                    "campaign_id": campaign.id,
                    "influencer_id": influencer_id,
                    "active": True,
                }
            )
            issued.append((values["email"], code))
        session.execute(insert(Code), code_rows)
        if progress:
            progress(len(chunk))
    return ImportResult(influencers=len(rows), codes=issued)
