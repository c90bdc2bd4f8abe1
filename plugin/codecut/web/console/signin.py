"""Signing in to the console: a one-time link mailed to a staff address, a button to use it."""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template, request, url_for

from ...access import login_links, mail, ratelimit, sessions, staff
from ...db import transaction
from ...state import get_state
from ..pages import message_page, over_limit
from ..statuses import status_of
from ..urls import console_login_url
from .auth import (
    COOKIE,
    clear_session_cookie,
    console,
    current_staff,
    secret_key,
    set_session_cookie,
)


@console.get("/console/login")
def login() -> Any:
    if current_staff() is not None:
        return redirect(url_for(".overview"))
    note = "You are signed out." if request.args.get("out") else None
    return render_template("console/login.html", note=note, email="")


@console.post("/console/login")
def request_link() -> Any:
    email = request.form.get("email", "").strip()
    if "@" not in email or len(email) > 254:
        return render_template(
            "console/login.html", error="Please enter your email address.", email=email
        ), 400
    refused = over_limit(ratelimit.email_limit(email), ratelimit.address_limit(request.remote_addr))
    if refused is not None:
        return refused
    state = get_state()
    link = None
    with transaction(state.engine) as db:
        member = staff.get_staff_or_none(db, email)
        if member is not None:
            link = console_login_url(state.settings, staff.issue_token(db, member, secret_key()))
            address = member.email
    if link is not None:
        try:
            mail.send_console_link(state.settings, to=address, link=link)
        except mail.MailError:
            mail.log.exception("console sign-in mail to %s failed", address)
    # The same answer whether or not the address is staff: nobody learns who is.
    return render_template("console/login_sent.html", email=email)


def _refused(error: login_links.LinkError) -> Any:
    status, _code = status_of(error)
    return message_page(
        status,
        "This sign-in link does not work",
        f"{error.message.capitalize()}. Links work once, for a short time: ask for a new one.",
    )


@console.get("/console/login/<token>")
def confirm(token: str) -> Any:
    """A button, never a sign-in: mail scanners that open links cannot use them up."""
    state = get_state()
    try:
        with transaction(state.engine, readonly=True) as db:
            member = staff.check_token(db, token, secret_key(), state.settings.login_token_max_age)
            email = member.email
    except login_links.LinkError as error:
        return _refused(error)
    return render_template("console/confirm.html", email=email, token=token)


@console.post("/console/login/<token>")
def sign_in(token: str) -> Any:
    refused = over_limit(ratelimit.address_limit(request.remote_addr))
    if refused is not None:
        return refused
    state = get_state()
    try:
        with transaction(state.engine) as db:
            started = staff.redeem_token(
                db, token, secret_key(), state.settings.login_token_max_age
            )
    except login_links.LinkError as error:
        return _refused(error)
    response = make_response(redirect(url_for(".overview"), 303))
    set_session_cookie(response, started)
    return response


@console.post("/console/logout")
def logout() -> Any:
    token = request.cookies.get(COOKIE)
    if token:
        with transaction(get_state().engine) as db:
            sessions.end(db, token)
    response = make_response(redirect(url_for(".login", out=1), 303))
    clear_session_cookie(response)
    return response
