"""Stores, campaigns, influencers and codes."""

from __future__ import annotations

from typing import Any

from flask import request
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response as Documented
from sqlalchemy import select
from sqlmodel import col

from ...commissions.approval import MAX_HOLD_DAYS
from ...db import transaction
from ...models import Campaign, Code, Influencer, InfluencerStatus, Store
from ...programme import campaigns, codes, influencers, stores
from ...reads.listings import campaign_detail, code_detail, influencer_detail, influencers_query
from ...reads.records import code_record, influencer_record, store_record
from .base import (
    PageQuery,
    Problem,
    api_v1,
    engine,
    keyset,
    narrowed,
    needs,
    page,
    record,
    spec,
)

ERRORS = {"HTTP_400": Problem, "HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem}
WRITE_ERRORS = {**ERRORS, "HTTP_409": Problem}


class Open(BaseModel):
    """A record: the fields below, and any the CLI's JSON adds."""

    model_config = ConfigDict(extra="allow")


class StoreOut(Open):
    domain: str
    platform: str
    currency: str
    timezone: str
    admin_api: str | None = None


class StoreList(BaseModel):
    items: list[StoreOut]
    next_cursor: str | None = None


class CampaignOut(Open):
    campaign: str
    name: str
    store: str
    currency: str
    commission: str | None = None
    hold_days: int | None = None
    customer_discount: str | None = None


class CampaignList(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None = None


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: str = Field(max_length=255, description="The store's domain.")
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(None, max_length=100)
    commission: str = Field("10%", max_length=40, description="15% or 15.00 USD.")
    hold_days: int | None = Field(None, ge=0, le=MAX_HOLD_DAYS)


class CampaignChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    commission: str | None = Field(None, max_length=40)
    hold_days: int | None = Field(None, ge=0, le=MAX_HOLD_DAYS)
    customer_discount: str | None = Field(None, max_length=40)
    once_per_customer: bool | None = None
    combines_with: str | None = Field(None, max_length=40)


class InfluencerOut(Open):
    email: str
    name: str
    status: str
    handle: str | None = None
    followers: int | None = None


class InfluencerList(BaseModel):
    items: list[InfluencerOut]
    next_cursor: str | None = None


class InfluencerQuery(PageQuery):
    status: InfluencerStatus | None = None
    campaign: str | None = Field(None, max_length=100)


class InfluencerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    name: str = Field(min_length=1, max_length=200)
    handle: str | None = Field(None, max_length=100)
    platform: str | None = Field(None, max_length=50)
    followers: int | None = Field(None, ge=0, le=10**12)
    commission: str | None = Field(None, max_length=20, description="An override such as 12%.")


class CodeOut(Open):
    code: str
    influencer_email: str
    campaign: str
    store: str
    active: bool


class CodeList(BaseModel):
    items: list[CodeOut]
    next_cursor: str | None = None


class CodeQuery(PageQuery):
    campaign: str | None = Field(None, max_length=100)
    influencer: str | None = Field(None, max_length=254)


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    influencer: str = Field(max_length=254, description="The influencer's email.")
    campaign: str = Field(max_length=100)
    code: str | None = Field(None, max_length=64, description="A vanity code; generated if absent.")


class CodesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign: str = Field(max_length=100)
    influencers: list[str] = Field(min_length=1, max_length=500, description="Emails.")


class IssuedCodes(BaseModel):
    items: list[CodeOut]


# -- stores --------------------------------------------------------------------------------------


@api_v1.get("/api/v1/stores")
@needs("read")
@spec.validate(query=PageQuery, resp=Documented(HTTP_200=StoreList, **ERRORS), tags=["stores"])
def list_stores() -> Any:
    """Stores (never their secrets or credentials)."""
    query: PageQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        rows = session.scalars(keyset(select(Store), col(Store.id), query)).all()
        return page([store_record(s) for s in rows], [s.id or 0 for s in rows], query.limit)


@api_v1.get("/api/v1/stores/<domain>")
@needs("read")
@spec.validate(resp=Documented(HTTP_200=StoreOut, **ERRORS), tags=["stores"])
def get_store(domain: str) -> Any:
    with transaction(engine(), readonly=True) as session:
        return store_record(stores.get_store(session, domain))


# -- campaigns -----------------------------------------------------------------------------------


@api_v1.get("/api/v1/campaigns")
@needs("read")
@spec.validate(
    query=PageQuery, resp=Documented(HTTP_200=CampaignList, **ERRORS), tags=["campaigns"]
)
def list_campaigns() -> Any:
    query: PageQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        rows = session.scalars(keyset(select(Campaign), col(Campaign.id), query)).all()
        return page(
            [campaign_detail(session, c) for c in rows], [c.id or 0 for c in rows], query.limit
        )


@api_v1.get("/api/v1/campaigns/<slug>")
@needs("read")
@spec.validate(resp=Documented(HTTP_200=CampaignOut, **ERRORS), tags=["campaigns"])
def get_campaign(slug: str) -> Any:
    with transaction(engine(), readonly=True) as session:
        return campaign_detail(session, campaigns.get_campaign(session, slug))


@api_v1.post("/api/v1/campaigns")
@needs("marketing")
@spec.validate(
    json=CampaignIn, resp=Documented(HTTP_201=CampaignOut, **WRITE_ERRORS), tags=["campaigns"]
)
def create_campaign() -> Any:
    body: CampaignIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        campaign = campaigns.add_campaign(
            session,
            store_domain=body.store,
            name=body.name,
            slug=body.slug,
            commission=body.commission,
            hold_days=body.hold_days,
        )
        record(session, "campaign.add", "campaign", campaign.id, slug=campaign.slug)
        out = campaign_detail(session, campaign)
    return out, 201, {"Location": f"{request.path}/{out['campaign']}"}


@api_v1.patch("/api/v1/campaigns/<slug>")
@needs("marketing")
@spec.validate(
    json=CampaignChange, resp=Documented(HTTP_200=CampaignOut, **WRITE_ERRORS), tags=["campaigns"]
)
def update_campaign(slug: str) -> Any:
    body: CampaignChange = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        campaign = campaigns.update_campaign(
            session,
            campaigns.get_campaign(session, slug),
            **body.model_dump(exclude_none=True),
        )
        record(
            session,
            "campaign.update",
            "campaign",
            campaign.id,
            **body.model_dump(exclude_none=True),
        )
        return campaign_detail(session, campaign)


# -- influencers ---------------------------------------------------------------------------------


@api_v1.get("/api/v1/influencers")
@needs("read")
@spec.validate(
    query=InfluencerQuery, resp=Documented(HTTP_200=InfluencerList, **ERRORS), tags=["influencers"]
)
def list_influencers() -> Any:
    """Influencers by id, filtered by status and campaign."""
    query: InfluencerQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        statement = influencers_query(
            session,
            status=query.status.value if query.status else None,
            campaign_slug=query.campaign,
        )
        rows = session.scalars(keyset(statement, col(Influencer.id), query)).all()
        return page([influencer_record(i) for i in rows], [i.id or 0 for i in rows], query.limit)


@api_v1.get("/api/v1/influencers/<email>")
@needs("read")
@spec.validate(resp=Documented(HTTP_200=InfluencerOut, **ERRORS), tags=["influencers"])
def get_influencer(email: str) -> Any:
    """One influencer with their codes and balances per currency."""
    with transaction(engine(), readonly=True) as session:
        return influencer_detail(session, email)


@api_v1.post("/api/v1/influencers")
@needs("marketing")
@spec.validate(
    json=InfluencerIn, resp=Documented(HTTP_201=InfluencerOut, **WRITE_ERRORS), tags=["influencers"]
)
def create_influencer() -> Any:
    body: InfluencerIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        influencer = influencers.add_influencer(session, **body.model_dump())
        record(session, "influencer.add", "influencer", influencer.id, email=influencer.email)
        out = influencer_record(influencer)
    return out, 201, {"Location": f"{request.path}/{out['email']}"}


# -- codes ---------------------------------------------------------------------------------------


@api_v1.get("/api/v1/codes")
@needs("read")
@spec.validate(query=CodeQuery, resp=Documented(HTTP_200=CodeList, **ERRORS), tags=["codes"])
def list_codes() -> Any:
    query: CodeQuery = request.context.query  # type: ignore[attr-defined]
    with transaction(engine(), readonly=True) as session:
        statement = (
            select(Code, Influencer, Campaign, Store)
            .join(Influencer, col(Influencer.id) == col(Code.influencer_id))
            .join(Campaign, col(Campaign.id) == col(Code.campaign_id))
            .join(Store, col(Store.id) == col(Code.store_id))
        )
        statement = narrowed(
            session,
            statement,
            campaign=query.campaign,
            influencer=query.influencer,
            campaign_column=col(Code.campaign_id),
            influencer_column=col(Code.influencer_id),
        )
        rows = session.execute(keyset(statement, col(Code.id), query)).all()
        return page([code_record(*row) for row in rows], [row[0].id for row in rows], query.limit)


@api_v1.post("/api/v1/codes")
@needs("marketing")
@spec.validate(json=CodeIn, resp=Documented(HTTP_201=CodeOut, **WRITE_ERRORS), tags=["codes"])
def issue_code() -> Any:
    body: CodeIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        issued = codes.issue_code(
            session, influencer_email=body.influencer, campaign_slug=body.campaign, code=body.code
        )
        record(session, "code.issue", "code", issued.id, code=issued.code)
        return code_detail(session, issued), 201


@api_v1.post("/api/v1/codes/batch")
@needs("marketing")
@spec.validate(json=CodesIn, resp=Documented(HTTP_201=IssuedCodes, **WRITE_ERRORS), tags=["codes"])
def issue_codes() -> Any:
    """A generated code for each influencer in the campaign, all or nothing."""
    body: CodesIn = request.context.json  # type: ignore[attr-defined]
    with transaction(engine()) as session:
        issued = [
            codes.issue_code(session, influencer_email=email, campaign_slug=body.campaign)
            for email in body.influencers
        ]
        for row in issued:
            record(session, "code.issue", "code", row.id, code=row.code)
        return {"items": [code_detail(session, row) for row in issued]}, 201
