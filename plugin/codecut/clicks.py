"""Counted share-link clicks: who followed an influencer's link, without keeping who they are.

A click is one appended row (time, code, day, visitor). The visitor is a keyed hash of the
address and user agent under a salt that changes every day, so unique visitors can be counted
per day (distinct (day, visitor) pairs) while no address or user agent is stored and yesterday's
hashes cannot be linked to today's. Appending, never updating a per-code counter, keeps a viral
code's clicks from queueing behind one another.

Not counted (but still redirected): ``HEAD`` requests, browser prefetches and the crawlers and
link previewers in :data:`BOTS`.
"""

from __future__ import annotations

import hmac
import re
from datetime import date, datetime
from functools import lru_cache
from typing import Protocol

from sqlalchemy import Connection, bindparam, insert

from .driver_sql import Prepared
from .models import Click

#: User-agent fragments (lower case) of search crawlers and link previewers: a preview fetched
#: when a link is pasted into a chat is not a person clicking. Extend it as new ones appear.
BOTS = (
    "googlebot",
    "google-inspectiontool",
    "adsbot-google",
    "mediapartners-google",
    "bingbot",
    "bingpreview",
    "yandexbot",
    "baiduspider",
    "duckduckbot",
    "slurp",
    "applebot",
    "petalbot",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "twitterbot",
    "slackbot",
    "slack-imgproxy",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "linkedinbot",
    "pinterestbot",
    "redditbot",
    "skypeuripreview",
    "vkshare",
    "embedly",
    "iframely",
    "tumblr",
    "snapchat",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "dotbot",
    "bytespider",
    "gptbot",
    "claudebot",
    "ccbot",
    "headlesschrome",
    "python-requests",
    "curl/",
    "wget/",
    "crawler",
    "spider",
)

#: :data:`BOTS` as one search (the redirect is the hottest public route: one scan of the user
#: agent in C instead of a Python loop over every fragment).
_BOT = re.compile("|".join(re.escape(bot) for bot in BOTS))


class Headers(Protocol):
    """What :func:`is_counted` reads of a request's headers (a dict or Werkzeug's headers)."""

    def get(self, key: str, /) -> str | None: ...


def is_counted(method: str, headers: Headers) -> bool:
    """A person's click: not a ``HEAD``, not a prefetch, not a known bot or previewer."""
    if method != "GET":
        return False
    purpose = headers.get("Sec-Purpose") or headers.get("Purpose")
    if purpose:
        purpose = purpose.lower()
        if "prefetch" in purpose or "prerender" in purpose:
            return False
    agent = headers.get("User-Agent")
    return agent is not None and agent != "" and _BOT.search(agent.lower()) is None


@lru_cache(maxsize=8)
def _salt(secret: str, day: date) -> bytes:
    """The day's salt, made from the secret key and the day (the same all day: made once)."""
    return hmac.digest(secret.encode(), f"codecut-clicks:{day.isoformat()}".encode(), "sha256")


def visitor(secret: str, day: date, address: str, user_agent: str) -> str:
    """The day's pseudonym of a visitor: HMAC under a salt made from the secret key and the day."""
    mark = hmac.digest(_salt(secret, day), f"{address}\n{user_agent}".encode(), "sha256")
    return mark[:16].hex()


#: Inline: the new row's id is not wanted, so no ``RETURNING id`` for PostgreSQL to send back and
#: no result row to build (about a fifth of the append's cost on the client). Run on the driver's
#: cursor (:mod:`codecut.driver_sql`): on SQLite it is half of a click's statements.
_APPEND = Prepared(
    insert(Click)
    .values({name: bindparam(name) for name in ("code_id", "clicked_at", "day", "visitor")})
    .inline()
)


def record(connection: Connection, code_id: int, at: datetime, visitor_hash: str) -> None:
    """Append one click (the caller commits it before answering the redirect; on PostgreSQL the
    share-link view appends in the statement that looks the code up, see
    :mod:`codecut.web.links`)."""
    _APPEND.rows(
        connection,
        {"code_id": code_id, "clicked_at": at, "day": at.date(), "visitor": visitor_hash},
    )
