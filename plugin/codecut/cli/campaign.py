"""``codecut campaign``: a store plus the commission rule its codes earn under."""

from __future__ import annotations

import click

from ..db import transaction
from ..programme import campaigns
from ..reads.listings import campaign_detail
from ..reads.records import campaign_record
from ._common import echo_json, engine, group, info, json_option

campaign_group = group("campaign", "Campaigns: a store plus a commission rule.")


@campaign_group.command("add")
@click.option("--store", "store_domain", required=True, help="The store's domain.")
@click.option("--name", required=True)
@click.option("--slug", default=None, help="Defaults to one made from the name.")
@click.option(
    "--commission",
    default="10%",
    show_default=True,
    help="A rate (15%) or a flat amount per order in the store's currency (15.00 USD).",
)
@click.option("--hold-days", type=int, default=None, help="Defaults to CODECUT_HOLD_DAYS.")
@click.option(
    "--leaked-policy",
    default=None,
    help="What orders on a rotated (leaked) code earn: none (default), full or rate:5%.",
)
@json_option
def campaign_add(
    store_domain: str,
    name: str,
    slug: str | None,
    commission: str,
    hold_days: int | None,
    leaked_policy: str | None,
    as_json: bool,
) -> None:
    """Create a campaign."""
    with transaction(engine()) as session:
        campaign = campaigns.add_campaign(
            session,
            store_domain=store_domain,
            name=name,
            slug=slug,
            commission=commission,
            hold_days=hold_days,
            leaked_policy=leaked_policy,
        )
        record = campaign_detail(session, campaign)
    if as_json:
        echo_json(record)
    else:
        info(f"campaign {record['campaign']} ({record['commission']}) added")


@campaign_group.command("update")
@click.argument("slug")
@click.option("--name", default=None)
@click.option("--commission", default=None, help="15% or 15.00 USD; orders from now on.")
@click.option("--hold-days", type=int, default=None)
@click.option("--leaked-policy", default=None, help="none, full or rate:5%.")
@click.option(
    "--leak-threshold",
    "leak_thresholds",
    multiple=True,
    help="NAME=VALUE for this campaign's leak rules (e.g. repeat_max_orders=5); 'default' resets.",
)
@click.option(
    "--customer-discount", default=None, help="What a code gives the buyer: 15% or 15.00 USD."
)
@click.option(
    "--once-per-customer/--any-number-per-customer",
    default=None,
    help="Whether a buyer may use a code once only.",
)
@click.option(
    "--combines-with",
    default=None,
    help="product,order,shipping (or none): what codes combine with.",
)
@json_option
def campaign_update(
    slug: str,
    name: str | None,
    commission: str | None,
    hold_days: int | None,
    leaked_policy: str | None,
    leak_thresholds: tuple[str, ...],
    customer_discount: str | None,
    once_per_customer: bool | None,
    combines_with: str | None,
    as_json: bool,
) -> None:
    """Change a campaign's name, commission rule, hold days, leak rules, or the discount its
    codes give buyers (pushed to the store by ``codecut code push``)."""
    with transaction(engine()) as session:
        campaign = campaigns.update_campaign(
            session,
            campaigns.get_campaign(session, slug),
            name=name,
            commission=commission,
            hold_days=hold_days,
            leaked_policy=leaked_policy,
            leak_thresholds=leak_thresholds,
            customer_discount=customer_discount,
            once_per_customer=once_per_customer,
            combines_with=combines_with,
        )
        record = campaign_detail(session, campaign)
    if as_json:
        echo_json(record)
    else:
        info(f"campaign {record['campaign']} ({record['commission']}) updated")


@campaign_group.command("list")
@json_option
def campaign_list(as_json: bool) -> None:
    """List campaigns."""
    with transaction(engine(), readonly=True) as session:
        records = [
            campaign_record(campaign, store)
            for campaign, store in campaigns.list_campaigns(session)
        ]
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(f"{record['campaign']}\t{record['store']}\t{record['commission']}")
