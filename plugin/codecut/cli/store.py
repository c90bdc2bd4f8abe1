"""``codecut store``: storefronts whose webhooks Codecut accepts."""

from __future__ import annotations

import click

from ..db import transaction
from ..programme import stores
from ..reads.records import store_record
from ._common import echo_json, engine, group, info, json_option

store_group = group("store", "Storefronts whose webhooks Codecut accepts.")


@store_group.command("add")
@click.option("--platform", required=True, type=click.Choice(stores.PLATFORMS))
@click.option("--domain", required=True, help="e.g. shop.myshopify.com or shop.example.com")
@click.option("--secret", required=True, help="The webhook signing secret the store uses.")
@click.option("--currency", required=True, help="The shop's currency (ISO-4217), e.g. USD.")
@click.option("--url", default=None, help="The storefront's public URL, for share links.")
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    help="The IANA zone the brand keeps its days in, e.g. Europe/Stockholm.",
)
@json_option
def store_add(
    platform: str,
    domain: str,
    secret: str,
    currency: str,
    url: str | None,
    timezone: str,
    as_json: bool,
) -> None:
    """Register a store."""
    with transaction(engine()) as session:
        store = stores.add_store(
            session,
            platform=platform,
            domain=domain,
            secret=secret,
            currency=currency,
            url=url,
            timezone=timezone,
        )
        record = store_record(store)
    if as_json:
        echo_json(record)
    else:
        info(f"store {store.domain} ({store.platform}, {store.currency}) added")


@store_group.command("update")
@click.argument("domain")
@click.option("--timezone", default=None, help="An IANA zone, e.g. Europe/Stockholm.")
@click.option("--url", default=None, help="The storefront's public URL ('' to clear).")
@json_option
def store_update(domain: str, timezone: str | None, url: str | None, as_json: bool) -> None:
    """Change a store's time zone or public URL."""
    with transaction(engine()) as session:
        store = stores.update_store(
            session, stores.get_store(session, domain), timezone=timezone, url=url
        )
        record = store_record(store)
    if as_json:
        echo_json(record)
    else:
        info(f"store {store.domain} updated (time zone {store.timezone})")


@store_group.command("list")
@json_option
def store_list(as_json: bool) -> None:
    """List stores."""
    with transaction(engine(), readonly=True) as session:
        records = [store_record(s) for s in stores.list_stores(session)]
    if as_json:
        echo_json(records)
        return
    for record in records:
        click.echo(
            f"{record['domain']}\t{record['platform']}\t{record['currency']}\t{record['timezone']}"
        )


@store_group.command("rotate-secret")
@click.option("--domain", required=True)
@click.option("--secret", required=True, help="The new secret; the old one stays valid too.")
def store_rotate_secret(domain: str, secret: str) -> None:
    """Start using a new webhook secret while still accepting the previous one."""
    with transaction(engine()) as session:
        store = stores.rotate_store_secret(session, stores.get_store(session, domain), secret)
    info(f"store {store.domain}: new secret active; the previous one is still accepted")
