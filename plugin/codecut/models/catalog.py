"""The programme: stores, campaigns, influencers and the codes that tie them together."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from .base import utcnow


class Platform(StrEnum):
    """A storefront's kind: the ``<platform>`` of ``POST /webhooks/<platform>``."""

    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    GENERIC = "generic"


class InfluencerStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # earns nothing on new orders until active again
    TERMINATED = "terminated"


class Store(SQLModel, table=True):
    """A storefront whose signed webhooks Codecut accepts."""

    __tablename__ = "codecut_store"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)  # a Platform
    domain: str = Field(max_length=255, unique=True)  # lowercased host, e.g. shop.myshopify.com
    webhook_secret: str = Field(max_length=255)
    # Accepted beside the current secret while a rotation is under way.
    previous_webhook_secret: str | None = Field(default=None, max_length=255)
    currency: str = Field(max_length=3)  # the shop's own currency; commissions are booked in it
    url: str | None = Field(default=None, max_length=500)
    # The IANA zone the brand keeps its days in (periods, holds, charts); see codecut.dates.
    timezone: str = Field(default="UTC", max_length=64)
    # The store's Admin API (codecut.storesync): where it answers (None: https://{domain}) and
    # the credentials, encrypted with CODECUT_CREDENTIALS_KEY (never shown, never logged).
    api_base: str | None = Field(default=None, max_length=500)
    admin_credentials: str | None = Field(default=None, sa_type=Text)
    # Reconcile's high-water mark: orders changed before it have been pulled and processed.
    orders_synced_through: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class Campaign(SQLModel, table=True):
    """A commission rule for one store; codes are issued under a campaign."""

    __tablename__ = "codecut_campaign"
    __table_args__ = (
        CheckConstraint(
            "(commission_rate_bps IS NULL) <> (commission_flat IS NULL)", name="one_commission_rule"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="codecut_store.id", index=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=100, unique=True)
    # Exactly one of these: a percentage in basis points (10% = 1000) or a flat amount per order
    # in minor units of the store's currency.
    commission_rate_bps: int | None = Field(default=None)
    commission_flat: int | None = Field(default=None, sa_type=BigInteger)
    hold_days: int | None = Field(default=None)  # None: CODECUT_HOLD_DAYS
    starts_on: date | None = Field(default=None)
    ends_on: date | None = Field(default=None)
    # What orders still using a leaked code earn: none | full | rate:5% (None: none).
    leaked_policy: str | None = Field(default=None, max_length=20)
    # The leak rules' thresholds where this campaign differs from the defaults (JSON).
    leak_thresholds: str | None = Field(default=None, max_length=500)
    # What the buyer gets with a code, pushed to the store: "15%" or "15.00 USD" (None: not set).
    customer_discount: str | None = Field(default=None, max_length=40)
    once_per_customer: bool = Field(default=False)
    # Which other discounts a code combines with: a comma list of product, order, shipping.
    combines_with: str | None = Field(default=None, max_length=40)
    # Shopify: the one discount (gid://shopify/DiscountCodeNode/...) holding the campaign's codes.
    shop_discount_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class Influencer(SQLModel, table=True):
    """Someone who earns commission on orders that use their codes."""

    __tablename__ = "codecut_influencer"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lowercased
    name: str = Field(max_length=200)
    handle: str | None = Field(default=None, max_length=100)
    platform: str | None = Field(default=None, max_length=50)  # instagram, tiktok, youtube, ...
    followers: int | None = Field(default=None, sa_type=BigInteger)
    # A percentage (basis points) that overrides every campaign's rule for this influencer.
    commission_rate_bps: int | None = Field(default=None)
    stripe_account_id: str | None = Field(default=None, max_length=255)
    # ISO 3166-1 alpha-2, asked when they set up payouts (their Stripe account's country).
    country: str | None = Field(default=None, max_length=2)
    # What Stripe last said of the connected account (codecut.payouts.onboarding): the
    # ``transfers`` capability (active | inactive | pending; None: never reported, as for an
    # account an operator typed in), and the requirements still due, as JSON.
    stripe_transfers: str | None = Field(default=None, max_length=20)
    stripe_details_submitted: bool = Field(default=False)
    stripe_payouts_enabled: bool = Field(default=False)
    stripe_requirements: str | None = Field(default=None, sa_type=Text)
    stripe_synced_at: datetime | None = Field(default=None)
    status: str = Field(default=InfluencerStatus.ACTIVE, max_length=20)
    # Magic links are bound to this value; changing it invalidates every link issued before.
    login_nonce: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Click(SQLModel, table=True):
    """A counted share-link click: appended, never updated (see :mod:`codecut.clicks`)."""

    __tablename__ = "codecut_click"
    __table_args__ = (Index(None, "code_id", "clicked_at"),)

    id: int | None = Field(
        default=None,
        # 64-bit on PostgreSQL; SQLite's rowid is 64-bit already and must be spelt INTEGER.
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    code_id: int = Field(foreign_key="codecut_code.id")
    clicked_at: datetime
    day: date  # UTC: unique visitors are distinct (day, visitor) pairs
    visitor: str = Field(max_length=32)  # a keyed hash that changes daily; no address kept


class Code(SQLModel, table=True):
    """A discount code, unique per store in its normalized (trimmed, uppercase) form."""

    __tablename__ = "codecut_code"
    # By code alone too: a share link names the code, not the store.
    __table_args__ = (UniqueConstraint("store_id", "code"), Index(None, "code"))

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(64), nullable=False))
    store_id: int = Field(foreign_key="codecut_store.id")
    campaign_id: int = Field(foreign_key="codecut_campaign.id", index=True)
    influencer_id: int = Field(foreign_key="codecut_influencer.id", index=True)
    active: bool = Field(default=True)
    # Set by ``codecut code rotate``: the code leaked and was replaced (it is inactive too).
    leaked_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class CodePushState(StrEnum):
    SUBMITTED = "submitted"  # sent in a Shopify bulk job not read back yet
    PUSHED = "pushed"  # the store holds it
    FAILED = "failed"  # the store refused it; ``reason`` says why
    DEACTIVATED = "deactivated"  # removed from (or disabled in) the store after it was pushed


class CodePush(SQLModel, table=True):
    """Where one code stands in its store (``codecut code push``): resumable, one row a code."""

    __tablename__ = "codecut_code_push"

    code_id: int = Field(foreign_key="codecut_code.id", primary_key=True)
    state: str = Field(max_length=20)  # a CodePushState
    # A Shopify bulk creation job (gid) for a submitted code: a killed run polls it again.
    job_id: str | None = Field(default=None, max_length=255)
    # The store's id of the code: a Shopify DiscountRedeemCode gid, a WooCommerce coupon id.
    external_id: str | None = Field(default=None, max_length=255)
    reason: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow)
