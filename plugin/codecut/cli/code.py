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
from ..storesync import push
from ..storesync.connection import api_factory
from ..web.urls import share_url
from ._common import (
    echo_json,
    engine,
    group,
    info,
    json_option,
    open_output,
    progress_bar,
)

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


@code_group.command("push")
@click.option(
    "--campaign", "campaign_slug", required=True, help="The campaign whose codes to push."
)
@click.option("--dry-run", is_flag=True, help="Say what would be pushed; call nothing.")
@json_option
def code_push(campaign_slug: str, dry_run: bool, as_json: bool) -> None:
    """Create the campaign's codes in its store (Shopify or WooCommerce), resumably: only what is
    missing is pushed, and codes no longer live here are taken out of the store."""
    api_for = api_factory(get_state().settings, get_state().store_keys())
    with transaction(engine(), readonly=True) as session:
        total = len(list_codes(session, campaign_slug))
    with progress_bar(total, "Pushing codes") as bar:
        report = push.push_codes(
            engine(), campaign_slug, api_for, dry_run=dry_run, progress=bar.update
        )
    if as_json:
        echo_json(report.as_record())
    else:
        for code, reason in report.failed:
            click.echo(f"failed\t{code}\t{reason}")
        for code in report.deactivated:
            click.echo(f"taken out\t{code}\t(no longer live here)")
    if dry_run:
        info(
            f"dry run: {report.to_push} code(s) would be pushed to {report.store}, "
            f"{report.to_deactivate} taken out; {report.already} are there already"
        )
    else:
        info(
            f"{report.store}: pushed {len(report.pushed)}, failed {len(report.failed)}, "
            f"taken out {len(report.deactivated)}, already there {report.already} "
            f"({report.calls} calls, {report.seconds:.1f} s)"
        )
    if report.failed:
        raise SystemExit(1)
