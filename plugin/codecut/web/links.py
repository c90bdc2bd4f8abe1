"""Share links: ``/r/<code>`` sends a follower to the store with the influencer's code applied.

Shopify applies a code given in the path ``/discount/<CODE>`` and then shows the shop. Other
storefronts get ``/?coupon=<CODE>``; WooCommerce needs a small snippet or plugin to apply it (the
README shows one), and a generic storefront reads the parameter itself. The redirect is a 302, not
a 301, so browsers do not remember it if a store's address changes.

A code that is no longer active, or whose influencer is paused or terminated, still leads to the
store, without the code: a follower's click is never a dead end. Codes are unique per store only;
when one exists in several stores the portal adds ``?store=<domain>`` to tell them apart.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Blueprint, redirect, request
from sqlalchemy import Row, select
from sqlmodel import col
from werkzeug.wrappers import Response

from ..db import transaction
from ..models import Code, Influencer, InfluencerStatus, Platform, Store
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


def discount_url(platform: str, store_url: str | None, domain: str, code: str) -> str:
    """Where a share link lands: the store, with ``code`` applied as far as the platform allows."""
    home = store_home(store_url, domain)
    if platform == Platform.SHOPIFY:
        return f"{home}/discount/{quote(code, safe='')}"
    return f"{home}/?{urlencode({'coupon': code})}"


@links.get("/r/<code>")
def follow(code: str) -> Response | tuple[str, int]:
    wanted = normalize(code)
    store_domain = (request.args.get("store") or "").strip().lower()
    rows = _codes_named(wanted, store_domain) if could_be_code(wanted) else []
    stores = {store.id: store for _code, store, _influencer in rows}
    if len(stores) == 1:  # one code: a store's codes are unique
        code_row, store, influencer = rows[0]
        if code_row.active and influencer.status == InfluencerStatus.ACTIVE:
            return redirect(discount_url(store.platform, store.url, store.domain, wanted), 302)
        return redirect(store_home(store.url, store.domain), 302)  # no longer earns: no code
    return message_page(
        404,
        "This link does not lead anywhere",
        "The code in this link is not known (or names more than one shop). Check the link, or "
        "visit the shop directly.",
    )
