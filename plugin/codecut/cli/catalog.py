"""``codecut store|campaign|influencer|code``: setting up the programme."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import click
from sqlalchemy import select

from .. import roster
from ..models import Campaign, Code, Influencer, Store
from ..records import campaign_record, code_record, influencer_record, store_record
from ..reports import balances, neutralise
from ._common import (
    echo_json,
    group,
    info,
    json_option,
    open_output,
    progress_bar,
    session_scope,
)

store_group = group("store", "Storefronts whose webhooks Codecut accepts.")
campaign_group = group("campaign", "Campaigns: a store plus a commission rule.")
influencer_group = group("influencer", "Influencers and their balances.")
code_group = group("code", "Discount codes.")


# -- store ---------------------------------------------------------------------------------------


@store_group.command("add")
@click.option("--platform", required=True, type=click.Choice(roster.PLATFORMS))
@click.option("--domain", required=True, help="e.g. shop.myshopify.com or shop.example.com")
@click.option("--secret", required=True, help="The webhook signing secret the store uses.")
@click.option("--currency", required=True, help="The shop's currency (ISO-4217), e.g. USD.")
@click.option("--url", default=None, help="The storefront's public URL, for share links.")
@json_option
def store_add(
    platform: str, domain: str, secret: str, currency: str, url: str | None, as_json: bool
) -> None:
    """Register a store."""
    with session_scope() as session:
        store = roster.add_store(
            session, platform=platform, domain=domain, secret=secret, currency=currency, url=url
        )
        record = store_record(store)
    if as_json:
        echo_json(record)
    else:
        info(f"store {store.domain} ({store.platform}, {store.currency}) added")


@store_group.command("list")
@json_option
def store_list(as_json: bool) -> None:
    """List stores."""
    with session_scope() as session:
        records = [store_record(s) for s in session.scalars(select(Store).order_by(Store.id))]
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(f"{record['domain']}\t{record['platform']}\t{record['currency']}")


@store_group.command("rotate-secret")
@click.option("--domain", required=True)
@click.option("--secret", required=True, help="The new secret; the old one stays valid too.")
def store_rotate_secret(domain: str, secret: str) -> None:
    """Start using a new webhook secret while still accepting the previous one."""
    with session_scope() as session:
        store = roster.rotate_store_secret(session, roster.get_store(session, domain), secret)
    info(f"store {store.domain}: new secret active; the previous one is still accepted")


# -- campaign ------------------------------------------------------------------------------------


@campaign_group.command("add")
@click.option("--store", "store_domain", required=True, help="The store's domain.")
@click.option("--name", required=True)
@click.option("--slug", default=None, help="Defaults to one made from the name.")
@click.option("--commission", default="10%", show_default=True, help="10% or a flat 5.00")
@click.option("--hold-days", type=int, default=None, help="Defaults to CODECUT_HOLD_DAYS.")
@json_option
def campaign_add(
    store_domain: str,
    name: str,
    slug: str | None,
    commission: str,
    hold_days: int | None,
    as_json: bool,
) -> None:
    """Create a campaign."""
    with session_scope() as session:
        campaign = roster.add_campaign(
            session,
            store_domain=store_domain,
            name=name,
            slug=slug,
            commission=commission,
            hold_days=hold_days,
        )
        record = campaign_record(campaign, session.get(Store, campaign.store_id))
    if as_json:
        echo_json(record)
    else:
        info(f"campaign {record['campaign']} ({record['commission']}) added")


@campaign_group.command("list")
@json_option
def campaign_list(as_json: bool) -> None:
    """List campaigns."""
    with session_scope() as session:
        rows = session.execute(
            select(Campaign, Store).join(Store, Store.id == Campaign.store_id).order_by(Campaign.id)
        ).all()
        records = [campaign_record(campaign, store) for campaign, store in rows]
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(f"{record['campaign']}\t{record['store']}\t{record['commission']}")


# -- influencer ----------------------------------------------------------------------------------


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
    with session_scope() as session:
        influencer = roster.add_influencer(
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
def influencer_import(file: click.utils.LazyFile, campaign_slug: str, as_json: bool) -> None:
    """Create influencers from a CSV (email,name,handle,followers,commission,code) and issue codes.

    All or nothing: the first bad row stops the import and nothing is written.
    """
    text = file.read()
    rows = max(text.count("\n") - 1, 1)
    with session_scope() as session, progress_bar(rows, "importing") as bar:
        result = roster.import_influencers(
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
    with session_scope() as session:
        codes: dict[int, list[str]] = defaultdict(list)
        for influencer_id, code in session.execute(
            select(Code.influencer_id, Code.code).order_by(Code.id)
        ):
            codes[influencer_id].append(code)
        records = [
            influencer_record(influencer, codes.get(influencer.id, []))
            for influencer in session.scalars(select(Influencer).order_by(Influencer.id))
        ]
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(
            f"{record['email']}\t{record['name']}\t{record['status']}\t{','.join(record['codes'])}"
        )


@influencer_group.command("set-status")
@click.argument("email")
@click.argument("status", type=click.Choice(roster.INFLUENCER_STATUSES))
def influencer_set_status(email: str, status: str) -> None:
    """Pause or terminate an influencer (their codes then earn nothing), or reactivate them."""
    with session_scope() as session:
        roster.set_influencer_status(session, roster.get_influencer(session, email), status)
    info(f"influencer {email.strip().lower()} is now {status}")


# -- code ----------------------------------------------------------------------------------------


@code_group.command("issue")
@click.option("--influencer", "influencer_email", required=True)
@click.option("--campaign", "campaign_slug", required=True)
@click.option("--code", default=None, help="A vanity code such as ANNA15; generated if omitted.")
@json_option
def code_issue(influencer_email: str, campaign_slug: str, code: str | None, as_json: bool) -> None:
    """Issue a code to an influencer and print it."""
    with session_scope() as session:
        issued = roster.issue_code(
            session, influencer_email=influencer_email, campaign_slug=campaign_slug, code=code
        )
        record = code_record(
            issued,
            session.get(Influencer, issued.influencer_id),
            session.get(Campaign, issued.campaign_id),
            session.get(Store, issued.store_id),
        )
    if as_json:
        echo_json(record)
    else:
        click.echo(issued.code)


def _code_rows(session, campaign_slug: str | None):  # type: ignore[no-untyped-def]
    query = (
        select(Code, Influencer, Campaign, Store)
        .join(Influencer, Influencer.id == Code.influencer_id)
        .join(Campaign, Campaign.id == Code.campaign_id)
        .join(Store, Store.id == Code.store_id)
        .order_by(Code.id)
    )
    if campaign_slug:
        query = query.where(Code.campaign_id == roster.get_campaign(session, campaign_slug).id)
    return (code_record(*row) for row in session.execute(query))


@code_group.command("list")
@click.option("--campaign", "campaign_slug", default=None)
@json_option
def code_list(campaign_slug: str | None, as_json: bool) -> None:
    """List codes, optionally of one campaign."""
    with session_scope() as session:
        records = list(_code_rows(session, campaign_slug))
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(f"{record['code']}\t{record['influencer_email']}\t{record['campaign']}")


EXPORT_COLUMNS = ["code", "influencer_email", "influencer_name", "campaign", "store", "active"]


@code_group.command("export")
@click.option("--campaign", "campaign_slug", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
def code_export(campaign_slug: str, output: str | None) -> None:
    """Write a campaign's codes as CSV (stdout without -o), for the store's bulk import."""
    with session_scope() as session:
        records = list(_code_rows(session, campaign_slug))
    with open_output(output) as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            writer.writerow(
                {
                    **{key: neutralise(record[key]) for key in EXPORT_COLUMNS},
                    "active": "true" if record["active"] else "false",
                }
            )
    if output:
        info(f"wrote {len(records)} codes to {output}")


@influencer_group.command("show")
@click.argument("email")
@json_option
def influencer_show(email: str, as_json: bool) -> None:
    """Show an influencer, their codes and balances per currency."""
    with session_scope() as session:
        influencer = roster.get_influencer(session, email)
        codes = list(
            session.scalars(
                select(Code.code).where(Code.influencer_id == influencer.id).order_by(Code.id)
            )
        )
        record = influencer_record(influencer, codes)
        record["balances"] = [b.as_record() for b in balances(session, influencer.id)]
    if as_json:
        echo_json(record)
        return
    click.echo(f"{record['name']} <{record['email']}>  {record['status']}")
    click.echo(f"codes: {', '.join(codes) or '-'}")
    for balance in record["balances"]:
        click.echo(
            f"{balance['currency']}: pending {balance['pending']}, approved {balance['approved']}, "
            f"paid {balance['paid']}, reversed {balance['reversed']}"
        )
