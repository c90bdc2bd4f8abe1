"""Stripe Connect onboarding: influencers connect their own Express account.

An account is created once per influencer (``accounts.create`` under an idempotency key derived
from the influencer, so a double click or a retry never makes two), and they fill in Stripe's
hosted form through a single-use ``account_onboarding`` link. What Stripe says of the account --
on the return page and in ``account.updated`` events -- is recorded on the influencer, and
:func:`codecut.payouts.methods.waits_for_onboarding` is the one rule a payout run reads from it.

Cross-border payouts need the ``recipient`` service agreement, and only accounts under it may
be paid from a platform in another country, so it is asked for exactly when the influencer's
country differs from the platform's (``CODECUT_STRIPE_PLATFORM_COUNTRY``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from babel import Locale
from sqlmodel import Session

from ..dates import as_utc
from ..errors import InvalidInput, ServiceUnavailable
from ..models import Influencer, id_of, utcnow
from .methods import can_receive_transfers

#: Stripe's requirement paths, in words an influencer understands (the first match wins).
_WORDS = (
    ("verification.document", "Stripe needs your ID document"),
    ("verification.additional_document", "Stripe needs a second document (proof of address)"),
    ("external_account", "Stripe needs the bank account to pay you into"),
    ("tos_acceptance", "Stripe needs you to accept its terms"),
    ("id_number", "Stripe needs your tax or national ID number"),
    ("ssn_last_4", "Stripe needs the last four digits of your Social Security number"),
    ("dob", "Stripe needs your date of birth"),
    ("address", "Stripe needs your address"),
    ("phone", "Stripe needs your phone number"),
    ("business_profile", "Stripe needs a few words about what you do"),
)


def countries() -> list[tuple[str, str]]:
    """(code, English name) for every ISO 3166-1 alpha-2 country, by name (for the form)."""
    territories = Locale("en").territories
    return sorted(
        ((code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()),
        key=lambda item: item[1],
    )


def check_country(country: str) -> str:
    code = (country or "").strip().upper()
    if len(code) != 2 or code not in Locale("en").territories:
        raise InvalidInput(
            f"country must be a two-letter ISO code such as US or DE, not {country!r}"
        )
    return code


@dataclass(frozen=True)
class AccountState:
    """What Stripe says of a connected account, reduced to what Codecut acts on."""

    transfers: str | None
    details_submitted: bool
    payouts_enabled: bool
    currently_due: list[str]
    past_due: list[str]
    disabled_reason: str | None

    @classmethod
    def of(cls, account: dict[str, Any]) -> AccountState:
        capabilities = account.get("capabilities") or {}
        requirements = account.get("requirements") or {}
        transfers = capabilities.get("transfers") if isinstance(capabilities, dict) else None
        return cls(
            transfers=str(transfers)[:20] if isinstance(transfers, str) else None,
            details_submitted=account.get("details_submitted") is True,
            payouts_enabled=account.get("payouts_enabled") is True,
            currently_due=_strings(requirements.get("currently_due")),
            past_due=_strings(requirements.get("past_due")),
            disabled_reason=(
                str(requirements["disabled_reason"])[:100]
                if isinstance(requirements.get("disabled_reason"), str)
                else None
            ),
        )


def _strings(value: object) -> list[str]:
    return [str(item)[:200] for item in value[:50]] if isinstance(value, list) else []


def record_state(
    influencer: Influencer, account: dict[str, Any], *, at: datetime | None = None
) -> bool:
    """Store what Stripe said, unless something newer was stored already; True if stored.

    Stripe does not promise to deliver ``account.updated`` events in order, so an event older
    than the state on file is ignored.
    """
    # Whole seconds, as Stripe's event times are: an event of the same second still applies.
    at = (at or utcnow()).replace(microsecond=0)
    synced = as_utc(influencer.stripe_synced_at) if influencer.stripe_synced_at else None
    if synced is not None and at < synced:
        return False
    state = AccountState.of(account)
    influencer.stripe_transfers = state.transfers
    influencer.stripe_details_submitted = state.details_submitted
    influencer.stripe_payouts_enabled = state.payouts_enabled
    influencer.stripe_requirements = json.dumps(
        {
            "currently_due": state.currently_due,
            "past_due": state.past_due,
            "disabled_reason": state.disabled_reason,
        }
    )
    influencer.stripe_synced_at = at
    return True


def in_words(influencer: Influencer) -> str:
    """The portal's sentence for where the influencer's Stripe set-up stands."""
    if not influencer.stripe_account_id:
        return "Set up payouts with Stripe to be paid straight into your bank account."
    if can_receive_transfers(influencer.stripe_account_id, influencer.stripe_transfers):
        return "Payouts are set up: Stripe pays you on each payout run."
    requirements = json.loads(influencer.stripe_requirements or "{}")
    due = [*requirements.get("past_due", []), *requirements.get("currently_due", [])]
    for fragment, words in _WORDS:
        if any(fragment in path for path in due):
            return words + "."
    if not influencer.stripe_details_submitted:
        return "Finish setting up payouts with Stripe."
    if influencer.stripe_transfers == "pending" or not influencer.stripe_payouts_enabled:
        return "Stripe is checking your details; payouts start once it is done."
    return "Stripe cannot pay you yet: open Stripe to see what it needs."


def needs_onboarding(influencer: Influencer) -> bool:
    """True until the account can receive transfers (the portal's "Set up payouts")."""
    return not can_receive_transfers(influencer.stripe_account_id, influencer.stripe_transfers)


def _options(key: str) -> dict[str, Any]:
    return {"idempotency_key": key}


def _call(what: str, function: Any, *args: Any) -> dict[str, Any]:
    try:
        result = function(*args)
    except stripe.StripeError as error:
        message = (error.user_message or str(error) or type(error).__name__).strip()
        raise ServiceUnavailable(f"Stripe could not {what}: {message}") from None
    return dict(result.to_dict())


def open_account(
    client: Any, influencer: Influencer, *, country: str, platform_country: str
) -> dict[str, Any]:
    """Create the influencer's Express account at Stripe (called outside any transaction: the
    idempotency key makes a repeat return the same account, never a second one)."""
    country = check_country(country)
    params: dict[str, Any] = {
        "country": country,
        "email": influencer.email,
        "controller": {
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "stripe_dashboard": {"type": "express"},
        },
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"codecut_influencer_id": str(id_of(influencer))},
    }
    if country != platform_country.upper():
        params["tos_acceptance"] = {"service_agreement": "recipient"}
    return _call(
        "create your account",
        client.v1.accounts.create,
        params,
        _options(f"codecut-account-{id_of(influencer)}-{country}"),
    )


