"""Lists of the programme for the CLI and the API: codes and influencers as records."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from ..models import Campaign, Code, Influencer, Store
from ..programme.campaigns import get_campaign
from ..programme.influencers import get_influencer
from .balances import influencer_balances
from .kpis import tier_clause
from .records import campaign_record, code_record, influencer_record


def list_codes(session: Session, campaign_slug: str | None = None) -> list[dict[str, Any]]:
    """Every code (of one campaign) with its influencer, campaign and store, oldest first."""
    query = (
        select(Code, Influencer, Campaign, Store)
        .join(Influencer, col(Influencer.id) == col(Code.influencer_id))
        .join(Campaign, col(Campaign.id) == col(Code.campaign_id))
        .join(Store, col(Store.id) == col(Code.store_id))
        .order_by(col(Code.id))
    )
    if campaign_slug:
        query = query.where(col(Code.campaign_id) == get_campaign(session, campaign_slug).id)
    return [code_record(*row) for row in session.execute(query)]


def influencers_query(
    session: Session,
    *,
    text: str | None = None,
    status: str | None = None,
    tier: str | None = None,
    campaign_slug: str | None = None,
) -> Any:
    """Influencers matching a search (email, name or handle), a status, a tier and a campaign
    (they hold a code in it): one filter for the console and the admin API."""
    query = select(Influencer)
    if text:
        like = f"%{text.lower()}%"
        query = query.where(
            or_(
                col(Influencer.email).like(like),
                func.lower(col(Influencer.name)).like(like),
                func.lower(col(Influencer.handle)).like(like),
            )
        )
    if status:
        query = query.where(col(Influencer.status) == status)
    if tier:
        query = query.where(tier_clause(col(Influencer.followers), tier))
    if campaign_slug:
        campaign = get_campaign(session, campaign_slug)
        query = query.where(
            col(Influencer.id).in_(
                select(col(Code.influencer_id)).where(col(Code.campaign_id) == campaign.id)
            )
        )
    return query


def list_influencers(session: Session) -> list[dict[str, Any]]:
    """Every influencer with their codes, oldest first."""
    codes: dict[int, list[str]] = defaultdict(list)
    for influencer_id, code in session.execute(
        select(col(Code.influencer_id), col(Code.code)).order_by(col(Code.id))
    ):
        codes[influencer_id].append(code)
    return [
        influencer_record(influencer, codes.get(influencer.id or 0, []))
        for influencer in session.scalars(select(Influencer).order_by(col(Influencer.id)))
    ]


def influencer_detail(session: Session, email: str) -> dict[str, Any]:
    """One influencer with their codes and balances per currency."""
    influencer = get_influencer(session, email)
    codes = list(
        session.scalars(
            select(col(Code.code))
            .where(col(Code.influencer_id) == influencer.id)
            .order_by(col(Code.id))
        )
    )
    record = influencer_record(influencer, codes)
    record["balances"] = [
        balance.as_record() for balance in influencer_balances(session, influencer.id or 0)
    ]
    return record


def code_detail(session: Session, code: Code) -> dict[str, Any]:
    """One code's record, with its influencer, campaign and store."""
    row = session.execute(
        select(Code, Influencer, Campaign, Store)
        .join(Influencer, col(Influencer.id) == col(Code.influencer_id))
        .join(Campaign, col(Campaign.id) == col(Code.campaign_id))
        .join(Store, col(Store.id) == col(Code.store_id))
        .where(col(Code.id) == code.id)
    ).one()
    return code_record(*row)


def campaign_detail(session: Session, campaign: Campaign) -> dict[str, Any]:
    """One campaign's record, with its store."""
    store = session.execute(select(Store).where(col(Store.id) == campaign.store_id)).scalar_one()
    return campaign_record(campaign, store)
