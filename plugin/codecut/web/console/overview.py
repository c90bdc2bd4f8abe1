"""The overview: each campaign's measures over a period, its best and weakest influencers."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from sqlalchemy import select
from sqlmodel import col

from ...dates import check_period, parse_day
from ...db import transaction
from ...models import Campaign, Staff
from ...reads import kpis
from ...state import get_state
from .auth import console, role_required

#: The measures the overview's cards show, in order (all of them are in the report's JSON).
CARDS = ("clicks", "orders", "conversion_rate", "revenue", "spend", "roas", "refund_rate")


@console.get("/console/")
@role_required("read")
def overview(member: Staff) -> Any:
    first = parse_day(request.args["from"], "from") if request.args.get("from") else None
    last = parse_day(request.args["to"], "to") if request.args.get("to") else None
    check_period(first, last)
    with transaction(get_state().engine, readonly=True, snapshot=True) as session:
        slugs = list(session.scalars(select(col(Campaign.slug)).order_by(col(Campaign.id))))
        reports = [kpis.campaign_report(session, slug, first=first, last=last) for slug in slugs]
    campaigns = []
    for report in reports:
        ranked = sorted(
            report.influencers, key=lambda row: float(row.get("revenue") or 0), reverse=True
        )
        campaigns.append(
            {"totals": report.campaign, "top": ranked[:5], "bottom": ranked[-3:][::-1]}
        )
    return render_template(
        "console/overview.html",
        member=member,
        campaigns=campaigns,
        cards=CARDS,
        first=first,
        last=last,
    )
