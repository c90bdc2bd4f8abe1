"""Payout set-up in the portal: influencers connect their own Stripe Express account.

Two ways in, one flow: signed in (``/portal/payouts``), or by the link an operator sent
(``/portal/payouts/start/<token>``, :mod:`codecut.access.payout_links`). The form asks for the
country, the account is made once (:mod:`codecut.payouts.onboarding`), and the browser goes to
Stripe's hosted onboarding. Stripe's links are single-use and short-lived, so the ``refresh``
route mints a new one and goes straight back (never an error page); ``return`` asks Stripe how
far the account got, since coming back proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..access import payout_links
from ..access.login_links import signing_key
from ..db import transaction
from ..errors import InvalidInput
from ..models import Influencer, id_of
from ..payouts import onboarding
from ..state import get_state
from .pages import CONTENT_SECURITY_POLICY, message_page
from .portal import login_required, portal
from .urls import base_url


def _stripe_ready() -> bool:
    return bool(get_state().settings.stripe_api_key)


def _not_configured() -> tuple[str, int]:
    return message_page(404, "Payouts are arranged by the brand", "Ask them how you will be paid.")


def _to_stripe(influencer: Influencer, refresh: str, back: str) -> WerkzeugResponse:
    """A fresh onboarding link for the influencer's account, and the browser sent to it."""
    state = get_state()
    assert influencer.stripe_account_id
    url = onboarding.onboarding_link(
        state.stripe_client(),
        influencer.stripe_account_id,
        refresh_url=base_url(state.settings) + refresh,
        return_url=base_url(state.settings) + back,
    )
    return redirect(url, code=303)


def _page(influencer: Influencer, action: str, *, error: str | None = None) -> Response:
    """The set-up page; its form may go on to Stripe, so the CSP allows that one origin."""
    html = render_template(
        "portal/payouts.html",
        influencer=influencer if action == url_for(".payouts") else None,
        subject=influencer,
        words=onboarding.in_words(influencer),
        needs=onboarding.needs_onboarding(influencer),
        countries=onboarding.countries(),
        action=action,
        error=error,
    )
    response = make_response(html, 400 if error else 200)
    origin = get_state().settings.stripe_connect_origin
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {origin}"
    )
    return response


def _setup(influencer_id: int, action: str, refresh: str, back: str) -> Response | Any:
    """GET shows where set-up stands; POST makes the account (once) and goes to Stripe.

    Stripe is called outside any transaction: on SQLite a transaction holds the write lock,
    which webhooks must never wait on while Stripe answers."""
    if not _stripe_ready():
        return _not_configured()
    state = get_state()
    with transaction(state.engine, readonly=True) as db:
        influencer = db.get(Influencer, influencer_id)
    assert influencer is not None
    if request.method == "GET" or not onboarding.needs_onboarding(influencer):
        return _page(influencer, action)
    if not influencer.stripe_account_id:
        try:
            account = onboarding.open_account(
                state.stripe_client(),
                influencer,
                country=request.form.get("country", ""),
                platform_country=state.settings.stripe_platform_country,
            )
        except InvalidInput as error:
            return _page(influencer, action, error=error.message)
        with transaction(state.engine) as db:
            influencer = onboarding.attach_account(db, influencer_id, account)
    return _to_stripe(influencer, refresh, back)


def _returned(influencer: Influencer) -> Influencer:
    state = get_state()
    if not influencer.stripe_account_id:
        return influencer
    account = onboarding.fetch_account(state.stripe_client(), influencer.stripe_account_id)
    with transaction(state.engine) as db:
        return onboarding.store_state(db, id_of(influencer), account)


def _prefix() -> str:
    return get_state().settings.url_prefix


# -- signed in -----------------------------------------------------------------------------------


@portal.route("/portal/payouts", methods=["GET", "POST"])
@login_required
def payouts(influencer: Influencer) -> Any:
    return _setup(
        id_of(influencer),
        url_for(".payouts"),
        "/portal/payouts/refresh",
        "/portal/payouts/return",
    )


@portal.get("/portal/payouts/refresh")
@login_required
def payouts_refresh(influencer: Influencer) -> Any:
    if not _stripe_ready():
        return _not_configured()
    if not influencer.stripe_account_id:
        return redirect(url_for(".payouts"))
    return _to_stripe(influencer, "/portal/payouts/refresh", "/portal/payouts/return")


@portal.get("/portal/payouts/return")
@login_required
def payouts_return(influencer: Influencer) -> Any:
    if not _stripe_ready():
        return _not_configured()
    _returned(influencer)
    return redirect(url_for(".payouts"))


# -- by an operator's link -----------------------------------------------------------------------


def _by_link(view: Callable[[Influencer, str], Any]) -> Callable[[str], Any]:
    def wrapper(token: str) -> Any:
        with transaction(get_state().engine, readonly=True) as db:
            try:
                influencer = payout_links.check(
                    db, token, signing_key(get_state().settings, _app_secret())
                )
            except payout_links.PayoutLinkError as error:
                return message_page(400, "This link does not work", error.message)
        return view(influencer, token)

    wrapper.__name__ = view.__name__
    return wrapper


def _app_secret() -> str | bytes | None:
    from flask import current_app

    return current_app.secret_key


@portal.route("/portal/payouts/start/<token>", methods=["GET", "POST"])
@_by_link
def payouts_by_link(influencer: Influencer, token: str) -> Any:
    start = f"/portal/payouts/start/{token}"
    return _setup(id_of(influencer), _prefix() + start, start + "/refresh", start + "/return")


@portal.get("/portal/payouts/start/<token>/refresh")
@_by_link
def payouts_by_link_refresh(influencer: Influencer, token: str) -> Any:
    if not _stripe_ready():
        return _not_configured()
    start = f"/portal/payouts/start/{token}"
    if not influencer.stripe_account_id:
        return redirect(_prefix() + start)
    return _to_stripe(influencer, start + "/refresh", start + "/return")


@portal.get("/portal/payouts/start/<token>/return")
@_by_link
def payouts_by_link_return(influencer: Influencer, token: str) -> Any:
    if not _stripe_ready():
        return _not_configured()
    return _page(_returned(influencer), f"{_prefix()}/portal/payouts/start/{token}")
