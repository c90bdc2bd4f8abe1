"""Campaign reports and the leaderboard, posts, seeding and the review queue."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from flask import request
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response as Documented
from sqlalchemy import select
from sqlmodel import col

from ...commissions import review
from ...dates import check_period
from ...db import transaction
from ...models import Campaign, Influencer, Post, Seeding, Store
from ...programme import marketing
from ...reads import kpis
from ...reads.records import post_record, seeding_record
from .base import (
    MAX_ID,
    PageQuery,
    actor,
    api_v1,
    engine,
    keyset,
    narrowed,
    needs,
    page,
    record,
    spec,
)
from .catalog import ERRORS, WRITE_ERRORS, Open

Measure = Literal[kpis.RANKABLE]  # type: ignore[valid-type]


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: date | None = Field(None, alias="from", description="First order day (store's zone).")
    last: date | None = Field(None, alias="to", description="Last order day.")


class Report(BaseModel):
    campaign: dict[str, Any]
    influencers: list[dict[str, Any]]


class LeaderboardQuery(Period):
    by: Measure
    campaign: str | None = Field(None, max_length=100)
    limit: int = Field(10, ge=1, le=500)
    min_orders: int = Field(0, ge=0, le=10**9)


class Leaderboard(BaseModel):
    items: list[dict[str, Any]]


class PostOut(Open):
    url: str
    influencer_email: str
    campaign: str
    posted_on: str
    platform: str
    fee: str
    currency: str


class PostList(BaseModel):
    items: list[PostOut]
    next_cursor: str | None = None


class ByCampaign(PageQuery):
    campaign: str | None = Field(None, max_length=100)
    influencer: str | None = Field(None, max_length=254)


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    influencer: str = Field(max_length=254)
    campaign: str = Field(max_length=100)
    url: str = Field(max_length=2000)
    posted_on: date
    platform: Literal[marketing.PLATFORMS] = "other"  # type: ignore[valid-type]
    reach: int | None = Field(None, ge=0, le=10**12)
    likes: int | None = Field(None, ge=0, le=10**12)
    comments: int | None = Field(None, ge=0, le=10**12)
    shares: int | None = Field(None, ge=0, le=10**12)
    saves: int | None = Field(None, ge=0, le=10**12)
    fee: str | None = Field(None, max_length=30, description="Paid for the post, e.g. 150.00.")


class SeedingOut(Open):
    influencer_email: str
    campaign: str
    cost: str
    currency: str
    sent_on: str | None = None
    note: str | None = None


class SeedingList(BaseModel):
    items: list[SeedingOut]
    next_cursor: str | None = None


class SeedingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    influencer: str = Field(max_length=254)
    campaign: str = Field(max_length=100)
    cost: str = Field(max_length=30, description="In the store's currency, e.g. 40.00.")
    note: str | None = Field(None, max_length=500)
    sent_on: date | None = None


class ReviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign: str | None = Field(None, max_length=100)
    rule: str | None = Field(None, max_length=40)


class Held(BaseModel):
    items: list[dict[str, Any]]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=1000)
    memo: str = Field(min_length=1, max_length=500, description="Why: kept with the decision.")


@api_v1.get("/api/v1/campaigns/<slug>/report")
@needs("read")
@spec.validate(query=Period, resp=Documented(HTTP_200=Report, **ERRORS), tags=["reports"])
def campaign_report(slug: str) -> Any:
    """The campaign's measures and one row per influencer, as `codecut report campaign`."""
    query: Period = request.context.query  # type: ignore[attr-defined]
    check_period(query.first, query.last)
    with kpis.refreshed(engine()) as session:
        return kpis.campaign_report(session, slug, first=query.first, last=query.last).as_json()


@api_v1.get("/api/v1/leaderboard")
@needs("read")
@spec.validate(
    query=LeaderboardQuery, resp=Documented(HTTP_200=Leaderboard, **ERRORS), tags=["reports"]
)
def leaderboard() -> Any:
    """Influencers ranked by one measure, as `codecut report leaderboard`."""
    query: LeaderboardQuery = request.context.query  # type: ignore[attr-defined]
    check_period(query.first, query.last)
    with kpis.refreshed(engine()) as session:
        rows = kpis.leaderboard(
            session,
            by=query.by,
            slug=query.campaign,
            limit=query.limit,
            min_orders=query.min_orders,
            first=query.first,
            last=query.last,
        )
    return {"items": rows}


