"""Campaigns: the list, a new one, and changing one (name, rule, hold, the buyer's discount)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from sqlmodel import Session, col

from ...access import audit
from ...db import transaction
from ...errors import CodecutError, InvalidInput
from ...models import Campaign, Staff, Store
from ...programme import campaigns, stores
from ...reads.listings import campaign_detail
from ...state import get_state
from ...storesync import push
from ...storesync.connection import api_factory
from . import background
from .auth import actor, console, role_required


def _text(name: str) -> str | None:
    return request.form.get(name, "").strip() or None


def _hold_days() -> int | None:
    value = _text("hold_days")
    if value is None:
        return None
    if not value.isdigit() or len(value) > 4:
        raise InvalidInput("hold days must be a whole number of days")
    return int(value)


def _list_page(member: Staff, error: str | None = None) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        rows = [
            campaign_detail(session, c)
            for c in session.scalars(select(Campaign).order_by(col(Campaign.id)))
        ]
        shops = [s.domain for s in stores.list_stores(session)]
    page = render_template(
        "console/campaigns.html", member=member, campaigns=rows, stores=shops, error=error
    )
    return (page, 400) if error else page


def _record(session: Session, member: Staff, action: str, campaign: Campaign) -> None:
    audit.record(
        session,
        actor=actor(member),
        action=action,
        subject_type="campaign",
        subject_id=campaign.id,
        detail={k: v for k, v in request.form.items() if k != "csrf_token"},
    )


@console.get("/console/campaigns")
@role_required("read")
def campaign_list(member: Staff) -> Any:
    return _list_page(member)


@console.post("/console/campaigns")
@role_required("marketing")
def campaign_create(member: Staff) -> Any:
    try:
        with transaction(get_state().engine) as session:
            campaign = campaigns.add_campaign(
                session,
                store_domain=request.form.get("store", ""),
                name=request.form.get("name", ""),
                slug=_text("slug"),
                commission=_text("commission") or "10%",
                hold_days=_hold_days(),
            )
            _record(session, member, "campaign.add", campaign)
    except CodecutError as error:
        return _list_page(member, error.message)
    return redirect(url_for(".campaign_page", slug=campaign.slug), 303)


def _campaign_page(member: Staff, slug: str, error: str | None = None) -> Any:
    with transaction(get_state().engine, readonly=True) as session:
        campaign = campaigns.get_campaign(session, slug)
        record = campaign_detail(session, campaign)
        store = session.get(Store, campaign.store_id)
        codes = push.standing(session, slug)
        job = background.latest(
            session, action="campaign.push", subject_type="campaign", subject_id=campaign.id
        )
    page = render_template(
        "console/campaign.html",
        member=member,
        campaign=record,
        error=error,
        saved=request.args.get("saved"),
        codes=codes,
        push_job=job,
        connected=bool(store and store.admin_credentials),
    )
    return (page, 400) if error else page


@console.get("/console/campaigns/<slug>")
@role_required("read")
def campaign_page(member: Staff, slug: str) -> Any:
    return _campaign_page(member, slug)


@console.post("/console/campaigns/<slug>")
@role_required("marketing")
def campaign_update(member: Staff, slug: str) -> Any:
    try:
        with transaction(get_state().engine) as session:
            changed = campaigns.update_campaign(
                session,
                campaigns.get_campaign(session, slug),
                name=_text("name"),
                commission=_text("commission"),
                hold_days=_hold_days(),
                customer_discount=_text("customer_discount"),
            )
            _record(session, member, "campaign.update", changed)
    except CodecutError as error:
        return _campaign_page(member, slug, error.message)
    return redirect(url_for(".campaign_page", slug=slug, saved=1), 303)


@console.post("/console/campaigns/<slug>/push")
@role_required("marketing")
def campaign_push(member: Staff, slug: str) -> Any:
    """Push the campaign's missing codes to its store (as ``codecut code push``), in the
    background; the campaign page follows the codes' standing as the store answers."""
    state = get_state()
    with transaction(state.engine, readonly=True) as session:
        campaign = campaigns.get_campaign(session, slug)
        store = session.get(Store, campaign.store_id)
        running = background.latest(
            session, action="campaign.push", subject_type="campaign", subject_id=campaign.id
        )["running"]
    if store is None or not store.admin_credentials:
        return _campaign_page(
            member,
            slug,
            "Connect the store first (codecut store connect): Codecut has no Admin API "
            "credentials for it.",
        )
    if running:
        return _campaign_page(member, slug, "A push of this campaign is already running.")
    api_for = api_factory(state.settings, get_state().store_keys())

    def work() -> dict[str, Any]:
        report = push.push_codes(state.engine, slug, api_for)
        return {
            "pushed": len(report.pushed),
            "failed": len(report.failed),
            "taken_out": len(report.deactivated),
            "already": report.already,
        }

    background.start(
        work,
        actor=actor(member),
        action="campaign.push",
        subject_type="campaign",
        subject_id=campaign.id,
    )
    return redirect(url_for(".campaign_page", slug=slug), 303)
