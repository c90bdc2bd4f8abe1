"""``codecut store``: storefronts whose webhooks Codecut accepts."""

from __future__ import annotations

import click

from ..db import transaction
from ..programme import stores
from ..reads.records import store_record
from ..state import get_state
from ..storesync import connection
from ..storesync.http import HttpClient
from ._common import echo_json, engine, group, info, json_option

store_group = group(
    "store", "Storefronts whose webhooks Codecut accepts, and their Admin API credentials."
)


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


@store_group.command("connect")
@click.option("--domain", required=True, help="The store, as added with `store add`.")
@click.option("--admin-token", default=None, help="Shopify: the Admin API access token.")
@click.option("--consumer-key", default=None, help="WooCommerce: the REST API consumer key.")
@click.option("--consumer-secret", default=None, help="WooCommerce: the consumer secret.")
@click.option(
    "--api-base",
    default=None,
    help="Where the store's API answers (default https://DOMAIN; a local stand-in for tests).",
)
@json_option
def store_connect(
    domain: str,
    admin_token: str | None,
    consumer_key: str | None,
    consumer_secret: str | None,
    api_base: str | None,
    as_json: bool,
) -> None:
    """Give Codecut the store's Admin API credentials: checked with one call, kept encrypted."""
    state = get_state()
    with transaction(engine()) as session:
        store = connection.connect(
            session,
            stores.get_store(session, domain),
            {
                "admin_token": admin_token,
                "consumer_key": consumer_key,
                "consumer_secret": consumer_secret,
            },
            api_base=api_base,
            settings=state.settings,
            keys=get_state().store_keys(),
            http=HttpClient(attempts=3),
        )
        record = store_record(store)
    if as_json:
        echo_json(record)
    else:
        info(f"store {store.domain} connected: its Admin API answered and the credentials work")
