"""What reach, engagement and spend need besides orders: posts and products seeded (gifted)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from .base import utcnow

#: A post's figures (reach and engagement), in the order every surface shows them.
POST_FIGURES = ("reach", "likes", "comments", "shares", "saves")


class Post(SQLModel, table=True):
    """An influencer's post for a campaign, known by its URL; figures are added as they come."""

    __tablename__ = "codecut_post"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000, unique=True)
    influencer_id: int = Field(foreign_key="codecut_influencer.id", index=True)
    campaign_id: int = Field(foreign_key="codecut_campaign.id", index=True)
    posted_on: date
    platform: str = Field(default="other", max_length=20)  # instagram | tiktok | youtube | other
    reach: int | None = Field(default=None, sa_type=BigInteger)
    likes: int | None = Field(default=None, sa_type=BigInteger)
    comments: int | None = Field(default=None, sa_type=BigInteger)
    shares: int | None = Field(default=None, sa_type=BigInteger)
    saves: int | None = Field(default=None, sa_type=BigInteger)
    fee: int = Field(default=0, sa_type=BigInteger)  # paid for the post, the store's minor units
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Seeding(SQLModel, table=True):
    """Products gifted to an influencer for a review or an unboxing: a cost in the store's
    currency."""

    __tablename__ = "codecut_seeding"

    id: int | None = Field(default=None, primary_key=True)
    influencer_id: int = Field(foreign_key="codecut_influencer.id", index=True)
    campaign_id: int = Field(foreign_key="codecut_campaign.id", index=True)
    cost: int = Field(sa_type=BigInteger)
    note: str | None = Field(default=None, max_length=500)
    sent_on: date
    created_at: datetime = Field(default_factory=utcnow)
