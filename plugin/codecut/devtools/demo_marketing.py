"""The demo's marketing side: followers clicking share links, posts and a gift, so that the
campaign report has something to show."""

from __future__ import annotations

import http.client
from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session, col

from ..models import Post, Seeding
from ..programme import marketing

#: (code owner, clicks, distinct visitors) per demo influencer.
CLICKS = {"anna@example.com": (12, 8), "ben@example.com": (6, 5), "chloe@example.com": (4, 4)}
_PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Mobile/15E148 Visitor/{n}"
_CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def click_share_links(base_url: str, codes: dict[str, str]) -> tuple[int, int]:
    """Follow each influencer's share link as their followers would (and once as a crawler,
    which is not counted); returns (clicks sent by people, crawler visits)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    people = 0
    for email, (count, visitors) in CLICKS.items():
        for n in range(count):
            agent = _PHONE.format(n=f"{email}-{n % visitors}")
            connection.request("GET", f"/r/{codes[email]}", headers={"User-Agent": agent})
            connection.getresponse().read()
            people += 1
    connection.request("GET", f"/r/{codes['anna@example.com']}", headers={"User-Agent": _CRAWLER})
    connection.getresponse().read()
    connection.close()
    return people, 1


def seed_posts(session: Session, campaign: str, today: date) -> None:
    """Two posts and one gift, once."""
    posts = [
        ("anna@example.com", "https://www.instagram.com/p/demo-anna-1", "instagram", 18_000, 950,
         "150.00"),
        ("ben@example.com", "https://www.tiktok.com/@benokafor/video/demo-1", "tiktok", 42_000,
         3_100, "80.00"),
    ]  # fmt: skip
    for email, url, platform, reach, likes, fee in posts:
        if session.scalars(select(col(Post.id)).where(col(Post.url) == url)).first() is None:
            marketing.add_post(
                session, influencer_email=email, campaign_slug=campaign, url=url,
                posted_on=today - timedelta(days=44), platform=platform, reach=reach,
                likes=likes, comments=likes // 12, shares=likes // 30, saves=likes // 20, fee=fee,
            )  # fmt: skip
    if session.scalars(select(col(Seeding.id))).first() is None:
        marketing.add_seeding(
            session, influencer_email="chloe@example.com", campaign_slug=campaign, cost="35.00",
            note="spring collection box", sent_on=today - timedelta(days=50),
        )  # fmt: skip
