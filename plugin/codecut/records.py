"""Records as plain dicts keyed like the export columns: one shape for CLI JSON and the API."""

from __future__ import annotations

from typing import Any

from .models import Campaign, Code, Influencer, Store
from .money import format_minor, format_rate


def store_record(store: Store) -> dict[str, Any]:
    return {
        "id": store.id,
        "platform": store.platform,
        "domain": store.domain,
        "currency": store.currency,
        "url": store.url,
        "secret_rotating": store.previous_webhook_secret is not None,
        "created_at": store.created_at,
    }


def commission_text(rate_bps: int | None, flat: int | None, currency: str) -> str | None:
    if rate_bps is not None:
        return format_rate(rate_bps)
    if flat is not None:
        return format_minor(flat, currency)
    return None


def campaign_record(campaign: Campaign, store: Store) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "campaign": campaign.slug,
        "name": campaign.name,
        "store": store.domain,
        "currency": store.currency,
        "commission": commission_text(
            campaign.commission_rate_bps, campaign.commission_flat, store.currency
        ),
        "hold_days": campaign.hold_days,
        "created_at": campaign.created_at,
    }


def influencer_record(influencer: Influencer, codes: list[str] | None = None) -> dict[str, Any]:
    record = {
        "id": influencer.id,
        "email": influencer.email,
        "name": influencer.name,
        "handle": influencer.handle,
        "platform": influencer.platform,
        "followers": influencer.followers,
        "commission": (
            format_rate(influencer.commission_rate_bps)
            if influencer.commission_rate_bps is not None
            else None
        ),
        "payout_method": influencer.payout_method,
        "stripe_account": influencer.stripe_account_id,
        "status": influencer.status,
        "created_at": influencer.created_at,
    }
    if codes is not None:
        record["codes"] = codes
    return record


def code_record(
    code: Code, influencer: Influencer, campaign: Campaign, store: Store
) -> dict[str, Any]:
    return {
        "code": code.code,
        "influencer_email": influencer.email,
        "influencer_name": influencer.name,
        "campaign": campaign.slug,
        "store": store.domain,
        "active": code.active,
        "created_at": code.created_at,
    }
