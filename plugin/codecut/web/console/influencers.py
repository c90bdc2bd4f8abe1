"""Influencers: search and filter, one influencer's codes, balances per currency and latest
ledger entries, and (for finance) an adjustment with its memo."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlmodel import col

from ...commissions.adjustments import adjust
from ...db import transaction
from ...errors import CodecutError
from ...models import Campaign, Code, Influencer, InfluencerStatus, LedgerEntry, Staff
from ...money import format_minor
from ...programme import campaigns
from ...reads.listings import influencer_detail
from ...reads.records import influencer_record, iso
from ...state import get_state
from .auth import actor, console, role_required

PAGE = 100


@console.get("/console/influencers")
@role_required("read")
def influencer_list(member: Staff) -> Any:
    """Search by email, name or handle; filter by status and campaign (the first 100 shown)."""
    text = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    slug = request.args.get("campaign", "").strip()[:100]
    with transaction(get_state().engine, readonly=True) as session:
        query = select(Influencer)
        if text and "\x00" not in text:
            like = f"%{text.lower()}%"
            query = query.where(
                or_(
                    col(Influencer.email).like(like),
                    func.lower(col(Influencer.name)).like(like),
                    func.lower(col(Influencer.handle)).like(like),
                )
            )
        if status in tuple(InfluencerStatus):
            query = query.where(col(Influencer.status) == status)
        if slug:
            campaign = campaigns.get_campaign(session, slug)
            query = query.where(
                col(Influencer.id).in_(
                    select(col(Code.influencer_id)).where(col(Code.campaign_id) == campaign.id)
                )
            )
        rows = [
            influencer_record(i)
            for i in session.scalars(query.order_by(col(Influencer.id)).limit(PAGE))
        ]
        slugs = [c["campaign"] for c in _campaigns(session)]
    return render_template(
        "console/influencers.html",
        member=member,
        influencers=rows,
        q=text,
        status=status,
        campaign=slug,
        campaigns=slugs,
        statuses=[s.value for s in InfluencerStatus],
        limit=PAGE,
    )


def _campaigns(session: Any) -> list[dict[str, Any]]:
    return [
        {"campaign": c.slug} for c in session.scalars(select(Campaign).order_by(col(Campaign.id)))
    ]


def _detail_page(member: Staff, email: str, error: str | None = None) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        detail = influencer_detail(session, email)
        entries = [
            {
                "entry_id": e.id,
                "kind": e.kind,
                "status": e.status,
                "amount": format_minor(e.amount, e.currency),
                "currency": e.currency,
                "reason": e.reason,
                "memo": e.memo,
                "occurred_at": iso(e.occurred_at),
            }
            for e in session.scalars(
                select(LedgerEntry)
                .where(col(LedgerEntry.influencer_id) == detail["id"])
                .order_by(col(LedgerEntry.id).desc())
                .limit(50)
            )
        ]
    page = render_template(
        "console/influencer.html",
        member=member,
        influencer=detail,
        entries=entries,
        error=error,
        done=request.args.get("done"),
    )
    return (page, 400) if error else page


@console.get("/console/influencers/<email>")
@role_required("read")
def influencer_page(member: Staff, email: str) -> Any:
    return _detail_page(member, email)


@console.post("/console/influencers/<email>/adjustments")
@role_required("finance")
def influencer_adjust(member: Staff, email: str) -> Any:
    """A manual correction, booked and audited as ``codecut commissions adjust`` books it."""
    try:
        with transaction(get_state().engine) as session:
            entry = adjust(
                session,
                influencer_email=email,
                amount=request.form.get("amount", "").strip(),
                currency=request.form.get("currency", "").strip(),
                memo=request.form.get("memo", ""),
                actor=actor(member),
            )
            done = f"{format_minor(entry.amount, entry.currency)} {entry.currency} booked"
    except CodecutError as error:
        return _detail_page(member, email, error.message)
    return redirect(url_for(".influencer_page", email=email, done=done), 303)