def _filtered(session: Any, statement: Any, model: Any, query: ByCampaign) -> Any:
    return narrowed(
        session,
        statement,
        campaign=query.campaign,
        influencer=query.influencer,
        campaign_column=col(model.campaign_id),
        influencer_column=col(model.influencer_id),
    )


@api_v1.get("/api/v1/posts")
@needs("read")
@spec.validate(query=ByCampaign, resp=Documented(HTTP_200=PostList, **ERRORS), tags=["posts"])
def list_posts() -> Any:
    query: ByCampaign = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        statement = _filtered(session, select(Post), Post, query)
        rows = session.scalars(keyset(statement, col(Post.id), query)).all()
        return page([post_record(session, p) for p in rows], [p.id or 0 for p in rows], query.limit)


@api_v1.post("/api/v1/posts")
@needs("marketing")
@spec.validate(json=PostIn, resp=Documented(HTTP_201=PostOut, **WRITE_ERRORS), tags=["posts"])
def add_post() -> Any:
    body: PostIn = request.context.json  # type: ignore[attr-defined]
    figures = body.model_dump(include={"reach", "likes", "comments", "shares", "saves"})
    with transaction(engine()) as session:
        post = marketing.add_post(
            session,
            influencer_email=body.influencer,
            campaign_slug=body.campaign,
            url=body.url,
            posted_on=body.posted_on,
            platform=body.platform,
            fee=body.fee,
            **figures,
        )
        record(session, "post.add", "post", post.id, url=post.url)
        return post_record(session, post), 201


@api_v1.get("/api/v1/seeding")
@needs("read")
@spec.validate(query=ByCampaign, resp=Documented(HTTP_200=SeedingList, **ERRORS), tags=["seeding"])
def list_seeding() -> Any:
    query: ByCampaign = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        statement = _filtered(
            session,
            select(Seeding, Influencer, Campaign, Store)
            .join(Influencer, col(Influencer.id) == col(Seeding.influencer_id))
            .join(Campaign, col(Campaign.id) == col(Seeding.campaign_id))
            .join(Store, col(Store.id) == col(Campaign.store_id)),
            Seeding,
            query,
        )
        rows = session.execute(keyset(statement, col(Seeding.id), query)).all()
        return page(
            [seeding_record(*row) for row in rows], [row[0].id for row in rows], query.limit
        )


@api_v1.post("/api/v1/seeding")
@needs("marketing")
@spec.validate(
    json=SeedingIn, resp=Documented(HTTP_201=SeedingOut, **WRITE_ERRORS), tags=["seeding"]
)
def add_seeding() -> Any:
    body: SeedingIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        seeding = marketing.add_seeding(
            session,
            influencer_email=body.influencer,
            campaign_slug=body.campaign,
            cost=body.cost,
            note=body.note,
            sent_on=body.sent_on,
        )
        record(session, "seeding.add", "seeding", seeding.id)
        campaign = session.get(Campaign, seeding.campaign_id)
        influencer = session.get(Influencer, seeding.influencer_id)
        assert campaign is not None and influencer is not None
        store = session.get(Store, campaign.store_id)
        assert store is not None
        return seeding_record(seeding, influencer, campaign, store), 201


@api_v1.get("/api/v1/review")
@needs("read")
@spec.validate(query=ReviewQuery, resp=Documented(HTTP_200=Held, **ERRORS), tags=["review"])
def held() -> Any:
    """Commissions held by the leak rules, oldest first (as `codecut review list`)."""
    query: ReviewQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        rows = review.held(session, campaign=query.campaign, rule=query.rule)
        return {"items": [r.as_record() for r in rows]}


def _decide(decide: Any) -> Any:
    body: Decision = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        rows = decide(session, body.entry_ids, memo=body.memo, actor=actor())
        return {"items": [r.as_record() for r in rows]}


@api_v1.post("/api/v1/review/clear")
@needs("marketing")
@spec.validate(json=Decision, resp=Documented(HTTP_200=Held, **WRITE_ERRORS), tags=["review"])
def clear() -> Any:
    """Release held commissions to their normal hold (audited with the memo)."""
    return _decide(review.clear)


@api_v1.post("/api/v1/review/void")
@needs("marketing")
@spec.validate(json=Decision, resp=Documented(HTTP_200=Held, **WRITE_ERRORS), tags=["review"])
def void() -> Any:
    """Void held commissions: never paid (audited with the memo)."""
    return _decide(review.void)