def attach_account(session: Session, influencer_id: int, account: dict[str, Any]) -> Influencer:
    """Record the new account on the influencer (the first one wins a race)."""
    influencer = session.get(Influencer, influencer_id, with_for_update=True)
    if influencer is None:
        raise InvalidInput(f"no influencer with id {influencer_id}")
    if not influencer.stripe_account_id:
        influencer.stripe_account_id = str(account["id"])
        influencer.country = str(account.get("country") or "")[:2] or None
        record_state(influencer, account)
        session.add(influencer)
    return influencer


def onboarding_link(client: Any, account_id: str, *, refresh_url: str, return_url: str) -> str:
    """A fresh single-use link to Stripe's hosted onboarding (valid a few minutes)."""
    link = _call(
        "open onboarding",
        client.v1.account_links.create,
        {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        },
    )
    return str(link["url"])


def fetch_account(client: Any, account_id: str) -> dict[str, Any]:
    """The account as Stripe has it now (the return page: coming back proves nothing)."""
    return _call("read your account", client.v1.accounts.retrieve, account_id)


def store_state(session: Session, influencer_id: int, account: dict[str, Any]) -> Influencer:
    influencer = session.get(Influencer, influencer_id, with_for_update=True)
    if influencer is None:
        raise InvalidInput(f"no influencer with id {influencer_id}")
    if influencer.stripe_account_id == account.get("id"):
        record_state(influencer, account)
        session.add(influencer)
    return influencer
