"""Influencers: search and filter, one influencer's codes, balances per currency and latest
ledger entries, and (for finance) an adjustment with its memo."""

from __future__ import annotations

import io
from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from sqlmodel import col

from ...access import audit
from ...commissions.adjustments import adjust
from ...db import transaction
from ...errors import CodecutError
from ...models import (
    Campaign,
    Code,
    Influencer,
    InfluencerStatus,
    LedgerEntry,
    Order,
    Payout,
    Post,
    Seeding,
    Staff,
    Store,
)
from ...money import format_minor
from ...programme import importing
from ...reads import kpis
from ...reads.listings import influencer_detail, influencers_query
from ...reads.records import (
    entry_record,
    influencer_record,
    order_record,
    payout_records,
    post_record,
    seeding_record,
)
from ...state import get_state
from .auth import actor, console, role_required

PAGE = 100
#: The latest orders, entries, posts, seeding and payouts an influencer's page shows.
SHOWN = 50


@console.get("/console/influencers")
@role_required("read")
def influencer_list(member: Staff) -> Any:
    """Search by email, name or handle; filter by tier, status and campaign (the first 100)."""
    text = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    tier = request.args.get("tier", "")
    slug = request.args.get("campaign", "").strip()[:100]
    with transaction(get_state().engine, readonly=True) as session:
        query = influencers_query(
            session,
            text=text if "\x00" not in text else None,
            status=status if status in tuple(InfluencerStatus) else None,
            tier=tier if tier in kpis.TIERS else None,
            campaign_slug=slug or None,
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
        tier=tier,
        tiers=kpis.TIERS,
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
        influencer_id = detail["id"]
        entries = [
            entry_record(e, email, external)
            for e, external in session.execute(
                select(LedgerEntry, Order.external_id)  # type: ignore[call-overload]
                .outerjoin(Order, col(Order.id) == col(LedgerEntry.order_id))
                .where(col(LedgerEntry.influencer_id) == influencer_id)
                .order_by(col(LedgerEntry.id).desc())
                .limit(SHOWN)
            )
        ]
        orders = [
            order_record(*row)
            for row in session.execute(
                select(Order, Store.domain, Code.code, Influencer.email, Campaign.slug)  # type: ignore[call-overload]
                .join(Store, col(Store.id) == col(Order.store_id))
                .join(Code, col(Code.id) == col(Order.code_id))
                .join(Influencer, col(Influencer.id) == col(Order.influencer_id))
                .join(Campaign, col(Campaign.id) == col(Order.campaign_id))
                .where(col(Order.influencer_id) == influencer_id)
                .order_by(col(Order.placed_at).desc())
                .limit(SHOWN)
            )
        ]
        posts = [
            post_record(session, post)
            for post in session.scalars(
                select(Post)
                .where(col(Post.influencer_id) == influencer_id)
                .order_by(col(Post.posted_on).desc())
                .limit(SHOWN)
            )
        ]
        seeded = [
            seeding_record(*row)
            for row in session.execute(
                select(Seeding, Influencer, Campaign, Store)
                .join(Influencer, col(Influencer.id) == col(Seeding.influencer_id))
                .join(Campaign, col(Campaign.id) == col(Seeding.campaign_id))
                .join(Store, col(Store.id) == col(Campaign.store_id))
                .where(col(Seeding.influencer_id) == influencer_id)
                .order_by(col(Seeding.id).desc())
                .limit(SHOWN)
            )
        ]
        paid = payout_records(
            session,
            session.scalars(
                select(Payout)
                .where(col(Payout.influencer_id) == influencer_id)
                .order_by(col(Payout.id).desc())
                .limit(SHOWN)
            ).all(),
        )
    page = render_template(
        "console/influencer.html",
        member=member,
        influencer=detail,
        entries=entries,
        orders=orders,
        posts=posts,
        seeding=seeded,
        payouts=paid,
        shown=SHOWN,
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


def _import_page(
    member: Staff,
    *,
    error: str | None = None,
    result: importing.ImportResult | None = None,
    campaign: str = "",
) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        slugs = [c["campaign"] for c in _campaigns(session)]
    page = render_template(
        "console/influencer_import.html",
        member=member,
        campaigns=slugs,
        columns=importing.IMPORT_COLUMNS,
        error=error,
        result=result,
        campaign=campaign,
        limit=get_state().settings.max_request_bytes,
    )
    return (page, 400) if error else page


@console.get("/console/influencers/import")
@role_required("marketing")
def influencer_import_page(member: Staff) -> Any:
    return _import_page(member)


@console.post("/console/influencers/import")
@role_required("marketing")
def influencer_import(member: Staff) -> Any:
    """Influencers from a CSV, each issued a code in the campaign: all or nothing, the first
    bad row named by its line (as ``codecut influencer import``)."""
    slug = request.form.get("campaign", "").strip()[:100]
    upload = request.files.get("file")
    if not slug:
        return _import_page(member, error="Choose the campaign their codes are for.")
    if upload is None or not upload.filename:
        return _import_page(member, error="Choose a CSV file to import.", campaign=slug)
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return _import_page(member, error="The file is not UTF-8 text (save it as CSV UTF-8).")
    try:
        with transaction(get_state().engine) as session:
            result = importing.import_influencers(session, io.StringIO(text), campaign_slug=slug)
            audit.record(
                session,
                actor=actor(member),
                action="influencer.import",
                subject_type="campaign",
                subject_id=slug,
                detail={"influencers": result.influencers, "file": upload.filename[:200]},
            )
    except CodecutError as error:
        return _import_page(member, error=error.message, campaign=slug)
    return _import_page(member, result=result, campaign=slug)
