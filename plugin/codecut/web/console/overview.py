"""The overview: each campaign's measures over a period, its weeks by order date (a chart and
the same figures as a table), its best and weakest influencers, and the leakiest codes."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import col

from ...commissions.leaks.score import code_scores
from ...dates import check_period, parse_day
from ...models import Campaign, Staff
from ...reads import kpis
from ...state import get_state
from .. import charts
from ..pages import day, money, money_short, month
from .auth import console, role_required

#: The measures the overview's cards show, in order (all of them are in the report's JSON).
CARDS = (
    "clicks",
    "orders",
    "conversion_rate",
    "revenue",
    "spend",
    "roas",
    "roi",
    "refund_rate",
    "engagement_rate",
)
#: Ratios shown as percentages on the cards (the report's JSON keeps fractions).
PERCENT = {"conversion_rate", "roi", "refund_rate", "engagement_rate"}
#: A code's leak score (percent of its last 30 days' commissions flagged) worth a look.
LEAKY = 20


@console.app_template_filter("measure")
def measure(value: Any, name: str) -> str:
    """A card's figure for people: 25.0% for a rate, 2.5x for ROAS, a dash for none."""
    if value is None:
        return "\u2014"
    if name in PERCENT:
        return f"{float(value) * 100:.1f}%"
    if name == "roas":
        return f"{float(value):.2f}x"
    return str(value)


def _count(value: int, _unit: str) -> str:
    return f"{value:,}"


def _charts(overview: kpis.Overview, slug: str) -> list[tuple[str, Markup]]:
    from ...reads.portal import Week

    currency = overview.campaign["currency"]
    series = [
        ("Orders per week", None, [Week(w.starts_on, w.orders) for w in overview.weeks]),
        (
            f"Revenue per week, {currency}",
            currency,
            [Week(w.starts_on, w.revenue) for w in overview.weeks],
        ),
        (
            f"Commission per week, {currency}",
            currency,
            [Week(w.starts_on, w.commission) for w in overview.weeks],
        ),
    ]
    return [
        (
            title,
            charts.weekly_chart(
                weeks,
                unit,
                money=money if unit else _count,
                tick=money_short if unit else _count,
                day=day,
                month=month,
                chart_id=f"{slug}-{n}",
                title=title,
            ),
        )
        for n, (title, unit, weeks) in enumerate(series)
    ]


@console.get("/console/")
@role_required("read")
def overview(member: Staff) -> Any:
    first = parse_day(request.args["from"], "from") if request.args.get("from") else None
    last = parse_day(request.args["to"], "to") if request.args.get("to") else None
    check_period(first, last)
    with kpis.refreshed(get_state().engine) as session:
        slugs = list(session.scalars(select(col(Campaign.slug)).order_by(col(Campaign.id))))
        views = [kpis.campaign_overview(session, s, first=first, last=last) for s in slugs]
        leaky = [s for s in code_scores(session, flagged_only=True) if s.score >= LEAKY][:10]
    campaigns = [
        {
            "totals": view.campaign,
            "top": view.top,
            "bottom": view.bottom,
            "weeks": view.weeks,
            "charts": _charts(view, view.campaign["slug"]),
        }
        for view in views
    ]
    return render_template(
        "console/overview.html",
        member=member,
        campaigns=campaigns,
        cards=CARDS,
        first=first,
        last=last,
        leaky=leaky,
        leaky_floor=LEAKY,
    )
