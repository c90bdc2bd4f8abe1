"""Share links: ``/r/<code>`` sends a follower to the store with the influencer's code applied.

Shopify applies a code given in the path ``/discount/<CODE>`` and then shows the shop. Other
storefronts get ``/?coupon=<CODE>``; WooCommerce needs a small snippet or plugin to apply it (the
README shows one), and a generic storefront reads the parameter itself. The redirect is a 302, not
a 301, so browsers do not remember it if a store's address changes.

A code that is no longer active, or whose influencer is paused or terminated, still leads to the
store, without the code: a follower's click is never a dead end; so does an unknown code, to the
store ``?store=`` names or the only store there is. ``?path=/products/strap`` lands on that page
(a path on the store only: never an open redirect). A person's click is counted
(:mod:`codecut.clicks`) before the redirect is answered. Codes are unique per store only;
when one exists in several stores the portal adds ``?store=<domain>`` to tell them apart.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlencode, urlsplit

from flask import Blueprint, redirect, request
from sqlalchemy import Row, select
from sqlmodel import col
from werkzeug.wrappers import Response

from .. import clicks
from ..db import transaction
from ..models import Code, Influencer, InfluencerStatus, Platform, Store, utcnow
from ..programme.codes import could_be_code, normalize
from ..state import get_state
from .pages import message_page, register_page_errors

links = Blueprint("codecut_links", __name__, template_folder="templates")
register_page_errors(links)


def store_home(store_url: str | None, domain: str) -> str:
    return (store_url or f"https://{domain}").rstrip("/")


def _codes_named(wanted: str, store_domain: str) -> list[Row[Code, Store, Influencer]]:
    """The code rows ``wanted`` names, in the store ``store_domain`` names if it names one."""
    if "\x00" in store_domain:  # no domain holds one (and PostgreSQL text cannot)
        return []
    with transaction(get_state().engine, readonly=True) as session:
        query = (
            select(Code, Store, Influencer)
            .join(Store, col(Store.id) == col(Code.store_id))
            .join(Influencer, col(Influencer.id) == col(Code.influencer_id))
            .where(col(Code.code) == wanted)
        )
        if store_domain:
            query = query.where(col(Store.domain) == store_domain)
        return list(session.execute(query).all())


def discount_url(
    platform: str, store_url: str | None, domain: str, code: str, path: str | None = None
) -> str:
    """Where a share link lands: the store (at ``path`` on it, when given, already checked by
    :func:`safe_path`), with ``code`` applied as far as the platform allows."""
    home = store_home(store_url, domain)
    if platform == Platform.SHOPIFY:
        target = f"{home}/discount/{quote(code, safe='')}"
        return f"{target}?{urlencode({'redirect': path})}" if path else target
    return f"{home}{path or '/'}{'&' if path and '?' in path else '?'}{urlencode({'coupon': code})}"


@links.get("/r/<code>")
def follow(code: str) -> Response | tuple[str, int]:
    wanted = normalize(code)
    store_domain = (request.args.get("store") or "").strip().lower()
    path = safe_path(request.args.get("path"))
    rows = _codes_named(wanted, store_domain) if could_be_code(wanted) else []
    stores = {store.id: store for _code, store, _influencer in rows}
    if len(stores) == 1:  # one code: a store's codes are unique
        code_row, store, influencer = rows[0]
        if code_row.active and influencer.status == InfluencerStatus.ACTIVE:
            _count(code_row.id)
            return redirect(
                discount_url(store.platform, store.url, store.domain, wanted, path), 302
            )
        return redirect(store_home(store.url, store.domain), 302)  # no longer earns: no code
    fallback = _fallback_store(store_domain) if not stores else None
    if fallback is not None:  # an unknown code still leads to the shop, without a code
        return redirect(store_home(fallback.url, fallback.domain), 302)
    return message_page(
        404,
        "This link does not lead anywhere",
        "The code in this link is not known (or names more than one shop). Check the link, or "
        "visit the shop directly.",
    )


def _count(code_id: int | None) -> None:
    """Append the click before the redirect is answered (one INSERT), unless no person made it."""
    if code_id is None or not clicks.is_counted(request.method, dict(request.headers)):
        return
    state = get_state()
    now = utcnow()
    mark = clicks.visitor(
        state.settings.secret_key or "",
        now.date(),
        request.remote_addr or "",
        request.headers.get("User-Agent", ""),
    )
    with transaction(state.engine) as session:
        clicks.record(session.connection(), code_id, now, mark)


def _fallback_store(store_domain: str) -> Store | None:
    """Where an unknown code goes: the store ``?store=`` names, else the only store there is."""
    if "\x00" in store_domain:
        return None
    with transaction(get_state().engine, readonly=True) as session:
        if store_domain:
            return session.scalars(select(Store).where(col(Store.domain) == store_domain)).first()
        only = session.scalars(select(Store).limit(2)).all()
    return only[0] if len(only) == 1 else None


def safe_path(value: str | None) -> str | None:
    """A path on the store itself (``/products/strap``), or ``None``: never another site.

    Refused: anything not starting with one ``/`` (``//evil.com``, ``https://evil.com``,
    ``/\\evil.com``), control characters, and the same tricks percent-encoded once more.
    """
    if not value or len(value) > 2000:
        return None
    for form in (value, unquote(value)):
        if (
            not form.startswith("/")
            or form.startswith("//")
            or "\\" in form
            or any(ord(char) < 32 or ord(char) == 127 for char in form)
            or urlsplit(form).netloc
            or urlsplit(form).scheme
        ):
            return None
    return value
