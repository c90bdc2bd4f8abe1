"""``codecut influencer``: influencers, their codes and their balances."""

from __future__ import annotations

import io
from typing import TextIO

import click
from flask import current_app

from ..access import login_links, mail, payout_links
from ..db import transaction
from ..payouts import onboarding
from ..programme import importing, influencers
from ..reads.listings import influencer_detail, list_influencers
from ..reads.records import influencer_record
from ..state import get_state
from ..web.urls import payout_setup_url
from ._common import echo_json, engine, group, info, json_option, progress_bar

influencer_group = group("influencer", "Influencers and their balances.")


@influencer_group.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--handle", default=None)
@click.option("--platform", default=None, help="instagram, tiktok, youtube, ...")
@click.option("--followers", type=int, default=None)
@click.option("--commission", default=None, help="An override of the campaign rule, e.g. 12%.")
@click.option("--stripe-account", default=None, help="Connected account id, acct_...")
@json_option
def influencer_add(
    email: str,
    name: str,
    handle: str | None,
    platform: str | None,
    followers: int | None,
    commission: str | None,
    stripe_account: str | None,
    as_json: bool,
) -> None:
    """Add an influencer."""
    with transaction(engine()) as session:
        influencer = influencers.add_influencer(
            session,
            email=email,
            name=name,
            handle=handle,
            platform=platform,
            followers=followers,
            commission=commission,
            stripe_account=stripe_account,
        )
        record = influencer_record(influencer)
    if as_json:
        echo_json(record)
    else:
        info(f"influencer {influencer.email} added")


@influencer_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--campaign", "campaign_slug", required=True)
@json_option
def influencer_import(file: TextIO, campaign_slug: str, as_json: bool) -> None:
    """Create influencers from a CSV (email,name,handle,followers,commission,code,stripe_account)
    and issue codes.

    All or nothing: the first bad row stops the import and nothing is written.
    """
    text = file.read()
    rows = max(text.count("\n") - 1, 1)
    with transaction(engine()) as session, progress_bar(rows, "importing") as bar:
        result = importing.import_influencers(
            session, io.StringIO(text), campaign_slug=campaign_slug, progress=bar.update
        )
    if as_json:
        echo_json(
            {
                "influencers": result.influencers,
                "campaign": campaign_slug,
                "codes": [{"influencer_email": e, "code": c} for e, c in result.codes],
            }
        )
    else:
        info(f"imported {result.influencers} influencers into {campaign_slug}, one code each")


@influencer_group.command("list")
@json_option
def influencer_list(as_json: bool) -> None:
    """List influencers with their codes."""
    with transaction(engine(), readonly=True) as session:
        records = list_influencers(session)
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(
            f"{record['email']}\t{record['name']}\t{record['status']}\t{','.join(record['codes'])}"
        )


@influencer_group.command("set-status")
@click.argument("email")
@click.argument("status", type=click.Choice(influencers.INFLUENCER_STATUSES))
def influencer_set_status(email: str, status: str) -> None:
    """Pause or terminate an influencer (their codes then earn nothing), or reactivate them."""
    with transaction(engine()) as session:
        influencers.set_influencer_status(
            session, influencers.get_influencer(session, email), status
        )
    info(f"influencer {email.strip().lower()} is now {status}")


@influencer_group.command("update")
@click.argument("email")
@click.option("--name", default=None)
@click.option("--handle", default=None)
@click.option("--platform", default=None)
@click.option("--followers", default=None, help="A whole number.")
@click.option("--commission", default=None, help="An override like 12%, or 'none' to remove it.")
@click.option("--stripe-account", default=None, help="acct_..., or 'none' to remove it.")
@json_option
def influencer_update(email: str, as_json: bool, **changes: str | None) -> None:
    """Change an influencer's details; what is not given stays as it is."""
    with transaction(engine()) as session:
        influencer = influencers.update_influencer(
            session, influencers.get_influencer(session, email), **changes
        )
        record = influencer_record(influencer)
    if as_json:
        echo_json(record)
    else:
        info(f"influencer {influencer.email} updated")


@influencer_group.command("show")
@click.argument("email")
@json_option
def influencer_show(email: str, as_json: bool) -> None:
    """Show an influencer, their codes and balances per currency."""
    with transaction(engine(), readonly=True) as session:
        record = influencer_detail(session, email)
    if as_json:
        echo_json(record)
        return
    click.echo(f"{record['name']} <{record['email']}>  {record['status']}")
    click.echo(f"codes: {', '.join(record['codes']) or '-'}")
    for b in record["balances"]:
        click.echo(
            f"{b['currency']}: pending {b['pending']}, payable {b['payable']}, held {b['held']}, "
            f"in payout {b['in_payout']}, paid {b['paid']}, taken back {b['taken_back']}"
        )


@influencer_group.command("payout-link")
@click.argument("email")
@click.option("--mail", "send", is_flag=True, help="Mail the link to the influencer too.")
def influencer_payout_link(email: str, send: bool) -> None:
    """Print a link (valid a week) that takes an influencer to set up payouts with Stripe.

    Each click opens a fresh Stripe onboarding form; it signs nobody in to the portal."""
    state = get_state()
    if not state.settings.stripe_api_key:
        raise click.ClickException(
            "CODECUT_STRIPE_API_KEY is not set: influencers cannot connect a Stripe account"
        )
    with transaction(engine(), readonly=True) as session:
        influencer = influencers.get_influencer(session, email)
        token = payout_links.issue(
            influencer, login_links.signing_key(state.settings, current_app.secret_key)
        )
    link = payout_setup_url(state.settings, token)
    if send:
        try:
            mail.send_payout_setup(
                state.settings, to=influencer.email, name=influencer.name, link=link
            )
        except mail.MailError as error:
            raise click.ClickException(str(error)) from None
        info(f"payout set-up link mailed to {influencer.email}")
    click.echo(link)
    info(f"{influencer.email}: {onboarding.in_words(influencer)}")
