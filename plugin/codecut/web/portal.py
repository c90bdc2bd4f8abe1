"""The influencer portal at ``/portal``: magic-link sign-in and the earnings pages.

Thin views over :mod:`codecut.access.login_links`, :mod:`codecut.access.ratelimit` and
:mod:`codecut.reads.portal`. Who is signed in comes only from the signed session cookie; no
route takes an influencer id, so nothing in a URL, query or form can point at someone else's data.

Sessions are Flask's signed cookie (the app's ``SECRET_KEY``), HttpOnly, SameSite=Lax, and Secure
whenever the request came over HTTPS. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from sqlmodel import Session

from ..access import login_links, mail, ratelimit, sessions
from ..db import transaction
from ..models import Influencer, id_of, utcnow
from ..payouts import onboarding
from ..reads import portal as portal_queries
from ..reads.balances import UNPAID_PAYOUTS
from ..reads.exports import LedgerFilter, Tally, ledger_export
from ..state import get_state
from . import charts
from .pages import (
    day,
    message_page,
    money,
    money_short,
    month,
    over_limit,
    register_page_errors,
)
from .statuses import status_of
from .urls import login_url, share_url

portal = Blueprint(
    "codecut_portal",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/portal/static",
)
register_page_errors(portal)

#: The session cookie's keys: the server-side session's token, and the CSRF token.
_TOKEN, _CSRF = "codecut_portal_session", "codecut_csrf"
DASHBOARD_ORDERS = 10


# -- cookies -------------------------------------------------------------------------------------


class PortalSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, Secure on HTTPS requests and SameSite=Lax unless configured."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"] or "Lax"

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No cookie, nothing to verify: skip building the signer (every share-link click
        # and webhook comes without one).
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ or self.get_cookie_name(app) not in request.cookies
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # Never read, never written, empty: Flask's own save would work out the cookie's
        # settings only to do nothing (every share-link click and webhook).
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)


@portal.record_once
def _install_session_interface(state: Any) -> None:
    # Only Flask's own cookie session is swapped; a host app's custom one is left as it is.
    if type(state.app.session_interface) is SecureCookieSessionInterface:
        state.app.session_interface = PortalSessionInterface()


# -- CSRF ----------------------------------------------------------------------------------------


def csrf_token() -> str:
    token = session.get(_CSRF)
    if not token:
        token = session[_CSRF] = secrets.token_urlsafe(32)
    return token


@portal.app_template_global("codecut_stripe_payouts")
def _stripe_payouts_global() -> bool:
    """Whether influencers set up their own Stripe payouts here (the nav shows "Payouts")."""
    return bool(get_state().settings.stripe_api_key)


@portal.app_template_global("codecut_csrf_token")
def _csrf_token_global() -> str:
    return csrf_token()


@portal.before_request
def _check_csrf() -> tuple[str, int] | None:
    if request.method != "POST":
        return None
    sent = request.form.get("csrf_token", "")
    expected = session.get(_CSRF, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return message_page(
            400,
            "This form has expired",
            "Please go back, reload the page and try again. (Cookies must be allowed for "
            "this site.)",
        )
    return None


# -- who is signed in ----------------------------------------------------------------------------


def _secret_key() -> str | bytes:
    return login_links.signing_key(get_state().settings, current_app.secret_key)


def signed_in(session_db: Session) -> Influencer | None:
    influencer = login_links.session_influencer(session_db, session.get(_TOKEN))
    if influencer is None and session.get(_TOKEN) is not None:
        session.pop(_TOKEN, None)
    return influencer


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Call ``view(influencer, ...)`` for a valid session, or send a stranger to sign in.

    Views read in their own short transaction and render after it: on SQLite every transaction
    holds the write lock, which webhooks must not wait on while a page is being rendered.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if session.get(_TOKEN) is None:
            return redirect(url_for(".login"))
        with transaction(get_state().engine, readonly=True) as db:
            influencer = signed_in(db)
        if influencer is None:
            return redirect(url_for(".login", expired=1))
        return view(influencer, *args, **kwargs)

    return wrapper


def _client_address() -> str | None:
    return request.remote_addr


# -- sign in -------------------------------------------------------------------------------------


@portal.get("/portal/login")
def login() -> Any:
    if session.get(_TOKEN) is not None:
        with transaction(get_state().engine, readonly=True) as db:
            if signed_in(db) is not None:
                return redirect(url_for(".dashboard"))
    note = "Your session has ended. Please sign in again." if request.args.get("expired") else None
    if request.args.get("out"):
        note = "You are signed out."
    return render_template("portal/login.html", note=note, email="")


@portal.post("/portal/login")
def request_link() -> Any:
    email = request.form.get("email", "").strip()
    if "@" not in email or len(email) > 254:
        return render_template(
            "portal/login.html", error="Please enter your email address.", email=email
        ), 400
    refused = over_limit(ratelimit.email_limit(email), ratelimit.address_limit(_client_address()))
    if refused is not None:
        return refused
    state = get_state()
    with transaction(state.engine) as db:
        influencer = login_links.active_influencer(db, email)
        if influencer is not None:
            token = login_links.issue_token(db, influencer, _secret_key())
            message = {
                "to": influencer.email,
                "name": influencer.name,
                "link": login_url(state.settings, token),
            }
    if influencer is not None:
        try:
            mail.send_login_link(state.settings, **message)
        except mail.MailError:
            # Same answer as for an unknown address; the operator sees why in the log.
            mail.log.exception("sign-in mail to %s failed", message["to"])
    return render_template("portal/login_sent.html", email=email)


def _link_refused(error: login_links.LinkError) -> Any:
    titles = {
        "expired_link": "This sign-in link has expired",
        "used_link": "This sign-in link has been used",
    }
    status, code = status_of(error)
    return message_page(
        status,
        titles.get(code, "This sign-in link does not work"),
        "Links work once, for a short time. Ask for a new one below.",
        show_login=True,
    )


@portal.get("/portal/login/<token>")
def confirm(token: str) -> Any:
    """Shows a button, never signs in: mail scanners that open links cannot use them up."""
    state = get_state()
    try:
        with transaction(state.engine, readonly=True) as db:
            influencer = login_links.check_token(
                db, token, _secret_key(), state.settings.login_token_max_age
            )
            name = influencer.name
    except login_links.LinkError as error:
        return _link_refused(error)
    return render_template("portal/confirm.html", name=name, token=token)


@portal.post("/portal/login/<token>")
def sign_in(token: str) -> Any:
    refused = over_limit(ratelimit.address_limit(_client_address()))
    if refused is not None:
        return refused
    state = get_state()
    try:
        with transaction(state.engine) as db:
            started = login_links.redeem_token(
                db, token, _secret_key(), state.settings.login_token_max_age
            )
    except login_links.LinkError as error:
        return _link_refused(error)
    session.clear()  # a fresh session: nothing from before sign-in carries over
    session.permanent = True
    session[_TOKEN] = started
    csrf_token()
    return redirect(url_for(".dashboard"), 303)


@portal.post("/portal/logout")
def logout() -> Any:
    """Ends this session on the server too: a copy of the cookie no longer signs anyone in."""
    token = session.get(_TOKEN)
    if token is not None:
        with transaction(get_state().engine) as db:
            sessions.end(db, token)
    session.clear()
    return redirect(url_for(".login", out=1), 303)


@portal.post("/portal/logout-everywhere")
@login_required
def logout_everywhere(influencer: Influencer) -> Any:
    with transaction(get_state().engine) as db:
        login_links.log_out_everywhere(db, id_of(influencer))
    session.clear()
    return redirect(url_for(".login", out=1), 303)


# -- the earnings pages --------------------------------------------------------------------------


@portal.get("/portal/")
@login_required
def dashboard(influencer: Influencer) -> Any:
    state = get_state()
    influencer_id = id_of(influencer)
    today = utcnow().date()
    with transaction(state.engine, readonly=True) as db:  # one read, then render outside it
        headlines = portal_queries.headline(
            db, influencer_id, minimum=state.settings.payout_minimum
        )
        weekly = portal_queries.weekly_earnings(db, influencer_id, today=today)
        orders = portal_queries.orders_page(
            db, influencer_id, per_page=DASHBOARD_ORDERS, count=False
        )
        payouts = portal_queries.payout_history(db, influencer_id)
        code_lines = portal_queries.influencer_codes(db, influencer_id)
        clawbacks = portal_queries.clawbacks(
            db, influencer_id, portal_queries.below_zero(headlines)
        )
    codes = [
        (
            line,
            share_url(
                state.settings,
                line.code,
                line.store_domain if line.shared_with_other_stores else None,
            ),
        )
        for line in code_lines
    ]
    charts_by_currency = [
        (
            currency,
            charts.weekly_chart(
                weeks,
                currency,
                money=money,
                tick=money_short,
                day=day,
                month=month,
                chart_id=f"chart-{currency}",
            ),
            weeks,
        )
        for currency, weeks in weekly.items()
    ]
    return render_template(
        "portal/dashboard.html",
        influencer=influencer,
        headlines=headlines,
        on_the_way=[p for p in payouts if p.status in UNPAID_PAYOUTS],
        clawbacks=clawbacks,
        charts=charts_by_currency,
        orders=orders,
        payouts=payouts,
        codes=codes,
        today=today,
        payout_setup=(
            onboarding.in_words(influencer)
            if state.settings.stripe_api_key and onboarding.needs_onboarding(influencer)
            else None
        ),
    )


@portal.get("/portal/orders")
@login_required
def orders(influencer: Influencer) -> Any:
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and len(page) < 9 else 1
    with transaction(get_state().engine, readonly=True) as db:
        result = portal_queries.orders_page(db, id_of(influencer), page=number)
    return render_template("portal/orders.html", influencer=influencer, orders=result)


@portal.get("/portal/ledger.csv")
@login_required
def ledger_csv(influencer: Influencer) -> Any:
    """The influencer's own ledger, with the same columns as finance's export."""
    export = ledger_export(LedgerFilter(influencer_id=id_of(influencer)))
    engine = get_state().engine

    def generate() -> Iterator[bytes]:
        # A read-only transaction: on SQLite it never takes the write lock, so a slow download
        # does not hold up webhooks.
        with transaction(engine, readonly=True) as db:
            yield from export.csv(db, Tally())

    filename = f"earnings-{utcnow().date().isoformat()}.csv"
    return Response(
        generate(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
