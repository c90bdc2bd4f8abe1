"""Who is signed in to the console, and what they may do.

* The cookie ``codecut_console`` holds a random session token (only its SHA-256 is stored, in
  ``codecut_web_session`` with ``subject='staff'``); HttpOnly, SameSite=Strict, Secure over HTTPS,
  scoped to ``/console``. The portal's cookie is never read or written here.
* Every route names the role it needs (:func:`role_required`); the server refuses the others
  with a 403 page, POSTs included.
* Every form carries a CSRF token: an HMAC of the session token under the app's secret, so it
  needs no storage and dies with the session.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, request, url_for

from ...access import login_links, staff
from ...db import transaction
from ...models import Staff
from ...state import get_state
from ..pages import message_page, register_page_errors

console = Blueprint("codecut_console", __name__, template_folder="../templates")
register_page_errors(console)

COOKIE = "codecut_console"


def _prefix() -> str:
    return get_state().settings.url_prefix


def secret_key() -> str | bytes:
    return login_links.signing_key(get_state().settings, current_app.secret_key)


def csrf_for(token: str) -> str:
    key = secret_key()
    key_bytes = key if isinstance(key, bytes) else key.encode()
    return hmac.new(key_bytes, b"console-csrf:" + token.encode(), hashlib.sha256).hexdigest()


@console.app_template_global("console_csrf")
def _csrf_global() -> str:
    token = request.cookies.get(COOKIE, "")
    return csrf_for(token) if token else ""


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        secure=request.is_secure,
        samesite="Strict",
        path=f"{_prefix()}/console",
        max_age=12 * 3600,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=f"{_prefix()}/console")


def current_staff() -> Staff | None:
    if "codecut_staff" not in g:
        token = request.cookies.get(COOKIE)
        with transaction(get_state().engine, readonly=True) as session:
            g.codecut_staff = staff.signed_in(session, token) if token else None
    member: Staff | None = g.codecut_staff
    return member


def role_required(needed: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``view(member, ...)`` for a signed-in staff member whose role allows ``needed`` (read,
    marketing, finance, admin); a POST must carry the session's CSRF token."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            member = current_staff()
            if member is None:
                return redirect(url_for(".login"))
            if not staff.allows(member.role, needed):
                return message_page(
                    403,
                    "Not for your role",
                    f"This page is for {needed}; you are signed in as {member.role}.",
                )
            if request.method == "POST" and not _csrf_ok():
                return message_page(
                    400, "This form has expired", "Go back, reload the page and try again."
                )
            return view(member, *args, **kwargs)

        return wrapped

    return decorator


def _csrf_ok() -> bool:
    token = request.cookies.get(COOKIE, "")
    sent = request.form.get("csrf_token", "")
    return bool(token) and hmac.compare_digest(sent, csrf_for(token))


def actor(member: Staff) -> str:
    return f"staff {member.email}"
