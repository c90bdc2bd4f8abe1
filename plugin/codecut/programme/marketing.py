"""Posts (reach, engagement, the fee paid) and seeding (products gifted): what campaign reports
need besides orders. Money is in the campaign's store currency."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..dates import parse_day
from ..errors import Conflict, InvalidInput, NotFound
from ..http_urls import is_http_url
from ..models import Campaign, Post, Seeding, Store, id_of, storable, utcnow
from ..models.marketing import POST_FIGURES
from ..money import MoneyError, to_minor
from .campaigns import get_campaign
from .influencers import get_influencer

PLATFORMS = ("instagram", "tiktok", "youtube", "other")
FIGURES = POST_FIGURES
POST_COLUMNS = (
    "influencer_email",
    "campaign",
    "url",
    "posted_on",
    "platform",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "fee",
)


def _money(session: Session, campaign: Campaign, text: str | None, what: str) -> int:
    if text in (None, ""):
        return 0
    store = session.get(Store, campaign.store_id)
    assert store is not None  # a foreign key
    try:
        minor = to_minor(str(text).strip(), store.currency)
    except MoneyError as error:
        raise InvalidInput(f"{what}: {error}") from None
    if minor < 0:
        raise InvalidInput(f"{what} must not be negative")
    return minor


def _count(value: int | str | None, what: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{what} must be a whole number, not {value!r}") from None
    if number < 0:
        raise InvalidInput(f"{what} must not be negative")
    return number


def _url(value: str) -> str:
    url = value.strip()
    if not is_http_url(url) or len(url) > 2000 or not storable(url):
        raise InvalidInput(f"{value!r} is not a post's web address (https://...)")
    return url


def _platform(value: str | None) -> str:
    platform = (value or "other").strip().lower()
    if platform not in PLATFORMS:
        raise InvalidInput(f"platform must be one of {', '.join(PLATFORMS)}, not {value!r}")
    return platform


def add_post(
    session: Session,
    *,
    influencer_email: str,
    campaign_slug: str,
    url: str,
    posted_on: date,
    platform: str | None = None,
    fee: str | None = None,
    **figures: int | str | None,
) -> Post:
    influencer = get_influencer(session, influencer_email)
    campaign = get_campaign(session, campaign_slug)
    address = _url(url)
    if session.scalars(select(col(Post.id)).where(col(Post.url) == address)).first():
        raise Conflict(f"a post with URL {address} exists already (use codecut post update)")
    post = Post(
        url=address,
        influencer_id=id_of(influencer),
        campaign_id=id_of(campaign),
        posted_on=posted_on,
        platform=_platform(platform),
        fee=_money(session, campaign, fee, "fee"),
    )
    for name in FIGURES:
        setattr(post, name, _count(figures.get(name), name))
    session.add(post)
    session.flush()
    return post


def get_post(session: Session, url: str) -> Post:
    post = session.scalars(select(Post).where(col(Post.url) == url.strip())).first()
    if post is None:
        raise NotFound(f"no post with URL {url}")
    return post


def update_post(session: Session, post: Post, *, fee: str | None = None, **figures: Any) -> Post:
    """Add or correct a post's figures (what is not given stays as it is)."""
    for name in FIGURES:
        if figures.get(name) not in (None, ""):
            setattr(post, name, _count(figures[name], name))
    if fee not in (None, ""):
        campaign = session.get(Campaign, post.campaign_id)
        assert campaign is not None
        post.fee = _money(session, campaign, fee, "fee")
    post.updated_at = utcnow()
    session.add(post)
    session.flush()
    return post


@dataclass(frozen=True)
class PostImport:
    added: int
    updated: int


def import_posts(session: Session, stream: io.TextIOBase) -> PostImport:
    """Posts from CSV (:data:`POST_COLUMNS`), all or nothing: a known URL updates its figures;
    the first bad row stops it, named by its line (the header is line 1)."""
    reader = csv.DictReader(stream)
    header = [column.strip().lower() for column in (reader.fieldnames or [])]
    if tuple(header) != POST_COLUMNS:
        raise InvalidInput(f"the CSV header must be {','.join(POST_COLUMNS)}")
    reader.fieldnames = header
    added = updated = 0
    try:
        for record in reader:
            line = reader.line_num
            if None in record or any(value is None for value in record.values()):
                raise InvalidInput(f"row {line}: expected {len(header)} columns")
            if not all(storable(value) for value in record.values()):
                raise InvalidInput(f"row {line}: text may not hold NUL characters")
            figures = {name: record[name] for name in FIGURES}
            try:
                known = session.scalars(
                    select(Post).where(col(Post.url) == record["url"].strip())
                ).first()
                if known is not None:
                    update_post(session, known, fee=record["fee"], **figures)
                    updated += 1
                else:
                    add_post(
                        session,
                        influencer_email=record["influencer_email"],
                        campaign_slug=record["campaign"],
                        url=record["url"],
                        posted_on=parse_day(record["posted_on"], "posted_on"),
                        platform=record["platform"] or None,
                        fee=record["fee"],
                        **figures,
                    )
                    added += 1
            except (InvalidInput, NotFound, Conflict) as error:
                raise InvalidInput(f"row {line}: {error.message}") from None
    except csv.Error as error:
        raise InvalidInput(f"row {reader.line_num}: malformed CSV ({error})") from None
    if not added and not updated:
        raise InvalidInput("the CSV file has no rows")
    return PostImport(added, updated)


def add_seeding(
    session: Session,
    *,
    influencer_email: str,
    campaign_slug: str,
    cost: str,
    note: str | None = None,
    sent_on: date | None = None,
) -> Seeding:
    influencer = get_influencer(session, influencer_email)
    campaign = get_campaign(session, campaign_slug)
    minor = _money(session, campaign, cost, "cost")
    if minor == 0:
        raise InvalidInput("cost must be more than zero")
    text = (note or "").strip() or None
    if text and len(text) > 500:
        raise InvalidInput("the note must be at most 500 characters")
    seeding = Seeding(
        influencer_id=id_of(influencer),
        campaign_id=id_of(campaign),
        cost=minor,
        note=text,
        sent_on=sent_on or utcnow().date(),
    )
    session.add(seeding)
    session.flush()
    return seeding
