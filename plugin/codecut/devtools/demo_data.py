"""Demo data: a store, a campaign and influencers with codes, created once and reused.

Everything the demo adds goes through the same functions (and, for orders, the same signed
webhook endpoint) a real deployment uses, so what the demo shows is what the product does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from ..errors import NotFound
from ..models import Code
from ..programme.campaigns import add_campaign
from ..programme.codes import issue_code
from ..programme.influencers import add_influencer, get_influencer
from ..programme.stores import add_store, get_store

DEMO_STORE = "demo-shop.myshopify.com"
DEMO_SECRET = "demo-webhook-secret"
DEMO_CAMPAIGN = "spring-launch"

#: (email, name, handle, followers, stripe account, vanity code or None for a generated one)
DEMO_INFLUENCERS = [
    ("anna@example.com", "Anna Berg", "annaberg", 48_200, "acct_1DemoAnna000001", "ANNA15"),
    ("ben@example.com", "Ben Okafor", "benokafor", 12_900, None, "BEN10"),
    ("chloe@example.com", "Chloé Martin", "chloemartin", 230_000, "acct_1DemoChloe00001", None),
]


@dataclass(frozen=True)
class DemoProgramme:
    store: str
    secret: str
    campaign: str
    codes: dict[str, str]  # email -> code


def seed(session: Session) -> DemoProgramme:
    """Create the demo programme if it is not there yet; return what it consists of."""
    try:
        get_store(session, DEMO_STORE)
    except NotFound:
        add_store(
            session,
            platform="shopify",
            domain=DEMO_STORE,
            secret=DEMO_SECRET,
            currency="USD",
            url="https://demo-shop.example.com",
        )
        add_campaign(
            session,
            store_domain=DEMO_STORE,
            name="Spring launch",
            slug=DEMO_CAMPAIGN,
            commission="10%",
            hold_days=30,
        )
        for email, name, handle, followers, account, vanity in DEMO_INFLUENCERS:
            add_influencer(
                session,
                email=email,
                name=name,
                handle=handle,
                platform="instagram",
                followers=followers,
                stripe_account=account,
            )
            issue_code(session, influencer_email=email, campaign_slug=DEMO_CAMPAIGN, code=vanity)
    codes: dict[str, str] = {}
    for email, *_ in DEMO_INFLUENCERS:
        influencer = get_influencer(session, email)
        codes[email] = (
            session.scalars(
                select(col(Code.code))
                .where(col(Code.influencer_id) == influencer.id)
                .order_by(col(Code.id))
            ).first()
            or ""
        )
    return DemoProgramme(DEMO_STORE, DEMO_SECRET, DEMO_CAMPAIGN, codes)
