"""What Codecut's pages for people (the portal, share links) share, unlike its JSON endpoints.

Friendly HTML error pages instead of JSON, a strict Content-Security-Policy, no caching of
personal pages, and numbers and dates in the viewer's own locale (Babel, from Accept-Language).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_compact_currency, format_currency
from flask import Blueprint, Response, current_app, g, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from ..access import ratelimit
from ..db import is_transient, transaction
from ..errors import CodecutError, RateLimited
from ..money import to_decimal
from ..state import get_state
from .statuses import status_of

log = logging.getLogger("codecut")

#: No inline script or style, nothing from elsewhere: the pages work offline and cannot be made
#: to load a third party's script. Inline SVG is markup, not script, and is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


#: Sent with every page as they are.
_FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Sign-in links carry their token in the path; never send it on to anyone as a Referer.
    ("Referrer-Policy", "no-referrer"),
)


def secure_headers(response: Response) -> Response:
    """The pages' security headers. This runs on every share-link click too, so a header the
    response does not have yet (all of them, on a redirect) is appended, not looked for and
    replaced."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    # A view may widen it for one page (the payout set-up form goes on to Stripe).
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    for name, value in _FIXED_HEADERS:
        _put(headers, present, name, value)
    endpoint = request.endpoint
    if endpoint and not endpoint.endswith(".static"):
        _put(headers, present, "Cache-Control", "no-store")
        vary = headers.get("Vary") if "vary" in present else None
        if not vary:
            _put(headers, present, "Vary", "Cookie")
        elif "cookie" not in vary.lower():
            headers["Vary"] = f"{vary}, Cookie"
    return response


def _put(headers: Headers, present: set[str], name: str, value: str) -> None:
    """Set ``name`` (replacing it only if the response has it already)."""
    if name.lower() in present:
        headers[name] = value
    else:
        headers.add(name, value)


# -- locale --------------------------------------------------------------------------------------


def viewer_locale() -> Locale:
    """The first language the browser asks for that Babel knows, else CODECUT_DEFAULT_LOCALE."""
    cached = g.get("_codecut_locale")
    if cached is not None:
        return cast(Locale, cached)
    locale = None
    for tag, _quality in request.accept_languages:
        if tag == "*":
            continue
        try:
            locale = Locale.parse(tag.replace("_", "-"), sep="-")
            break
        except (ValueError, UnknownLocaleError):
            continue
    if locale is None:
        try:
            locale = Locale.parse(get_state().settings.default_locale)
        except (ValueError, UnknownLocaleError):
            locale = Locale("en", "US")
    g._codecut_locale = locale
    return locale


def money(minor: int, currency: str) -> str:
    """Minor units in the viewer's locale with the currency's own decimals (JPY 0, KWD 3).

    Remembered for the request: a page shows the same amounts in several places (the chart and
    its table), and Babel's formatting is the costliest thing in rendering.
    """
    seen = g.setdefault("_codecut_money", {})
    key = (minor, currency)
    if key not in seen:
        seen[key] = format_currency(
            to_decimal(minor, currency),
            currency,
            locale=viewer_locale(),
            decimal_quantization=False,
        )
    return str(seen[key])


def money_short(minor: int, currency: str) -> str:
    """A compact amount for chart axes: ``$1.5K``, ``¥20K``."""
    return str(
        format_compact_currency(
            to_decimal(minor, currency), currency, locale=viewer_locale(), fraction_digits=1
        )
    )


def day(value: date | datetime | None) -> str:
    """A medium date in the viewer's locale (``Mar 3, 2026``, ``03.03.2026``), once a request."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    seen = g.setdefault("_codecut_days", {})
    if value not in seen:
        seen[value] = format_date(value, format="medium", locale=viewer_locale())
    return str(seen[value])


def month(value: date) -> str:
    """A short month name in the viewer's locale, for chart axes (``Mar``, ``mars``)."""
    return str(format_date(value, format="MMM", locale=viewer_locale()))


def formatters() -> dict[str, Callable[..., Any]]:
    return {"money": money, "day": day, "viewer_locale": viewer_locale}


# -- pages ---------------------------------------------------------------------------------------


def message_page(status: int, title: str, text: str, **context: Any) -> tuple[str, int]:
    """A friendly page for people (never a traceback, never JSON)."""
    return (
        render_template("portal/message.html", status=status, title=title, text=text, **context),
        status,
    )


_HTTP_TITLES = {
    400: "Something in that request was not right",
    403: "Not allowed",
    404: "Page not found",
    405: "That is not how this page is used",
    413: "That was too much",
}


def over_limit(*limits: ratelimit.Limit) -> Any:
    """Count a sign-in attempt (committed even when refused): a 429 page with ``Retry-After``
    if it is over a limit, else None. The portal's and the console's sign-ins share it."""
    with transaction(get_state().engine) as db:
        try:
            ratelimit.hit(db, *limits)
        except RateLimited as error:
            limited: RateLimited | None = error
        else:
            limited = None
    if limited is None:
        return None
    minutes = max(1, -(-limited.retry_after // 60))
    body, status = message_page(
        429,
        "Please wait a few minutes",
        f"There have been too many sign-in attempts. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}. A link already sent to you still works.",
    )
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(limited.retry_after)
    return response


def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    if status >= 500:
        return _server_error(error)
    return message_page(status, _HTTP_TITLES.get(status, "Something went wrong"), "")


def _codecut_error(error: CodecutError) -> tuple[str, int]:
    return message_page(status_of(error)[0], "Something went wrong", error.message)


def _database_error(error: SQLAlchemyError) -> tuple[str, int]:
    if is_transient(error):
        log.warning("database unavailable: %s", error)
        return message_page(503, "Busy for a moment", "Please try again in a few seconds.")
    return _server_error(error)


def _server_error(error: BaseException) -> tuple[str, int]:
    log.exception("unhandled error in a Codecut page", exc_info=error)
    return message_page(
        500, "Sorry, something broke", "It has been logged. Please try again a little later."
    )


#: Paths (under ``CODECUT_URL_PREFIX``) that people open in a browser: their errors are pages.
PAGE_PATHS = ("/portal", "/console", "/r/")


def is_page_request() -> bool:
    """True for a request to a page path, even one no view matched (an unknown portal URL)."""
    path = request.path.removeprefix(get_state().settings.url_prefix)
    return path.startswith(PAGE_PATHS)


def http_error_page(error: HTTPException) -> Response:
    """The friendly page for an HTTP error outside any page view (e.g. an unknown portal URL)."""
    status = error.code or 500
    title = _HTTP_TITLES.get(status, "Something went wrong")
    body, status = message_page(status, title, "", **formatters())
    response = Response(body, status=status, mimetype="text/html")
    return secure_headers(response)


def register_page_errors(blueprint: Blueprint) -> None:
    """HTML error pages for this blueprint's views; the app's JSON handlers serve the rest."""
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(CodecutError, _codecut_error)
    blueprint.register_error_handler(SQLAlchemyError, _database_error)
    blueprint.register_error_handler(Exception, _server_error)
    blueprint.after_request(secure_headers)
    blueprint.context_processor(formatters)
