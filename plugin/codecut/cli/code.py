"""``codecut code``: issuing, listing and exporting discount codes."""

from __future__ import annotations

import csv

import click

from ..access import audit, mail
from ..db import transaction
from ..programme import codes
from ..reads.exports import neutralise
from ..reads.listings import code_detail, list_codes
from ..state import get_state
from ..web.urls import share_url
from ._common import echo_json, engine, group, info, json_option, open_output

code_group = group("code", "Discount codes.")


@code_group.command("issue")
@click.option("--influencer", "influencer_email", required=True)
@click.option("--campaign", "campaign_slug", required=True)
@click.option("--code", default=None, help="A vanity code such as ANNA15; generated if omitted.")
@json_option
def code_issue(influencer_email: str, campaign_slug: str, code: str | None, as_json: bool) -> None:
    """Issue a code to an influencer and print it."""
    with transaction(engine()) as session:
        issued = codes.issue_code(
            session, influencer_email=influencer_email, campaign_slug=campaign_slug, code=code
        )
        record = code_detail(session, issued)
    if as_json:
        echo_json(record)
    else:
        click.echo(issued.code)


@code_group.command("list")
@click.option("--campaign", "campaign_slug", default=None)
@json_option
def code_list(campaign_slug: str | None, as_json: bool) -> None:
    """List codes, optionally of one campaign."""
    with transaction(engine(), readonly=True) as session:
        records = list_codes(session, campaign_slug)
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
    with transaction(engine(), readonly=True) as session:
        records = list_codes(session, campaign_slug)
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


@code_group.command("rotate")
@click.argument("code")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@json_option
def code_rotate(code: str, reason: str | None, as_json: bool) -> None:
    """Mark a leaked code leaked and inactive, issue a fresh one and mail it to the influencer."""
    state = get_state()
    with transaction(engine()) as session:
        old, new, influencer = codes.rotate_code(
            session, code, reason=reason, actor=audit.os_actor()
        )
        record = {
            "code": old.code,
            "status": "leaked",
            "new_code": new.code,
            "influencer_email": influencer.email,
            "share_link": share_url(state.settings, new.code),
        }
        name = influencer.name
    # Deactivating the old code in a connected store belongs here, once stores can be
    # connected (the commission side already applies the campaign's leaked-code policy).
    mail.send_new_code(
        state.settings,
        to=record["influencer_email"],
        name=name,
        old_code=record["code"],
        new_code=record["new_code"],
        link=record["share_link"],
    )
    if as_json:
        echo_json(record)
    else:
        info(
            f"code {record['code']} marked leaked; {record['influencer_email']} now has "
            f"{record['new_code']} ({record['share_link']})"
        )
