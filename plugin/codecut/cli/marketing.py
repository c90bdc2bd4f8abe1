"""``codecut post`` and ``codecut seeding``: what reach, engagement and spend need besides
orders."""

from __future__ import annotations

import io
from datetime import date
from typing import Any, TextIO

import click

from ..db import transaction
from ..models import Seeding
from ..programme import marketing
from ..reads.records import post_record
from ._common import day_option, echo_json, engine, group, info, json_option

post_group = group("post", "Influencers' posts: reach, engagement and the fee paid.")
seeding_group = group("seeding", "Products gifted to influencers for reviews and unboxings.")


def _figures(function: Any) -> Any:
    for name in reversed(marketing.FIGURES):
        function = click.option(f"--{name}", default=None, help="A whole number.")(function)
    return click.option("--fee", default=None, help="Paid for the post, e.g. 150.00.")(function)


@post_group.command("add")
@click.option("--influencer", "email", required=True)
@click.option("--campaign", "slug", required=True)
@click.option("--url", required=True)
@click.option("--posted-on", required=True, callback=day_option)
@click.option("--platform", type=click.Choice(marketing.PLATFORMS), default="other")
@_figures
@json_option
def post_add(
    email: str, slug: str, url: str, posted_on: date, platform: str, as_json: bool, **figures: Any
) -> None:
    """Record a post (known by its URL)."""
    with transaction(engine()) as session:
        post = marketing.add_post(
            session,
            influencer_email=email,
            campaign_slug=slug,
            url=url,
            posted_on=posted_on,
            platform=platform,
            **figures,
        )
        record = post_record(session, post)
    if as_json:
        echo_json(record)
    else:
        info(f"post {record['url']} added")


@post_group.command("update")
@click.argument("url")
@_figures
@json_option
def post_update(url: str, as_json: bool, **figures: Any) -> None:
    """Add or correct a post's figures."""
    with transaction(engine()) as session:
        post = marketing.update_post(session, marketing.get_post(session, url), **figures)
        record = post_record(session, post)
    if as_json:
        echo_json(record)
    else:
        info(f"post {record['url']} updated")


@post_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@json_option
def post_import(file: TextIO, as_json: bool) -> None:
    """Posts from a CSV (influencer_email,campaign,url,posted_on,platform,reach,likes,comments,
    shares,saves,fee); all or nothing; a known URL updates its figures."""
    with transaction(engine()) as session:
        result = marketing.import_posts(session, io.StringIO(file.read()))
    if as_json:
        echo_json({"added": result.added, "updated": result.updated})
    else:
        info(f"posts: {result.added} added, {result.updated} updated")


@seeding_group.command("add")
@click.option("--influencer", "email", required=True)
@click.option("--campaign", "slug", required=True)
@click.option("--cost", required=True, help="What the gift cost, in the store's currency.")
@click.option("--note", default=None)
@click.option("--sent-on", callback=day_option, help="Default: today.")
@json_option
def seeding_add(
    email: str, slug: str, cost: str, note: str | None, sent_on: date | None, as_json: bool
) -> None:
    """Record products gifted to an influencer."""
    with transaction(engine()) as session:
        seeding: Seeding = marketing.add_seeding(
            session, influencer_email=email, campaign_slug=slug, cost=cost, note=note,
            sent_on=sent_on,
        )  # fmt: skip
        record = {"id": seeding.id, "influencer_email": email.strip().lower(), "campaign": slug,
                  "cost": cost, "sent_on": seeding.sent_on, "note": seeding.note}  # fmt: skip
    if as_json:
        echo_json(record)
    else:
        info(f"seeding {record['id']} recorded")
