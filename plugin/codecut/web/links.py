"""Share links: ``/r/<code>`` sends a follower to the store with the influencer's code applied.

Shopify applies a code given in the path ``/discount/<CODE>`` and then shows the shop. Other
storefronts get ``/?coupon=<CODE>``; WooCommerce needs a small snippet or plugin to apply it (the
README shows one), and a generic storefront reads the parameter itself. The redirect is a 302, not
a 301, so browsers do not remember it if a store's address changes.

A code that is no longer active, or whose influencer is paused or terminated, still leads to the
store, without the code: a follower's click is never a dead end; so does an unknown code, to the
store ``?store=`` names or the only store there is. ``?path=/products/strap`` lands on that page
(a path on the store only: never an open redirect). A person's click is counted
(:mod:`codecut.clicks`) before the redirect is answered: on PostgreSQL the lookup and the append
are one statement run as its own transaction (no BEGIN or COMMIT round trips); on SQLite they are
one transaction. Codes are unique per store only;
when one exists in several stores the portal adds ``?store=<domain>`` to tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlencode, urlsplit

from flask import Blueprint, redirect, request
from sqlalchemy import Connection, Engine, bindparam, func, insert, select
from sqlmodel import col
from werkzeug.wrappers import Response

from .. import clicks
from ..db import connection_transaction, transaction
from ..driver_sql import Prepared
from ..models import Click, Code, Influencer, InfluencerStatus, Platform, Store, utcnow
from ..programme.codes import could_be_code, normalize
from ..state import get_state
from ..writer_queue import writer_queue
from .pages import message_page, register_page_errors

links = Blueprint("codecut_links", __name__, template_folder="templates")
register_page_errors(links)


def store_home(store_url: str | None, domain: str) -> str:
    return (store_url or f"https://{domain}").rstrip("/")


#: The code a link names with what the redirect needs: plain columns, no ORM objects to build
#: (the redirect is the hottest public route).
_NAMED: Any = (
    select(
        col(Code.id).label("code_id"),
        col(Code.active),
        col(Influencer.status),
        col(Store.id).label("store_id"),
        col(Store.platform),
        col(Store.url),
        col(Store.domain),
    )
    .join(Store, col(Store.id) == col(Code.store_id))
    .join(Influencer, col(Influencer.id) == col(Code.influencer_id))
    .where(col(Code.code) == bindparam("code"))
)
_NAMED_IN_STORE = _NAMED.where(col(Store.domain) == bindparam("domain"))


_CLICK = [
    bindparam(name, type_=Click.__table__.c[name].type)  # type: ignore[attr-defined]
    for name in ("clicked_at", "day", "visitor")
]
_CLICK_COLUMNS = ["code_id", "clicked_at", "day", "visitor"]


def _named_and_counted(named: Any) -> Any:
    """PostgreSQL: the lookup ``named`` and the click in one statement (one round trip, one
    statement for the server instead of two): the same select as a data-modifying CTE that
    appends the click only when :func:`_earning` would say yes (one code, live, of an active
    influencer)."""
    found = named.cte("found")
    one_code = select(func.count()).select_from(found).scalar_subquery() == 1
    earning = select(found.c.code_id, *_CLICK).where(
        found.c.active, found.c.status == InfluencerStatus.ACTIVE.value, one_code
    )
    appended = (
        insert(Click)
        .from_select(_CLICK_COLUMNS, earning)
        .returning(col(Click.code_id))
        .cte("appended")
    )
    return select(found, select(func.count()).select_from(appended).scalar_subquery())


class _Named(NamedTuple):
    """A row of :data:`_NAMED`, in its column order."""

    code_id: int
    active: bool
    status: str
    store_id: int
    platform: str
    url: str | None
    domain: str


#: Compiled once and run on the driver's cursor (:mod:`codecut.driver_sql`): every column read is
#: plain (the status and platform are compared as the strings they are stored as).
_LOOKUP = Prepared(_NAMED)
_LOOKUP_IN_STORE = Prepared(_NAMED_IN_STORE)
_LOOKUP_COUNTED = Prepared(_named_and_counted(_NAMED))
_LOOKUP_IN_STORE_COUNTED = Prepared(_named_and_counted(_NAMED_IN_STORE))


def _codes_named(
    connection: Connection, wanted: str, store_domain: str, click: dict[str, Any] | None = None
) -> list[_Named]:
    """The codes ``wanted`` names, in the store ``store_domain`` names if it names one.

    With ``click`` (its ``clicked_at``, ``day`` and ``visitor``; PostgreSQL only) the same
    statement appends the click when the code earns.
    """
    if not could_be_code(wanted) or "\x00" in store_domain:  # PostgreSQL text holds no NUL
        return []
    params: dict[str, Any] = {"code": wanted, **(click or {})}
    if store_domain:
        params["domain"] = store_domain
    if click is None:
        statement = _LOOKUP_IN_STORE if store_domain else _LOOKUP
    else:
        statement = _LOOKUP_IN_STORE_COUNTED if store_domain else _LOOKUP_COUNTED
    return [_Named(*row[:7]) for row in statement.rows(connection, params)]


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
    args = request.args
    store_domain = (args.get("store") or "").strip().lower()
    path = safe_path(args.get("path"))
    counted = clicks.is_counted(request.method, request.headers)
    state = get_state()
    engine, secret = state.engine, state.settings.secret_key or ""
    if counted and engine.dialect.name == "postgresql":
        # One statement looks the code up and appends the click; run on its own it is its own
        # transaction, atomic and committed (flushed) before the redirect is answered, with no
        # BEGIN and COMMIT round trips around it.
        with _statement_is_transaction(engine) as connection:
            rows = _codes_named(connection, wanted, store_domain, _click(secret))
        earning = _earning(rows)
    elif counted:
        # SQLite: the code is looked up in autocommit (a read takes no write lock), and only
        # the append holds the write lock, committed before the redirect is answered; clicks
        # queue for it on the OS file lock webhooks use, so a viral code's clicks take turns
        # instead of sleeping in SQLite's busy handler. (The lookup inside the writing
        # transaction held the lock over both statements; a reading transaction around the
        # lookup cost a BEGIN and a COMMIT more and measured slower still.)
        click = _click(secret)
        with engine.connect() as connection:
            rows = _codes_named(connection, wanted, store_domain)
            earning = _earning(rows)
            if earning:
                with writer_queue(engine), connection.begin():
                    clicks.record(
                        connection, rows[0].code_id, click["clicked_at"], click["visitor"]
                    )
    else:
        with connection_transaction(engine, readonly=True) as connection:
            rows = _codes_named(connection, wanted, store_domain)
        earning = _earning(rows)
    stores = {row.store_id: row for row in rows}
    if len(stores) == 1:  # one code: a store's codes are unique
        store = rows[0]
        if earning:
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


@contextmanager
def _statement_is_transaction(engine: Engine) -> Iterator[Connection]:
    """A pooled connection of ``engine`` in autocommit: each statement its own transaction.

    The driver's own switch, flipped and put back as SQLAlchemy's pre-ping does, instead of
    ``isolation_level="AUTOCOMMIT"``, whose set-up and reset at every checkout cost about a
    twentieth of a click's CPU. Only for statements run on the driver's cursor
    (:mod:`codecut.driver_sql`): SQLAlchemy does not know of the switch.
    """
    with engine.connect() as connection:
        driver: Any = connection.connection.dbapi_connection
        before = driver.autocommit
        driver.autocommit = True
        try:
            yield connection
        finally:
            try:
                driver.autocommit = before
            except engine.dialect.loaded_dbapi.Error:  # broken: never to be handed out again
                connection.invalidate()


def _earning(rows: list[_Named]) -> bool:
    """One code (a store's codes are unique), live, of an active influencer: it earns."""
    return (
        len({row.store_id for row in rows}) == 1
        and bool(rows[0].active)
        and rows[0].status == InfluencerStatus.ACTIVE
    )


def _click(secret: str) -> dict[str, Any]:
    """This request's click: when, and a daily pseudonym of the visitor (never their address or
    user agent)."""
    now = utcnow()
    day = now.date()
    agent = request.headers.get("User-Agent", "")
    visitor = clicks.visitor(secret, day, request.remote_addr or "", agent)
    return {"clicked_at": now, "day": day, "visitor": visitor}


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
